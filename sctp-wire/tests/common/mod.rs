//! Shared proptest strategies for the integration tests.
#![allow(dead_code, missing_docs, unreachable_pub)]

pub mod causes;
pub mod chunks;
pub mod params;

//! The body of the `packet` fuzz target, shared with the seed-corpus test
//! in `sctp-wire/tests/fuzz_corpus.rs` so CI runs it without cargo-fuzz.
#![forbid(unsafe_code)]

include!("exercise.rs");

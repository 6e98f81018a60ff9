//! # sctp-sim
//!
//! A deterministic discrete-event network simulator that runs real
//! [`sctp_core::Association`]s — no mock of the protocol — through
//! impaired links, checks invariants on every run and reports what
//! happened (DESIGN.md §5).
//!
//! - [`engine`]: virtual time, one event heap ordered by (time, sequence
//!   number), stall detection; one seed decides every random choice and
//!   the [`trace`] hash proves that a run repeats bit for bit;
//! - [`link`] and [`loss`]: bandwidth, propagation delay, jitter, a
//!   bottleneck queue (drop-tail or [`codel`]) shared by the flows on a link, Bernoulli
//!   and Gilbert-Elliott loss, reordering, duplication, corruption,
//!   outages, MTU — each direction on its own;
//! - [`workload`]: bulk transfers, message streams, request/response,
//!   scripted shutdowns and aborts;
//! - a tap ([`Simulation::with_tap`]) that sees, and may drop, every
//!   packet sent — a test's packet filter, or the [`pcap`] writer;
//! - [`invariants`]: every message delivered exactly once, byte-exact, in
//!   order on ordered streams; no flow stuck; every corrupted packet
//!   caught by the CRC32c;
//! - [`scenario`]: TOML scenario files; [`suite`] the built-in set and
//!   parameter sweeps; [`report`] and [`plot`] tables, CSV and SVG.
//!
//! ## Example
//!
//! ```
//! use sctp_sim::{Scenario, Simulation};
//! use std::time::Instant;
//!
//! let scenario = Scenario::from_toml("example", r#"
//!     name = "example"
//!     duration_ms = 10000
//!     [[links]]
//!     name = "path"
//!     forward = { bandwidth_mbps = 10, delay_ms = 10, queue_bytes = 30000 }
//!     [[associations]]
//!     name = "bulk"
//!     link = "path"
//!     workload = { kind = "bulk", bytes = 200000 }
//! "#)?;
//! # #[allow(clippy::disallowed_methods)]
//! let base = Instant::now(); // any instant: virtual time 0 maps to it
//! let report = Simulation::new(scenario.compile()?, base).run(&mut |_| {});
//! assert!(report.passed(), "{:?}", report.failure);
//! assert_eq!(report.flows[0].bytes_delivered, 200_000);
//! # Ok::<(), sctp_sim::ScenarioError>(())
//! ```
#![forbid(unsafe_code)]

pub mod codel;
pub mod engine;
mod error;
pub mod invariants;
pub mod link;
pub mod loss;
pub mod pcap;
pub mod plot;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod suite;
pub mod trace;
pub mod workload;

pub use engine::{SimSetup, Simulation, Tapped};
pub use error::{FieldError, ScenarioError};
pub use report::{RunFailure, RunReport};
pub use scenario::{CcChoice, Scenario};

use serde::{Deserialize, Serialize};
use std::fmt;

/// One end of a flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Sends the INIT; its packets use the link's forward direction.
    #[default]
    Client = 0,
    /// Answers; its packets use the reverse direction.
    Server = 1,
}

impl Side {
    /// The other end.
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Client => "client",
            Side::Server => "server",
        })
    }
}

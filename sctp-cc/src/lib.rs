//! # sctp-cc
//!
//! Congestion control for the SCTP association of this workspace, behind
//! one object-safe trait, [`CongestionController`], built per association
//! by a [`CongestionControllerFactory`]. Controllers see bytes and times,
//! never TSNs, chunks or timers, and never read a clock: the association
//! passes `now` into every call (DESIGN.md §3).
//!
//! - [`Rfc9260`]: slow start, congestion avoidance with
//!   partial_bytes_acked, fast recovery, T3-rtx collapse and idle cwnd
//!   validation, as RFC 9260 §7.2 states them.
//! - [`Bbr`]: BBR v1's model of the path (maximum delivery rate over ten
//!   round trips, minimum RTT over ten seconds) and its Startup, Drain,
//!   ProbeBW and ProbeRTT states, pacing at the estimated bandwidth, with
//!   BBR v2's bound on the flight when a probe loses too much; random
//!   loss does not shrink its window.
//! - [`FixedWindow`]: a constant window, for tests.
//! - [`DeliveryRateEstimator`]: delivery-rate samples for model-based
//!   controllers, and windowed [`filter`]s over time or round counts.
//!
//! ## Writing a controller
//!
//! A controller outside this crate implements the trait; a closure serves
//! as its factory:
//!
//! ```
//! use sctp_cc::{
//!     AckEvent, CongestionController, CongestionControllerFactory, CongestionEvent,
//!     PathParams, SentPacket,
//! };
//! use std::time::Instant;
//!
//! /// Adds one MTU per SACK that acknowledges data, halves on loss.
//! #[derive(Debug)]
//! struct Aimd {
//!     cwnd: usize,
//!     mtu: usize,
//! }
//!
//! impl CongestionController for Aimd {
//!     fn on_packet_sent(&mut self, _: &SentPacket) {}
//!     fn on_ack(&mut self, ack: &AckEvent) {
//!         if ack.newly_acked() > 0 {
//!             self.cwnd += self.mtu;
//!         }
//!     }
//!     fn on_congestion(&mut self, _: Instant, _: CongestionEvent, _: usize) {
//!         self.cwnd = (self.cwnd / 2).max(self.mtu);
//!     }
//!     fn on_recovery_exit(&mut self, _: Instant) {}
//!     fn on_idle(&mut self, _: Instant) {}
//!     fn on_mtu_change(&mut self, _: Instant, mtu: usize) {
//!         self.mtu = mtu;
//!         self.cwnd = self.cwnd.max(mtu);
//!     }
//!     fn cwnd(&self) -> usize {
//!         self.cwnd
//!     }
//!     fn fast_retransmit_budget(&self) -> usize {
//!         self.mtu
//!     }
//!     fn name(&self) -> &'static str {
//!         "aimd"
//!     }
//! }
//!
//! let factory = |path: &PathParams| -> Box<dyn CongestionController> {
//!     Box::new(Aimd { cwnd: 4 * path.mtu, mtu: path.mtu })
//! };
//! let mut cc = factory.build(&PathParams { mtu: 1200, peer_rwnd: 1 << 20 });
//! # #[allow(clippy::disallowed_methods)]
//! let now = Instant::now();
//! cc.on_congestion(now, CongestionEvent::Timeout, 4800);
//! assert_eq!(cc.cwnd(), 2400);
//! assert_eq!(cc.name(), "aimd");
//! ```
#![forbid(unsafe_code)]

mod bbr;
mod controller;
pub mod filter;
mod fixed;
pub mod rate;
mod rfc9260;

pub use bbr::{Bbr, BbrConfig, BbrState};
pub use controller::{
    AckEvent, CongestionController, CongestionControllerFactory, CongestionEvent, PathParams,
    SentPacket,
};
pub use fixed::FixedWindow;
pub use rate::{DeliveryRateEstimator, RateSample, SendSnapshot};
pub use rfc9260::{Rfc9260, Rfc9260Config};

//! # sctp-core
//!
//! The sans-IO SCTP association (RFC 9260): the caller passes received
//! datagrams and the current time in, and takes out datagrams to send,
//! the next timeout and events. No sockets, no threads, no clock: see
//! [`Association`] for the contract, and DESIGN.md §4.
//!
//! What works so far: the four-way handshake with an HMAC-SHA256 state
//! cookie so a server keeps no state for an INIT (RFC 9260 §5.1, §5.1.3),
//! T1-init and T1-cookie retransmission with back-off and
//! Max.Init.Retransmits, stream-count negotiation, verification-tag
//! checks (§8.5), the upper-bit rules for unrecognized chunks and INIT
//! parameters (§3.2), HEARTBEAT answers (§8.3), and ABORT in both
//! directions (§9.1). User data, SACK, retransmission, shutdown and
//! handshake collisions (§5.2) are the next steps.
//!
//! ## Example
//!
//! Two associations talking in memory:
//!
//! ```
//! use sctp_core::{Association, Config, Event, SeededRandom, State};
//! use std::time::{Duration, Instant};
//!
//! # #[allow(clippy::disallowed_methods)]
//! let mut now = Instant::now();
//! let mut client = Association::client(Config::default(), now, Box::new(SeededRandom::new(1)));
//! let mut server = Association::server(Config::default(), now, Box::new(SeededRandom::new(2)));
//! // Four packets cross: INIT, INIT ACK, COOKIE ECHO, COOKIE ACK.
//! for _ in 0..4 {
//!     now += Duration::from_millis(10);
//!     while let Some(d) = client.poll_transmit(now) {
//!         server.handle_datagram(now, d);
//!     }
//!     while let Some(d) = server.poll_transmit(now) {
//!         client.handle_datagram(now, d);
//!     }
//! }
//! assert_eq!(client.state(), State::Established);
//! assert_eq!(server.state(), State::Established);
//! assert_eq!(client.poll_event(), Some(Event::Connected));
//! ```
#![forbid(unsafe_code)]

mod association;
mod config;
mod cookie;
mod random;
mod timer;

pub use association::{Association, CloseReason, Event, Role, State, Stats};
pub use config::Config;
pub use random::{RandomSource, SeededRandom};

//! # sctp-core
//!
//! The sans-IO SCTP association (RFC 9260): the caller passes received
//! datagrams and the current time in, and takes out datagrams to send,
//! the next timeout and events. No sockets, no threads, no clock: see
//! [`Association`] for the contract, and DESIGN.md §4.
//!
//! What works so far:
//! - the four-way handshake with an HMAC-SHA256 state cookie, so a server
//!   keeps no state for an INIT (RFC 9260 §5.1, §5.1.3); T1-init and
//!   T1-cookie retransmission with back-off and Max.Init.Retransmits;
//!   stream-count negotiation; INIT collisions and peer restarts with
//!   tie-tags (§5.2); verification tags (§8.5) and out-of-the-blue
//!   packets (§8.4); the upper-bit rules for
//!   unrecognized chunks and INIT parameters (§3.2);
//! - reliable transfer: [`Association::send`] queues messages; packets
//!   are built in [`Association::poll_transmit`], bundling messages and
//!   cutting into DATA chunks only what does not fit a packet (§6.9,
//!   §6.10), within the congestion window of an `sctp-cc` controller,
//!   the peer's window and Max.Burst (§6.1); [`Association::read`] returns
//!   whole messages, ordered per stream or unordered (§6.5), from a
//!   bounded receive buffer, as a [`Payload`] of the received fragments
//!   (no copy); a full buffer reneges to take a gap-filling chunk (§6.2);
//! - SACK with gap blocks and duplicate TSNs, delayed by up to 200 ms
//!   (§6.2); RTO per RFC 6298 (§6.3.1); T3-rtx with back-off (§6.3.3);
//!   fast retransmit and fast recovery (§7.2.4); Karn's rule; zero-window
//!   probing (§6.1); Association.Max.Retrans (§8.1);
//! - graceful shutdown with T2-shutdown and the guard timer (§9.2),
//!   ABORT in both directions (§9.1);
//! - received FORWARD TSN (RFC 3758 §3.6); heartbeats on an idle
//!   association with RTT measurement, and answers to the peer's (§8.3);
//! - partial reliability (RFC 3758): [`Association::send_with`] and a
//!   [`Reliability`] (`Rexmit`, `Timed`) give messages up whole, and a
//!   FORWARD TSN moves the peer past them; DCEP messages stay reliable;
//! - stream reset (RFC 6525), how WebRTC closes a data channel:
//!   [`Association::reset_streams`] after the stream's queued data, and
//!   the peer's resets performed once the data before them has arrived;
//! - zero checksum (RFC 9653) where DTLS carries the packets
//!   ([`Config::zero_checksum`]);
//! - per-stream buffered amounts with a low-water threshold and
//!   [`Event::BufferedAmountLow`] (pion's `BufferedAmount`,
//!   `OnBufferedAmountLow`), and WebRTC's empty messages (RFC 8831 §6.6).
//!
//! Costs: an idle established association holds about 1.9 KB of heap
//! (`examples/idle_memory.rs`; the test `tests/idle_memory.rs` holds it
//! under 2.3 KB), and one that falls idle after a transfer gives back its
//! buffers. `benches/pair.rs` moves 64 MiB between two associations in
//! memory, and the same through sctp-proto beside them (figures in the
//! workspace README).
//!
//! - stream schedulers (RFC 8260 §3): first come first served, round
//!   robin, weighted fair queueing ([`Config::scheduler`],
//!   [`Association::set_stream_weight`]);
//! - message interleaving (RFC 8260, [`Config::interleaving`]): I-DATA
//!   and I-FORWARD TSN once both sides list them, so a large message on
//!   one stream no longer holds back the others;
//! - SNAP (draft-hancke-tsvwg-snap): [`Association::snap`] and its tokens
//!   replace the handshake when the INITs cross in SDP.
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
mod buffered;
mod config;
mod cookie;
mod interleaved;
mod pacing;
mod payload;
mod rack;
mod random;
mod reassembly;
mod rto;
mod send;
mod send_queue;
mod stream_hash;
mod timer;
mod tracker;

pub use association::{
    Association, CloseReason, Event, ReceivedMessage, Reliability, ResetError, Role, SendError,
    SnapError, State, Stats, TransferCounters, TransferStats,
};
pub use config::Config;
pub use payload::Payload;
pub use rack::LossDetection;
pub use random::{RandomSource, SeededRandom};
pub use send_queue::Scheduler;

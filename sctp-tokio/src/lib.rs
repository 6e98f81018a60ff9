//! # sctp-tokio
//!
//! Drives [`sctp_core`] associations on Tokio (DESIGN.md §6): one task per
//! association feeds it datagrams and timer expiries under a short-held
//! lock and sends what it produces, while the API mirrors pion/sctp's in
//! Rust form.
//!
//! - [`Transport`]: the datagram seam. [`UdpTransport`] is a connected UDP
//!   socket carrying SCTP packets as UDP payloads (RFC 6951), the form
//!   pion/sctp and usrsctp use; [`MemoryTransport`] is an in-memory pair
//!   for tests; a DTLS connection fits the same trait (RFC 8261).
//! - [`Association`]: [`client`](Association::client) /
//!   [`server`](Association::server) wait until established;
//!   [`open_stream`](Association::open_stream),
//!   [`accept_stream`](Association::accept_stream), byte counters and
//!   statistics, graceful [`close`](Association::close) and
//!   [`abort`](Association::abort).
//! - [`Stream`]: one message per [`read_sctp`](Stream::read_sctp) (with its
//!   PPID); [`write_sctp`](Stream::write_sctp) waits while the send buffer
//!   is full instead of growing memory.
//! - [`Endpoint`]: many server associations on one UDP socket,
//!   demultiplexed by peer address.
//! - [`Error`]: closed, aborted with the peer's causes, timed out,
//!   message too large, invalid stream, buffer too small.
//!
//! Not yet, for want of sctp-core support (its issue 7): partial
//! reliability ([`Stream::set_reliability_params`] refuses it), closing a
//! single stream with a stream reset (RFC 6525), per-stream buffered
//! amounts and their low-threshold notification, zero checksum (RFC 9653).
//!
//! ## Example
//!
//! ```
//! use sctp_tokio::{Association, Config, MemoryTransport, Ppid};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), sctp_tokio::Error> {
//! let (a, b) = MemoryTransport::pair();
//! let server = tokio::spawn(async move {
//!     let association = Association::server(b, Config::default()).await?;
//!     let stream = association.accept_stream().await?;
//!     let mut buf = [0u8; 64];
//!     let (n, ppid) = stream.read_sctp(&mut buf).await?;
//!     stream.write_sctp(&buf[..n], ppid).await?; // echo
//!     association.closed().await;
//!     Ok::<_, sctp_tokio::Error>(())
//! });
//!
//! let client = Association::client(a, Config::default()).await?;
//! let stream = client.open_stream(1, Ppid(51))?;
//! stream.write(b"hello").await?;
//! let mut buf = [0u8; 64];
//! let (n, ppid) = stream.read_sctp(&mut buf).await?;
//! assert_eq!((&buf[..n], ppid), (&b"hello"[..], Ppid(51)));
//! client.close().await?;
//! server.await.unwrap()?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod association;
mod driver;
mod endpoint;
mod error;
mod random;
mod stream;
mod transport;

pub use association::Association;
pub use endpoint::Endpoint;
pub use error::{Error, Result};
pub use random::OsRandom;
pub use sctp_core::{CloseReason, Config, Stats, TransferStats};
pub use sctp_wire::{ErrorCause, Ppid};
pub use stream::{ReliabilityType, Stream};
pub use transport::{MemoryTransport, Transport, UdpTransport, SOCKET_BUFFER};

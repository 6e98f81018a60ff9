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
//!   for tests; a DTLS connection fits the same trait (RFC 8261). The
//!   driver moves packets in batches; over UDP a batch takes one system
//!   call each way where the system allows (GSO, GRO, `recvmmsg`).
//! - [`Association`]: [`client`](Association::client) /
//!   [`server`](Association::server) wait until established;
//!   [`open_stream`](Association::open_stream),
//!   [`accept_stream`](Association::accept_stream), byte counters and
//!   statistics, graceful [`close`](Association::close) and
//!   [`abort`](Association::abort).
//! - [`Stream`]: one message per [`read_sctp`](Stream::read_sctp) (with its
//!   PPID); [`write_sctp`](Stream::write_sctp) waits while the send buffer
//!   is full instead of growing memory;
//!   [`set_reliability_params`](Stream::set_reliability_params) for
//!   unordered and partially reliable messages (RFC 3758: a number of
//!   retransmissions or a lifetime); [`close`](Stream::close) ends our
//!   direction with a stream reset (RFC 6525), after which the peer's
//!   reader gets [`Error::EndOfStream`] (see [`Stream`] for the two
//!   directions, dropping, and using an id again);
//!   [`buffered_amount`](Stream::buffered_amount) per stream with a low
//!   threshold, a callback ([`on_buffered_amount_low`](Stream::on_buffered_amount_low))
//!   and its awaitable form ([`buffered_amount_low`](Stream::buffered_amount_low));
//!   WebRTC's empty messages (RFC 8831 §6.6).
//! - [`StreamIo`] ([`Stream::into_io`]): a stream as Tokio's `AsyncRead` +
//!   `AsyncWrite`, for byte-stream users; its end of file is the peer's
//!   close, its shutdown our close.
//! - [`Endpoint`]: many server associations on one UDP socket,
//!   demultiplexed by peer address.
//! - [`Snap`]: SNAP (draft-hancke-tsvwg-snap), an association started
//!   established from two INITs exchanged in SDP, without the handshake.
//! - [`Error`]: closed, aborted with the peer's causes, timed out,
//!   end of stream, stream closed, reset refused, message too large,
//!   invalid stream, buffer too small; it converts into [`std::io::Error`].
//!
//! Zero checksum (RFC 9653, for packets inside DTLS) is
//! [`Config::zero_checksum`] on both sides.
//!
//! ## Examples
//!
//! `examples/echo_server.rs` and `examples/echo_client.rs` talk over UDP
//! on loopback:
//!
//! ```text
//! cargo run -p sctp-tokio --example echo_server -- 127.0.0.1:5000
//! cargo run -p sctp-tokio --example echo_client -- 127.0.0.1:5000 hello world
//! ```
//!
//! The server echoes every message on every stream and closes a stream
//! when the client closes it; the client sends its arguments as messages
//! on one stream, closes it, prints the echoes up to the end of the
//! stream and checks them (`tests/examples.rs` runs the pair, and
//! `cargo xtask interop` runs them against pion/sctp).
//!
//! ## In short
//!
//! ```
//! use sctp_tokio::{Association, Config, Error, MemoryTransport, Ppid};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), sctp_tokio::Error> {
//! let (a, b) = MemoryTransport::pair();
//! let server = tokio::spawn(async move {
//!     let association = Association::server(b, Config::default()).await?;
//!     let stream = association.accept_stream().await?;
//!     let mut buf = [0u8; 64];
//!     loop {
//!         match stream.read_sctp(&mut buf).await {
//!             Ok((n, ppid)) => stream.write_sctp(&buf[..n], ppid).await?, // echo
//!             Err(Error::EndOfStream) => break, // the client closed it
//!             Err(e) => return Err(e),
//!         };
//!     }
//!     stream.close().await?; // our direction too, as WebRTC does
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
//! stream.close().await?;
//! assert!(matches!(stream.read(&mut buf).await, Err(Error::EndOfStream)));
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
mod snap;
mod stream;
mod transport;
mod udp;

pub use association::Association;
pub use endpoint::Endpoint;
pub use error::{Error, Result};
pub use random::OsRandom;
/// Congestion controllers for [`Config::congestion`]: the RFC 9260 one
/// (the default) and BBR, which paces.
pub use sctp_cc::{BbrConfig, Rfc9260Config};
pub use sctp_core::{CloseReason, Config, Scheduler, Stats, TransferStats};
pub use sctp_wire::{ErrorCause, Ppid, ReconfigResult};
pub use snap::Snap;
pub use stream::{ReliabilityType, Stream, StreamIo};
pub use transport::{MemoryTransport, Transport, UdpTransport};
pub use udp::SOCKET_BUFFER;

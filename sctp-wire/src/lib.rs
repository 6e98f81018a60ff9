//! # sctp-wire
//!
//! The SCTP packet and chunk codec of this workspace: zero-copy parsing
//! over [`bytes::Bytes`], serialisation, CRC32c and validation, with no I/O
//! and no state. It covers RFC 9260 and the extensions a WebRTC data
//! channel stack meets: PR-SCTP (RFC 3758), stream reconfiguration
//! (RFC 6525), I-DATA (RFC 8260), PAD (RFC 4820), supported extensions
//! (RFC 5061) and zero checksum (RFC 9653).
//!
//! ## The contract
//!
//! Decoding never panics, whatever the input, and never allocates in
//! proportion to a length field it has not checked against the buffer.
//! Every length is checked against its container and its element's
//! minimum before a byte of the value is read; a bad one is a
//! [`WireError`] that names the element and its byte offset in the packet.
//!
//! ## Two stages
//!
//! [`Packet::decode`] checks the common header, the checksum and the
//! framing of every chunk, allocating nothing. Then [`Packet::chunks`]
//! decodes each chunk into a typed [`Chunk`]; parameters ([`Param`]) and
//! error causes ([`ErrorCause`]) inside chunks follow the same pattern.
//! User data, cookies and other opaque values are slices of the received
//! datagram, never copies. Types this crate does not know are kept whole
//! as `Unknown` with their type, so the association can apply the action
//! their upper bits ask for ([`ChunkType::unrecognized_action`]).
//!
//! ## Example
//!
//! ```
//! use bytes::Bytes;
//! use sctp_wire::{
//!     ChecksumCheck, ChecksumMode, Chunk, CommonHeader, DataChunk, Packet, PacketBuilder,
//!     Ppid, Ssn, StreamId, Tsn,
//! };
//!
//! // Build a packet holding one DATA chunk.
//! let data = DataChunk {
//!     tsn: Tsn(1),
//!     stream_id: StreamId(0),
//!     ssn: Ssn(0),
//!     ppid: Ppid::STRING,
//!     unordered: false,
//!     beginning: true,
//!     ending: true,
//!     immediate_sack: false,
//!     payload: Bytes::from_static(b"hello"),
//! };
//! let mut builder = PacketBuilder::new(CommonHeader::new(5000, 5000, 0xfeed_beef), 1200)?;
//! builder.push(&data)?;
//! let datagram = builder.finish(ChecksumMode::Crc32c);
//!
//! // Decode it again: the payload is a slice of `datagram`.
//! let packet = Packet::decode(datagram, ChecksumCheck::Required)?;
//! for chunk in packet.chunks() {
//!     match chunk? {
//!         Chunk::Data(d) => assert_eq!(&d.payload[..], b"hello"),
//!         other => panic!("unexpected {other}"),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
// Denied, not forbidden: the x86-64 CRC32c (`checksum::folded`) needs one
// `unsafe` call into a `#[target_feature]` function, allowed there alone.
#![deny(unsafe_code)]

mod builder;
pub mod cause;
mod checksum;
pub mod chunk;
mod error;
mod header;
mod packet;
pub mod param;
mod serial;
mod tlv;
mod types;

pub use builder::{PacketBuilder, MIN_MTU};
pub use cause::ErrorCause;
pub use checksum::{crc32c, crc32c_is_accelerated, crc32c_software, ChecksumCheck, ChecksumMode};
pub use chunk::{
    Abort, Chunk, ChunkEncode, CookieEcho, DataChunk, ForwardTsn, ForwardTsnChunk, ForwardTsnEntry,
    ForwardTsnStream, GapAckBlock, Heartbeat, IDataChunk, IDataFragment, IForwardTsn,
    IForwardTsnStream, Init, OperationError, Pad, Reconfig, Sack, Shutdown, ShutdownComplete,
};
pub use error::{BuildError, Element, WireError};
pub use header::{CommonHeader, COMMON_HEADER_LEN};
pub use packet::Packet;
pub use param::{Param, ReconfigResult, EDMID_DTLS};
pub use serial::{Fsn, Mid, Ppid, Ssn, StreamId, Tsn};
pub use tlv::{padded, Encode, IntoRawChunks, Packed, PackedList, RawChunk, RawChunks, RawTlv};
pub use types::{CauseCode, ChunkType, ParamType, UnrecognizedAction};

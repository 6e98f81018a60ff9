//! The one error type of the codec.

use crate::types::{CauseCode, ChunkType, ParamType};
use std::fmt;

/// The packet element an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Element {
    /// The 12-byte common header (RFC 9260 §3.1).
    CommonHeader,
    /// A chunk of the given type (RFC 9260 §3.2).
    Chunk(ChunkType),
    /// A parameter of the given type (RFC 9260 §3.2.1).
    Param(ParamType),
    /// An error cause with the given code (RFC 9260 §3.3.10).
    Cause(CauseCode),
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Element::CommonHeader => f.write_str("common header"),
            Element::Chunk(t) => write!(f, "{t} chunk"),
            Element::Param(t) => write!(f, "{t} parameter"),
            Element::Cause(c) => write!(f, "{c} error cause"),
        }
    }
}

/// Why a datagram could not be decoded.
///
/// Every variant names the element that was wrong and, where it has one,
/// the byte offset of that element from the start of the packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The datagram cannot hold the common header.
    #[error("packet of {len} bytes is shorter than the 12-byte common header")]
    PacketTooShort {
        /// Length of the datagram.
        len: usize,
    },
    /// The common header is followed by no chunk (RFC 9260 §3: one or more chunks).
    #[error("packet carries no chunk after its common header")]
    NoChunks,
    /// The CRC32c in the common header does not match the packet (RFC 9260 §6.8).
    #[error("checksum mismatch: packet carries {received:#010x}, computed {computed:#010x}")]
    ChecksumMismatch {
        /// Checksum carried by the packet.
        received: u32,
        /// Checksum computed over the packet.
        computed: u32,
    },
    /// The checksum field is zero but the caller did not allow zero checksums (RFC 9653 §5.2).
    #[error("checksum is zero but zero checksum was not negotiated (RFC 9653)")]
    ZeroChecksumNotAllowed,
    /// A length field is below the element's minimum.
    #[error("{element} at byte {offset}: length {length} is below its minimum of {min}")]
    TooShort {
        /// The element whose length is wrong.
        element: Element,
        /// Offset of the element from the start of the packet.
        offset: usize,
        /// The length found.
        length: usize,
        /// The smallest valid length.
        min: usize,
    },
    /// A length field runs past the end of the enclosing buffer.
    #[error("{element} at byte {offset}: length {length} runs past its container, which has {available} bytes left")]
    Truncated {
        /// The element whose length is wrong.
        element: Element,
        /// Offset of the element from the start of the packet.
        offset: usize,
        /// The length found (or the header size when not even a header fits).
        length: usize,
        /// Bytes left in the container from `offset`.
        available: usize,
    },
    /// A length that does not fit the element's layout (a fixed size or a multiple).
    #[error("{element} at byte {offset}: length {length} is invalid: {reason}")]
    BadLength {
        /// The element whose length is wrong.
        element: Element,
        /// Offset of the element from the start of the packet.
        offset: usize,
        /// The length found.
        length: usize,
        /// What the length must be.
        reason: &'static str,
    },
    /// A field holds a value the element does not allow.
    #[error("{element} at byte {offset}: {reason}")]
    Invalid {
        /// The element holding the bad value.
        element: Element,
        /// Offset of the element from the start of the packet.
        offset: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Why a chunk could not be added to a packet under construction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The chunk does not fit in the room left; it may fit in a fresh packet.
    #[error("{chunk} chunk of {needed} bytes does not fit: {remaining} bytes left in the packet")]
    PacketFull {
        /// The chunk that was refused.
        chunk: ChunkType,
        /// Its padded size.
        needed: usize,
        /// Room left below the MTU.
        remaining: usize,
    },
    /// The chunk is longer than its 16-bit Length field can say (RFC 9260 §3.2).
    #[error(
        "{chunk} chunk of {length} bytes exceeds the 65535 bytes its Length field can express"
    )]
    ChunkTooLong {
        /// The chunk that was refused.
        chunk: ChunkType,
        /// Its length, header included.
        length: usize,
    },
    /// The chunk cannot fit even in an empty packet of this MTU.
    #[error("{chunk} chunk of {needed} bytes exceeds the MTU of {mtu} bytes")]
    ChunkTooLarge {
        /// The chunk that was refused.
        chunk: ChunkType,
        /// Its padded size plus the common header.
        needed: usize,
        /// The builder's MTU.
        mtu: usize,
    },
    /// INIT, INIT ACK and SHUTDOWN COMPLETE travel alone (RFC 9260 §6.10).
    #[error("{chunk} chunk must be the only chunk in its packet")]
    MustBeAlone {
        /// The chunk (or the chunk already in the packet) that forbids bundling.
        chunk: ChunkType,
    },
    /// The MTU is too small for a common header and the smallest chunk.
    #[error("MTU of {mtu} bytes is below the minimum of {min}")]
    MtuTooSmall {
        /// The MTU asked for.
        mtu: usize,
        /// The smallest MTU accepted.
        min: usize,
    },
}

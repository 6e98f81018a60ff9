//! FORWARD TSN (RFC 3758 §3.2, <https://www.rfc-editor.org/rfc/rfc3758#section-3.2>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 192  |  Flags = 0x00 |        Length = Variable      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      New Cumulative TSN                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Stream-1              |       Stream Sequence-1       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               /
//! /                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::need;
use crate::error::{Element, WireError};
use crate::serial::{Ssn, StreamId, Tsn};
use crate::tlv::{be16, be32, Packed, PackedList};
use crate::types::ChunkType;
use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;

/// One stream entry of a FORWARD TSN: the highest SSN skipped on an
/// ordered stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ForwardTsnStream {
    /// The stream.
    pub stream_id: StreamId,
    /// The largest SSN abandoned on it.
    pub ssn: Ssn,
}

impl Packed for ForwardTsnStream {
    const SIZE: usize = 4;
    fn read(b: &[u8]) -> Self {
        ForwardTsnStream {
            stream_id: StreamId(be16(b, 0)),
            ssn: Ssn(be16(b, 2)),
        }
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u16(self.stream_id.0);
        buf.put_u16(self.ssn.0);
    }
}

/// A stream entry of a forward-TSN chunk: [`ForwardTsnStream`] for FORWARD
/// TSN, [`crate::IForwardTsnStream`] for I-FORWARD TSN.
pub trait ForwardTsnEntry: Packed {
    /// The chunk type that carries this kind of entry.
    const CHUNK: ChunkType;
    /// What the chunk's length must be, for the error message.
    const LENGTH_RULE: &'static str;
}

impl ForwardTsnEntry for ForwardTsnStream {
    const CHUNK: ChunkType = ChunkType::FORWARD_TSN;
    const LENGTH_RULE: &'static str = "must be 8 + 4 × stream entries";
}

/// A FORWARD TSN or I-FORWARD TSN chunk: the two share one layout, a new
/// cumulative TSN followed by fixed-size stream entries, and differ in the
/// entry type `E`.
#[derive(Clone, PartialEq, Eq)]
pub struct ForwardTsnChunk<E> {
    /// The receiver moves its cumulative TSN to this value.
    pub new_cum_tsn: Tsn,
    /// The streams whose messages the skipped TSNs carried.
    pub streams: PackedList<E>,
}

/// A FORWARD TSN chunk (RFC 3758 §3.2): ordered streams and their skipped SSNs.
pub type ForwardTsn = ForwardTsnChunk<ForwardTsnStream>;

impl<E: ForwardTsnEntry + fmt::Debug> fmt::Debug for ForwardTsnChunk<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(E::CHUNK.name().unwrap_or("FORWARD TSN"))
            .field("new_cum_tsn", &self.new_cum_tsn)
            .field("streams", &self.streams)
            .finish()
    }
}

impl<E: ForwardTsnEntry> ForwardTsnChunk<E> {
    pub(crate) fn value_len(&self) -> usize {
        4 + self.streams.byte_len()
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        buf.put_u32(self.new_cum_tsn.0);
        buf.put_slice(self.streams.as_bytes());
    }

    pub(crate) fn decode(value: &Bytes, offset: usize) -> Result<Self, WireError> {
        need(E::CHUNK, value.len(), offset, 4)?;
        let streams = PackedList::from_bytes(value.slice(4..)).ok_or(WireError::BadLength {
            element: Element::Chunk(E::CHUNK),
            offset,
            length: value.len() + 4,
            reason: E::LENGTH_RULE,
        })?;
        Ok(ForwardTsnChunk {
            new_cum_tsn: Tsn(be32(value, 0)),
            streams,
        })
    }
}

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

/// A FORWARD TSN chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardTsn {
    /// The receiver moves its cumulative TSN to this value.
    pub new_cum_tsn: Tsn,
    /// Ordered streams whose SSNs the skipped TSNs carried.
    pub streams: PackedList<ForwardTsnStream>,
}

impl ForwardTsn {
    pub(crate) fn value_len(&self) -> usize {
        4 + self.streams.byte_len()
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        buf.put_u32(self.new_cum_tsn.0);
        buf.put_slice(self.streams.as_bytes());
    }

    pub(crate) fn decode(value: &Bytes, offset: usize) -> Result<Self, WireError> {
        need(ChunkType::FORWARD_TSN, value.len(), offset, 4)?;
        let streams = PackedList::from_bytes(value.slice(4..)).ok_or(WireError::BadLength {
            element: Element::Chunk(ChunkType::FORWARD_TSN),
            offset,
            length: value.len() + 4,
            reason: "must be 8 + 4 × stream entries",
        })?;
        Ok(ForwardTsn {
            new_cum_tsn: Tsn(be32(value, 0)),
            streams,
        })
    }
}

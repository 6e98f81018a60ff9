//! I-FORWARD TSN (RFC 8260 §2.3.1, <https://www.rfc-editor.org/rfc/rfc8260#section-2.3.1>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 194  |  Flags = 0x00 |      Length = Variable        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      New Cumulative TSN                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |       Stream Identifier       |          Reserved           |U|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Message Identifier                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               \
//! /                                                               /
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::need;
use crate::error::{Element, WireError};
use crate::serial::{Mid, StreamId, Tsn};
use crate::tlv::{be16, be32, Packed, PackedList};
use crate::types::ChunkType;
use bytes::{BufMut, Bytes, BytesMut};

/// One entry of an I-FORWARD TSN: the highest MID skipped on a stream,
/// for its ordered or its unordered messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IForwardTsnStream {
    /// The stream.
    pub stream_id: StreamId,
    /// U bit: the entry is about unordered messages.
    pub unordered: bool,
    /// The largest MID abandoned.
    pub mid: Mid,
}

impl Packed for IForwardTsnStream {
    const SIZE: usize = 8;
    fn read(b: &[u8]) -> Self {
        IForwardTsnStream {
            stream_id: StreamId(be16(b, 0)),
            unordered: be16(b, 2) & 1 != 0,
            mid: Mid(be32(b, 4)),
        }
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u16(self.stream_id.0);
        buf.put_u16(u16::from(self.unordered));
        buf.put_u32(self.mid.0);
    }
}

/// An I-FORWARD TSN chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IForwardTsn {
    /// The receiver moves its cumulative TSN to this value.
    pub new_cum_tsn: Tsn,
    /// Streams whose messages the skipped TSNs carried.
    pub streams: PackedList<IForwardTsnStream>,
}

impl IForwardTsn {
    pub(crate) fn value_len(&self) -> usize {
        4 + self.streams.byte_len()
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        buf.put_u32(self.new_cum_tsn.0);
        buf.put_slice(self.streams.as_bytes());
    }

    pub(crate) fn decode(value: &Bytes, offset: usize) -> Result<Self, WireError> {
        need(ChunkType::I_FORWARD_TSN, value.len(), offset, 4)?;
        let streams = PackedList::from_bytes(value.slice(4..)).ok_or(WireError::BadLength {
            element: Element::Chunk(ChunkType::I_FORWARD_TSN),
            offset,
            length: value.len() + 4,
            reason: "must be 8 + 8 × stream entries",
        })?;
        Ok(IForwardTsn {
            new_cum_tsn: Tsn(be32(value, 0)),
            streams,
        })
    }
}

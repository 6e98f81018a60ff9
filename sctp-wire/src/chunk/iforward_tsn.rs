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

use super::forward_tsn::{ForwardTsnChunk, ForwardTsnEntry};
use crate::serial::{Mid, StreamId};
use crate::tlv::{be16, be32, Packed};
use crate::types::ChunkType;
use bytes::{BufMut, BytesMut};

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

impl ForwardTsnEntry for IForwardTsnStream {
    const CHUNK: ChunkType = ChunkType::I_FORWARD_TSN;
    const LENGTH_RULE: &'static str = "must be 8 + 8 × stream entries";
}

/// An I-FORWARD TSN chunk (RFC 8260 §2.3.1): streams and the highest MID
/// skipped on each, for ordered or unordered messages.
pub type IForwardTsn = ForwardTsnChunk<IForwardTsnStream>;

//! I-DATA (RFC 8260 §2.1, <https://www.rfc-editor.org/rfc/rfc8260#section-2.1>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 64   |  Res  |I|U|B|E|       Length = Variable       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              TSN                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Stream Identifier      |           Reserved            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Message Identifier                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Payload Protocol Identifier / Fragment Sequence Number     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               \
//! /                           User Data                           /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::data::{FLAG_BEGINNING, FLAG_ENDING, FLAG_IMMEDIATE, FLAG_UNORDERED};
use super::{need, standalone_chunk};
use crate::error::WireError;
use crate::serial::{Fsn, Mid, Ppid, StreamId, Tsn};
use crate::tlv::{be16, be32};
use crate::types::ChunkType;
use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Which fragment of a message an I-DATA chunk carries.
///
/// RFC 8260 §2.1: the first fragment (B bit set) carries the PPID and has
/// an implicit FSN of 0; every other fragment carries its FSN instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IDataFragment {
    /// The first fragment (B bit set), with the message's PPID.
    First {
        /// Payload protocol identifier of the message.
        ppid: Ppid,
    },
    /// A later fragment (B bit clear), with its fragment sequence number.
    Later {
        /// Fragment sequence number, at least 1 for a well-formed message.
        fsn: Fsn,
    },
}

impl IDataFragment {
    /// The fragment sequence number (0 for the first fragment).
    pub fn fsn(self) -> Fsn {
        match self {
            IDataFragment::First { .. } => Fsn(0),
            IDataFragment::Later { fsn } => fsn,
        }
    }
}

/// An I-DATA chunk. `payload` is a slice of the received datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IDataChunk {
    /// Transmission sequence number.
    pub tsn: Tsn,
    /// Stream the message belongs to.
    pub stream_id: StreamId,
    /// Message identifier.
    pub mid: Mid,
    /// First fragment with PPID, or a later one with its FSN; decides the B bit.
    pub fragment: IDataFragment,
    /// U bit: deliver without ordering.
    pub unordered: bool,
    /// E bit: last fragment of a message.
    pub ending: bool,
    /// I bit: the receiver should SACK at once (RFC 7053).
    pub immediate_sack: bool,
    /// The user data.
    pub payload: Bytes,
}

impl IDataChunk {
    /// Whether this is the first fragment of its message (B bit).
    pub fn beginning(&self) -> bool {
        matches!(self.fragment, IDataFragment::First { .. })
    }

    pub(crate) fn flags(&self) -> u8 {
        (if self.immediate_sack {
            FLAG_IMMEDIATE
        } else {
            0
        }) | (if self.unordered { FLAG_UNORDERED } else { 0 })
            | (if self.beginning() { FLAG_BEGINNING } else { 0 })
            | (if self.ending { FLAG_ENDING } else { 0 })
    }

    pub(crate) fn value_len(&self) -> usize {
        16 + self.payload.len()
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        buf.put_u32(self.tsn.0);
        buf.put_u16(self.stream_id.0);
        buf.put_u16(0);
        buf.put_u32(self.mid.0);
        buf.put_u32(match self.fragment {
            IDataFragment::First { ppid } => ppid.0,
            IDataFragment::Later { fsn } => fsn.0,
        });
        buf.put_slice(&self.payload);
    }

    pub(crate) fn decode(flags: u8, mut value: Bytes, offset: usize) -> Result<Self, WireError> {
        need(ChunkType::I_DATA, value.len(), offset, 16)?;
        let word = be32(&value, 12);
        let fragment = if flags & FLAG_BEGINNING != 0 {
            IDataFragment::First { ppid: Ppid(word) }
        } else {
            IDataFragment::Later { fsn: Fsn(word) }
        };
        let (tsn, stream_id, mid) = (
            Tsn(be32(&value, 0)),
            StreamId(be16(&value, 4)),
            Mid(be32(&value, 8)),
        );
        // The payload is the rest of the chunk's slice of the datagram.
        value.advance(16);
        Ok(IDataChunk {
            tsn,
            stream_id,
            mid,
            fragment,
            unordered: flags & FLAG_UNORDERED != 0,
            ending: flags & FLAG_ENDING != 0,
            immediate_sack: flags & FLAG_IMMEDIATE != 0,
            payload: value,
        })
    }
}

standalone_chunk!(IDataChunk, ChunkType::I_DATA);

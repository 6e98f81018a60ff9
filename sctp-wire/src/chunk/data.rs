//! DATA (RFC 9260 §3.3.1, <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.1>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 0    |  Res  |I|U|B|E|           Length              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              TSN                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Stream Identifier S      |   Stream Sequence Number n    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  Payload Protocol Identifier                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               \
//! /                 User Data (seq n of Stream S)                 /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::{need, standalone_chunk};
use crate::error::WireError;
use crate::serial::{Ppid, Ssn, StreamId, Tsn};
use crate::tlv::{be16, be32};
use crate::types::ChunkType;
use bytes::{Buf, BufMut, Bytes, BytesMut};

pub(crate) const FLAG_IMMEDIATE: u8 = 0x08;
pub(crate) const FLAG_UNORDERED: u8 = 0x04;
pub(crate) const FLAG_BEGINNING: u8 = 0x02;
pub(crate) const FLAG_ENDING: u8 = 0x01;

/// A DATA chunk. `payload` is a slice of the received datagram.
///
/// A DATA chunk without user data decodes (its Length is 16): RFC 9260
/// §6.2 asks the association, not the codec, to answer it with an ABORT
/// carrying the "No User Data" cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataChunk {
    /// Transmission sequence number.
    pub tsn: Tsn,
    /// Stream the message belongs to.
    pub stream_id: StreamId,
    /// Stream sequence number (ignored for unordered messages).
    pub ssn: Ssn,
    /// Payload protocol identifier.
    pub ppid: Ppid,
    /// U bit: deliver without ordering.
    pub unordered: bool,
    /// B bit: first fragment of a message.
    pub beginning: bool,
    /// E bit: last fragment of a message.
    pub ending: bool,
    /// I bit: the receiver should SACK at once (RFC 7053).
    pub immediate_sack: bool,
    /// The user data.
    pub payload: Bytes,
}

impl DataChunk {
    pub(crate) fn flags(&self) -> u8 {
        (if self.immediate_sack {
            FLAG_IMMEDIATE
        } else {
            0
        }) | (if self.unordered { FLAG_UNORDERED } else { 0 })
            | (if self.beginning { FLAG_BEGINNING } else { 0 })
            | (if self.ending { FLAG_ENDING } else { 0 })
    }

    pub(crate) fn value_len(&self) -> usize {
        12 + self.payload.len()
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        // One 12-byte write, then the payload: every `put` checks the
        // buffer's capacity, and this is the per-packet hot path.
        let mut head = [0u8; 12];
        head[..4].copy_from_slice(&self.tsn.0.to_be_bytes());
        head[4..6].copy_from_slice(&self.stream_id.0.to_be_bytes());
        head[6..8].copy_from_slice(&self.ssn.0.to_be_bytes());
        head[8..].copy_from_slice(&self.ppid.0.to_be_bytes());
        buf.reserve(head.len() + self.payload.len());
        buf.put_slice(&head);
        buf.put_slice(&self.payload);
    }

    pub(crate) fn decode(flags: u8, mut value: Bytes, offset: usize) -> Result<Self, WireError> {
        need(ChunkType::DATA, value.len(), offset, 12)?;
        let (tsn, stream_id, ssn, ppid) = (
            Tsn(be32(&value, 0)),
            StreamId(be16(&value, 4)),
            Ssn(be16(&value, 6)),
            Ppid(be32(&value, 8)),
        );
        // The payload is the rest of the chunk's slice of the datagram.
        value.advance(12);
        Ok(DataChunk {
            tsn,
            stream_id,
            ssn,
            ppid,
            unordered: flags & FLAG_UNORDERED != 0,
            beginning: flags & FLAG_BEGINNING != 0,
            ending: flags & FLAG_ENDING != 0,
            immediate_sack: flags & FLAG_IMMEDIATE != 0,
            payload: value,
        })
    }
}

standalone_chunk!(DataChunk, ChunkType::DATA);

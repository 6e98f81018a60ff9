//! SACK (RFC 9260 §3.3.4, <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.4>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 3    |Chunk  Flags   |      Chunk Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Cumulative TSN Ack                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Advertised Receiver Window Credit (a_rwnd)           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Number of Gap Ack Blocks = N  |  Number of Duplicate TSNs = M |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Gap Ack Block #1 Start     |     Gap Ack Block #1 End      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                              ...                              /
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Duplicate TSN 1                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                              ...                              /
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::{need, standalone_chunk};
use crate::error::{Element, WireError};
use crate::serial::Tsn;
use crate::tlv::{be16, be32, Packed, PackedList};
use crate::types::ChunkType;
use bytes::{BufMut, Bytes, BytesMut};

/// A gap ack block: TSNs `cum_tsn_ack + start ..= cum_tsn_ack + end` were
/// received (RFC 9260 §3.3.4). The codec keeps the offsets as sent; the
/// association judges whether they make sense.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GapAckBlock {
    /// Offset of the first received TSN from the cumulative TSN ack.
    pub start: u16,
    /// Offset of the last received TSN from the cumulative TSN ack.
    pub end: u16,
}

impl Packed for GapAckBlock {
    const SIZE: usize = 4;
    fn read(b: &[u8]) -> Self {
        GapAckBlock {
            start: be16(b, 0),
            end: be16(b, 2),
        }
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u16(self.start);
        buf.put_u16(self.end);
    }
}

/// A SACK chunk. Gap blocks and duplicate TSNs are read lazily from the
/// received bytes, so decoding one allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sack {
    /// Highest TSN received in sequence.
    pub cum_tsn_ack: Tsn,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    /// Gap ack blocks, in wire order.
    pub gap_blocks: PackedList<GapAckBlock>,
    /// TSNs received more than once since the last SACK.
    pub duplicate_tsns: PackedList<Tsn>,
}

impl Sack {
    pub(crate) fn flags(&self) -> u8 {
        0
    }

    pub(crate) fn value_len(&self) -> usize {
        12 + self.gap_blocks.byte_len() + self.duplicate_tsns.byte_len()
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        debug_assert!(self.gap_blocks.len() <= u16::MAX as usize);
        debug_assert!(self.duplicate_tsns.len() <= u16::MAX as usize);
        // The fixed fields in one write; the lists are mostly empty.
        let mut head = [0u8; 12];
        head[..4].copy_from_slice(&self.cum_tsn_ack.0.to_be_bytes());
        head[4..8].copy_from_slice(&self.a_rwnd.to_be_bytes());
        head[8..10].copy_from_slice(&(self.gap_blocks.len() as u16).to_be_bytes());
        head[10..].copy_from_slice(&(self.duplicate_tsns.len() as u16).to_be_bytes());
        buf.put_slice(&head);
        for list in [self.gap_blocks.as_bytes(), self.duplicate_tsns.as_bytes()] {
            if !list.is_empty() {
                buf.put_slice(list);
            }
        }
    }

    pub(crate) fn decode(value: &Bytes, offset: usize) -> Result<Self, WireError> {
        need(ChunkType::SACK, value.len(), offset, 12)?;
        let gaps = be16(value, 8) as usize;
        let dups = be16(value, 10) as usize;
        // Both counts are at most 65535, so this cannot overflow.
        let gaps_end = 12 + 4 * gaps;
        let end = gaps_end + 4 * dups;
        if value.len() != end {
            return Err(WireError::BadLength {
                element: Element::Chunk(ChunkType::SACK),
                offset,
                length: value.len() + 4,
                reason: "must be 16 + 4 × (gap ack blocks + duplicate TSNs)",
            });
        }
        Ok(Sack {
            cum_tsn_ack: Tsn(be32(value, 0)),
            a_rwnd: be32(value, 4),
            gap_blocks: PackedList::from_exact_bytes(value.slice(12..gaps_end)),
            duplicate_tsns: PackedList::from_exact_bytes(value.slice(gaps_end..end)),
        })
    }
}

standalone_chunk!(Sack, ChunkType::SACK);

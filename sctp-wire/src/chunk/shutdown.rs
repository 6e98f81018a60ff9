//! SHUTDOWN and SHUTDOWN COMPLETE (RFC 9260 §3.3.8 and §3.3.13,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.8>). SHUTDOWN ACK
//! (§3.3.9) has no value and is [`crate::Chunk::ShutdownAck`].
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 7    | Chunk  Flags  |         Length = 8            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Cumulative TSN Ack                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 14   |  Reserved   |T|          Length = 4           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::abort::FLAG_T;
use crate::error::{Element, WireError};
use crate::serial::Tsn;
use crate::tlv::be32;
use crate::types::ChunkType;
use bytes::{BufMut, Bytes, BytesMut};

/// A SHUTDOWN chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shutdown {
    /// The last TSN received in sequence by the sender of the SHUTDOWN.
    pub cum_tsn_ack: Tsn,
}

impl Shutdown {
    pub(crate) fn value_len(&self) -> usize {
        4
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        buf.put_u32(self.cum_tsn_ack.0);
    }

    pub(crate) fn decode(value: &Bytes, offset: usize) -> Result<Self, WireError> {
        if value.len() != 4 {
            return Err(WireError::BadLength {
                element: Element::Chunk(ChunkType::SHUTDOWN),
                offset,
                length: value.len() + 4,
                reason: "a SHUTDOWN chunk is 8 bytes long",
            });
        }
        Ok(Shutdown {
            cum_tsn_ack: Tsn(be32(value, 0)),
        })
    }
}

/// A SHUTDOWN COMPLETE chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ShutdownComplete {
    /// T bit: the verification tag is reflected (RFC 9260 §8.5.1).
    pub tag_reflected: bool,
}

impl ShutdownComplete {
    pub(crate) fn flags(&self) -> u8 {
        if self.tag_reflected {
            FLAG_T
        } else {
            0
        }
    }

    pub(crate) fn from_flags(flags: u8) -> Self {
        ShutdownComplete {
            tag_reflected: flags & FLAG_T != 0,
        }
    }
}

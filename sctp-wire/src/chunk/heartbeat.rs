//! HEARTBEAT and HEARTBEAT ACK (RFC 9260 §3.3.5 and §3.3.6,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.5>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Type = 4 (5) | Chunk  Flags  |      Heartbeat Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               \
//! /       Heartbeat Information TLV (Variable-Length)             /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::need;
use crate::error::{Element, WireError};
use crate::tlv::{put_tlv_header, RawTlvs};
use crate::types::{ChunkType, ParamType};
use bytes::{BufMut, Bytes, BytesMut};

/// The value of a HEARTBEAT or HEARTBEAT ACK chunk: the sender-specific
/// Heartbeat Information, which the ACK echoes unchanged (RFC 9260 §8.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    /// The value of the Heartbeat Info parameter, opaque to the receiver.
    pub info: Bytes,
}

impl Heartbeat {
    pub(crate) fn value_len(&self) -> usize {
        4 + self.info.len()
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        put_tlv_header(buf, ParamType::HEARTBEAT_INFO.0, 4 + self.info.len());
        buf.put_slice(&self.info);
    }

    pub(crate) fn decode(kind: ChunkType, value: &Bytes, offset: usize) -> Result<Self, WireError> {
        need(kind, value.len(), offset, 4)?;
        let mut params = RawTlvs::params(value.clone(), offset + 4);
        let first = match params.next() {
            Some(first) => first?,
            None => {
                return Err(WireError::Invalid {
                    element: Element::Chunk(kind),
                    offset,
                    reason: "carries no Heartbeat Info parameter",
                })
            }
        };
        if first.kind != ParamType::HEARTBEAT_INFO.0 {
            return Err(WireError::Invalid {
                element: Element::Chunk(kind),
                offset,
                reason: "the first parameter must be Heartbeat Info (type 1)",
            });
        }
        if let Some(extra) = params.next() {
            extra?;
            return Err(WireError::Invalid {
                element: Element::Chunk(kind),
                offset,
                reason: "carries a parameter after Heartbeat Info",
            });
        }
        Ok(Heartbeat { info: first.value })
    }
}

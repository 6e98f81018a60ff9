//! RE-CONFIG (RFC 6525 §3.1, <https://www.rfc-editor.org/rfc/rfc6525#section-3.1>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Type = 130    |  Chunk Flags  |      Chunk Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               \
//! /                  Re-configuration Parameter                   /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               \
//! /             Re-configuration Parameter (optional)             /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::need;
use crate::error::{Element, WireError};
use crate::param::Param;
use crate::tlv::{encode_list, list_len};
use crate::types::ChunkType;
use bytes::{Bytes, BytesMut};

/// A RE-CONFIG chunk: one re-configuration parameter, or two when a
/// request travels with a response or a second request (RFC 6525 §3.1).
///
/// The codec checks the count; which pairs are allowed (§3.1's list) is
/// for the association to judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconfig {
    /// The re-configuration parameters, one or two.
    pub params: Vec<Param>,
}

impl Reconfig {
    pub(crate) fn value_len(&self) -> usize {
        list_len(&self.params)
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        encode_list(&self.params, buf);
    }

    pub(crate) fn decode(value: &Bytes, offset: usize) -> Result<Self, WireError> {
        need(ChunkType::RE_CONFIG, value.len(), offset, 4)?;
        let params = Param::decode_list(value.clone(), offset + 4)?;
        if params.len() > 2 {
            return Err(WireError::Invalid {
                element: Element::Chunk(ChunkType::RE_CONFIG),
                offset,
                reason: "carries more than two re-configuration parameters",
            });
        }
        Ok(Reconfig { params })
    }
}

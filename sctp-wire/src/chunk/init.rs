//! INIT and INIT ACK (RFC 9260 §3.3.2 and §3.3.3,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.2>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Type = 1 (2) |  Chunk Flags  |      Chunk Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Initiate Tag                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Advertised Receiver Window Credit (a_rwnd)           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Number of Outbound Streams   |   Number of Inbound Streams   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Initial TSN                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               \
//! /              Optional/Variable-Length Parameters              /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::need;
use crate::error::WireError;
use crate::param::Param;
use crate::serial::Tsn;
use crate::tlv::{be16, be32, encode_list, list_len};
use crate::types::ChunkType;
use bytes::{BufMut, Bytes, BytesMut};

/// The value of an INIT or INIT ACK chunk; the two share one layout and
/// [`crate::Chunk`] tells them apart.
///
/// The codec does not judge field values (a zero Initiate Tag or zero
/// stream counts): RFC 9260 §3.3.2 has the association answer those with
/// an ABORT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Init {
    /// Initiate Tag: the verification tag the peer must use.
    pub initiate_tag: u32,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    /// Number of outbound streams (OS).
    pub outbound_streams: u16,
    /// Number of inbound streams (MIS).
    pub inbound_streams: u16,
    /// Initial TSN.
    pub initial_tsn: Tsn,
    /// Optional and variable-length parameters, in wire order.
    pub params: Vec<Param>,
}

impl Init {
    pub(crate) fn value_len(&self) -> usize {
        16 + list_len(&self.params)
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        buf.put_u32(self.initiate_tag);
        buf.put_u32(self.a_rwnd);
        buf.put_u16(self.outbound_streams);
        buf.put_u16(self.inbound_streams);
        buf.put_u32(self.initial_tsn.0);
        encode_list(&self.params, buf);
    }

    pub(crate) fn decode(kind: ChunkType, value: &Bytes, offset: usize) -> Result<Self, WireError> {
        need(kind, value.len(), offset, 16)?;
        Ok(Init {
            initiate_tag: be32(value, 0),
            a_rwnd: be32(value, 4),
            outbound_streams: be16(value, 8),
            inbound_streams: be16(value, 10),
            initial_tsn: Tsn(be32(value, 12)),
            params: Param::decode_list(value.slice(16..), offset + 4 + 16)?,
        })
    }
}

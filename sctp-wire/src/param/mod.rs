//! Parameters carried by INIT, INIT ACK, HEARTBEAT and RE-CONFIG chunks
//! (RFC 9260 §3.2.1).

use crate::error::WireError;
use crate::tlv::{put_tlv_header, Encode, RawTlv, RawTlvs};
use crate::types::ParamType;
use bytes::{BufMut, Bytes, BytesMut};

/// A decoded parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Param {
    /// Heartbeat information, opaque to the receiver (RFC 9260 §3.3.5).
    HeartbeatInfo(Bytes),
    /// A parameter of a type this crate does not know, kept whole.
    Unknown {
        /// The parameter type; its upper bits give the action (RFC 9260 §3.2.1).
        kind: ParamType,
        /// The value after the 4-byte header.
        value: Bytes,
    },
}

impl Param {
    /// The parameter type.
    pub fn param_type(&self) -> ParamType {
        match self {
            Param::HeartbeatInfo(_) => ParamType::HEARTBEAT_INFO,
            Param::Unknown { kind, .. } => *kind,
        }
    }

    /// Decodes one parameter cut out by the TLV stage.
    pub fn decode(raw: RawTlv) -> Result<Param, WireError> {
        let kind = ParamType(raw.kind);
        Ok(match kind {
            ParamType::HEARTBEAT_INFO => Param::HeartbeatInfo(raw.value),
            _ => Param::Unknown {
                kind,
                value: raw.value,
            },
        })
    }

    /// Decodes the run of parameters in `buf`, whose first byte sits at
    /// `base` in the packet.
    pub fn decode_list(buf: Bytes, base: usize) -> Result<Vec<Param>, WireError> {
        RawTlvs::params(buf, base)
            .map(|raw| raw.and_then(Param::decode))
            .collect()
    }
}

impl Encode for Param {
    fn encoded_len(&self) -> usize {
        4 + match self {
            Param::HeartbeatInfo(v) | Param::Unknown { value: v, .. } => v.len(),
        }
    }

    fn encode(&self, buf: &mut BytesMut) {
        put_tlv_header(buf, self.param_type().0, self.encoded_len());
        match self {
            Param::HeartbeatInfo(v) | Param::Unknown { value: v, .. } => buf.put_slice(v),
        }
    }
}

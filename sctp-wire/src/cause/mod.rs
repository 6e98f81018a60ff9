//! Error causes carried by ABORT and ERROR chunks (RFC 9260 §3.3.10).

use crate::error::WireError;
use crate::tlv::{put_tlv_header, Encode, RawTlv, RawTlvs};
use crate::types::CauseCode;
use bytes::{BufMut, Bytes, BytesMut};

/// A decoded error cause.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCause {
    /// Out of resource (RFC 9260 §3.3.10.4).
    OutOfResource,
    /// A cause of a code this crate does not know, kept whole.
    Unknown {
        /// The cause code.
        code: CauseCode,
        /// The cause information after the 4-byte header.
        value: Bytes,
    },
}

impl ErrorCause {
    /// The cause code.
    pub fn code(&self) -> CauseCode {
        match self {
            ErrorCause::OutOfResource => CauseCode::OUT_OF_RESOURCE,
            ErrorCause::Unknown { code, .. } => *code,
        }
    }

    /// Decodes one cause cut out by the TLV stage.
    pub fn decode(raw: RawTlv) -> Result<ErrorCause, WireError> {
        let code = CauseCode(raw.kind);
        Ok(match code {
            CauseCode::OUT_OF_RESOURCE => ErrorCause::OutOfResource,
            _ => ErrorCause::Unknown {
                code,
                value: raw.value,
            },
        })
    }

    /// Decodes the run of causes in `buf`, whose first byte sits at `base`
    /// in the packet.
    pub fn decode_list(buf: Bytes, base: usize) -> Result<Vec<ErrorCause>, WireError> {
        RawTlvs::causes(buf, base)
            .map(|raw| raw.and_then(ErrorCause::decode))
            .collect()
    }
}

impl Encode for ErrorCause {
    fn encoded_len(&self) -> usize {
        4 + match self {
            ErrorCause::OutOfResource => 0,
            ErrorCause::Unknown { value, .. } => value.len(),
        }
    }

    fn encode(&self, buf: &mut BytesMut) {
        put_tlv_header(buf, self.code().0, self.encoded_len());
        if let ErrorCause::Unknown { value, .. } = self {
            buf.put_slice(value);
        }
    }
}

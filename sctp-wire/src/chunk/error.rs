//! ERROR (RFC 9260 §3.3.10, <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 9    | Chunk  Flags  |           Length              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               \
//! /                    one or more Error Causes                   /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::cause::ErrorCause;
use crate::error::WireError;
use crate::tlv::{encode_list, list_len};
use bytes::{Bytes, BytesMut};

/// An ERROR chunk: conditions reported without ending the association.
///
/// RFC 9260 §3.3.10 asks for one or more causes; an ERROR without any
/// still decodes, as the receiver has nothing to act on and may ignore it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct OperationError {
    /// The reported causes.
    pub causes: Vec<ErrorCause>,
}

impl OperationError {
    pub(crate) fn value_len(&self) -> usize {
        list_len(&self.causes)
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        encode_list(&self.causes, buf);
    }

    pub(crate) fn decode(value: &Bytes, offset: usize) -> Result<Self, WireError> {
        Ok(OperationError {
            causes: ErrorCause::decode_list(value.clone(), offset + 4)?,
        })
    }
}

//! ABORT (RFC 9260 §3.3.7, <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.7>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 6    |  Reserved   |T|            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               \
//! /                   zero or more Error Causes                   /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::cause::ErrorCause;
use crate::error::WireError;
use crate::tlv::{encode_list, list_len};
use bytes::{Bytes, BytesMut};

/// T bit: the verification tag is reflected (RFC 9260 §8.5.1).
pub(crate) const FLAG_T: u8 = 0x01;

/// An ABORT chunk.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Abort {
    /// T bit: the packet carries the receiver's own tag, reflected, instead
    /// of the peer's (RFC 9260 §8.5.1).
    pub tag_reflected: bool,
    /// Why the association is aborted.
    pub causes: Vec<ErrorCause>,
}

impl Abort {
    pub(crate) fn flags(&self) -> u8 {
        if self.tag_reflected {
            FLAG_T
        } else {
            0
        }
    }

    pub(crate) fn value_len(&self) -> usize {
        list_len(&self.causes)
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        encode_list(&self.causes, buf);
    }

    pub(crate) fn decode(flags: u8, value: &Bytes, offset: usize) -> Result<Self, WireError> {
        Ok(Abort {
            tag_reflected: flags & FLAG_T != 0,
            causes: ErrorCause::decode_list(value.clone(), offset + 4)?,
        })
    }
}

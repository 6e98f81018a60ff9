//! Length checks shared by parameters and error causes: both are TLVs with
//! a 4-byte header, so the rules and the errors they raise are the same.

use crate::error::{Element, WireError};

/// Where a parameter or error cause sits, for error reports.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Site {
    /// The parameter or cause being decoded.
    pub(crate) element: Element,
    /// Offset of its TLV header from the start of the packet.
    pub(crate) offset: usize,
}

impl Site {
    /// A `BadLength` error for a value of `value_len` bytes.
    pub(crate) fn bad_length(self, value_len: usize, reason: &'static str) -> WireError {
        WireError::BadLength {
            element: self.element,
            offset: self.offset,
            length: value_len + 4,
            reason,
        }
    }

    /// Checks that the value is exactly `len` bytes.
    pub(crate) fn exact(
        self,
        value: &[u8],
        len: usize,
        reason: &'static str,
    ) -> Result<(), WireError> {
        if value.len() == len {
            Ok(())
        } else {
            Err(self.bad_length(value.len(), reason))
        }
    }

    /// Checks that the value holds at least `min` bytes.
    pub(crate) fn at_least(self, value: &[u8], min: usize) -> Result<(), WireError> {
        if value.len() >= min {
            Ok(())
        } else {
            Err(WireError::TooShort {
                element: self.element,
                offset: self.offset,
                length: value.len() + 4,
                min: min + 4,
            })
        }
    }

    /// Reads a value of exactly `N` bytes as an array.
    pub(crate) fn array<const N: usize>(
        self,
        value: &[u8],
        reason: &'static str,
    ) -> Result<[u8; N], WireError> {
        <[u8; N]>::try_from(value).map_err(|_| self.bad_length(value.len(), reason))
    }

    /// Reads a value that is exactly one big-endian `u32`.
    pub(crate) fn exact_u32(self, value: &[u8], reason: &'static str) -> Result<u32, WireError> {
        self.array::<4>(value, reason).map(u32::from_be_bytes)
    }
}

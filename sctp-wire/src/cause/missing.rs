//! Missing Mandatory Parameter (RFC 9260 §3.3.10.2,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10.2>): an INIT or
//! INIT ACK lacked one or more mandatory parameters.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Cause Code = 2         |   Cause Length = 8 + N * 2    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   Number of missing params = N                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Missing Param Type #1      |    Missing Param Type #2      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Missing Param Type #N-1    |    Missing Param Type #N      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The count is checked against the bytes present and the list is kept as
//! those bytes: nothing is allocated from the count.

use super::ErrorCause;
use crate::error::WireError;
use crate::param::check::Site;
use crate::tlv::{be32, PackedList};
use bytes::Bytes;

/// Decodes a Missing Mandatory Parameter cause.
pub(super) fn decode(value: &Bytes, site: Site) -> Result<ErrorCause, WireError> {
    site.at_least(value, 4)?;
    // RFC 9260 §3.3.10.2: Cause Length = 8 + N * 2. Widened to u64, the
    // product cannot overflow whatever N says.
    let count = u64::from(be32(value, 0));
    let entries = value.len() - 4;
    if count * 2 != entries as u64 {
        return Err(site.bad_length(
            value.len(),
            "must be 8 + 2 × the number of missing params it states",
        ));
    }
    Ok(ErrorCause::MissingMandatoryParameter {
        missing: PackedList::from_exact_bytes(value.slice(4..)),
    })
}

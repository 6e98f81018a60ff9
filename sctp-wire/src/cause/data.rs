//! Error causes about DATA chunks: Invalid Stream Identifier
//! (RFC 9260 §3.3.10.1,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10.1>) and No User
//! Data (§3.3.10.9,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10.9>).
//!
//! Invalid Stream Identifier (cause 1): DATA arrived for a stream that does
//! not exist.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Cause Code = 1         |       Cause Length = 8        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |       Stream Identifier       |          (Reserved)           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! No User Data (cause 9): a DATA chunk with this TSN carried no payload.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Cause Code = 9         |       Cause Length = 8        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                           TSN value                           /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::ErrorCause;
use crate::error::WireError;
use crate::param::check::Site;
use crate::serial::{StreamId, Tsn};
use crate::tlv::be16;

/// Decodes an Invalid Stream Identifier cause.
pub(super) fn decode_invalid_stream(value: &[u8], site: Site) -> Result<ErrorCause, WireError> {
    // RFC 9260 §3.3.10.1: Cause Length = 8, a 16-bit stream identifier and
    // 16 reserved bits, which the receiver ignores.
    site.exact(value, 4, "must be 8")?;
    Ok(ErrorCause::InvalidStreamIdentifier {
        stream_id: StreamId(be16(value, 0)),
    })
}

/// Decodes a No User Data cause.
pub(super) fn decode_no_user_data(value: &[u8], site: Site) -> Result<ErrorCause, WireError> {
    // RFC 9260 §3.3.10.9: Cause Length = 8, the TSN of the empty DATA chunk.
    let tsn = site.exact_u32(value, "must be 8 (a TSN)")?;
    Ok(ErrorCause::NoUserData { tsn: Tsn(tsn) })
}

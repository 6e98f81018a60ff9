//! Parameters of the cookie exchange: State Cookie and Unrecognized
//! Parameter in INIT ACK (RFC 9260 §3.3.3.1,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.3.1>), and Cookie
//! Preservative in INIT (RFC 9260 §3.3.2.1,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.2.1>).
//!
//! State Cookie (type 7) is opaque to its receiver, which echoes it in
//! COOKIE ECHO. Unrecognized Parameter (type 8) carries a whole parameter
//! of the INIT that the INIT ACK sender did not recognise, "complete with
//! Parameter Type, Length, and Value fields"; decode it again with
//! [`Param::decode_list`](super::Param::decode_list).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Type = 7 (8)         |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /          Cookie (Unrecognized Parameter TLV)                  /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Cookie Preservative (type 9): the sender of an INIT asks for a cookie
//! that lives this many milliseconds longer, after a Stale Cookie error.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Type = 9            |          Length = 8           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Suggested Cookie Life-Span Increment (msec.)          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::check::Site;
use super::Param;
use crate::error::WireError;

/// Decodes the value of a Cookie Preservative parameter.
pub(super) fn decode_cookie_preservative(value: &[u8], site: Site) -> Result<Param, WireError> {
    // RFC 9260 §3.3.2.1: Cookie Preservative, Length = 8.
    let lifespan_increment_ms = site.exact_u32(value, "must be 8 (a 32-bit increment)")?;
    Ok(Param::CookiePreservative {
        lifespan_increment_ms,
    })
}

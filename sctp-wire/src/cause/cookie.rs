//! Error causes of the cookie exchange: Stale Cookie (RFC 9260 §3.3.10.3,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10.3>) and Cookie
//! Received While Shutting Down (§3.3.10.10,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10.10>).
//!
//! Stale Cookie (cause 3): a COOKIE ECHO arrived after its cookie expired,
//! by this many microseconds. The INIT sender may retry with a Cookie
//! Preservative parameter.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Cause Code = 3         |       Cause Length = 8        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Measure of Staleness (usec.)                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Cookie Received While Shutting Down (cause 10): a COOKIE ECHO arrived
//! in SHUTDOWN-ACK-SENT state. No value.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Cause Code = 10        |       Cause Length = 4        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::ErrorCause;
use crate::error::WireError;
use crate::param::check::Site;

/// Decodes a Stale Cookie cause.
pub(super) fn decode_stale_cookie(value: &[u8], site: Site) -> Result<ErrorCause, WireError> {
    // RFC 9260 §3.3.10.3: Cause Length = 8.
    let staleness_us = site.exact_u32(value, "must be 8 (a 32-bit staleness)")?;
    Ok(ErrorCause::StaleCookie { staleness_us })
}

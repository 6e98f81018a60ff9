//! Error causes with no value or a free-form one: Out of Resource
//! (RFC 9260 §3.3.10.4), Invalid Mandatory Parameter (§3.3.10.7),
//! User-Initiated Abort (§3.3.10.12) and Protocol Violation (§3.3.10.13),
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10.4>.
//!
//! Out of Resource (cause 4) and Invalid Mandatory Parameter (cause 7)
//! have no value:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Cause Code = 4 (7)       |       Cause Length = 4        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! User-Initiated Abort (cause 12) carries the upper layer's reason and
//! Protocol Violation (cause 13) additional information; both are opaque
//! to SCTP, often text.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Cause Code = 12 (13)     |         Cause Length          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /       Upper Layer Abort Reason (Additional Information)       /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::ErrorCause;
use bytes::Bytes;

impl ErrorCause {
    /// A User-Initiated Abort cause with `reason` as its Upper Layer Abort
    /// Reason (RFC 9260 §3.3.10.12).
    pub fn user_initiated_abort(reason: &str) -> ErrorCause {
        ErrorCause::UserInitiatedAbort(Bytes::copy_from_slice(reason.as_bytes()))
    }

    /// A Protocol Violation cause with `info` as its Additional Information
    /// (RFC 9260 §3.3.10.13).
    pub fn protocol_violation(info: &str) -> ErrorCause {
        ErrorCause::ProtocolViolation(Bytes::copy_from_slice(info.as_bytes()))
    }

    /// The reason of a User-Initiated Abort or the information of a
    /// Protocol Violation, if it is UTF-8 text.
    pub fn reason_text(&self) -> Option<&str> {
        match self {
            ErrorCause::UserInitiatedAbort(v) | ErrorCause::ProtocolViolation(v) => {
                std::str::from_utf8(v).ok()
            }
            _ => None,
        }
    }
}

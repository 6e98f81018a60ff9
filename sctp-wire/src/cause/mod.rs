//! Error causes carried by ABORT and ERROR chunks (RFC 9260 §3.3.10,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Cause Code           |         Cause Length          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                    Cause-Specific Information                 /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Causes share the TLV layout of parameters: the Cause Length counts the
//! header and the value, not the padding that follows. The TLV stage checks
//! the length against the chunk; [`ErrorCause::decode`] checks it against
//! the cause's layout.
//!
//! | Code   | Cause                                              | Module         |
//! |--------|----------------------------------------------------|----------------|
//! | 1, 9   | Invalid Stream Identifier, No User Data            | `data`         |
//! | 2      | Missing Mandatory Parameter                        | `missing`      |
//! | 3, 10  | Stale Cookie, Cookie Received While Shutting Down  | `cookie`       |
//! | 4, 7   | Out of Resource, Invalid Mandatory Parameter       | `general`      |
//! | 5, 11  | Unresolvable Address, Restart with New Addresses   | `address`      |
//! | 6, 8   | Unrecognized Chunk Type, Unrecognized Parameters   | `unrecognized` |
//! | 12, 13 | User-Initiated Abort, Protocol Violation           | `general`      |
//!
//! These thirteen are all the causes the extensions this crate covers use.
//! RFC 6525 (stream re-configuration) and RFC 8260 (I-DATA) define no error
//! cause of their own: RFC 6525 reports a failed request through the Result
//! of a Re-configuration Response
//! ([`ReconfigResult`](crate::param::ReconfigResult)), and a peer misusing
//! I-DATA is answered with the base causes (Protocol Violation). RFC 9653
//! adds none either. Causes of other extensions (RFC 5061's address
//! reconfiguration causes, RFC 4895's Unsupported HMAC Identifier) decode
//! to [`ErrorCause::Unknown`], code and value kept. Unlike chunk and
//! parameter types, cause codes carry no action bits.

mod address;
mod cookie;
mod data;
mod general;
mod missing;
mod unrecognized;

use crate::error::{Element, WireError};
use crate::param::check::Site;
use crate::serial::{StreamId, Tsn};
use crate::tlv::{put_tlv_header, Encode, PackedList, RawTlv, RawTlvs};
use crate::types::{CauseCode, ParamType};
use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;

/// A decoded error cause.
///
/// Opaque values (chunks and parameters reported back, abort reasons) are
/// slices of the received datagram, never copies.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCause {
    /// Invalid Stream Identifier (cause 1): DATA was sent to a stream that
    /// does not exist (RFC 9260 §3.3.10.1).
    InvalidStreamIdentifier {
        /// The stream the DATA named.
        stream_id: StreamId,
    },
    /// Missing Mandatory Parameter (cause 2): an INIT or INIT ACK lacked
    /// these parameters (RFC 9260 §3.3.10.2).
    MissingMandatoryParameter {
        /// The types of the missing parameters.
        missing: PackedList<ParamType>,
    },
    /// Stale Cookie (cause 3): a COOKIE ECHO came too late (RFC 9260 §3.3.10.3).
    StaleCookie {
        /// How long after its expiry the cookie arrived, in microseconds.
        staleness_us: u32,
    },
    /// Out of Resource (cause 4): the sender is out of resources (RFC 9260 §3.3.10.4).
    OutOfResource,
    /// Unresolvable Address (cause 5): the address parameter, whole, that
    /// the sender could not resolve (RFC 9260 §3.3.10.5).
    UnresolvableAddress(Bytes),
    /// Unrecognized Chunk Type (cause 6): the chunk, whole, as received
    /// (RFC 9260 §3.3.10.6).
    UnrecognizedChunkType(Bytes),
    /// Invalid Mandatory Parameter (cause 7): a mandatory parameter of an
    /// INIT or INIT ACK was set to an invalid value (RFC 9260 §3.3.10.7).
    InvalidMandatoryParameter,
    /// Unrecognized Parameters (cause 8): the parameters, whole, as
    /// received (RFC 9260 §3.3.10.8).
    UnrecognizedParameters(Bytes),
    /// No User Data (cause 9): the DATA chunk with this TSN carried no
    /// payload (RFC 9260 §3.3.10.9).
    NoUserData {
        /// The TSN of the empty DATA chunk.
        tsn: Tsn,
    },
    /// Cookie Received While Shutting Down (cause 10, RFC 9260 §3.3.10.10).
    CookieReceivedWhileShuttingDown,
    /// Restart of an Association with New Addresses (cause 11): the address
    /// parameters, whole, that the restart added (RFC 9260 §3.3.10.11).
    RestartWithNewAddresses(Bytes),
    /// User-Initiated Abort (cause 12): the upper layer's reason, opaque to
    /// SCTP (RFC 9260 §3.3.10.12).
    UserInitiatedAbort(Bytes),
    /// Protocol Violation (cause 13): additional information, opaque to
    /// SCTP (RFC 9260 §3.3.10.13).
    ProtocolViolation(Bytes),
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
            ErrorCause::InvalidStreamIdentifier { .. } => CauseCode::INVALID_STREAM_IDENTIFIER,
            ErrorCause::MissingMandatoryParameter { .. } => CauseCode::MISSING_MANDATORY_PARAMETER,
            ErrorCause::StaleCookie { .. } => CauseCode::STALE_COOKIE,
            ErrorCause::OutOfResource => CauseCode::OUT_OF_RESOURCE,
            ErrorCause::UnresolvableAddress(_) => CauseCode::UNRESOLVABLE_ADDRESS,
            ErrorCause::UnrecognizedChunkType(_) => CauseCode::UNRECOGNIZED_CHUNK_TYPE,
            ErrorCause::InvalidMandatoryParameter => CauseCode::INVALID_MANDATORY_PARAMETER,
            ErrorCause::UnrecognizedParameters(_) => CauseCode::UNRECOGNIZED_PARAMETERS,
            ErrorCause::NoUserData { .. } => CauseCode::NO_USER_DATA,
            ErrorCause::CookieReceivedWhileShuttingDown => {
                CauseCode::COOKIE_RECEIVED_WHILE_SHUTTING_DOWN
            }
            ErrorCause::RestartWithNewAddresses(_) => CauseCode::RESTART_WITH_NEW_ADDRESSES,
            ErrorCause::UserInitiatedAbort(_) => CauseCode::USER_INITIATED_ABORT,
            ErrorCause::ProtocolViolation(_) => CauseCode::PROTOCOL_VIOLATION,
            ErrorCause::Unknown { code, .. } => *code,
        }
    }

    /// Whether [`ErrorCause::decode`] gives causes with this code a variant
    /// of their own (codes 1 to 13); all others decode to
    /// [`ErrorCause::Unknown`].
    pub fn recognizes(code: CauseCode) -> bool {
        (1..=13).contains(&code.0)
    }

    /// Decodes one cause cut out by the TLV stage.
    ///
    /// A value whose length does not fit the cause's layout is a
    /// [`WireError::BadLength`] (or [`WireError::TooShort`] below a
    /// minimum) naming the cause and its offset.
    pub fn decode(raw: RawTlv) -> Result<ErrorCause, WireError> {
        let code = CauseCode(raw.kind);
        let site = Site {
            element: Element::Cause(code),
            offset: raw.offset,
        };
        let v = raw.value;
        Ok(match code {
            CauseCode::INVALID_STREAM_IDENTIFIER => data::decode_invalid_stream(&v, site)?,
            CauseCode::MISSING_MANDATORY_PARAMETER => missing::decode(&v, site)?,
            CauseCode::STALE_COOKIE => cookie::decode_stale_cookie(&v, site)?,
            CauseCode::OUT_OF_RESOURCE => {
                // RFC 9260 §3.3.10.4: Cause Length = 4.
                site.exact(&v, 0, "must be 4 (no value)")?;
                ErrorCause::OutOfResource
            }
            CauseCode::UNRESOLVABLE_ADDRESS => ErrorCause::UnresolvableAddress(v),
            CauseCode::UNRECOGNIZED_CHUNK_TYPE => ErrorCause::UnrecognizedChunkType(v),
            CauseCode::INVALID_MANDATORY_PARAMETER => {
                // RFC 9260 §3.3.10.7: Cause Length = 4.
                site.exact(&v, 0, "must be 4 (no value)")?;
                ErrorCause::InvalidMandatoryParameter
            }
            CauseCode::UNRECOGNIZED_PARAMETERS => ErrorCause::UnrecognizedParameters(v),
            CauseCode::NO_USER_DATA => data::decode_no_user_data(&v, site)?,
            CauseCode::COOKIE_RECEIVED_WHILE_SHUTTING_DOWN => {
                // RFC 9260 §3.3.10.10: Cause Length = 4.
                site.exact(&v, 0, "must be 4 (no value)")?;
                ErrorCause::CookieReceivedWhileShuttingDown
            }
            CauseCode::RESTART_WITH_NEW_ADDRESSES => ErrorCause::RestartWithNewAddresses(v),
            CauseCode::USER_INITIATED_ABORT => ErrorCause::UserInitiatedAbort(v),
            CauseCode::PROTOCOL_VIOLATION => ErrorCause::ProtocolViolation(v),
            _ => ErrorCause::Unknown { code, value: v },
        })
    }

    /// Decodes the run of causes in `buf`, whose first byte sits at `base`
    /// in the packet. Causes are padded to four bytes between each other;
    /// the last may omit its padding.
    pub fn decode_list(buf: Bytes, base: usize) -> Result<Vec<ErrorCause>, WireError> {
        RawTlvs::causes(buf, base)
            .map(|raw| raw.and_then(ErrorCause::decode))
            .collect()
    }

    /// Length of the value after the 4-byte header.
    fn value_len(&self) -> usize {
        match self {
            ErrorCause::InvalidStreamIdentifier { .. }
            | ErrorCause::StaleCookie { .. }
            | ErrorCause::NoUserData { .. } => 4,
            ErrorCause::MissingMandatoryParameter { missing } => 4 + missing.byte_len(),
            ErrorCause::OutOfResource
            | ErrorCause::InvalidMandatoryParameter
            | ErrorCause::CookieReceivedWhileShuttingDown => 0,
            ErrorCause::UnresolvableAddress(v)
            | ErrorCause::UnrecognizedChunkType(v)
            | ErrorCause::UnrecognizedParameters(v)
            | ErrorCause::RestartWithNewAddresses(v)
            | ErrorCause::UserInitiatedAbort(v)
            | ErrorCause::ProtocolViolation(v)
            | ErrorCause::Unknown { value: v, .. } => v.len(),
        }
    }

    /// Appends the value after the 4-byte header.
    fn encode_value(&self, buf: &mut BytesMut) {
        match self {
            ErrorCause::InvalidStreamIdentifier { stream_id } => {
                buf.put_u16(stream_id.0);
                // RFC 9260 §3.3.10.1: Reserved, sent as 0.
                buf.put_u16(0);
            }
            ErrorCause::MissingMandatoryParameter { missing } => {
                debug_assert!(missing.len() <= u32::MAX as usize);
                buf.put_u32(missing.len() as u32);
                buf.put_slice(missing.as_bytes());
            }
            ErrorCause::StaleCookie { staleness_us } => buf.put_u32(*staleness_us),
            ErrorCause::NoUserData { tsn } => buf.put_u32(tsn.0),
            ErrorCause::OutOfResource
            | ErrorCause::InvalidMandatoryParameter
            | ErrorCause::CookieReceivedWhileShuttingDown => {}
            ErrorCause::UnresolvableAddress(v)
            | ErrorCause::UnrecognizedChunkType(v)
            | ErrorCause::UnrecognizedParameters(v)
            | ErrorCause::RestartWithNewAddresses(v)
            | ErrorCause::UserInitiatedAbort(v)
            | ErrorCause::ProtocolViolation(v)
            | ErrorCause::Unknown { value: v, .. } => buf.put_slice(v),
        }
    }
}

impl Encode for ErrorCause {
    fn encoded_len(&self) -> usize {
        4 + self.value_len()
    }

    fn encode(&self, buf: &mut BytesMut) {
        put_tlv_header(buf, self.code().0, self.encoded_len());
        self.encode_value(buf);
    }
}

/// The cause's name and its main field, e.g. `User-Initiated Abort (12):
/// "closing"`; for logs and close reasons.
impl fmt::Display for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            ErrorCause::InvalidStreamIdentifier { stream_id } => {
                write!(f, "{code}: stream {stream_id}")
            }
            ErrorCause::MissingMandatoryParameter { missing } => {
                write!(f, "{code}: {missing:?}")
            }
            ErrorCause::StaleCookie { staleness_us } => {
                write!(f, "{code}: {staleness_us} µs late")
            }
            ErrorCause::NoUserData { tsn } => write!(f, "{code}: TSN {}", tsn.0),
            ErrorCause::UserInitiatedAbort(v) | ErrorCause::ProtocolViolation(v)
                if !v.is_empty() =>
            {
                write!(f, "{code}: {:?}", String::from_utf8_lossy(v))
            }
            ErrorCause::Unknown { value, .. }
            | ErrorCause::UnresolvableAddress(value)
            | ErrorCause::UnrecognizedChunkType(value)
            | ErrorCause::UnrecognizedParameters(value)
            | ErrorCause::RestartWithNewAddresses(value) => {
                write!(f, "{code}: {} bytes", value.len())
            }
            _ => write!(f, "{code}"),
        }
    }
}

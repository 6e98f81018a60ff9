//! Stream re-configuration parameters carried by RE-CONFIG chunks
//! (RFC 6525 §4, <https://www.rfc-editor.org/rfc/rfc6525#section-4>).
//!
//! Outgoing SSN Reset Request (type 13, §4.1):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Parameter Type = 13       | Parameter Length = 16 + 2 * N |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Re-configuration Request Sequence Number            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Re-configuration Response Sequence Number           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                Sender's Last Assigned TSN                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Stream Number 1 (optional)   |    Stream Number 2 (optional) |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                            ......                             /
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Stream Number N-1 (optional) |    Stream Number N (optional) |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Incoming SSN Reset Request (type 14, §4.2):
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Parameter Type = 14       |  Parameter Length = 8 + 2 * N |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Re-configuration Request Sequence Number             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Stream Number 1 (optional)   |    Stream Number 2 (optional) |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                            ......                             /
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! SSN/TSN Reset Request (type 15, §4.3):
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Parameter Type = 15       |      Parameter Length = 8     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Re-configuration Request Sequence Number              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Re-configuration Response (type 16, §4.4); the two TSNs travel
//! together or not at all, in answer to an SSN/TSN Reset Request:
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Parameter Type = 16       |      Parameter Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Re-configuration Response Sequence Number             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                            Result                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   Sender's Next TSN (optional)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  Receiver's Next TSN (optional)               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Add Outgoing Streams Request (type 17, §4.5) and Add Incoming Streams
//! Request (type 18, §4.6):
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Parameter Type = 17 (18)    |      Parameter Length = 12    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Re-configuration Request Sequence Number             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Number of new streams    |         Reserved              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The codec checks lengths only; which requests may travel together in
//! one RE-CONFIG chunk (RFC 6525 §3.1) and what the sequence numbers mean
//! are for the association to judge.

use super::check::Site;
use super::Param;
use crate::error::WireError;
use crate::serial::Tsn;
use crate::tlv::{be16, be32, PackedList};
use bytes::Bytes;
use std::fmt;

/// The Result field of a Re-configuration Response (RFC 6525 §4.4).
///
/// A newtype rather than an enum, so that a result code this crate does not
/// know survives decoding and re-encoding unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReconfigResult(pub u32);

impl ReconfigResult {
    /// 0: Success - Nothing to do.
    pub const SUCCESS_NOTHING_TO_DO: ReconfigResult = ReconfigResult(0);
    /// 1: Success - Performed.
    pub const SUCCESS_PERFORMED: ReconfigResult = ReconfigResult(1);
    /// 2: Denied.
    pub const DENIED: ReconfigResult = ReconfigResult(2);
    /// 3: Error - Wrong SSN.
    pub const ERROR_WRONG_SSN: ReconfigResult = ReconfigResult(3);
    /// 4: Error - Request already in progress.
    pub const ERROR_REQUEST_ALREADY_IN_PROGRESS: ReconfigResult = ReconfigResult(4);
    /// 5: Error - Bad Sequence Number.
    pub const ERROR_BAD_SEQUENCE_NUMBER: ReconfigResult = ReconfigResult(5);
    /// 6: In progress (the request will be performed later; RFC 6525 §5.2.2).
    pub const IN_PROGRESS: ReconfigResult = ReconfigResult(6);

    /// The name RFC 6525 §4.4 gives this result, if it is one of its seven.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "Success - Nothing to do",
            1 => "Success - Performed",
            2 => "Denied",
            3 => "Error - Wrong SSN",
            4 => "Error - Request already in progress",
            5 => "Error - Bad Sequence Number",
            6 => "In progress",
            _ => return None,
        })
    }

    /// Whether the request succeeded (results 0 and 1).
    pub fn is_success(self) -> bool {
        matches!(
            self,
            ReconfigResult::SUCCESS_NOTHING_TO_DO | ReconfigResult::SUCCESS_PERFORMED
        )
    }
}

impl fmt::Display for ReconfigResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "result {}", self.0),
        }
    }
}

impl fmt::Debug for ReconfigResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<u32> for ReconfigResult {
    fn from(v: u32) -> Self {
        ReconfigResult(v)
    }
}

/// Cuts the stream list that ends a reset request, after `fixed` bytes.
fn stream_list<T: crate::tlv::Packed>(
    value: &Bytes,
    site: Site,
    fixed: usize,
    reason: &'static str,
) -> Result<PackedList<T>, WireError> {
    site.at_least(value, fixed)?;
    // RFC 6525 §4.1, §4.2: the list is of 16-bit stream numbers; an odd
    // count is followed by 2 bytes of padding that the length does not count.
    PackedList::from_bytes(value.slice(fixed..)).ok_or_else(|| site.bad_length(value.len(), reason))
}

/// Decodes an Outgoing SSN Reset Request (RFC 6525 §4.1).
pub(super) fn decode_outgoing(value: &Bytes, site: Site) -> Result<Param, WireError> {
    let streams = stream_list(value, site, 12, "must be 16 + 2 × stream numbers")?;
    Ok(Param::OutgoingSsnResetRequest {
        request_seq: be32(value, 0),
        response_seq: be32(value, 4),
        sender_last_tsn: Tsn(be32(value, 8)),
        streams,
    })
}

/// Decodes an Incoming SSN Reset Request (RFC 6525 §4.2).
pub(super) fn decode_incoming(value: &Bytes, site: Site) -> Result<Param, WireError> {
    let streams = stream_list(value, site, 4, "must be 8 + 2 × stream numbers")?;
    Ok(Param::IncomingSsnResetRequest {
        request_seq: be32(value, 0),
        streams,
    })
}

/// Decodes an SSN/TSN Reset Request (RFC 6525 §4.3).
pub(super) fn decode_ssn_tsn(value: &[u8], site: Site) -> Result<Param, WireError> {
    // RFC 6525 §4.3: Parameter Length = 8.
    let request_seq = site.exact_u32(value, "must be 8")?;
    Ok(Param::SsnTsnResetRequest { request_seq })
}

/// Decodes a Re-configuration Response (RFC 6525 §4.4).
pub(super) fn decode_response(value: &[u8], site: Site) -> Result<Param, WireError> {
    site.at_least(value, 8)?;
    // RFC 6525 §4.4: the Sender's and Receiver's Next TSN are optional and
    // travel together, so the parameter is 12 bytes or 20, nothing else.
    let next_tsns = match value.len() {
        8 => None,
        16 => Some((Tsn(be32(value, 8)), Tsn(be32(value, 12)))),
        n => return Err(site.bad_length(n, "must be 12, or 20 with both next TSNs")),
    };
    Ok(Param::ReconfigResponse {
        response_seq: be32(value, 0),
        result: ReconfigResult(be32(value, 4)),
        next_tsns,
    })
}

/// Decodes an Add Outgoing or Add Incoming Streams Request (RFC 6525 §4.5,
/// §4.6); the two share one layout.
pub(super) fn decode_add_streams(
    value: &[u8],
    site: Site,
    outgoing: bool,
) -> Result<Param, WireError> {
    // RFC 6525 §4.5, §4.6: Parameter Length = 12.
    site.exact(value, 8, "must be 12")?;
    let request_seq = be32(value, 0);
    let new_streams = be16(value, 4);
    // RFC 6525 §4.5, §4.6: the receiver ignores the Reserved field; the
    // encoder writes it as 0.
    Ok(if outgoing {
        Param::AddOutgoingStreams {
            request_seq,
            new_streams,
        }
    } else {
        Param::AddIncomingStreams {
            request_seq,
            new_streams,
        }
    })
}

//! Parameters that announce protocol extensions in INIT and INIT ACK, and
//! the padding parameter.
//!
//! Forward-TSN-Supported (RFC 3758 §3.1,
//! <https://www.rfc-editor.org/rfc/rfc3758#section-3.1>): the sender
//! supports PR-SCTP. Its value is empty.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Parameter Type = 49152     |  Parameter Length = 4         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Supported Extensions (RFC 5061 §4.2.7,
//! <https://www.rfc-editor.org/rfc/rfc5061#section-4.2.7>): the chunk
//! types the sender supports beyond RFC 9260, one byte each, e.g. RE-CONFIG
//! (130), FORWARD TSN (192), I-DATA (64) and I-FORWARD TSN (194).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Parameter Type = 0x8008   |      Parameter Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | CHUNK TYPE 1  |  CHUNK TYPE 2 |  CHUNK TYPE 3 |  CHUNK TYPE 4 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                             ....                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | CHUNK TYPE N  |      PAD      |      PAD      |      PAD      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Zero Checksum Acceptable (RFC 9653 §4,
//! <https://www.rfc-editor.org/rfc/rfc9653#section-4>): the sender accepts
//! packets with a zero checksum when they are protected by the named
//! error detection method; see [`EDMID_DTLS`].
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Type = 0x8001         |          Length = 8           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Error Detection Method Identifier (EDMID)           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Padding (RFC 4820 §4, <https://www.rfc-editor.org/rfc/rfc4820#section-4>):
//! fills an INIT to probe the path MTU; the receiver ignores its content.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Parameter Type = 0x8005   |       Parameter Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                                                               /
//! \                          Padding Data                         \
//! /                                                               /
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::check::Site;
use super::Param;
use crate::error::WireError;

/// Error Detection Method Identifier 1: SCTP over DTLS, whose record
/// integrity check stands in for the CRC32c (RFC 9653, IANA "Error
/// Detection Method" registry). WebRTC data channels use it. EDMID 0 is
/// reserved.
pub const EDMID_DTLS: u32 = 1;

/// Decodes a Zero Checksum Acceptable parameter.
pub(super) fn decode_zero_checksum(value: &[u8], site: Site) -> Result<Param, WireError> {
    // RFC 9653 §4: Length = 8, a 32-bit EDMID.
    let edmid = site.exact_u32(value, "must be 8 (a 32-bit EDMID)")?;
    Ok(Param::ZeroChecksumAcceptable { edmid })
}

/// Decodes a Forward-TSN-Supported parameter.
pub(super) fn decode_forward_tsn_supported(value: &[u8], site: Site) -> Result<Param, WireError> {
    // RFC 3758 §3.1: Parameter Length = 4, no value.
    site.exact(value, 0, "must be 4 (no value)")?;
    Ok(Param::ForwardTsnSupported)
}

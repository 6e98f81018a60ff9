//! Address parameters of INIT and INIT ACK (RFC 9260 §3.3.2.1,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.2.1>).
//!
//! IPv4 Address (type 5) and IPv6 Address (type 6):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Type = 5            |          Length = 8           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         IPv4 Address                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Type = 6            |          Length = 20          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! |                         IPv6 Address                          |
//! |                                                               |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Host Name Address (type 11), which RFC 9260 no longer supports: a
//! receiver recognises it only to answer with an ABORT carrying an
//! Unresolvable Address error cause. The codec keeps the host name bytes
//! (NUL-terminated on the wire) as received.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Type = 11           |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                           Host Name                           /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Supported Address Types (type 12): a list of parameter types. An odd
//! number of entries leaves the value 2 bytes short of a multiple of four;
//! the Length does not count the padding that follows.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Type = 12           |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Address Type #1        |        Address Type #2        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            ......             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::check::Site;
use crate::error::WireError;
use crate::tlv::PackedList;
use crate::types::ParamType;
use bytes::Bytes;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Decodes the value of an IPv4 Address parameter.
pub(super) fn decode_ipv4(value: &[u8], site: Site) -> Result<Ipv4Addr, WireError> {
    // RFC 9260 §3.3.2.1: IPv4 Address, Length = 8.
    site.array::<4>(value, "must be 8 (a 4-byte IPv4 address)")
        .map(Ipv4Addr::from)
}

/// Decodes the value of an IPv6 Address parameter.
pub(super) fn decode_ipv6(value: &[u8], site: Site) -> Result<Ipv6Addr, WireError> {
    // RFC 9260 §3.3.2.1: IPv6 Address, Length = 20.
    site.array::<16>(value, "must be 20 (a 16-byte IPv6 address)")
        .map(Ipv6Addr::from)
}

/// Decodes the value of a Supported Address Types parameter.
pub(super) fn decode_supported_address_types(
    value: &Bytes,
    site: Site,
) -> Result<PackedList<ParamType>, WireError> {
    // RFC 9260 §3.3.2.1: each Address Type is 16 bits.
    PackedList::from_bytes(value.clone())
        .ok_or_else(|| site.bad_length(value.len(), "must be 4 + 2 × address types"))
}

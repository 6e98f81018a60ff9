//! Error causes about addresses: Unresolvable Address (RFC 9260
//! §3.3.10.5, <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10.5>)
//! and Restart of an Association with New Addresses (§3.3.10.11,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10.11>).
//!
//! Unresolvable Address (cause 5) carries the address parameter that could
//! not be resolved, whole (for instance a Host Name Address, which RFC 9260
//! no longer supports).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Cause Code = 5         |         Cause Length          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                     Unresolvable Address                      /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Restart of an Association with New Addresses (cause 11) carries the
//! address parameters a restarting INIT added, whole.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Cause Code = 11        |         Cause Length          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                       New Address TLVs                        /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Both values are parameters laid end to end; read them with
//! [`Param::decode_list`].

use super::ErrorCause;
use crate::param::Param;
use crate::tlv::{encode_list, list_len, Encode};
use bytes::BytesMut;

impl ErrorCause {
    /// An Unresolvable Address cause carrying `address` whole (RFC 9260
    /// §3.3.10.5), e.g. the Host Name Address of an INIT. Copies it.
    pub fn unresolvable_address(address: &Param) -> ErrorCause {
        ErrorCause::UnresolvableAddress(address.to_bytes())
    }

    /// A Restart of an Association with New Addresses cause carrying the
    /// address parameters the restart added (RFC 9260 §3.3.10.11), padded
    /// between each other. Copies them.
    pub fn restart_with_new_addresses(addresses: &[Param]) -> ErrorCause {
        let mut buf = BytesMut::with_capacity(list_len(addresses));
        encode_list(addresses, &mut buf);
        ErrorCause::RestartWithNewAddresses(buf.freeze())
    }
}

//! COOKIE ECHO (RFC 9260 §3.3.11, <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.11>).
//! COOKIE ACK (§3.3.12) has no value and is [`crate::Chunk::CookieAck`].
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type = 10   |Chunk  Flags   |         Length                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                            Cookie                             /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use bytes::{BufMut, Bytes, BytesMut};

/// A COOKIE ECHO chunk: the State Cookie from the INIT ACK, returned as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieEcho {
    /// The cookie bytes, a slice of the datagram.
    pub cookie: Bytes,
}

impl CookieEcho {
    pub(crate) fn value_len(&self) -> usize {
        self.cookie.len()
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.cookie);
    }

    pub(crate) fn decode(value: Bytes) -> Self {
        CookieEcho { cookie: value }
    }
}

//! PAD (RFC 4820 §3, <https://www.rfc-editor.org/rfc/rfc4820#section-3>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Type = 0x84   |   Flags=0     |             Length            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! \                         Padding Data                          /
//! /                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use bytes::{BufMut, Bytes, BytesMut};

/// A PAD chunk, used to grow a packet when probing the path MTU. The
/// receiver ignores the padding data (RFC 4820 §3).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Pad {
    /// The padding data.
    pub padding: Bytes,
}

impl Pad {
    /// A PAD chunk whose whole chunk, header included, is `chunk_len` bytes
    /// (at least 4), filled with zeros.
    pub fn with_chunk_len(chunk_len: usize) -> Self {
        Pad {
            padding: Bytes::from(vec![0; chunk_len.saturating_sub(4)]),
        }
    }

    pub(crate) fn value_len(&self) -> usize {
        self.padding.len()
    }

    pub(crate) fn encode_value(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.padding);
    }

    pub(crate) fn decode(value: Bytes) -> Self {
        Pad { padding: value }
    }
}

//! The SCTP common header (RFC 9260 §3.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Source Port Number        |     Destination Port Number   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Verification Tag                         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           Checksum                            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use bytes::{BufMut, BytesMut};

/// Size of the common header in bytes.
pub const COMMON_HEADER_LEN: usize = 12;

/// The fields of the common header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CommonHeader {
    /// The sender's SCTP port.
    pub src_port: u16,
    /// The receiver's SCTP port.
    pub dst_port: u16,
    /// The verification tag (RFC 9260 §8.5).
    pub verification_tag: u32,
    /// The checksum field read least significant byte first, the order in
    /// which SCTP stacks store the CRC32c (RFC 9260 Appendix B), so it
    /// compares equal to [`crate::crc32c`] of the packet. (tshark prints
    /// the same four bytes as a big-endian number.) Ignored when encoding:
    /// the packet builder writes the checksum last.
    pub checksum: u32,
}

impl CommonHeader {
    /// A header for sending; the checksum is filled in by the builder.
    #[inline]
    pub fn new(src_port: u16, dst_port: u16, verification_tag: u32) -> Self {
        CommonHeader {
            src_port,
            dst_port,
            verification_tag,
            checksum: 0,
        }
    }

    /// Reads the header from the 12 bytes it takes.
    #[inline]
    pub(crate) fn read(h: &[u8; COMMON_HEADER_LEN]) -> Self {
        CommonHeader {
            src_port: u16::from_be_bytes([h[0], h[1]]),
            dst_port: u16::from_be_bytes([h[2], h[3]]),
            verification_tag: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
            checksum: u32::from_le_bytes([h[8], h[9], h[10], h[11]]),
        }
    }

    /// Appends the header with a zero checksum field.
    pub(crate) fn write(&self, buf: &mut BytesMut) {
        let mut head = [0u8; COMMON_HEADER_LEN];
        head[..2].copy_from_slice(&self.src_port.to_be_bytes());
        head[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        head[4..8].copy_from_slice(&self.verification_tag.to_be_bytes());
        buf.put_slice(&head);
    }
}

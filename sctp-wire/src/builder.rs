//! Bundling chunks into a packet (RFC 9260 §6.10).

use crate::checksum::{crc32c, ChecksumMode};
use crate::chunk::ChunkEncode;
use crate::error::BuildError;
use crate::header::{CommonHeader, COMMON_HEADER_LEN};
use crate::tlv::{must_be_alone, put_padding};
use crate::types::ChunkType;
use bytes::{Bytes, BytesMut};

/// The smallest MTU a builder accepts: a common header and one chunk header.
pub const MIN_MTU: usize = COMMON_HEADER_LEN + 4;

/// Builds one packet: a common header, then chunks appended while they fit
/// in the MTU, each padded to 4 bytes, and the checksum written once by
/// [`PacketBuilder::finish`].
///
/// INIT, INIT ACK and SHUTDOWN COMPLETE are refused in a packet that holds
/// another chunk, and nothing is bundled after them (RFC 9260 §6.10).
///
/// ```
/// use sctp_wire::{ChecksumCheck, ChecksumMode, Chunk, CommonHeader, Packet, PacketBuilder};
///
/// let mut builder = PacketBuilder::new(CommonHeader::new(5000, 5000, 0x1234), 1200)?;
/// builder.push(&Chunk::CookieAck)?;
/// let datagram = builder.finish(ChecksumMode::Crc32c);
///
/// let packet = Packet::decode(datagram, ChecksumCheck::Required)?;
/// assert_eq!(packet.header().verification_tag, 0x1234);
/// assert_eq!(packet.chunks().next().unwrap()?, Chunk::CookieAck);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct PacketBuilder {
    buf: BytesMut,
    mtu: usize,
    chunks: usize,
    alone: Option<ChunkType>,
}

impl PacketBuilder {
    /// Starts a packet of at most `mtu` bytes (common header included).
    pub fn new(header: CommonHeader, mtu: usize) -> Result<Self, BuildError> {
        Self::with_buffer(header, mtu, BytesMut::new())
    }

    /// Like [`PacketBuilder::new`] but writing into `buf` (cleared first),
    /// so a caller can reuse one allocation for many packets.
    #[inline]
    pub fn with_buffer(
        header: CommonHeader,
        mtu: usize,
        mut buf: BytesMut,
    ) -> Result<Self, BuildError> {
        if mtu < MIN_MTU {
            return Err(BuildError::MtuTooSmall { mtu, min: MIN_MTU });
        }
        buf.clear();
        buf.reserve(mtu);
        header.write(&mut buf);
        Ok(PacketBuilder {
            buf,
            mtu,
            chunks: 0,
            alone: None,
        })
    }

    /// Room left for chunks, in bytes including their padding.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.mtu.saturating_sub(self.buf.len())
    }

    /// Number of chunks added so far.
    pub fn chunk_count(&self) -> usize {
        self.chunks
    }

    /// Whether no chunk has been added.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.chunks == 0
    }

    /// Appends `chunk` if it fits and the bundling rules allow it.
    pub fn push<C: ChunkEncode + ?Sized>(&mut self, chunk: &C) -> Result<(), BuildError> {
        let kind = chunk.chunk_type();
        if let Some(alone) = self.alone {
            return Err(BuildError::MustBeAlone { chunk: alone });
        }
        if must_be_alone(kind) && self.chunks > 0 {
            return Err(BuildError::MustBeAlone { chunk: kind });
        }
        let len = chunk.encoded_len();
        if len > usize::from(u16::MAX) {
            return Err(BuildError::ChunkTooLong {
                chunk: kind,
                length: len,
            });
        }
        // RFC 9260 §6.10: the MTU bounds the packet with every chunk padded.
        let needed = chunk.padded_len();
        if COMMON_HEADER_LEN + needed > self.mtu {
            return Err(BuildError::ChunkTooLarge {
                chunk: kind,
                needed: COMMON_HEADER_LEN + needed,
                mtu: self.mtu,
            });
        }
        if needed > self.remaining() {
            return Err(BuildError::PacketFull {
                chunk: kind,
                needed,
                remaining: self.remaining(),
            });
        }
        chunk.encode(&mut self.buf);
        put_padding(&mut self.buf, needed - len);
        self.chunks += 1;
        if must_be_alone(kind) {
            self.alone = Some(kind);
        }
        Ok(())
    }

    /// Writes the checksum and returns the datagram, and the unused
    /// capacity of the builder's buffer for the next packet: datagrams
    /// built one after the other into a buffer of many MTUs then share one
    /// allocation (each holds a reference), instead of one allocation each.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sctp_wire::{ChecksumMode, Chunk, CommonHeader, PacketBuilder};
    ///
    /// let header = CommonHeader::new(5000, 5000, 0x1234);
    /// let mut buffer = BytesMut::with_capacity(16 * 1200);
    /// let mut datagrams = Vec::new();
    /// for _ in 0..3 {
    ///     let mut builder = PacketBuilder::with_buffer(header, 1200, buffer)?;
    ///     builder.push(&Chunk::CookieAck)?;
    ///     let (datagram, rest) = builder.finish_split(ChecksumMode::Crc32c);
    ///     datagrams.push(datagram);
    ///     buffer = rest;
    /// }
    /// assert!(datagrams.iter().all(|d| d.len() == 16));
    /// // One allocation, the datagrams side by side in it.
    /// assert_eq!(datagrams[1].as_ptr(), datagrams[0].as_ptr().wrapping_add(16));
    /// assert!(buffer.capacity() >= 13 * 1200, "the rest stays available");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn finish_split(mut self, mode: ChecksumMode) -> (Bytes, BytesMut) {
        self.write_checksum(mode);
        let rest = self.buf.split_off(self.buf.len());
        (self.buf.freeze(), rest)
    }

    /// The buffer of a packet that will not be sent, for reuse by
    /// [`PacketBuilder::with_buffer`].
    #[inline]
    pub fn into_buffer(self) -> BytesMut {
        self.buf
    }

    /// Writes the checksum and returns the datagram.
    ///
    /// A packet holding an INIT always gets a CRC32c, whatever `mode` says:
    /// zero checksum is only for an association that negotiated it, and an
    /// INIT is sent before any negotiation (RFC 9653 §5.1).
    pub fn finish(mut self, mode: ChecksumMode) -> Bytes {
        self.write_checksum(mode);
        self.buf.freeze()
    }

    fn write_checksum(&mut self, mode: ChecksumMode) {
        let mode = if self.alone == Some(ChunkType::INIT) {
            ChecksumMode::Crc32c
        } else {
            mode
        };
        let checksum = match mode {
            // RFC 9260 §6.8: computed over the whole packet with the
            // checksum field zero, stored least significant byte first
            // (as every implementation reads Appendix B).
            ChecksumMode::Crc32c => crc32c(&self.buf),
            // RFC 9653 §5.1: zero once an alternate method protects the packet.
            ChecksumMode::Zero => 0,
        };
        self.buf[8..12].copy_from_slice(&checksum.to_le_bytes());
    }
}

//! Decoding a received datagram into its common header and chunks.

use crate::checksum::{packet_crc32c, ChecksumCheck};
use crate::chunk::Chunk;
use crate::error::WireError;
use crate::header::{CommonHeader, COMMON_HEADER_LEN};
use crate::tlv::{check_chunks, chunk_types, RawChunks};
use crate::types::ChunkType;
use bytes::Bytes;

/// A received SCTP packet whose header, checksum and chunk framing have
/// been checked.
///
/// Decoding happens in two stages (see the crate docs): [`Packet::decode`]
/// checks the datagram and every chunk length without allocating, then
/// [`Packet::chunks`] decodes each chunk into its typed form on demand.
/// Chunk values, and so user data, are slices of the datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    header: CommonHeader,
    datagram: Bytes,
}

impl Packet {
    /// Checks `datagram` as an SCTP packet: the common header, the checksum
    /// as `check` asks, and the length of every chunk (RFC 9260 §3, §6.8).
    pub fn decode(datagram: Bytes, check: ChecksumCheck) -> Result<Packet, WireError> {
        if datagram.len() < COMMON_HEADER_LEN {
            return Err(WireError::PacketTooShort {
                len: datagram.len(),
            });
        }
        let header = CommonHeader::read(&datagram);
        match check {
            ChecksumCheck::Skip => {}
            // RFC 9653 §5.2: once zero checksum is in use, a packet with a
            // checksum of zero is accepted, and so is one with a correct CRC32c.
            ChecksumCheck::ZeroAllowed if header.checksum == 0 => {}
            ChecksumCheck::Required if header.checksum == 0 => {
                // RFC 9653 §5.2: without negotiation a zero checksum is only
                // valid if the CRC32c happens to be zero.
                if packet_crc32c(&datagram) != 0 {
                    return Err(WireError::ZeroChecksumNotAllowed);
                }
            }
            ChecksumCheck::Required | ChecksumCheck::ZeroAllowed => {
                // RFC 9260 §6.8: a packet with an invalid checksum is
                // discarded silently.
                let computed = packet_crc32c(&datagram);
                if computed != header.checksum {
                    return Err(WireError::ChecksumMismatch {
                        received: header.checksum,
                        computed,
                    });
                }
            }
        }
        if datagram.len() == COMMON_HEADER_LEN {
            return Err(WireError::NoChunks);
        }
        check_chunks(&datagram, COMMON_HEADER_LEN)?;
        Ok(Packet { header, datagram })
    }

    /// The common header.
    pub fn header(&self) -> &CommonHeader {
        &self.header
    }

    /// The whole datagram.
    pub fn as_bytes(&self) -> &Bytes {
        &self.datagram
    }

    /// The chunks, cut out but not decoded. Their framing was checked by
    /// [`Packet::decode`], so the iterator yields no error for a packet
    /// built by it.
    pub fn raw_chunks(&self) -> RawChunks<'_> {
        RawChunks::new(&self.datagram, COMMON_HEADER_LEN)
    }

    /// The type of each chunk, in order, read from the chunk headers alone:
    /// nothing is cut out or decoded, so a receiver can apply rules about
    /// the packet's make-up (RFC 9260 §6.10) before decoding anything.
    ///
    /// ```
    /// use sctp_wire::{ChecksumCheck, ChecksumMode, Chunk, ChunkType, CommonHeader, Packet, PacketBuilder};
    ///
    /// let mut builder = PacketBuilder::new(CommonHeader::new(5000, 5000, 7), 1200)?;
    /// builder.push(&Chunk::CookieAck)?;
    /// builder.push(&Chunk::ShutdownAck)?;
    /// let packet = Packet::decode(builder.finish(ChecksumMode::Crc32c), ChecksumCheck::Required)?;
    /// let types: Vec<ChunkType> = packet.chunk_types().collect();
    /// assert_eq!(types, [ChunkType::COOKIE_ACK, ChunkType::SHUTDOWN_ACK]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn chunk_types(&self) -> impl Iterator<Item = ChunkType> + '_ {
        chunk_types(&self.datagram, COMMON_HEADER_LEN)
    }

    /// The chunks, each decoded into its typed form. A chunk that fails to
    /// decode yields an error and iteration goes on with the next one, so
    /// the caller decides, as RFC 9260 asks per chunk type, whether the
    /// rest of the packet is still processed.
    pub fn chunks(&self) -> impl Iterator<Item = Result<Chunk, WireError>> + '_ {
        self.raw_chunks().map(|raw| raw.and_then(Chunk::decode))
    }
}

//! Decoding a received datagram into its common header and chunks.

use crate::checksum::{packet_crc32c, ChecksumCheck};
use crate::chunk::Chunk;
use crate::error::WireError;
use crate::header::{CommonHeader, COMMON_HEADER_LEN};
use crate::tlv::{check_chunks, ChunkSummary, IntoRawChunks, RawChunks};
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
    summary: ChunkSummary,
}

impl Packet {
    /// Checks `datagram` as an SCTP packet: the common header, the checksum
    /// as `check` asks, and the length of every chunk (RFC 9260 §3, §6.8).
    pub fn decode(datagram: Bytes, check: ChecksumCheck) -> Result<Packet, WireError> {
        let Some(head) = datagram.first_chunk::<COMMON_HEADER_LEN>() else {
            return Err(WireError::PacketTooShort {
                len: datagram.len(),
            });
        };
        let header = CommonHeader::read(head);
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
        let summary = check_chunks(&datagram, COMMON_HEADER_LEN)?;
        Ok(Packet {
            header,
            datagram,
            summary,
        })
    }

    /// The common header.
    #[inline]
    pub fn header(&self) -> &CommonHeader {
        &self.header
    }

    /// How many chunks the packet holds.
    pub fn chunk_count(&self) -> usize {
        self.summary.count
    }

    /// Whether an INIT, INIT ACK or SHUTDOWN COMPLETE is bundled with
    /// other chunks, which RFC 9260 §6.10 forbids: a receiver discards
    /// such a packet. Found while [`Packet::decode`] checks the framing,
    /// at no extra cost.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sctp_wire::{ChecksumCheck, ChecksumMode, Chunk, CommonHeader, Packet, PacketBuilder};
    ///
    /// let mut builder = PacketBuilder::new(CommonHeader::new(5000, 5000, 7), 1200)?;
    /// builder.push(&Chunk::CookieAck)?;
    /// let fine = Packet::decode(builder.finish(ChecksumMode::Crc32c), ChecksumCheck::Required)?;
    /// assert!(!fine.bundles_a_lone_chunk());
    ///
    /// // A COOKIE ACK then a SHUTDOWN COMPLETE (type 14, 4 bytes), put
    /// // together by hand since the builder refuses to.
    /// let mut raw = BytesMut::from(&fine.as_bytes()[..]);
    /// raw.extend_from_slice(&[14, 0, 0, 4]);
    /// let crc = sctp_wire::crc32c(&{ let mut z = raw.clone(); z[8..12].fill(0); z });
    /// raw[8..12].copy_from_slice(&crc.to_le_bytes());
    /// let bad = Packet::decode(raw.freeze(), ChecksumCheck::Required)?;
    /// assert_eq!(bad.chunk_count(), 2);
    /// assert!(bad.bundles_a_lone_chunk());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn bundles_a_lone_chunk(&self) -> bool {
        self.summary.count > 1 && self.summary.has_lone_kind
    }

    /// The whole datagram.
    pub fn as_bytes(&self) -> &Bytes {
        &self.datagram
    }

    /// The chunks, cut out but not decoded. Their framing was checked by
    /// [`Packet::decode`], so the iterator yields no error for a packet
    /// built by it.
    #[inline]
    pub fn raw_chunks(&self) -> RawChunks<'_> {
        RawChunks::new(&self.datagram, COMMON_HEADER_LEN)
    }

    /// The chunks, cut out but not decoded, taking the packet: as
    /// [`Packet::raw_chunks`], but the last chunk's value is the datagram
    /// itself rather than a slice of it (no reference count to raise).
    #[inline]
    pub fn into_raw_chunks(self) -> IntoRawChunks {
        IntoRawChunks::new(self.datagram, COMMON_HEADER_LEN)
    }

    /// The chunks, decoded, taking the packet: as [`Packet::chunks`], with
    /// the last chunk's value the datagram itself (see
    /// [`Packet::into_raw_chunks`]).
    #[inline]
    pub fn into_chunks(self) -> impl Iterator<Item = Result<Chunk, WireError>> {
        self.into_raw_chunks()
            .map(|raw| raw.and_then(Chunk::decode))
    }

    /// The chunks, each decoded into its typed form. A chunk that fails to
    /// decode yields an error and iteration goes on with the next one, so
    /// the caller decides, as RFC 9260 asks per chunk type, whether the
    /// rest of the packet is still processed.
    #[inline]
    pub fn chunks(&self) -> impl Iterator<Item = Result<Chunk, WireError>> + '_ {
        self.raw_chunks().map(|raw| raw.and_then(Chunk::decode))
    }
}

//! CRC32c, the SCTP checksum (RFC 9260 §6.8 and Appendix B), and the
//! zero-checksum mode of RFC 9653.
//!
//! The hot path uses the `crc32c` crate, which runs the SSE 4.2 (x86-64) or
//! ARMv8 CRC instructions on three interleaved streams. `benches/wire.rs`
//! measures it beside the `crc` crate's 1- and 16-table software and
//! `crc-fast`; the crate README records the figures, where `crc32c` is the
//! fastest on this project's machines. On CPUs without the instructions
//! the `crc` crate's 16-table implementation is used instead.

use crc::{Crc, Table, CRC_32_ISCSI};

/// How the checksum field of an outgoing packet is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChecksumMode {
    /// CRC32c over the packet (RFC 9260 §6.8).
    #[default]
    Crc32c,
    /// The constant 0, allowed once both ends agreed on an alternate error
    /// detection method (RFC 9653 §5.1).
    Zero,
}

/// How the checksum field of a received packet is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChecksumCheck {
    /// The CRC32c must match (RFC 9260 §6.8).
    #[default]
    Required,
    /// A checksum of 0 is accepted as well as a matching CRC32c; only for an
    /// association that negotiated zero checksum (RFC 9653 §5.2).
    ZeroAllowed,
    /// The checksum is not looked at. For packets whose integrity a lower
    /// layer already guarantees, and for fuzzing.
    Skip,
}

static SOFTWARE: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);

/// CRC32c of `data` with the `crc` crate's 16-table software algorithm,
/// usable on every CPU.
pub fn crc32c_software(data: &[u8]) -> u32 {
    SOFTWARE.checksum(data)
}

/// Whether this CPU has the CRC32c instructions the accelerated path uses.
pub fn crc32c_is_accelerated() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("sse4.2")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("crc")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// CRC32c of `data`: hardware-accelerated where the CPU allows, the
/// software tables otherwise.
#[inline]
pub fn crc32c(data: &[u8]) -> u32 {
    if crc32c_is_accelerated() {
        crc32c::crc32c(data)
    } else {
        crc32c_software(data)
    }
}

/// CRC32c of an SCTP packet as if its checksum field (bytes 8..12) were
/// zero, without copying it (RFC 9260 Appendix B). `packet` holds at least
/// the 12-byte common header.
pub(crate) fn packet_crc32c(packet: &[u8]) -> u32 {
    packet_crc32c_on(packet, crc32c_is_accelerated())
}

/// [`packet_crc32c`] with the implementation chosen by the caller, so the
/// tests run the software path on CPUs that have the instructions.
fn packet_crc32c_on(packet: &[u8], accelerated: bool) -> u32 {
    let mut header = [0u8; 12];
    header[..8].copy_from_slice(&packet[..8]);
    if accelerated {
        crc32c::crc32c_append(crc32c::crc32c(&header), &packet[12..])
    } else {
        let mut digest = SOFTWARE.digest();
        digest.update(&header);
        digest.update(&packet[12..]);
        digest.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 3720 Appendix B.4 gives CRC32c test vectors; RFC 9260 Appendix B
    // names the same polynomial.
    fn vectors() -> Vec<(Vec<u8>, u32)> {
        vec![
            (vec![0u8; 32], 0x8a91_36aa),
            (vec![0xffu8; 32], 0x62a8_ab43),
            ((0u8..32).collect(), 0x46dd_794e),
            ((0u8..32).rev().collect(), 0x113f_db5c),
            (b"123456789".to_vec(), 0xe306_9283),
        ]
    }

    #[test]
    fn software_and_dispatch_match_the_rfc_3720_vectors() {
        for (data, expected) in vectors() {
            assert_eq!(crc32c_software(&data), expected, "software on {data:?}");
            assert_eq!(crc32c(&data), expected, "dispatch on {data:?}");
        }
    }

    #[test]
    fn packet_checksum_treats_the_checksum_field_as_zero() {
        // RFC 9260 §6.8: the CRC32c is computed with the checksum field zero.
        for len in [12usize, 13, 64, 1200, 5000] {
            let mut packet: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let hardware = packet_crc32c_on(&packet, true);
            let software = packet_crc32c_on(&packet, false);
            packet[8..12].fill(0);
            assert_eq!(software, crc32c_software(&packet), "software, {len} bytes");
            assert_eq!(hardware, software, "hardware, {len} bytes");
            assert_eq!(packet_crc32c(&packet), software);
        }
    }

    #[test]
    fn software_and_accelerated_agree_on_every_length_and_alignment() {
        let data: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for start in 0..8 {
            for len in (0..600).chain([1199, 1200, 4000]) {
                let slice = &data[start..start + len];
                assert_eq!(crc32c(slice), crc32c_software(slice), "{start}+{len}");
            }
        }
    }
}

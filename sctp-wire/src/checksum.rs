//! CRC32c, the SCTP checksum (RFC 9260 §6.8 and Appendix B), and the
//! zero-checksum mode of RFC 9653.
//!
//! The hot path uses `crc-fast`, which folds with carry-less multiplication
//! on CPUs that have it; `benches/wire.rs` measures it beside the `crc`
//! crate's 16-table software and the `crc32c` crate, and the crate README
//! records the figures. On CPUs without those instructions the `crc` crate's
//! table implementation is used instead.

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

/// Whether this CPU has the instructions the accelerated CRC32c needs.
pub fn crc32c_is_accelerated() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("sse4.2")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("crc")
            && std::arch::is_aarch64_feature_detected!("aes")
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
        crc_fast::crc32_iscsi(data)
    } else {
        crc32c_software(data)
    }
}

/// CRC32c of an SCTP packet as if its checksum field (bytes 8..12) were
/// zero, without copying it (RFC 9260 Appendix B). `packet` holds at least
/// the 12-byte common header.
pub(crate) fn packet_crc32c(packet: &[u8]) -> u32 {
    const ZERO: [u8; 4] = [0; 4];
    if crc32c_is_accelerated() {
        let mut digest = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi);
        digest.update(&packet[..8]);
        digest.update(&ZERO);
        digest.update(&packet[12..]);
        digest.finalize() as u32
    } else {
        let mut digest = SOFTWARE.digest();
        digest.update(&packet[..8]);
        digest.update(&ZERO);
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
        let mut packet: Vec<u8> = (0u8..64).collect();
        let with_field = packet_crc32c(&packet);
        packet[8..12].fill(0);
        assert_eq!(with_field, crc32c_software(&packet));
        assert_eq!(with_field, crc32c(&packet));
    }
}

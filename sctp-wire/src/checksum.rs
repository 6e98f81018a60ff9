//! CRC32c, the SCTP checksum (RFC 9260 §6.8 and Appendix B), and the
//! zero-checksum mode of RFC 9653.
//!
//! Three implementations, the fastest the CPU allows:
//! - on x86-64 with SSE 4.2 and PCLMULQDQ, this crate's own (the `folded`
//!   module): three CRC chains over lanes as long as the packet allows,
//!   folded with carry-less multiplications;
//! - on other CPUs with CRC instructions (ARMv8), the `crc32c` crate;
//! - elsewhere the `crc` crate's 16-table software.
//!
//! `benches/wire.rs` measures them beside the `crc` crate's 1-table
//! software and `crc-fast`; the crate README records the figures.

use crc::{Crc, Table, CRC_32_ISCSI};

#[cfg(target_arch = "x86_64")]
mod folded;

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

/// The CRC32c implementations, fastest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Implementation {
    /// SSE 4.2 and PCLMULQDQ: the `folded` module.
    #[cfg(target_arch = "x86_64")]
    Folded,
    /// The `crc32c` crate's use of the CRC instructions.
    Instructions,
    /// The `crc` crate's tables.
    Software,
}

impl Implementation {
    /// The fastest this CPU runs. The feature checks are cached loads.
    #[inline]
    fn best() -> Self {
        #[cfg(target_arch = "x86_64")]
        if folded::available() {
            return Implementation::Folded;
        }
        if crc32c_is_accelerated() {
            Implementation::Instructions
        } else {
            Implementation::Software
        }
    }

    fn crc32c(self, data: &[u8]) -> u32 {
        match self {
            #[cfg(target_arch = "x86_64")]
            Implementation::Folded => folded::crc32c(data),
            Implementation::Instructions => crc32c::crc32c(data),
            Implementation::Software => crc32c_software(data),
        }
    }

    /// CRC32c of `packet` with its checksum field (bytes 8..12) as zero.
    fn packet_crc32c(self, packet: &[u8]) -> u32 {
        let header = || {
            let mut header = [0u8; 12];
            header[..8].copy_from_slice(&packet[..8]);
            header
        };
        match self {
            #[cfg(target_arch = "x86_64")]
            Implementation::Folded => folded::packet_crc32c(packet),
            Implementation::Instructions => {
                crc32c::crc32c_append(crc32c::crc32c(&header()), &packet[12..])
            }
            Implementation::Software => {
                let mut digest = SOFTWARE.digest();
                digest.update(&header());
                digest.update(&packet[12..]);
                digest.finalize()
            }
        }
    }
}

/// CRC32c of `data`: hardware-accelerated where the CPU allows, the
/// software tables otherwise.
#[inline]
pub fn crc32c(data: &[u8]) -> u32 {
    Implementation::best().crc32c(data)
}

/// CRC32c of an SCTP packet as if its checksum field (bytes 8..12) were
/// zero, without copying it (RFC 9260 Appendix B). `packet` holds at least
/// the 12-byte common header.
pub(crate) fn packet_crc32c(packet: &[u8]) -> u32 {
    Implementation::best().packet_crc32c(packet)
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

    /// Every implementation this CPU can run.
    fn implementations() -> Vec<Implementation> {
        let mut all = vec![Implementation::Software];
        if crc32c_is_accelerated() {
            all.push(Implementation::Instructions);
        }
        #[cfg(target_arch = "x86_64")]
        if folded::available() {
            all.push(Implementation::Folded);
        }
        all
    }

    #[test]
    fn every_implementation_matches_the_rfc_3720_vectors() {
        for imp in implementations() {
            for (data, expected) in vectors() {
                assert_eq!(imp.crc32c(&data), expected, "{imp:?} on {data:?}");
            }
        }
    }

    #[test]
    fn packet_checksum_treats_the_checksum_field_as_zero() {
        // RFC 9260 §6.8: the CRC32c is computed with the checksum field zero.
        for len in [12usize, 13, 20, 35, 36, 64, 1200, 1500, 1537, 5000, 65535] {
            let mut packet: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let computed: Vec<u32> = implementations()
                .into_iter()
                .map(|imp| imp.packet_crc32c(&packet))
                .collect();
            let dispatched = packet_crc32c(&packet);
            packet[8..12].fill(0);
            let expected = crc32c_software(&packet);
            assert!(computed.iter().all(|&c| c == expected), "{len} bytes");
            assert_eq!(dispatched, expected, "{len} bytes");
        }
    }

    #[test]
    fn implementations_agree_on_every_length_and_alignment() {
        // Lengths around each lane and block boundary of the folded
        // implementation (blocks of 3 lanes of 8 to 512 bytes).
        let data: Vec<u8> = (0..8192u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for start in 0..8 {
            for len in (0..1600).chain([3071, 3072, 3073, 4000, 8000]) {
                let slice = &data[start..start + len];
                let expected = crc32c_software(slice);
                for imp in implementations() {
                    assert_eq!(imp.crc32c(slice), expected, "{imp:?} {start}+{len}");
                }
                assert_eq!(crc32c(slice), expected, "dispatch {start}+{len}");
            }
        }
    }
}

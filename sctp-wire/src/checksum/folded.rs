//! CRC32c on x86-64 with SSE 4.2 and PCLMULQDQ, for packet-sized buffers.
//!
//! The CRC32 instruction takes 3 cycles and can start one every cycle, so
//! one dependent chain runs at a third of the instruction's throughput.
//! Each block of the buffer is therefore cut into three lanes of equal
//! length, whose CRCs run side by side; the first two are then moved past
//! the lanes after them with one carry-less multiplication each and folded
//! into the third (the method of Gopal et al., "Fast CRC Computation for
//! iSCSI Polynomial Using CRC32 Instruction", Intel, 2011).
//!
//! Lanes are as long as the buffer allows (up to [`LANE_MAX`]), so a
//! 1200-byte packet is three lanes of 400 bytes and a 24-byte remainder at
//! most runs on one chain. The `crc32c` crate instead works in fixed blocks
//! of 3 × 256 bytes and runs the rest of a packet (up to 767 bytes) on one
//! chain; `benches/wire.rs` measures both.
//!
//! This is the one module of the crate with `unsafe`: the call into the
//! `#[target_feature]` function, made only once the CPU features were
//! detected at run time. Everything inside is safe code.

use std::arch::x86_64::{
    _mm_clmulepi64_si128, _mm_crc32_u32, _mm_crc32_u64, _mm_crc32_u8, _mm_cvtsi128_si64,
    _mm_cvtsi32_si128, _mm_cvtsi64_si128,
};

/// The CRC32c polynomial, bit-reflected (RFC 9260 Appendix B).
const POLY: u32 = 0x82F6_3B78;

/// The longest lane, in bytes: blocks of up to 3 × 512 bytes, so a
/// 1500-byte packet is one block.
const LANE_MAX: usize = 512;

/// `SHIFT[k]` is x^(64·k − 33) mod P, bit-reflected: the multiplier that,
/// after one more CRC32 of 64 bits, moves a CRC past 8·k bytes.
const SHIFT: [u32; 2 * LANE_MAX / 8 + 1] = {
    let mut table = [0u32; 2 * LANE_MAX / 8 + 1];
    // x^0 is the top bit in the reflected form; multiplying by x is a
    // right shift, reduced by the polynomial.
    let mut power = 0x8000_0000u32;
    let mut bits = 0;
    while bits < 31 {
        power = times_x(power);
        bits += 1;
    }
    let mut k = 1;
    while k < table.len() {
        table[k] = power;
        let mut bits = 0;
        while bits < 64 {
            power = times_x(power);
            bits += 1;
        }
        k += 1;
    }
    table
};

const fn times_x(value: u32) -> u32 {
    if value & 1 == 1 {
        (value >> 1) ^ POLY
    } else {
        value >> 1
    }
}

/// Whether this CPU has the instructions this module needs.
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("sse4.2")
        && std::arch::is_x86_feature_detected!("pclmulqdq")
}

/// CRC32c of `data`. The caller checked [`available`].
pub(super) fn crc32c(data: &[u8]) -> u32 {
    debug_assert!(available());
    #[allow(unsafe_code)]
    // SAFETY: the caller found SSE 4.2 and PCLMULQDQ on this CPU, the only
    // requirement of a `#[target_feature]` function.
    let register = unsafe { update(!0, &[], data) };
    !register
}

/// CRC32c of an SCTP packet with its checksum field (bytes 8..12) taken as
/// zero (RFC 9260 Appendix B). The caller checked [`available`] and that
/// the packet holds the 12-byte common header.
pub(super) fn packet_crc32c(packet: &[u8]) -> u32 {
    debug_assert!(available());
    #[allow(unsafe_code)]
    // SAFETY: as in `crc32c`.
    let register = unsafe { update(!0, &packet[..8], &packet[12..]) };
    !register
}

/// Reads 8 bytes, least significant first, as the CRC32 instruction
/// expects them. `bytes` holds at least 8.
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

/// Carry-less product of a 32-bit CRC and a multiplier from [`SHIFT`].
#[inline]
#[target_feature(enable = "sse4.2,pclmulqdq")]
fn clmul(crc: u64, multiplier: u32) -> u64 {
    let product = _mm_clmulepi64_si128(
        _mm_cvtsi64_si128(crc as i64),
        _mm_cvtsi32_si128(multiplier as i32),
        0,
    );
    _mm_cvtsi128_si64(product) as u64
}

/// Runs the CRC register `register` over `head` (8 bytes or none), four
/// zero bytes when `head` is given (a packet's checksum field), then
/// `data`; returns the register.
#[target_feature(enable = "sse4.2,pclmulqdq")]
fn update(register: u32, head: &[u8], data: &[u8]) -> u32 {
    let mut crc = u64::from(register);
    if head.len() == 8 {
        crc = _mm_crc32_u64(crc, word(head));
        crc = u64::from(_mm_crc32_u32(crc as u32, 0));
    }
    let mut rest = data;
    while rest.len() >= 24 {
        let lane = (rest.len() / 24 * 8).min(LANE_MAX);
        let (a, tail) = rest.split_at(lane);
        let (b, tail) = tail.split_at(lane);
        let (c, tail) = tail.split_at(lane);
        let last = lane - 8;
        let (mut crc_a, mut crc_b, mut crc_c) = (crc, 0u64, 0u64);
        let lanes = a[..last]
            .chunks_exact(8)
            .zip(b[..last].chunks_exact(8))
            .zip(c[..last].chunks_exact(8));
        for ((x, y), z) in lanes {
            crc_a = _mm_crc32_u64(crc_a, word(x));
            crc_b = _mm_crc32_u64(crc_b, word(y));
            crc_c = _mm_crc32_u64(crc_c, word(z));
        }
        crc_a = _mm_crc32_u64(crc_a, word(&a[last..]));
        crc_b = _mm_crc32_u64(crc_b, word(&b[last..]));
        // Lane A's CRC moves past lanes B and C, lane B's past lane C; the
        // last CRC32 of lane C does the final 64 bits of both moves.
        let words = lane / 8;
        let moved = clmul(crc_a, SHIFT[2 * words]) ^ clmul(crc_b, SHIFT[words]);
        crc = _mm_crc32_u64(crc_c, word(&c[last..]) ^ moved);
        rest = tail;
    }
    let mut words = rest.chunks_exact(8);
    for w in &mut words {
        crc = _mm_crc32_u64(crc, word(w));
    }
    let mut crc = crc as u32;
    for &byte in words.remainder() {
        crc = _mm_crc32_u8(crc, byte);
    }
    crc
}

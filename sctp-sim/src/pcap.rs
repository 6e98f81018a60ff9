//! pcap output (DESIGN.md §5): every packet as an association sent it,
//! behind a synthetic IPv4 header with protocol 132 (SCTP), stamped with
//! virtual time, so Wireshark or tshark can open a simulated run.
//!
//! Flow `n` runs between 10.x.y.1 (client) and 10.x.y.2 (server), where
//! x.y is `n` in two bytes.

use crate::Side;
use std::io::{self, Write};

/// LINKTYPE_IPV4: each record is a bare IPv4 packet.
const LINKTYPE_IPV4: u32 = 228;
const IPV4_HEADER: usize = 20;

/// Writes a classic pcap file (microsecond timestamps).
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    packets: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?;
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&0i32.to_le_bytes())?; // thiszone
        out.write_all(&0u32.to_le_bytes())?; // sigfigs
        out.write_all(&65_535u32.to_le_bytes())?; // snaplen
        out.write_all(&LINKTYPE_IPV4.to_le_bytes())?;
        Ok(PcapWriter { out, packets: 0 })
    }

    /// The address of `side` of flow `flow`.
    pub fn address(flow: usize, side: Side) -> [u8; 4] {
        let [.., hi, lo] = (flow as u64).to_be_bytes();
        [10, hi, lo, 1 + side as u8]
    }

    /// Writes one SCTP packet sent at `at` ns by `from` on flow `flow`.
    pub fn packet(&mut self, at: u64, flow: usize, from: Side, sctp: &[u8]) -> io::Result<()> {
        let total = IPV4_HEADER + sctp.len();
        let total16 = u16::try_from(total)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet over 65535 bytes"))?;
        let mut ip = [0u8; IPV4_HEADER];
        ip[0] = 0x45; // version 4, 5 words
        ip[2..4].copy_from_slice(&total16.to_be_bytes());
        ip[4..6].copy_from_slice(&(self.packets as u16).to_be_bytes());
        ip[6] = 0x40; // don't fragment
        ip[8] = 64; // TTL
        ip[9] = 132; // SCTP
        ip[12..16].copy_from_slice(&Self::address(flow, from));
        ip[16..20].copy_from_slice(&Self::address(flow, from.peer()));
        let checksum = ipv4_checksum(&ip);
        ip[10..12].copy_from_slice(&checksum.to_be_bytes());
        let seconds = u32::try_from(at / 1_000_000_000).unwrap_or(u32::MAX);
        let micros = ((at % 1_000_000_000) / 1000) as u32;
        self.out.write_all(&seconds.to_le_bytes())?;
        self.out.write_all(&micros.to_le_bytes())?;
        self.out.write_all(&(total as u32).to_le_bytes())?;
        self.out.write_all(&(total as u32).to_le_bytes())?;
        self.out.write_all(&ip)?;
        self.out.write_all(sctp)?;
        self.packets += 1;
        Ok(())
    }

    /// Packets written.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The one's-complement sum of RFC 791 over a header whose checksum field
/// is zero.
fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_an_ipv4_header_that_checks() {
        let mut w = PcapWriter::new(Vec::new()).expect("in memory");
        w.packet(1_500_000_000, 258, Side::Server, &[1, 2, 3, 4])
            .expect("in memory");
        assert_eq!(w.packets(), 1);
        let bytes = w.finish().expect("in memory");
        assert_eq!(bytes.len(), 24 + 16 + 20 + 4);
        assert_eq!(bytes[..4], [0xd4, 0xc3, 0xb2, 0xa1]);
        let record = &bytes[24..];
        assert_eq!(record[..4], 1u32.to_le_bytes());
        assert_eq!(record[4..8], 500_000u32.to_le_bytes());
        let ip = &record[16..36];
        assert_eq!(ip[9], 132);
        assert_eq!(ip[12..16], [10, 1, 2, 2]);
        assert_eq!(ip[16..20], [10, 1, 2, 1]);
        // A header with its checksum in place sums to zero.
        assert_eq!(ipv4_checksum(ip), 0);
        assert_eq!(record[36..], [1, 2, 3, 4]);
    }
}

//! Writes a pcap file holding one SCTP packet per chunk kind `sctp-wire`
//! supports, so that Wireshark or tshark can judge our encoder.
//!
//! ```text
//! cargo run -p sctp-wire --example pcap -- out.pcap
//! tshark -r out.pcap -o sctp.checksum:CRC-32C -V
//! ```
//!
//! Each record is a raw IPv4 packet (link type 101), 127.0.0.1 → 127.0.0.2,
//! protocol 132, around a datagram from `PacketBuilder::finish` with a
//! CRC32c. Beside the capture, `<path>.chunks` lists, one packet a line,
//! its chunk types and the Length fields of its chunks, parameters and
//! error causes (`types=3,0 lengths=16,27 params= causes=  # name`), for
//! `cargo xtask tshark` to compare with what tshark dissects.

mod common;

use sctp_wire::{Chunk, Encode};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

/// LINKTYPE_RAW: the record starts with an IPv4 or IPv6 header.
const LINKTYPE_RAW: u32 = 101;
/// IANA protocol number of SCTP.
const IPPROTO_SCTP: u8 = 132;

/// A classic pcap writer (little-endian, microsecond timestamps).
struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    fn new(mut out: W, linktype: u32) -> io::Result<Self> {
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?; // magic
        out.write_all(&2u16.to_le_bytes())?; // version major
        out.write_all(&4u16.to_le_bytes())?; // version minor
        out.write_all(&0i32.to_le_bytes())?; // thiszone
        out.write_all(&0u32.to_le_bytes())?; // sigfigs
        out.write_all(&65_535u32.to_le_bytes())?; // snaplen
        out.write_all(&linktype.to_le_bytes())?;
        Ok(PcapWriter { out })
    }

    fn record(&mut self, ts_sec: u32, ts_usec: u32, data: &[u8]) -> io::Result<()> {
        let len = u32::try_from(data.len()).expect("record under 4 GiB");
        for field in [ts_sec, ts_usec, len, len] {
            self.out.write_all(&field.to_le_bytes())?;
        }
        self.out.write_all(data)
    }

    fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// An IPv4 header (RFC 791, no options) for `payload`, then `payload`.
fn ipv4(id: u16, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let total = u16::try_from(20 + payload.len()).expect("packet under 64 KiB");
    let mut p = Vec::with_capacity(usize::from(total));
    p.extend_from_slice(&[0x45, 0]); // version 4, IHL 5; DSCP/ECN 0
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&0x4000u16.to_be_bytes()); // don't fragment
    p.extend_from_slice(&[64, IPPROTO_SCTP, 0, 0]); // TTL, protocol, checksum
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    // RFC 1071: the ones' complement of the ones' complement sum of the
    // header's 16-bit words, the checksum field counted as zero.
    let mut sum: u32 = p
        .chunks_exact(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    p[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// `items` as a comma-separated list.
fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The Length field of each parameter and error cause in `chunk`, in wire
/// order: what tshark reports as `sctp.parameter_length` and
/// `sctp.cause_length`.
fn tlv_lengths(chunk: &Chunk) -> (Vec<usize>, Vec<usize>) {
    match chunk {
        Chunk::Init(init) | Chunk::InitAck(init) => (
            init.params.iter().map(Encode::encoded_len).collect(),
            vec![],
        ),
        Chunk::Reconfig(reconfig) => (
            reconfig.params.iter().map(Encode::encoded_len).collect(),
            vec![],
        ),
        // The Heartbeat Info parameter.
        Chunk::Heartbeat(hb) | Chunk::HeartbeatAck(hb) => (vec![4 + hb.info.len()], vec![]),
        Chunk::Abort(abort) => (
            vec![],
            abort.causes.iter().map(Encode::encoded_len).collect(),
        ),
        Chunk::Error(error) => (
            vec![],
            error.causes.iter().map(Encode::encoded_len).collect(),
        ),
        _ => (vec![], vec![]),
    }
}

/// One line of the `.chunks` file: per packet, the chunk types, chunk
/// lengths, parameter lengths and cause lengths, as tshark's fields
/// `sctp.chunk_type`, `sctp.chunk_length`, `sctp.parameter_length` and
/// `sctp.cause_length` list them, then the packet's name as a comment.
fn expected_line(sample: &common::Sample) -> String {
    let (mut params, mut causes) = (Vec::new(), Vec::new());
    for chunk in &sample.chunks {
        let (p, c) = tlv_lengths(chunk);
        params.extend(p);
        causes.extend(c);
    }
    format!(
        "types={} lengths={} params={} causes={}  # {}\n",
        list(sample.chunk_types().iter().map(|t| t.0)),
        list(sample.chunks.iter().map(Encode::encoded_len)),
        list(params),
        list(causes),
        sample.name
    )
}

fn run(path: &str) -> io::Result<()> {
    let samples = common::samples();
    let mut pcap = PcapWriter::new(BufWriter::new(File::create(path)?), LINKTYPE_RAW)?;
    let mut listing = String::new();
    for (i, sample) in samples.iter().enumerate() {
        let datagram = sample.build();
        let n = u16::try_from(i).expect("few samples");
        let packet = ipv4(n + 1, [127, 0, 0, 1], [127, 0, 0, 2], &datagram);
        // A fixed start time keeps the file byte-for-byte reproducible.
        pcap.record(1_700_000_000, u32::from(n) * 1_000, &packet)?;
        listing.push_str(&expected_line(sample));
        let names: Vec<String> = sample.chunk_types().iter().map(|t| t.to_string()).collect();
        println!(
            "{:>3} {:>5} bytes  {}  [{}]",
            i + 1,
            datagram.len(),
            sample.name,
            names.join(", ")
        );
    }
    pcap.finish()?;
    let sidecar = format!("{path}.chunks");
    std::fs::write(&sidecar, listing)?;
    println!(
        "wrote {} packets to {path} (chunk list in {sidecar})",
        samples.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: pcap OUTPUT.pcap");
        return ExitCode::from(2);
    };
    match run(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pcap: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

//! Decodes SCTP packets and prints their common header and chunks.
//!
//! ```text
//! cargo run -p sctp-wire --example decode -- [-v] [--builtin] [FILE.hex ...]
//! ```
//!
//! Each file holds hex text, one packet a line; whitespace and `:` between
//! bytes are ignored and `#` starts a comment. With no file, or with
//! `--builtin`, it also decodes the packets the `pcap` example writes (one
//! per chunk kind). `-v` adds each chunk's `Debug` form.
//!
//! A packet that `sctp-wire` rejects is printed with the reason and counted,
//! not fatal: capture files may hold bad packets on purpose. The exit
//! status is non-zero when a file cannot be read, a line is not hex, or a
//! built-in packet fails to decode.

mod common;

use bytes::Bytes;
use sctp_wire::{ChecksumCheck, ChunkType, Packet};
use std::process::ExitCode;

#[derive(Default)]
struct Tally {
    packets: usize,
    rejected: usize,
    bad_chunks: usize,
}

impl Tally {
    /// Decodes and prints one packet; returns its chunk types if it and
    /// all its chunks decoded.
    fn show(
        &mut self,
        label: &str,
        note: Option<&str>,
        datagram: Bytes,
        verbose: bool,
    ) -> Option<Vec<ChunkType>> {
        self.packets += 1;
        println!("{label}: {} bytes", datagram.len());
        if let Some(note) = note {
            println!("  # {note}");
        }
        let packet = match Packet::decode(datagram, ChecksumCheck::Required) {
            Ok(packet) => packet,
            Err(e) => {
                self.rejected += 1;
                println!("  rejected: {e}");
                return None;
            }
        };
        let h = packet.header();
        println!(
            "  header: port {} -> {}, verification tag {:#010x}, checksum {:#010x} (CRC32c verified)",
            h.src_port, h.dst_port, h.verification_tag, h.checksum
        );
        let mut types = Some(Vec::new());
        for (i, chunk) in packet.chunks().enumerate() {
            match chunk {
                Ok(chunk) => {
                    if let Some(types) = &mut types {
                        types.push(chunk.chunk_type());
                    }
                    println!("  chunk {}: {chunk}", i + 1);
                    if verbose {
                        for line in format!("{chunk:#?}").lines() {
                            println!("      {line}");
                        }
                    }
                }
                Err(e) => {
                    types = None;
                    self.bad_chunks += 1;
                    println!("  chunk {}: error: {e}", i + 1);
                }
            }
        }
        types
    }
}

/// Parses one line of hex digits, ignoring whitespace and `:`.
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).map_err(|_| "not ASCII".to_string())?;
            u8::from_str_radix(s, 16).map_err(|_| format!("{s:?} is not a hex byte"))
        })
        .collect()
}

/// Decodes every packet line of `path`; errors are about the file, not the packets.
fn decode_file(path: &str, tally: &mut Tally, verbose: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    // The last comment line before a packet describes it.
    let mut note: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let (data, comment) = match line.split_once('#') {
            Some((data, comment)) => (data, Some(comment.trim())),
            None => (line, None),
        };
        if data.trim().is_empty() {
            if let Some(comment) = comment.filter(|c| !c.is_empty()) {
                note = Some(comment.to_string());
            }
            continue;
        }
        let bytes = parse_hex(data).map_err(|e| format!("{path}:{}: {e}", n + 1))?;
        let note = comment
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .or(note.take());
        tally.show(
            &format!("{path}:{}", n + 1),
            note.as_deref(),
            bytes.into(),
            verbose,
        );
        println!();
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut verbose = false;
    let mut builtin = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "-v" | "--verbose" => verbose = true,
            "--builtin" => builtin = true,
            "-h" | "--help" => {
                println!("usage: decode [-v|--verbose] [--builtin] [FILE.hex ...]");
                return ExitCode::SUCCESS;
            }
            _ if arg.starts_with('-') => {
                eprintln!("decode: unknown option {arg}");
                return ExitCode::from(2);
            }
            _ => files.push(arg),
        }
    }
    let mut tally = Tally::default();
    let mut failed = false;
    for file in &files {
        if let Err(e) = decode_file(file, &mut tally, verbose) {
            eprintln!("decode: {e}");
            failed = true;
        }
    }
    if builtin || files.is_empty() {
        for (i, sample) in common::samples().iter().enumerate() {
            let label = format!("built-in packet {}", i + 1);
            let decoded = tally.show(&label, Some(sample.name), sample.build(), verbose);
            if decoded.as_ref() != Some(&sample.chunk_types()) {
                eprintln!(
                    "decode: {label} ({}) does not decode to the chunks it was built from",
                    sample.name
                );
                failed = true;
            }
            println!();
        }
    }
    println!(
        "{} packets: {} decoded, {} rejected, {} chunks failed to decode",
        tally.packets,
        tally.packets - tally.rejected,
        tally.rejected,
        tally.bad_chunks
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

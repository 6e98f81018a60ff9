//! Throughput of two associations joined in memory on one thread, no
//! loss, 1200-byte MTU: 64 MiB moved as 64 KiB and as 1 KiB messages
//! (the bench of issue 4), with CRC32c and, for comparison, with the zero
//! checksum of RFC 9653 (what DTLS-carried WebRTC may negotiate). The same
//! transfers through sctp-proto 0.10, set up alike, run in the same group
//! as a baseline: this machine's speed changes from minute to minute, the
//! ratio much less. Run with `cargo bench -p sctp-core`.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "common/pair.rs"]
mod common;
#[path = "common/sctp_proto.rs"]
mod sctp_proto;

const TOTAL: usize = 64 << 20;

fn transfer(size: usize, zero_checksum: bool) -> usize {
    common::transfer(TOTAL, size, zero_checksum)
}

fn pair(c: &mut Criterion) {
    let mut g = c.benchmark_group("pair_64MiB");
    // MB/s and GB/s (10^6, 10^9 bytes), the units of issue 4's targets.
    g.throughput(Throughput::BytesDecimal(TOTAL as u64));
    g.sample_size(10);
    for zero_checksum in [false, true] {
        let suffix = if zero_checksum { "_zero_checksum" } else { "" };
        for size in [64 * 1024, 1024] {
            g.bench_function(format!("{size}B_messages{suffix}"), |b| {
                b.iter(|| transfer(size, zero_checksum))
            });
            if !zero_checksum {
                // The baseline right after ours, while the machine's speed
                // is about the same.
                g.bench_function(format!("sctp_proto_{size}B_messages"), |b| {
                    b.iter(|| assert_eq!(sctp_proto::transfer(TOTAL, size), TOTAL))
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, pair);
criterion_main!(benches);

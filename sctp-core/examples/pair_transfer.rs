//! One transfer through the in-memory pair of the `pair` bench, run once:
//! the same work as a bench iteration, for a profiler to count. `cargo
//! xtask bench instructions` runs it under callgrind.
//!
//! ```text
//! cargo run --release -p sctp-core --example pair_transfer -- [MESSAGE_BYTES] [MIB] [crc|zero] [TIMES]
//! ```
//!
//! Defaults: 65536-byte messages, 16 MiB, CRC32c, once. Prints, for each
//! transfer, the bytes read, the wall-clock time in nanoseconds and the
//! payload rate in GB/s (10^9 bytes per second); `cargo xtask bench pair`
//! reads those lines.

#[path = "../benches/common/pair.rs"]
mod common;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| {
        args.get(i).map_or(default, |a| {
            a.parse().unwrap_or_else(|_| panic!("not a number: {a}"))
        })
    };
    let size = number(0, 64 * 1024).clamp(1, 64 * 1024);
    let total = number(1, 16) << 20;
    let zero_checksum = args.get(2).is_some_and(|a| a == "zero");
    let times = number(3, 1);
    for _ in 0..times {
        #[allow(clippy::disallowed_methods)] // wall-clock time for the person running it
        let start = std::time::Instant::now();
        let read = common::transfer(total, size, zero_checksum);
        let elapsed = start.elapsed();
        println!(
            "{read} bytes as {size}-byte messages in {} ns: {:.2} GB/s",
            elapsed.as_nanos(),
            read as f64 / elapsed.as_secs_f64() / 1e9
        );
    }
}

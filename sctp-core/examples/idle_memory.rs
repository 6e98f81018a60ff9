//! What an idle established association costs in memory (issue 4's
//! target: under 2.3 KB, measured as the RSS growth over 1 000 idle pairs
//! divided by 2 000, as dcsctp's figure was).
//!
//! Establishes `N` client/server pairs in memory (handshake done, every
//! packet delivered, no data), keeps them all alive, and prints the cost
//! per association twice: as RSS growth (`VmRSS` of `/proc/self/status`,
//! Linux only) and as live heap bytes counted by a counting global
//! allocator, which is exact and does not depend on the allocator's
//! page reuse. The associations themselves live in a `Vec` allocated in
//! the measured region, so their inline size is counted too.
//!
//! ```text
//! cargo run --release -p sctp-core --example idle_memory [N]
//! ```

use sctp_core::{Association, Config, SeededRandom, State};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Resident set size in bytes, from `/proc/self/status`; `None` where
/// there is no procfs.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// One client/server pair, connected over a lossless in-memory link with
/// every packet, event and timer of the handshake handled.
fn idle_pair(config: &Config, seed: u64, now: &mut Instant) -> (Association, Association) {
    let mut client = Association::client(
        config.clone(),
        *now,
        Box::new(SeededRandom::new(2 * seed + 1)),
    );
    let mut server = Association::server(
        config.clone(),
        *now,
        Box::new(SeededRandom::new(2 * seed + 2)),
    );
    // INIT, INIT ACK, COOKIE ECHO, COOKIE ACK, then nothing more.
    for _ in 0..6 {
        *now += Duration::from_millis(1);
        while let Some(d) = client.poll_transmit(*now) {
            server.handle_datagram(*now, d);
        }
        while let Some(d) = server.poll_transmit(*now) {
            client.handle_datagram(*now, d);
        }
    }
    for a in [&mut client, &mut server] {
        assert_eq!(a.state(), State::Established);
        while a.poll_event().is_some() {}
        assert!(a.poll_transmit(*now).is_none());
    }
    (client, server)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    #[allow(clippy::disallowed_methods)] // an epoch for virtual time
    let mut now = Instant::now();
    // One configuration shared by every association, as a server would:
    // its congestion-controller factory is an `Arc`, shared by the clones.
    let config = Config::default();
    // Warm up: the first pair pays for lazily initialised globals
    // (tracing's callsite registry and the like).
    drop(idle_pair(&config, u64::MAX / 4, &mut now));

    let rss_before = rss_bytes();
    let region = Region::new(GLOBAL);
    let mut pairs = Vec::with_capacity(n);
    for i in 0..n {
        pairs.push(idle_pair(&config, i as u64, &mut now));
    }
    let heap = region.change();
    let rss_after = rss_bytes();
    let live = heap.bytes_allocated as i64 - heap.bytes_deallocated as i64;
    let live_blocks = heap.allocations as i64 - heap.deallocations as i64;
    let assocs = (2 * n) as f64;

    println!("{n} idle established pairs ({} associations)", 2 * n);
    println!(
        "size_of::<Association>() = {} bytes",
        std::mem::size_of::<Association>()
    );
    println!(
        "heap (counting allocator): {live} bytes live in {live_blocks} blocks: \
         {:.0} bytes and {:.1} blocks per association",
        live as f64 / assocs,
        live_blocks as f64 / assocs
    );
    match (rss_before, rss_after) {
        (Some(b), Some(a)) => println!(
            "RSS growth: {} bytes: {:.0} bytes per association",
            a as i64 - b as i64,
            (a as i64 - b as i64) as f64 / assocs
        ),
        _ => println!("RSS: /proc/self/status not readable here"),
    }
    // Keep the pairs alive through the measurement.
    assert_eq!(pairs.len(), n);
}

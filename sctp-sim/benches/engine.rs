//! Simulated packets per wall-clock second: two associations sharing a
//! 100 Mbit/s bottleneck move 20 MB each (issue 5's target is 500 000
//! packets per second). Run with `cargo bench -p sctp-sim`; the run is
//! deterministic, so one run first counts the packets a run moves.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sctp_sim::{Scenario, Simulation};
use std::time::Instant;

const SCENARIO: &str = r#"
name = "bench"
duration_ms = 60000
sample_interval_ms = 100
[[links]]
name = "bottleneck"
forward = { bandwidth_mbps = 100, delay_ms = 10, queue_bytes = 300000 }
[[associations]]
name = "a"
link = "bottleneck"
config = { rto_min_ms = 200, receive_buffer = 4000000, send_buffer = 4000000 }
workload = { kind = "bulk", bytes = 20000000, message_size = 1100 }
[[associations]]
name = "b"
link = "bottleneck"
config = { rto_min_ms = 200, receive_buffer = 4000000, send_buffer = 4000000 }
workload = { kind = "bulk", bytes = 20000000, message_size = 1100 }
"#;

fn engine(c: &mut Criterion) {
    #[allow(clippy::disallowed_methods)]
    let base = Instant::now();
    let setup = Scenario::from_toml("bench", SCENARIO)
        .and_then(|s| s.compile())
        .expect("valid scenario");
    let first = Simulation::new(setup.clone(), base).run(&mut |_| {});
    assert!(first.passed(), "{:?}", first.failure);
    let packets: u64 = first
        .links
        .iter()
        .map(|l| l.forward.offered + l.reverse.offered)
        .sum();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(packets));
    group.sample_size(10);
    group.bench_function("two_flows_100mbit_40MB", |b| {
        b.iter(|| Simulation::new(setup.clone(), base).run(&mut |_| {}))
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);

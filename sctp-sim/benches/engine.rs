//! Simulated packets per wall-clock second: two associations sharing a
//! 100 Mbit/s bottleneck move 20 MB each (issue 5's target is 500 000
//! packets per second). Run with `cargo bench -p sctp-sim`; the run is
//! deterministic, so one run first counts the packets a run moves.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sctp_sim::{Scenario, Simulation};
use std::time::Instant;

/// Shared with `examples/engine_run.rs`, which runs it once for a profiler.
const SCENARIO: &str = include_str!("engine.toml");

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

//! The scenario of the `engine` bench (two bulk flows sharing a lossy
//! 100 Mbit/s queue), run once: the same work as a bench iteration, for a
//! profiler to count. `cargo xtask bench instructions` runs it under
//! callgrind.
//!
//! ```text
//! cargo run --release -p sctp-sim --example engine_run
//! ```

use sctp_sim::{Scenario, Simulation};

fn main() {
    #[allow(clippy::disallowed_methods)] // the run's epoch, and its timing
    let base = std::time::Instant::now();
    let setup = Scenario::from_toml("bench", include_str!("../benches/engine.toml"))
        .and_then(|s| s.compile())
        .expect("the bench scenario is valid");
    let report = Simulation::new(setup, base).run(&mut |_| {});
    assert!(report.passed(), "{:?}", report.failure);
    let packets: u64 = report
        .links
        .iter()
        .map(|l| l.forward.offered + l.reverse.offered)
        .sum();
    println!("{packets} simulated packets in {:?}", base.elapsed());
}

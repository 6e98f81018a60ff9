//! `cargo xtask soak [--messages N]`: the simulator's soak in release
//! mode — a million messages (by default) through a hostile link, with
//! every invariant checked. `cargo xtask sim` runs the built-in scenario
//! set, the project's main job.

use crate::util::{self, Result};

/// Arguments of `cargo xtask soak`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Messages to push through the link.
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) messages: u64,
    /// The seed of the run.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
}

/// `cargo run --release -p sctp-sim --` with `args` after it.
fn sim(args: &[String]) -> Result {
    util::run(
        util::cargo()
            .args(["run", "--release", "--quiet", "-p", "sctp-sim", "--"])
            .args(args),
    )
}

pub(crate) fn run(args: &Args) -> Result {
    sim(&[
        "soak".to_owned(),
        "--messages".to_owned(),
        args.messages.to_string(),
        "--seed".to_owned(),
        args.seed.to_string(),
    ])
}

/// The built-in scenario set, report under `target/sctp-sim/`.
pub(crate) fn default_set() -> Result {
    sim(&[])
}

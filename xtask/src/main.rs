//! `cargo xtask`: the workspace's automation, in Rust so that it runs the
//! same on every machine (DESIGN.md §1).
//!
//! ```text
//! cargo xtask ci       # everything CI checks; `.ci/run` calls this
//! cargo xtask tshark   # Wireshark's verdict on the packets we encode
//! cargo xtask demo     # decode the golden captures and sample packets
//! cargo xtask bench    # the sctp-wire, sctp-core and sctp-sim benchmarks
//! cargo xtask bench udp [--against PATH] [--runs N]  # sctp-perf against bare UDP on loopback
//! cargo xtask bench idle # 10 000 idle associations within 100 MiB of RSS
//! cargo xtask bench instructions # callgrind's instruction counts for the pair and engine benches' work
//! cargo xtask fuzz wire --seconds N   # cargo-fuzz on packet decoding
//! cargo xtask sim      # the simulator's built-in scenarios (the main job)
//! cargo xtask sim --issue8  # BBR beside RFC 9260, full length, checked
//! cargo xtask soak [--only sim|perf]  # the simulator's and sctp-perf's soaks
//! cargo xtask interop [--only TEXT]  # sctp-perf against pion/sctp and usrsctp
//! ```

mod bench;
mod ci;
mod demo;
mod fuzz;
mod interop;
mod soak;
mod tshark;
mod util;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Automation for the SCTP workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every CI step: install tools, fmt, clippy, tests, tshark check.
    Ci,
    /// Check that tshark dissects the packets sctp-wire encodes, cleanly.
    Tshark(tshark::Args),
    /// Decode the golden captures and the example's own packets, and print them.
    Demo,
    /// Fuzz a target with cargo-fuzz, seeded with the golden captures.
    Fuzz(fuzz::Args),
    /// Run the simulator's built-in scenario set (release mode); report in target/sctp-sim/.
    Sim(soak::SimArgs),
    /// Push a million messages (or --messages N) through the simulator's hostile link,
    /// then 8 sctp-perf clients' echoes through one server on loopback.
    Soak(soak::Args),
    /// Run sctp-perf against pion/sctp and usrsctp, installing them if needed.
    Interop {
        /// Run only the scenarios whose name contains this text.
        #[arg(long)]
        only: Option<String>,
    },
    /// Run the sctp-wire, sctp-core and sctp-sim benchmarks, passing extra
    /// arguments through; `bench udp [--against PATH] [--runs N]` compares
    /// sctp-perf with bare UDP (and with another sctp-perf binary),
    /// `bench idle` measures 10 000 idle associations, `bench
    /// instructions` counts the pair and engine benches' instructions.
    Bench {
        /// `udp`, `idle`, `instructions`, or arguments for `cargo bench`
        /// (after `--`, for the bench harness).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Ci => ci::run(),
        Command::Tshark(args) => tshark::run(&args),
        Command::Demo => demo::run(),
        Command::Fuzz(args) => fuzz::run(&args),
        Command::Sim(args) => soak::sim_set(&args),
        Command::Soak(args) => soak::run(&args),
        Command::Interop { only } => interop::run(only.as_deref()),
        Command::Bench { args } => bench::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

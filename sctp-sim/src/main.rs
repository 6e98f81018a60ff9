//! `sctp-sim`: run scenarios through the simulator and write reports.
//!
//! ```text
//! sctp-sim                          # the built-in set, report in target/sctp-sim/
//! sctp-sim run FILE.toml [--seed N] [--cc rfc9260|bbr|fixed[:BYTES]] [--out DIR] [--pcap FILE]
//! sctp-sim list                     # the built-in scenarios
//! sctp-sim sweep [--param loss|rtt|buffer] [--values 0,1,2]
//! sctp-sim soak [--messages N]      # a million messages through a hostile link
//! ```
//!
//! The exit status is 1 when a run breaks an invariant, 2 when a scenario
//! cannot be loaded.

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sctp_sim::pcap::PcapWriter;
use sctp_sim::suite::{self, SweepParam};
use sctp_sim::{report, CcChoice, RunReport, Scenario, Simulation};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "sctp-sim",
    about = "Deterministic network simulation of sctp-core associations"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Where reports go (for the default run).
    #[arg(long, default_value = "target/sctp-sim")]
    out: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario file (or built-in scenario name).
    Run {
        /// A scenario TOML file, or the name of a built-in scenario.
        scenario: String,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Give every association this controller: rfc9260, bbr or fixed[:BYTES].
        #[arg(long)]
        cc: Option<CcChoice>,
        /// Where the report goes.
        #[arg(long, default_value = "target/sctp-sim/run")]
        out: PathBuf,
        /// Also write every packet sent to this pcap file (Wireshark, tshark).
        #[arg(long)]
        pcap: Option<PathBuf>,
    },
    /// List the built-in scenarios.
    List,
    /// Sweep a parameter for every available controller; one comparison plot.
    Sweep {
        /// loss (%), rtt (ms) or buffer (kB).
        #[arg(long, default_value = "loss")]
        param: SweepParam,
        /// Values to sweep, comma-separated (defaults depend on the parameter).
        #[arg(long, value_delimiter = ',')]
        values: Vec<f64>,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where the plot and CSV go.
        #[arg(long, default_value = "target/sctp-sim/sweep")]
        out: PathBuf,
    },
    /// Push many messages through a hostile link (bursty loss, reordering,
    /// duplication, corruption, a 5 s outage) and check every invariant.
    Soak {
        /// Messages to send.
        #[arg(long, default_value_t = 1_000_000)]
        messages: u64,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where the report goes.
        #[arg(long, default_value = "target/sctp-sim/soak")]
        out: PathBuf,
    },
}

type Error = Box<dyn std::error::Error>;

/// A progress bar over the scenario's simulated time, drawn only on a
/// terminal.
fn progress_bar(scenario: &Scenario) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(scenario.duration_ms.max(1.0) as u64),
        ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        ProgressStyle::with_template("{msg:32} [{bar:40}] {pos}/{len} ms simulated ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(scenario.name.clone());
    bar
}

fn run_one(scenario: &Scenario, base: Instant) -> Result<RunReport, Error> {
    run_captured(scenario, base, None)
}

/// Runs `scenario`, writing every packet sent to `pcap` if given.
fn run_captured(
    scenario: &Scenario,
    base: Instant,
    pcap: Option<&Path>,
) -> Result<RunReport, Error> {
    let bar = progress_bar(scenario);
    let started = base.elapsed();
    let sim = Simulation::new(scenario.compile()?, base);
    let mut progress = |ns: u64| bar.set_position(ns / 1_000_000);
    let report = match pcap {
        None => sim.run(&mut progress),
        Some(path) => {
            let file =
                std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut writer = PcapWriter::new(std::io::BufWriter::new(file))?;
            let mut error = None;
            let report = sim
                .with_tap(|p| {
                    if error.is_none() {
                        error = writer.packet(p.at, p.flow, p.from, p.packet).err();
                    }
                    true
                })
                .run(&mut progress);
            if let Some(e) = error {
                return Err(format!("{}: {e}", path.display()).into());
            }
            let packets = writer.packets();
            writer.finish()?;
            println!("{packets} packets captured in {}", path.display());
            report
        }
    };
    let wall = (base.elapsed() - started).as_secs_f64();
    bar.finish_and_clear();
    let packets: u64 = report
        .links
        .iter()
        .map(|l| l.forward.offered + l.reverse.offered)
        .sum();
    println!(
        "{}: {packets} packets, {:.1} s simulated in {wall:.2} s ({:.0} packets/s)",
        report.scenario,
        report.sim_time_s,
        packets as f64 / wall.max(1e-9)
    );
    Ok(report)
}

fn finish(reports: &[RunReport], out: &Path) -> Result<bool, Error> {
    suite::write_reports(out, reports)?;
    print!("{}", report::table(reports));
    let mut ok = true;
    for r in reports {
        println!(
            "{}: trace hash {:016x} (seed {})",
            r.scenario, r.trace_hash, r.seed
        );
        if let Some(f) = &r.failure {
            ok = false;
            eprintln!("{}: FAILED: {f}", r.scenario);
        }
    }
    println!("report written to {}", out.display());
    Ok(ok)
}

fn load(name: &str) -> Result<Scenario, Error> {
    let path = Path::new(name);
    if path.exists() {
        return Ok(Scenario::load(path)?);
    }
    Ok(suite::builtin(name)?)
}

fn main() -> ExitCode {
    // The one reading of the clock: virtual time 0 maps to this instant,
    // and no result depends on it.
    #[allow(clippy::disallowed_methods)]
    let base = Instant::now();
    let cli = Cli::parse();
    let result: Result<bool, Error> = (|| match cli.command {
        None => {
            let mut reports = Vec::new();
            for scenario in suite::builtins()? {
                reports.push(run_one(&scenario, base)?);
            }
            let compare = cli.out.join("compare-controllers.svg");
            let runs =
                suite::compare_controllers(&suite::builtin("satellite-600ms")?, base, &compare)?;
            println!(
                "controllers compared on satellite-600ms: {}",
                compare.display()
            );
            let ok = runs.iter().all(RunReport::passed);
            Ok(finish(&reports, &cli.out)? && ok)
        }
        Some(Command::Run {
            scenario,
            seed,
            cc,
            out,
            pcap,
        }) => {
            let mut s = load(&scenario)?;
            if let Some(seed) = seed {
                s.seed = seed;
            }
            if let Some(cc) = cc {
                s.set_cc(cc);
            }
            let report = run_captured(&s, base, pcap.as_deref())?;
            finish(&[report], &out)
        }
        Some(Command::List) => {
            for scenario in suite::builtins()? {
                println!("{:30} {}", scenario.name, scenario.description);
            }
            Ok(true)
        }
        Some(Command::Sweep {
            param,
            values,
            seed,
            out,
        }) => {
            let values = if values.is_empty() {
                param.default_values()
            } else {
                values
            };
            let mut ok = true;
            let points = suite::sweep(param, &values, seed, base, &mut |p| {
                let goodput = p
                    .report
                    .flows
                    .first()
                    .and_then(|f| f.goodput_bps)
                    .unwrap_or(0.0);
                println!(
                    "{:10} {} = {:8}: goodput {:7.3} Mbit/s{}",
                    p.cc,
                    param.label(),
                    p.value,
                    goodput / 1e6,
                    if p.report.passed() { "" } else { "  FAILED" }
                );
                ok &= p.report.passed();
            })?;
            suite::write_sweep(&out, param, &points)?;
            println!("plot written to {}", out.join("sweep.svg").display());
            Ok(ok)
        }
        Some(Command::Soak {
            messages,
            seed,
            out,
        }) => {
            let scenario = suite::soak(messages, seed);
            println!(
                "soak: {messages} messages, seed {seed}: {}",
                scenario.description
            );
            let started = base.elapsed();
            let report = run_one(&scenario, base)?;
            let elapsed = base.elapsed() - started;
            let f = &report.flows[0];
            let l = &report.links[0];
            println!(
                "soak: {} of {} messages delivered, {:.1} MB, {:.1} s simulated in {:.1} s of wall time",
                f.messages_delivered,
                f.messages_sent,
                f.bytes_delivered as f64 / 1e6,
                report.sim_time_s,
                elapsed.as_secs_f64()
            );
            for (dir, s) in [("forward", l.forward), ("reverse", l.reverse)] {
                println!(
                    "soak: {dir}: {} packets offered, {} lost, {} dropped in the outage, {} reordered, {} duplicated, {} corrupted",
                    s.offered, s.lost, s.outage_drops, s.reordered, s.duplicated, s.corrupted
                );
            }
            println!(
                "soak: {} retransmissions ({} fast, {} T3), {} corrupted packets caught by the CRC32c",
                f.retransmissions, f.fast_retransmits, f.t3_expiries, f.corrupted_caught
            );
            finish(&[report], &out)
        }
    })();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("sctp-sim: error: {e}");
            ExitCode::from(2)
        }
    }
}

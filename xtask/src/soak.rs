//! `cargo xtask soak`: the simulator's soak in release mode — a million
//! messages (by default) through a hostile link, with every invariant
//! checked — then sctp-perf's over loopback: concurrent clients echoing
//! through one server, every byte checked. `cargo xtask sim` runs the
//! simulator's built-in scenario set, the project's main job, and `cargo
//! xtask sim --issue8` the BBR comparison of issue 8 at full length.

use crate::interop::{free_port, Server};
use crate::util::{self, Result};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Arguments of `cargo xtask soak`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Which soak to run.
    #[arg(long, value_enum, default_value_t = Part::All)]
    pub(crate) only: Part,
    /// Messages to push through the simulated link.
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) messages: u64,
    /// The seed of the simulator's run.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// sctp-perf clients at once.
    #[arg(long, default_value_t = 8)]
    pub(crate) perf_clients: usize,
    /// Bytes each sctp-perf client sends and has echoed.
    #[arg(long, default_value_t = 256 << 20)]
    pub(crate) perf_bytes: u64,
}

/// The soaks `cargo xtask soak` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Part {
    /// Both, the simulator's first.
    All,
    /// The simulator's.
    Sim,
    /// sctp-perf's over loopback.
    Perf,
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
    if args.only != Part::Perf {
        sim(&[
            "soak".to_owned(),
            "--messages".to_owned(),
            args.messages.to_string(),
            "--seed".to_owned(),
            args.seed.to_string(),
        ])?;
    }
    if args.only != Part::Sim {
        util::run(util::cargo().args([
            "build",
            "--release",
            "-p",
            "sctp-tokio",
            "--bin",
            "sctp-perf",
        ]))?;
        perf(
            &util::target_dir().join("release/sctp-perf"),
            args.perf_clients,
            args.perf_bytes,
        )?;
    }
    Ok(())
}

/// The sctp-perf soak in small, for CI: five clients (one of each kind)
/// echoing 4 MiB each through the debug build, about ten seconds.
pub(crate) fn perf_smoke() -> Result {
    util::run(util::cargo().args(["build", "-p", "sctp-tokio", "--bin", "sctp-perf"]))?;
    perf(
        &util::target_dir().join("debug/sctp-perf"),
        CLIENT_KINDS.len(),
        4 << 20,
    )
}

/// Arguments of `cargo xtask sim`.
#[derive(Debug, clap::Args)]
pub(crate) struct SimArgs {
    /// Instead of the built-in set, run issue 8's scenarios (BBR beside
    /// RFC 9260) at full length, reports under `target/sctp-sim/issue8/`,
    /// then the ignored tests of `sctp-sim/tests/issue8.rs` that check
    /// their figures.
    #[arg(long)]
    pub(crate) issue8: bool,
}

/// Issue 8's scenario files in `sctp-sim/scenarios/`, as
/// `sctp-sim/tests/issue8.rs` checks them.
const ISSUE8: &[&str] = &[
    "bbr-1bdp",
    "bbr-loss-1pct",
    "bbr-deep-buffer",
    "fairness-two-flows",
    "tail-loss-probe",
];

/// The built-in scenario set, report under `target/sctp-sim/`; or issue
/// 8's scenarios and their checks.
pub(crate) fn sim_set(args: &SimArgs) -> Result {
    if !args.issue8 {
        return sim(&[]);
    }
    let out = util::target_dir().join("sctp-sim/issue8");
    for name in ISSUE8 {
        let file = util::root().join(format!("sctp-sim/scenarios/{name}.toml"));
        sim(&[
            "run".to_owned(),
            file.display().to_string(),
            "--out".to_owned(),
            out.join(name).display().to_string(),
        ])?;
    }
    util::run(util::cargo().args([
        "test",
        "--release",
        "-p",
        "sctp-sim",
        "--test",
        "issue8",
        "--",
        "--include-ignored",
        "--nocapture",
    ]))
}

/// How each client sends, taken in turn: message size, streams, unordered.
const CLIENT_KINDS: &[(usize, u16, bool)] = &[
    (65_536, 3, false),
    (1_000, 1, true),
    (1 << 20, 2, false),
    (10_000, 8, true),
    (1_200, 4, false),
];
/// The largest message of [`CLIENT_KINDS`].
const MAX_MESSAGE: usize = 1 << 20;

/// `clients` sctp-perf clients at once, each sending `bytes` with echo to
/// one sctp-perf server (`perf` is its binary) and checking every byte
/// that comes back, then closing gracefully: every client must succeed,
/// and the server must report each association's messages and bytes and
/// its shutdown.
pub(crate) fn perf(perf: &std::path::Path, clients: usize, bytes: u64) -> Result {
    util::banner(&format!(
        "soak: {clients} sctp-perf clients x {} MiB with echo, one server",
        bytes >> 20
    ));
    let listen = format!("127.0.0.1:{}", free_port()?);
    let max_message = MAX_MESSAGE.to_string();
    let server = Server::start(Command::new(perf).args([
        "server",
        "--listen",
        &listen,
        "--echo",
        "--max-message",
        &max_message,
    ]))?;
    let started = Instant::now();
    let mut running = Vec::new();
    let mut expected_messages = Vec::new();
    for i in 0..clients {
        let (size, streams, unordered) = CLIENT_KINDS[i % CLIENT_KINDS.len()];
        let mut cmd = Command::new(perf);
        cmd.args([
            "client",
            "--connect",
            &listen,
            "--echo",
            "--timeout",
            "1800",
        ])
        .args(["--bytes", &bytes.to_string(), "--size", &size.to_string()])
        .args([
            "--streams",
            &streams.to_string(),
            "--max-message",
            &max_message,
        ]);
        if unordered {
            cmd.arg("--unordered");
        }
        println!("$ {} &", util::display(&cmd));
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", util::display(&cmd)))?;
        running.push(child);
        expected_messages.push(bytes.div_ceil(size as u64));
    }
    let mut failures = Vec::new();
    for (i, child) in running.into_iter().enumerate() {
        let out = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        print!("client {i}: {stdout}");
        if !out.status.success() {
            failures.push(format!(
                "client {i} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            ));
        } else if !stdout.contains(&format!("\"bytes\":{bytes},")) {
            failures.push(format!("client {i} reported other than {bytes} bytes"));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    // One line per association as it closes: the bytes and messages of
    // each client, in any order.
    let mut served_messages = Vec::new();
    if failures.is_empty() {
        server.read_until(Duration::from_secs(30), |line| {
            if !line.contains("\"bytes\"") {
                return Ok(false);
            }
            println!("server: {line}");
            if !line.starts_with(&format!("{{\"bytes\":{bytes},\"messages\":"))
                || !line.contains("\"close\":\"shut down\"")
            {
                return Err(format!("the server served {line}").into());
            }
            let messages = line
                .split("\"messages\":")
                .nth(1)
                .and_then(|rest| rest.split(',').next())
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| format!("no message count in {line}"))?;
            served_messages.push(messages);
            Ok(served_messages.len() == clients)
        })?;
        expected_messages.sort_unstable();
        served_messages.sort_unstable();
        if served_messages != expected_messages {
            failures.push(format!(
                "the server counted messages {served_messages:?}, the clients sent {expected_messages:?}"
            ));
        }
    }
    if !failures.is_empty() {
        return Err(failures.join("; ").into());
    }
    let total = 2 * bytes * clients as u64;
    println!(
        "soak: {clients} clients echoed {} MiB each ({:.1} MB/s both ways together) in {seconds:.1} s, every byte checked",
        bytes >> 20,
        total as f64 / seconds / 1e6
    );
    Ok(())
}

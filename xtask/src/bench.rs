//! `cargo xtask bench [ARGS]`: the sctp-wire, sctp-core and sctp-sim
//! benchmarks, ARGS passed to `cargo bench`; `cargo xtask bench udp`:
//! sctp-perf over UDP on loopback against a bare UDP socket pair, measured
//! in turn in the same run, and the ratio of the two; `cargo xtask bench
//! idle`: 10 000 idle associations on one endpoint within 100 MiB of RSS;
//! `cargo xtask bench instructions`: the instructions one run of the pair
//! and engine benches takes, counted by callgrind; `cargo xtask bench
//! pair`: the pair bench's transfers, pinned to one core, best and median,
//! optionally in turn with a baseline build.

use crate::interop::{free_port, Server};
use crate::util::{self, Result};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Bytes of each datagram of the bare UDP flow: the 1200-byte MTU the
/// comparison is about (sctp-perf's packets are `Config::default().mtu`,
/// 1191 bytes of UDP payload).
const DATAGRAM: usize = 1200;
/// How long the bare UDP sender sends.
const UDP_SECONDS: Duration = Duration::from_secs(2);
/// The gap after which the bare UDP receiver decides the flow is over.
const UDP_QUIET: Duration = Duration::from_millis(300);
/// What sctp-perf sends per run, in messages of [`MESSAGE`] bytes.
const SCTP_BYTES: u64 = 256 << 20;
/// sctp-perf's message size.
const MESSAGE: usize = 64 << 10;
/// Runs of each by default, alternating, so the machine's noise falls on
/// all.
const RUNS: usize = 3;

pub(crate) fn run(args: &[String]) -> Result {
    match args {
        [part, rest @ ..] if part == "udp" => udp(&UdpArgs::parse(rest)?),
        [part] if part == "instructions" => instructions(false),
        [part, rest @ ..] if part == "pair" => pair(&PairArgs::parse(rest)?),
        [part] if part == "idle" => {
            util::run(util::cargo().args([
                "build",
                "--release",
                "-p",
                "sctp-tokio",
                "--example",
                "idle_endpoint",
            ]))?;
            idle_endpoint(&util::target_dir().join("release/examples/idle_endpoint"))
        }
        _ => util::run(
            util::cargo()
                .args([
                    "bench",
                    "-p",
                    "sctp-wire",
                    "-p",
                    "sctp-core",
                    "-p",
                    "sctp-sim",
                ])
                .args(args),
        ),
    }
}

/// `cargo xtask bench udp [--against PATH] [--runs N]`.
struct UdpArgs {
    /// Another sctp-perf binary (say, one built before a change) measured
    /// in turn with this one, so that both see the same machine.
    against: Option<PathBuf>,
    runs: usize,
}

impl UdpArgs {
    fn parse(args: &[String]) -> Result<UdpArgs> {
        let mut parsed = UdpArgs {
            against: None,
            runs: RUNS,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--against" => parsed.against = Some(PathBuf::from(value()?)),
                "--runs" => {
                    parsed.runs = value()?
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or("--runs needs a positive number")?;
                }
                _ => {
                    return Err(format!(
                        "bench udp: unknown argument {arg:?} (expected --against PATH, --runs N)"
                    )
                    .into())
                }
            }
        }
        Ok(parsed)
    }
}

/// `cargo xtask bench pair [--against PATH] [--rounds N] [--times K]`.
struct PairArgs {
    /// Another `pair_transfer` example binary (say, one built before a
    /// change) run in turn with this one.
    against: Option<PathBuf>,
    rounds: usize,
    times: usize,
}

impl PairArgs {
    fn parse(args: &[String]) -> Result<PairArgs> {
        let mut parsed = PairArgs {
            against: None,
            rounds: 4,
            times: 5,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            let mut count = || -> Result<usize> {
                Ok(value()?
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("{arg} needs a positive number"))?)
            };
            match arg.as_str() {
                "--against" => parsed.against = Some(PathBuf::from(value()?)),
                "--rounds" => parsed.rounds = count()?,
                "--times" => parsed.times = count()?,
                _ => {
                    return Err(format!(
                        "bench pair: unknown argument {arg:?} \
                         (expected --against PATH, --rounds N, --times K)"
                    )
                    .into())
                }
            }
        }
        Ok(parsed)
    }
}

/// Issue 4's bench without criterion: 64 MiB through the in-memory pair
/// (1200-byte MTU, CRC32c) as 64 KiB and as 1 KiB messages, `--times`
/// transfers per process, `--rounds` processes per binary and size, the
/// binaries in turn (the first of a round alternating), each pinned to
/// CPU 0 where `taskset` exists. Prints the best and the median rate of
/// each binary and size in GB/s of payload.
///
/// On a shared machine whose speed drifts over minutes, the best rate is
/// what the code can do when the machine is calm and the median what it
/// did over the run; a baseline measured in the same rounds shows which
/// differences are the code's.
fn pair(args: &PairArgs) -> Result {
    util::run(util::cargo().args([
        "build",
        "--release",
        "-p",
        "sctp-core",
        "--example",
        "pair_transfer",
    ]))?;
    let mut binaries = vec![(
        "this tree",
        util::target_dir().join("release/examples/pair_transfer"),
    )];
    if let Some(against) = &args.against {
        binaries.push(("baseline", against.clone()));
    }
    const SIZES: [usize; 2] = [64 << 10, 1 << 10];
    let pin = util::succeeds(Command::new("taskset").args(["-c", "0", "true"]));
    // rates[binary][size]: GB/s of every transfer.
    let mut rates = vec![vec![Vec::new(); SIZES.len()]; binaries.len()];
    for round in 1..=args.rounds {
        let mut order: Vec<usize> = (0..binaries.len()).collect();
        if round % 2 == 0 {
            order.reverse();
        }
        for i in order {
            let (name, exe) = &binaries[i];
            for (s, size) in SIZES.iter().enumerate() {
                let mut cmd = if pin {
                    let mut c = Command::new("taskset");
                    c.args(["-c", "0"]).arg(exe);
                    c
                } else {
                    Command::new(exe)
                };
                cmd.args([size.to_string(), "64".into(), "crc".into()])
                    .arg(args.times.to_string());
                let out = util::output(&mut cmd)?;
                let got = transfer_rates(&out)?;
                let best = got.iter().copied().fold(0.0, f64::max);
                println!("round {round}: {name}, {size}-byte messages: best {best:.2} GB/s");
                rates[i][s].extend(got);
            }
        }
    }
    util::banner("bench pair: 64 MiB through the in-memory pair, GB/s of payload");
    println!(
        "{:<12}{:>10}{:>10}{:>10}{:>8}",
        "binary", "messages", "best", "median", "target"
    );
    for ((name, _), per_size) in binaries.iter().zip(&mut rates) {
        for ((size, target), got) in SIZES.iter().zip([1.5, 1.2]).zip(per_size) {
            let best = got.iter().copied().fold(0.0, f64::max);
            println!(
                "{name:<12}{size:>10}{best:>10.2}{:>10.2}{target:>8.1}",
                median(got)
            );
        }
    }
    Ok(())
}

/// The GB/s of each line `pair_transfer` printed ("B bytes as ... in N
/// ns: R GB/s"), from its bytes and nanoseconds.
fn transfer_rates(out: &str) -> Result<Vec<f64>> {
    let rates: Vec<f64> = out
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split(' ').collect();
            let ns = words.iter().position(|&w| w == "ns:")?.checked_sub(1)?;
            let bytes: f64 = words.first()?.parse().ok()?;
            let ns: f64 = words[ns].parse().ok()?;
            (ns > 0.0).then(|| bytes / ns)
        })
        .collect();
    if rates.is_empty() {
        return Err(format!("pair_transfer printed no rate: {out:?}").into());
    }
    Ok(rates)
}

/// sctp-perf (release) sends 64 KiB messages one way to its server, and
/// in turn a bare UDP pair sends 1200-byte datagrams one way (and, with
/// `--against`, the other sctp-perf binary does what this one does);
/// prints the throughput of each in MB/s (10^6 bytes of payload per
/// second), the CPU seconds the client and server processes used, and
/// the ratios, medians of the runs.
///
/// On a busy machine the throughput follows the CPU share the processes
/// get; their CPU time follows the work they do, and is the steadier
/// figure for comparing two builds.
fn udp(args: &UdpArgs) -> Result {
    util::run(util::cargo().args([
        "build",
        "--release",
        "-p",
        "sctp-tokio",
        "--bin",
        "sctp-perf",
    ]))?;
    let perf = util::target_dir().join("release/sctp-perf");
    let mut binaries = vec![("sctp-perf", perf)];
    if let Some(against) = &args.against {
        binaries.push(("baseline", against.clone()));
    }
    let mut bare = Vec::new();
    let mut sctp: Vec<Vec<Perf>> = vec![Vec::new(); binaries.len()];
    for run in 1..=args.runs {
        let udp = bare_udp()?;
        println!(
            "run {run}: bare UDP {:.1} MB/s ({} of {} datagrams arrived)",
            udp.mb_per_s, udp.received, udp.sent
        );
        bare.push(udp.mb_per_s);
        // Alternate which binary goes first, so that a drift in the
        // machine's load does not always favour the same one.
        let mut order: Vec<usize> = (0..binaries.len()).collect();
        if run % 2 == 0 {
            order.reverse();
        }
        for i in order {
            let (name, exe) = &binaries[i];
            let perf = sctp_perf(exe)?;
            println!("run {run}: {name} {perf}");
            sctp[i].push(perf);
        }
    }
    let bare = median(&mut bare);
    util::banner("bench udp: one direction over loopback, medians");
    let mut rows = vec![(
        format!("bare UDP, {DATAGRAM}-byte datagrams"),
        format!("{bare:.1} MB/s"),
    )];
    let mut medians = Vec::new();
    for ((name, _), runs) in binaries.iter().zip(&mut sctp) {
        let m = Perf::median(runs);
        rows.push((
            format!("{name}, 64 KiB messages, default MTU"),
            format!("{:.1} MB/s", m.mb_per_s),
        ));
        rows.push((
            format!("{name} / bare UDP"),
            format!("{:.2}", m.mb_per_s / bare),
        ));
        rows.push((
            format!("{name} CPU seconds, client / server"),
            format!("{} / {}", seconds(m.client_cpu), seconds(m.server_cpu)),
        ));
        medians.push(m);
    }
    if let [this, baseline] = &medians[..] {
        rows.push((
            "sctp-perf / baseline, throughput".to_owned(),
            format!("{:.2}", this.mb_per_s / baseline.mb_per_s),
        ));
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
            _ => "-".to_owned(),
        };
        rows.push((
            "sctp-perf / baseline, CPU client / server".to_owned(),
            format!(
                "{} / {}",
                ratio(this.client_cpu, baseline.client_cpu),
                ratio(this.server_cpu, baseline.server_cpu)
            ),
        ));
    }
    for (what, value) in rows {
        println!("{what:<48}{value:>16}");
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A CPU time for the table; `-` when the binary did not report it.
fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |s| format!("{s:.2}"))
}

/// What one sctp-perf run measured.
#[derive(Clone, Copy)]
struct Perf {
    mb_per_s: f64,
    /// CPU seconds of the client and server processes, as they report
    /// them (`cpu_seconds`; older builds and other systems do not).
    client_cpu: Option<f64>,
    server_cpu: Option<f64>,
}

impl Perf {
    /// The median of each figure on its own.
    fn median(runs: &mut [Perf]) -> Perf {
        let of = |f: fn(&Perf) -> Option<f64>| {
            let mut values: Vec<f64> = runs.iter().filter_map(f).collect();
            (!values.is_empty()).then(|| median(&mut values))
        };
        Perf {
            mb_per_s: of(|p| Some(p.mb_per_s)).unwrap_or(0.0),
            client_cpu: of(|p| p.client_cpu),
            server_cpu: of(|p| p.server_cpu),
        }
    }
}

impl std::fmt::Display for Perf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1} MB/s, CPU seconds client {} server {}",
            self.mb_per_s,
            seconds(self.client_cpu),
            seconds(self.server_cpu)
        )
    }
}

/// What one bare UDP run measured.
struct BareUdp {
    sent: u64,
    received: u64,
    /// Payload bytes per second at the receiver, first to last datagram.
    mb_per_s: f64,
}

/// One thread sends [`DATAGRAM`]-byte datagrams as fast as it can for
/// [`UDP_SECONDS`]; another receives them. Loopback drops what the
/// receiver's socket buffer cannot hold: the receiver's rate is the one
/// that counts.
fn bare_udp() -> Result<BareUdp> {
    let receiver = UdpSocket::bind("127.0.0.1:0")?;
    receiver.set_read_timeout(Some(UDP_QUIET))?;
    let sender = UdpSocket::bind("127.0.0.1:0")?;
    sender.connect(receiver.local_addr()?)?;
    let sending = std::thread::spawn(move || -> std::io::Result<u64> {
        let datagram = [0x5au8; DATAGRAM];
        let started = Instant::now();
        let mut sent = 0;
        while started.elapsed() < UDP_SECONDS {
            sender.send(&datagram)?;
            sent += 1;
        }
        Ok(sent)
    });
    let mut buf = [0u8; 2048];
    let mut received = 0u64;
    let mut first = None;
    let mut last = Instant::now();
    loop {
        match receiver.recv(&mut buf) {
            Ok(n) if n == DATAGRAM => {
                received += 1;
                last = Instant::now();
                first.get_or_insert(last);
            }
            Ok(n) => return Err(format!("a datagram of {n} bytes, not {DATAGRAM}").into()),
            // The quiet gap: the sender has stopped (or never started,
            // which the count shows).
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if first.is_some() || sending.is_finished() {
                    break;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let sent = sending.join().map_err(|_| "the UDP sender panicked")??;
    let seconds = first.map_or(0.0, |first| (last - first).as_secs_f64());
    if received < 2 || seconds <= 0.0 {
        return Err(format!("only {received} of {sent} datagrams arrived").into());
    }
    Ok(BareUdp {
        sent,
        received,
        mb_per_s: (received - 1) as f64 * DATAGRAM as f64 / seconds / 1e6,
    })
}

/// One sctp-perf run of `perf`, client to server without echo:
/// [`SCTP_BYTES`] in [`MESSAGE`]-byte messages; the client's bytes and
/// seconds (handshake to graceful close) give the rate, and each process
/// its CPU time.
fn sctp_perf(perf: &Path) -> Result<Perf> {
    let listen = format!("127.0.0.1:{}", free_port()?);
    let server = Server::start(Command::new(perf).args(["server", "--listen", &listen]))?;
    let out = util::output(Command::new(perf).args([
        "client",
        "--connect",
        &listen,
        "--bytes",
        &SCTP_BYTES.to_string(),
        "--size",
        &MESSAGE.to_string(),
        "--timeout",
        "60",
    ]))?;
    let seconds: f64 = json_field(&out, "seconds")?;
    let bytes: f64 = json_field(&out, "bytes")?;
    // The server prints its line once the association has closed, which
    // the client has waited for.
    let mut server_cpu = None;
    server.read_until(Duration::from_secs(5), |line| {
        server_cpu = json_field(line, "cpu_seconds").ok();
        Ok(line.contains("\"close\""))
    })?;
    Ok(Perf {
        mb_per_s: bytes / seconds / 1e6,
        client_cpu: json_field(&out, "cpu_seconds").ok(),
        server_cpu,
    })
}

/// The number after `"key":` in sctp-perf's one-line JSON.
fn json_field(json: &str, key: &str) -> Result<f64> {
    let pattern = format!("\"{key}\":");
    let start = json
        .find(&pattern)
        .ok_or_else(|| format!("no {key} in {json:?}"))?
        + pattern.len();
    let rest = &json[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Ok(rest[..end]
        .parse()
        .map_err(|e| format!("{key} in {json:?}: {e}"))?)
}

/// Issue 6's memory target: 10 000 idle associations on one endpoint in
/// under 100 MiB of RSS, measured by the `idle_endpoint` example at `exe`.
pub(crate) fn idle_endpoint(exe: &std::path::Path) -> Result {
    util::run(Command::new(exe).args(["10000", "100"]))
}

/// What `cargo xtask bench instructions` counts: label, package, example,
/// arguments, and the most instructions CI lets it take.
///
/// The ceilings stand about 10 % above the counts of 2026-11-27's second
/// session (62.5M, 83.4M, 50.4M, 70.1M and 398M with rustc 1.95): a change that makes the
/// per-packet path that much dearer fails CI, while a compiler's drift of
/// a few percent does not.
const COUNTED: [(&str, &str, &str, &[&str], u64); 5] = [
    (
        "pair, 16 MiB as 64 KiB messages",
        "sctp-core",
        "pair_transfer",
        &["65536", "16"],
        69_000_000,
    ),
    (
        "pair, 16 MiB as 1 KiB messages",
        "sctp-core",
        "pair_transfer",
        &["1024", "16"],
        92_000_000,
    ),
    (
        "pair, 64 KiB, zero checksum",
        "sctp-core",
        "pair_transfer",
        &["65536", "16", "zero"],
        56_000_000,
    ),
    (
        "pair, 1 KiB, zero checksum",
        "sctp-core",
        "pair_transfer",
        &["1024", "16", "zero"],
        77_000_000,
    ),
    (
        "sim engine bench scenario",
        "sctp-sim",
        "engine_run",
        &[],
        438_000_000,
    ),
];

/// Instructions per run of the pair and engine benches' work, counted by
/// callgrind: unlike seconds on a shared machine, the same for the same
/// binary, so two builds compare run by run. Release profile, as users
/// build; installs valgrind with apt-get when missing. With `enforce`
/// (the CI step), a count above its ceiling in [`COUNTED`] is an error.
pub(crate) fn instructions(enforce: bool) -> Result {
    if !util::succeeds(Command::new("valgrind").arg("--version")) {
        println!("valgrind: missing, installing it with apt-get");
        util::apt_install(&["valgrind"])?;
    }
    for package in ["sctp-core", "sctp-sim"] {
        let examples = COUNTED
            .iter()
            .filter(|c| c.1 == package)
            .flat_map(|c| ["--example", c.2]);
        util::run(
            util::cargo()
                .args(["build", "--release", "-p", package])
                .args(examples),
        )?;
    }
    let mut over = Vec::new();
    for (label, _, example, args, ceiling) in COUNTED {
        let exe = util::target_dir().join("release/examples").join(example);
        let out = Command::new("valgrind")
            .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
            .arg(&exe)
            .args(args)
            .output()?;
        if !out.status.success() {
            return Err(format!("callgrind on {} failed", exe.display()).into());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let refs: u64 = stderr
            .lines()
            .find_map(|l| {
                l.split_once("I   refs:")
                    .map(|(_, n)| n.trim().replace(',', ""))
            })
            .and_then(|n| n.parse().ok())
            .ok_or("callgrind printed no instruction count")?;
        println!(
            "{label:<36} {:>6.1}M instructions (ceiling {:.0}M)",
            refs as f64 / 1e6,
            ceiling as f64 / 1e6
        );
        if refs > ceiling {
            over.push(format!("{label}: {refs} > {ceiling}"));
        }
    }
    if enforce && !over.is_empty() {
        return Err(format!(
            "instruction counts over their ceilings: {}",
            over.join("; ")
        )
        .into());
    }
    Ok(())
}

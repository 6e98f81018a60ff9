//! `cargo xtask bench [ARGS]`: the sctp-wire, sctp-core and sctp-sim
//! benchmarks, ARGS passed to `cargo bench`; `cargo xtask bench udp`:
//! sctp-perf over UDP on loopback against a bare UDP socket pair, measured
//! in turn in the same run, and the ratio of the two; `cargo xtask bench
//! idle`: 10 000 idle associations on one endpoint within 100 MiB of RSS.

use crate::interop::{free_port, Server};
use crate::util::{self, Result};
use std::net::UdpSocket;
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
/// Runs of each, alternating, so the machine's noise falls on both.
const RUNS: usize = 3;

pub(crate) fn run(args: &[String]) -> Result {
    match args {
        [part] if part == "udp" => udp(),
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

/// sctp-perf (release) sends 64 KiB messages one way to its server, and
/// in turn a bare UDP pair sends 1200-byte datagrams one way; prints the
/// throughput of each in MB/s (10^6 bytes of payload per second) and
/// their ratio, medians of [`RUNS`] runs each.
fn udp() -> Result {
    util::run(util::cargo().args([
        "build",
        "--release",
        "-p",
        "sctp-tokio",
        "--bin",
        "sctp-perf",
    ]))?;
    let perf = util::target_dir().join("release/sctp-perf");
    let (mut bare, mut sctp) = (Vec::new(), Vec::new());
    for run in 1..=RUNS {
        let udp = bare_udp()?;
        println!(
            "run {run}: bare UDP {:.1} MB/s ({} of {} datagrams arrived)",
            udp.mb_per_s, udp.received, udp.sent
        );
        bare.push(udp.mb_per_s);
        let mb_per_s = sctp_perf(&perf)?;
        println!("run {run}: sctp-perf {mb_per_s:.1} MB/s");
        sctp.push(mb_per_s);
    }
    let (bare, sctp) = (median(&mut bare), median(&mut sctp));
    util::banner("bench udp: one direction over loopback, medians");
    let rows = [
        (
            format!("bare UDP, {DATAGRAM}-byte datagrams"),
            format!("{bare:.1} MB/s"),
        ),
        (
            "sctp-perf, 64 KiB messages, default MTU".to_owned(),
            format!("{sctp:.1} MB/s"),
        ),
        (
            "sctp-perf / bare UDP".to_owned(),
            format!("{:.2}", sctp / bare),
        ),
    ];
    for (what, value) in rows {
        println!("{what:<48}{value:>12}");
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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

/// One sctp-perf run, client to server without echo: [`SCTP_BYTES`] in
/// [`MESSAGE`]-byte messages; the client's bytes and seconds (handshake
/// to graceful close) give the rate.
fn sctp_perf(perf: &std::path::Path) -> Result<f64> {
    let listen = format!("127.0.0.1:{}", free_port()?);
    let _server = Server::start(Command::new(perf).args(["server", "--listen", &listen]))?;
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
    Ok(bytes / seconds / 1e6)
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

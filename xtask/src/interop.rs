//! `cargo xtask interop`: sctp-perf against the real peers of INTEROP.md,
//! pion/sctp 1.8.6 and usrsctp 0.9.5 from Debian, over UDP on loopback
//! (RFC 6951 framing), every echoed byte checked by the sending side.
//!
//! It installs the Debian packages it lacks, builds `sctp-perf` and the
//! Go program `sctp-tokio/interop/pion/src/pionecho` (offline, in GOPATH
//! mode), runs each scenario and prints a table; it fails if any failed.

use crate::util::{self, Result};
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What the scenarios need from Debian, and a file that shows each is there.
const PACKAGES: &[(&str, &str)] = &[
    ("golang-go", "/usr/bin/go"),
    (
        "golang-github-pion-sctp-dev",
        "/usr/share/gocode/src/github.com/pion/sctp/association.go",
    ),
    ("libusrsctp-examples", "/usr/lib/usrsctp/echo_server"),
];

/// How long one client may run.
const CLIENT_LIMIT: Duration = Duration::from_secs(120);

/// The programs the scenarios run.
struct Tools {
    perf: PathBuf,
    pion: PathBuf,
    usrsctp: &'static Path,
}

/// One scenario: a name for the table and its work.
struct Scenario {
    name: &'static str,
    run: fn(&Tools) -> Result,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "our client -> pion server, echo, 3 ordered streams, 64 MiB",
        run: |t| ours_to_pion(t, 64 << 20, 10_000, 3, false),
    },
    Scenario {
        name: "our client -> pion server, echo, 2 unordered streams, 4 MiB",
        run: |t| ours_to_pion(t, 4 << 20, 1_500, 2, true),
    },
    Scenario {
        name: "pion client -> our server, echo, 3 ordered streams, 64 MiB",
        run: |t| pion_to_ours(t, 64 << 20, 10_000, 3, false),
    },
    Scenario {
        name: "pion client -> our server, echo, 2 unordered streams, 4 MiB",
        run: |t| pion_to_ours(t, 4 << 20, 1_500, 2, true),
    },
    Scenario {
        name: "our client -> usrsctp echo_server, 10 KiB messages, 2 ordered streams",
        run: |t| ours_to_usrsctp_echo(t, 10_240, false),
    },
    Scenario {
        name: "our client -> usrsctp echo_server, 1000-byte messages, unordered",
        run: |t| ours_to_usrsctp_echo(t, 1_000, true),
    },
];

pub(crate) fn run() -> Result {
    ensure_packages()?;
    let tools = build()?;
    let mut failed = 0;
    let mut table = Vec::new();
    for scenario in SCENARIOS {
        util::banner(&format!("interop: {}", scenario.name));
        let started = Instant::now();
        let result = (scenario.run)(&tools);
        let verdict = match &result {
            Ok(()) => "pass".to_owned(),
            Err(e) => {
                failed += 1;
                format!("FAIL: {e}")
            }
        };
        table.push(format!(
            "{:>6.1}s  {}  {verdict}",
            started.elapsed().as_secs_f64(),
            scenario.name
        ));
    }
    util::banner("interop results");
    for line in &table {
        println!("{line}");
    }
    if failed > 0 {
        return Err(format!("{failed} of {} interop scenarios failed", SCENARIOS.len()).into());
    }
    println!("interop: all {} scenarios passed", SCENARIOS.len());
    Ok(())
}

fn ensure_packages() -> Result {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(_, file)| !Path::new(file).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        println!("interop: peers already installed");
        return Ok(());
    }
    println!("interop: installing {}", missing.join(" "));
    util::apt_install(&missing)
}

fn build() -> Result<Tools> {
    util::run(util::cargo().args(["build", "-p", "sctp-tokio", "--bin", "sctp-perf"]))?;
    let out = util::target_dir().join("interop");
    std::fs::create_dir_all(&out)?;
    let gopath = util::root().join("sctp-tokio/interop/pion");
    let pion = out.join("pionecho");
    util::run(
        Command::new("go")
            .env("GO111MODULE", "off")
            .env("GOPATH", format!("{}:/usr/share/gocode", gopath.display()))
            .env("GOCACHE", out.join("gocache"))
            .env("GOFLAGS", "")
            .args(["build", "-o"])
            .arg(&pion)
            .arg("pionecho"),
    )?;
    Ok(Tools {
        perf: util::target_dir().join("debug/sctp-perf"),
        pion,
        usrsctp: Path::new("/usr/lib/usrsctp"),
    })
}

/// A UDP port on loopback free when asked.
fn free_port() -> Result<u16> {
    Ok(UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A server process: its output lines as they come, killed when dropped.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(cmd: &mut Command) -> Result<Server> {
        println!("$ {} &", util::display(cmd));
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", util::display(cmd)))?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(std::result::Result::ok) {
                let _ = tx.send(line);
            }
        });
        // Let it bind its socket.
        std::thread::sleep(Duration::from_millis(300));
        Ok(Server { child, lines })
    }

    /// The first line within `limit` that contains `needle`.
    fn line_with(&self, needle: &str, limit: Duration) -> Result<String> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Ok(line),
                Ok(_) => {}
                Err(_) => return Err(format!("the server printed no line with {needle:?}").into()),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a client to completion within [`CLIENT_LIMIT`]; returns its
/// standard output, or fails with its standard error.
fn client(cmd: &mut Command) -> Result<String> {
    println!("$ {}", util::display(cmd));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", util::display(cmd)))?;
    let started = Instant::now();
    while child.try_wait()?.is_none() {
        if started.elapsed() > CLIENT_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("client still running after {CLIENT_LIMIT:?}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    if !out.status.success() {
        return Err(format!(
            "client failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        )
        .into());
    }
    Ok(stdout)
}

/// Fails unless `text` contains `expected`.
fn expect(text: &str, expected: &str, what: &str) -> Result {
    if text.contains(expected) {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?} in {:?}", text.trim_end()).into())
    }
}

fn perf_client(tools: &Tools, port: u16, bytes: u64, size: usize) -> Command {
    let mut cmd = Command::new(&tools.perf);
    cmd.args(["client", "--connect", &format!("127.0.0.1:{port}")])
        .args(["--bytes", &bytes.to_string(), "--size", &size.to_string()])
        .args(["--echo", "--timeout", "100"]);
    cmd
}

fn ours_to_pion(tools: &Tools, bytes: u64, size: usize, streams: u16, unordered: bool) -> Result {
    let port = free_port()?;
    let server =
        Server::start(Command::new(&tools.pion).args(["server", &format!("127.0.0.1:{port}")]))?;
    let mut cmd = perf_client(tools, port, bytes, size);
    cmd.args(["--streams", &streams.to_string()]);
    if unordered {
        cmd.arg("--unordered");
    }
    let out = client(&mut cmd)?;
    expect(&out, &format!("\"bytes\":{bytes},"), "our client")?;
    let served = server.line_with("bytes=", Duration::from_secs(20))?;
    expect(&served, &format!("bytes={bytes} "), "pion server")
}

fn pion_to_ours(tools: &Tools, bytes: u64, size: usize, streams: u16, unordered: bool) -> Result {
    let port = free_port()?;
    let server = Server::start(Command::new(&tools.perf).args([
        "server",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--echo",
    ]))?;
    let out = client(Command::new(&tools.pion).args([
        "client",
        &format!("127.0.0.1:{port}"),
        &bytes.to_string(),
        &size.to_string(),
        &streams.to_string(),
        if unordered { "unordered" } else { "ordered" },
    ]))?;
    expect(&out, &format!("bytes={bytes} "), "pion client")?;
    let served = server.line_with("\"bytes\"", Duration::from_secs(20))?;
    expect(&served, &format!("\"bytes\":{bytes},"), "our server")?;
    expect(&served, "\"close\":\"shut down\"", "our server")
}

/// usrsctp's echo_server (SCTP port 7) echoes at most the last 10 240
/// bytes of a message (INTEROP.md), so messages stay within that.
fn ours_to_usrsctp_echo(tools: &Tools, size: usize, unordered: bool) -> Result {
    let port = free_port()?;
    let _server =
        Server::start(Command::new(tools.usrsctp.join("echo_server")).arg(port.to_string()))?;
    let bytes = 2_000_000;
    let mut cmd = perf_client(tools, port, bytes, size);
    cmd.args(["--sctp-ports", "5000:7", "--streams", "2"]);
    if unordered {
        cmd.arg("--unordered");
    }
    let out = client(&mut cmd)?;
    expect(&out, &format!("\"bytes\":{bytes},"), "our client")
}

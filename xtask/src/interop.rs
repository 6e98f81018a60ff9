//! `cargo xtask interop`: sctp-perf against the real peers of INTEROP.md,
//! pion/sctp 1.8.6 and usrsctp 0.9.5 from Debian, over UDP on loopback
//! (RFC 6951 framing), every echoed byte checked by the sending side.
//!
//! Besides bulk echo, the pion scenarios cover partial reliability
//! (RFC 3758) both ways and closing streams with a stream reset (RFC 6525)
//! both ways, the reader seeing every byte, then the end of the stream.
//!
//! It installs the Debian packages it lacks, builds `sctp-perf`, the
//! `echo_client` example and the Go program
//! `sctp-tokio/interop/pion/src/pionecho` (offline, in GOPATH mode), runs
//! each scenario and prints a table; it fails if any failed.

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
        name: "our client -> pion server, echo, 2 unordered streams, --rexmit 0, 4 MiB",
        run: |t| ours_to_pion_partial(t, &["--unordered", "--rexmit", "0"]),
    },
    Scenario {
        name: "our client -> pion server, echo, 2 ordered streams, --lifetime-ms 5, 4 MiB",
        run: |t| ours_to_pion_partial(t, &["--lifetime-ms", "5"]),
    },
    Scenario {
        name: "pion client -> our server, echo, 2 unordered streams, rexmit 0, 4 MiB",
        run: |t| pion_to_ours_closing(t, true, "rexmit:0"),
    },
    Scenario {
        name: "pion client -> our server, echo, 2 ordered streams, lifetime 5 ms, 4 MiB",
        run: |t| pion_to_ours_closing(t, false, "timed:5"),
    },
    Scenario {
        name: "our echo_client closes its stream -> pion server reads all, then EOF",
        run: ours_close_to_pion,
    },
    Scenario {
        name: "pion client closes 2 streams -> our server reads all, then the end",
        run: |t| pion_to_ours_closing(t, false, "close"),
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
    util::run(util::cargo().args(["build", "-p", "sctp-tokio", "--example", "echo_client"]))?;
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

/// The number after `key` (`"key":` in our JSON, `key=` in pionecho's
/// lines).
fn number(text: &str, key: &str) -> Result<u64> {
    let start = text
        .find(key)
        .ok_or_else(|| format!("no {key:?} in {:?}", text.trim_end()))?
        + key.len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Ok(digits.parse()?)
}

/// Partial reliability (RFC 3758), our side sending: sctp-perf's client
/// closes its streams after its last message and checks every echo that
/// comes back (byte-exact, once, in order on ordered streams, and none
/// missing unless abandoned); pion's server echoes what it received and
/// closes each stream back on io.EOF. Both must count the same messages.
fn ours_to_pion_partial(tools: &Tools, extra: &[&str]) -> Result {
    let port = free_port()?;
    let server =
        Server::start(Command::new(&tools.pion).args(["server", &format!("127.0.0.1:{port}")]))?;
    let bytes = 4 << 20;
    let mut cmd = perf_client(tools, port, bytes, 1_500);
    cmd.args(["--streams", "2"]).args(extra);
    let out = client(&mut cmd)?;
    expect(&out, &format!("\"bytes\":{bytes},"), "our client")?;
    let received = number(&out, "\"received\":")?;
    let served = server.line_with("bytes=", Duration::from_secs(20))?;
    if number(&served, "messages=")? != received {
        return Err(format!("pion echoed other than we received: {served} / {out}").into());
    }
    expect(&served, "eof=2", "pion server (both streams closed)")
}

/// Our side closing a stream (RFC 6525 reset): the echo_client example
/// sends 2 000 messages on a stream and closes it; pion's reader gets every
/// byte, then io.EOF, and closes the stream back; the client checks every
/// echo, then the end of the stream.
fn ours_close_to_pion(tools: &Tools) -> Result {
    let port = free_port()?;
    let server =
        Server::start(Command::new(&tools.pion).args(["server", &format!("127.0.0.1:{port}")]))?;
    let message = "0123456789".repeat(100);
    let out = client(
        Command::new(util::target_dir().join("debug/examples/echo_client"))
            .arg(format!("127.0.0.1:{port}"))
            .args([&message, "short", "--repeat", "1000", "--quiet"]),
    )?;
    expect(
        &out,
        "2000 messages, 1005000 bytes echoed, then the end of the stream",
        "our echo_client",
    )?;
    let served = server.line_with("bytes=", Duration::from_secs(20))?;
    expect(&served, "bytes=1005000 messages=2000 eof=1", "pion server")
}

/// pion's client closes its streams after its last message (`close`:
/// reliable, every echo expected; `rexmit:N`, `timed:MS`: partially
/// reliable, any echoes checked); our server reads up to the end of each
/// stream, echoing, and closes it back; pion reads to io.EOF.
fn pion_to_ours_closing(tools: &Tools, unordered: bool, mode: &str) -> Result {
    let port = free_port()?;
    let server = Server::start(Command::new(&tools.perf).args([
        "server",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--echo",
    ]))?;
    let bytes: u64 = 4 << 20;
    let out = client(Command::new(&tools.pion).args([
        "client",
        &format!("127.0.0.1:{port}"),
        &bytes.to_string(),
        "1500",
        "2",
        if unordered { "unordered" } else { "ordered" },
        mode,
    ]))?;
    expect(&out, &format!("bytes={bytes} "), "pion client")?;
    expect(&out, "eof=2 ", "pion client (both streams closed back)")?;
    let received = number(&out, "received=")?;
    if mode == "close" && received != bytes.div_ceil(1500) {
        return Err(format!("pion client: {received} echoes, all were due").into());
    }
    let served = server.line_with("\"bytes\"", Duration::from_secs(20))?;
    if number(&served, "\"messages\":")? != received {
        return Err(format!("we echoed other than pion received: {served} / {out}").into());
    }
    expect(&served, "\"eof\":2,", "our server (both streams closed)")?;
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

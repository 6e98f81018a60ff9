//! `cargo xtask interop`: sctp-perf against the real peers of INTEROP.md,
//! pion/sctp 1.8.6 and usrsctp 0.9.5 from Debian, over UDP on loopback
//! (RFC 6951 framing), every echoed byte checked by the sending side and
//! every count a receiver prints checked against what was sent.
//!
//! Besides bulk echo, the pion scenarios cover partial reliability
//! (RFC 3758) both ways and closing streams with a stream reset (RFC 6525)
//! both ways, the reader seeing every byte, then the end of the stream.
//! Against usrsctp, a program of ours (`usrsctp-peer`, see
//! [`usrsctp_peer`]) covers I-DATA (RFC 8260), partial reliability under
//! loss and stream resets both ways, which its stock examples cannot.
//!
//! It installs the Debian packages it lacks, builds `sctp-perf`, the
//! `echo_client` example, the Go program
//! `sctp-tokio/interop/pion/src/pionecho` (offline, in GOPATH mode), the
//! `LD_PRELOAD` shim `sctp-tokio/interop/usrsctp/nodebug.c` that keeps
//! usrsctp's debug output off and `sctp-tokio/interop/usrsctp/peer.c`
//! against libusrsctp, runs each scenario and prints a table; it fails if
//! any failed.

mod lossy;
mod usrsctp_peer;

use crate::util::{self, Result};
use std::io::{BufRead, BufReader, Read, Write};
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
    ("gcc", "/usr/bin/gcc"),
    ("libusrsctp-dev", "/usr/include/usrsctp.h"),
];

/// How long one client may run.
const CLIENT_LIMIT: Duration = Duration::from_secs(120);

/// The programs the scenarios run.
struct Tools {
    perf: PathBuf,
    pion: PathBuf,
    usrsctp: &'static Path,
    /// The shim that keeps usrsctp's debug output off.
    nodebug: PathBuf,
    /// Our usrsctp program with I-DATA, PR-SCTP and stream reset.
    usrsctp_peer: PathBuf,
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
    Scenario {
        name: "our client -> usrsctp discard_server, 64 KiB messages, 32 MiB",
        run: |t| ours_to_usrsctp_discard(t, 32 << 20, 64 << 10),
    },
    Scenario {
        name: "our client -> usrsctp discard_server, 1 MiB messages, 32 MiB",
        run: |t| ours_to_usrsctp_discard(t, 32 << 20, 1 << 20),
    },
    Scenario {
        name: "our client -> usrsctp tsctp receiver, 64 KiB messages, 64 MiB",
        run: |t| ours_to_tsctp(t, 64 << 20, 64 << 10),
    },
    Scenario {
        name: "our client -> usrsctp tsctp receiver, 1 MiB messages, 64 MiB",
        run: |t| ours_to_tsctp(t, 64 << 20, 1 << 20),
    },
    Scenario {
        name: "usrsctp client -> our server, echo, 200 lines on stream 0",
        run: |t| usrsctp_client_to_ours(t, 200),
    },
    Scenario {
        name: "usrsctp tsctp sender -> our server, 64 KiB messages, 64 MiB",
        run: |t| tsctp_to_ours(t, 1024, 64 << 10, None),
    },
    Scenario {
        name: "usrsctp tsctp sender -> our server, 1 MiB messages, fragment point 1200, 64 MiB",
        run: |t| tsctp_to_ours(t, 64, 1 << 20, Some(1200)),
    },
    Scenario {
        name: "our client -> usrsctp-peer, I-DATA, 4 streams, 48 KiB messages interleaved, 8 MiB",
        run: |t| usrsctp_peer::idata(t, 8 << 20, 48 << 10, 4),
    },
    Scenario {
        name: "our client -> usrsctp-peer, 2 unordered streams, --rexmit 0, 2% loss, 2 MiB",
        run: |t| usrsctp_peer::partial(t, 2, 1_500, &["--unordered", "--rexmit", "0"]),
    },
    Scenario {
        name: "our client -> usrsctp-peer, 2 ordered streams, --lifetime-ms 50, 2% loss, 2 MiB",
        run: |t| usrsctp_peer::partial(t, 2, 1_500, &["--lifetime-ms", "50"]),
    },
    Scenario {
        name:
            "our client -> usrsctp-peer, I-DATA, 3 unordered streams, 20 KiB, --rexmit 0, 2% loss",
        run: |t| {
            usrsctp_peer::partial(
                t,
                3,
                20_000,
                &["--interleaving", "--unordered", "--rexmit", "0"],
            )
        },
    },
    Scenario {
        name: "our client closes 3 streams -> usrsctp-peer reads all, resets back, 2% loss",
        run: |t| usrsctp_peer::ours_close(t, 3, usrsctp_peer::DATA_LOSS),
    },
    Scenario {
        name:
            "our client closes its stream, DATA lost 10 before the last -> usrsctp-peer resets back",
        run: |t| usrsctp_peer::ours_close(t, 1, lossy::Loss::ClientTsnOnce { offset: 1_990 }),
    },
    Scenario {
        name: "usrsctp-peer closes 3 streams after 200 echoes -> our client reads all, then EOF",
        run: |t| usrsctp_peer::peer_close(t, 3, 200),
    },
];

/// Runs every scenario, or those whose name contains `only`.
pub(crate) fn run(only: Option<&str>) -> Result {
    ensure_packages()?;
    let tools = build()?;
    let mut failed = 0;
    let mut table = Vec::new();
    let chosen: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| only.is_none_or(|text| s.name.contains(text)))
        .collect();
    for scenario in &chosen {
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
        return Err(format!("{failed} of {} interop scenarios failed", chosen.len()).into());
    }
    println!("interop: all {} scenarios passed", chosen.len());
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
    let nodebug = out.join("nodebug.so");
    util::run(
        Command::new("gcc")
            .args(["-O2", "-shared", "-fPIC", "-o"])
            .arg(&nodebug)
            .arg(util::root().join("sctp-tokio/interop/usrsctp/nodebug.c")),
    )?;
    let usrsctp_peer = out.join("usrsctp-peer");
    util::run(
        Command::new("gcc")
            .args(["-O2", "-Wall", "-o"])
            .arg(&usrsctp_peer)
            .arg(util::root().join("sctp-tokio/interop/usrsctp/peer.c"))
            .args(["-lusrsctp", "-lpthread"]),
    )?;
    Ok(Tools {
        perf: util::target_dir().join("debug/sctp-perf"),
        pion,
        usrsctp: Path::new("/usr/lib/usrsctp"),
        nodebug,
        usrsctp_peer,
    })
}

/// A UDP port on loopback free when asked.
pub(crate) fn free_port() -> Result<u16> {
    Ok(UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A server process: its output lines as they come, killed when dropped.
pub(crate) struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    pub(crate) fn start(cmd: &mut Command) -> Result<Server> {
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

    /// Hands the server's lines to `done` until it returns true; fails
    /// when `limit` passes first.
    pub(crate) fn read_until(
        &self,
        limit: Duration,
        mut done: impl FnMut(&str) -> Result<bool>,
    ) -> Result {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .map_err(|_| format!("the server printed too little within {limit:?}"))?;
            if done(&line)? {
                return Ok(());
            }
        }
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

/// `PROGRAM` of usrsctp's examples, its debug output kept off by the shim
/// and its standard output line-buffered (it prints into a pipe, which
/// the C library would otherwise flush only when full).
fn usrsctp(tools: &Tools, program: &str) -> Command {
    let mut cmd = Command::new("stdbuf");
    cmd.env("LD_PRELOAD", &tools.nodebug)
        .arg("-oL")
        .arg(tools.usrsctp.join(program));
    cmd
}

/// Our client without echo, sending `size`-byte messages to a usrsctp
/// server on SCTP port `sctp_port`.
fn perf_sender(tools: &Tools, port: u16, bytes: u64, size: usize, sctp_port: u16) -> Command {
    let mut cmd = Command::new(&tools.perf);
    cmd.args(["client", "--connect", &format!("127.0.0.1:{port}")])
        .args(["--bytes", &bytes.to_string(), "--size", &size.to_string()])
        .args(["--max-message", &size.to_string(), "--timeout", "100"])
        .args(["--sctp-ports", &format!("5000:{sctp_port}")]);
    cmd
}

/// usrsctp's discard_server (SCTP port 9) prints a line per piece it reads
/// (at most 10 240 bytes), `complete 1` on a message's last: the pieces
/// must add up to what we sent, in as many messages.
fn ours_to_usrsctp_discard(tools: &Tools, bytes: u64, size: usize) -> Result {
    let port = free_port()?;
    let server = Server::start(usrsctp(tools, "discard_server").arg(port.to_string()))?;
    let out = client(&mut perf_sender(tools, port, bytes, size, 9))?;
    expect(&out, &format!("\"bytes\":{bytes},"), "our client")?;
    let messages = bytes.div_ceil(size as u64);
    let (mut got_bytes, mut got_messages) = (0u64, 0u64);
    server.read_until(Duration::from_secs(20), |line| {
        let Some(rest) = line.strip_prefix("Msg of length ") else {
            return Ok(false);
        };
        let len = rest.split(' ').next().unwrap_or_default();
        got_bytes += len
            .parse::<u64>()
            .map_err(|e| format!("discard_server: length {len:?}: {e}"))?;
        got_messages += u64::from(line.ends_with("complete 1."));
        Ok(got_bytes >= bytes)
    })?;
    if (got_bytes, got_messages) != (bytes, messages) {
        return Err(format!(
            "discard_server read {got_bytes} bytes in {got_messages} messages, \
             expected {bytes} in {messages}"
        )
        .into());
    }
    Ok(())
}

/// The figures usrsctp's tsctp receiver prints for an association.
#[derive(Debug, PartialEq)]
struct TsctpLine {
    /// The length of the first message.
    length: u64,
    messages: u64,
    bytes: u64,
}

impl TsctpLine {
    /// Reads `LENGTH, MESSAGES, CALLS, BYTES, SECONDS, BYTES/S, NOTIFICATIONS`.
    fn parse(line: &str) -> Option<TsctpLine> {
        let fields: Vec<&str> = line.split(", ").collect();
        let [length, messages, _calls, bytes, _seconds, _rate, _notifications] = fields[..] else {
            return None;
        };
        Some(TsctpLine {
            length: length.parse().ok()?,
            messages: messages.parse().ok()?,
            bytes: bytes.parse().ok()?,
        })
    }
}

/// usrsctp's tsctp as receiver (SCTP port 5001) counts the association's
/// messages and bytes when it ends.
fn ours_to_tsctp(tools: &Tools, bytes: u64, size: usize) -> Result {
    let port = free_port()?;
    let server = Server::start(usrsctp(tools, "tsctp").args(["-E", &port.to_string()]))?;
    let out = client(&mut perf_sender(tools, port, bytes, size, 5001))?;
    expect(&out, &format!("\"bytes\":{bytes},"), "our client")?;
    let mut counted = None;
    server.read_until(Duration::from_secs(20), |line| {
        counted = TsctpLine::parse(line);
        Ok(counted.is_some())
    })?;
    let expected = TsctpLine {
        length: size as u64,
        messages: bytes.div_ceil(size as u64),
        bytes,
    };
    match counted {
        Some(counted) if counted == expected => Ok(()),
        counted => Err(format!("tsctp counted {counted:?}, expected {expected:?}").into()),
    }
}

/// usrsctp's client sends each line of its standard input as a message on
/// stream 0 and writes every message it receives to its standard output,
/// as it comes, before anything else it prints (its own lines wait in the
/// C library's buffer until it exits). Its standard input stays open
/// until all the echoes are back: at its end the client shuts down.
fn usrsctp_client_to_ours(tools: &Tools, lines: usize) -> Result {
    let port = free_port()?;
    let server = Server::start(Command::new(&tools.perf).args([
        "server",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--echo",
        "--sctp-ports",
        "7:5000",
    ]))?;
    // Lines of 1 to 78 characters and their newline: the client reads at
    // most 79 bytes at a time.
    let sent: String = (0..lines)
        .map(|i| {
            let text: String = (0..=i % 78)
                .map(|j| char::from(b'!' + ((i * 7 + j) % 94) as u8))
                .collect();
            text + "\n"
        })
        .collect();
    let mut cmd = Command::new(tools.usrsctp.join("client"));
    // Remote address and SCTP port, local SCTP port (0: usrsctp picks
    // one), local and remote UDP ports.
    cmd.args([
        "127.0.0.1",
        "7",
        "0",
        &free_port()?.to_string(),
        &port.to_string(),
    ]);
    println!("$ {} <<< {lines} lines", util::display(&cmd));
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", util::display(&cmd)))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, chunks) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    stdin.write_all(sent.as_bytes())?;
    let mut received = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while received.len() < sent.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        match chunks.recv_timeout(left) {
            Ok(chunk) => received.extend(chunk),
            Err(_) => break,
        }
    }
    drop(stdin);
    let exited = wait_with_limit(&mut child, Duration::from_secs(20))?;
    let echoed = received.get(..sent.len()).unwrap_or(&received);
    if echoed != sent.as_bytes() {
        return Err(format!(
            "the client got back {} bytes, not the {} it sent: {:?}",
            echoed.len(),
            sent.len(),
            String::from_utf8_lossy(echoed)
        )
        .into());
    }
    if !exited.success() {
        return Err(format!("client failed ({exited})").into());
    }
    let served = server.line_with("\"bytes\"", Duration::from_secs(20))?;
    expect(
        &served,
        &format!("{{\"bytes\":{},\"messages\":{lines},", sent.len()),
        "our server",
    )?;
    expect(&served, "\"close\":\"shut down\"", "our server")
}

/// Waits for `child` to exit within `limit`; kills it if it does not.
fn wait_with_limit(child: &mut Child, limit: Duration) -> Result<std::process::ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {limit:?}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// usrsctp's tsctp as sender: `count` messages of `size` bytes from an
/// ephemeral SCTP port to port 5001, the last with SCTP_EOF (a graceful
/// shutdown); our server's line must show them all. Its send buffer holds
/// four messages (usrsctp refuses a message larger than the buffer).
fn tsctp_to_ours(tools: &Tools, count: u64, size: usize, fragment: Option<usize>) -> Result {
    let port = free_port()?;
    let server = Server::start(Command::new(&tools.perf).args([
        "server",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--sctp-ports",
        "5001:5000",
        "--max-message",
        &size.to_string(),
    ]))?;
    let mut cmd = usrsctp(tools, "tsctp");
    cmd.args(["-E", &free_port()?.to_string(), "-U", &port.to_string()])
        .args(["-l", &size.to_string(), "-n", &count.to_string()])
        .args(["-S", &(4 * size).to_string()]);
    if let Some(fragment) = fragment {
        cmd.args(["-f", &fragment.to_string()]);
    }
    let out = client(cmd.arg("127.0.0.1"))?;
    expect(&out, &format!("Sending of {count} messages"), "tsctp")?;
    let served = server.line_with("\"bytes\"", Duration::from_secs(20))?;
    let bytes = count * size as u64;
    expect(
        &served,
        &format!("{{\"bytes\":{bytes},\"messages\":{count},"),
        "our server",
    )?;
    expect(&served, "\"close\":\"shut down\"", "our server")
}

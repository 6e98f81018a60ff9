//! sctp-perf's client against its server over loopback.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const PERF: &str = env!("CARGO_BIN_EXE_sctp-perf");

/// A free UDP port on loopback (free when asked; another process could
/// take it before the server binds, which loopback tests accept).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `sctp-perf server`, killed when dropped.
struct Server {
    child: Child,
    /// The lines it prints, one per association that closed.
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(port: u16, extra: &[&str]) -> Server {
        let mut child = Command::new(PERF)
            .args(["server", "--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // The server binds at once; give it a moment to get there.
        std::thread::sleep(Duration::from_millis(200));
        Server { child, lines }
    }

    /// The line the server prints when the next association closes.
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the server reports each association")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(port: u16, args: &[&str]) -> Output {
    Command::new(PERF)
        .args(["client", "--connect", &format!("127.0.0.1:{port}")])
        .args(args)
        .output()
        .unwrap()
}

/// The value of `"key":` in a one-line JSON object.
fn field<'a>(json: &'a str, key: &str) -> &'a str {
    let start = json.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
    let rest = &json[start..];
    &rest[..rest.find([',', '}']).unwrap()]
}

#[test]
fn perf_client_checks_every_echoed_byte_over_loopback() {
    let port = free_port();
    let server = Server::start(port, &["--echo"]);
    let out = client(
        port,
        &[
            "--bytes",
            "3000000",
            "--size",
            "10000",
            "--streams",
            "3",
            "--echo",
            "--timeout",
            "60",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
    assert_eq!(field(&stdout, "bytes"), "3000000");
    assert_eq!(field(&stdout, "messages"), "300");
    assert!(field(&stdout, "goodput_mbps").parse::<f64>().unwrap() > 0.0);
    assert!(field(&stdout, "srtt_ms").parse::<f64>().unwrap() > 0.0);
    let served = server.next_line();
    assert_eq!(field(&served, "bytes"), "3000000", "server saw: {served}");
    assert_eq!(field(&served, "close"), "\"shut down\"");
}

#[test]
fn perf_client_sends_unordered_on_other_sctp_ports() {
    let port = free_port();
    let server = Server::start(port, &["--sctp-ports", "7:9"]);
    let out = client(
        port,
        &[
            "--bytes",
            "100001",
            "--size",
            "1000",
            "--unordered",
            "--sctp-ports",
            "9:7",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        field(&String::from_utf8_lossy(&out.stdout), "messages"),
        "101"
    );
    let served = server.next_line();
    assert_eq!(field(&served, "bytes"), "100001");
    assert_eq!(field(&served, "messages"), "101");
}

#[test]
fn perf_echoes_megabyte_messages_with_max_message() {
    let port = free_port();
    let server = Server::start(port, &["--echo", "--max-message", "1048576"]);
    let out = client(
        port,
        &[
            "--bytes",
            "4194304",
            "--size",
            "1048576",
            "--max-message",
            "1048576",
            "--echo",
            "--timeout",
            "60",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(field(&stdout, "messages"), "4");
    let served = server.next_line();
    assert_eq!(field(&served, "bytes"), "4194304", "server saw: {served}");
    assert_eq!(field(&served, "messages"), "4");
}

#[test]
fn perf_client_fails_when_nobody_answers() {
    let out = client(
        free_port(),
        &["--bytes", "10", "--size", "10", "--timeout", "1"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("timed out"));
}

#[test]
fn perf_client_moves_echoed_data_with_bbr() {
    // Issue 8: `--cc bbr` paces with sctp-cc's BBR; every byte still
    // comes back.
    let port = free_port();
    let server = Server::start(port, &["--echo"]);
    let out = client(
        port,
        &[
            "--bytes",
            "2000000",
            "--size",
            "5000",
            "--echo",
            "--cc",
            "bbr",
            "--timeout",
            "60",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        field(&String::from_utf8_lossy(&out.stdout), "bytes"),
        "2000000"
    );
    let served = server.next_line();
    assert_eq!(field(&served, "bytes"), "2000000", "server saw: {served}");
}

#[test]
fn perf_client_refuses_an_unknown_controller() {
    let out = client(
        free_port(),
        &["--bytes", "10", "--size", "10", "--cc", "cubic"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rfc9260"));
}

/// The JSON number of `"key":`.
fn number(json: &str, key: &str) -> u64 {
    field(json, key)
        .parse()
        .unwrap_or_else(|e| panic!("{key} in {json}: {e}"))
}

#[test]
fn perf_client_with_partial_reliability_checks_every_echo_that_comes_back() {
    let port = free_port();
    let server = Server::start(port, &["--echo"]);
    for (i, extra) in [
        &["--unordered", "--rexmit", "0"][..],
        &["--lifetime-ms", "5"],
    ]
    .into_iter()
    .enumerate()
    {
        let out = client(
            port,
            &[
                &[
                    "--bytes",
                    "2000000",
                    "--size",
                    "1000",
                    "--streams",
                    "2",
                    "--echo",
                    "--timeout",
                    "60",
                ],
                extra,
            ]
            .concat(),
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{extra:?}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (received, abandoned) = (number(&stdout, "received"), number(&stdout, "abandoned"));
        assert!(received > 0 && received <= 2000, "{stdout}");
        assert!(received + abandoned >= 2000, "{stdout}");
        // The server closed both streams back once the client closed them,
        // after echoing what it received.
        let served = server.next_line();
        assert_eq!(number(&served, "eof"), 2, "run {i}: {served}");
        assert_eq!(number(&served, "messages"), received, "run {i}: {served}");
        assert_eq!(field(&served, "close"), "\"shut down\"");
    }
}

#[test]
fn perf_client_and_server_run_with_zero_checksum() {
    let port = free_port();
    let server = Server::start(port, &["--echo", "--zero-checksum"]);
    let out = client(
        port,
        &[
            "--bytes",
            "500000",
            "--size",
            "5000",
            "--echo",
            "--zero-checksum",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(number(&stdout, "received"), 100);
    assert_eq!(number(&stdout, "abandoned"), 0);
    assert_eq!(number(&server.next_line(), "bytes"), 500_000);
}

#[test]
fn perf_client_closes_its_streams_and_both_sides_report_i_data() {
    let port = free_port();
    let server = Server::start(port, &["--echo", "--interleaving"]);
    let out = client(
        port,
        &[
            "--bytes",
            "600000",
            "--size",
            "30000",
            "--streams",
            "3",
            "--echo",
            "--close",
            "--interleaving",
            "--timeout",
            "60",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every echo, then the end of each stream the server closed back.
    assert_eq!(number(&stdout, "received"), 20);
    assert_eq!(number(&stdout, "eof"), 3);
    assert_eq!(field(&stdout, "interleaving"), "true");
    let served = server.next_line();
    assert_eq!(number(&served, "eof"), 3, "{served}");
    assert_eq!(field(&served, "interleaving"), "true");
    assert_eq!(field(&served, "close"), "\"shut down\"");
}

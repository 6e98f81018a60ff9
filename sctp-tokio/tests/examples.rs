//! The echo examples run against each other over UDP on loopback.
//!
//! `cargo test -p sctp-tokio` builds the examples before it runs this;
//! running this file alone needs `cargo build -p sctp-tokio --examples`
//! first.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Where Cargo put example `name`: `examples/` beside the binaries.
fn example(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_sctp-perf"))
        .with_file_name("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p sctp-tokio --examples`",
        path.display()
    );
    path
}

/// The running echo server, killed when dropped.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the server prints a line")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> (Server, String) {
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(example("echo_server"))
        .arg(&addr)
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
    let server = Server { child, lines };
    assert_eq!(server.next_line(), format!("listening on {addr}"));
    (server, addr)
}

#[test]
fn echo_client_gets_its_messages_back_then_the_end_of_the_stream() {
    let (server, addr) = start_server();
    let out = Command::new(example("echo_client"))
        .args([&addr, "hello", "SCTP", "over UDP"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "hello\nSCTP\nover UDP\n3 messages, 17 bytes echoed, then the end of the stream\n"
    );
    // Printed by two tasks, in either order.
    let mut lines = [server.next_line(), server.next_line()];
    lines.sort();
    assert_eq!(
        lines,
        [
            "association 1 stream 1: 3 messages, 17 bytes echoed; closed by the peer, and by us",
            "association 1: shut down"
        ]
    );
}

#[test]
fn echo_client_checks_thousands_of_echoes() {
    let (server, addr) = start_server();
    let message = "x".repeat(1000);
    let out = Command::new(example("echo_client"))
        .args([
            &addr, &message, "y", "--repeat", "2000", "--quiet", "--stream", "9",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "4000 messages, 2002000 bytes echoed, then the end of the stream\n"
    );
    // The stream's line and the association's come from two tasks, in
    // either order.
    let lines = [server.next_line(), server.next_line()];
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("association 1 stream 9: 4000 messages")),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"association 1: shut down".to_string()),
        "{lines:?}"
    );
}

//! How much memory idle associations cost a server: one [`Endpoint`]
//! accepts N associations (issue 6's target: 10 000 in under 100 MiB of
//! RSS), opened by a child process so that their client side is not
//! counted, and the growth of this process's resident set is reported.
//!
//! ```text
//! cargo run --release -p sctp-tokio --example idle_endpoint -- [N [MAX_MIB]]
//! ```
//!
//! With MAX_MIB it exits with 1 if the process's resident set ends above
//! that many MiB (`cargo xtask bench idle` and CI check 10 000 in 100).
//!
//! Linux only (it reads `/proc/self/status`). Each client needs a UDP
//! socket: N must stay below the open-file limit (`ulimit -n`).

use sctp_tokio::{Association, Config, Endpoint, UdpTransport};
use std::net::SocketAddr;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

/// Clients that connect at once, so the handshakes do not overflow the
/// endpoint's queues.
const BATCH: usize = 250;

fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("clients") {
        return clients(&args[2..]).await;
    }
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let max_mib: Option<f64> = args.get(2).and_then(|a| a.parse().ok());
    let endpoint = match Endpoint::bind("127.0.0.1:0".parse().unwrap(), Config::default()).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("idle_endpoint: cannot bind: {e}");
            return ExitCode::FAILURE;
        }
    };
    let before = rss_bytes().unwrap_or(0);
    let exe = std::env::current_exe().expect("own path");
    let mut child = match Command::new(exe)
        .args([
            "clients",
            &endpoint.local_addr().to_string(),
            &n.to_string(),
        ])
        .stdin(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("idle_endpoint: cannot start the clients: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut held: Vec<Association> = Vec::with_capacity(n);
    while held.len() < n {
        match tokio::time::timeout(Duration::from_secs(30), endpoint.accept()).await {
            Ok(Ok(a)) => held.push(a),
            Ok(Err(e)) => {
                eprintln!("idle_endpoint: accept: {e}");
                break;
            }
            Err(_) => {
                eprintln!("idle_endpoint: no association for 30 s");
                break;
            }
        }
    }
    // Let the handshakes' buffers settle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_bytes().unwrap_or(0);
    let grown = after.saturating_sub(before);
    let per = grown.checked_div(held.len() as u64).unwrap_or(0);
    let total_mib = after as f64 / (1 << 20) as f64;
    println!(
        "{} idle associations: RSS grew by {:.1} MiB ({per} bytes each); total RSS {total_mib:.1} MiB",
        held.len(),
        grown as f64 / (1 << 20) as f64,
    );
    let _ = child.kill();
    let _ = child.wait();
    if held.len() != n {
        eprintln!("idle_endpoint: only {} of {n} associations", held.len());
        return ExitCode::FAILURE;
    }
    if let Some(max) = max_mib.filter(|&max| total_mib > max) {
        eprintln!("idle_endpoint: {total_mib:.1} MiB of RSS is above {max} MiB");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The child: `n` clients to `server`, kept until killed.
async fn clients(args: &[String]) -> ExitCode {
    let (Some(server), Some(n)) = (
        args.first().and_then(|a| a.parse::<SocketAddr>().ok()),
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
    ) else {
        eprintln!("idle_endpoint clients: expected SERVER_ADDR N");
        return ExitCode::from(2);
    };
    let mut open = Vec::with_capacity(n);
    let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
    for start in (0..n).step_by(BATCH) {
        let mut batch = tokio::task::JoinSet::new();
        for _ in start..n.min(start + BATCH) {
            batch.spawn(async move {
                let transport = UdpTransport::connect(local, server).await?;
                Association::client(transport, Config::default())
                    .await
                    .map_err(std::io::Error::other)
            });
        }
        while let Some(joined) = batch.join_next().await {
            match joined {
                Ok(Ok(a)) => open.push(a),
                Ok(Err(e)) => eprintln!("idle_endpoint clients: {e}"),
                Err(e) => eprintln!("idle_endpoint clients: {e}"),
            }
        }
    }
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}

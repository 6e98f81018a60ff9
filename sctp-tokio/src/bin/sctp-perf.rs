//! `sctp-perf`: an iperf-like tool over SCTP on UDP (issue 6).
//!
//! ```text
//! sctp-perf server --listen 127.0.0.1:PORT [--echo] [--sctp-ports LOCAL:REMOTE]
//! sctp-perf client --connect 127.0.0.1:PORT --bytes N --size M [--streams K]
//!     [--unordered] [--echo] [--timeout SECONDS] [--sctp-ports LOCAL:REMOTE]
//! ```
//!
//! The client sends N bytes as messages of M bytes round-robin over K
//! streams, waits until all are acknowledged (and echoed, with `--echo`,
//! checking every byte and the order on ordered streams), closes
//! gracefully and prints one JSON line. It exits with 1 when anything was
//! lost, corrupted, misordered or timed out, and 2 on a bad command line.
//! The server serves any number of associations and prints a JSON line
//! for each when it closes.

use bytes::{BufMut, Bytes, BytesMut};
use clap::{Args, Parser, Subcommand};
use sctp_tokio::{Association, Config, Endpoint, Ppid, ReliabilityType, Stream, UdpTransport};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// WebRTC Binary (RFC 8831 §8): what the messages are.
const PPID: Ppid = Ppid(53);
/// Bytes of the message index at the head of each message.
const INDEX_LEN: usize = 8;

#[derive(Parser)]
#[command(name = "sctp-perf", about = "Measure SCTP over UDP")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve associations: count what arrives, echo it with --echo.
    Server(ServerArgs),
    /// Send N bytes and report goodput as one JSON line.
    Client(ClientArgs),
}

#[derive(Args)]
struct Common {
    /// SCTP ports inside the packets, LOCAL:REMOTE (WebRTC uses 5000:5000).
    #[arg(long, value_parser = parse_ports, default_value = "5000:5000")]
    sctp_ports: (u16, u16),
}

#[derive(Args)]
struct ServerArgs {
    /// UDP address to listen on.
    #[arg(long)]
    listen: SocketAddr,
    /// Send every message back on its stream with its PPID.
    #[arg(long)]
    echo: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct ClientArgs {
    /// UDP address of the server.
    #[arg(long)]
    connect: SocketAddr,
    /// Bytes to send in all.
    #[arg(long)]
    bytes: u64,
    /// Bytes per message (the last may be shorter).
    #[arg(long)]
    size: usize,
    /// Streams to spread the messages over, round-robin.
    #[arg(long, default_value_t = 1)]
    streams: u16,
    /// Send unordered (RFC 9260 §6.6).
    #[arg(long)]
    unordered: bool,
    /// Partial reliability: at most R retransmissions (not supported yet).
    #[arg(long, conflicts_with = "lifetime_ms")]
    rexmit: Option<u32>,
    /// Partial reliability: a lifetime of T ms (not supported yet).
    #[arg(long)]
    lifetime_ms: Option<u32>,
    /// Congestion controller: rfc9260 (bbr is not there yet).
    #[arg(long, default_value = "rfc9260")]
    cc: String,
    /// Expect every message back and check it byte for byte.
    #[arg(long)]
    echo: bool,
    /// Zero checksum, RFC 9653 (not supported yet).
    #[arg(long)]
    zero_checksum: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 120.0)]
    timeout: f64,
    #[command(flatten)]
    common: Common,
}

fn parse_ports(s: &str) -> Result<(u16, u16), String> {
    let (local, remote) = s
        .split_once(':')
        .ok_or_else(|| format!("expected LOCAL:REMOTE, got {s:?}"))?;
    let port = |p: &str| p.parse::<u16>().map_err(|e| format!("port {p:?}: {e}"));
    Ok((port(local)?, port(remote)?))
}

fn config(common: &Common) -> Config {
    Config {
        local_port: common.sctp_ports.0,
        remote_port: common.sctp_ports.1,
        ..Config::default()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("sctp-perf: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Server(args) => match runtime.block_on(server(args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sctp-perf server: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Client(args) => {
            if let Err(e) = unsupported(&args) {
                eprintln!("sctp-perf client: {e}");
                return ExitCode::from(2);
            }
            let limit = Duration::from_secs_f64(args.timeout.max(0.0));
            match runtime.block_on(async { tokio::time::timeout(limit, client(&args)).await }) {
                Ok(Ok(report)) => {
                    println!("{report}");
                    ExitCode::SUCCESS
                }
                Ok(Err(e)) => {
                    eprintln!("sctp-perf client: {e}");
                    ExitCode::FAILURE
                }
                Err(_) => {
                    eprintln!("sctp-perf client: timed out after {} s", args.timeout);
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Options the command line has for features sctp-core lacks yet: refused
/// with a reason rather than ignored.
fn unsupported(args: &ClientArgs) -> Result<(), String> {
    if args.rexmit.is_some() || args.lifetime_ms.is_some() {
        return Err(
            "--rexmit and --lifetime-ms need partial reliability (RFC 3758), \
                    which sctp-core does not have yet"
                .into(),
        );
    }
    match args.cc.as_str() {
        "rfc9260" => {}
        "bbr" => return Err("--cc bbr: sctp-cc has no BBR controller yet".into()),
        other => return Err(format!("--cc {other}: expected rfc9260 or bbr")),
    }
    if args.zero_checksum {
        return Err("--zero-checksum needs RFC 9653 in sctp-core, not there yet".into());
    }
    if args.size == 0 || args.streams == 0 {
        return Err("--size and --streams must be at least 1".into());
    }
    if args.unordered && args.echo && args.size < INDEX_LEN {
        return Err(format!(
            "--unordered --echo needs --size of at least {INDEX_LEN} bytes, to tell messages apart"
        ));
    }
    Ok(())
}

async fn server(args: ServerArgs) -> Result<(), String> {
    let config = config(&args.common);
    let max_message = config.max_message_size;
    let endpoint = Endpoint::bind(args.listen, config)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    loop {
        let association = endpoint.accept().await.map_err(|e| e.to_string())?;
        tokio::spawn(serve(association, args.echo, max_message));
    }
}

/// Counts (and echoes) every message of every stream, then prints a line.
async fn serve(association: Association, echo: bool, max_message: usize) {
    let association = Arc::new(association);
    let mut tasks = Vec::new();
    while let Ok(stream) = association.accept_stream().await {
        tasks.push(tokio::spawn(serve_stream(stream, echo, max_message)));
    }
    let (mut messages, mut bytes) = (0u64, 0u64);
    for task in tasks {
        let (m, b) = task.await.unwrap_or_default();
        messages += m;
        bytes += b;
    }
    let reason = association.closed().await;
    println!(
        r#"{{"bytes":{bytes},"messages":{messages},"close":{:?}}}"#,
        reason.to_string()
    );
}

async fn serve_stream(stream: Stream, echo: bool, max_message: usize) -> (u64, u64) {
    let (mut messages, mut bytes) = (0u64, 0u64);
    let mut buf = vec![0u8; max_message];
    while let Ok((n, ppid)) = stream.read_sctp(&mut buf).await {
        messages += 1;
        bytes += n as u64;
        if echo && stream.write_sctp(&buf[..n], ppid).await.is_err() {
            break;
        }
    }
    (messages, bytes)
}

/// Message contents: the index, then a stretch of a fixed pattern that
/// starts at an offset depending on the index, so a message in the wrong
/// place or with a wrong byte does not compare equal.
struct Messages {
    pattern: Bytes,
    size: usize,
    count: u64,
    last_size: usize,
}

impl Messages {
    fn new(bytes: u64, size: usize) -> Messages {
        let count = bytes.div_ceil(size as u64);
        let last_size = (bytes - (count.saturating_sub(1)) * size as u64) as usize;
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let pattern = (0..size + 4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect::<Vec<u8>>();
        Messages {
            pattern: pattern.into(),
            size,
            count,
            last_size,
        }
    }

    fn len(&self, index: u64) -> usize {
        if index + 1 == self.count {
            self.last_size
        } else {
            self.size
        }
    }

    fn message(&self, index: u64) -> Bytes {
        let len = self.len(index);
        let mut buf = BytesMut::with_capacity(len);
        let head = index.to_be_bytes();
        let head_len = len.min(INDEX_LEN);
        buf.put_slice(&head[..head_len]);
        let offset = (index.wrapping_mul(7919) % 4096) as usize;
        buf.put_slice(&self.pattern[offset..offset + len - head_len]);
        buf.freeze()
    }

    /// The index a received message claims (for unordered streams).
    fn index_of(data: &[u8]) -> Option<u64> {
        Some(u64::from_be_bytes(data.get(..INDEX_LEN)?.try_into().ok()?))
    }
}

async fn client(args: &ClientArgs) -> Result<String, String> {
    let local: SocketAddr = if args.connect.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    }
    .parse()
    .map_err(|e| format!("{e}"))?;
    let transport = UdpTransport::connect(local, args.connect)
        .await
        .map_err(|e| format!("cannot reach {}: {e}", args.connect))?;
    let config = config(&args.common);
    let max_message = config.max_message_size;
    let association = Association::client(transport, config)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let messages = Arc::new(Messages::new(args.bytes, args.size));
    let mut streams = Vec::new();
    for id in 0..args.streams {
        let stream = association
            .open_stream(id, PPID)
            .map_err(|e| e.to_string())?;
        stream.set_reliability_params(args.unordered, ReliabilityType::Reliable, 0);
        streams.push(Arc::new(stream));
    }
    let started = tokio::time::Instant::now();
    let readers: Vec<_> = if args.echo {
        streams
            .iter()
            .enumerate()
            .map(|(id, stream)| {
                let checker = Checker {
                    stream: Arc::clone(stream),
                    messages: Arc::clone(&messages),
                    first: id as u64,
                    step: u64::from(args.streams),
                    unordered: args.unordered,
                };
                tokio::spawn(checker.run(max_message))
            })
            .collect()
    } else {
        Vec::new()
    };
    for index in 0..messages.count {
        let stream = &streams[(index % u64::from(args.streams)) as usize];
        stream
            .write_bytes(messages.message(index), PPID)
            .await
            .map_err(|e| format!("write of message {index}: {e}"))?;
    }
    for reader in readers {
        reader.await.map_err(|e| e.to_string())??;
    }
    association
        .close()
        .await
        .map_err(|e| format!("close: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let stats = association.transfer_stats().unwrap_or_default();
    let srtt_ms = stats.srtt_us.map_or(0.0, |us| us as f64 / 1000.0);
    Ok(format!(
        r#"{{"bytes":{},"messages":{},"seconds":{seconds:.6},"goodput_mbps":{:.3},"retransmissions":{},"srtt_ms":{srtt_ms:.3}}}"#,
        args.bytes,
        messages.count,
        args.bytes as f64 * 8.0 / seconds / 1e6,
        stats.counters.retransmissions,
    ))
}

/// Reads the echoes on one stream and checks each against what was sent:
/// every byte, and on an ordered stream the order.
struct Checker {
    stream: Arc<Stream>,
    messages: Arc<Messages>,
    /// The index of the stream's first message, and the distance between
    /// its messages (round-robin over the streams).
    first: u64,
    step: u64,
    unordered: bool,
}

impl Checker {
    async fn run(self, max_message: usize) -> Result<(), String> {
        let id = self.stream.stream_identifier();
        let expected: Vec<u64> = (self.first..self.messages.count)
            .step_by(self.step as usize)
            .collect();
        let mut seen = vec![false; expected.len()];
        let mut buf = vec![0u8; max_message];
        for (position, &in_order) in expected.iter().enumerate() {
            let (n, ppid) = self
                .stream
                .read_sctp(&mut buf)
                .await
                .map_err(|e| format!("stream {id}: echo {position} lost: {e}"))?;
            let data = &buf[..n];
            let index = if self.unordered {
                Messages::index_of(data)
                    .filter(|i| *i >= self.first && (i - self.first).is_multiple_of(self.step))
                    .ok_or_else(|| format!("stream {id}: echo with a foreign index"))?
            } else {
                in_order
            };
            let slot = ((index - self.first) / self.step) as usize;
            if slot >= seen.len() || std::mem::replace(&mut seen[slot], true) {
                return Err(format!("stream {id}: message {index} echoed twice"));
            }
            if ppid != PPID || self.messages.message(index) != data {
                return Err(format!(
                    "stream {id}: echo {position} is not message {index}: {}",
                    if self.unordered {
                        "corrupted"
                    } else {
                        "corrupted or out of order"
                    }
                ));
            }
        }
        Ok(())
    }
}

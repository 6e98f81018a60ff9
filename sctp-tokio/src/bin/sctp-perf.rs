//! `sctp-perf`: an iperf-like tool over SCTP on UDP (issue 6).
//!
//! ```text
//! sctp-perf server --listen 127.0.0.1:PORT [--echo] [--sctp-ports LOCAL:REMOTE]
//!     [--max-message BYTES] [--zero-checksum] [--interleaving]
//!     [--scheduler fcfs|rr|wfq]
//! sctp-perf client --connect 127.0.0.1:PORT --bytes N --size M [--streams K]
//!     [--unordered] [--rexmit R | --lifetime-ms T] [--cc rfc9260|bbr] [--echo]
//!     [--zero-checksum] [--timeout SECONDS] [--sctp-ports LOCAL:REMOTE]
//!     [--max-message BYTES] [--interleaving] [--close | --peer-closes]
//!     [--scheduler fcfs|rr|wfq]
//! ```
//!
//! The client sends N bytes as messages of M bytes round-robin over K
//! streams, waits until all are acknowledged (and echoed, with `--echo`,
//! checking every byte and the order on ordered streams), closes
//! gracefully and prints one JSON line. It exits with 1 when anything was
//! lost, corrupted, misordered or timed out, and 2 on a bad command line.
//! The server serves any number of associations and prints a JSON line
//! for each when it closes; a stream the client closes (a stream reset,
//! RFC 6525) it closes in turn once it has echoed everything, as WebRTC
//! peers do (RFC 8831 §6.7).
//!
//! With partial reliability (`--rexmit`, `--lifetime-ms`; RFC 3758)
//! messages may be given up, so `--echo` cannot wait for a known number
//! of echoes. The client then closes each stream after its last message
//! and reads echoes until the server closes the stream back (sctp-perf's
//! server and pionecho do). Every echo must be byte-exact, come once, and
//! on an ordered stream come after the echoes of earlier messages; and
//! every message must be echoed unless it was abandoned. The JSON line
//! reports `abandoned` (messages given up) and, with `--echo`,
//! `received` (echoes checked).
//!
//! Stream resets (RFC 6525) also with reliable messages: `--close` closes
//! each stream after its last message, and `--echo` then wants every
//! echo, then the end of the stream; with `--peer-closes` the server is
//! expected to close each stream after echoing everything, and the client
//! reads every echo, then the end of the stream, and closes the stream
//! back. The JSON line then counts the streams that ended in `eof`.
//!
//! `--interleaving` offers I-DATA (RFC 8260); the JSON lines of both
//! sides tell whether the association uses it (`interleaving`). With
//! `--scheduler rr` the streams then take turns fragment by fragment, so
//! large messages of different streams interleave on the wire.

use bytes::{BufMut, Bytes, BytesMut};
use clap::{Args, Parser, Subcommand};
use sctp_core::Scheduler;
use sctp_tokio::{
    Association, BbrConfig, Config, Endpoint, Error, Ppid, ReliabilityType, Stream, UdpTransport,
};
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
    /// SCTP ports inside the packets, LOCAL:REMOTE (WebRTC uses 5000:5000);
    /// a server answers each peer on the port the peer sends from.
    #[arg(long, value_parser = parse_ports, default_value = "5000:5000")]
    sctp_ports: (u16, u16),
    /// Largest message sent or received, in bytes; the send and receive
    /// buffers grow to hold two.
    #[arg(long, default_value_t = Config::default().max_message_size)]
    max_message: usize,
    /// Offer message interleaving, I-DATA (RFC 8260): used if the peer
    /// offers it too.
    #[arg(long)]
    interleaving: bool,
    /// Which stream sends next (RFC 8260 §3): fcfs (first come, first
    /// served), rr (round robin: a fragment each with I-DATA), wfq
    /// (weighted fair queueing, equal weights).
    #[arg(long, value_parser = parse_scheduler, default_value = "fcfs")]
    scheduler: Scheduler,
}

#[derive(Args)]
struct ServerArgs {
    /// UDP address to listen on.
    #[arg(long)]
    listen: SocketAddr,
    /// Send every message back on its stream with its PPID.
    #[arg(long)]
    echo: bool,
    /// Zero checksum, RFC 9653 (used if the client asks for it too).
    #[arg(long)]
    zero_checksum: bool,
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
    /// Partial reliability: at most R retransmissions (RFC 3758).
    #[arg(long, conflicts_with = "lifetime_ms")]
    rexmit: Option<u32>,
    /// Partial reliability: a lifetime of T ms (RFC 3758).
    #[arg(long)]
    lifetime_ms: Option<u32>,
    /// Congestion controller.
    #[arg(long, value_enum, default_value_t = Cc::Rfc9260)]
    cc: Cc,
    /// Expect every message back and check it byte for byte.
    #[arg(long)]
    echo: bool,
    /// Zero checksum, RFC 9653 (used if the server accepts it too).
    #[arg(long)]
    zero_checksum: bool,
    /// Close each stream after its last message (a stream reset,
    /// RFC 6525); with --echo, read every echo, then the end of the
    /// stream the server closes back.
    #[arg(long, conflicts_with = "peer_closes")]
    close: bool,
    /// With --echo: the server closes each stream once it has echoed all;
    /// read every echo, then the end of the stream, and close it back.
    #[arg(long, requires = "echo")]
    peer_closes: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 120.0)]
    timeout: f64,
    #[command(flatten)]
    common: Common,
}

fn parse_scheduler(s: &str) -> Result<Scheduler, String> {
    match s {
        "fcfs" => Ok(Scheduler::Fcfs),
        "rr" => Ok(Scheduler::RoundRobin),
        "wfq" => Ok(Scheduler::WeightedFair),
        other => Err(format!("expected fcfs, rr or wfq, got {other:?}")),
    }
}

fn parse_ports(s: &str) -> Result<(u16, u16), String> {
    let (local, remote) = s
        .split_once(':')
        .ok_or_else(|| format!("expected LOCAL:REMOTE, got {s:?}"))?;
    let port = |p: &str| p.parse::<u16>().map_err(|e| format!("port {p:?}: {e}"));
    Ok((port(local)?, port(remote)?))
}

fn config(common: &Common, zero_checksum: bool) -> Config {
    let defaults = Config::default();
    let two = common.max_message.saturating_mul(2);
    Config {
        local_port: common.sctp_ports.0,
        remote_port: common.sctp_ports.1,
        max_message_size: common.max_message,
        send_buffer_size: defaults.send_buffer_size.max(two),
        max_receive_buffer: defaults
            .max_receive_buffer
            .max(u32::try_from(two).unwrap_or(u32::MAX)),
        zero_checksum,
        interleaving: common.interleaving,
        scheduler: common.scheduler,
        ..defaults
    }
}

impl ClientArgs {
    /// How the messages are sent, from `--rexmit` and `--lifetime-ms`.
    fn reliability(&self) -> (ReliabilityType, u32) {
        match (self.rexmit, self.lifetime_ms) {
            (Some(n), _) => (ReliabilityType::Rexmit, n),
            (None, Some(ms)) => (ReliabilityType::Timed, ms),
            (None, None) => (ReliabilityType::Reliable, 0),
        }
    }

    /// Messages may be given up (RFC 3758).
    fn partial(&self) -> bool {
        self.reliability().0 != ReliabilityType::Reliable
    }

    /// The client closes its streams after its last message: asked for,
    /// or needed to end the echoes of partially reliable messages.
    fn closes(&self) -> bool {
        self.close || (self.echo && self.partial())
    }

    /// The checkers read each stream up to its end.
    fn until_eof(&self) -> bool {
        self.echo && (self.closes() || self.peer_closes)
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
            if let Err(e) = check(&args) {
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

/// The congestion controllers `--cc` offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Cc {
    /// RFC 9260 §7.2: slow start, congestion avoidance, fast recovery.
    Rfc9260,
    /// BBR: paced at the estimated bottleneck rate.
    Bbr,
}

/// Refuses what cannot work, with a reason, rather than ignoring it.
fn check(args: &ClientArgs) -> Result<(), String> {
    if args.size == 0 || args.streams == 0 {
        return Err("--size and --streams must be at least 1".into());
    }
    if (args.unordered || args.partial()) && args.echo && args.size < INDEX_LEN {
        return Err(format!(
            "--echo with --unordered, --rexmit or --lifetime-ms needs --size of at least \
             {INDEX_LEN} bytes, to tell messages apart"
        ));
    }
    Ok(())
}

async fn server(args: ServerArgs) -> Result<(), String> {
    let config = config(&args.common, args.zero_checksum);
    let max_message = config.max_message_size;
    let endpoint = Endpoint::bind(args.listen, config)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    loop {
        let association = endpoint.accept().await.map_err(|e| e.to_string())?;
        tokio::spawn(serve(association, args.echo, max_message));
    }
}

/// What the server saw on a stream.
#[derive(Default)]
struct Served {
    messages: u64,
    bytes: u64,
    /// The client closed the stream (a stream reset).
    eof: bool,
}

/// Counts (and echoes) every message of every stream, then prints a line.
async fn serve(association: Association, echo: bool, max_message: usize) {
    let association = Arc::new(association);
    let mut tasks = Vec::new();
    while let Ok(stream) = association.accept_stream().await {
        tasks.push(tokio::spawn(serve_stream(stream, echo, max_message)));
    }
    let (mut messages, mut bytes, mut eof) = (0u64, 0u64, 0u64);
    for task in tasks {
        let served = task.await.unwrap_or_default();
        messages += served.messages;
        bytes += served.bytes;
        eof += u64::from(served.eof);
    }
    let reason = association.closed().await;
    println!(
        r#"{{"bytes":{bytes},"messages":{messages},"eof":{eof},"close":{:?},"interleaving":{}{}}}"#,
        reason.to_string(),
        association.interleaving(),
        cpu_field()
    );
}

async fn serve_stream(stream: Stream, echo: bool, max_message: usize) -> Served {
    let mut served = Served::default();
    let mut buf = vec![0u8; max_message];
    loop {
        match stream.read_sctp(&mut buf).await {
            Ok((n, ppid)) => {
                served.messages += 1;
                served.bytes += n as u64;
                if echo && stream.write_sctp(&buf[..n], ppid).await.is_err() {
                    break;
                }
            }
            Err(Error::EndOfStream) => {
                // RFC 8831 §6.7: a peer that sees its incoming stream reset
                // resets its outgoing one, after the echoes.
                served.eof = true;
                let _ = stream.close().await;
                break;
            }
            Err(_) => break,
        }
    }
    served
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
    let mut config = config(&args.common, args.zero_checksum);
    if args.cc == Cc::Bbr {
        config.congestion = Arc::new(BbrConfig::default());
    }
    let max_message = config.max_message_size;
    let association = Association::client(transport, config)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let messages = Arc::new(Messages::new(args.bytes, args.size));
    let (rel_type, rel_val) = args.reliability();
    let mut streams = Vec::new();
    for id in 0..args.streams {
        let stream = association
            .open_stream(id, PPID)
            .map_err(|e| e.to_string())?;
        stream.set_reliability_params(args.unordered, rel_type, rel_val);
        streams.push(Arc::new(stream));
    }
    let started = tokio::time::Instant::now();
    // The checkers, in a set so that the first to fail is reported at
    // once, not after the others finish.
    let mut readers = tokio::task::JoinSet::new();
    if args.echo {
        for (id, stream) in streams.iter().enumerate() {
            let checker = Checker {
                stream: Arc::clone(stream),
                messages: Arc::clone(&messages),
                first: id as u64,
                step: u64::from(args.streams),
                unordered: args.unordered,
                partial: args.partial(),
                until_eof: args.until_eof(),
                close_back: args.peer_closes,
            };
            readers.spawn(checker.run(max_message));
        }
    }
    for index in 0..messages.count {
        let stream = &streams[(index % u64::from(args.streams)) as usize];
        stream
            .write_bytes(messages.message(index), PPID)
            .await
            .map_err(|e| format!("write of message {index}: {e}"))?;
    }
    if args.closes() {
        // With partial reliability the number of echoes is not known: the
        // server's closing the stream back (RFC 8831 §6.7) ends each
        // checker's reading.
        for stream in &streams {
            stream
                .close()
                .await
                .map_err(|e| format!("close of stream {}: {e}", stream.stream_identifier()))?;
        }
    }
    let mut received = 0u64;
    while let Some(checked) = readers.join_next().await {
        received += checked.map_err(|e| e.to_string())??;
    }
    let abandoned = association
        .transfer_stats()
        .unwrap_or_default()
        .counters
        .messages_abandoned;
    // RFC 3758 §3.5: only a message given up may miss; any other was
    // delivered, and echoed reliably.
    if args.echo && received + abandoned < messages.count {
        return Err(format!(
            "{} messages neither echoed nor abandoned",
            messages.count - received - abandoned
        ));
    }
    association
        .close()
        .await
        .map_err(|e| format!("close: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let stats = association.transfer_stats().unwrap_or_default();
    let srtt_ms = stats.srtt_us.map_or(0.0, |us| us as f64 / 1000.0);
    let mut received = if args.echo {
        format!(r#","received":{received}"#)
    } else {
        String::new()
    };
    if args.until_eof() {
        // Every checker returned after the end of its stream.
        received += &format!(r#","eof":{}"#, streams.len());
    }
    Ok(format!(
        r#"{{"bytes":{},"messages":{},"seconds":{seconds:.6},"goodput_mbps":{:.3},"retransmissions":{},"srtt_ms":{srtt_ms:.3},"abandoned":{}{received},"interleaving":{}{}}}"#,
        args.bytes,
        messages.count,
        args.bytes as f64 * 8.0 / seconds / 1e6,
        stats.counters.retransmissions,
        stats.counters.messages_abandoned,
        association.interleaving(),
        cpu_field(),
    ))
}

/// `,"cpu_seconds":S` with the CPU time this process has used, or nothing
/// where it cannot be read.
fn cpu_field() -> String {
    cpu_seconds().map_or_else(String::new, |s| format!(r#","cpu_seconds":{s:.2}"#))
}

/// The user and system CPU time of this process (all its threads) so far,
/// from `/proc/self/stat` (Linux; `None` elsewhere).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name in parentheses (which may hold spaces), the
    // fields from the third on: utime and stime are the 14th and 15th.
    let mut fields = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // In clock ticks of USER_HZ, which Linux fixes at 100 for user space.
    Some((utime + stime) as f64 / 100.0)
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
    /// Messages may have been abandoned: read until the end of the stream.
    partial: bool,
    /// After the last echo, the stream must end (a stream reset).
    until_eof: bool,
    /// Close the stream once it ended (the peer closed it first).
    close_back: bool,
}

impl Checker {
    /// Returns how many echoes it checked.
    async fn run(self, max_message: usize) -> Result<u64, String> {
        let received = if self.partial {
            self.run_partial(max_message).await?
        } else {
            self.run_reliable(max_message).await?
        };
        if self.close_back {
            let id = self.stream.stream_identifier();
            self.stream
                .close()
                .await
                .map_err(|e| format!("stream {id}: closing back: {e}"))?;
        }
        Ok(received)
    }

    /// Every message comes back, then, with `until_eof`, the end of the
    /// stream.
    async fn run_reliable(&self, max_message: usize) -> Result<u64, String> {
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
        if self.until_eof {
            match self.stream.read_sctp(&mut buf).await {
                Err(Error::EndOfStream) => {}
                Ok((n, _)) => return Err(format!("stream {id}: {n} bytes after the last echo")),
                Err(e) => return Err(format!("stream {id}: no end of stream: {e}")),
            }
        }
        Ok(expected.len() as u64)
    }

    /// Partial reliability: any subset of the messages comes back, each
    /// once and intact, in order on an ordered stream (RFC 3758 §3.6: the
    /// peer skips what was given up, it does not reorder), then the end
    /// of the stream.
    async fn run_partial(&self, max_message: usize) -> Result<u64, String> {
        let id = self.stream.stream_identifier();
        let slots = (self.messages.count.saturating_sub(self.first)).div_ceil(self.step);
        let mut seen = vec![false; slots as usize];
        let mut last: Option<u64> = None;
        let mut received = 0u64;
        let mut buf = vec![0u8; max_message];
        loop {
            let (n, ppid) = match self.stream.read_sctp(&mut buf).await {
                Ok(read) => read,
                Err(Error::EndOfStream) => return Ok(received),
                Err(e) => return Err(format!("stream {id}: echo {received}: {e}")),
            };
            let data = &buf[..n];
            let index = Messages::index_of(data)
                .filter(|i| *i >= self.first && (i - self.first).is_multiple_of(self.step))
                .filter(|i| *i < self.messages.count)
                .ok_or_else(|| format!("stream {id}: echo with a foreign index"))?;
            let slot = ((index - self.first) / self.step) as usize;
            if std::mem::replace(&mut seen[slot], true) {
                return Err(format!("stream {id}: message {index} echoed twice"));
            }
            if !self.unordered && last.is_some_and(|l| l > index) {
                return Err(format!(
                    "stream {id}: message {index} echoed after a later one"
                ));
            }
            last = Some(index);
            if ppid != PPID || self.messages.message(index) != data {
                return Err(format!("stream {id}: echo of message {index} corrupted"));
            }
            received += 1;
        }
    }
}

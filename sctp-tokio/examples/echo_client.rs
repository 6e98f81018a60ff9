//! An SCTP echo client over UDP (RFC 6951 framing, SCTP ports 5000): it
//! sends its messages on one stream, closes the stream (a stream reset,
//! RFC 6525), reads the echoes up to the end of the stream and checks
//! that each came back unchanged and in order, then shuts the
//! association down.
//!
//! ```text
//! cargo run -p sctp-tokio --example echo_client -- SERVER_ADDR [MESSAGE]...
//!     [--stream ID] [--repeat N] [--quiet]
//! ```
//!
//! Without messages it sends "hello" and "world". `--repeat` sends the
//! list N times; `--quiet` prints only the summary. It exits with 1 if
//! an echo is missing or changed. Try it with the `echo_server` example,
//! or any SCTP-over-UDP echo server that closes a stream back.

use clap::Parser;
use sctp_tokio::{Association, Config, Error, Ppid, Stream, UdpTransport};
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Parser)]
#[command(about = "Send messages to an SCTP echo server and check the echoes")]
struct Args {
    /// UDP address of the server.
    server: SocketAddr,
    /// Messages to send, one SCTP message each.
    messages: Vec<String>,
    /// The stream to send on.
    #[arg(long, default_value_t = 1)]
    stream: u16,
    /// Send the messages this many times.
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// Print only the summary.
    #[arg(long)]
    quiet: bool,
}

/// WebRTC String (RFC 8831 §8).
const STRING: Ppid = Ppid(51);

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = Args::parse();
    if args.messages.is_empty() {
        args.messages = vec!["hello".into(), "world".into()];
    }
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_client: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let local: SocketAddr = if args.server.is_ipv4() {
        "0.0.0.0:0".parse()?
    } else {
        "[::]:0".parse()?
    };
    let transport = UdpTransport::connect(local, args.server).await?;
    let association = Association::client(transport, Config::default()).await?;
    let stream = association.open_stream(args.stream, STRING)?;
    let sent: Vec<&str> = (0..args.repeat)
        .flat_map(|_| args.messages.iter().map(String::as_str))
        .collect();
    // Write and read at once: a server that echoes as it reads would
    // stall on a full window if nobody read its echoes.
    let (written, echoed) = tokio::join!(write_then_close(&stream, &sent), read_to_end(&stream));
    written?;
    let echoed = echoed?;
    for (i, echo) in echoed.iter().enumerate() {
        if !args.quiet {
            println!("{echo}");
        }
        if sent.get(i) != Some(&echo.as_str()) {
            return Err(format!("echo {i} is {echo:?}, {:?} was sent", sent.get(i)).into());
        }
    }
    if echoed.len() != sent.len() {
        return Err(format!("{} messages sent, {} echoed", sent.len(), echoed.len()).into());
    }
    let bytes: usize = echoed.iter().map(String::len).sum();
    println!(
        "{} messages, {bytes} bytes echoed, then the end of the stream",
        echoed.len()
    );
    association.close().await?;
    Ok(())
}

/// Sends every message, then closes our direction of the stream: the
/// server's reader gets them all, then the end of the stream.
async fn write_then_close(stream: &Stream, messages: &[&str]) -> Result<(), Error> {
    for message in messages {
        stream.write(message.as_bytes()).await?;
    }
    stream.close().await
}

/// The echoes, up to the end of the stream (the server closing it back).
async fn read_to_end(stream: &Stream) -> Result<Vec<String>, Error> {
    let mut echoes = Vec::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        match stream.read(&mut buf).await {
            Ok(n) => echoes.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(Error::EndOfStream) => return Ok(echoes),
            Err(e) => return Err(e),
        }
    }
}

//! The WebRTC features against usrsctp: I-DATA (RFC 8260), partial
//! reliability (RFC 3758) and stream reset (RFC 6525), which usrsctp's
//! stock example programs cannot switch on. Our program
//! `sctp-tokio/interop/usrsctp/peer.c`, built against Debian's
//! libusrsctp-dev, does: it echoes every message on its stream with its
//! PPID and unordered flag, resets its outgoing stream when ours is reset
//! (or first, after N echoes, with `--close-after`), and prints a line per
//! association with what it counted and negotiated.
//!
//! sctp-perf's client checks every echo byte for byte; the partially
//! reliable scenarios run through a [`LossyRelay`] so that messages are
//! really given up and skipped with (I-)FORWARD TSN.

use super::lossy::{Loss, LossyRelay};
use super::{client, expect, free_port, number, perf_client, Server, Tools};
use crate::util::Result;
use std::process::Command;
use std::time::Duration;

/// One datagram in 50 of DATA size (600 bytes or more) is lost, each way;
/// shorter ones (handshake, SACK, HEARTBEAT, RE-CONFIG) are never dropped.
pub(super) const DATA_LOSS: Loss = Loss::Random {
    one_in: 50,
    min_len: 600,
};

/// Starts usrsctp-peer with `flags` on a free UDP port.
fn start_peer(tools: &Tools, flags: &[&str]) -> Result<(u16, Server)> {
    let port = free_port()?;
    let server = Server::start(
        Command::new(&tools.usrsctp_peer)
            .arg(port.to_string())
            .args(flags),
    )?;
    Ok((port, server))
}

/// The line usrsctp-peer prints when the association ends.
fn peer_line(server: &Server) -> Result<String> {
    let line = server.line_with("messages=", Duration::from_secs(20))?;
    println!("{line}");
    Ok(line)
}

/// I-DATA both ways: large messages on several streams, sent round-robin
/// a fragment at a time, so that fragments of different messages
/// interleave on the wire in both directions (usrsctp's scheduler takes
/// turns too); every echo checked.
pub(super) fn idata(tools: &Tools, bytes: u64, size: usize, streams: u16) -> Result {
    let (port, server) = start_peer(tools, &["--idata"])?;
    let mut cmd = perf_client(tools, port, bytes, size);
    cmd.args(["--streams", &streams.to_string()])
        .args(["--interleaving", "--scheduler", "rr"]);
    let out = client(&mut cmd)?;
    let messages = bytes.div_ceil(size as u64);
    expect(&out, &format!("\"bytes\":{bytes},"), "our client")?;
    expect(&out, &format!("\"received\":{messages},"), "our client")?;
    expect(&out, "\"interleaving\":true", "our client (I-DATA in use)")?;
    let line = peer_line(&server)?;
    expect(
        &line,
        &format!("messages={messages} bytes={bytes} echoed={messages} idata=1 "),
        "usrsctp-peer",
    )?;
    expect(&line, "close=shutdown", "usrsctp-peer")
}

/// Partial reliability through a lossy relay: our client sends with
/// `extra` (`--rexmit`, `--lifetime-ms`, maybe `--interleaving`), closes
/// its streams after its last message, and checks each echo that comes
/// back (byte-exact, once, in order on ordered streams; none missing but
/// abandoned ones) up to the end of each stream, which usrsctp-peer
/// resets back once it has echoed everything it got. Both must count the
/// same messages; with `--rexmit 0` some must have been given up.
pub(super) fn partial(tools: &Tools, streams: u16, size: usize, extra: &[&str]) -> Result {
    let (port, server) = start_peer(tools, &["--pr", "--reset", "--idata"])?;
    let relay = LossyRelay::start(port, DATA_LOSS)?;
    let bytes = 2 << 20;
    let mut cmd = perf_client(tools, relay.port(), bytes, size);
    cmd.args(["--streams", &streams.to_string()]).args(extra);
    let out = client(&mut cmd)?;
    expect(&out, &format!("\"bytes\":{bytes},"), "our client")?;
    expect(&out, &format!("\"eof\":{streams},"), "our client")?;
    let idata = extra.contains(&"--interleaving");
    expect(
        &out,
        &format!("\"interleaving\":{idata}"),
        "our client (I-DATA as asked)",
    )?;
    let received = number(&out, "\"received\":")?;
    let abandoned = number(&out, "\"abandoned\":")?;
    println!(
        "lossy relay: {} datagrams dropped; {abandoned} messages given up",
        relay.dropped()
    );
    if relay.dropped() == 0 {
        return Err("the relay dropped nothing: no loss to recover from".into());
    }
    if extra.contains(&"--rexmit") && abandoned == 0 {
        return Err("nothing was given up under loss with --rexmit 0".into());
    }
    let line = peer_line(&server)?;
    if number(&line, "messages=")? != received || number(&line, "echoed=")? != received {
        return Err(format!("usrsctp-peer echoed other than we received: {line} / {out}").into());
    }
    expect(
        &line,
        &format!("idata={} pr=1 ", u8::from(idata)),
        "usrsctp-peer",
    )?;
    expect(
        &line,
        &format!("reset_in={streams} reset_out={streams} reset_failed=0 close=shutdown"),
        "usrsctp-peer (every stream closed both ways)",
    )
}

/// Our side closing its streams (a stream reset after the last message):
/// usrsctp-peer reads every message, then the reset, and resets its
/// stream back after its echoes; our reader sees every echo, then the
/// end of the stream. Through the lossy relay: a reset request must not
/// wait for ever behind a lost DATA chunk. With
/// [`Loss::ClientTsnOnce`], the loss that once did hold it up: the last
/// chunks arrive, the request finds a gap before them, the
/// retransmission fills it, and no DATA follows (usrsctp then kept its
/// reset "in progress" for good, until our requests waited for the
/// acknowledgement).
pub(super) fn ours_close(tools: &Tools, streams: u16, loss: Loss) -> Result {
    let (port, server) = start_peer(tools, &["--reset"])?;
    let relay = LossyRelay::start(port, loss)?;
    let (bytes, size) = (2_000_000, 1_000);
    let mut cmd = perf_client(tools, relay.port(), bytes, size);
    cmd.args(["--streams", &streams.to_string(), "--close"]);
    let out = client(&mut cmd)?;
    let messages = bytes.div_ceil(size as u64);
    println!("lossy relay: {} datagrams dropped", relay.dropped());
    if relay.dropped() == 0 {
        return Err("the relay dropped nothing".into());
    }
    expect(&out, &format!("\"received\":{messages},"), "our client")?;
    expect(&out, &format!("\"eof\":{streams},"), "our client")?;
    let line = peer_line(&server)?;
    expect(
        &line,
        &format!("messages={messages} bytes={bytes} echoed={messages} "),
        "usrsctp-peer",
    )?;
    expect(
        &line,
        &format!("reset_in={streams} reset_out={streams} reset_failed=0 close=shutdown"),
        "usrsctp-peer (every stream closed both ways)",
    )
}

/// usrsctp-peer closing first: after `per_stream` echoes on a stream it
/// resets its outgoing stream; our client, which sent exactly that many,
/// reads every echo, then the end of the stream, and closes the stream
/// back. With I-DATA, whose message ids the reset restarts.
pub(super) fn peer_close(tools: &Tools, streams: u16, per_stream: u64) -> Result {
    let (port, server) = start_peer(
        tools,
        &[
            "--reset",
            "--idata",
            "--close-after",
            &per_stream.to_string(),
        ],
    )?;
    let size = 2_000;
    let messages = per_stream * u64::from(streams);
    let bytes = messages * size as u64;
    let mut cmd = perf_client(tools, port, bytes, size);
    cmd.args(["--streams", &streams.to_string(), "--peer-closes"])
        .args(["--interleaving", "--scheduler", "rr"]);
    let out = client(&mut cmd)?;
    expect(&out, &format!("\"received\":{messages},"), "our client")?;
    expect(&out, &format!("\"eof\":{streams},"), "our client")?;
    expect(&out, "\"interleaving\":true", "our client (I-DATA in use)")?;
    let line = peer_line(&server)?;
    expect(
        &line,
        &format!("messages={messages} bytes={bytes} echoed={messages} idata=1 "),
        "usrsctp-peer",
    )?;
    expect(
        &line,
        &format!("reset_in={streams} reset_out={streams} reset_failed=0 close=shutdown"),
        "usrsctp-peer (every stream closed both ways)",
    )
}

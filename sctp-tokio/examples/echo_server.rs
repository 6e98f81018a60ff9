//! An SCTP echo server over UDP (RFC 6951 framing, SCTP ports 5000):
//! every message on every stream goes back on its stream with its PPID,
//! and a stream the peer closes (a stream reset, RFC 6525) is closed back
//! once everything is echoed, as WebRTC peers do (RFC 8831 §6.7).
//!
//! ```text
//! cargo run -p sctp-tokio --example echo_server -- [LISTEN_ADDR]
//! ```
//!
//! `LISTEN_ADDR` defaults to 127.0.0.1:5000. It serves any number of
//! clients until interrupted, and prints a line per stream and per
//! association; try it with the `echo_client` example.

use sctp_tokio::{Association, Config, Endpoint, Error, Stream};
use std::net::SocketAddr;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = match std::env::args().nth(1) {
        Some(addr) => addr.parse()?,
        None => "127.0.0.1:5000".parse()?,
    };
    let endpoint = Endpoint::bind(addr, Config::default()).await?;
    println!("listening on {}", endpoint.local_addr());
    for number in 1u64.. {
        let association = endpoint.accept().await?;
        tokio::spawn(serve(number, association));
    }
    Ok(())
}

/// Echoes every stream of one association until it closes.
async fn serve(number: u64, association: Association) {
    let association = Arc::new(association);
    while let Ok(stream) = association.accept_stream().await {
        tokio::spawn(echo(number, stream));
    }
    let reason = association.closed().await;
    println!("association {number}: {reason}");
}

/// Echoes one stream until the peer closes it, then closes it back.
async fn echo(number: u64, stream: Stream) {
    let id = stream.stream_identifier();
    let mut buf = vec![0u8; 65_536];
    let (mut messages, mut bytes) = (0u64, 0u64);
    let end = loop {
        match stream.read_sctp(&mut buf).await {
            Ok((n, ppid)) => {
                if let Err(e) = stream.write_sctp(&buf[..n], ppid).await {
                    break e;
                }
                messages += 1;
                bytes += n as u64;
            }
            Err(e) => break e,
        }
    };
    let how = match end {
        Error::EndOfStream => match stream.close().await {
            Ok(()) => "closed by the peer, and by us".to_owned(),
            Err(e) => format!("closed by the peer; our close failed: {e}"),
        },
        other => other.to_string(),
    };
    println!("association {number} stream {id}: {messages} messages, {bytes} bytes echoed; {how}");
}

//! Closing a stream with a stream reset (RFC 6525) over UDP on loopback.

mod common;

use bytes::Bytes;
use common::{chunks_of, config, connected, connected_through, pattern};
use sctp_tokio::{Error, Ppid, ReconfigResult, Stream};
use sctp_wire::{ChecksumCheck, ChecksumMode, Chunk, Packet, PacketBuilder, Param};
use std::sync::Arc;
use std::time::Duration;

/// Reads messages until the end of the stream; returns them.
async fn read_to_end(stream: &Stream) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        match stream.read(&mut buf).await {
            Ok(n) => messages.push(buf[..n].to_vec()),
            Err(Error::EndOfStream) => return messages,
            Err(e) => panic!(
                "expected the end of the stream after {} messages, got {e}",
                messages.len()
            ),
        }
    }
}

/// Writes `count` messages, `seed` telling them apart, then closes.
async fn write_then_close(stream: Arc<Stream>, seed: u64, count: u64) {
    for i in 0..count {
        let size = 500 + (i as usize * 331) % 4000;
        stream.write(&pattern(seed + i, size)).await.unwrap();
    }
    stream.close().await.unwrap();
}

fn expected(seed: u64, count: u64) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| pattern(seed + i, 500 + (i as usize * 331) % 4000))
        .collect()
}

#[tokio::test]
async fn close_with_data_in_flight_both_ways_delivers_everything_then_the_end() {
    let (client, server) = connected(config(), config()).await;
    let ours = Arc::new(client.open_stream(5, Ppid(53)).unwrap());
    ours.write(b"hello").await.unwrap();
    let theirs = Arc::new(server.accept_stream().await.unwrap());
    // Both sides write hundreds of messages and close while the
    // other is still sending: the reset of each direction goes after its
    // data (RFC 6525 §5.1.2), and each reader sees all of it, then the end.
    let writers = [
        tokio::spawn(write_then_close(Arc::clone(&ours), 1000, 300)),
        tokio::spawn(write_then_close(Arc::clone(&theirs), 5000, 200)),
    ];
    let (at_server, at_client) = tokio::join!(read_to_end(&theirs), read_to_end(&ours));
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(at_server.len(), 301);
    assert_eq!(at_server[0], b"hello");
    assert!(
        at_server[1..] == expected(1000, 300)[..],
        "client's data changed"
    );
    assert!(at_client == expected(5000, 200), "server's data changed");

    // The end stays; the closed direction takes no more writes; the
    // association carries on.
    assert!(matches!(
        ours.read(&mut [0; 16]).await,
        Err(Error::EndOfStream)
    ));
    assert!(matches!(
        ours.write(b"late").await,
        Err(Error::StreamClosed(5))
    ));
    ours.close().await.unwrap();
    let other = client.open_stream(6, Ppid(51)).unwrap();
    other.write(b"still up").await.unwrap();
    let mut buf = [0u8; 16];
    let next = server.accept_stream().await.unwrap();
    assert_eq!(next.read(&mut buf).await.unwrap(), 8);
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_stream_id_is_used_again_after_its_reset() {
    let (client, server) = connected(config(), config()).await;
    let first = client.open_stream(3, Ppid(51)).unwrap();
    for i in 0..5 {
        first.write(&pattern(i, 100)).await.unwrap();
    }
    first.close().await.unwrap();
    // A live stream, closed or not, keeps its id.
    assert!(matches!(
        client.open_stream(3, Ppid(51)),
        Err(Error::StreamAlreadyOpen(3))
    ));
    let incoming = server.accept_stream().await.unwrap();
    assert_eq!(read_to_end(&incoming).await, expected_small(0..5));
    drop(incoming);
    drop(first);

    // The id again: its SSNs start from 0 after the reset (RFC 6525
    // §5.1.2), so the peer delivers the new messages at once.
    let second = client.open_stream(3, Ppid(51)).unwrap();
    for i in 5..10 {
        second.write(&pattern(i, 100)).await.unwrap();
    }
    let incoming = server.accept_stream().await.unwrap();
    assert_eq!(incoming.stream_identifier(), 3);
    let mut buf = [0u8; 200];
    for i in 5..10 {
        let n = incoming.read(&mut buf).await.unwrap();
        assert!(buf[..n] == pattern(i, 100)[..], "message {i}");
    }

    // Dropped without waiting: the reset is still under way when the id
    // is opened again, and the write waits for it instead of failing.
    drop(second);
    let third = client.open_stream(3, Ppid(51)).unwrap();
    third.write(b"third life").await.unwrap();
    // The server's reader saw the second stream end...
    assert!(matches!(
        incoming.read(&mut buf).await,
        Err(Error::EndOfStream)
    ));
    // ...and, once it lets go of it, gets the third as a new stream.
    drop(incoming);
    let incoming = server.accept_stream().await.unwrap();
    let n = incoming.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"third life");
    client.close().await.unwrap();
}

fn expected_small(range: std::ops::Range<u64>) -> Vec<Vec<u8>> {
    range.map(|i| pattern(i, 100)).collect()
}

#[tokio::test]
async fn dropping_a_stream_ends_it_for_the_peer_after_its_data() {
    let (client, server) = connected(config(), config()).await;
    let stream = client.open_stream(8, Ppid(53)).unwrap();
    for i in 0..50 {
        stream.write(&pattern(i, 2000)).await.unwrap();
    }
    drop(stream);
    let incoming = server.accept_stream().await.unwrap();
    let got = read_to_end(&incoming).await;
    assert_eq!(got.len(), 50);
    assert!(got
        .iter()
        .enumerate()
        .all(|(i, m)| *m == pattern(i as u64, 2000)));
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_peer_without_stream_reset_gets_a_clear_error_and_the_stream_stays_open() {
    // The client's INIT loses RE-CONFIG from its Supported Extensions, so
    // the server may not reset streams towards it (RFC 6525 §5).
    let strip = Box::new(|datagram: Bytes| {
        let chunks = chunks_of(&datagram);
        let Some(Chunk::Init(mut init)) = chunks.first().cloned() else {
            return Some(datagram);
        };
        init.params
            .retain(|p| !matches!(p, Param::SupportedExtensions(_)));
        let packet = Packet::decode(datagram, ChecksumCheck::Required).ok()?;
        let mut builder = PacketBuilder::new(*packet.header(), 1500).ok()?;
        builder.push(&Chunk::Init(init)).ok()?;
        Some(builder.finish(ChecksumMode::Crc32c))
    });
    let (client, server) = connected_through(strip, config(), config()).await;
    let ours = client.open_stream(1, Ppid(51)).unwrap();
    ours.write(b"ping").await.unwrap();
    let theirs = server.accept_stream().await.unwrap();
    assert!(matches!(
        theirs.close().await,
        Err(Error::ResetNotSupported)
    ));
    // Still open both ways.
    theirs.write(b"pong").await.unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(ours.read(&mut buf).await.unwrap(), 4);
    assert_eq!(&buf[..4], b"pong");
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_refused_reset_fails_the_close_and_the_stream_takes_writes_again() {
    // The client's Outgoing SSN Reset Requests become SSN/TSN Reset
    // Requests, which the server denies (RFC 6525 §5.2.4 lets it), so the
    // client's close is refused (§4.4).
    let disguise = Box::new(|datagram: Bytes| {
        let chunks = chunks_of(&datagram);
        if !chunks.iter().any(|c| matches!(c, Chunk::Reconfig(_))) {
            return Some(datagram);
        }
        let packet = Packet::decode(datagram, ChecksumCheck::Required).ok()?;
        let mut builder = PacketBuilder::new(*packet.header(), 1500).ok()?;
        for chunk in chunks {
            let chunk = match chunk {
                Chunk::Reconfig(mut reconfig) => {
                    for param in &mut reconfig.params {
                        if let Param::OutgoingSsnResetRequest { request_seq, .. } = *param {
                            *param = Param::SsnTsnResetRequest { request_seq };
                        }
                    }
                    Chunk::Reconfig(reconfig)
                }
                other => other,
            };
            builder.push(&chunk).ok()?;
        }
        Some(builder.finish(ChecksumMode::Crc32c))
    });
    let (client, server) = connected_through(disguise, config(), config()).await;
    let ours = client.open_stream(2, Ppid(51)).unwrap();
    ours.write(b"before").await.unwrap();
    match tokio::time::timeout(Duration::from_secs(5), ours.close()).await {
        Ok(Err(Error::ResetRefused { stream: 2, result })) => {
            assert_eq!(result, ReconfigResult::DENIED);
        }
        other => panic!("expected a refused reset, got {other:?}"),
    }
    ours.write(b"after").await.unwrap();
    let theirs = server.accept_stream().await.unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(theirs.read(&mut buf).await.unwrap(), 6);
    assert_eq!(theirs.read(&mut buf).await.unwrap(), 5);
    assert_eq!(&buf[..5], b"after");
    client.close().await.unwrap();
}

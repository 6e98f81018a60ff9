//! Message interleaving (RFC 8260) through `Config::interleaving`: what
//! `Association::interleaving` says, and I-DATA on the wire.

mod common;

use bytes::Bytes;
use common::{chunks_of, config, connected, pattern, udp_pair, Tap};
use sctp_tokio::{Association, Config, Ppid};
use sctp_wire::Chunk;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn interleaving(on: bool) -> Config {
    Config {
        interleaving: on,
        ..config()
    }
}

#[tokio::test]
async fn interleaving_needs_both_sides() {
    for (client, server, expected) in [
        (true, true, true),
        (true, false, false),
        (false, true, false),
        (false, false, false),
    ] {
        let (a, b) = connected(interleaving(client), interleaving(server)).await;
        assert_eq!(
            (a.interleaving(), b.interleaving()),
            (expected, expected),
            "client {client}, server {server}"
        );
        a.close().await.unwrap();
    }
}

#[tokio::test]
async fn large_messages_on_two_streams_go_as_i_data_and_arrive_whole() {
    let (a, b) = udp_pair().await;
    let (idata, data) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (i, d) = (Arc::clone(&idata), Arc::clone(&data));
    let a = Tap {
        inner: a,
        on_send: Box::new(move |datagram: Bytes| {
            for chunk in chunks_of(&datagram) {
                match chunk {
                    Chunk::IData(_) => i.fetch_add(1, Ordering::Relaxed),
                    Chunk::Data(_) => d.fetch_add(1, Ordering::Relaxed),
                    _ => 0,
                };
            }
            Some(datagram)
        }),
    };
    let server = tokio::spawn(Association::server(b, interleaving(true)));
    let client = Association::client(a, interleaving(true)).await.unwrap();
    let server = server.await.unwrap().unwrap();
    assert!(client.interleaving() && server.interleaving());
    let streams = [
        client.open_stream(0, Ppid(53)).unwrap(),
        client.open_stream(1, Ppid(53)).unwrap(),
    ];
    for round in 0..4u64 {
        for (id, stream) in streams.iter().enumerate() {
            let seed = round * 2 + id as u64;
            stream.write(&pattern(seed, 40_000)).await.unwrap();
        }
    }
    let mut buf = vec![0u8; 65_536];
    for _ in 0..2 {
        let incoming = server.accept_stream().await.unwrap();
        let id = u64::from(incoming.stream_identifier());
        for round in 0..4u64 {
            let n = incoming.read(&mut buf).await.unwrap();
            assert!(buf[..n] == pattern(round * 2 + id, 40_000)[..]);
        }
    }
    client.close().await.unwrap();
    assert!(idata.load(Ordering::Relaxed) > 0);
    assert_eq!(data.load(Ordering::Relaxed), 0, "no DATA once I-DATA is on");
}

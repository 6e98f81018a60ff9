//! Zero checksum (RFC 9653) negotiated through `Config::zero_checksum`,
//! seen in the checksum field of the packets on a UDP loopback path.

mod common;

use bytes::Bytes;
use common::{chunks_of, config, udp_pair, OnSend, Tap};
use sctp_tokio::{Association, Config, Ppid};
use sctp_wire::Chunk;
use std::sync::{Arc, Mutex};

/// The checksum field of every packet one side sent, with whether the
/// packet carried INIT, INIT ACK or COOKIE ECHO (which always carry a
/// CRC32c, RFC 9653 §5.2).
type Checksums = Arc<Mutex<Vec<(bool, u32)>>>;

fn record(checksums: &Checksums) -> OnSend {
    let checksums = Arc::clone(checksums);
    Box::new(move |datagram: Bytes| {
        let handshake = chunks_of(&datagram)
            .iter()
            .any(|c| matches!(c, Chunk::Init(_) | Chunk::InitAck(_) | Chunk::CookieEcho(_)));
        let field = u32::from_le_bytes(datagram[8..12].try_into().unwrap());
        checksums.lock().unwrap().push((handshake, field));
        Some(datagram)
    })
}

/// Runs an exchange with `client` and `server` configurations, every
/// packet of both sides recorded; returns the client's and the server's.
async fn exchange(client: Config, server: Config) -> (Vec<(bool, u32)>, Vec<(bool, u32)>) {
    let (a, b) = udp_pair().await;
    let (from_client, from_server) = (Checksums::default(), Checksums::default());
    let a = Tap {
        inner: a,
        on_send: record(&from_client),
    };
    let b = Tap {
        inner: b,
        on_send: record(&from_server),
    };
    let server = tokio::spawn(Association::server(b, server));
    let client = Association::client(a, client).await.unwrap();
    let server = server.await.unwrap().unwrap();
    let stream = client.open_stream(0, Ppid(53)).unwrap();
    for i in 0..20u8 {
        stream.write(&vec![i; 3000]).await.unwrap();
    }
    let incoming = server.accept_stream().await.unwrap();
    let mut buf = vec![0u8; 4096];
    for i in 0..20u8 {
        let n = incoming.read(&mut buf).await.unwrap();
        assert!(buf[..n] == vec![i; 3000][..]);
    }
    incoming.write(b"back").await.unwrap();
    assert_eq!(stream.read(&mut buf).await.unwrap(), 4);
    client.close().await.unwrap();
    server.closed().await;
    let client = from_client.lock().unwrap().clone();
    let server = from_server.lock().unwrap().clone();
    (client, server)
}

#[tokio::test]
async fn both_sides_asking_for_it_send_every_packet_after_the_handshake_with_a_zero_checksum() {
    let zero = Config {
        zero_checksum: true,
        ..config()
    };
    let (client, server) = exchange(zero.clone(), zero).await;
    for (side, packets) in [("client", &client), ("server", &server)] {
        let after_handshake: Vec<u32> = packets
            .iter()
            .filter(|(handshake, _)| !handshake)
            .map(|&(_, checksum)| checksum)
            .collect();
        assert!(after_handshake.len() > 5, "{side}: {packets:?}");
        assert!(
            after_handshake.iter().all(|&c| c == 0),
            "{side} sent a CRC32c after the handshake: {packets:?}"
        );
        // RFC 9653 §5.2: INIT, INIT ACK and COOKIE ECHO keep their CRC32c.
        assert!(packets.iter().filter(|p| p.0).all(|&(_, c)| c != 0));
    }
}

#[tokio::test]
async fn one_side_alone_asking_for_it_keeps_the_crc32c() {
    let zero = Config {
        zero_checksum: true,
        ..config()
    };
    let (client, server) = exchange(zero, config()).await;
    assert!(client.iter().chain(&server).all(|&(_, c)| c != 0));
}

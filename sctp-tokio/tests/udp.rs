//! The async API over real UDP sockets on loopback.

mod common;

use common::{config, connected, pattern, udp_pair};
use sctp_tokio::{
    Association, CloseReason, Config, Error, Ppid, ReliabilityType, Stream, UdpTransport,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Reads one message into a buffer large enough for any.
async fn read_message(stream: &Stream) -> Result<(Vec<u8>, Ppid), Error> {
    let mut buf = vec![0u8; 65_536];
    let (n, ppid) = stream.read_sctp(&mut buf).await?;
    buf.truncate(n);
    Ok((buf, ppid))
}

/// Echoes every message on every stream the peer opens, with its PPID,
/// until the association closes.
async fn echo_server(association: Association) -> CloseReason {
    let association = Arc::new(association);
    let accepting = Arc::clone(&association);
    tokio::spawn(async move {
        while let Ok(stream) = accepting.accept_stream().await {
            tokio::spawn(async move {
                while let Ok((data, ppid)) = read_message(&stream).await {
                    if stream.write_sctp(&data, ppid).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    association.closed().await
}

#[tokio::test]
async fn handshake_over_udp_establishes_both_sides() {
    let (client, server) = connected(config(), config()).await;
    assert_eq!(client.streams(), Some((1024, 1024)));
    assert_eq!(server.streams(), Some((1024, 1024)));
    // INIT and COOKIE ECHO out, INIT ACK and COOKIE ACK in.
    assert!(client.stats().datagrams_sent >= 2);
    assert!(client.stats().datagrams_received >= 2);
    assert_eq!((client.bytes_sent(), server.bytes_received()), (0, 0));
}

#[tokio::test]
async fn echo_is_byte_exact_for_sizes_from_one_byte_to_64_kib() {
    let (client, server) = connected(config(), config()).await;
    let server = tokio::spawn(echo_server(server));
    let stream = client.open_stream(3, Ppid(53)).unwrap();
    let sizes = [
        1, 2, 3, 100, 1000, 1163, 1164, 1200, 2400, 4096, 10_240, 32_768, 65_535, 65_536,
    ];
    let mut total = 0u64;
    for (i, &size) in sizes.iter().enumerate() {
        let data = pattern(i as u64, size);
        // Any PPID but the Empty ones (56, 57), whose byte stands for an
        // empty message (RFC 8831 §6.6).
        let ppid = Ppid(60 + i as u32);
        assert_eq!(stream.write_sctp(&data, ppid).await.unwrap(), size);
        let (echo, echo_ppid) = read_message(&stream).await.unwrap();
        assert_eq!(echo_ppid, ppid, "PPID of the {size}-byte message");
        assert!(echo == data, "the {size}-byte message came back changed");
        total += size as u64;
    }
    assert_eq!(client.bytes_sent(), total);
    assert_eq!(client.bytes_received(), total);
    client.close().await.unwrap();
    assert_eq!(server.await.unwrap(), CloseReason::Shutdown);
}

#[tokio::test]
async fn several_streams_keep_their_messages_apart_and_in_order() {
    let (client, server) = connected(config(), config()).await;
    let server = tokio::spawn(echo_server(server));
    let streams: Vec<Stream> = (0..6)
        .map(|id| client.open_stream(id * 7, Ppid(51)).unwrap())
        .collect();
    // Interleave writes over the streams, then read each stream back.
    for round in 0..20u64 {
        for stream in &streams {
            let id = u64::from(stream.stream_identifier());
            let data = pattern(id * 1000 + round, 300 + (round as usize * 97) % 3000);
            stream.write(&data).await.unwrap();
        }
    }
    for stream in &streams {
        let id = u64::from(stream.stream_identifier());
        for round in 0..20u64 {
            let (echo, ppid) = read_message(stream).await.unwrap();
            assert_eq!(ppid, Ppid(51));
            let expected = pattern(id * 1000 + round, 300 + (round as usize * 97) % 3000);
            assert!(echo == expected, "stream {id} round {round} out of place");
        }
    }
    client.close().await.unwrap();
    assert_eq!(server.await.unwrap(), CloseReason::Shutdown);
}

#[tokio::test]
async fn accepted_stream_carries_the_peers_id_and_ppid() {
    let (client, server) = connected(config(), config()).await;
    let out = client.open_stream(9, Ppid(53)).unwrap();
    out.write(b"first").await.unwrap();
    let incoming = server.accept_stream().await.unwrap();
    assert_eq!(incoming.stream_identifier(), 9);
    // Its default PPID is that of its first message, so an answer with
    // `write` goes back as the same kind of data.
    incoming.write(b"reply").await.unwrap();
    assert_eq!(
        read_message(&out).await.unwrap(),
        (b"reply".to_vec(), Ppid(53))
    );
    assert_eq!(
        read_message(&incoming).await.unwrap(),
        (b"first".to_vec(), Ppid(53))
    );
    // A second handle for a live stream is refused.
    assert!(matches!(
        server.open_stream(9, Ppid(51)),
        Err(Error::StreamAlreadyOpen(9))
    ));
}

#[tokio::test]
async fn misuse_gets_typed_errors_and_loses_nothing() {
    let (client, server) = connected(config(), config()).await;
    let stream = client.open_stream(0, Ppid(51)).unwrap();
    assert!(matches!(
        stream.write(&vec![0u8; 65_537]).await,
        Err(Error::MessageTooLarge {
            len: 65_537,
            max: 65_536
        })
    ));
    // Only WebRTC String and Binary have an empty form (RFC 8831 §6.6).
    assert!(matches!(
        stream.write_sctp(b"", Ppid(52)).await,
        Err(Error::EmptyMessage)
    ));
    assert!(matches!(
        client.open_stream(1024, Ppid(51)),
        Err(Error::InvalidStream {
            stream: 1024,
            outbound: 1024
        })
    ));

    stream.write(&pattern(7, 5000)).await.unwrap();
    let incoming = server.accept_stream().await.unwrap();
    let mut small = [0u8; 4999];
    assert!(matches!(
        incoming.read(&mut small).await,
        Err(Error::BufferTooSmall {
            len: 5000,
            capacity: 4999
        })
    ));
    // The message stayed queued for a large enough buffer.
    let (data, _) = read_message(&incoming).await.unwrap();
    assert!(data == pattern(7, 5000));
}

#[tokio::test]
async fn empty_webrtc_messages_arrive_empty() {
    let (client, server) = connected(config(), config()).await;
    let stream = client.open_stream(6, Ppid(51)).unwrap();
    // RFC 8831 §6.6: one byte with the Empty PPID goes, an empty message
    // with it arrives.
    assert_eq!(stream.write(b"").await.unwrap(), 0);
    assert_eq!(stream.write_sctp(b"", Ppid(53)).await.unwrap(), 0);
    stream.write(b"after").await.unwrap();
    let incoming = server.accept_stream().await.unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(incoming.read_sctp(&mut buf).await.unwrap(), (0, Ppid(56)));
    assert_eq!(incoming.read_sctp(&mut buf).await.unwrap(), (0, Ppid(57)));
    assert_eq!(incoming.read_sctp(&mut buf).await.unwrap(), (5, Ppid(51)));
    client.close().await.unwrap();
}

#[tokio::test]
async fn unordered_messages_all_arrive_intact() {
    let (client, server) = connected(config(), config()).await;
    let stream = client.open_stream(2, Ppid(51)).unwrap();
    stream.set_reliability_params(true, ReliabilityType::Reliable, 0);
    for i in 0..50u64 {
        let mut data = i.to_be_bytes().to_vec();
        data.extend(pattern(i, 2000));
        stream.write(&data).await.unwrap();
    }
    let incoming = server.accept_stream().await.unwrap();
    let mut seen = [false; 50];
    for _ in 0..50 {
        let (data, _) = read_message(&incoming).await.unwrap();
        let i = u64::from_be_bytes(data[..8].try_into().unwrap());
        assert!(data[8..] == pattern(i, 2000)[..], "message {i} corrupted");
        assert!(!std::mem::replace(&mut seen[i as usize], true), "{i} twice");
    }
}

#[tokio::test]
async fn slow_reader_bounds_the_writers_memory() {
    let send_buffer = 64 * 1024;
    let receive_buffer = 128 * 1024;
    let sender = Config {
        send_buffer_size: send_buffer,
        ..config()
    };
    let receiver = Config {
        max_receive_buffer: receive_buffer as u32,
        ..config()
    };
    let (client, server) = connected(sender, receiver).await;
    let client = Arc::new(client);
    let message = 16 * 1024;
    let count = 256u64; // 4 MiB
    let written = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writer = {
        let client = Arc::clone(&client);
        let written = Arc::clone(&written);
        tokio::spawn(async move {
            let stream = client.open_stream(0, Ppid(53)).unwrap();
            let mut most_buffered = 0;
            for i in 0..count {
                stream.write(&pattern(i, message)).await.unwrap();
                written.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let stats = client.transfer_stats().unwrap();
                most_buffered = most_buffered.max(stats.buffered);
            }
            most_buffered
        })
    };
    // Nobody reads for a while: the writer must stall.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stalled_at = written.load(std::sync::atomic::Ordering::Relaxed) as usize * message;
    // What can be written before the reader moves: the send buffer, the
    // peer's window in flight, and the peer's stream queues.
    let bound = send_buffer + 2 * receive_buffer + 2 * message;
    assert!(
        stalled_at <= bound,
        "{stalled_at} bytes written with nobody reading (bound {bound})"
    );
    let incoming = server.accept_stream().await.unwrap();
    for i in 0..count {
        let (data, _) = read_message(&incoming).await.unwrap();
        assert!(data == pattern(i, message), "message {i} wrong");
    }
    let most_buffered = writer.await.unwrap();
    assert!(
        most_buffered <= send_buffer,
        "{most_buffered} bytes queued, over the {send_buffer}-byte send buffer"
    );
    assert_eq!(server.bytes_received(), count * message as u64);
}

#[tokio::test]
async fn graceful_close_delivers_everything_then_reports_closed() {
    let (client, server) = connected(config(), config()).await;
    let stream = client.open_stream(1, Ppid(51)).unwrap();
    for i in 0..100 {
        stream.write(&pattern(i, 1500)).await.unwrap();
    }
    client.close().await.unwrap();
    // The peer reads what was sent before the shutdown, then the close.
    let incoming = server.accept_stream().await.unwrap();
    for i in 0..100 {
        let (data, _) = read_message(&incoming).await.unwrap();
        assert!(data == pattern(i, 1500));
    }
    assert!(matches!(read_message(&incoming).await, Err(Error::Closed)));
    assert_eq!(server.closed().await, CloseReason::Shutdown);
    assert!(matches!(stream.write(b"late").await, Err(Error::Closed)));
}

#[tokio::test]
async fn abort_reaches_the_peer_with_its_reason() {
    let (client, server) = connected(config(), config()).await;
    let stream = client.open_stream(1, Ppid(51)).unwrap();
    stream.write(b"before").await.unwrap();
    let incoming = server.accept_stream().await.unwrap();
    assert_eq!(read_message(&incoming).await.unwrap().0, b"before");
    client.abort("going away");
    match read_message(&incoming).await {
        Err(Error::Aborted { causes }) => {
            assert_eq!(causes.len(), 1);
            assert_eq!(causes[0].reason_text(), Some("going away"));
        }
        other => panic!("expected the peer's abort, got {other:?}"),
    }
    assert!(matches!(
        server.closed().await,
        CloseReason::PeerAbort(causes) if causes.len() == 1
    ));
    assert!(matches!(
        client.closed().await,
        CloseReason::LocalAbort(reason) if reason == "going away"
    ));
}

#[tokio::test]
async fn dropping_every_handle_shuts_down_gracefully() {
    let (client, server) = connected(config(), config()).await;
    let stream = client.open_stream(4, Ppid(51)).unwrap();
    stream.write(&pattern(4, 20_000)).await.unwrap();
    drop(stream);
    drop(client);
    let incoming = server.accept_stream().await.unwrap();
    assert!(read_message(&incoming).await.unwrap().0 == pattern(4, 20_000));
    assert_eq!(server.closed().await, CloseReason::Shutdown);
}

#[tokio::test]
async fn client_times_out_when_nobody_answers() {
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let transport =
        UdpTransport::connect("127.0.0.1:0".parse().unwrap(), silent.local_addr().unwrap())
            .await
            .unwrap();
    let config = Config {
        rto_initial: Duration::from_millis(50),
        rto_min: Duration::from_millis(50),
        max_init_retransmits: 2,
        ..Config::default()
    };
    match Association::client(transport, config).await {
        Err(Error::Timeout(CloseReason::HandshakeTimeout)) => {}
        other => panic!("expected a handshake timeout, got {other:?}"),
    }
    // INIT and its two retransmissions reached the silent socket.
    let mut buf = [0u8; 2048];
    for _ in 0..3 {
        let n = silent.recv(&mut buf).await.unwrap();
        assert_eq!(buf[12], 1, "an INIT chunk (RFC 9260 §3.3.2)");
        assert!(n >= 32);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_associations_echo_independently() {
    let mut tasks = Vec::new();
    for n in 0..100u64 {
        tasks.push(tokio::spawn(async move {
            let (a, b) = udp_pair().await;
            let server = tokio::spawn(async move {
                echo_server(Association::server(b, config()).await.unwrap()).await
            });
            let client = Association::client(a, config()).await.unwrap();
            let stream = client.open_stream((n % 16) as u16, Ppid(53)).unwrap();
            for i in 0..5 {
                let data = pattern(n * 10 + i, 3000);
                stream.write(&data).await.unwrap();
                assert!(read_message(&stream).await.unwrap().0 == data);
            }
            client.close().await.unwrap();
            server.await.unwrap()
        }));
    }
    let mut closes: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        *closes.entry(task.await.unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(closes, HashMap::from([("shut down".to_owned(), 100)]));
}

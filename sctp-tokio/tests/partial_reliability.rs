//! Partial reliability (RFC 3758) through `Stream::set_reliability_params`,
//! over UDP on loopback with chosen packets lost.

mod common;

use bytes::Bytes;
use common::{chunks_of, config, connected_through, eventually, pattern};
use sctp_tokio::{Error, Ppid, ReliabilityType, Stream};
use sctp_wire::Chunk;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Reads until the end of the stream; returns the messages.
async fn read_to_end(stream: &Stream) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        match stream.read(&mut buf).await {
            Ok(n) => messages.push(buf[..n].to_vec()),
            Err(Error::EndOfStream) => return messages,
            Err(e) => panic!("after {} messages: {e}", messages.len()),
        }
    }
}

/// A message: its index, then a pattern that depends on it.
fn message(i: u64) -> Vec<u8> {
    let mut data = i.to_be_bytes().to_vec();
    data.extend(pattern(i, 1000));
    data
}

#[tokio::test]
async fn rexmit_zero_over_a_lossy_path_never_retransmits_and_frees_the_writers_memory() {
    // Every third packet carrying DATA is lost, and every TSN the client
    // sends is recorded, lost or not.
    let tsns = Arc::new(Mutex::new(Vec::new()));
    let data_packets = Arc::new(AtomicU64::new(0));
    let lossy = {
        let (tsns, data_packets) = (Arc::clone(&tsns), Arc::clone(&data_packets));
        Box::new(move |datagram: Bytes| {
            let sent: Vec<u32> = chunks_of(&datagram)
                .iter()
                .filter_map(|c| match c {
                    Chunk::Data(d) => Some(d.tsn.0),
                    _ => None,
                })
                .collect();
            if sent.is_empty() {
                return Some(datagram);
            }
            tsns.lock().unwrap().extend(sent);
            let n = data_packets.fetch_add(1, Ordering::Relaxed);
            (n % 3 != 2).then_some(datagram)
        })
    };
    let (client, server) = connected_through(lossy, config(), config()).await;
    let stream = client.open_stream(4, Ppid(53)).unwrap();
    // RFC 3758 §3.5 A2, pion's Rexmit semantics: sent once, never again.
    stream.set_reliability_params(true, ReliabilityType::Rexmit, 0);
    const COUNT: u64 = 300;
    for i in 0..COUNT {
        stream.write(&message(i)).await.unwrap();
    }
    // The reset waits until the peer has every TSN up to the last, which
    // for the lost ones takes a FORWARD TSN (RFC 3758 §3.5 C3).
    stream.close().await.unwrap();
    let incoming = server.accept_stream().await.unwrap();
    let received = read_to_end(&incoming).await;

    let mut seen = HashSet::new();
    for data in &received {
        let i = u64::from_be_bytes(data[..8].try_into().unwrap());
        assert!(*data == message(i), "message {i} corrupted");
        assert!(seen.insert(i), "message {i} delivered twice");
    }
    let stats = client.transfer_stats().unwrap();
    assert!(
        received.len() < COUNT as usize,
        "a third of the packets was lost"
    );
    assert!(
        received.len() as u64 + stats.counters.messages_abandoned >= COUNT,
        "{} received, {} abandoned of {COUNT}",
        received.len(),
        stats.counters.messages_abandoned
    );
    assert!(stats.counters.forward_tsns_sent > 0);
    assert_eq!(stats.counters.retransmissions, 0);
    let tsns = tsns.lock().unwrap().clone();
    let distinct: HashSet<_> = tsns.iter().collect();
    assert_eq!(distinct.len(), tsns.len(), "a TSN was sent twice");

    // Nothing of the abandoned messages is kept.
    let freed = eventually(Duration::from_secs(5), || {
        let stats = client.transfer_stats().unwrap();
        stats.buffered == 0 && stats.flight == 0 && stream.buffered_amount() == 0
    })
    .await;
    assert!(
        freed,
        "the writer still holds {:?}",
        client.transfer_stats()
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_lifetime_gives_up_lost_messages_and_later_ordered_ones_are_not_held_up() {
    // Every packet carrying a "doomed" message is lost.
    let lossy = Box::new(|datagram: Bytes| {
        let doomed = chunks_of(&datagram)
            .iter()
            .any(|c| matches!(c, Chunk::Data(d) if d.payload.starts_with(b"doomed")));
        (!doomed).then_some(datagram)
    });
    let (client, server) = connected_through(lossy, config(), config()).await;
    let stream = client.open_stream(1, Ppid(51)).unwrap();
    stream.set_reliability_params(false, ReliabilityType::Timed, 150);
    for i in 0..10u8 {
        stream
            .write(&[b"doomed ".as_slice(), &[i]].concat())
            .await
            .unwrap();
    }
    stream.set_reliability_params(false, ReliabilityType::Reliable, 0);
    for i in 0..10u8 {
        stream
            .write(&[b"kept ".as_slice(), &[i]].concat())
            .await
            .unwrap();
    }
    let incoming = server.accept_stream().await.unwrap();
    let mut buf = [0u8; 16];
    // Ordered after the doomed ones, the kept messages come once the
    // lifetime has passed and a FORWARD TSN skipped their SSNs (RFC 3758
    // §3.6), in order.
    for i in 0..10u8 {
        let n = tokio::time::timeout(Duration::from_secs(5), incoming.read(&mut buf))
            .await
            .expect("the kept messages are not held up")
            .unwrap();
        assert_eq!(&buf[..n], [b"kept ".as_slice(), &[i]].concat());
    }
    let counters = client.transfer_stats().unwrap().counters;
    assert_eq!(counters.messages_abandoned, 10);
    client.close().await.unwrap();
}

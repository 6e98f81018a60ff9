//! Reliable data transfer over the pair harness: fragmentation and
//! reassembly, ordered and unordered delivery, SACK, retransmission and
//! the receive window (RFC 9260 §6).

mod common;

use bytes::Bytes;
use common::{chunks_of, packet, Pair, Side};
use sctp_core::{CloseReason, Config, Event, SendError, State};
use sctp_wire::*;
use std::time::Duration;

fn established(p: &Pair) -> bool {
    p.a.state() == State::Established && p.z.state() == State::Established
}

fn connected(a: Config, z: Config) -> Pair {
    let mut p = Pair::new(a, z);
    p.run_until(100, established);
    p
}

fn message(i: usize, len: usize) -> Bytes {
    Bytes::from((0..len).map(|j| (i * 31 + j) as u8).collect::<Vec<_>>())
}

/// Runs until both sides are quiet, reading everything Z receives.
fn run_and_read(p: &mut Pair, max_steps: usize) -> Vec<(u16, Bytes)> {
    let mut got = Vec::new();
    for _ in 0..max_steps {
        while let Some(m) = p.z.read() {
            got.push((m.stream_id.0, m.payload.into_bytes()));
        }
        if p.a.all_data_acknowledged()
            && p.a
                .poll_timeout()
                .is_none_or(|t| t > p.now + Duration::from_secs(5))
        {
            break;
        }
        if !p.step() {
            break;
        }
    }
    while let Some(m) = p.z.read() {
        got.push((m.stream_id.0, m.payload.into_bytes()));
    }
    got
}

#[test]
fn small_messages_arrive_whole_and_in_order() {
    let mut p = connected(Config::default(), Config::default());
    let sent: Vec<Bytes> = (0..20).map(|i| message(i, 100 + i)).collect();
    for m in &sent {
        p.a.send(p.now, 0, Ppid::BINARY, false, m.clone()).unwrap();
    }
    let got = run_and_read(&mut p, 1000);
    assert_eq!(got.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>(), sent);
    assert!(p.a.all_data_acknowledged());
    assert_eq!(p.a.transfer_stats().unwrap().flight, 0);
    assert!(p.z_events.contains(&Event::Readable));
}

/// The DATA chunks of every packet A sent from log index `from` on.
fn a_data_per_packet(p: &Pair, from: usize) -> Vec<usize> {
    p.log[from..]
        .iter()
        .filter(|(side, _)| *side == Side::A)
        .map(|(_, types)| types.iter().filter(|t| **t == ChunkType::DATA).count())
        .filter(|&n| n > 0)
        .collect()
}

#[test]
fn messages_sent_in_a_row_share_packets() {
    // RFC 9260 §6.10: DATA chunks are bundled. `send` only queues, so ten
    // 100-byte messages go out in one packet, not ten.
    let mut p = connected(Config::default(), Config::default());
    let from = p.log.len();
    let sent: Vec<Bytes> = (0..10).map(|i| message(i, 100)).collect();
    for m in &sent {
        p.a.send(p.now, 0, Ppid::BINARY, false, m.clone()).unwrap();
    }
    let got = run_and_read(&mut p, 100);
    assert_eq!(got.into_iter().map(|(_, m)| m).collect::<Vec<_>>(), sent);
    assert_eq!(a_data_per_packet(&p, from), [10]);
}

#[test]
fn a_message_that_fits_a_packet_is_not_cut_to_fill_the_previous_one() {
    // RFC 9260 §6.9: only a message too large for a packet is fragmented.
    // Two 700-byte messages cannot share a 1191-byte packet; the second
    // starts the next packet whole instead of being split across both.
    let mut p = connected(Config::default(), Config::default());
    let from = p.log.len();
    let chunks = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = chunks.clone();
    p.hook = Box::new(move |side, d| {
        if side == Side::A {
            for c in chunks_of(&d) {
                if let Chunk::Data(data) = c {
                    seen.borrow_mut()
                        .push((data.beginning, data.ending, data.payload.len()));
                }
            }
        }
        Some(d)
    });
    let sent: Vec<Bytes> = (0..3).map(|i| message(i, 700)).collect();
    for m in &sent {
        p.a.send(p.now, 0, Ppid::BINARY, false, m.clone()).unwrap();
    }
    let got = run_and_read(&mut p, 100);
    assert_eq!(got.into_iter().map(|(_, m)| m).collect::<Vec<_>>(), sent);
    assert_eq!(*chunks.borrow(), [(true, true, 700); 3]);
    assert_eq!(a_data_per_packet(&p, from), [1, 1, 1]);
}

#[test]
fn a_large_message_is_fragmented_and_reassembled_byte_exact() {
    // RFC 9260 §6.9: fragments in consecutive TSNs, B on the first, E on the last.
    let mut p = connected(Config::default(), Config::default());
    let big = message(7, 60_000);
    p.a.send(p.now, 3, Ppid::BINARY, false, big.clone())
        .unwrap();
    let got = run_and_read(&mut p, 2000);
    assert_eq!(got, [(3, big)]);
    let data_packets = p
        .sent()
        .iter()
        .filter(|(_, t)| *t == ChunkType::DATA)
        .count();
    assert!(data_packets >= 60_000 / 1191, "{data_packets} DATA chunks");
}

#[test]
fn unordered_and_multi_stream_messages_are_all_delivered() {
    let mut p = connected(Config::default(), Config::default());
    let mut expected = Vec::new();
    for i in 0..30 {
        let m = message(i, 50 + 40 * i);
        let stream = (i % 3) as u16;
        p.a.send(p.now, stream, Ppid::STRING, i % 2 == 0, m.clone())
            .unwrap();
        expected.push((stream, m));
    }
    let mut got = run_and_read(&mut p, 2000);
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn send_refuses_what_cannot_be_sent_with_typed_errors() {
    let mut p = Pair::default_pair();
    assert_eq!(
        p.a.send(p.now, 0, Ppid::BINARY, false, message(0, 10)),
        Err(SendError::NotEstablished)
    );
    p.run_until(100, established);
    let streams = p.a.streams().unwrap().0;
    assert_eq!(
        p.a.send(p.now, streams, Ppid::BINARY, false, message(0, 10)),
        Err(SendError::InvalidStream {
            stream: streams,
            outbound: streams
        })
    );
    assert_eq!(
        p.a.send(p.now, 0, Ppid(1234), false, Bytes::new()),
        Err(SendError::EmptyMessage)
    );
    assert_eq!(
        p.a.send(p.now, 0, Ppid::BINARY, false, message(0, 65_537)),
        Err(SendError::MessageTooLarge {
            len: 65_537,
            max: 65_536
        })
    );
    // A message larger than the send buffer could never fit: refused for
    // good, not "buffer full".
    let mut small = Pair::new(
        Config {
            send_buffer_size: 10_000,
            ..Config::default()
        },
        Config::default(),
    );
    small.run_until(100, established);
    assert_eq!(
        small
            .a
            .send(small.now, 0, Ppid::BINARY, false, message(0, 10_001)),
        Err(SendError::MessageTooLarge {
            len: 10_001,
            max: 10_000
        })
    );
    // Fill the send buffer (1 MiB) faster than the window drains it.
    let mut refused = None;
    for _ in 0..40 {
        if let Err(e) = p.a.send(p.now, 0, Ppid::BINARY, false, message(0, 65_536)) {
            refused = Some(e);
            break;
        }
    }
    assert!(
        matches!(
            refused,
            Some(SendError::BufferFull {
                limit: 1_048_576,
                ..
            })
        ),
        "{refused:?}"
    );
}

#[test]
fn a_lost_data_packet_is_recovered_by_fast_retransmit_before_the_rto() {
    // RFC 9260 §7.2.4: three miss indications mark a chunk for fast
    // retransmission, long before T3-rtx (1 s) would fire.
    let mut p = connected(Config::default(), Config::default());
    let mut data_seen = 0;
    p.hook = Box::new(move |side, d| {
        if side == Side::A && common::chunk_types(&d).contains(&ChunkType::DATA) {
            data_seen += 1;
            if data_seen == 2 {
                return None;
            }
        }
        Some(d)
    });
    let start = p.now;
    let sent: Vec<Bytes> = (0..12).map(|i| message(i, 1000)).collect();
    for m in &sent {
        p.a.send(p.now, 0, Ppid::BINARY, false, m.clone()).unwrap();
    }
    p.run_until(1000, |p| p.a.all_data_acknowledged());
    assert!(
        p.now - start < Duration::from_millis(500),
        "recovered at {:?}",
        p.now - start
    );
    let got = run_and_read(&mut p, 10);
    assert_eq!(got.into_iter().map(|(_, m)| m).collect::<Vec<_>>(), sent);
}

#[test]
fn a_lost_lone_data_packet_is_retransmitted_by_t3() {
    // RFC 9260 §6.3.3: with nothing after it to trigger fast retransmit,
    // the chunk comes back when T3-rtx expires (RTO.Initial = 1 s).
    let mut p = connected(Config::default(), Config::default());
    let mut dropped = false;
    p.hook = Box::new(move |side, d| {
        if side == Side::A && !dropped && common::chunk_types(&d).contains(&ChunkType::DATA) {
            dropped = true;
            return None;
        }
        Some(d)
    });
    let start = p.now;
    p.a.send(p.now, 0, Ppid::BINARY, false, message(1, 500))
        .unwrap();
    let got = run_and_read(&mut p, 1000);
    assert_eq!(got, [(0, message(1, 500))]);
    assert!(p.now - start >= Duration::from_secs(1));
    assert_eq!(
        p.sent()
            .iter()
            .filter(|(s, t)| *s == Side::A && *t == ChunkType::DATA)
            .count(),
        2
    );
}

#[test]
fn a_lone_packet_is_acknowledged_after_the_delayed_sack_timer() {
    // RFC 9260 §6.2: a SACK for a lone packet may wait up to 200 ms here.
    let mut p = connected(Config::default(), Config::default());
    p.a.send(p.now, 0, Ppid::BINARY, false, message(1, 100))
        .unwrap();
    let start = p.now;
    p.run_until(100, |p| p.a.all_data_acknowledged());
    // 10 ms to arrive, 200 ms delay, 10 ms back.
    assert_eq!(p.now - start, Duration::from_millis(220));
}

#[test]
fn the_peer_is_declared_unreachable_after_association_max_retrans() {
    // RFC 9260 §8.1: consecutive T3-rtx expiries beyond
    // Association.Max.Retrans close the association.
    let a = Config {
        rto_initial: Duration::from_millis(100),
        rto_min: Duration::from_millis(100),
        rto_max: Duration::from_millis(400),
        association_max_retrans: 3,
        ..Config::default()
    };
    let mut p = connected(a, Config::default());
    p.hook = Box::new(|side, d| (side == Side::Z).then_some(d));
    p.a.send(p.now, 0, Ppid::BINARY, false, message(1, 100))
        .unwrap();
    p.run_until(100, |p| p.a.state() == State::Closed);
    assert_eq!(
        p.a_events.last(),
        Some(&Event::Closed(CloseReason::PeerUnreachable))
    );
}

#[test]
fn a_full_receive_window_reopens_when_the_user_reads() {
    // Regression: a receiver whose buffer filled must announce the
    // reopened window, or the sender waits forever (reported against
    // webrtc-rs).
    let z = Config {
        max_receive_buffer: 16_000,
        ..Config::default()
    };
    let mut p = connected(Config::default(), z);
    let sent: Vec<Bytes> = (0..40).map(|i| message(i, 1000)).collect();
    for m in &sent {
        p.a.send(p.now, 0, Ppid::BINARY, false, m.clone()).unwrap();
    }
    // Nobody reads: the sender stops at the window.
    for _ in 0..200 {
        if !p.step() {
            break;
        }
    }
    assert!(!p.a.all_data_acknowledged());
    assert_eq!(
        p.a.state(),
        State::Established,
        "{:?} {:?} {:?}",
        p.a_events,
        p.a.transfer_stats(),
        p.z.stats()
    );
    let got = run_and_read(&mut p, 5000);
    assert_eq!(got.into_iter().map(|(_, m)| m).collect::<Vec<_>>(), sent);
}

#[test]
fn data_without_user_data_is_aborted_with_no_user_data() {
    // RFC 9260 §6.2: an empty DATA chunk is answered with an ABORT.
    let mut p = connected(Config::default(), Config::default());
    let tag = p.z.local_verification_tag();
    let tsn = p.z.peer_initial_tsn().unwrap();
    let empty = Chunk::Data(DataChunk {
        tsn,
        stream_id: StreamId(0),
        ssn: Ssn(0),
        ppid: Ppid(0),
        unordered: false,
        beginning: true,
        ending: true,
        immediate_sack: false,
        payload: Bytes::new(),
    });
    p.z.handle_datagram(p.now, packet(tag, &[empty]));
    let reply = p.z.poll_transmit(p.now).expect("ABORT");
    let Chunk::Abort(abort) = chunks_of(&reply).remove(0) else {
        panic!()
    };
    assert_eq!(abort.causes, [ErrorCause::NoUserData { tsn }]);
    assert_eq!(p.z.state(), State::Closed);
}

#[test]
fn a_small_held_fragment_does_not_keep_its_datagram_alive() {
    // Held user data counts against the receive buffer by its own size,
    // so it must not keep a much larger datagram in memory: a peer could
    // otherwise fill the buffer with 1-byte fragments padded to the MTU.
    let mut p = connected(Config::default(), Config::default());
    let tag = p.z.local_verification_tag();
    let tsn = p.z.peer_initial_tsn().unwrap();
    let fragment = |t: Tsn, payload: Bytes| {
        Chunk::Data(DataChunk {
            tsn: t,
            stream_id: StreamId(0),
            ssn: Ssn(0),
            ppid: Ppid(0),
            unordered: false,
            beginning: t == tsn,
            ending: false,
            immediate_sack: false,
            payload,
        })
    };
    // RFC 4820's PAD chunk: its type's upper bits say skip it silently.
    let pad = Chunk::Unknown {
        kind: ChunkType(0x84),
        flags: 0,
        value: Bytes::from(vec![0; 1100]),
    };
    let small = packet(tag, &[fragment(tsn, Bytes::from_static(b"x")), pad]);
    p.z.handle_datagram(p.now, small.clone());
    assert!(small.is_unique(), "the 1-byte fragment pins its datagram");
    // A fragment that is most of its datagram stays a slice of it: the
    // usual zero-copy path.
    let big = packet(tag, &[fragment(tsn.next(), message(1, 1000))]);
    p.z.handle_datagram(p.now, big.clone());
    assert!(!big.is_unique(), "a large fragment was copied");
    // Both are held: the message is incomplete, and both TSNs are acked.
    assert_eq!(p.z.read(), None);
    let acked = z_sacks(&mut p).last().map(|s| s.cum_tsn_ack);
    assert_eq!(acked, Some(tsn.next()));
}

/// A pair whose Z has a 64 KiB receive buffer, so at most 256 chunks
/// held (one per 256 bytes).
fn small_buffer() -> Pair {
    let z = Config {
        max_receive_buffer: 64 * 1024,
        ..Config::default()
    };
    connected(Config::default(), z)
}

/// The 1-byte first fragment, TSN `n` past Z's first, of an unordered
/// message that never completes; asks for a SACK at once.
fn tiny_fragment(p: &Pair, n: u32) -> Chunk {
    Chunk::Data(DataChunk {
        tsn: Tsn(p.z.peer_initial_tsn().unwrap().0.wrapping_add(n)),
        stream_id: StreamId(0),
        ssn: Ssn(0),
        ppid: Ppid(0),
        unordered: true,
        beginning: true,
        ending: false,
        immediate_sack: true,
        payload: Bytes::from_static(b"x"),
    })
}

/// The SACKs Z sends now.
fn z_sacks(p: &mut Pair) -> Vec<Sack> {
    let mut sacks = Vec::new();
    while let Some(d) = p.z.poll_transmit(p.now) {
        for c in chunks_of(&d) {
            if let Chunk::Sack(s) = c {
                sacks.push(s);
            }
        }
    }
    sacks
}

#[test]
fn tiny_chunks_are_held_only_as_many_as_the_buffer_allows() {
    // Each held chunk costs bookkeeping besides its bytes, so the buffer
    // also limits their number: a 64 KiB buffer holds at most 256 chunks
    // (64 KiB / 256), and its window closes as they near that, though 256
    // bytes of user data are nowhere near 64 KiB.
    let mut p = small_buffer();
    let tag = p.z.local_verification_tag();
    let first = p.z.peer_initial_tsn().unwrap();
    let mut sacks = Vec::new();
    for batch in 0..6 {
        let chunks: Vec<Chunk> = (0..50).map(|i| tiny_fragment(&p, batch * 50 + i)).collect();
        p.z.handle_datagram(p.now, packet(tag, &chunks));
        sacks.extend(z_sacks(&mut p));
    }
    let last = sacks.last().expect("SACKs");
    // 256 held and acknowledged; the other 44 dropped unacknowledged.
    assert_eq!(last.cum_tsn_ack, Tsn(first.0.wrapping_add(255)));
    assert_eq!(p.z.stats().data_dropped_no_buffer, 44);
    assert_eq!(last.a_rwnd, 0, "the window closed with the chunk count");
    // After 200 chunks the window was what 56 more chunks of 256 bytes
    // would take, not 64 KiB less 200 bytes.
    assert_eq!(sacks[3].cum_tsn_ack, Tsn(first.0.wrapping_add(199)));
    assert_eq!(sacks[3].a_rwnd, 56 * 256);
}

#[test]
fn with_the_chunk_count_full_a_gap_filling_chunk_is_taken_by_reneging() {
    // RFC 9260 §6.2: a full buffer drops the largest TSN held for
    // reordering to take the chunk that fills a gap; a buffer full by its
    // chunk count does the same, or data past the hole would hold it for
    // good.
    let mut p = small_buffer();
    let tag = p.z.local_verification_tag();
    let first = p.z.peer_initial_tsn().unwrap();
    // TSNs first + 1 ..= first + 256: the chunk count is full, `first`
    // is missing.
    for batch in 0..8u32 {
        let chunks: Vec<Chunk> = (1..=32)
            .map(|i| tiny_fragment(&p, batch * 32 + i))
            .collect();
        p.z.handle_datagram(p.now, packet(tag, &chunks));
    }
    z_sacks(&mut p);
    assert_eq!(p.z.stats().data_dropped_no_buffer, 0);
    p.z.handle_datagram(p.now, packet(tag, &[tiny_fragment(&p, 0)]));
    let cum = z_sacks(&mut p).last().map(|s| s.cum_tsn_ack);
    assert_eq!(p.z.stats().data_reneged, 1, "the highest TSN gave way");
    assert_eq!(cum, Some(Tsn(first.0.wrapping_add(255))));
}

#[test]
fn data_on_a_stream_that_does_not_exist_is_reported() {
    // RFC 9260 §6.5: acknowledged, reported with Invalid Stream Identifier,
    // and discarded.
    let mut p = connected(Config::default(), Config::default());
    let tag = p.z.local_verification_tag();
    let tsn = p.z.peer_initial_tsn().unwrap();
    let stream = p.z.streams().unwrap().1;
    let data = Chunk::Data(DataChunk {
        tsn,
        stream_id: StreamId(stream),
        ssn: Ssn(0),
        ppid: Ppid(0),
        unordered: false,
        beginning: true,
        ending: true,
        immediate_sack: true,
        payload: Bytes::from_static(b"x"),
    });
    p.z.handle_datagram(p.now, packet(tag, &[data]));
    let mut replies = Vec::new();
    while let Some(d) = p.z.poll_transmit(p.now) {
        replies.extend(chunks_of(&d));
    }
    assert!(replies.contains(&Chunk::Error(OperationError {
        causes: vec![ErrorCause::InvalidStreamIdentifier {
            stream_id: StreamId(stream)
        }]
    })));
    let sack = replies.iter().find_map(|c| match c {
        Chunk::Sack(s) => Some(s.clone()),
        _ => None,
    });
    assert_eq!(
        sack.map(|s| s.cum_tsn_ack),
        Some(tsn),
        "acknowledged all the same"
    );
    assert_eq!(p.z.read(), None);
}

#[test]
fn a_forward_tsn_skips_an_abandoned_message_and_delivers_the_next() {
    // RFC 3758 §3.6: the receiver moves its cumulative TSN, skips the
    // stream's SSN, drops the abandoned fragments and acknowledges.
    let mut p = connected(Config::default(), Config::default());
    let tag = p.z.local_verification_tag();
    let t0 = p.z.peer_initial_tsn().unwrap();
    let data = |tsn: Tsn, ssn: u16, beginning: bool, ending: bool, text: &'static [u8]| {
        // The I bit (RFC 9260 §3.3.1) on the last one asks for a SACK now.
        Chunk::Data(DataChunk {
            tsn,
            stream_id: StreamId(0),
            ssn: Ssn(ssn),
            ppid: Ppid::STRING,
            unordered: false,
            beginning,
            ending,
            immediate_sack: ssn == 1,
            payload: Bytes::from_static(text),
        })
    };
    // The first fragment of message SSN 0 arrives; its second never will.
    p.z.handle_datagram(p.now, packet(tag, &[data(t0, 0, true, false, b"lost ")]));
    let forward = Chunk::ForwardTsn(ForwardTsn {
        new_cum_tsn: t0.next(),
        streams: [ForwardTsnStream {
            stream_id: StreamId(0),
            ssn: Ssn(0),
        }]
        .into(),
    });
    p.z.handle_datagram(p.now, packet(tag, &[forward]));
    p.z.handle_datagram(
        p.now,
        packet(tag, &[data(t0.wrapping_add(2), 1, true, true, b"kept")]),
    );
    let m = p.z.read().expect("the message after the abandoned one");
    assert_eq!(m.payload, &b"kept"[..]);
    assert_eq!(p.z.read(), None);
    let mut cum = None;
    while let Some(d) = p.z.poll_transmit(p.now) {
        for c in chunks_of(&d) {
            if let Chunk::Sack(s) = c {
                cum = Some(s.cum_tsn_ack);
            }
        }
    }
    assert_eq!(cum, Some(t0.wrapping_add(2)));
}

#[test]
fn init_and_init_ack_announce_forward_tsn_support() {
    // RFC 3758 §3.1 and RFC 5061 §4.2.7 (the list pion reads).
    let mut p = Pair::default_pair();
    let init = p.a.poll_transmit(p.now).unwrap();
    let Chunk::Init(i) = chunks_of(&init).remove(0) else {
        panic!()
    };
    assert!(i.params.contains(&Param::ForwardTsnSupported));
    assert!(i.params.iter().any(|p| matches!(
        p,
        Param::SupportedExtensions(kinds) if kinds.iter().any(|k| k == ChunkType::FORWARD_TSN)
    )));
    p.z.handle_datagram(p.now, init);
    let ack = p.z.poll_transmit(p.now).unwrap();
    let Chunk::InitAck(a) = chunks_of(&ack).remove(0) else {
        panic!()
    };
    assert!(a.params.contains(&Param::ForwardTsnSupported));
}

#[test]
fn fast_retransmit_happens_exactly_on_the_third_miss_indication() {
    // RFC 9260 §7.2.4: a chunk is fast-retransmitted when the third SACK
    // reports it missing below a newly acknowledged TSN — not before.
    let mut p = connected(Config::default(), Config::default());
    let tsns = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = tsns.clone();
    // A's packets vanish; the TSNs of its DATA are noted.
    p.hook = Box::new(move |side, d| {
        if side == Side::A {
            for c in chunks_of(&d) {
                if let Chunk::Data(data) = c {
                    seen.borrow_mut().push(data.tsn);
                }
            }
            return None;
        }
        Some(d)
    });
    for i in 0..5 {
        p.a.send(p.now, 0, Ppid::BINARY, false, message(i, 1100))
            .unwrap();
    }
    p.run_for(Duration::from_millis(1));
    let t0 = p.z.peer_initial_tsn().unwrap();
    let tag = p.a.local_verification_tag();
    let first: Vec<Tsn> = (0..4).map(|i| t0.wrapping_add(i)).collect();
    assert_eq!(
        *tsns.borrow(),
        first,
        "cwnd 4380 lets four 1100-byte chunks out"
    );
    for (miss, end) in [(1, 2u16), (2, 3), (3, 4)] {
        let sack = Chunk::Sack(Sack {
            cum_tsn_ack: t0.wrapping_sub(1),
            a_rwnd: 1 << 20,
            gap_blocks: [GapAckBlock { start: 2, end }].into(),
            duplicate_tsns: PackedList::new(),
        });
        p.inject(Side::A, packet(tag, &[sack]));
        let counters = p.a.transfer_stats().unwrap().counters;
        let resent = tsns.borrow()[4..].contains(&t0);
        if miss < 3 {
            assert_eq!(
                (counters.fast_retransmits, resent),
                (0, false),
                "after miss {miss}"
            );
        } else {
            assert_eq!(
                (counters.fast_retransmits, resent),
                (1, true),
                "after miss 3"
            );
            assert_eq!(counters.retransmissions, 1);
        }
    }
}

#[test]
fn t3_backs_off_doubling_up_to_rto_max() {
    // RFC 9260 §6.3.3 E2: each T3-rtx expiry doubles the RTO, capped at RTO.Max.
    let config = Config {
        rto_max: Duration::from_secs(3),
        heartbeat_interval: None,
        ..Config::default()
    };
    let mut p = connected(config, Config::default());
    p.hook = Box::new(|side, d| (side == Side::Z).then_some(d));
    p.a.send(p.now, 0, Ppid::BINARY, false, message(1, 100))
        .unwrap();
    p.run_until(40, |p| {
        p.a.transfer_stats()
            .is_some_and(|s| s.counters.t3_expiries >= 5)
    });
    let times: Vec<_> = p
        .log
        .iter()
        .zip(&p.log_times)
        .filter(|((s, t), _)| *s == Side::A && t.contains(&ChunkType::DATA))
        .map(|(_, at)| *at)
        .collect();
    let gaps: Vec<u64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis() as u64)
        .collect();
    // The first RTO comes from the handshake-free default: RTO.Initial 1 s.
    assert_eq!(gaps, [1000, 2000, 3000, 3000, 3000]);
    let stats = p.a.transfer_stats().unwrap();
    assert_eq!(stats.counters.t3_expiries, 5);
    assert_eq!(
        stats.cwnd, 1191,
        "cwnd collapses to one MTU (RFC 9260 §7.2.3)"
    );
}

#[test]
fn counters_follow_the_transfer() {
    let mut p = connected(Config::default(), Config::default());
    for i in 0..10 {
        p.a.send(p.now, 0, Ppid::BINARY, false, message(i, 500))
            .unwrap();
    }
    let got = run_and_read(&mut p, 1000);
    assert_eq!(got.len(), 10);
    let a = p.a.transfer_stats().unwrap();
    let z = p.z.transfer_stats().unwrap();
    assert_eq!(
        (a.counters.messages_sent, a.counters.bytes_sent),
        (10, 5000)
    );
    assert_eq!(
        (z.counters.messages_received, z.counters.bytes_received),
        (10, 5000)
    );
    assert_eq!(a.counters.retransmissions, 0);
    assert!(a.counters.data_chunks_sent >= 10);
    assert_eq!(a.counters.sacks_received, z.counters.sacks_sent);
    assert!(
        a.srtt_us.is_some() && a.rto_us >= 1_000_000,
        "RTO.Min is 1 s"
    );
    assert!(a.ssthresh.is_some());
}

#[test]
fn the_rto_takes_at_most_one_measurement_per_round_trip() {
    // RFC 9260 §6.3.1 C4: a measurement each round trip, and no more than
    // one, however many SACKs come back in it. 10 ms each way: 20 ms RTT.
    let mut p = connected(Config::default(), Config::default());
    let start = p.now;
    for i in 0..200 {
        p.a.send(p.now, 0, Ppid::BINARY, false, message(i, 1000))
            .unwrap();
    }
    let got = run_and_read(&mut p, 10_000);
    assert_eq!(got.len(), 200);
    let a = p.a.transfer_stats().unwrap();
    let round_trips = (p.now - start).as_millis() / 20 + 1;
    assert!(
        a.counters.sacks_received >= 50,
        "{} SACKs",
        a.counters.sacks_received
    );
    assert!(
        a.counters.rtt_measurements >= 2 && u128::from(a.counters.rtt_measurements) <= round_trips,
        "{} measurements from {} SACKs over {round_trips} round trips",
        a.counters.rtt_measurements,
        a.counters.sacks_received
    );
    assert_eq!(a.srtt_us, Some(20_000), "every RTT here is 20 ms");
}

#[test]
fn the_peer_window_counts_outstanding_bytes_once() {
    // RFC 9260 §6.2.1 B, C: the peer's rwnd is the a_rwnd of its latest
    // SACK less the bytes still outstanding — subtracted once. A peer with
    // a 20 000-byte buffer that acknowledges 10 of 20 chunks and has read
    // everything (a_rwnd 20 000) leaves room for 10 000 more bytes.
    let a = Config {
        congestion: std::sync::Arc::new(sctp_cc::FixedWindow::new(1 << 20)),
        ..Config::default()
    };
    let z = Config {
        max_receive_buffer: 20_000,
        ..Config::default()
    };
    let mut p = connected(a, z);
    let sent = std::rc::Rc::new(std::cell::RefCell::new(0usize));
    let seen = sent.clone();
    // A's DATA never reaches Z: the SACK below is written by hand.
    p.hook = Box::new(move |side, d| {
        if side == Side::A {
            *seen.borrow_mut() += chunks_of(&d)
                .iter()
                .filter(|c| matches!(c, Chunk::Data(_)))
                .count();
            return None;
        }
        Some(d)
    });
    for i in 0..100 {
        p.a.send(p.now, 0, Ppid::BINARY, false, message(i, 1000))
            .unwrap();
    }
    p.run_for(Duration::from_millis(1));
    assert_eq!(*sent.borrow(), 20, "the INIT's a_rwnd of 20 000 fills");
    let t0 = p.z.peer_initial_tsn().unwrap();
    let sack = Chunk::Sack(Sack {
        cum_tsn_ack: t0.wrapping_add(9),
        a_rwnd: 20_000,
        gap_blocks: PackedList::new(),
        duplicate_tsns: PackedList::new(),
    });
    p.inject(Side::A, packet(p.a.local_verification_tag(), &[sack]));
    assert_eq!(*sent.borrow(), 30, "10 000 bytes of room: ten more chunks");
    assert_eq!(p.a.transfer_stats().unwrap().peer_rwnd, 0);
}

#[test]
fn a_sack_reports_every_gap_block_that_fits_in_the_mtu() {
    // RFC 9260 §6.2: the receiver MUST report as many gap ack blocks as
    // fit in the path MTU. Every other DATA packet of a window of 400 is
    // lost -> Z holds some 200 runs; a SACK capped below that hides the
    // newest arrivals from A until the holes fill.
    let a = Config {
        congestion: std::sync::Arc::new(sctp_cc::FixedWindow::new(1 << 20)),
        ..Config::default()
    };
    let z = Config {
        max_receive_buffer: 4 << 20,
        ..Config::default()
    };
    let mtu = z.mtu;
    let mut p = connected(a, z);
    let data_packets = std::rc::Rc::new(std::cell::RefCell::new(0usize));
    let sacks = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let (count, seen) = (data_packets.clone(), sacks.clone());
    p.hook = Box::new(move |side, d| {
        let chunks = chunks_of(&d);
        match side {
            Side::A if chunks.iter().any(|c| matches!(c, Chunk::Data(_))) => {
                *count.borrow_mut() += 1;
                // A --DATA--x Z, every other one of the first 400.
                if *count.borrow() <= 400 && *count.borrow() % 2 == 0 {
                    return None;
                }
            }
            Side::Z => {
                for c in &chunks {
                    if let Chunk::Sack(s) = c {
                        seen.borrow_mut().push((d.len(), s.gap_blocks.len()));
                    }
                }
            }
            Side::A => {}
        }
        Some(d)
    });
    for i in 0..400 {
        p.a.send(p.now, 0, Ppid::BINARY, false, message(i, 1000))
            .unwrap();
    }
    let got = run_and_read(&mut p, 100_000);
    assert_eq!(got.len(), 400, "everything arrives in the end");
    let sacks = sacks.borrow();
    let most = sacks.iter().map(|&(_, blocks)| blocks).max().unwrap();
    assert!(most >= 190, "at most {most} gap blocks in a SACK");
    assert!(sacks.iter().all(|&(len, _)| len <= mtu), "{sacks:?}");
}

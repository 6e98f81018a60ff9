//! Message interleaving (RFC 8260): I-DATA and I-FORWARD TSN negotiated
//! in INIT and INIT ACK, messages of different streams sharing the path
//! fragment by fragment, partial reliability and stream reset with MIDs.

mod common;

use bytes::Bytes;
use common::{packet, record_a, Pair, Side};
use sctp_core::{CloseReason, Config, Event, Reliability, Scheduler, State};
use sctp_wire::{
    Chunk, ChunkType, DataChunk, ErrorCause, IDataChunk, IDataFragment, Mid, Ppid, Ssn, StreamId,
};
use std::time::{Duration, Instant};

fn interleaving(scheduler: Scheduler) -> Config {
    Config {
        interleaving: true,
        scheduler,
        ..Config::default()
    }
}

fn connect(a: Config, z: Config) -> Pair {
    let mut p = Pair::new(a, z);
    p.run_until(100, |p| {
        p.a.state() == State::Established && p.z.state() == State::Established
    });
    p
}

fn data_kinds(p: &Pair) -> Vec<ChunkType> {
    let mut kinds: Vec<ChunkType> = p
        .sent()
        .into_iter()
        .map(|(_, t)| t)
        .filter(|t| [ChunkType::DATA, ChunkType::I_DATA].contains(t))
        .collect();
    kinds.dedup();
    kinds
}

#[test]
fn i_data_is_used_only_when_both_sides_list_it() {
    // RFC 8260 §2.2.1: both INIT and INIT ACK list I-DATA, or DATA it is.
    for (a_on, z_on, used) in [
        (true, true, true),
        (true, false, false),
        (false, true, false),
    ] {
        let a = Config {
            interleaving: a_on,
            ..Config::default()
        };
        let z = Config {
            interleaving: z_on,
            ..Config::default()
        };
        let mut p = connect(a, z);
        assert_eq!(p.a.interleaving(), used);
        assert_eq!(p.z.interleaving(), used);
        let now = p.now;
        p.a.send(now, 1, Ppid::BINARY, false, Bytes::from(vec![1u8; 5000]))
            .unwrap();
        p.z.send(now, 2, Ppid::BINARY, true, Bytes::from_static(b"back"))
            .unwrap();
        p.run_for(Duration::from_secs(1));
        let m = p.z.read().expect("A's message");
        assert_eq!(m.payload.len(), 5000);
        assert_eq!(p.a.read().expect("Z's message").payload, &b"back"[..]);
        let expected = if used {
            ChunkType::I_DATA
        } else {
            ChunkType::DATA
        };
        assert_eq!(data_kinds(&p), [expected], "a={a_on} z={z_on}");
    }
}

/// 16 MiB on stream 1, then 1 KiB on stream 2: when each is read, as
/// virtual time since they were queued.
fn small_after_large(config: Config) -> (Duration, Duration) {
    let config = Config {
        max_message_size: 17 << 20,
        send_buffer_size: 18 << 20,
        max_receive_buffer: 32 << 20,
        ..config
    };
    let mut p = connect(config.clone(), config);
    let start = p.now;
    let large = Bytes::from(vec![0xabu8; 16 << 20]);
    p.a.send(start, 1, Ppid::BINARY, false, large.clone())
        .unwrap();
    p.a.send(start, 2, Ppid::BINARY, false, Bytes::from(vec![2u8; 1024]))
        .unwrap();
    let (mut small_at, mut large_at): (Option<Instant>, Option<Instant>) = (None, None);
    for _ in 0..2_000_000 {
        if large_at.is_some() && small_at.is_some() {
            break;
        }
        assert!(p.step(), "stalled");
        while let Some(m) = p.z.read() {
            match m.stream_id.0 {
                1 => {
                    assert!(m.payload == large, "the large message arrived intact");
                    large_at = Some(p.now);
                }
                _ => {
                    assert_eq!(m.payload.len(), 1024);
                    small_at = Some(p.now);
                }
            }
        }
    }
    (
        small_at.expect("small message") - start,
        large_at.expect("large message") - start,
    )
}

#[test]
fn with_interleaving_a_small_message_overtakes_a_large_one_on_another_stream() {
    // RFC 8260 §1: I-DATA lets a large message stop blocking the others.
    let (small, large) = small_after_large(interleaving(Scheduler::RoundRobin));
    assert!(
        small * 10 < large,
        "the 1 KiB message took {small:?}, the 16 MiB one {large:?}"
    );
}

#[test]
fn without_interleaving_the_small_message_waits_for_the_large_one() {
    // DATA: a message's fragments take consecutive TSNs (RFC 9260 §6.9),
    // so nothing goes between them, whatever the scheduler.
    let (small, large) = small_after_large(Config {
        scheduler: Scheduler::RoundRobin,
        ..Config::default()
    });
    assert!(
        small >= large,
        "the 1 KiB message took {small:?}, the 16 MiB one {large:?}"
    );
}

fn idata_with(chunks: &[Chunk], payload: &[u8]) -> bool {
    chunks
        .iter()
        .any(|c| matches!(c, Chunk::IData(d) if d.payload == payload))
}

#[test]
fn abandoned_messages_are_skipped_with_i_forward_tsn() {
    // RFC 8260 §2.3.1 with RFC 3758: a lost Rexmit(0) message is given up
    // and the peer skips it by MID, ordered and unordered alike.
    let mut p = connect(interleaving(Scheduler::Fcfs), interleaving(Scheduler::Fcfs));
    let log = record_a(&mut p, |chunks| {
        idata_with(chunks, b"lost ordered") || idata_with(chunks, b"lost unordered")
    });
    let now = p.now;
    let send = |p: &mut Pair, unordered, reliability, text: &'static str| {
        p.a.send_with(
            now,
            3,
            Ppid::STRING,
            unordered,
            reliability,
            Bytes::from_static(text.as_bytes()),
        )
        .unwrap();
    };
    send(&mut p, false, Reliability::Rexmit(0), "lost ordered");
    send(&mut p, true, Reliability::Rexmit(0), "lost unordered");
    send(&mut p, false, Reliability::Reliable, "after, ordered");
    send(&mut p, true, Reliability::Reliable, "after, unordered");
    p.run_for(Duration::from_secs(10));
    let mut got: Vec<Bytes> = std::iter::from_fn(|| p.z.read())
        .map(|m| m.payload.into_bytes())
        .collect();
    got.sort();
    assert_eq!(got, [&b"after, ordered"[..], &b"after, unordered"[..]]);
    let forwards: Vec<Chunk> = log
        .borrow()
        .iter()
        .filter(|c| matches!(c, Chunk::IForwardTsn(_) | Chunk::ForwardTsn(_)))
        .cloned()
        .collect();
    let Some(Chunk::IForwardTsn(forward)) = forwards.first() else {
        panic!("no I-FORWARD TSN: {forwards:?}");
    };
    let mut entries: Vec<(u16, bool, u32)> = forward
        .streams
        .iter()
        .map(|e| (e.stream_id.0, e.unordered, e.mid.0))
        .collect();
    entries.sort();
    assert_eq!(entries, [(3, false, 0), (3, true, 0)]);
    assert_eq!(p.a.transfer_stats().unwrap().counters.messages_abandoned, 2);
}

#[test]
fn a_stream_reset_restarts_its_mids() {
    // RFC 6525 with RFC 8260: after the reset, MIDs start again at 0 on
    // both sides, and messages keep flowing.
    let mut p = connect(interleaving(Scheduler::Fcfs), interleaving(Scheduler::Fcfs));
    let log = record_a(&mut p, |_| false);
    let now = p.now;
    for text in [&b"one"[..], b"two"] {
        p.a.send(now, 4, Ppid::BINARY, false, Bytes::copy_from_slice(text))
            .unwrap();
    }
    p.run_for(Duration::from_secs(1));
    p.a.reset_streams(p.now, &[4]).unwrap();
    p.run_for(Duration::from_secs(1));
    assert!(p.z_events.contains(&Event::IncomingStreamsReset(vec![4])));
    assert!(p.a_events.contains(&Event::OutgoingStreamsReset(vec![4])));
    let now = p.now;
    p.a.send(now, 4, Ppid::BINARY, false, Bytes::from_static(b"three"))
        .unwrap();
    p.run_for(Duration::from_secs(1));
    let got: Vec<Bytes> = std::iter::from_fn(|| p.z.read())
        .map(|m| m.payload.into_bytes())
        .collect();
    assert_eq!(got, [&b"one"[..], b"two", b"three"]);
    let mids: Vec<u32> = log
        .borrow()
        .iter()
        .filter_map(|c| match c {
            Chunk::IData(d) => Some(d.mid.0),
            _ => None,
        })
        .collect();
    assert_eq!(mids, [0, 1, 0]);
}

fn aborted_for_protocol_violation(p: &Pair) -> bool {
    p.z_events.iter().any(|e| {
        matches!(
            e,
            Event::Closed(CloseReason::ProtocolError(ErrorCause::ProtocolViolation(_)))
        )
    })
}

#[test]
fn data_on_an_i_data_association_is_a_protocol_violation() {
    // RFC 8260 §2.2.1: once I-DATA is negotiated, DATA must not be sent.
    let mut p = connect(interleaving(Scheduler::Fcfs), interleaving(Scheduler::Fcfs));
    let tag = p.z.local_verification_tag();
    let data = Chunk::Data(DataChunk {
        tsn: p.a.local_initial_tsn(),
        stream_id: StreamId(0),
        ssn: Ssn(0),
        ppid: Ppid::BINARY,
        unordered: false,
        beginning: true,
        ending: true,
        immediate_sack: false,
        payload: Bytes::from_static(b"x"),
    });
    p.inject(Side::Z, packet(tag, &[data]));
    assert_eq!(p.z.state(), State::Closed);
    assert!(aborted_for_protocol_violation(&p), "{:?}", p.z_events);
    assert!(p.sent().contains(&(Side::Z, ChunkType::ABORT)));
}

#[test]
fn i_data_on_a_data_association_is_a_protocol_violation() {
    let mut p = connect(Config::default(), Config::default());
    let tag = p.z.local_verification_tag();
    let idata = Chunk::IData(IDataChunk {
        tsn: p.a.local_initial_tsn(),
        stream_id: StreamId(0),
        mid: Mid(0),
        fragment: IDataFragment::First { ppid: Ppid::BINARY },
        unordered: false,
        ending: true,
        immediate_sack: false,
        payload: Bytes::from_static(b"x"),
    });
    p.inject(Side::Z, packet(tag, &[idata]));
    assert_eq!(p.z.state(), State::Closed);
    assert!(aborted_for_protocol_violation(&p), "{:?}", p.z_events);
}

#[test]
fn a_chunk_filling_a_gap_is_taken_past_the_chunk_limit() {
    // The receive buffer holds at most one chunk per 256 bytes (256 for
    // 64 KiB). I-DATA cannot renege, so when messages waiting behind a
    // gap fill that count, the chunk filling the gap is taken anyway:
    // dropping it would leave them waiting for good.
    let z_config = Config {
        interleaving: true,
        max_receive_buffer: 64 * 1024,
        ..Config::default()
    };
    let mut p = connect(interleaving(Scheduler::default()), z_config);
    let tag = p.z.local_verification_tag();
    let first = p.z.peer_initial_tsn().unwrap();
    let message = |n: u32| {
        Chunk::IData(IDataChunk {
            tsn: sctp_wire::Tsn(first.0.wrapping_add(n)),
            stream_id: StreamId(0),
            mid: Mid(n),
            fragment: IDataFragment::First { ppid: Ppid::BINARY },
            unordered: false,
            ending: true,
            immediate_sack: false,
            payload: Bytes::from_static(b"x"),
        })
    };
    // MIDs 1 ..= 256 wait for MID 0; the 257th is over the count.
    for batch in 0..8u32 {
        let chunks: Vec<Chunk> = (1..=32).map(|i| message(batch * 32 + i)).collect();
        p.z.handle_datagram(p.now, packet(tag, &chunks));
    }
    p.z.handle_datagram(p.now, packet(tag, &[message(257)]));
    assert_eq!(p.z.stats().data_dropped_no_buffer, 1, "past the limit");
    assert_eq!(p.z.read(), None, "all wait for MID 0");
    p.z.handle_datagram(p.now, packet(tag, &[message(0)]));
    let mut got = 0;
    while let Some(m) = p.z.read() {
        assert_eq!(&m.payload.into_bytes()[..], b"x");
        got += 1;
    }
    assert_eq!(got, 257, "MID 0 and the 256 behind it");
}

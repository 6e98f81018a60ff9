//! Stream reset (RFC 6525), the way WebRTC closes a data channel.

mod common;

use bytes::Bytes;
use common::{chunks_of, packet, Pair, Side};
use sctp_core::{Config, Event, SendError, State};
use sctp_wire::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

fn established(p: &Pair) -> bool {
    p.a.state() == State::Established && p.z.state() == State::Established
}

fn connected() -> Pair {
    let mut p = Pair::new(Config::default(), Config::default());
    p.run_until(100, established);
    p
}

fn send(p: &mut Pair, stream: u16, body: &'static [u8]) {
    p.a.send(p.now, stream, Ppid::BINARY, false, Bytes::from_static(body))
        .unwrap();
}

/// Every chunk a side sent, in order, recorded by the hook (which then
/// passes the packet on unless `drop` says otherwise).
type Log = Rc<RefCell<Vec<(Side, Chunk)>>>;

fn record(p: &mut Pair, mut drop: impl FnMut(Side, &[Chunk]) -> bool + 'static) -> Log {
    let log: Log = Rc::default();
    let seen = log.clone();
    p.hook = Box::new(move |side, d| {
        let chunks = chunks_of(&d);
        let dropped = drop(side, &chunks);
        seen.borrow_mut()
            .extend(chunks.into_iter().map(|c| (side, c)));
        (!dropped).then_some(d)
    });
    log
}

fn reads(p: &mut Pair) -> Vec<(u16, Bytes)> {
    std::iter::from_fn(|| p.z.read())
        .map(|m| (m.stream_id.0, m.payload.into_bytes()))
        .collect()
}

#[test]
fn closing_a_stream_sends_its_data_then_resets_it_and_the_reader_sees_the_end() {
    // RFC 6525 §5.1.2: the request goes once the stream's queued messages
    // have TSNs, and names the last TSN; the peer resets after receiving
    // everything up to it (§5.2.2), so its reader gets the messages, then
    // the end of the stream.
    let mut p = connected();
    let log = record(&mut p, |_, _| false);
    send(&mut p, 1, b"one");
    send(&mut p, 1, b"two");
    send(&mut p, 2, b"other stream");
    p.a.reset_streams(p.now, &[1]).unwrap();
    p.run_for(Duration::from_millis(500));
    let got = reads(&mut p);
    assert_eq!(
        got,
        [
            (1, Bytes::from_static(b"one")),
            (1, Bytes::from_static(b"two")),
            (2, Bytes::from_static(b"other stream"))
        ]
    );
    let readable = p.z_events.iter().position(|e| *e == Event::Readable);
    let reset = p
        .z_events
        .iter()
        .position(|e| *e == Event::IncomingStreamsReset(vec![1]));
    assert!(readable < reset && reset.is_some(), "{:?}", p.z_events);
    assert!(p.a_events.contains(&Event::OutgoingStreamsReset(vec![1])));
    // The request came after the DATA and names its last TSN.
    let log = log.borrow();
    let last_data = log
        .iter()
        .filter_map(|(_, c)| match c {
            Chunk::Data(d) => Some(d.tsn),
            _ => None,
        })
        .last()
        .unwrap();
    let request = log.iter().find_map(|(side, c)| match c {
        Chunk::Reconfig(r) if *side == Side::A => r.params.first().cloned(),
        _ => None,
    });
    let Some(Param::OutgoingSsnResetRequest {
        sender_last_tsn,
        streams,
        request_seq,
        ..
    }) = request
    else {
        panic!("no Outgoing SSN Reset Request: {request:?}");
    };
    assert_eq!(sender_last_tsn, last_data);
    assert_eq!(streams.iter().collect::<Vec<_>>(), [StreamId(1)]);
    // RFC 6525 §5.1.1: the first request carries the initial TSN.
    assert_eq!(Tsn(request_seq), p.a.local_initial_tsn());
    let answer = log.iter().find_map(|(side, c)| match c {
        Chunk::Reconfig(r) if *side == Side::Z => r.params.first().cloned(),
        _ => None,
    });
    assert_eq!(
        answer,
        Some(Param::ReconfigResponse {
            response_seq: request_seq,
            result: ReconfigResult::SUCCESS_PERFORMED,
            next_tsns: None
        })
    );
}

#[test]
fn a_reset_stream_starts_again_from_ssn_0() {
    let mut p = connected();
    let log = record(&mut p, |_, _| false);
    send(&mut p, 3, b"before");
    send(&mut p, 3, b"before too");
    p.a.reset_streams(p.now, &[3]).unwrap();
    assert_eq!(
        p.a.send(p.now, 3, Ppid::BINARY, false, Bytes::from_static(b"x")),
        Err(SendError::StreamResetting { stream: 3 }),
        "no new message while the reset is under way"
    );
    p.run_for(Duration::from_millis(500));
    assert!(p.a_events.contains(&Event::OutgoingStreamsReset(vec![3])));
    send(&mut p, 3, b"after");
    p.run_for(Duration::from_millis(500));
    let got: Vec<Bytes> = reads(&mut p).into_iter().map(|(_, b)| b).collect();
    assert_eq!(got, ["before", "before too", "after"]);
    let ssns: Vec<Ssn> = log
        .borrow()
        .iter()
        .filter_map(|(_, c)| match c {
            Chunk::Data(d) => Some(d.ssn),
            _ => None,
        })
        .collect();
    assert_eq!(ssns, [Ssn(0), Ssn(1), Ssn(0)]);
}

/// The results of the RE-CONFIG responses `side` sent, in order.
fn answers(log: &Log, from: Side) -> Vec<ReconfigResult> {
    log.borrow()
        .iter()
        .filter_map(|(side, c)| match c {
            Chunk::Reconfig(r) if *side == from => match r.params.first() {
                Some(Param::ReconfigResponse { result, .. }) => Some(*result),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn a_peer_request_ahead_of_its_data_waits_for_it() {
    // RFC 6525 §5.2.2: a request whose last TSN has not arrived is
    // answered In progress; once the data is in, the reset is performed.
    // (Our own requests wait for the acknowledgement, so A's is written
    // by hand here, as a peer that sends at once would send it.)
    let mut p = connected();
    let mut first = true;
    let log = record(&mut p, move |side, chunks| {
        let data = chunks.iter().any(|c| matches!(c, Chunk::Data(_)));
        let drop = side == Side::A && data && first;
        first &= !drop;
        drop
    });
    send(&mut p, 1, b"lost once");
    p.run_for(Duration::from_millis(50));
    // A -> Z: DATA "lost once"  X (lost)
    // A -> Z: RE-CONFIG, reset stream 1 after the TSN of "lost once"
    let request = Chunk::Reconfig(Reconfig {
        params: vec![Param::OutgoingSsnResetRequest {
            request_seq: p.a.local_initial_tsn().0,
            response_seq: p.a.peer_initial_tsn().unwrap().0.wrapping_sub(1),
            sender_last_tsn: p.a.local_initial_tsn(),
            streams: [StreamId(1)].into(),
        }],
    });
    let tag = p.z.local_verification_tag();
    p.inject(Side::Z, packet(tag, &[request]));
    // Z answers In progress; A's T3-rtx sends the DATA again.
    p.run_for(Duration::from_secs(5));
    assert_eq!(
        answers(&log, Side::Z),
        [
            ReconfigResult::IN_PROGRESS,
            ReconfigResult::SUCCESS_PERFORMED
        ]
    );
    assert_eq!(reads(&mut p), [(1, Bytes::from_static(b"lost once"))]);
    assert!(p.z_events.contains(&Event::IncomingStreamsReset(vec![1])));
}

#[test]
fn a_reset_request_waits_until_the_data_before_it_is_acknowledged() {
    // usrsctp 0.9.5 answers a request ahead of its data In progress and
    // performs it only when an in-order DATA chunk brings its cumulative
    // TSN to the reset point. When the retransmission that fills the last
    // gap brings it there (later chunks already in), it never does, and
    // answers every retransmitted request In progress. So the request
    // goes once the peer has acknowledged everything before it, and is
    // performed at once.
    let mut p = connected();
    let mut first = true;
    let log = record(&mut p, move |side, chunks| {
        let data = chunks.iter().any(|c| matches!(c, Chunk::Data(_)));
        let drop = side == Side::A && data && first;
        first &= !drop;
        drop
    });
    // Two messages too large to share a packet; the first is lost.
    p.a.send(p.now, 1, Ppid::BINARY, false, Bytes::from(vec![1u8; 1000]))
        .unwrap();
    p.a.send(p.now, 1, Ppid::BINARY, false, Bytes::from(vec![2u8; 1000]))
        .unwrap();
    p.a.reset_streams(p.now, &[1]).unwrap();
    // A -> Z: DATA 1  X (lost)
    // A -> Z: DATA 2
    // Z -> A: SACK, a gap for DATA 1; T3-rtx: DATA 1 again, SACK of both
    // A -> Z: RE-CONFIG, only now
    p.run_for(Duration::from_secs(5));
    assert_eq!(answers(&log, Side::Z), [ReconfigResult::SUCCESS_PERFORMED]);
    let log = log.borrow();
    let request_at = log
        .iter()
        .position(|(side, c)| *side == Side::A && matches!(c, Chunk::Reconfig(_)))
        .expect("a request");
    let last_tsn = Tsn(p.a.local_initial_tsn().0.wrapping_add(1));
    let acked_at = log
        .iter()
        .position(|(side, c)| {
            *side == Side::Z && matches!(c, Chunk::Sack(s) if s.cum_tsn_ack == last_tsn)
        })
        .expect("a SACK of both");
    assert!(acked_at < request_at, "the request went before the SACK");
    assert_eq!(reads(&mut p).len(), 2);
    assert!(p.z_events.contains(&Event::IncomingStreamsReset(vec![1])));
    assert!(p.a_events.contains(&Event::OutgoingStreamsReset(vec![1])));
}

#[test]
fn a_lost_request_is_sent_again() {
    // RFC 6525 §5.1.1: unanswered, the request goes again after the RTO.
    let mut p = connected();
    let mut first = true;
    let log = record(&mut p, move |side, chunks| {
        let request = chunks.iter().any(|c| matches!(c, Chunk::Reconfig(_)));
        let drop = side == Side::A && request && first;
        first &= !drop;
        drop
    });
    p.a.reset_streams(p.now, &[0]).unwrap();
    p.run_for(Duration::from_secs(3));
    let requests = log
        .borrow()
        .iter()
        .filter(|(side, c)| *side == Side::A && matches!(c, Chunk::Reconfig(_)))
        .count();
    assert_eq!(requests, 2);
    assert!(p.a_events.contains(&Event::OutgoingStreamsReset(vec![0])));
    assert!(p.z_events.contains(&Event::IncomingStreamsReset(vec![0])));
}

#[test]
fn requests_to_reset_our_outgoing_streams_are_denied_and_bad_sequence_numbers_reported() {
    // RFC 6525 §5.2.3: we do not reset our outgoing streams on demand;
    // §5.2.1: a request out of sequence is answered Bad Sequence Number.
    let mut p = connected();
    let log = record(&mut p, |_, _| false);
    let tag = p.z.local_verification_tag();
    let first_seq = p.z.peer_initial_tsn().unwrap().0;
    for seq in [first_seq, first_seq.wrapping_add(5)] {
        let request = Chunk::Reconfig(Reconfig {
            params: vec![Param::IncomingSsnResetRequest {
                request_seq: seq,
                streams: [StreamId(1)].into(),
            }],
        });
        p.inject(Side::Z, packet(tag, &[request]));
    }
    let answers: Vec<Param> = log
        .borrow()
        .iter()
        .filter_map(|(side, c)| match c {
            Chunk::Reconfig(r) if *side == Side::Z => r.params.first().cloned(),
            _ => None,
        })
        .collect();
    assert_eq!(
        answers,
        [
            Param::ReconfigResponse {
                response_seq: first_seq,
                result: ReconfigResult::DENIED,
                next_tsns: None
            },
            Param::ReconfigResponse {
                response_seq: first_seq.wrapping_add(5),
                result: ReconfigResult::ERROR_BAD_SEQUENCE_NUMBER,
                next_tsns: None
            }
        ]
    );
}

#[test]
fn both_sides_announce_re_config() {
    // RFC 6525 §5 with RFC 5061 §4.2.7: RE-CONFIG in Supported Extensions,
    // in the INIT and in the INIT ACK.
    let lists_re_config = |params: &[Param]| {
        params.iter().any(|param| {
            matches!(
                param,
                Param::SupportedExtensions(kinds) if kinds.iter().any(|k| k == ChunkType::RE_CONFIG)
            )
        })
    };
    let mut p = Pair::new(Config::default(), Config::default());
    let init = p.a.poll_transmit(p.now).unwrap();
    let Some(Chunk::Init(init)) = chunks_of(&init).into_iter().next() else {
        panic!("no INIT");
    };
    assert!(lists_re_config(&init.params), "INIT");
    p.z.handle_datagram(p.now, packet(0, &[Chunk::Init(init)]));
    let ack = p.z.poll_transmit(p.now).unwrap();
    let Some(Chunk::InitAck(ack)) = chunks_of(&ack).into_iter().next() else {
        panic!("no INIT ACK");
    };
    assert!(lists_re_config(&ack.params), "INIT ACK");
}

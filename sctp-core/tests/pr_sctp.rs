//! Partial reliability (RFC 3758): messages given up under their policy,
//! skipped at the peer by FORWARD TSN.

mod common;

use bytes::Bytes;
use common::{record_a, Pair};
use sctp_core::{Config, Reliability, State};
use sctp_wire::*;
use std::time::Duration;

fn established(p: &Pair) -> bool {
    p.a.state() == State::Established && p.z.state() == State::Established
}

fn connected() -> Pair {
    let mut p = Pair::new(Config::default(), Config::default());
    p.run_until(100, established);
    p
}

fn reads(p: &mut Pair) -> Vec<Bytes> {
    std::iter::from_fn(|| p.z.read())
        .map(|m| m.payload.into_bytes())
        .collect()
}

fn body(text: &'static str) -> Bytes {
    Bytes::from_static(text.as_bytes())
}

fn has_data(chunks: &[Chunk], text: &[u8]) -> bool {
    chunks
        .iter()
        .any(|c| matches!(c, Chunk::Data(d) if d.payload == text))
}

#[test]
fn a_message_with_no_retransmissions_is_skipped_once_lost() {
    // RFC 3758 §3.5: Rexmit(0) gives the message up instead of sending it
    // again; a FORWARD TSN moves the peer past it, and the ordered message
    // after it is delivered (its SSN is skipped, §3.6).
    let mut p = connected();
    let log = record_a(&mut p, |chunks| has_data(chunks, b"lost"));
    p.a.send_with(
        p.now,
        0,
        Ppid::BINARY,
        false,
        Reliability::Rexmit(0),
        body("lost"),
    )
    .unwrap();
    p.a.send(p.now, 0, Ppid::BINARY, false, body("kept"))
        .unwrap();
    p.run_for(Duration::from_secs(5));
    assert_eq!(reads(&mut p), ["kept"]);
    let log = log.borrow();
    let lost_sends = log
        .iter()
        .filter(|c| matches!(c, Chunk::Data(d) if d.payload == "lost"))
        .count();
    assert_eq!(lost_sends, 1, "never sent again");
    let forward = log.iter().find_map(|c| match c {
        Chunk::ForwardTsn(f) => Some(f.clone()),
        _ => None,
    });
    let forward = forward.expect("a FORWARD TSN");
    assert_eq!(forward.new_cum_tsn, p.z.peer_initial_tsn().unwrap());
    assert_eq!(
        forward.streams.iter().collect::<Vec<_>>(),
        [ForwardTsnStream {
            stream_id: StreamId(0),
            ssn: Ssn(0)
        }]
    );
    let counters = p.a.transfer_stats().unwrap().counters;
    assert_eq!(counters.messages_abandoned, 1);
    assert!(p.a.all_data_acknowledged());
}

#[test]
fn rexmit_n_allows_n_retransmissions() {
    // RFC 3758 §3.5 A2 with pion's Rexmit semantics: sent at most 1 + n
    // times.
    let mut p = connected();
    let log = record_a(&mut p, |chunks| has_data(chunks, b"doomed"));
    p.a.send_with(
        p.now,
        1,
        Ppid::BINARY,
        true,
        Reliability::Rexmit(2),
        body("doomed"),
    )
    .unwrap();
    p.run_for(Duration::from_secs(30));
    let sends = log
        .borrow()
        .iter()
        .filter(|c| matches!(c, Chunk::Data(d) if d.payload == "doomed"))
        .count();
    assert_eq!(sends, 3);
    assert!(p.a.all_data_acknowledged());
    assert_eq!(p.a.state(), State::Established);
}

#[test]
fn a_timed_message_is_given_up_when_its_lifetime_ends_even_unsent() {
    // RFC 3758 §3.1 timed reliability: a message whose lifetime ran out
    // before it could go is never sent.
    let mut p = connected();
    let log = record_a(&mut p, |_| false);
    p.a.send_with(
        p.now,
        0,
        Ppid::BINARY,
        false,
        Reliability::Timed(Duration::from_millis(100)),
        body("stale"),
    )
    .unwrap();
    p.now += Duration::from_millis(150);
    p.a.send(p.now, 0, Ppid::BINARY, false, body("fresh"))
        .unwrap();
    p.run_for(Duration::from_secs(1));
    assert_eq!(reads(&mut p), ["fresh"]);
    assert!(!log
        .borrow()
        .iter()
        .any(|c| matches!(c, Chunk::Data(d) if d.payload == "stale")));
    assert_eq!(p.a.transfer_stats().unwrap().counters.messages_abandoned, 1);
}

#[test]
fn a_timed_fragmented_message_is_abandoned_whole() {
    // RFC 3758 §3.5 A3: all fragments of a message go together; the peer
    // drops the pieces it holds when the FORWARD TSN passes them.
    // The first fragment never arrives: its retransmissions are dropped
    // too, until the lifetime ends and the message is given up.
    let mut p = connected();
    let log = record_a(&mut p, move |chunks| {
        chunks
            .iter()
            .any(|c| matches!(c, Chunk::Data(d) if d.beginning && d.payload.len() > 1000))
    });
    let big = Bytes::from(vec![9u8; 5000]);
    p.a.send_with(
        p.now,
        2,
        Ppid::BINARY,
        false,
        Reliability::Timed(Duration::from_millis(500)),
        big,
    )
    .unwrap();
    p.a.send(p.now, 2, Ppid::BINARY, false, body("next"))
        .unwrap();
    p.run_for(Duration::from_secs(5));
    assert_eq!(reads(&mut p), ["next"]);
    assert!(log
        .borrow()
        .iter()
        .any(|c| matches!(c, Chunk::ForwardTsn(_))));
    assert!(p.a.all_data_acknowledged());
}

#[test]
fn data_channel_control_messages_are_always_reliable_and_ordered() {
    // RFC 8832 §6 (as pion does): a DCEP message (PPID 50) is never given
    // up and never sent unordered, whatever the caller asked.
    let mut p = connected();
    let mut drops = 2;
    let log = record_a(&mut p, move |chunks| {
        let drop = drops > 0 && has_data(chunks, b"open");
        drops -= usize::from(drop);
        drop
    });
    p.a.send_with(
        p.now,
        0,
        Ppid::DCEP,
        true,
        Reliability::Rexmit(0),
        body("open"),
    )
    .unwrap();
    p.run_for(Duration::from_secs(10));
    assert_eq!(reads(&mut p), ["open"]);
    let log = log.borrow();
    assert!(log
        .iter()
        .all(|c| !matches!(c, Chunk::Data(d) if d.unordered)));
    assert!(!log.iter().any(|c| matches!(c, Chunk::ForwardTsn(_))));
}

#[test]
fn a_timed_message_partly_sent_when_its_lifetime_ends_does_not_stall_its_stream() {
    // The first fragments of a 30 kB message go (and are acknowledged)
    // within its 10 ms lifetime, the rest after: no FORWARD TSN could make
    // the peer drop the part it holds once those are acknowledged, so the
    // message is finished, and the ordered message after it delivered.
    let mut p = connected();
    let big = Bytes::from(vec![5u8; 30_000]);
    p.a.send_with(
        p.now,
        4,
        Ppid::BINARY,
        false,
        Reliability::Timed(Duration::from_millis(10)),
        big.clone(),
    )
    .unwrap();
    p.a.send(p.now, 4, Ppid::BINARY, false, body("after"))
        .unwrap();
    p.run_for(Duration::from_secs(2));
    assert_eq!(reads(&mut p), [big, body("after")]);
    assert!(p.a.all_data_acknowledged());
}

#[test]
fn a_stream_reset_waiting_for_abandoned_tsns_is_performed_once_forward_tsn_skips_them() {
    // RFC 6525 §5.2.2 defers the reset until every TSN up to the
    // request's last one has arrived; RFC 3758 §3.6 makes a FORWARD TSN
    // count for the TSNs it skips. A lost Rexmit(0) message must not hold
    // the reset up for ever.
    let mut p = connected();
    let _log = record_a(&mut p, |chunks| has_data(chunks, b"lost"));
    p.a.send_with(
        p.now,
        1,
        Ppid::BINARY,
        false,
        Reliability::Rexmit(0),
        body("lost"),
    )
    .unwrap();
    p.a.reset_streams(p.now, &[1]).unwrap();
    p.run_for(Duration::from_secs(10));
    assert!(reads(&mut p).is_empty());
    assert!(
        p.a_events
            .contains(&sctp_core::Event::OutgoingStreamsReset(vec![1])),
        "{:?}",
        p.a_events
    );
    assert!(p
        .z_events
        .contains(&sctp_core::Event::IncomingStreamsReset(vec![1])));
}

#[test]
fn a_stream_reset_behind_a_timed_message_given_up_unsent_still_goes() {
    // RFC 6525 §5.1.2: the request waits until the stream's queued
    // messages have TSNs. A timed message given up before it went out
    // (RFC 3758 §3.1) gets none, and leaves nothing to wait for.
    let mut p = connected();
    p.a.send_with(
        p.now,
        1,
        Ppid::BINARY,
        false,
        Reliability::Timed(Duration::from_millis(10)),
        body("too late"),
    )
    .unwrap();
    p.a.reset_streams(p.now, &[1]).unwrap();
    // Its lifetime ends before the association builds a packet.
    p.now += Duration::from_millis(20);
    p.run_for(Duration::from_secs(5));
    assert!(reads(&mut p).is_empty());
    assert_eq!(p.a.transfer_stats().unwrap().counters.messages_abandoned, 1);
    assert!(
        p.a_events
            .contains(&sctp_core::Event::OutgoingStreamsReset(vec![1])),
        "{:?}",
        p.a_events
    );
}

//! Graceful shutdown (RFC 9260 §9.2) over the pair harness.

mod common;

use bytes::Bytes;
use common::{Pair, Side};
use sctp_core::{CloseReason, Config, Event, SendError, State};
use sctp_wire::*;
use std::time::Duration;

fn established(p: &Pair) -> bool {
    p.a.state() == State::Established && p.z.state() == State::Established
}

fn closed(p: &Pair) -> bool {
    p.a.state() == State::Closed && p.z.state() == State::Closed
}

fn connected() -> Pair {
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    p
}

/// The shutdown chunks sent, in order, after the handshake.
fn shutdown_sequence(p: &Pair) -> Vec<(Side, ChunkType)> {
    p.sent()
        .into_iter()
        .filter(|(_, t)| {
            matches!(
                *t,
                ChunkType::SHUTDOWN | ChunkType::SHUTDOWN_ACK | ChunkType::SHUTDOWN_COMPLETE
            )
        })
        .collect()
}

#[test]
fn shutdown_delivers_queued_data_then_closes_both_sides() {
    // RFC 9260 §9.2: SHUTDOWN only once all outstanding data is
    // acknowledged; then SHUTDOWN ACK and SHUTDOWN COMPLETE.
    let mut p = connected();
    let sent: Vec<Bytes> = (0..20u8).map(|i| Bytes::from(vec![i; 3000])).collect();
    for m in &sent {
        p.a.send(p.now, 0, Ppid::BINARY, false, m.clone()).unwrap();
    }
    p.a.shutdown(p.now);
    assert_eq!(p.a.state(), State::ShutdownPending);
    assert_eq!(
        p.a.send(p.now, 0, Ppid::BINARY, false, Bytes::from_static(b"late")),
        Err(SendError::NotEstablished),
        "no new data after shutdown"
    );
    let mut got = Vec::new();
    p.run_until(10_000, closed);
    while let Some(m) = p.z.read() {
        got.push(m.payload.into_bytes());
    }
    assert_eq!(got, sent);
    assert_eq!(
        shutdown_sequence(&p),
        [
            (Side::A, ChunkType::SHUTDOWN),
            (Side::Z, ChunkType::SHUTDOWN_ACK),
            (Side::A, ChunkType::SHUTDOWN_COMPLETE),
        ]
    );
    // SHUTDOWN comes after the last DATA.
    let sent_all = p.sent();
    let last_data = sent_all
        .iter()
        .rposition(|(_, t)| *t == ChunkType::DATA)
        .unwrap();
    let shutdown = sent_all
        .iter()
        .position(|(_, t)| *t == ChunkType::SHUTDOWN)
        .unwrap();
    assert!(shutdown > last_data);
    assert_eq!(
        p.a_events.last(),
        Some(&Event::Closed(CloseReason::Shutdown))
    );
    assert_eq!(
        p.z_events.last(),
        Some(&Event::Closed(CloseReason::Shutdown))
    );
    assert_eq!(p.a.poll_timeout(), None);
    assert_eq!(p.z.poll_timeout(), None);
}

#[test]
fn the_server_can_shut_down_too() {
    let mut p = connected();
    p.z.send(p.now, 1, Ppid::STRING, false, Bytes::from_static(b"bye"))
        .unwrap();
    p.z.shutdown(p.now);
    p.run_until(1000, closed);
    assert_eq!(
        p.a.read().map(|m| m.payload.into_bytes()),
        Some(Bytes::from_static(b"bye"))
    );
    assert_eq!(
        shutdown_sequence(&p),
        [
            (Side::Z, ChunkType::SHUTDOWN),
            (Side::A, ChunkType::SHUTDOWN_ACK),
            (Side::Z, ChunkType::SHUTDOWN_COMPLETE),
        ]
    );
}

#[test]
fn a_lost_shutdown_is_sent_again_by_t2() {
    // RFC 9260 §9.2: T2-shutdown retransmits the SHUTDOWN.
    let mut p = connected();
    let mut dropped = false;
    p.hook = Box::new(move |side, d| {
        if side == Side::A && !dropped && common::chunk_types(&d).contains(&ChunkType::SHUTDOWN) {
            dropped = true;
            return None;
        }
        Some(d)
    });
    p.a.shutdown(p.now);
    let start = p.now;
    p.run_until(1000, closed);
    assert_eq!(
        shutdown_sequence(&p)[..2],
        [
            (Side::A, ChunkType::SHUTDOWN),
            (Side::A, ChunkType::SHUTDOWN)
        ]
    );
    assert!(p.now - start >= Duration::from_secs(1), "after one RTO");
}

#[test]
fn a_lost_shutdown_complete_is_answered_from_the_closed_side() {
    // RFC 9260 §8.4 rule 5: the SHUTDOWN ACK retransmitted to a closed
    // association gets a SHUTDOWN COMPLETE with the T bit.
    let mut p = connected();
    let mut dropped = false;
    p.hook = Box::new(move |side, d| {
        if side == Side::A
            && !dropped
            && common::chunk_types(&d).contains(&ChunkType::SHUTDOWN_COMPLETE)
        {
            dropped = true;
            return None;
        }
        Some(d)
    });
    p.a.shutdown(p.now);
    p.run_until(1000, closed);
    assert_eq!(
        p.z_events.last(),
        Some(&Event::Closed(CloseReason::Shutdown))
    );
    let completes = shutdown_sequence(&p)
        .iter()
        .filter(|(_, t)| *t == ChunkType::SHUTDOWN_COMPLETE)
        .count();
    assert_eq!(completes, 2);
}

#[test]
fn both_sides_shutting_down_at_once_still_close_cleanly() {
    // RFC 9260 §9.2: SHUTDOWN received in SHUTDOWN-SENT is answered with
    // SHUTDOWN ACK; SHUTDOWN ACK in SHUTDOWN-ACK-SENT completes.
    let mut p = connected();
    p.a.shutdown(p.now);
    p.z.shutdown(p.now);
    p.run_until(1000, closed);
    assert_eq!(
        p.a_events.last(),
        Some(&Event::Closed(CloseReason::Shutdown))
    );
    assert_eq!(
        p.z_events.last(),
        Some(&Event::Closed(CloseReason::Shutdown))
    );
}

#[test]
fn an_unanswered_shutdown_gives_up_after_association_max_retrans() {
    // RFC 9260 §9.2: T2 expiries count against Association.Max.Retrans.
    let config = Config {
        rto_initial: Duration::from_millis(100),
        rto_min: Duration::from_millis(100),
        rto_max: Duration::from_millis(200),
        association_max_retrans: 2,
        ..Config::default()
    };
    let mut p = Pair::new(config, Config::default());
    p.run_until(100, established);
    p.hook = Box::new(|side, d| (side == Side::Z).then_some(d));
    p.a.shutdown(p.now);
    p.run_until(1000, |p| p.a.state() == State::Closed);
    assert_eq!(
        p.a_events.last(),
        Some(&Event::Closed(CloseReason::PeerUnreachable))
    );
    let shutdowns = shutdown_sequence(&p)
        .iter()
        .filter(|(_, t)| *t == ChunkType::SHUTDOWN)
        .count();
    assert_eq!(shutdowns, 3, "SHUTDOWN and two retransmissions");
}

#[test]
fn shutdown_during_the_handshake_aborts() {
    let mut p = Pair::default_pair();
    p.a.shutdown(p.now);
    assert_eq!(p.a.state(), State::Closed);
    assert!(matches!(
        p.a.poll_event(),
        Some(Event::Closed(CloseReason::LocalAbort(_)))
    ));
}

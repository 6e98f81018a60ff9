//! Per-stream buffered amounts and their low-water event (pion's
//! `BufferedAmount`, `SetBufferedAmountLowThreshold`,
//! `OnBufferedAmountLow`), and RFC 8831 §6.6 empty messages.

mod common;

use bytes::Bytes;
use common::{chunks_of, Pair, Side};
use sctp_core::{Config, Event, Reliability, SendError, State};
use sctp_wire::{Chunk, Ppid};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

fn connected() -> Pair {
    let mut p = Pair::default_pair();
    p.run_until(100, |p| {
        p.a.state() == State::Established && p.z.state() == State::Established
    });
    p
}

fn lows(events: &[Event]) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::BufferedAmountLow(s) => Some(*s),
            _ => None,
        })
        .collect()
}

#[test]
fn buffered_amount_counts_queued_and_unacknowledged_bytes_per_stream() {
    let mut p = connected();
    assert_eq!(p.a.buffered_amount(1), 0);
    let now = p.now;
    for _ in 0..4 {
        p.a.send(now, 1, Ppid::BINARY, false, Bytes::from(vec![1u8; 10_000]))
            .unwrap();
    }
    p.a.send(now, 2, Ppid::BINARY, false, Bytes::from(vec![2u8; 3_000]))
        .unwrap();
    assert_eq!(p.a.buffered_amount(1), 40_000);
    assert_eq!(p.a.buffered_amount(2), 3_000);
    assert_eq!(p.a.buffered_amount(3), 0);

    // Sent but not yet acknowledged: still buffered.
    let _ = p.a.poll_transmit(p.now);
    assert_eq!(p.a.buffered_amount(1), 40_000);

    p.run_for(Duration::from_secs(1));
    assert_eq!(p.a.buffered_amount(1), 0);
    assert_eq!(p.a.buffered_amount(2), 0);
    // With the default threshold of 0, each stream that drained says so
    // once.
    let mut low = lows(&p.a_events);
    low.sort_unstable();
    assert_eq!(low, [1, 2]);
}

#[test]
fn the_low_event_fires_once_when_the_amount_falls_to_the_threshold() {
    let mut p = connected();
    p.a.set_buffered_amount_low_threshold(1, 20_000).unwrap();
    assert_eq!(p.a.buffered_amount_low_threshold(1), 20_000);
    let now = p.now;
    for _ in 0..10 {
        p.a.send(now, 1, Ppid::BINARY, false, Bytes::from(vec![7u8; 10_000]))
            .unwrap();
    }
    // Step until the event, and look at the amount when it comes.
    let mut seen_at = None;
    p.run_until(10_000, |p| {
        if lows(&p.a_events).contains(&1) {
            seen_at.get_or_insert(p.a.buffered_amount(1));
        }
        p.a.buffered_amount(1) == 0
    });
    let at = seen_at.expect("a BufferedAmountLow event");
    assert!(at <= 20_000, "raised at {at} bytes, above the threshold");
    assert!(at > 0, "raised only once all was acknowledged");
    p.run_for(Duration::from_secs(1));
    assert_eq!(lows(&p.a_events), [1], "once, not again on the way to 0");
}

#[test]
fn a_stream_that_stays_above_its_threshold_raises_nothing() {
    let mut p = connected();
    p.a.set_buffered_amount_low_threshold(1, 5_000).unwrap();
    let now = p.now;
    p.a.send(now, 1, Ppid::BINARY, false, Bytes::from(vec![7u8; 4_000]))
        .unwrap();
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.a.buffered_amount(1), 0);
    assert!(lows(&p.a_events).is_empty(), "never above the threshold");
}

#[test]
fn abandoned_messages_leave_the_buffer() {
    // RFC 3758: a message given up (here never retransmitted, and every
    // DATA packet lost) is no longer buffered.
    let mut p = connected();
    p.hook = Box::new(|side, d| {
        let data = chunks_of(&d).iter().any(|c| matches!(c, Chunk::Data(_)));
        (side == Side::Z || !data).then_some(d)
    });
    let now = p.now;
    for _ in 0..5 {
        p.a.send_with(
            now,
            3,
            Ppid::BINARY,
            true,
            Reliability::Rexmit(0),
            Bytes::from(vec![3u8; 2_000]),
        )
        .unwrap();
    }
    assert_eq!(p.a.buffered_amount(3), 10_000);
    p.run_for(Duration::from_secs(10));
    assert_eq!(p.a.buffered_amount(3), 0);
    assert_eq!(lows(&p.a_events), [3]);
    assert_eq!(p.a.transfer_stats().unwrap().counters.messages_abandoned, 5);
}

#[test]
fn timed_messages_that_never_went_out_leave_the_buffer() {
    // RFC 3758 §3.1: a timed message whose lifetime ends while it waits
    // is given up unsent. A zero window holds it back.
    let small = Config {
        max_receive_buffer: 64 * 1024,
        ..Config::default()
    };
    let mut p = Pair::new(Config::default(), small);
    p.run_until(100, |p| {
        p.a.state() == State::Established && p.z.state() == State::Established
    });
    let now = p.now;
    // Twice the peer's window of reliable data it does not read.
    for _ in 0..4 {
        p.a.send(now, 0, Ppid::BINARY, false, Bytes::from(vec![0u8; 32_000]))
            .unwrap();
    }
    p.a.send_with(
        now,
        4,
        Ppid::BINARY,
        false,
        Reliability::Timed(Duration::from_millis(100)),
        Bytes::from(vec![4u8; 1_000]),
    )
    .unwrap();
    assert_eq!(p.a.buffered_amount(4), 1_000);
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.a.buffered_amount(4), 0);
    assert!(lows(&p.a_events).contains(&4));
}

#[test]
fn thresholds_are_refused_before_the_handshake_and_past_the_streams() {
    let mut p = Pair::default_pair();
    assert_eq!(
        p.a.set_buffered_amount_low_threshold(0, 1),
        Err(SendError::NotEstablished)
    );
    p.run_until(100, |p| p.a.state() == State::Established);
    let (outbound, _) = p.a.streams().unwrap();
    assert_eq!(
        p.a.set_buffered_amount_low_threshold(outbound, 1),
        Err(SendError::InvalidStream {
            stream: outbound,
            outbound
        })
    );
}

/// Every DATA chunk A sends, as (PPID, payload).
fn data_log(p: &mut Pair) -> Rc<RefCell<Vec<(Ppid, Bytes)>>> {
    let log: Rc<RefCell<Vec<(Ppid, Bytes)>>> = Rc::default();
    let seen = log.clone();
    p.hook = Box::new(move |side, d| {
        if side == Side::A {
            for c in chunks_of(&d) {
                if let Chunk::Data(data) = c {
                    seen.borrow_mut().push((data.ppid, data.payload));
                }
            }
        }
        Some(d)
    });
    log
}

#[test]
fn an_empty_webrtc_message_goes_as_one_zero_byte_and_arrives_empty() {
    // RFC 8831 §6.6: String and Binary have Empty PPIDs, 56 and 57.
    let mut p = connected();
    let log = data_log(&mut p);
    let now = p.now;
    p.a.send(now, 0, Ppid::STRING, false, Bytes::new()).unwrap();
    p.a.send(now, 0, Ppid::BINARY, false, Bytes::new()).unwrap();
    p.a.send(now, 0, Ppid::BINARY_EMPTY, false, Bytes::new())
        .unwrap();
    p.a.send(now, 0, Ppid::BINARY, false, Bytes::from_static(b"x"))
        .unwrap();
    p.run_for(Duration::from_secs(1));
    let zero = Bytes::from_static(&[0]);
    assert_eq!(
        *log.borrow(),
        [
            (Ppid::STRING_EMPTY, zero.clone()),
            (Ppid::BINARY_EMPTY, zero.clone()),
            (Ppid::BINARY_EMPTY, zero),
            (Ppid::BINARY, Bytes::from_static(b"x")),
        ]
    );
    let got: Vec<(Ppid, Bytes)> = std::iter::from_fn(|| p.z.read())
        .map(|m| (m.ppid, m.payload.into_bytes()))
        .collect();
    assert_eq!(
        got,
        [
            (Ppid::STRING_EMPTY, Bytes::new()),
            (Ppid::BINARY_EMPTY, Bytes::new()),
            (Ppid::BINARY_EMPTY, Bytes::new()),
            (Ppid::BINARY, Bytes::from_static(b"x")),
        ]
    );
    let counters = p.z.transfer_stats().unwrap().counters;
    assert_eq!(
        (counters.messages_received, counters.bytes_received),
        (4, 1)
    );
}

#[test]
fn an_empty_message_with_another_ppid_is_refused() {
    let mut p = connected();
    let now = p.now;
    assert_eq!(
        p.a.send(now, 0, Ppid(1234), false, Bytes::new()),
        Err(SendError::EmptyMessage)
    );
    assert_eq!(
        p.a.send(now, 0, Ppid::DCEP, false, Bytes::new()),
        Err(SendError::EmptyMessage)
    );
}

#[test]
fn a_received_empty_ppid_message_is_empty_whatever_it_carries() {
    // RFC 8831 §6.6: the receiver ignores the content of an Empty PPID
    // message. A peer may put anything there.
    let mut p = connected();
    let now = p.now;
    p.a.send(
        now,
        2,
        Ppid::STRING_EMPTY,
        false,
        Bytes::from_static(b"junk"),
    )
    .unwrap();
    p.run_for(Duration::from_secs(1));
    let m = p.z.read().expect("a message");
    assert_eq!(m.ppid, Ppid::STRING_EMPTY);
    assert!(m.payload.is_empty());
}

//! Stream schedulers (RFC 8260 §3): first come first served, round robin
//! and weighted fair queueing, seen in what the peer receives.

mod common;

use bytes::Bytes;
use common::Pair;
use sctp_core::{Config, Scheduler, SendError, State};
use sctp_wire::Ppid;
use std::num::NonZeroU16;
use std::time::Duration;

fn connected(scheduler: Scheduler) -> Pair {
    connected_to(scheduler, Config::default())
}

fn connected_to(scheduler: Scheduler, peer: Config) -> Pair {
    let config = Config {
        scheduler,
        ..Config::default()
    };
    let mut p = Pair::new(config, peer);
    p.run_until(100, |p| {
        p.a.state() == State::Established && p.z.state() == State::Established
    });
    p
}

/// The stream of every message Z received, in order.
fn arrivals(p: &mut Pair) -> Vec<u16> {
    std::iter::from_fn(|| p.z.read())
        .map(|m| m.stream_id.0)
        .collect()
}

/// Ten 8 KiB messages on stream 1, then ten small ones on stream 2, all
/// queued at once; the position of stream 2's second message in Z's order.
fn second_small_message_position(scheduler: Scheduler) -> usize {
    let mut p = connected(scheduler);
    let now = p.now;
    for _ in 0..10 {
        p.a.send(now, 1, Ppid::BINARY, false, Bytes::from(vec![1u8; 8192]))
            .unwrap();
    }
    for _ in 0..10 {
        p.a.send(now, 2, Ppid::BINARY, false, Bytes::from_static(b"small"))
            .unwrap();
    }
    p.run_for(Duration::from_secs(5));
    let order = arrivals(&mut p);
    assert_eq!(order.len(), 20);
    order
        .iter()
        .enumerate()
        .filter(|(_, &s)| s == 2)
        .nth(1)
        .map(|(i, _)| i)
        .unwrap()
}

#[test]
fn first_come_first_served_keeps_the_queueing_order() {
    // RFC 8260 §3.1: the small messages were queued last, so they go last.
    assert_eq!(second_small_message_position(Scheduler::Fcfs), 11);
}

#[test]
fn round_robin_lets_each_stream_send_a_message_in_turn() {
    // RFC 8260 §3.2: 1, 2, 1, 2, ...: the second small message is fourth.
    assert_eq!(second_small_message_position(Scheduler::RoundRobin), 3);
}

#[test]
fn weighted_fair_queueing_shares_a_saturated_path_by_weight() {
    // RFC 8260 §3.6: with weights 1:3 and both streams always holding
    // data, the bytes delivered split 1:3 (issue: within 10 %).
    // The peer's window, 64 KiB a round trip, is the bottleneck.
    let small_window = Config {
        max_receive_buffer: 64 * 1024,
        ..Config::default()
    };
    let mut p = connected_to(Scheduler::WeightedFair, small_window);
    p.a.set_stream_weight(1, NonZeroU16::new(1).unwrap())
        .unwrap();
    p.a.set_stream_weight(2, NonZeroU16::new(3).unwrap())
        .unwrap();
    assert_eq!(p.a.stream_weight(2).get(), 3);
    let message = Bytes::from(vec![9u8; 1000]);
    let mut received = [0usize; 3];
    for _ in 0..400 {
        // Keep both streams backlogged: the path, not the application,
        // is the limit.
        let now = p.now;
        for stream in [1, 2] {
            while p.a.buffered_amount(stream) < 200_000 {
                match p.a.send(now, stream, Ppid::BINARY, false, message.clone()) {
                    Ok(()) => {}
                    Err(SendError::BufferFull { .. }) => break,
                    Err(e) => panic!("{e}"),
                }
            }
        }
        p.run_for(Duration::from_millis(20));
        while let Some(m) = p.z.read() {
            received[usize::from(m.stream_id.0)] += m.payload.len();
        }
    }
    assert!(received[1] > 500_000, "too little moved: {received:?}");
    let share = received[2] as f64 / received[1] as f64;
    assert!(
        (2.7..=3.3).contains(&share),
        "stream 2 to stream 1: {share}: {received:?}"
    );
}

#[test]
fn weights_are_refused_before_the_handshake_and_past_the_streams() {
    let mut p = Pair::default_pair();
    let two = NonZeroU16::new(2).unwrap();
    assert_eq!(
        p.a.set_stream_weight(0, two),
        Err(SendError::NotEstablished)
    );
    p.run_until(100, |p| p.a.state() == State::Established);
    let (outbound, _) = p.a.streams().unwrap();
    assert_eq!(
        p.a.set_stream_weight(outbound, two),
        Err(SendError::InvalidStream {
            stream: outbound,
            outbound
        })
    );
}

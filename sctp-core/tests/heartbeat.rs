//! Heartbeats on an idle association (RFC 9260 §8.3).

mod common;

use bytes::Bytes;
use common::{packet, Pair, Side};
use sctp_core::{CloseReason, Config, Event, State};
use sctp_wire::*;
use std::time::Duration;

fn established(p: &Pair) -> bool {
    p.a.state() == State::Established && p.z.state() == State::Established
}

fn heartbeats(p: &Pair, side: Side) -> usize {
    p.sent()
        .iter()
        .filter(|(s, t)| *s == side && *t == ChunkType::HEARTBEAT)
        .count()
}

#[test]
fn an_idle_association_heartbeats_and_measures_the_rtt() {
    // RFC 9260 §8.3: a HEARTBEAT after HB.interval + RTO of idleness; the
    // HEARTBEAT ACK gives an RTT measurement.
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    assert_eq!(
        p.a.transfer_stats().unwrap().srtt_us,
        None,
        "no data yet, no RTT"
    );
    let start = p.now;
    p.run_until(100, |p| {
        heartbeats(p, Side::A) > 0 && p.a.transfer_stats().unwrap().srtt_us.is_some()
    });
    // 30 s interval + 1 s RTO, then 20 ms for the answer.
    assert_eq!(p.now - start, Duration::from_millis(31_020));
    assert_eq!(p.a.transfer_stats().unwrap().srtt_us, Some(20_000));
    assert_eq!(p.a.state(), State::Established);
}

#[test]
fn heartbeats_stay_quiet_while_data_flows() {
    let config = Config {
        heartbeat_interval: Some(Duration::from_millis(500)),
        ..Config::default()
    };
    let mut p = Pair::new(config.clone(), config);
    p.run_until(100, established);
    // A message every 100 ms for 3 s keeps the path busy.
    for _ in 0..30 {
        p.a.send(p.now, 0, Ppid::BINARY, false, Bytes::from_static(b"tick"))
            .unwrap();
        p.run_for(Duration::from_millis(100));
        while p.z.read().is_some() {}
    }
    assert_eq!(heartbeats(&p, Side::A), 0);
}

#[test]
fn unanswered_heartbeats_declare_the_peer_unreachable() {
    // RFC 9260 §8.3: each HEARTBEAT unanswered within an RTO is an error;
    // past Association.Max.Retrans the association closes.
    let config = Config {
        heartbeat_interval: Some(Duration::from_secs(1)),
        association_max_retrans: 2,
        ..Config::default()
    };
    let mut p = Pair::new(config, Config::default());
    p.run_until(100, established);
    p.hook = Box::new(|side, d| (side == Side::A).then_some(d));
    p.run_until(100, |p| p.a.state() == State::Closed);
    assert_eq!(
        p.a_events.last(),
        Some(&Event::Closed(CloseReason::PeerUnreachable))
    );
    assert_eq!(heartbeats(&p, Side::A), 3);
}

#[test]
fn a_heartbeat_ack_with_unknown_information_is_ignored() {
    // The information is a nonce of ours: a forged answer gives no RTT.
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    let tag = p.a.local_verification_tag();
    let forged = Chunk::HeartbeatAck(Heartbeat {
        info: Bytes::from_static(&[1, 2, 3, 4, 5, 6, 7, 8]),
    });
    let before = p.a.stats().dropped_unexpected;
    p.inject(Side::A, packet(tag, &[forged]));
    assert_eq!(p.a.stats().dropped_unexpected, before + 1);
    assert_eq!(p.a.transfer_stats().unwrap().srtt_us, None);
}

#[test]
fn heartbeats_can_be_turned_off() {
    let config = Config {
        heartbeat_interval: None,
        ..Config::default()
    };
    let mut p = Pair::new(config.clone(), config);
    p.run_until(100, established);
    assert_eq!(p.a.poll_timeout(), None);
    assert_eq!(p.z.poll_timeout(), None);
}

#[test]
fn late_heartbeat_answers_keep_a_slow_path_alive() {
    // RFC 9260 §8.3: an unanswered HEARTBEAT backs the RTO off before the
    // next, and the answer to any of them clears the error count. With a
    // 5 s round trip and a 1 s RTO every answer comes after the next
    // HEARTBEAT went out: each must still count, or the peer would be
    // declared unreachable while it answers everything.
    let config = Config {
        heartbeat_interval: Some(Duration::from_secs(1)),
        association_max_retrans: 2,
        max_init_retransmits: 20,
        ..Config::default()
    };
    let mut p = Pair::new(config.clone(), config);
    p.delay = Duration::from_millis(2500);
    p.run_until(1000, established);
    p.run_for(Duration::from_secs(120));
    assert_eq!(p.a.state(), State::Established, "{:?}", p.a_events);
    assert_eq!(p.z.state(), State::Established, "{:?}", p.z_events);
    assert!(heartbeats(&p, Side::A) >= 5);
    let srtt = p.a.transfer_stats().unwrap().srtt_us.unwrap();
    assert!((4_900_000..=6_000_000).contains(&srtt), "SRTT {srtt} µs");
}

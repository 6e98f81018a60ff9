//! RACK-TLP loss detection (RFC 8985) beside the three-miss rule of RFC
//! 9260 §7.2.4: fewer spurious retransmissions on a reordering path, and
//! losses at the tail of a burst found by the probe instead of T3-rtx.

mod common;

use bytes::Bytes;
use common::net::{one_way, Flow, Impairment, Msg, Net};
use common::{chunks_of, Pair, Side};
use sctp_core::{Config, LossDetection, State};
use sctp_wire::{Chunk, Ppid};
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

fn config(loss_detection: LossDetection) -> Config {
    Config {
        loss_detection,
        ..Config::default()
    }
}

/// Retransmissions the receiver did not need: with neither loss nor
/// duplication on the link, every duplicate TSN it saw.
fn spurious_under_reordering(loss_detection: LossDetection) -> (u64, u64) {
    let mut net = Net::with_configs(7, config(loss_detection), Config::default());
    net.connect();
    // The path: 5 % of packets 3 to 10 ms late, 10 ms one way.
    net.from_a = Impairment {
        loss: 0,
        duplicate: 0,
        reorder: 5,
        max_extra_ms: 10,
    };
    net.impaired = true;
    let msgs = vec![
        Msg {
            stream: 0,
            unordered: false,
            len: 1000,
        };
        4000
    ];
    let mut flow = Flow::new(msgs, 64);
    one_way(&mut net, &mut flow, 2_000_000);
    let retransmissions = net.a.transfer_stats().unwrap().counters.retransmissions;
    let spurious = net.z.transfer_stats().unwrap().duplicate_tsns_received;
    (spurious, retransmissions)
}

#[test]
fn rack_makes_far_fewer_spurious_retransmissions_on_a_reordering_path() {
    // RFC 8985 §1: time, not packet counts, tells reordering from loss.
    let (three_misses, _) = spurious_under_reordering(LossDetection::ThreeMisses);
    let (rack, rack_rtx) = spurious_under_reordering(LossDetection::RackTlp);
    assert!(three_misses >= 20, "the path must reorder: {three_misses}");
    assert!(
        rack * 5 <= three_misses,
        "RACK {rack} spurious ({rack_rtx} retransmissions), three misses {three_misses}"
    );
}

/// A's DATA packets are numbered from 0; those `drop` picks are lost.
fn drop_data(p: &mut Pair, drop: impl Fn(u32) -> bool + 'static) -> Rc<Cell<u32>> {
    let count = Rc::new(Cell::new(0u32));
    let seen = count.clone();
    p.hook = Box::new(move |side, d| {
        let data = chunks_of(&d).iter().any(|c| matches!(c, Chunk::Data(_)));
        if side != Side::A || !data {
            return Some(d);
        }
        let n = seen.get();
        seen.set(n + 1);
        (!drop(n)).then_some(d)
    });
    count
}

/// Packets sent before the test proper.
const WARM_UP: usize = 4;

/// RTT samples first, so the probe timeout is known: several packets, so
/// that SACKs come at once rather than after the delayed-SACK timer.
fn warm_up(p: &mut Pair) {
    let now = p.now;
    for _ in 0..WARM_UP {
        p.a.send(now, 0, Ppid::BINARY, false, Bytes::from(vec![1u8; 1100]))
            .unwrap();
    }
    p.run_for(Duration::from_secs(1));
    while p.z.read().is_some() {}
}

/// Sends `packets` full packets at once, loses the ones `drop` picks, and
/// returns how long until all of it is acknowledged.
fn recovery_time(loss_detection: LossDetection, packets: usize, drop: fn(u32) -> bool) -> Duration {
    let mut p = Pair::new(config(loss_detection), Config::default());
    p.run_until(100, |p| {
        p.a.state() == State::Established && p.z.state() == State::Established
    });
    warm_up(&mut p);
    drop_data(&mut p, drop);
    let start: Instant = p.now;
    for _ in 0..packets {
        p.a.send(start, 0, Ppid::BINARY, false, Bytes::from(vec![3u8; 1100]))
            .unwrap();
    }
    p.run_until(100_000, |p| p.a.all_data_acknowledged());
    let mut read = 0;
    while p.z.read().is_some() {
        read += 1;
    }
    assert_eq!(read, packets, "everything arrives");
    p.now - start
}

#[test]
fn a_loss_without_three_later_packets_is_found_by_time() {
    // Two packets, the first lost: no third miss can ever come, so the
    // three-miss rule waits for T3-rtx (RTO.Min is 1 s); RACK marks it
    // once the second packet's SACK shows it overtaken.
    let first = |n| n == 0;
    let three = recovery_time(LossDetection::ThreeMisses, 2, first);
    let rack = recovery_time(LossDetection::RackTlp, 2, first);
    assert!(three >= Duration::from_secs(1), "three misses: {three:?}");
    assert!(rack < Duration::from_millis(200), "RACK: {rack:?}");
}

#[test]
fn a_tail_loss_is_recovered_by_the_probe_well_before_rto() {
    // RFC 8985 §7: the last three of ten packets are lost; nothing comes
    // back to trigger fast retransmit. The probe re-sends the last one
    // after two SRTTs and RACK finds the others from its SACK.
    let tail = |n| (7..10).contains(&n);
    let three = recovery_time(LossDetection::ThreeMisses, 10, tail);
    let rack = recovery_time(LossDetection::RackTlp, 10, tail);
    assert!(three >= Duration::from_secs(1), "three misses: {three:?}");
    assert!(rack < Duration::from_millis(300), "RACK-TLP: {rack:?}");
}

#[test]
fn the_probe_is_counted_and_no_t3_expiry_is_needed() {
    let mut p = Pair::new(config(LossDetection::RackTlp), Config::default());
    p.run_until(100, |p| p.a.state() == State::Established);
    warm_up(&mut p);
    drop_data(&mut p, |n| n == 4);
    let now = p.now;
    for _ in 0..5 {
        p.a.send(now, 0, Ppid::BINARY, false, Bytes::from(vec![3u8; 1100]))
            .unwrap();
    }
    p.run_until(100_000, |p| p.a.all_data_acknowledged());
    let counters = p.a.transfer_stats().unwrap().counters;
    assert!(counters.tail_loss_probes >= 1, "{counters:?}");
    assert_eq!(counters.t3_expiries, 0, "{counters:?}");
}

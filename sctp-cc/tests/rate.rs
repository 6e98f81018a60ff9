//! Delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation):
//! hand-computed samples on a fake clock, then a property test.
//!
//! Notation: `Pn` is the n-th packet, every packet is 1 000 bytes, `t=x`
//! is `x` ms after the test's epoch. `C.*` are the per-association
//! counters and `P.*` a packet's snapshot, as in the draft.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use sctp_cc::rate::{DeliveryRateEstimator, RateSample, SendSnapshot};

const MSS: usize = 1000;

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// An estimator plus a fake clock and the sender's bookkeeping of what is
/// in flight.
struct Flow {
    t0: Instant,
    est: DeliveryRateEstimator,
    sent: Vec<SendSnapshot>,
    in_flight: usize,
}

impl Flow {
    fn new() -> Self {
        Self {
            t0: epoch(),
            est: DeliveryRateEstimator::new(),
            sent: Vec::new(),
            in_flight: 0,
        }
    }

    fn at(&self, millis: u64) -> Instant {
        self.t0 + ms(millis)
    }

    /// Sends the next packet at `t=millis`; returns its number.
    fn send(&mut self, millis: u64) -> usize {
        let snap = self.est.on_send(self.at(millis), MSS, self.in_flight);
        self.in_flight += MSS;
        self.sent.push(snap);
        self.sent.len() - 1
    }

    /// One SACK at `t=millis` newly acknowledging `packets` (in the order
    /// given), then its sample.
    fn sack(
        &mut self,
        millis: u64,
        packets: &[usize],
        min_rtt: Option<Duration>,
    ) -> Option<RateSample> {
        for &p in packets {
            let snap = self.sent[p];
            self.est.on_ack(self.at(millis), &snap);
            self.in_flight -= MSS;
        }
        self.est.take_sample(min_rtt)
    }
}

#[test]
fn steady_flow_of_one_packet_per_millisecond_measures_one_megabyte_per_second() {
    // The sender sends one 1 000-byte packet every 1 ms; each is acked 50 ms
    // later (RTT 50 ms), one SACK per packet. At t=k the ack of P(k-50)
    // arrives first, then P(k) is sent.
    let mut flow = Flow::new();
    let min_rtt = Some(ms(50));
    let mut samples = Vec::new();
    for t in 0..=109u64 {
        if t >= 50 {
            let p = usize::try_from(t - 50).unwrap();
            samples.push(flow.sack(t, &[p], min_rtt).unwrap());
        }
        flow.send(t);
    }

    // First flight (P0..P49): sent before any ack, so every snapshot is
    // P.delivered = 0, P.delivered_time = P.first_sent_time = t=0 (P0
    // started from idle).
    // P0, acked at t=50: send_elapsed = 0 - 0 = 0, ack_elapsed = 50 - 0 =
    // 50 ms, delivered = 1 000 → 1 000 B / 0.050 s = 20 000 B/s.
    assert_eq!(samples[0].delivered, 1000);
    assert_eq!(samples[0].interval, ms(50));
    assert_eq!(samples[0].bytes_per_second(), 20_000);
    // P49, acked at t=99: send_elapsed = 49 ms, ack_elapsed = 99 ms,
    // delivered = 50 000 → 50 000 / 0.099 = 505 050 B/s: the first flight
    // underestimates, as its interval includes the first RTT.
    assert_eq!(samples[49].interval, ms(99));
    assert_eq!(samples[49].bytes_per_second(), 505_050);

    // Steady state, the ten packets P50..P59 acked at t=100..109. P(k) is
    // sent at t=k just after the ack of P(k-50), so its snapshot is
    //   P.delivered       = (k-49) * 1 000 (P0..P(k-50) acked),
    //   P.delivered_time  = t=k            (that ack),
    //   P.first_sent_time = t=k-50         (the acked packet's send time).
    // Its ack at t=k+50 finds C.delivered = (k+1) * 1 000, so
    //   send_elapsed = k - (k-50)  = 50 ms,
    //   ack_elapsed  = (k+50) - k  = 50 ms,
    //   interval     = max(50, 50) = 50 ms,
    //   delivered    = (k+1)*1 000 - (k-49)*1 000 = 50 000 bytes,
    //   rate         = 50 000 B / 0.050 s = 1 000 000 B/s.
    for (i, s) in samples[50..60].iter().enumerate() {
        let k = 50 + u64::try_from(i).unwrap();
        assert_eq!(s.prior_delivered, (k - 49) * 1000, "P{k}");
        assert_eq!(s.send_elapsed, ms(50), "P{k}");
        assert_eq!(s.ack_elapsed, ms(50), "P{k}");
        assert_eq!(s.interval, ms(50), "P{k}");
        assert_eq!(s.delivered, 50_000, "P{k}");
        assert_eq!(s.rtt, ms(50), "P{k}");
        assert_eq!(s.bytes_per_second(), 1_000_000, "P{k}");
        assert!(!s.app_limited);
        assert_eq!(s.lost, 0);
    }
    assert_eq!(samples.len(), 60);
    assert_eq!(flow.est.delivered(), 60_000);
}

#[test]
fn ack_compression_uses_the_send_interval_not_the_short_ack_interval() {
    // draft §3.3: interval = max(send_elapsed, ack_elapsed). The path has a
    // 10 ms RTT, the sender sends 1 packet per ms (1 000 000 B/s), but the
    // reverse path holds acks and releases them in bursts.
    let mut flow = Flow::new();
    // t=0..19: P0..P19. P0 starts from idle: C.first_sent_time =
    // C.delivered_time = t=0; every snapshot: P.delivered 0,
    // P.delivered_time t=0, P.first_sent_time t=0.
    for t in 0..20 {
        flow.send(t);
    }
    // t=30: a held SACK acks P0..P9 at once. Newest P9: send_elapsed 9 ms,
    // ack_elapsed 30 ms → interval 30 ms, 10 000 B → 333 333 B/s.
    // Now C.delivered = 10 000, C.delivered_time = t=30,
    // C.first_sent_time = t=9 (P9's send time).
    let first: Vec<usize> = (0..10).collect();
    let s = flow.sack(30, &first, None).unwrap();
    assert_eq!(
        (s.send_elapsed, s.ack_elapsed, s.interval),
        (ms(9), ms(30), ms(30))
    );
    assert_eq!(s.bytes_per_second(), 333_333);
    // t=30..39: P20..P29 (P10..P19 still in flight, so no idle restart):
    // snapshots P.delivered 10 000, P.delivered_time t=30,
    // P.first_sent_time t=9.
    for t in 30..40 {
        flow.send(t);
    }
    assert_eq!(flow.sent[29].first_sent_time(), flow.at(9));
    assert_eq!(flow.sent[29].delivered_time(), flow.at(30));
    // t=49: the next SACK acks P10..P29 in one burst. Newest P29 (sent
    // t=39):
    //   send_elapsed = 39 - 9  = 30 ms
    //   ack_elapsed  = 49 - 30 = 19 ms   (compressed)
    //   delivered    = 30 000 - 10 000 = 20 000 bytes
    // The ack interval alone would claim 20 000 / 0.019 = 1 052 631 B/s,
    // faster than the sender ever sent; the estimator uses the send
    // interval: 20 000 / 0.030 = 666 666 B/s.
    let burst: Vec<usize> = (10..30).collect();
    let s = flow.sack(49, &burst, None).unwrap();
    assert_eq!(s.send_elapsed, ms(30));
    assert_eq!(s.ack_elapsed, ms(19));
    assert_eq!(s.interval, ms(30));
    assert_eq!(s.delivered, 20_000);
    assert_eq!(s.rtt, ms(10));
    assert_eq!(s.bytes_per_second(), 666_666);
}

#[test]
fn samples_are_app_limited_until_the_bubble_is_delivered() {
    let mut flow = Flow::new();
    // t=0: P0, P1 sent with data to spare: not app-limited.
    flow.send(0);
    flow.send(0);
    assert!(!flow.sent[0].is_app_limited() && !flow.sent[1].is_app_limited());
    // The application runs dry with 2 000 bytes in flight, the cwnd would
    // allow more: draft §3.4, C.app_limited = C.delivered + in flight =
    // 0 + 2 000.
    flow.est.mark_app_limited(flow.in_flight);
    assert!(flow.est.is_app_limited());
    // t=5: a little more data: P2, P3 are sent with a bubble in the pipe.
    flow.send(5);
    flow.send(5);
    assert!(flow.sent[2].is_app_limited() && flow.sent[3].is_app_limited());

    // t=50: P0 acked. C.delivered = 1 000 <= 2 000: still app-limited. The
    // sample comes from P0, sent before the bubble: not app-limited.
    let s = flow.sack(50, &[0], None).unwrap();
    assert!(!s.app_limited);
    assert!(flow.est.is_app_limited());
    // t=51: P1 acked. C.delivered = 2 000, not yet > 2 000.
    let s = flow.sack(51, &[1], None).unwrap();
    assert!(!s.app_limited);
    assert!(flow.est.is_app_limited());
    // t=51: P4 is sent while the marker is still set: app-limited.
    flow.send(51);
    assert!(flow.sent[4].is_app_limited());
    // t=55: P2 acked: C.delivered = 3 000 > 2 000, the bubble is delivered
    // and the marker cleared (draft §3.3). P2's own sample is app-limited:
    // it was sent during the bubble.
    let s = flow.sack(55, &[2], None).unwrap();
    assert!(s.app_limited);
    assert!(!flow.est.is_app_limited());
    // t=55: P5 is sent after the bubble: not app-limited.
    flow.send(55);
    assert!(!flow.sent[5].is_app_limited());
    // Samples of P3 and P4 (sent during the bubble) are app-limited, P5's
    // is not.
    assert!(flow.sack(56, &[3], None).unwrap().app_limited);
    assert!(flow.sack(101, &[4], None).unwrap().app_limited);
    assert!(!flow.sack(105, &[5], None).unwrap().app_limited);
}

#[test]
fn app_limited_marker_is_set_even_with_nothing_delivered_or_in_flight() {
    // draft §3.4: "(C.delivered + C.pipe) ? : 1".
    let mut flow = Flow::new();
    flow.est.mark_app_limited(0);
    assert!(flow.est.is_app_limited());
    flow.send(0);
    assert!(flow.sent[0].is_app_limited());
    let s = flow.sack(50, &[0], None).unwrap();
    assert!(s.app_limited);
    // 1 000 delivered > 1: cleared.
    assert!(!flow.est.is_app_limited());
}

#[test]
fn idle_restart_keeps_the_idle_gap_out_of_the_interval() {
    let mut flow = Flow::new();
    // t=0: P0 from idle; t=50: acked. Nothing in flight afterwards.
    flow.send(0);
    let s = flow.sack(50, &[0], None).unwrap();
    assert_eq!(s.interval, ms(50));
    // One second of silence, then t=1050: P1 with nothing in flight.
    // draft §3.2: C.first_sent_time = C.delivered_time = now.
    flow.send(1050);
    let p1 = flow.sent[1];
    assert_eq!(p1.first_sent_time(), flow.at(1050));
    assert_eq!(p1.delivered_time(), flow.at(1050));
    assert_eq!(p1.delivered(), 1000);
    // t=1100: P1 acked. send_elapsed = 0, ack_elapsed = 1100 - 1050 =
    // 50 ms: 1 000 B / 0.050 s = 20 000 B/s. Without the restart the
    // interval would run from the ack of P0 (t=50): 1 000 B / 1.050 s =
    // 952 B/s, an idle period mistaken for a slow path.
    let s = flow.sack(1100, &[1], None).unwrap();
    assert_eq!(s.send_elapsed, Duration::ZERO);
    assert_eq!(s.ack_elapsed, ms(50));
    assert_eq!(s.interval, ms(50));
    assert_eq!(s.delivered, 1000);
    assert_eq!(s.bytes_per_second(), 20_000);
}

#[test]
fn an_interval_shorter_than_min_rtt_gives_no_sample() {
    // P0 sent from idle at t=0 and acked at t=50: interval 50 ms.
    for (min_rtt, expected) in [
        (None, Some(ms(50))),
        (Some(ms(40)), Some(ms(50))),
        (Some(ms(50)), Some(ms(50))), // equal is not shorter
        (Some(ms(60)), None),         // draft §3.3: no reliable sample
    ] {
        let mut flow = Flow::new();
        flow.send(0);
        let s = flow.sack(50, &[0], min_rtt);
        assert_eq!(s.map(|s| s.interval), expected, "min_rtt {min_rtt:?}");
        // The SACK's bytes count as delivered either way, and the next
        // SACK starts a new sample.
        assert_eq!(flow.est.delivered(), 1000);
        assert_eq!(flow.est.take_sample(None), None);
    }
}

#[test]
fn no_sample_without_acks_or_with_a_zero_interval() {
    let mut flow = Flow::new();
    assert_eq!(flow.est.take_sample(None), None);
    flow.send(0);
    assert_eq!(flow.est.take_sample(None), None);
    // Acked at the instant it was sent: interval 0 → no sample.
    assert_eq!(flow.sack(0, &[0], None), None);
    assert_eq!(flow.est.delivered(), 1000);
}

#[test]
fn one_sack_acking_several_packets_samples_the_most_recently_sent() {
    // P0..P3 at t=0..3 (P.delivered 0). Then acks and sends interleave:
    // t=50: ack P0, send P4 (P.delivered 1 000, delivered_time t=50,
    // first_sent t=0); t=51: ack P1, send P5 (2 000, t=51, t=1);
    // t=52: ack P2, send P6 (3 000, t=52, t=2); t=53: ack P3.
    let orders: [[usize; 3]; 6] = [
        [4, 5, 6],
        [4, 6, 5],
        [5, 4, 6],
        [5, 6, 4],
        [6, 4, 5],
        [6, 5, 4],
    ];
    for order in orders {
        let mut flow = Flow::new();
        for t in 0..4 {
            flow.send(t);
        }
        for (t, p) in [(50, 0), (51, 1), (52, 2)] {
            flow.sack(t, &[p], None).unwrap();
            flow.send(t);
        }
        flow.sack(53, &[3], None).unwrap();
        assert_eq!(flow.sent[6].delivered(), 3000);

        // t=102: one SACK acks P4, P5, P6 (any order: gap blocks and the
        // cumulative ack are walked in whatever order). The sample comes
        // from P6, the most recently sent (highest P.delivered = 3 000):
        //   delivered    = 7 000 - 3 000 = 4 000 bytes
        //   send_elapsed = 52 - 2  = 50 ms
        //   ack_elapsed  = 102 - 52 = 50 ms
        //   rate         = 4 000 / 0.050 = 80 000 B/s
        // (P4 would have given 6 000 B over max(50, 52) ms.)
        let s = flow.sack(102, &order, None).unwrap();
        assert_eq!(s.prior_delivered, 3000, "{order:?}");
        assert_eq!(s.delivered, 4000, "{order:?}");
        assert_eq!(s.interval, ms(50), "{order:?}");
        assert_eq!(s.rtt, ms(50), "{order:?}");
        assert_eq!(s.bytes_per_second(), 80_000, "{order:?}");
    }
}

#[test]
fn losses_over_the_interval_are_reported() {
    let mut flow = Flow::new();
    flow.send(0);
    flow.send(1);
    flow.send(2);
    // P0 declared lost (its snapshot is dropped), P1 and P2 acked.
    flow.est.on_loss(MSS);
    flow.in_flight -= MSS;
    assert_eq!(flow.est.lost(), 1000);
    let s = flow.sack(52, &[1, 2], None).unwrap();
    assert_eq!(s.lost, 1000);
    assert_eq!(s.delivered, 2000);
    // P2 was sent with P0 and P1 in flight: 3 000 bytes including itself.
    assert_eq!(s.tx_in_flight, 3000);
    assert_eq!(flow.sent[2].tx_in_flight(), 3000);
    assert_eq!(flow.sent[2].bytes(), MSS);
    assert_eq!(flow.sent[2].sent_time(), flow.at(2));
    assert_eq!(flow.sent[2].lost(), 0);
}

#[test]
fn bytes_per_second_neither_overflows_nor_divides_by_zero() {
    let sample = |delivered: u64, interval: Duration| RateSample {
        delivered,
        interval,
        send_elapsed: interval,
        ack_elapsed: interval,
        prior_delivered: 0,
        app_limited: false,
        rtt: interval,
        lost: 0,
        tx_in_flight: 0,
    };
    assert_eq!(sample(1000, Duration::ZERO).bytes_per_second(), 0);
    assert_eq!(
        sample(u64::MAX, Duration::from_nanos(1)).bytes_per_second(),
        u64::MAX
    );
    assert_eq!(sample(u64::MAX, Duration::MAX).bytes_per_second(), 0);
    assert_eq!(
        sample(1, Duration::from_nanos(1)).bytes_per_second(),
        1_000_000_000
    );
    assert_eq!(sample(3, ms(2)).bytes_per_second(), 1500);
}

#[test]
fn huge_byte_counts_saturate() {
    let t0 = epoch();
    let mut est = DeliveryRateEstimator::new();
    let a = est.on_send(t0, usize::MAX, usize::MAX);
    assert_eq!(a.tx_in_flight(), usize::MAX);
    est.on_ack(t0 + ms(10), &a);
    est.on_ack(t0 + ms(10), &a);
    est.on_loss(usize::MAX);
    est.on_loss(usize::MAX);
    assert_eq!(est.delivered(), u64::MAX);
    assert_eq!(est.lost(), u64::MAX);
    est.mark_app_limited(usize::MAX);
    assert!(est.is_app_limited());
    let s = est.take_sample(None).unwrap();
    let _ = s.bytes_per_second();
}

#[derive(Debug, Clone)]
enum Op {
    Advance(u64),
    Send(usize),
    Ack(usize),
    Lose(usize),
    Sack(Option<u64>),
    AppLimited,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u64..30).prop_map(Op::Advance),
        4 => (0usize..3000).prop_map(Op::Send),
        4 => any::<usize>().prop_map(Op::Ack),
        1 => any::<usize>().prop_map(Op::Lose),
        2 => prop::option::of(0u64..60).prop_map(Op::Sack),
        1 => Just(Op::AppLimited),
    ]
}

proptest! {
    /// Random send/ack/loss/SACK/app-limited sequences: nothing panics, and
    /// every sample is consistent with the counters.
    #[test]
    fn random_operations_give_consistent_samples(ops in prop::collection::vec(op(), 1..200)) {
        let t0 = epoch();
        let mut now = t0;
        let mut est = DeliveryRateEstimator::new();
        let mut outstanding: Vec<SendSnapshot> = Vec::new();
        let mut in_flight = 0usize;
        let mut acked_bytes = 0u64;
        for op in ops {
            match op {
                Op::Advance(millis) => now += ms(millis),
                Op::Send(bytes) => {
                    let snap = est.on_send(now, bytes, in_flight);
                    prop_assert_eq!(snap.delivered(), est.delivered());
                    prop_assert!(snap.first_sent_time() <= now);
                    prop_assert!(snap.delivered_time() <= now);
                    if in_flight == 0 {
                        prop_assert_eq!(snap.first_sent_time(), now);
                        prop_assert_eq!(snap.delivered_time(), now);
                    }
                    in_flight += bytes;
                    outstanding.push(snap);
                }
                Op::Ack(i) if !outstanding.is_empty() => {
                    let snap = outstanding.swap_remove(i % outstanding.len());
                    est.on_ack(now, &snap);
                    in_flight -= snap.bytes();
                    acked_bytes += u64::try_from(snap.bytes()).unwrap();
                }
                Op::Ack(_) => {}
                Op::Lose(i) if !outstanding.is_empty() => {
                    let snap = outstanding.swap_remove(i % outstanding.len());
                    est.on_loss(snap.bytes());
                    in_flight -= snap.bytes();
                }
                Op::Lose(_) => {}
                Op::Sack(min_rtt) => {
                    let min_rtt = min_rtt.map(ms);
                    if let Some(s) = est.take_sample(min_rtt) {
                        prop_assert!(!s.interval.is_zero());
                        prop_assert_eq!(s.interval, s.send_elapsed.max(s.ack_elapsed));
                        if let Some(min_rtt) = min_rtt {
                            prop_assert!(s.interval >= min_rtt);
                        }
                        prop_assert_eq!(s.prior_delivered + s.delivered, est.delivered());
                        prop_assert!(s.lost <= est.lost());
                        prop_assert!(s.rtt <= now - t0);
                        let _ = s.bytes_per_second();
                    }
                    // A second call in the same SACK has nothing left.
                    prop_assert_eq!(est.take_sample(None), None);
                }
                Op::AppLimited => {
                    est.mark_app_limited(in_flight);
                    prop_assert!(est.is_app_limited());
                }
            }
            prop_assert_eq!(est.delivered(), acked_bytes);
        }
    }
}

//! Bbr in a closed loop with a tiny model of a bottleneck link: a FIFO
//! queue of `buffer` bytes drained at `rate`, a fixed propagation delay,
//! optional random loss, one SACK per packet. The sender always has data,
//! paces at the controller's rate and keeps at most cwnd in flight; rate
//! samples come from the crate's `DeliveryRateEstimator`, as the
//! association will produce them. Everything is deterministic: virtual
//! time, a seeded generator.

use sctp_cc::rate::{DeliveryRateEstimator, SendSnapshot};
use sctp_cc::*;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

const MTU: usize = 1200;
const NANOS: u64 = 1_000_000_000;

#[allow(clippy::disallowed_methods)] // the one clock read of these tests: an epoch
fn epoch() -> Instant {
    Instant::now()
}

/// The bottleneck.
#[derive(Clone, Copy, Debug)]
struct Link {
    /// Bytes per second.
    rate: u64,
    /// Round-trip propagation delay.
    base_rtt: Duration,
    /// Queue capacity in bytes; a packet that does not fit is dropped.
    buffer: usize,
    /// Probability that a packet is lost after the queue, at random.
    loss: f64,
}

impl Link {
    fn bdp(&self) -> usize {
        (self.rate as u128 * self.base_rtt.as_nanos() / NANOS as u128) as usize
    }
}

/// A packet on its way: when its SACK (or the news of its loss) reaches
/// the sender.
struct InFlight {
    event_ns: u64,
    sent_ns: u64,
    snapshot: SendSnapshot,
    lost: bool,
}

/// What a run measured over its second half.
#[derive(Debug)]
struct Report {
    /// Bytes delivered over link capacity.
    utilisation: f64,
    /// Median time packets waited in the bottleneck queue.
    median_queue_delay: Duration,
    /// The controller's final bandwidth estimate over the link rate.
    bw_estimate: f64,
    lost_packets: usize,
    sent_packets: usize,
}

/// A xorshift64 generator for the link's random loss.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs BBR with the default configuration.
fn run(link: Link, duration: Duration) -> Report {
    run_with(BbrConfig::default(), link, duration)
}

/// Runs a controller of `config` over `link` for `duration` and measures
/// from `duration / 2`.
fn run_with(config: BbrConfig, link: Link, duration: Duration) -> Report {
    let t0 = epoch();
    let at = |ns: u64| t0 + Duration::from_nanos(ns);
    let end_ns = duration.as_nanos() as u64;
    let measure_from_ns = end_ns / 2;

    let mut cc = Bbr::new(
        config,
        &PathParams {
            mtu: MTU,
            peer_rwnd: usize::MAX,
        },
    );
    let mut estimator = DeliveryRateEstimator::new();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut pending: VecDeque<InFlight> = VecDeque::new();
    let mut in_flight = 0usize;
    let mut now_ns = 0u64;
    let mut next_send_ns = 0u64;
    let mut link_free_ns = 0u64;
    let mut recovery_from_ns: Option<u64> = None;

    let mut delivered_measured = 0u64;
    let mut queue_delays = Vec::new();
    let mut lost_packets = 0;
    let mut sent_packets = 0;

    for _step in 0..10_000_000 {
        let t_event = pending.front().map_or(u64::MAX, |p| p.event_ns);
        let t_send = if in_flight < cc.cwnd() {
            next_send_ns.max(now_ns)
        } else {
            u64::MAX
        };
        assert!(t_event != u64::MAX || t_send != u64::MAX, "stalled");
        if t_event.min(t_send) >= end_ns {
            break;
        }
        if t_event <= t_send {
            now_ns = t_event;
            let p = pending.pop_front().expect("an event");
            let before = in_flight;
            in_flight -= MTU;
            if p.lost {
                // The loss is noticed when the packet's SACK would have
                // come; the association reports it once per recovery.
                estimator.on_loss(MTU);
                lost_packets += 1;
                if recovery_from_ns.is_none() {
                    recovery_from_ns = Some(now_ns);
                    cc.on_congestion(at(now_ns), CongestionEvent::FastRetransmit, in_flight);
                }
                continue;
            }
            estimator.on_ack(at(now_ns), &p.snapshot);
            let rate = estimator.take_sample(cc.min_rtt());
            cc.on_ack(&AckEvent {
                now: at(now_ns),
                cum_acked_bytes: MTU,
                gap_acked_bytes: 0,
                cum_tsn_advanced: true,
                in_flight_before: before,
                in_flight_after: in_flight,
                rtt: Some(Duration::from_nanos(now_ns - p.sent_ns)),
                rate,
                app_limited: false,
            });
            if recovery_from_ns.is_some_and(|from| p.sent_ns > from) {
                recovery_from_ns = None;
                cc.on_recovery_exit(at(now_ns));
            }
            if now_ns >= measure_from_ns {
                delivered_measured += MTU as u64;
            }
        } else {
            now_ns = t_send;
            let snapshot = estimator.on_send(at(now_ns), MTU, in_flight);
            in_flight += MTU;
            sent_packets += 1;
            cc.on_packet_sent(&SentPacket {
                now: at(now_ns),
                bytes: MTU,
                in_flight_after: in_flight,
                retransmission: false,
                app_limited: false,
            });
            // The bottleneck: wait behind the queue, or be dropped when it
            // is full.
            let backlog_ns = link_free_ns.saturating_sub(now_ns);
            let backlog = (backlog_ns as u128 * link.rate as u128 / NANOS as u128) as usize;
            let tail_drop = backlog + MTU > link.buffer;
            let (event_ns, lost) = if tail_drop {
                (
                    now_ns.max(link_free_ns) + link.base_rtt.as_nanos() as u64,
                    true,
                )
            } else {
                let start = now_ns.max(link_free_ns);
                link_free_ns = start + MTU as u64 * NANOS / link.rate;
                if now_ns >= measure_from_ns {
                    queue_delays.push(start - now_ns);
                }
                let random_loss = rng.uniform() < link.loss;
                (link_free_ns + link.base_rtt.as_nanos() as u64, random_loss)
            };
            pending.push_back(InFlight {
                event_ns,
                sent_ns: now_ns,
                snapshot,
                lost,
            });
            let rate = cc.pacing_rate().expect("BBR always paces");
            next_send_ns = now_ns + (MTU as u64 * NANOS).div_ceil(rate.max(1));
        }
    }

    queue_delays.sort_unstable();
    let measured_ns = end_ns - measure_from_ns;
    Report {
        utilisation: delivered_measured as f64 * NANOS as f64
            / (link.rate as f64 * measured_ns as f64),
        median_queue_delay: Duration::from_nanos(queue_delays[queue_delays.len() / 2]),
        bw_estimate: cc.bandwidth().unwrap_or(0) as f64 / link.rate as f64,
        lost_packets,
        sent_packets,
    }
}

#[test]
fn a_clean_path_is_filled_with_a_small_queue_despite_a_deep_buffer() {
    // 10 Mbit/s, 40 ms, a buffer of 10 BDPs: loss-based control would
    // fill the buffer (400 ms of queue); BBR keeps it near empty.
    let link = Link {
        rate: 1_250_000,
        base_rtt: Duration::from_millis(40),
        buffer: 10 * 50_000,
        loss: 0.0,
    };
    // 24 s: two ProbeRTT visits in the measured half.
    let report = run(link, Duration::from_secs(24));
    println!("{report:?}");
    assert!(report.utilisation > 0.93, "{report:?}");
    assert!(report.median_queue_delay < link.base_rtt / 2, "{report:?}");
    assert!((0.95..=1.05).contains(&report.bw_estimate), "{report:?}");
    assert_eq!(report.lost_packets, 0, "{report:?}");
}

#[test]
fn one_percent_random_loss_still_fills_the_path() {
    // 100 Mbit/s, 40 ms, a buffer of 10 BDPs, 1 % of packets lost at
    // random: the target the simulator will hold the association to is
    // 85 % utilisation and a median queue below half the base RTT.
    let link = Link {
        rate: 12_500_000,
        base_rtt: Duration::from_millis(40),
        buffer: 10 * 500_000,
        loss: 0.01,
    };
    assert_eq!(link.bdp(), 500_000);
    let report = run(link, Duration::from_secs(12));
    println!("{report:?}");
    assert!(report.utilisation > 0.85, "{report:?}");
    assert!(report.median_queue_delay < link.base_rtt / 2, "{report:?}");
    let loss_rate = report.lost_packets as f64 / report.sent_packets as f64;
    assert!((0.005..0.02).contains(&loss_rate), "{report:?}");
}

#[test]
fn a_shallow_buffer_caps_the_flight_instead_of_losing_on_every_probe() {
    // A buffer of a fifth of a BDP: every 5/4 probe overflows it. BBR v1
    // ignores that loss; the v2 bound (inflight_hi) keeps the flight below
    // what overflowed, so the loss rate drops while the path stays full.
    let link = Link {
        rate: 1_250_000,
        base_rtt: Duration::from_millis(40),
        buffer: 10_000,
        loss: 0.0,
    };
    let loss_rate = |r: &Report| r.lost_packets as f64 / r.sent_packets as f64;
    let v2 = run(link, Duration::from_secs(20));
    let v1 = run_with(
        BbrConfig {
            loss_thresh: None,
            ..Default::default()
        },
        link,
        Duration::from_secs(20),
    );
    println!("v2 {v2:?}\nv1 {v1:?}");
    assert!(v2.utilisation > 0.9, "{v2:?}");
    assert!(loss_rate(&v2) < 0.02, "{v2:?}");
    assert!(loss_rate(&v2) < loss_rate(&v1) / 2.0, "{v2:?} {v1:?}");
}

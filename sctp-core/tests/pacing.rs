//! Pacing and delivery-rate samples, for model-based controllers (BBR):
//! packets leave no faster than the controller's pacing rate, and SACKs
//! carry delivery-rate samples to a controller that asks for them.

mod common;

use bytes::Bytes;
use common::{Pair, Side};
use sctp_cc::{
    AckEvent, CongestionController, CongestionEvent, PathParams, RateSample, SentPacket,
};
use sctp_core::{Config, State};
use sctp_wire::{ChunkType, Ppid};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A wide window, a fixed pacing rate, and a record of the rate samples.
#[derive(Debug)]
struct Paced {
    rate: Option<u64>,
    wants_samples: bool,
    samples: Arc<Mutex<Vec<RateSample>>>,
}

impl CongestionController for Paced {
    fn on_packet_sent(&mut self, _: &SentPacket) {}
    fn on_ack(&mut self, ack: &AckEvent) {
        if let Some(sample) = ack.rate {
            self.samples.lock().unwrap().push(sample);
        }
    }
    fn on_congestion(&mut self, _: Instant, _: CongestionEvent, _: usize) {}
    fn on_recovery_exit(&mut self, _: Instant) {}
    fn on_idle(&mut self, _: Instant) {}
    fn on_mtu_change(&mut self, _: Instant, _: usize) {}
    fn cwnd(&self) -> usize {
        1 << 20
    }
    fn pacing_rate(&self) -> Option<u64> {
        self.rate
    }
    fn wants_rate_samples(&self) -> bool {
        self.wants_samples
    }
    fn fast_retransmit_budget(&self) -> usize {
        1200
    }
    fn name(&self) -> &'static str {
        "paced"
    }
}

/// A pair whose client uses a `Paced` controller; returns the samples.
fn paced_pair(rate: Option<u64>) -> (Pair, Arc<Mutex<Vec<RateSample>>>) {
    pair_with(rate, true)
}

fn pair_with(rate: Option<u64>, wants_samples: bool) -> (Pair, Arc<Mutex<Vec<RateSample>>>) {
    let samples: Arc<Mutex<Vec<RateSample>>> = Arc::default();
    let shared = samples.clone();
    let config = Config {
        congestion: Arc::new(move |_: &PathParams| -> Box<dyn CongestionController> {
            Box::new(Paced {
                rate,
                wants_samples,
                samples: shared.clone(),
            })
        }),
        ..Config::default()
    };
    let mut p = Pair::new(config, Config::default());
    p.run_until(100, |p| {
        p.a.state() == State::Established && p.z.state() == State::Established
    });
    (p, samples)
}

/// When A sent each packet carrying DATA.
fn data_times(p: &Pair) -> Vec<Instant> {
    p.log
        .iter()
        .zip(&p.log_times)
        .filter(|((side, kinds), _)| *side == Side::A && kinds.contains(&ChunkType::DATA))
        .map(|(_, &t)| t)
        .collect()
}

fn send_100k(p: &mut Pair) {
    let now = p.now;
    for _ in 0..100 {
        p.a.send(now, 0, Ppid::BINARY, false, Bytes::from(vec![5u8; 1000]))
            .unwrap();
    }
}

#[test]
fn packets_leave_no_faster_than_the_pacing_rate() {
    // 1 MB/s: a full packet of about 1.2 KB takes about 1.2 ms.
    let (mut p, _) = paced_pair(Some(1_000_000));
    let start = p.now;
    send_100k(&mut p);
    // The association wakes itself up for the paced packets.
    p.run_for(Duration::from_secs(2));
    let times = data_times(&p);
    assert!(times.len() >= 80, "{} packets", times.len());
    let spread = *times.last().unwrap() - start;
    // 100 KB at 1 MB/s is 100 ms, less the first millisecond's burst.
    assert!(
        spread >= Duration::from_millis(90),
        "100 KB left in {spread:?}"
    );
    assert!(spread < Duration::from_millis(150), "too slow: {spread:?}");
    let mut received = 0;
    while let Some(m) = p.z.read() {
        received += m.payload.len();
    }
    assert_eq!(received, 100_000);
}

#[test]
fn without_a_pacing_rate_the_window_goes_at_once() {
    let (mut p, _) = paced_pair(None);
    let start = p.now;
    send_100k(&mut p);
    p.run_for(Duration::from_secs(2));
    let times = data_times(&p);
    assert!(times.iter().all(|&t| t == start), "not sent in one go");
}

#[test]
fn sacks_carry_delivery_rate_samples_near_the_paced_rate() {
    let (mut p, samples) = paced_pair(Some(1_000_000));
    send_100k(&mut p);
    p.run_for(Duration::from_secs(2));
    let samples = samples.lock().unwrap();
    assert!(samples.len() >= 10, "{} samples", samples.len());
    // Past the first round trip, the delivery rate is the sending rate.
    let late: Vec<u64> = samples[samples.len() / 2..]
        .iter()
        .filter(|s| !s.app_limited)
        .map(|s| s.bytes_per_second())
        .collect();
    assert!(!late.is_empty(), "{samples:?}");
    for rate in late {
        assert!(
            (800_000..=1_250_000).contains(&rate),
            "delivery rate {rate} B/s for a 1 MB/s pace"
        );
    }
}

#[test]
fn a_controller_that_does_not_ask_gets_no_rate_samples() {
    // No snapshots are kept for it, and `rate` stays None.
    let (mut p, samples) = pair_with(Some(1_000_000), false);
    send_100k(&mut p);
    p.run_for(Duration::from_secs(2));
    assert_eq!(
        p.z.transfer_stats().unwrap().counters.bytes_received,
        100_000
    );
    assert!(samples.lock().unwrap().is_empty());
}

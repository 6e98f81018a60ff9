//! Pacing and delivery-rate sampling, for controllers that model the path
//! (BBR): packets leave no faster than the controller's pacing rate, and
//! each SACK yields a delivery-rate sample (draft-cheng-iccrg-delivery-
//! rate-estimation) from snapshots kept per chunk in flight.
//!
//! Neither costs anything when the controller does not ask for it: no
//! pacing rate, no pacer check; no rate samples wanted, no snapshots.

use sctp_cc::{DeliveryRateEstimator, RateSample, SendSnapshot};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Bytes the pacer lets go back to back after a pause, at least: a timer
/// wakes the association late by up to its granularity, and the packets
/// that could have gone meanwhile are not lost to the rate.
const BURST_TIME: Duration = Duration::from_millis(1);

/// Releases packets no faster than a rate.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    /// When the next packet may go.
    next: Option<Instant>,
    /// Data waits for `next`.
    waiting: bool,
}

impl Pacer {
    /// Whether a packet may go at `now`.
    pub(crate) fn ready(&self, now: Instant) -> bool {
        self.next.is_none_or(|next| next <= now)
    }

    /// Notes that data waits for the pacer (or not).
    pub(crate) fn set_waiting(&mut self, waiting: bool) {
        self.waiting = waiting;
    }

    /// A packet of `bytes` went at `now`, paced at `rate` bytes per second:
    /// the next may go once it has had its time on the wire. Time left
    /// unused for up to [`BURST_TIME`] (or two packets) is credited.
    pub(crate) fn on_sent(&mut self, now: Instant, bytes: usize, rate: u64) {
        let rate = rate.max(1);
        let wire = Duration::from_nanos(
            u64::try_from(bytes as u128 * 1_000_000_000 / u128::from(rate)).unwrap_or(u64::MAX),
        );
        let credit = BURST_TIME.max(wire * 2);
        let earliest = now.checked_sub(credit).unwrap_or(now);
        let start = self.next.map_or(now, |next| next.max(earliest));
        self.next = Some(start + wire);
    }

    /// When the association must wake up to send what waits.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next.filter(|_| self.waiting)
    }
}

/// Delivery-rate sampling state: the estimator and one send snapshot per
/// chunk in flight, indexed like the flight by unwrapped TSN.
#[derive(Debug)]
pub(crate) struct RateSampler {
    estimator: DeliveryRateEstimator,
    /// `snapshots[i]` is for the chunk with unwrapped TSN `base + i`;
    /// `None` once that transmission was acknowledged.
    snapshots: VecDeque<Option<SendSnapshot>>,
    base: u64,
    /// The smallest RTT seen, which drops samples shorter than it.
    min_rtt: Option<Duration>,
}

impl RateSampler {
    /// A sampler whose first chunk will have unwrapped TSN `first`.
    pub(crate) fn new(first: u64) -> Self {
        RateSampler {
            estimator: DeliveryRateEstimator::new(),
            snapshots: VecDeque::new(),
            base: first,
            min_rtt: None,
        }
    }

    /// The chunk `key` (the next TSN) was sent for the first time.
    pub(crate) fn on_new(&mut self, key: u64, now: Instant, bytes: usize, in_flight: usize) {
        debug_assert_eq!(key, self.base + self.snapshots.len() as u64);
        let snapshot = self.estimator.on_send(now, bytes, in_flight);
        self.snapshots.push_back(Some(snapshot));
    }

    /// The chunk `key` was sent again: its snapshot starts anew.
    pub(crate) fn on_retransmit(&mut self, key: u64, now: Instant, bytes: usize, in_flight: usize) {
        let snapshot = self.estimator.on_send(now, bytes, in_flight);
        if let Some(slot) = self.slot(key) {
            *slot = Some(snapshot);
        }
    }

    fn slot(&mut self, key: u64) -> Option<&mut Option<SendSnapshot>> {
        let i = usize::try_from(key.checked_sub(self.base)?).ok()?;
        self.snapshots.get_mut(i)
    }

    /// The chunk `key` was acknowledged (by a gap block, or by the
    /// cumulative ack without one before) at `now`. A transmission counts
    /// once: a chunk the peer reneged on (RFC 9260 §6.2.1) and acknowledges
    /// again was delivered only once, unless it was sent again meanwhile
    /// (draft-cheng-iccrg-delivery-rate-estimation §3.3 counts each
    /// packet's delivery once).
    pub(crate) fn on_acked(&mut self, key: u64, now: Instant) {
        if let Some(snapshot) = self.slot(key).and_then(Option::take) {
            self.estimator.on_ack(now, &snapshot);
        }
    }

    /// The chunks up to `key` left the flight (cumulative ack).
    pub(crate) fn forget_through(&mut self, key: u64) {
        while self.base <= key && self.snapshots.pop_front().is_some() {
            self.base += 1;
        }
        self.base = self.base.max(key + 1);
    }

    /// `bytes` in flight were declared lost.
    pub(crate) fn on_loss(&mut self, bytes: usize) {
        self.estimator.on_loss(bytes);
    }

    /// An RTT measurement.
    pub(crate) fn on_rtt(&mut self, rtt: Duration) {
        self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
    }

    /// The SACK is processed: its delivery-rate sample, if it makes one.
    pub(crate) fn take_sample(&mut self) -> Option<RateSample> {
        self.estimator.take_sample(self.min_rtt)
    }

    /// Nothing more to send although the window allows it, with
    /// `in_flight` bytes outstanding.
    pub(crate) fn mark_app_limited(&mut self, in_flight: usize) {
        if !self.estimator.is_app_limited() {
            self.estimator.mark_app_limited(in_flight);
        }
    }

    /// Frees the snapshot ring when nothing is in flight.
    pub(crate) fn shrink(&mut self) {
        if self.snapshots.is_empty() {
            self.snapshots = VecDeque::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // an epoch for the test
    fn epoch() -> Instant {
        Instant::now()
    }

    #[test]
    fn the_pacer_spaces_packets_by_their_time_on_the_wire() {
        let now = epoch();
        let mut p = Pacer::default();
        assert!(p.ready(now));
        // 1 MB/s: 1000 bytes take 1 ms.
        p.on_sent(now, 1000, 1_000_000);
        assert!(!p.ready(now));
        assert!(p.ready(now + Duration::from_millis(1)));
        p.set_waiting(true);
        assert_eq!(p.deadline(), Some(now + Duration::from_millis(1)));
        p.set_waiting(false);
        assert_eq!(p.deadline(), None);
    }

    #[test]
    fn a_late_wake_up_is_credited_up_to_the_burst_time() {
        let now = epoch();
        let mut p = Pacer::default();
        p.on_sent(now, 100, 1_000_000); // 100 µs
                                        // Woken 10 ms late: only BURST_TIME of the idle time counts.
        let late = now + Duration::from_millis(10);
        p.on_sent(late, 100, 1_000_000);
        let after = p.next.unwrap();
        assert_eq!(after, late - BURST_TIME + Duration::from_micros(100));
        assert!(p.ready(late));
    }

    #[test]
    fn rate_samples_come_from_the_snapshots_of_acknowledged_chunks() {
        let now = epoch();
        let mut r = RateSampler::new(10);
        for k in 10..20 {
            r.on_new(k, now, 1000, (k as usize - 10) * 1000);
        }
        let later = now + Duration::from_millis(100);
        for k in 10..15 {
            r.on_acked(k, later);
        }
        r.forget_through(14);
        let sample = r.take_sample().expect("a sample");
        assert_eq!(sample.delivered, 5000);
        assert_eq!(sample.interval, Duration::from_millis(100));
        // Gap-acked chunk 17, then the cumulative ack past it.
        r.on_acked(17, later + Duration::from_millis(1));
        assert!(r.take_sample().is_some());
        r.forget_through(19);
        assert!(r.take_sample().is_none(), "nothing newly acknowledged");
        r.shrink();
        assert!(r.snapshots.is_empty());
    }

    #[test]
    fn a_chunk_acknowledged_again_after_a_renege_is_delivered_once() {
        let now = epoch();
        let mut r = RateSampler::new(0);
        for k in 0..4 {
            r.on_new(k, now, 1000, k as usize * 1000);
        }
        let later = now + Duration::from_millis(100);
        // Chunk 2 gap-acked, reneged, gap-acked again, then cumulatively
        // acknowledged with the rest: 4000 bytes delivered, not 5000.
        r.on_acked(2, later);
        assert_eq!(r.take_sample().expect("a sample").delivered, 1000);
        r.on_acked(2, later + Duration::from_millis(10));
        assert!(r.take_sample().is_none(), "nothing new");
        for k in 0..4 {
            r.on_acked(k, later + Duration::from_millis(20));
        }
        r.forget_through(3);
        assert_eq!(r.estimator.delivered(), 4000);
        // Sent again, a chunk counts again.
        r.on_new(4, later, 1000, 0);
        r.on_retransmit(4, later + Duration::from_millis(30), 1000, 0);
        r.on_acked(4, later + Duration::from_millis(200));
        assert_eq!(r.estimator.delivered(), 5000);
    }
}

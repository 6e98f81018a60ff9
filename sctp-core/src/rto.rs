//! The retransmission timeout of one path (RFC 9260 §6.3.1, the rules of
//! RFC 6298), and its back-off on expiry (RFC 9260 §6.3.3 E2).
//!
//! The caller chooses which RTT samples to feed: RFC 9260 §6.3.1 C4 (at
//! most one sample per round trip) and C5 (Karn: no sample from a
//! retransmitted chunk) are its business, not the estimator's.

use std::time::Duration;

/// RFC 6298 §2: the clock granularity G in `RTO = SRTT + max(G, 4·RTTVAR)`,
/// in nanoseconds. Time comes in as `Instant`s, much finer than this; 1 ms
/// keeps a perfectly steady path from collapsing the RTO onto SRTT.
const CLOCK_GRANULARITY: u64 = 1_000_000;

/// Smoothed RTT, RTT variation and the RTO they give.
///
/// Held in whole nanoseconds (saturating at about 584 years): half the
/// size of `Duration`s, and shifts instead of `Duration` division on the
/// path every SACK takes.
#[derive(Clone, Debug)]
pub(crate) struct RtoEstimator {
    /// `(SRTT, RTTVAR)` once a sample has been taken.
    smoothed: Option<(u64, u64)>,
    rto: u64,
    min: u64,
    max: u64,
}

/// `d` in nanoseconds, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl RtoEstimator {
    /// An estimator with no sample yet. Should `min` exceed `max` (a
    /// configuration mistake), `max` wins.
    pub(crate) fn new(initial: Duration, min: Duration, max: Duration) -> Self {
        let mut this = RtoEstimator {
            smoothed: None,
            rto: 0,
            min: nanos(min),
            max: nanos(max),
        };
        // RFC 9260 §6.3.1 C1: until a measurement is made, RTO = RTO.Initial
        // (kept within RTO.Min and RTO.Max like every other value).
        this.rto = this.clamp(nanos(initial));
        this
    }

    /// Takes one round-trip time measurement.
    pub(crate) fn on_rtt_sample(&mut self, rtt: Duration) {
        let rtt = nanos(rtt);
        let (srtt, rttvar) = match self.smoothed {
            // RFC 9260 §6.3.1 C2: the first measurement R gives
            // SRTT = R, RTTVAR = R/2.
            None => (rtt, rtt / 2),
            // RFC 9260 §6.3.1 C3: RTTVAR = (1 - β)·RTTVAR + β·|SRTT - R'|,
            // then SRTT = (1 - α)·SRTT + α·R', with α = 1/8 and β = 1/4.
            // RTTVAR uses SRTT from before its own update. In u128, so no
            // sum can overflow.
            Some((srtt, rttvar)) => {
                let deviation = u128::from(srtt.abs_diff(rtt));
                let rttvar = (u128::from(rttvar) * 3 + deviation) / 4;
                let srtt = (u128::from(srtt) * 7 + u128::from(rtt)) / 8;
                (srtt as u64, rttvar as u64)
            }
        };
        self.smoothed = Some((srtt, rttvar));
        // RFC 9260 §6.3.1 C2, C3: RTO = SRTT + 4·RTTVAR, with RFC 6298 §2's
        // clock granularity as a floor on the variation term.
        let variation = rttvar.saturating_mul(4).max(CLOCK_GRANULARITY);
        self.rto = self.clamp(srtt.saturating_add(variation));
    }

    /// The current retransmission timeout.
    pub(crate) fn rto(&self) -> Duration {
        Duration::from_nanos(self.rto)
    }

    /// The smoothed round-trip time, once a sample has been taken.
    pub(crate) fn srtt(&self) -> Option<Duration> {
        self.smoothed.map(|(srtt, _)| Duration::from_nanos(srtt))
    }

    /// The round-trip time variation, once a sample has been taken.
    pub(crate) fn rttvar(&self) -> Option<Duration> {
        self.smoothed
            .map(|(_, rttvar)| Duration::from_nanos(rttvar))
    }

    /// The timer this RTO guards expired: back off.
    pub(crate) fn back_off(&mut self) {
        // RFC 9260 §6.3.3 E2: RTO = RTO * 2, bounded by RTO.Max (rule C7).
        self.rto = self.clamp(self.rto.saturating_mul(2));
    }

    /// RFC 9260 §6.3.1 C6: an RTO below RTO.Min is rounded up to it;
    /// C7: one above RTO.Max is capped to it.
    fn clamp(&self, rto: u64) -> u64 {
        rto.max(self.min).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn estimator() -> RtoEstimator {
        RtoEstimator::new(ms(1000), ms(10), ms(60_000))
    }

    #[test]
    fn starts_at_the_initial_rto_with_no_srtt() {
        let e = estimator();
        assert_eq!(e.rto(), ms(1000));
        assert_eq!(e.srtt(), None);
        assert_eq!(e.rttvar(), None);
    }

    #[test]
    fn first_sample_sets_srtt_and_half_of_it_as_rttvar() {
        let mut e = estimator();
        e.on_rtt_sample(ms(100));
        // SRTT = 100, RTTVAR = 50, RTO = 100 + 4·50 = 300.
        assert_eq!(e.srtt(), Some(ms(100)));
        assert_eq!(e.rttvar(), Some(ms(50)));
        assert_eq!(e.rto(), ms(300));
    }

    #[test]
    fn later_samples_are_smoothed_with_alpha_and_beta() {
        let mut e = estimator();
        e.on_rtt_sample(ms(100));
        e.on_rtt_sample(ms(200));
        // RTTVAR = 3/4·50 + 1/4·|100 - 200| = 37.5 + 25 = 62.5
        // SRTT   = 7/8·100 + 1/8·200      = 87.5 + 25 = 112.5
        // RTO    = 112.5 + 4·62.5 = 362.5
        assert_eq!(e.rttvar(), Some(Duration::from_micros(62_500)));
        assert_eq!(e.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(e.rto(), Duration::from_micros(362_500));
        e.on_rtt_sample(ms(80));
        // RTTVAR = 3/4·62.5 + 1/4·|112.5 - 80| = 46.875 + 8.125 = 55
        // SRTT   = 7/8·112.5 + 1/8·80 = 98.4375 + 10 = 108.4375
        // RTO    = 108.4375 + 220 = 328.4375
        assert_eq!(e.rttvar(), Some(ms(55)));
        assert_eq!(e.srtt(), Some(Duration::from_nanos(108_437_500)));
        assert_eq!(e.rto(), Duration::from_nanos(328_437_500));
    }

    #[test]
    fn steady_rtt_keeps_a_granularity_margin_above_srtt() {
        let mut e = RtoEstimator::new(ms(1000), ms(0), ms(60_000));
        for _ in 0..200 {
            e.on_rtt_sample(ms(50));
        }
        assert_eq!(e.srtt(), Some(ms(50)));
        // RTTVAR decays to (nearly) zero; G = 1 ms remains.
        assert!(e.rttvar().unwrap() < Duration::from_micros(1));
        assert_eq!(e.rto(), ms(51));
    }

    #[test]
    fn rto_is_clamped_to_min_and_max() {
        let mut e = RtoEstimator::new(ms(1000), ms(200), ms(2000));
        e.on_rtt_sample(ms(10));
        // 10 + 4·5 = 30, rounded up to RTO.Min.
        assert_eq!(e.rto(), ms(200));
        let mut e = RtoEstimator::new(ms(1000), ms(200), ms(2000));
        e.on_rtt_sample(ms(1500));
        // 1500 + 4·750 = 4500, capped at RTO.Max.
        assert_eq!(e.rto(), ms(2000));
        // The initial value obeys the bounds too.
        assert_eq!(
            RtoEstimator::new(ms(5000), ms(200), ms(2000)).rto(),
            ms(2000)
        );
        assert_eq!(RtoEstimator::new(ms(50), ms(200), ms(2000)).rto(), ms(200));
    }

    #[test]
    fn back_off_doubles_up_to_max_and_a_sample_recomputes() {
        let mut e = RtoEstimator::new(ms(1000), ms(10), ms(5000));
        e.back_off();
        assert_eq!(e.rto(), ms(2000));
        e.back_off();
        assert_eq!(e.rto(), ms(4000));
        e.back_off();
        assert_eq!(e.rto(), ms(5000));
        e.back_off();
        assert_eq!(e.rto(), ms(5000));
        e.on_rtt_sample(ms(100));
        assert_eq!(e.rto(), ms(300));
    }

    #[test]
    fn extreme_values_saturate_instead_of_panicking() {
        // Held in u64 nanoseconds: Duration::MAX saturates to about 584
        // years.
        let forever = Duration::from_nanos(u64::MAX);
        let mut e = RtoEstimator::new(Duration::MAX, ms(10), Duration::MAX);
        assert_eq!(e.rto(), forever);
        e.back_off();
        assert_eq!(e.rto(), forever);
        e.on_rtt_sample(Duration::MAX);
        e.on_rtt_sample(Duration::ZERO);
        e.on_rtt_sample(Duration::MAX);
        assert!(e.rto() >= ms(10));
        // min > max: max wins, no panic.
        assert_eq!(RtoEstimator::new(ms(100), ms(500), ms(300)).rto(), ms(300));
    }
}

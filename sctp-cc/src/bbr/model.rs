//! BBR's model of the path: the bottleneck bandwidth (a windowed maximum of
//! delivery-rate samples over packet-timed round trips) and the round-trip
//! propagation time (the minimum RTT over ten seconds), plus the round
//! counter both depend on.

use crate::filter::MaxFilter;
use crate::rate::RateSample;
use std::time::{Duration, Instant};

/// A rate sample as the model judged it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sample {
    /// The sample the association passed in.
    pub(super) rate: RateSample,
    /// Whether it may underestimate the path: marked application-limited
    /// by the estimator, or sent while BBR itself held the flight down
    /// (ProbeRTT).
    pub(super) app_limited: bool,
}

/// `BBR.BtlBw`, `BBR.RTprop` and the round counter of draft-00 §4.1.
#[derive(Clone, Debug)]
pub(super) struct Model {
    /// BBR draft-00 §4.1.1.2: the windowed maximum of delivery-rate
    /// samples, with time in round trips.
    max_bw: MaxFilter<u64, u64, u64>,
    /// `BBR.RTprop`; `None` before the first RTT sample.
    min_rtt: Option<Duration>,
    /// `BBR.rtprop_stamp`: when `min_rtt` was last set or refreshed.
    min_rtt_stamp: Option<Instant>,
    /// `RTpropFilterLen`.
    min_rtt_window: Duration,
    /// `BBR.rtprop_expired`, as of the latest ACK.
    min_rtt_expired: bool,
    /// `C.delivered` as far as BBR knows it: from the latest rate sample,
    /// plus bytes acknowledged since.
    delivered: u64,
    /// `BBR.next_round_delivered`.
    next_round_delivered: u64,
    /// `BBR.round_count`.
    round_count: u64,
    /// `BBR.round_start`: the latest ACK began a new round.
    round_start: bool,
    /// Samples of packets sent before `delivered` passed this are treated
    /// as application-limited (draft-00 §4.3.5 marks the connection
    /// application-limited throughout ProbeRTT). 0 when no mark is set.
    app_limited_until: u64,
}

impl Model {
    pub(super) fn new(bw_window_rounds: u64, min_rtt_window: Duration) -> Self {
        Model {
            max_bw: MaxFilter::new(bw_window_rounds),
            min_rtt: None,
            min_rtt_stamp: None,
            min_rtt_window,
            min_rtt_expired: false,
            delivered: 0,
            next_round_delivered: 0,
            round_count: 0,
            round_start: false,
            app_limited_until: 0,
        }
    }

    /// `BBR.BtlBw` in bytes per second, once a non-zero sample was seen.
    pub(super) fn bw(&self) -> Option<u64> {
        self.max_bw.get().filter(|&bw| bw > 0)
    }

    /// `BBR.RTprop`, once an RTT sample was seen.
    pub(super) fn min_rtt(&self) -> Option<Duration> {
        self.min_rtt
    }

    /// Whether `BBR.RTprop` was older than its window at the latest ACK.
    pub(super) fn min_rtt_expired(&self) -> bool {
        self.min_rtt_expired
    }

    /// The estimated bandwidth-delay product in bytes, once both halves
    /// of the model exist.
    pub(super) fn bdp(&self) -> Option<u64> {
        let bw = self.bw()?;
        let rtt = self.min_rtt?;
        let bytes = u128::from(bw) * rtt.as_nanos() / 1_000_000_000;
        Some(u64::try_from(bytes).unwrap_or(u64::MAX))
    }

    pub(super) fn delivered(&self) -> u64 {
        self.delivered
    }

    pub(super) fn round_count(&self) -> u64 {
        self.round_count
    }

    pub(super) fn round_start(&self) -> bool {
        self.round_start
    }

    /// Updates the round counter and the bandwidth filter from one ACK
    /// that newly acknowledged `newly_acked` bytes; returns the judged
    /// rate sample, if the ACK carried one.
    pub(super) fn on_ack(
        &mut self,
        newly_acked: usize,
        rate: Option<&RateSample>,
    ) -> Option<Sample> {
        self.round_start = false;
        let Some(rate) = rate else {
            // Without a sample BBR cannot tell which packet was acked, so
            // no round ends; the delivered count still moves.
            self.delivered = self.delivered.saturating_add(to_u64(newly_acked));
            return None;
        };
        // The estimator's C.delivered after this ACK: the sample's start
        // point plus what it covers.
        self.delivered = rate.prior_delivered.saturating_add(rate.delivered);

        // BBR draft-00 §4.1.1.3: a round trip ends when a packet sent
        // after the previous round's sentinel is acknowledged, i.e. when
        // the packet's delivered count reaches next_round_delivered.
        if rate.prior_delivered >= self.next_round_delivered {
            self.next_round_delivered = self.delivered;
            self.round_count = self.round_count.saturating_add(1);
            self.round_start = true;
        }

        let bw = rate.bytes_per_second();
        let app_limited = rate.app_limited
            || (self.app_limited_until != 0 && rate.prior_delivered < self.app_limited_until);
        if self.app_limited_until != 0 && self.delivered > self.app_limited_until {
            self.app_limited_until = 0;
        }
        // BBR draft-00 §4.1.1.4, §4.1.1.5: an application-limited sample
        // enters the filter only if it raises the estimate; otherwise it
        // would measure the application, not the path.
        if !app_limited || bw >= self.bw().unwrap_or(0) {
            self.max_bw.update(bw, self.round_count);
        }
        Some(Sample {
            rate: *rate,
            app_limited,
        })
    }

    /// BBR draft-00 §4.1.2.3 (BBRUpdateRTprop): the minimum RTT is
    /// replaced by a lower sample, or by any sample once it is older than
    /// its window.
    pub(super) fn update_min_rtt(&mut self, now: Instant, rtt: Option<Duration>) {
        self.min_rtt_expired = self
            .min_rtt_stamp
            .is_some_and(|stamp| now > stamp + self.min_rtt_window);
        let Some(rtt) = rtt else {
            return;
        };
        if self
            .min_rtt
            .is_none_or(|min_rtt| rtt <= min_rtt || self.min_rtt_expired)
        {
            self.min_rtt = Some(rtt);
            self.min_rtt_stamp = Some(now);
        }
    }

    /// BBR draft-00 §4.3.5: leaving ProbeRTT counts as a fresh
    /// measurement, whether or not a lower RTT was seen.
    pub(super) fn refresh_min_rtt_stamp(&mut self, now: Instant) {
        self.min_rtt_stamp = Some(now);
        self.min_rtt_expired = false;
    }

    /// Starts a new round now: it ends when a packet sent from now on is
    /// acknowledged (`BBR.next_round_delivered = BBR.delivered`).
    pub(super) fn start_round(&mut self) {
        self.next_round_delivered = self.delivered;
    }

    /// BBR draft-00 §4.3.5 (BBRHandleProbeRTT): treat the samples of the
    /// packets sent from now until `in_flight` more bytes are delivered
    /// as application-limited, so that the low rates of ProbeRTT do not
    /// lower the bandwidth estimate.
    pub(super) fn mark_app_limited(&mut self, in_flight: usize) {
        let until = self.delivered.saturating_add(to_u64(in_flight)).max(1);
        self.app_limited_until = self.app_limited_until.max(until);
    }
}

/// `usize` to `u64`, saturating.
pub(super) fn to_u64(bytes: usize) -> u64 {
    u64::try_from(bytes).unwrap_or(u64::MAX)
}

/// `u64` to `usize`, saturating.
pub(super) fn to_usize(bytes: u64) -> usize {
    usize::try_from(bytes).unwrap_or(usize::MAX)
}

/// `value × gain`, rounded down and saturating.
pub(super) fn scale(value: u64, gain: f64) -> u64 {
    // Float-to-integer `as` saturates (and maps NaN to 0).
    (value as f64 * gain) as u64
}

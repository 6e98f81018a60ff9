//! How BBR answers loss.
//!
//! BBR v1 treats loss as noise; loss-based controllers halve their window
//! on every fast retransmit, which on a path with 1 % random loss keeps
//! them far below the link rate. This controller follows the v1 model and
//! borrows from BBR draft-02 only what bounds the damage when loss is
//! real congestion:
//!
//! - **Fast retransmit** leaves the model, cwnd and pacing alone; it only
//!   ends a 5/4 bandwidth probe early (BBR draft-00 §4.3.4.1). SCTP
//!   reports one such event per fast recovery, which says nothing about
//!   how much was lost.
//! - **Too much in flight** (BBR draft-02 §4.5.6.2, IsInflightTooHigh):
//!   when a rate sample of a packet sent during the latest bandwidth probe
//!   shows more than `loss_thresh` (2 %) of its flight lost, the probe
//!   overfilled the path, and the flight is capped at `inflight_hi` =
//!   max(the sample's flight, the estimated BDP plus quanta) (BBR draft-02
//!   BBRHandleInflightTooHigh uses 0.7 × the target flight; see
//!   `adapt_upper_bounds` for why not here). Random loss of 1 % does not reach the
//!   threshold, and loss of packets sent while cruising never counts,
//!   so the cap appears only when probing itself causes the loss. In each
//!   later ProbeBW round in which the cap held the flight back and
//!   nothing overflowed, the cap grows by 1, 2, 4, … packets (BBR
//!   draft-02 BBRProbeInflightHiUpward). Startup ends on such loss too
//!   (see `startup`).
//! - **T3-rtx timeout**: cwnd drops to one MTU (RFC 9260 §7.2.3; BBR
//!   draft-00 §4.2.3.4 does the same), grows back by the bytes acknowledged,
//!   and the last good cwnd is restored once everything that was in flight
//!   at the timeout has been acknowledged (BBR draft-00 §4.2.3.4,
//!   BBRRestoreCwnd). The model is kept.

use super::model::to_u64;
use super::probe_bw::Cycle;
use super::{Ack, Bbr, Mode};
use crate::rate::RateSample;
use std::time::Instant;
use tracing::debug;

/// BBR draft-02 §4.5.6.2 (IsInflightTooHigh): the sample lost more than
/// `thresh` of the bytes that were in flight when its packet was sent.
pub(super) fn is_inflight_too_high(rate: &RateSample, thresh: f64) -> bool {
    rate.lost as f64 > rate.tx_in_flight as f64 * thresh
}

/// The upper bound on the flight learnt from loss, and T3-rtx recovery.
#[derive(Clone, Copy, Debug)]
pub(super) struct Bounds {
    mtu: usize,
    /// `BBR.inflight_hi` of BBR draft-02; `None` for no bound.
    inflight_hi: Option<usize>,
    /// How much `inflight_hi` grows after the next clean round in which it
    /// held the flight back (BBR draft-02 `BBR.probe_up_cnt`, in bytes).
    probe_up: usize,
    /// In the current round, the flight reached `inflight_hi`.
    round_limited: bool,
    /// In the current round, a probe put too much in flight.
    round_too_high: bool,
    /// After a T3-rtx timeout: the delivered count at which everything in
    /// flight at the timeout has been acknowledged.
    timeout_recovery_until: Option<u64>,
}

impl Bounds {
    pub(super) fn new(mtu: usize) -> Self {
        Bounds {
            mtu,
            inflight_hi: None,
            probe_up: mtu,
            round_limited: false,
            round_too_high: false,
            timeout_recovery_until: None,
        }
    }

    pub(super) fn inflight_hi(&self) -> Option<usize> {
        self.inflight_hi
    }

    pub(super) fn in_timeout_recovery(&self) -> bool {
        self.timeout_recovery_until.is_some()
    }

    pub(super) fn set_inflight_hi(&mut self, inflight_hi: usize, why: &'static str) {
        let inflight_hi = inflight_hi.max(self.mtu);
        debug!(inflight_hi, old = self.inflight_hi, why, "bbr inflight_hi");
        self.inflight_hi = Some(inflight_hi);
        self.probe_up = self.mtu;
    }

    pub(super) fn on_mtu_change(&mut self, mtu: usize) {
        self.mtu = mtu;
        self.probe_up = self.probe_up.max(mtu);
    }

    /// The end of a round: grow `inflight_hi` if it held the flight back
    /// and nothing overflowed.
    fn on_round_end(&mut self) {
        if let Some(inflight_hi) = self.inflight_hi {
            if self.round_limited && !self.round_too_high {
                // BBR draft-02 (BBRProbeInflightHiUpward): grow by 1, 2,
                // 4, … packets per round, at most doubling the bound.
                let grown = inflight_hi.saturating_add(self.probe_up);
                self.probe_up = self.probe_up.saturating_mul(2).min(grown);
                self.inflight_hi = Some(grown);
            }
        }
        self.round_limited = false;
        self.round_too_high = false;
    }
}

impl Bbr {
    /// The v2 bound, on every ACK in ProbeBW (BBR draft-02
    /// BBRAdaptUpperBounds).
    pub(super) fn adapt_upper_bounds(&mut self, ack: &Ack) {
        let Some(thresh) = self.config.loss_thresh else {
            return;
        };
        let Mode::ProbeBw(cycle) = self.mode else {
            return;
        };
        if self.model.round_start() {
            self.bounds.on_round_end();
        }
        if let Some(inflight_hi) = self.bounds.inflight_hi {
            if ack.in_flight_before.saturating_add(self.mtu) >= inflight_hi {
                self.bounds.round_limited = true;
            }
        }
        let Some(sample) = ack.sample else {
            return;
        };
        // BBR draft-02 (BBRCheckInflightTooHigh): only loss among the
        // packets of a bandwidth probe lowers the bound; loss while
        // cruising is taken as noise.
        if !cycle.is_probe_sample(sample.rate.prior_delivered)
            || !is_inflight_too_high(&sample.rate, thresh)
        {
            return;
        }
        self.bounds.round_too_high = true;
        // BBR draft-02 (BBRHandleInflightTooHigh): inflight_hi =
        // max(rs.tx_in_flight, BBRTargetInflight() * BBRBeta), unless the
        // sample was application-limited. Here the floor is BBRInflight(1),
        // the estimated BDP plus quanta, instead: v2 lowers its bandwidth
        // estimate on loss as well (bw_lo), this controller does not, and a
        // flight below the BDP at a pacing rate of BtlBw would only starve
        // the pipe, whose lower delivery rate would then pull BtlBw and the
        // cap further down, round after round, under random loss.
        if !sample.app_limited {
            let floor = self.inflight(1.0);
            self.bounds
                .set_inflight_hi(sample.rate.tx_in_flight.max(floor), "probe lost too much");
        }
        // One verdict per probe; a probe still running stops (BBR draft-02:
        // ProbeBW_UP hands over to ProbeBW_DOWN).
        if let Mode::ProbeBw(cycle) = &mut self.mode {
            *cycle = Cycle::without_probe(*cycle);
            if cycle.index() == 0 {
                self.advance_cycle_phase(ack.now);
            }
        }
    }

    /// A fast retransmit: noted for the gain cycle, nothing else.
    pub(super) fn on_fast_retransmit(&mut self, _now: Instant, in_flight: usize) {
        self.lost_since_ack = true;
        debug!(
            in_flight,
            cwnd = self.cwnd,
            "bbr fast retransmit: model kept"
        );
    }

    /// BBR draft-00 §4.2.3.4 and RFC 9260 §7.2.3: after a T3-rtx timeout,
    /// one packet.
    pub(super) fn on_timeout(&mut self, _now: Instant, in_flight: usize) {
        // BBR draft-00 §4.2.3.4: "BBR.prior_cwnd = BBRSaveCwnd(); cwnd = 1".
        self.prior_cwnd = self.save_cwnd();
        let until = self.model.delivered().saturating_add(to_u64(in_flight));
        let until = self
            .bounds
            .timeout_recovery_until
            .map_or(until, |u| u.max(until));
        self.bounds.timeout_recovery_until = Some(until);
        debug!(prior_cwnd = self.prior_cwnd, "bbr T3-rtx: cwnd to one MTU");
        self.set_cwnd_to(self.mtu, "T3-rtx");
    }

    /// BBR draft-00 §4.2.3.4: on leaving loss recovery, restore the last
    /// good cwnd.
    pub(super) fn check_timeout_recovery_done(&mut self, ack: &Ack) {
        let Some(until) = self.bounds.timeout_recovery_until else {
            return;
        };
        if self.model.delivered() >= until || ack.in_flight_after == 0 {
            self.bounds.timeout_recovery_until = None;
            debug!(prior_cwnd = self.prior_cwnd, "bbr T3-rtx recovery done");
            self.restore_cwnd();
        }
    }
}

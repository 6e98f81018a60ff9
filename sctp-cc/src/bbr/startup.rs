//! Startup (BBR draft-00 §4.3.2): an exponential search for the bottleneck
//! bandwidth, doubling the sending rate every round until the bandwidth
//! estimate stops growing.

use super::{loss, Ack, Bbr, Mode};
use tracing::debug;

/// BBR draft-00 §4.3.2.1: `BBRHighGain` = 2/ln 2, the smallest gain that
/// doubles the sending rate each round.
pub(super) const PACING_GAIN: f64 = 2.0 / std::f64::consts::LN_2;

/// The cwnd gain of Startup. BBR draft-00 uses the high gain here too;
/// BBR draft-02 (§2.6) lowered it to 2, which bounds the queue Startup can
/// build to one BDP.
pub(super) const CWND_GAIN: f64 = 2.0;

/// BBR draft-00 §4.3.2.2: the bandwidth must grow by this factor in a
/// round to count as still growing.
const FULL_BW_THRESH: f64 = 1.25;

/// BBR draft-00 §4.3.2.2: rounds without such growth before the pipe
/// counts as full.
const FULL_BW_COUNT: u32 = 3;

/// BBR draft-02 (BBRCheckStartupHighLoss, `BBRStartupFullLossCnt`): the
/// packets a sample must have lost before loss can end Startup, so that a
/// single random loss in a small early window does not.
const STARTUP_FULL_LOSS_PACKETS: usize = 6;

/// The full-pipe estimator of BBR draft-00 §4.3.2.2.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FullPipe {
    /// `BBR.filled_pipe`: Startup has once found the bottleneck.
    filled: bool,
    /// `BBR.full_bw`: the baseline the bandwidth must beat by 25 %.
    full_bw: u64,
    /// `BBR.full_bw_count`: rounds in a row without that growth.
    full_bw_count: u32,
}

impl FullPipe {
    pub(super) fn filled(&self) -> bool {
        self.filled
    }

    /// BBR draft-00 §4.3.2.2 (BBRCheckFullPipe), once per round with a
    /// sample that is not application-limited.
    fn check(&mut self, bw: u64) {
        if bw as f64 >= self.full_bw as f64 * FULL_BW_THRESH {
            // Still growing: a new baseline.
            self.full_bw = bw;
            self.full_bw_count = 0;
            return;
        }
        self.full_bw_count += 1;
        if self.full_bw_count >= FULL_BW_COUNT {
            self.filled = true;
        }
    }
}

impl Bbr {
    /// BBR draft-00 §4.3.2.1 (BBREnterStartup).
    pub(super) fn enter_startup(&mut self) {
        self.set_mode(Mode::Startup, PACING_GAIN, CWND_GAIN);
    }

    /// Ends Startup when the bandwidth has plateaued for three rounds, or
    /// when a round lost too much (BBR draft-02). Drain follows in
    /// [`check_drain`](Self::check_drain).
    pub(super) fn check_startup_done(&mut self, ack: &Ack) {
        if self.full_pipe.filled() {
            return;
        }
        let Some(sample) = ack.sample else {
            return;
        };
        // BBR draft-00 §4.3.2.2: check once per round, and only with a
        // sample that reflects the network rather than the application.
        if !self.model.round_start() || sample.app_limited {
            return;
        }
        let Some(bw) = self.model.bw() else {
            return;
        };
        self.full_pipe.check(bw);
        if self.full_pipe.filled() {
            debug!(
                bw,
                rounds = FULL_BW_COUNT,
                "bbr startup: bandwidth plateaued"
            );
            return;
        }
        // BBR draft-02 (BBRCheckStartupHighLoss): Startup also ends when
        // the flight loses more than BBRLossThresh of itself, and at least
        // BBRStartupFullLossCnt packets; the flight is then capped at what
        // the path demonstrably delivered. As in quiche's BBR2 sender
        // (CheckExcessiveLosses), only in a round in which the bandwidth
        // stopped growing: random loss does not stop the doubling, an
        // overflowing buffer does.
        if self.full_pipe.full_bw_count > 0
            && sample.rate.lost >= super::to_u64(STARTUP_FULL_LOSS_PACKETS * self.mtu)
            && self
                .config
                .loss_thresh
                .is_some_and(|thresh| loss::is_inflight_too_high(&sample.rate, thresh))
        {
            let bdp = self.inflight(1.0);
            let delivered = super::to_usize(sample.rate.delivered);
            self.bounds
                .set_inflight_hi(bdp.max(delivered), "startup high loss");
            self.full_pipe.filled = true;
            debug!(lost = sample.rate.lost, "bbr startup: loss too high");
        }
    }
}

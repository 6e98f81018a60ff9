//! Drain (BBR draft-00 §4.3.3): pace below the bandwidth, at the inverse
//! of Startup's gain, until the queue Startup built is gone.

use super::{startup, Ack, Bbr, Mode};

/// BBR draft-00 §4.3.3: the inverse of Startup's pacing gain, which
/// drains Startup's queue in about one round.
pub(super) const PACING_GAIN: f64 = 1.0 / startup::PACING_GAIN;

impl Bbr {
    /// BBR draft-00 §4.3.3 (BBREnterDrain). The cwnd gain stays Startup's.
    fn enter_drain(&mut self) {
        self.set_mode(Mode::Drain, PACING_GAIN, startup::CWND_GAIN);
    }

    /// BBR draft-00 §4.3.3 (BBRCheckDrain): Startup hands over to Drain
    /// once the pipe is full; Drain to ProbeBW once the flight is down to
    /// the estimated BDP.
    pub(super) fn check_drain(&mut self, ack: &Ack) {
        if matches!(self.mode, Mode::Startup) && self.full_pipe.filled() {
            self.enter_drain();
        }
        if matches!(self.mode, Mode::Drain) && ack.in_flight_after <= self.inflight(1.0) {
            // BBR draft-00 §4.3.3: the queue is drained, the pipe still full.
            self.enter_probe_bw(ack.now);
        }
    }
}

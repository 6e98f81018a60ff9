//! ProbeRTT (BBR draft-00 §4.3.5): when the min-RTT has not been
//! refreshed for ten seconds, cut the flight to 4 packets for 200 ms and
//! one round trip, so that the queue drains and the propagation delay can
//! be measured again.

use super::{Ack, Bbr, Mode};
use std::time::Instant;
use tracing::debug;

/// ProbeRTT's progress.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ProbeRtt {
    /// `BBR.probe_rtt_done_stamp`: set once the flight is down to 4
    /// packets; ProbeRTT lasts at least until then.
    done_stamp: Option<Instant>,
    /// `BBR.probe_rtt_round_done`: a round trip has passed since.
    round_done: bool,
}

impl Bbr {
    /// BBR draft-00 §4.3.5 (BBRCheckProbeRTT), on every ACK.
    pub(super) fn check_probe_rtt(&mut self, ack: &Ack) {
        // BBR draft-00 §4.3.5: enter ProbeRTT when the min-RTT estimate is
        // older than its window, unless the flow has just been idle (the
        // idle period drained the queue as well as ProbeRTT would).
        if !matches!(self.mode, Mode::ProbeRtt(_))
            && self.model.min_rtt_expired()
            && !self.idle_restart
        {
            // BBR draft-00 §4.3.5: remember cwnd, pacing and cwnd gain 1.
            self.prior_cwnd = self.save_cwnd();
            self.set_mode(Mode::ProbeRtt(ProbeRtt::default()), 1.0, 1.0);
        }
        if matches!(self.mode, Mode::ProbeRtt(_)) {
            self.handle_probe_rtt(ack);
        }
        self.idle_restart = false;
    }

    /// BBR draft-00 §4.3.5 (BBRHandleProbeRTT).
    fn handle_probe_rtt(&mut self, ack: &Ack) {
        // BBR draft-00 §4.3.5: "Ignore low rate samples during ProbeRTT".
        self.model.mark_app_limited(ack.in_flight_after);
        let min_pipe_cwnd = self.min_pipe_cwnd();
        let round_start = self.model.round_start();
        let Mode::ProbeRtt(probe) = &mut self.mode else {
            return;
        };
        match probe.done_stamp {
            None if ack.in_flight_after <= min_pipe_cwnd => {
                // BBR draft-00 §4.3.5: once the flight is down to 4
                // packets, hold it there for ProbeRTTDuration and a round.
                probe.done_stamp = Some(ack.now + self.config.probe_rtt_duration);
                probe.round_done = false;
                self.model.start_round();
            }
            None => {}
            Some(_) => {
                if round_start {
                    probe.round_done = true;
                }
                self.check_probe_rtt_done(ack.now, true);
            }
        }
    }

    /// BBR draft-00 §4.3.5: leave ProbeRTT once both its duration and a
    /// round have passed with the flight down. After idle (`need_round`
    /// false) nothing is in flight and no round can end: the duration
    /// alone counts, as in BBR draft-02's BBRHandleRestartFromIdle.
    pub(super) fn check_probe_rtt_done(&mut self, now: Instant, need_round: bool) {
        let Mode::ProbeRtt(probe) = self.mode else {
            return;
        };
        let round_done = probe.round_done || !need_round;
        if !(round_done && probe.done_stamp.is_some_and(|done| now > done)) {
            return;
        }
        // BBR draft-00 §4.3.5: the RTT just measured counts as fresh, the
        // window comes back, and the flow resumes where it was: ProbeBW if
        // Startup had filled the pipe, Startup otherwise.
        self.model.refresh_min_rtt_stamp(now);
        debug!(min_rtt = ?self.model.min_rtt(), "bbr probe_rtt done");
        self.restore_cwnd();
        if self.full_pipe.filled() {
            self.enter_probe_bw(now);
        } else {
            self.enter_startup();
        }
    }
}

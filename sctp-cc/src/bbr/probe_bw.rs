//! ProbeBW (BBR draft-00 §4.3.4): cruise at the estimated bandwidth, and
//! once per eight phases of about one min-RTT each probe for more at 5/4
//! and drain the resulting queue at 3/4.

use super::{Ack, Bbr, Mode};
use std::time::Instant;

/// BBR draft-00 §4.3.4.1: the eight-phase pacing-gain cycle.
pub(super) const PACING_GAIN_CYCLE: [f64; 8] = [1.25, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];

/// BBR draft-00 §4.3.4.1: cwnd_gain stays 2 throughout ProbeBW, for
/// delayed, stretched or aggregated SACKs.
pub(super) const CWND_GAIN: f64 = 2.0;

/// The phase that probes for bandwidth (gain 5/4).
const PROBE_PHASE: usize = 0;

/// The phase that drains the probe's queue (gain 3/4).
const DRAIN_PHASE: usize = 1;

/// Where ProbeBW is in its gain cycle.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cycle {
    /// `BBR.cycle_index`.
    index: usize,
    /// `BBR.cycle_stamp`: when the current phase began.
    stamp: Instant,
    /// The delivered counts between which the packets of the latest
    /// bandwidth probe were sent: `(start, end)`, `end` open while the
    /// probe phase lasts. Loss among those packets is what the v2 loss
    /// response acts on (see `loss`).
    probe: Option<(u64, Option<u64>)>,
}

impl Cycle {
    pub(super) fn index(&self) -> usize {
        self.index
    }

    /// The same phase with the latest probe's verdict given: its losses
    /// are no longer looked at.
    pub(super) fn without_probe(cycle: Cycle) -> Cycle {
        Cycle {
            probe: None,
            ..cycle
        }
    }

    /// Whether a packet sent when `prior_delivered` bytes had been
    /// delivered belongs to the latest bandwidth probe.
    pub(super) fn is_probe_sample(&self, prior_delivered: u64) -> bool {
        self.probe.is_some_and(|(start, end)| {
            prior_delivered >= start && end.is_none_or(|end| prior_delivered < end)
        })
    }
}

/// A xorshift64* generator: the only randomness BBR needs, seeded from
/// [`super::BbrConfig::seed`] so that runs are reproducible.
#[derive(Clone, Copy, Debug)]
pub(super) struct XorShift(u64);

impl XorShift {
    pub(super) fn new(seed: u64) -> Self {
        XorShift(seed)
    }

    /// A number in `0..n` (n > 0), after mixing `salt` into the state.
    pub(super) fn below(&mut self, n: u64, salt: u64) -> u64 {
        let mut x = self.0 ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        if x == 0 {
            x = 0x2545_f491_4f6c_dd1d;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) % n.max(1)
    }
}

impl Bbr {
    /// BBR draft-00 §4.3.4.3 (BBREnterProbeBW).
    pub(super) fn enter_probe_bw(&mut self, now: Instant) {
        // BBR draft-00 §4.3.4.2: start at a random phase, any but the 3/4
        // one: cycle_index = 8 - 1 - random(0..=6), then advance, which
        // lands on phase 2..=7 or 0.
        let draw = self.rng.below(7, self.model.delivered());
        let index = PACING_GAIN_CYCLE.len() - 1 - super::to_usize(draw);
        let cycle = Cycle {
            index,
            stamp: now,
            probe: None,
        };
        self.set_mode(Mode::ProbeBw(cycle), 1.0, CWND_GAIN);
        self.advance_cycle_phase(now);
    }

    /// BBR draft-00 §4.3.4.3 (BBRAdvanceCyclePhase).
    pub(super) fn advance_cycle_phase(&mut self, now: Instant) {
        let delivered = self.model.delivered();
        let Mode::ProbeBw(cycle) = &mut self.mode else {
            return;
        };
        if cycle.index == PROBE_PHASE {
            if let Some((start, None)) = cycle.probe {
                cycle.probe = Some((start, Some(delivered)));
            }
        }
        cycle.stamp = now;
        cycle.index = (cycle.index + 1) % PACING_GAIN_CYCLE.len();
        if cycle.index == PROBE_PHASE {
            cycle.probe = Some((delivered, None));
        }
        self.pacing_gain = PACING_GAIN_CYCLE[cycle.index];
    }

    /// BBR draft-00 §4.3.4.3 (BBRCheckCyclePhase).
    pub(super) fn check_cycle_phase(&mut self, ack: &Ack) {
        if let Mode::ProbeBw(cycle) = self.mode {
            if self.is_next_cycle_phase(&cycle, ack) {
                self.advance_cycle_phase(ack.now);
            }
        }
    }

    /// BBR draft-00 §4.3.4.3 (BBRIsNextCyclePhase).
    fn is_next_cycle_phase(&self, cycle: &Cycle, ack: &Ack) -> bool {
        let min_rtt = self.model.min_rtt().unwrap_or_default();
        let is_full_length = ack.now.saturating_duration_since(cycle.stamp) > min_rtt;
        match cycle.index {
            // BBR draft-00 §4.3.4.1: the 5/4 phase lasts at least a min-RTT
            // and until the flight reaches 5/4 BDP or a packet is lost.
            // The flight cannot pass cwnd, which inflight_hi may hold below
            // 5/4 BDP, so reaching cwnd counts too.
            PROBE_PHASE => {
                let goal = self
                    .inflight(PACING_GAIN_CYCLE[PROBE_PHASE])
                    .min(self.cwnd.saturating_sub(self.mtu));
                is_full_length && (ack.lost || ack.in_flight_before >= goal)
            }
            // BBR draft-00 §4.3.4.1: the 3/4 phase lasts a min-RTT, or
            // until the flight is down to the BDP.
            DRAIN_PHASE => is_full_length || ack.in_flight_before <= self.inflight(1.0),
            // BBR draft-00 §4.3.4.1: the cruising phases last a min-RTT.
            _ => is_full_length,
        }
    }

    /// BBR draft-00 §4.3.4.4 (BBRHandleRestartFromIdle): after idle, keep
    /// cwnd and pace at exactly the estimated bandwidth; ProbeRTT may have
    /// ended meanwhile.
    pub(super) fn on_restart_from_idle(&mut self, now: Instant) {
        self.idle_restart = true;
        match self.mode {
            Mode::ProbeBw(_) => self.set_pacing_rate_with_gain(1.0),
            Mode::ProbeRtt(_) => self.check_probe_rtt_done(now, false),
            Mode::Startup | Mode::Drain => {}
        }
    }
}

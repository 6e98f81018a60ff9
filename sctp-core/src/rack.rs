//! RACK-TLP loss detection (RFC 8985), adapted to SCTP's TSNs the way
//! pion/sctp does it: a chunk is lost when a chunk sent after it has been
//! acknowledged and more than an RTT plus a reordering window has passed
//! since it was sent; a tail-loss probe re-sends the last chunk when the
//! SACKs stop, so losses at the end of a burst are found by RACK instead
//! of waiting for T3-rtx.
//!
//! This module holds the state and the time arithmetic; the association
//! walks its flight and calls it (see `transfer.rs`).

use std::time::{Duration, Instant};

/// Which rule declares chunks lost (selectable per association).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LossDetection {
    /// Three miss indications from SACKs mark a chunk for fast
    /// retransmission (RFC 9260 §7.2.4).
    #[default]
    ThreeMisses,
    /// Time-based loss marking with a reordering window, and tail-loss
    /// probes (RFC 8985).
    RackTlp,
}

/// The reordering window's multiplier stays at most this (RFC 8985 §6.2:
/// the window is also capped by SRTT).
const MAX_REO_WND_MULT: u32 = 16;
/// Recoveries after which an enlarged reordering window shrinks back
/// (RFC 8985 §6.2: 16).
const REO_WND_PERSIST: u32 = 16;

/// RACK's state (RFC 8985 §6.1).
#[derive(Debug, Default)]
pub(crate) struct Rack {
    /// Send time and TSN (unwrapped) of the most recently sent chunk that
    /// has been acknowledged: `RACK.xmit_ts`, `RACK.end_seq`.
    latest: Option<(Instant, u64)>,
    /// The RTT of that chunk: `RACK.rtt`.
    rtt: Duration,
    /// The smallest RTT seen.
    min_rtt: Option<Duration>,
    /// Highest TSN acknowledged so far: a lower one acknowledged later
    /// means the path reorders (`RACK.fack`, `RACK.reordering_seen`).
    highest_acked: Option<u64>,
    reordering_seen: bool,
    /// `RACK.reo_wnd_mult` and its persistence counter.
    reo_wnd_mult: u32,
    reo_wnd_persist: u32,
    /// When the reordering timer fires, to look for losses again.
    reorder_at: Option<Instant>,
    /// When the tail-loss probe goes (RFC 8985 §7.2).
    probe_at: Option<Instant>,
    /// A probe is out and unanswered: no second one (§7.3).
    probe_out: bool,
    /// The peer's delayed SACK time, for the probe timeout: taken to be
    /// ours (RFC 8985 §7.2: WCDelAckT).
    delayed_ack: Duration,
}

/// Whether a chunk sent at `t1` with TSN `k1` went after one sent at `t2`
/// with `k2` (RFC 8985 §6.2 RACK_sent_after: ties by sequence).
pub(crate) fn sent_after(t1: Instant, k1: u64, t2: Instant, k2: u64) -> bool {
    t1 > t2 || (t1 == t2 && k1 > k2)
}

impl Rack {
    /// RACK with `delayed_ack` as the peer's delayed SACK time.
    pub(crate) fn new(delayed_ack: Duration) -> Rack {
        Rack {
            delayed_ack,
            ..Rack::default()
        }
    }

    /// A chunk was acknowledged for the first time at `now`; `sent_at`,
    /// `key` and whether it was `retransmitted` describe its last
    /// transmission (RFC 8985 §6.2 step 2, RACK_update).
    pub(crate) fn on_acked(
        &mut self,
        now: Instant,
        sent_at: Instant,
        key: u64,
        retransmitted: bool,
    ) {
        let rtt = now.saturating_duration_since(sent_at);
        // Step 2: the ack of a retransmission that came back faster than
        // any RTT is taken for the ack of the original: ignored.
        if retransmitted && self.min_rtt.is_some_and(|min| rtt < min) {
            return;
        }
        if !retransmitted {
            self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
        }
        // Step 3: reordering, when something below the highest
        // acknowledged TSN is acknowledged only now.
        match self.highest_acked {
            Some(high) if key < high => self.reordering_seen = true,
            _ => self.highest_acked = Some(key),
        }
        if self
            .latest
            .is_none_or(|(t, k)| sent_after(sent_at, key, t, k))
        {
            self.latest = Some((sent_at, key));
            self.rtt = rtt;
        }
    }

    /// The peer reported a TSN twice: one of our retransmissions was not
    /// needed, so the reordering window grows (RFC 8985 §6.2 step 4, with
    /// SCTP's duplicate TSN reports for TCP's DSACK).
    pub(crate) fn on_spurious(&mut self) {
        self.reo_wnd_mult = (self.reo_wnd_mult.max(1) + 1).min(MAX_REO_WND_MULT);
        self.reo_wnd_persist = REO_WND_PERSIST;
    }

    /// A loss recovery ended: after 16 without a spurious retransmission
    /// the window goes back to its base (§6.2 step 4).
    pub(crate) fn on_recovery_exit(&mut self) {
        if self.reo_wnd_persist > 0 {
            self.reo_wnd_persist -= 1;
            if self.reo_wnd_persist == 0 {
                self.reo_wnd_mult = 1;
            }
        }
    }

    /// `RACK.reo_wnd` (§6.2 step 4): a quarter of the minimum RTT times
    /// the multiplier, at most SRTT; none before reordering was seen (the
    /// first reordering costs one spurious retransmission, as in TCP).
    pub(crate) fn reo_wnd(&self, srtt: Option<Duration>) -> Duration {
        if !self.reordering_seen {
            return Duration::ZERO;
        }
        let base = self.min_rtt.unwrap_or_default() / 4 * self.reo_wnd_mult.max(1);
        srtt.map_or(base, |s| base.min(s))
    }

    /// For an outstanding chunk sent at `sent_at` with TSN `key`: `None`
    /// if no later chunk was acknowledged yet; otherwise the time past
    /// which it is lost (§6.2 step 5, RACK_detect_loss).
    pub(crate) fn loss_deadline(
        &self,
        sent_at: Instant,
        key: u64,
        reo_wnd: Duration,
    ) -> Option<Instant> {
        let (latest_at, latest_key) = self.latest?;
        sent_after(latest_at, latest_key, sent_at, key).then(|| sent_at + self.rtt + reo_wnd)
    }

    /// The TSN of the latest acknowledged chunk: nothing above it can be
    /// declared lost.
    pub(crate) fn latest_key(&self) -> Option<u64> {
        self.latest.map(|(_, k)| k)
    }

    pub(crate) fn set_reorder_timer(&mut self, at: Option<Instant>) {
        self.reorder_at = at;
    }

    /// Arms the probe timeout (§7.2): two SRTTs, plus the peer's delayed
    /// SACK when one chunk alone is in flight, never past `rto_at`.
    pub(crate) fn arm_probe(
        &mut self,
        now: Instant,
        srtt: Option<Duration>,
        single_chunk: bool,
        rto_at: Option<Instant>,
    ) {
        if self.probe_out {
            return;
        }
        let Some(srtt) = srtt else {
            // Without an RTT sample there is no PTO: T3-rtx covers it.
            self.probe_at = None;
            return;
        };
        let mut pto = srtt * 2;
        if single_chunk {
            pto += self.delayed_ack;
        }
        let at = now + pto;
        self.probe_at = Some(rto_at.map_or(at, |rto| at.min(rto)));
    }

    /// Nothing outstanding: no probe, no reordering timer.
    pub(crate) fn disarm(&mut self) {
        self.probe_at = None;
        self.reorder_at = None;
        self.probe_out = false;
    }

    /// A SACK acknowledged something new: a probe may go again.
    pub(crate) fn on_progress(&mut self) {
        self.probe_out = false;
    }

    /// The timers due at `now`: (reordering timer, probe timer).
    pub(crate) fn take_due(&mut self, now: Instant) -> (bool, bool) {
        let reorder = self.reorder_at.is_some_and(|at| at <= now);
        if reorder {
            self.reorder_at = None;
        }
        let probe = self.probe_at.is_some_and(|at| at <= now);
        if probe {
            self.probe_at = None;
            self.probe_out = true;
        }
        (reorder, probe)
    }

    /// The earliest of its timers.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match (self.reorder_at, self.probe_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
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

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_chunk_sent_before_the_latest_acknowledged_is_lost_after_rtt_plus_window() {
        // RFC 8985 §6.2 step 5: lost when now >= sent + RACK.rtt + reo_wnd.
        let t0 = epoch();
        let mut r = Rack::default();
        r.on_acked(t0 + 100 * MS, t0 + 10 * MS, 11, false);
        assert_eq!(r.rtt, 90 * MS);
        assert_eq!(r.latest_key(), Some(11));
        let deadline = r.loss_deadline(t0, 10, r.reo_wnd(None));
        assert_eq!(deadline, Some(t0 + 90 * MS));
        // A chunk sent after the latest acknowledged one is not judged.
        assert_eq!(r.loss_deadline(t0 + 20 * MS, 12, Duration::ZERO), None);
    }

    #[test]
    fn the_reordering_window_opens_once_reordering_is_seen() {
        // §6.2 step 3 and 4: min_rtt / 4, capped by SRTT, once seen.
        let t0 = epoch();
        let mut r = Rack::default();
        r.on_acked(t0 + 40 * MS, t0, 5, false);
        assert_eq!(r.reo_wnd(Some(40 * MS)), Duration::ZERO);
        r.on_acked(t0 + 41 * MS, t0, 4, false);
        assert!(r.reordering_seen);
        assert_eq!(r.reo_wnd(Some(40 * MS)), 10 * MS);
        // Spurious retransmissions widen it, up to SRTT.
        r.on_spurious();
        assert_eq!(r.reo_wnd(Some(40 * MS)), 20 * MS);
        for _ in 0..10 {
            r.on_spurious();
        }
        assert_eq!(r.reo_wnd(Some(40 * MS)), 40 * MS);
        // 16 recoveries later it is back to its base.
        for _ in 0..REO_WND_PERSIST {
            r.on_recovery_exit();
        }
        assert_eq!(r.reo_wnd(Some(40 * MS)), 10 * MS);
    }

    #[test]
    fn an_ack_faster_than_any_rtt_for_a_retransmission_is_ignored() {
        // §6.2 step 2: it acknowledges the original, not the copy.
        let t0 = epoch();
        let mut r = Rack::default();
        r.on_acked(t0 + 50 * MS, t0, 1, false);
        r.on_acked(t0 + 60 * MS, t0 + 55 * MS, 2, true);
        assert_eq!(r.latest_key(), Some(1));
    }

    #[test]
    fn the_probe_timeout_is_two_srtts_plus_the_delayed_ack_for_one_chunk() {
        // RFC 8985 §7.2.
        let t0 = epoch();
        let mut r = Rack::new(200 * MS);
        r.arm_probe(t0, Some(30 * MS), false, None);
        assert_eq!(r.deadline(), Some(t0 + 60 * MS));
        r.arm_probe(t0, Some(30 * MS), true, None);
        assert_eq!(r.deadline(), Some(t0 + 260 * MS));
        // Never after the RTO.
        r.arm_probe(t0, Some(30 * MS), true, Some(t0 + 100 * MS));
        assert_eq!(r.deadline(), Some(t0 + 100 * MS));
        // One probe at a time.
        assert_eq!(r.take_due(t0 + 100 * MS), (false, true));
        r.arm_probe(t0 + 100 * MS, Some(30 * MS), false, None);
        assert_eq!(r.deadline(), None, "no second probe before an ack");
        r.on_progress();
        r.arm_probe(t0 + 100 * MS, Some(30 * MS), false, None);
        assert_eq!(r.deadline(), Some(t0 + 160 * MS));
        // No RTT yet, no probe.
        let mut fresh = Rack::default();
        fresh.arm_probe(t0, None, false, None);
        assert_eq!(fresh.deadline(), None);
    }
}

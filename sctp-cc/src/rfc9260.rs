//! The congestion control of RFC 9260 §7.2 (the RFC 2960 and RFC 4960
//! lineage): slow start, congestion avoidance with partial_bytes_acked,
//! fast recovery, T3-rtx collapse and cwnd validation when idle.

use crate::controller::{
    AckEvent, CongestionController, CongestionControllerFactory, CongestionEvent, PathParams,
    SentPacket,
};
use std::time::Instant;
use tracing::debug;

/// Configuration of [`Rfc9260`]; also its [`CongestionControllerFactory`].
///
/// The defaults follow RFC 9260. `min_cwnd`, `fast_rtx_wnd` and
/// `cwnd_ca_step` are the knobs pion/sctp users know as `MinCwnd`,
/// `FastRtxWnd` and `CwndCAStep`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rfc9260Config {
    /// Initial cwnd in bytes; `None` for RFC 9260 §7.2.1's
    /// min(4·MTU, max(2·MTU, 4380)).
    pub initial_cwnd: Option<usize>,
    /// The L of RFC 9260 §7.2.1: slow start grows cwnd by at most L·MTU
    /// per SACK, which bounds ACK-splitting attacks.
    pub l: usize,
    /// Max.Burst (RFC 9260 §6.1 rule D, §16): packets of new data sent back
    /// to back in reply to one event. 0 disables the limit.
    pub max_burst: usize,
    /// Floor of cwnd in bytes after a reduction (pion's `MinCwnd`); cwnd
    /// never goes below one MTU whatever this says.
    pub min_cwnd: usize,
    /// Bytes of fast retransmissions sent at once (pion's `FastRtxWnd`);
    /// at least one MTU.
    pub fast_rtx_wnd: usize,
    /// Growth of cwnd per window acknowledged in congestion avoidance, in
    /// bytes (pion's `CwndCAStep`); `None` for one MTU, as RFC 9260 §7.2.2
    /// says.
    pub cwnd_ca_step: Option<usize>,
}

impl Default for Rfc9260Config {
    fn default() -> Self {
        Rfc9260Config {
            initial_cwnd: None,
            l: 1,
            max_burst: 4,
            min_cwnd: 0,
            fast_rtx_wnd: 0,
            cwnd_ca_step: None,
        }
    }
}

impl CongestionControllerFactory for Rfc9260Config {
    fn build(&self, path: &PathParams) -> Box<dyn CongestionController> {
        Box::new(Rfc9260::new(*self, path))
    }
}

/// The RFC 9260 §7.2 congestion controller.
///
/// ```
/// use sctp_cc::{CongestionController, PathParams, Rfc9260, Rfc9260Config};
///
/// let cc = Rfc9260::new(Rfc9260Config::default(), &PathParams { mtu: 1200, peer_rwnd: 1 << 20 });
/// // RFC 9260 §7.2.1: min(4·MTU, max(2·MTU, 4380 bytes)).
/// assert_eq!(cc.cwnd(), 4380);
/// assert_eq!(cc.ssthresh(), Some(1 << 20));
/// ```
#[derive(Clone, Debug)]
pub struct Rfc9260 {
    config: Rfc9260Config,
    mtu: usize,
    cwnd: usize,
    ssthresh: usize,
    partial_bytes_acked: usize,
    in_fast_recovery: bool,
}

impl Rfc9260 {
    /// A controller in slow start with the initial window.
    pub fn new(config: Rfc9260Config, path: &PathParams) -> Self {
        let mtu = path.mtu.max(1);
        // RFC 9260 §7.2.1: the initial cwnd before data transmission is
        // min(4*MTU, max(2*MTU, 4380 bytes)).
        let initial = config
            .initial_cwnd
            .unwrap_or_else(|| (4 * mtu).min((2 * mtu).max(4380)));
        let mut cc = Rfc9260 {
            config,
            mtu,
            cwnd: 0,
            // RFC 9260 §7.2.1: the initial ssthresh may be arbitrarily
            // high, for example the peer's advertised receiver window.
            ssthresh: path.peer_rwnd.max(1),
            partial_bytes_acked: 0,
            in_fast_recovery: false,
        };
        cc.cwnd = initial.max(cc.floor());
        cc
    }

    /// The bytes partial_bytes_acked holds (RFC 9260 §7.2.2).
    pub fn partial_bytes_acked(&self) -> usize {
        self.partial_bytes_acked
    }

    /// Whether the controller is in fast recovery (RFC 9260 §7.2.4).
    pub fn in_fast_recovery(&self) -> bool {
        self.in_fast_recovery
    }

    /// The lowest cwnd allowed: one MTU, or `min_cwnd` if larger.
    fn floor(&self) -> usize {
        self.mtu.max(self.config.min_cwnd)
    }

    fn set_cwnd(&mut self, cwnd: usize, why: &'static str) {
        let cwnd = cwnd.max(self.floor());
        if cwnd != self.cwnd {
            debug!(
                cwnd,
                old = self.cwnd,
                ssthresh = self.ssthresh,
                why,
                "cwnd changed"
            );
            self.cwnd = cwnd;
        }
    }

    /// The growth rules of slow start and congestion avoidance for one SACK.
    fn grow(&mut self, ack: &AckEvent) {
        let acked = ack.newly_acked();
        if acked == 0 {
            return;
        }
        // RFC 9260 §7.2.1 and §7.2.2: the window grows only while it is
        // fully used, that is with cwnd or more bytes outstanding before
        // the SACK, and never while the application leaves it unused
        // (cwnd validation for the application-limited sender).
        let window_full = ack.in_flight_before >= self.cwnd && !ack.app_limited;
        if self.cwnd <= self.ssthresh {
            // RFC 9260 §7.2.1: in slow start cwnd grows only if it is
            // fully utilized, the SACK advances the cumulative TSN ack
            // point and the sender is not in fast recovery; then by at
            // most the lesser of the bytes acknowledged and L*MTU.
            if window_full && ack.cum_tsn_advanced && !self.in_fast_recovery {
                let limit = self.config.l.max(1).saturating_mul(self.mtu);
                self.set_cwnd(self.cwnd.saturating_add(acked.min(limit)), "slow start");
            }
            return;
        }
        // RFC 9260 §7.2.2: in congestion avoidance partial_bytes_acked
        // counts every byte newly acknowledged, by the cumulative TSN ack
        // or by gap ack blocks.
        self.partial_bytes_acked = self.partial_bytes_acked.saturating_add(acked);
        if self.partial_bytes_acked >= self.cwnd && window_full && !self.in_fast_recovery {
            // RFC 9260 §7.2.2: with cwnd or more bytes outstanding before
            // the SACK, partial_bytes_acked drops by cwnd and cwnd grows
            // by one MTU (or the configured step).
            self.partial_bytes_acked -= self.cwnd;
            let step = self.config.cwnd_ca_step.unwrap_or(self.mtu).max(1);
            self.set_cwnd(self.cwnd.saturating_add(step), "congestion avoidance");
        } else if self.partial_bytes_acked > self.cwnd {
            // RFC 9260 §7.2.2: with less than cwnd outstanding,
            // partial_bytes_acked is capped at cwnd, so an unused window
            // cannot bank growth for later.
            self.partial_bytes_acked = self.cwnd;
        }
    }

    /// RFC 9260 §7.2.3: ssthresh = max(cwnd/2, 4*MTU) on loss.
    fn reduce_ssthresh(&mut self) {
        self.ssthresh = (self.cwnd / 2).max(4 * self.mtu);
        self.partial_bytes_acked = 0;
    }
}

impl CongestionController for Rfc9260 {
    fn on_packet_sent(&mut self, _packet: &SentPacket) {}

    fn on_ack(&mut self, ack: &AckEvent) {
        self.grow(ack);
        // RFC 9260 §7.2.2: when all data sent has been acknowledged,
        // partial_bytes_acked is reset to 0.
        if ack.in_flight_after == 0 {
            self.partial_bytes_acked = 0;
        }
    }

    fn on_congestion(&mut self, _now: Instant, event: CongestionEvent, _in_flight: usize) {
        match event {
            CongestionEvent::FastRetransmit => {
                // RFC 9260 §7.2.4: one reduction per fast recovery; later
                // losses before the exit point leave cwnd and ssthresh alone.
                if self.in_fast_recovery {
                    return;
                }
                self.in_fast_recovery = true;
                // RFC 9260 §7.2.3: ssthresh = max(cwnd/2, 4*MTU), cwnd =
                // ssthresh. With cwnd already below 4*MTU that formula
                // would raise cwnd on a loss; a loss never grows it here.
                self.reduce_ssthresh();
                self.set_cwnd(self.ssthresh.min(self.cwnd), "fast retransmit");
            }
            CongestionEvent::Timeout => {
                // RFC 9260 §7.2.3: after T3-rtx, ssthresh = max(cwnd/2,
                // 4*MTU) and cwnd = 1*MTU. The timeout also ends any fast
                // recovery: the chunks are retransmitted by T3 rules.
                self.in_fast_recovery = false;
                self.reduce_ssthresh();
                self.set_cwnd(self.mtu, "T3-rtx expiry");
            }
        }
    }

    fn on_recovery_exit(&mut self, _now: Instant) {
        self.in_fast_recovery = false;
    }

    fn on_idle(&mut self, _now: Instant) {
        // RFC 9260 §7.2.1: without transmission, cwnd SHOULD be adjusted
        // to max(cwnd/2, 4*MTU) per RTO. Read literally that raises a
        // window already below 4*MTU; as for TCP's restart window (RFC
        // 5681 §4.1), idling never grows cwnd here.
        let decayed = (self.cwnd / 2).max(4 * self.mtu).min(self.cwnd);
        self.set_cwnd(decayed, "idle");
    }

    fn on_mtu_change(&mut self, _now: Instant, mtu: usize) {
        // The window stays in bytes; only the MTU-based floors and steps
        // follow the new path MTU.
        self.mtu = mtu.max(1);
        self.set_cwnd(self.cwnd, "MTU change");
    }

    fn cwnd(&self) -> usize {
        self.cwnd
    }

    fn ssthresh(&self) -> Option<usize> {
        Some(self.ssthresh)
    }

    fn burst_limit(&self) -> Option<usize> {
        // RFC 9260 §6.1 rule D: Max.Burst packets of new data per event.
        (self.config.max_burst > 0).then(|| self.config.max_burst.saturating_mul(self.mtu))
    }

    fn fast_retransmit_budget(&self) -> usize {
        self.config.fast_rtx_wnd.max(self.mtu)
    }

    fn name(&self) -> &'static str {
        "rfc9260"
    }
}

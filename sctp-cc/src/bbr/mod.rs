//! BBR ("Bottleneck Bandwidth and Round-trip propagation time"): the v1
//! model and state machine of draft-cardwell-iccrg-bbr-congestion-control-00
//! (cited below as "BBR draft-00"), with the loss response of the v2 draft
//! (draft-cardwell-iccrg-bbr-congestion-control-02, "BBR draft-02") where it
//! keeps random loss from collapsing the window.
//!
//! BBR measures the path instead of reacting to loss: the bottleneck
//! bandwidth is the maximum delivery rate over the last ten round trips
//! ([`model`]), the propagation delay the minimum RTT over ten seconds.
//! The sender paces at `pacing_gain × bw` and keeps at most
//! `cwnd_gain × bw × min_rtt` in flight; a small state machine varies the
//! gains to probe:
//!
//! ```text
//!          |
//!          V
//! +---> Startup  ----+      startup.rs:   gain 2/ln 2 until bw plateaus
//! |        |         |
//! |        V         |
//! |      Drain   ----+      drain.rs:     inverse gain until inflight ≤ BDP
//! |        |         |
//! |        V         |
//! +---> ProbeBW -----+      probe_bw.rs:  gains 5/4, 3/4, 1 × 6
//! |      ^    |      |
//! |      +----+      |
//! +---- ProbeRTT <---+      probe_rtt.rs: 4 packets for 200 ms + 1 round
//! ```
//!
//! How loss is answered is in [`loss`].

mod drain;
mod loss;
mod model;
mod probe_bw;
mod probe_rtt;
mod startup;

use crate::controller::{
    AckEvent, CongestionController, CongestionControllerFactory, CongestionEvent, PathParams,
    SentPacket,
};
use loss::Bounds;
use model::{scale, to_u64, to_usize, Model, Sample};
use probe_bw::{Cycle, XorShift};
use probe_rtt::ProbeRtt;
use startup::FullPipe;
use std::time::{Duration, Instant};
use tracing::{debug, trace};

/// BBR draft-00 §4.2.3.3: the cwnd floor that keeps the pipeline going
/// with a receiver acknowledging every other packet: 4 packets.
const MIN_PIPE_CWND_PACKETS: usize = 4;

/// Configuration of [`Bbr`]; also its [`CongestionControllerFactory`].
///
/// The defaults are those of the BBR drafts. Every controller a factory
/// builds starts from the same `seed`; see [`seed`](Self::seed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BbrConfig {
    /// Initial cwnd in bytes; `None` for RFC 9260 §7.2.1's
    /// min(4·MTU, max(2·MTU, 4380)). BBR draft-00 §4.2.3.1 leaves the
    /// initial window to the transport.
    pub initial_cwnd: Option<usize>,
    /// The RTT assumed for the initial pacing rate until the first RTT
    /// sample arrives: BBR paces at `2/ln 2 × initial_cwnd / initial_rtt`
    /// (BBR draft-00 §4.2.1 uses 1 ms when no SRTT is known, the default).
    /// The controller replaces it by the first measured RTT.
    pub initial_rtt: Duration,
    /// Seed of the generator that picks the first ProbeBW gain phase
    /// (BBR draft-00 §4.3.4.2). The draw also mixes in the bytes delivered
    /// so far, so flows built from one configuration still drift apart;
    /// the same seed and the same events give the same phases.
    pub seed: u64,
    /// Length of the bandwidth max filter in round trips (BBR draft-00
    /// §4.1.1.2: `BtlBwFilterLen` = 10).
    pub bw_window_rounds: u64,
    /// Length of the min-RTT filter, which is also the interval between
    /// ProbeRTT visits (BBR draft-00 §4.3.5: 10 s, and it MUST NOT be
    /// shorter).
    pub min_rtt_window: Duration,
    /// How long ProbeRTT holds the flight at 4 packets, at least (BBR
    /// draft-00 §4.3.5: `ProbeRTTDuration` = 200 ms); one round trip more
    /// is always added.
    pub probe_rtt_duration: Duration,
    /// The loss rate above which a bandwidth probe counts as having put
    /// too much in flight (BBR draft-02 §2.8: `BBRLossThresh` = 2 %), which
    /// caps the flight below what caused it. `None` turns the cap off:
    /// pure v1, which ignores fast-retransmit loss altogether.
    pub loss_thresh: Option<f64>,
}

impl Default for BbrConfig {
    fn default() -> Self {
        BbrConfig {
            initial_cwnd: None,
            initial_rtt: Duration::from_millis(1),
            seed: 0x9e37_79b9_7f4a_7c15,
            bw_window_rounds: 10,
            min_rtt_window: Duration::from_secs(10),
            probe_rtt_duration: Duration::from_millis(200),
            loss_thresh: Some(0.02),
        }
    }
}

impl CongestionControllerFactory for BbrConfig {
    fn build(&self, path: &PathParams) -> Box<dyn CongestionController> {
        Box::new(Bbr::new(*self, path))
    }
}

/// The state of BBR's state machine (BBR draft-00 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BbrState {
    /// Exponential search for the bottleneck bandwidth (§4.3.2).
    Startup,
    /// Draining the queue Startup built (§4.3.3).
    Drain,
    /// Cruising at the estimated bandwidth, probing now and then (§4.3.4).
    ProbeBw,
    /// Flight cut to 4 packets to measure the propagation delay (§4.3.5).
    ProbeRtt,
}

/// The state with the data only it uses.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Startup,
    Drain,
    ProbeBw(Cycle),
    ProbeRtt(ProbeRtt),
}

/// What one ACK tells the state machine.
#[derive(Clone, Copy, Debug)]
struct Ack {
    now: Instant,
    newly_acked: usize,
    in_flight_before: usize,
    in_flight_after: usize,
    rtt: Option<Duration>,
    /// The rate sample, as the model judged it.
    sample: Option<Sample>,
    /// A fast-retransmit loss was reported since the previous ACK.
    lost: bool,
}

/// The BBR congestion controller: pacing and a window from a model of the
/// path, rather than from loss.
///
/// BBR v1 (draft-cardwell-iccrg-bbr-congestion-control-00): the bottleneck
/// bandwidth is the maximum delivery rate over the last 10 round trips,
/// the propagation delay the minimum RTT over 10 s. Startup paces at
/// 2/ln 2 × bandwidth until the bandwidth grows less than 25 % in three
/// rounds, Drain at the inverse until the flight is down to the BDP;
/// ProbeBW then cycles the pacing gain through 5/4, 3/4 and six times 1,
/// one min-RTT each, from a seeded random phase; every 10 s without a
/// lower RTT, ProbeRTT holds 4 packets for 200 ms and a round. cwnd is
/// `cwnd_gain × BDP + 3 × send quantum`, at least 4 packets; the pacing
/// rate is `pacing_gain × bandwidth`.
///
/// # Loss
///
/// - A fast retransmit changes neither the model nor cwnd nor the pacing
///   rate: random loss is not congestion. It only ends a 5/4 probe.
/// - When the packets of a 5/4 probe lose more than
///   [`BbrConfig::loss_thresh`] (2 %) of their flight, the probe overfilled
///   the path: the flight is capped at what was in flight then, never
///   below the estimated BDP, and the cap grows again by 1, 2, 4, …
///   packets a round while nothing overflows (BBR v2's `inflight_hi`).
///   Startup also ends on such loss, in a round whose bandwidth did not
///   grow.
/// - A T3-rtx timeout drops cwnd to one MTU (RFC 9260 §7.2.3); it grows
///   back by the bytes acknowledged, and the previous cwnd is restored
///   once everything in flight at the timeout has been acknowledged.
///
/// # What the association feeds
///
/// Delivery-rate samples in [`AckEvent::rate`], from a
/// [`crate::DeliveryRateEstimator`] that sees every transmission, every
/// newly acknowledged chunk (cumulatively or by gap blocks), every chunk
/// declared lost ([`on_loss`](crate::DeliveryRateEstimator::on_loss):
/// BBR reads the sample's `lost` and `tx_in_flight`) and the moments the
/// application runs dry; Karn-safe RTT samples in [`AckEvent::rtt`]; the
/// flight before and after each SACK. Without rate samples BBR never
/// leaves its initial window. Its [`pacing_rate`](CongestionController::pacing_rate)
/// is always `Some`: BBR must be paced.
///
/// ```
/// use sctp_cc::{Bbr, BbrConfig, BbrState, CongestionController, PathParams};
///
/// let cc = Bbr::new(BbrConfig::default(), &PathParams { mtu: 1200, peer_rwnd: 1 << 20 });
/// assert_eq!(cc.state(), BbrState::Startup);
/// // RFC 9260 §7.2.1's initial window, paced at 2/ln 2 × 4380 bytes per
/// // millisecond until an RTT is measured.
/// assert_eq!(cc.cwnd(), 4380);
/// assert_eq!(cc.pacing_rate(), Some(12_638_008));
/// assert_eq!(cc.name(), "bbr");
/// ```
#[derive(Clone, Debug)]
pub struct Bbr {
    config: BbrConfig,
    mtu: usize,
    initial_cwnd: usize,
    model: Model,
    mode: Mode,
    full_pipe: FullPipe,
    /// `BBR.pacing_gain`.
    pacing_gain: f64,
    /// `BBR.cwnd_gain`.
    cwnd_gain: f64,
    /// `BBR.pacing_rate`, bytes per second.
    pacing_rate: u64,
    /// Whether `pacing_rate` still rests on `initial_rtt` rather than on a
    /// measured RTT.
    pacing_rate_guessed: bool,
    cwnd: usize,
    /// `BBR.prior_cwnd`: the last good cwnd, restored after ProbeRTT and
    /// after recovery from a T3-rtx timeout.
    prior_cwnd: usize,
    /// `BBR.idle_restart`.
    idle_restart: bool,
    /// The loss response: `inflight_hi` and T3-rtx recovery.
    bounds: Bounds,
    /// A fast-retransmit loss was reported since the previous ACK.
    lost_since_ack: bool,
    rng: XorShift,
}

impl Bbr {
    /// A controller in Startup with the initial window.
    pub fn new(config: BbrConfig, path: &PathParams) -> Self {
        let mtu = path.mtu.max(1);
        // BBR draft-00 §4.2.3.1: the initial window is the transport's,
        // here RFC 9260 §7.2.1's min(4*MTU, max(2*MTU, 4380 bytes)).
        let initial_cwnd = config
            .initial_cwnd
            .unwrap_or_else(|| (4 * mtu).min((2 * mtu).max(4380)))
            .max(mtu);
        let mut bbr = Bbr {
            config,
            mtu,
            initial_cwnd,
            model: Model::new(
                config.bw_window_rounds.max(1),
                config.min_rtt_window.max(Duration::from_millis(1)),
            ),
            mode: Mode::Startup,
            full_pipe: FullPipe::default(),
            pacing_gain: 1.0,
            cwnd_gain: 1.0,
            pacing_rate: 0,
            pacing_rate_guessed: true,
            cwnd: initial_cwnd,
            prior_cwnd: 0,
            idle_restart: false,
            bounds: Bounds::new(mtu),
            lost_since_ack: false,
            rng: XorShift::new(config.seed),
        };
        // BBR draft-00 §4.3.1 (BBRInit): enter Startup, then initialise
        // the pacing rate from the initial window.
        bbr.enter_startup();
        bbr.init_pacing_rate(None);
        bbr
    }

    /// The state of the state machine.
    pub fn state(&self) -> BbrState {
        match self.mode {
            Mode::Startup => BbrState::Startup,
            Mode::Drain => BbrState::Drain,
            Mode::ProbeBw(_) => BbrState::ProbeBw,
            Mode::ProbeRtt(_) => BbrState::ProbeRtt,
        }
    }

    /// The bottleneck bandwidth estimate (`BBR.BtlBw`) in bytes per
    /// second, once a rate sample arrived.
    pub fn bandwidth(&self) -> Option<u64> {
        self.model.bw()
    }

    /// The propagation delay estimate (`BBR.RTprop`), once an RTT sample
    /// arrived.
    pub fn min_rtt(&self) -> Option<Duration> {
        self.model.min_rtt()
    }

    /// The estimated bandwidth-delay product in bytes, once both halves of
    /// the model exist.
    pub fn bdp(&self) -> Option<usize> {
        self.model.bdp().map(to_usize)
    }

    /// The current pacing gain (`BBR.pacing_gain`).
    pub fn pacing_gain(&self) -> f64 {
        self.pacing_gain
    }

    /// The current cwnd gain (`BBR.cwnd_gain`).
    pub fn cwnd_gain(&self) -> f64 {
        self.cwnd_gain
    }

    /// The ProbeBW gain-cycle phase, 0 to 7 (phase 0 probes at 5/4, phase
    /// 1 drains at 3/4), or `None` outside ProbeBW.
    pub fn cycle_phase(&self) -> Option<usize> {
        match self.mode {
            Mode::ProbeBw(cycle) => Some(cycle.index()),
            _ => None,
        }
    }

    /// Packet-timed round trips counted so far (`BBR.round_count`).
    pub fn round_count(&self) -> u64 {
        self.model.round_count()
    }

    /// Whether Startup found the bottleneck bandwidth (`BBR.filled_pipe`).
    pub fn filled_pipe(&self) -> bool {
        self.full_pipe.filled()
    }

    /// The cap on bytes in flight learnt from excessive loss
    /// (`BBR.inflight_hi` of BBR draft-02), if any.
    pub fn inflight_hi(&self) -> Option<usize> {
        self.bounds.inflight_hi()
    }

    /// `BBR.send_quantum` (BBR draft-00 §4.2.2): the most bytes worth
    /// sending back to back at the current pacing rate.
    pub fn send_quantum(&self) -> usize {
        // BBR draft-00 §4.2.2: 1 MSS below 1.2 Mbit/s, 2 MSS below
        // 24 Mbit/s, else 1 ms of data up to 64 KB.
        if self.pacing_rate < 150_000 {
            self.mtu
        } else if self.pacing_rate < 3_000_000 {
            2 * self.mtu
        } else {
            to_usize(self.pacing_rate / 1000).clamp(self.mtu, 64 * 1024)
        }
    }

    fn min_pipe_cwnd(&self) -> usize {
        MIN_PIPE_CWND_PACKETS.saturating_mul(self.mtu)
    }

    /// BBR draft-00 §4.2.3.2 (BBRInflight): `gain × BDP` plus three send
    /// quanta for the hosts' pipelines; the initial window while the
    /// model is incomplete.
    fn inflight(&self, gain: f64) -> usize {
        match self.model.bdp() {
            Some(bdp) => {
                to_usize(scale(bdp, gain)).saturating_add(self.send_quantum().saturating_mul(3))
            }
            None => self.initial_cwnd,
        }
    }

    /// BBR draft-00 §4.2.1 (BBRInitPacingRate): `high_gain × InitialCwnd /
    /// SRTT`, with `initial_rtt` standing in for an SRTT not yet measured.
    fn init_pacing_rate(&mut self, rtt: Option<Duration>) {
        let rtt = rtt.unwrap_or(self.config.initial_rtt);
        let nanos = rtt.as_nanos().max(1);
        let nominal = u128::from(to_u64(self.initial_cwnd)) * 1_000_000_000 / nanos;
        let nominal = u64::try_from(nominal).unwrap_or(u64::MAX);
        self.pacing_rate = scale(nominal, startup::PACING_GAIN).max(1);
    }

    /// BBR draft-00 §4.2.1 (BBRSetPacingRateWithGain).
    fn set_pacing_rate_with_gain(&mut self, gain: f64) {
        let Some(bw) = self.model.bw() else {
            return;
        };
        // BBR draft-00 §4.2.1: until the pipe is full the rate only grows,
        // so application-limited samples cannot slow Startup down.
        let rate = scale(bw, gain).max(1);
        if self.full_pipe.filled() || rate > self.pacing_rate {
            self.pacing_rate = rate;
        }
    }

    /// BBR draft-00 §4.2.3.4 (BBRSaveCwnd).
    fn save_cwnd(&self) -> usize {
        if !self.bounds.in_timeout_recovery() && !matches!(self.mode, Mode::ProbeRtt(_)) {
            self.cwnd
        } else {
            self.prior_cwnd.max(self.cwnd)
        }
    }

    /// BBR draft-00 §4.2.3.4 (BBRRestoreCwnd).
    fn restore_cwnd(&mut self) {
        self.set_cwnd_to(self.cwnd.max(self.prior_cwnd), "restore");
    }

    fn set_cwnd_to(&mut self, cwnd: usize, why: &'static str) {
        let cwnd = cwnd.max(self.mtu);
        if cwnd != self.cwnd {
            trace!(cwnd, old = self.cwnd, why, "bbr cwnd");
            self.cwnd = cwnd;
        }
    }

    /// BBR draft-00 §4.2.3.6 (BBRSetCwnd), with the flight cap of BBR
    /// draft-02 (BBRBoundCwndForModel).
    fn set_cwnd(&mut self, ack: &Ack) {
        let target = self.inflight(self.cwnd_gain);
        let mut cwnd = self.cwnd;
        // BBR draft-00 §4.2.3.6: with the pipe full, grow by what was
        // delivered up to the target and cut to it at once when above;
        // before that, grow by what was delivered while below the target
        // or while too little is delivered to trust the model.
        if self.full_pipe.filled() {
            cwnd = cwnd.saturating_add(ack.newly_acked).min(target);
        } else if cwnd < target || self.model.delivered() < to_u64(self.initial_cwnd) {
            cwnd = cwnd.saturating_add(ack.newly_acked);
        }
        // BBR draft-00 §4.2.3.3: never below 4 packets.
        cwnd = cwnd.max(self.min_pipe_cwnd());
        // BBR draft-02 (BBRBoundCwndForModel): at most inflight_hi.
        if let Some(inflight_hi) = self.bounds.inflight_hi() {
            cwnd = cwnd.min(inflight_hi.max(self.min_pipe_cwnd()));
        }
        // BBR draft-00 §4.2.3.5: ProbeRTT holds cwnd at 4 packets.
        if matches!(self.mode, Mode::ProbeRtt(_)) {
            cwnd = cwnd.min(self.min_pipe_cwnd());
        }
        self.set_cwnd_to(cwnd, "ack");
    }

    fn set_mode(&mut self, mode: Mode, pacing_gain: f64, cwnd_gain: f64) {
        let old = self.state();
        self.mode = mode;
        self.pacing_gain = pacing_gain;
        self.cwnd_gain = cwnd_gain;
        if old != self.state() {
            debug!(
                from = ?old,
                to = ?self.state(),
                bw = self.model.bw(),
                min_rtt = ?self.model.min_rtt(),
                cwnd = self.cwnd,
                "bbr state"
            );
        }
    }
}

impl CongestionController for Bbr {
    fn on_packet_sent(&mut self, _packet: &SentPacket) {}

    fn on_ack(&mut self, ack: &AckEvent) {
        // BBR draft-00 §3.5.2 (BBRUpdateOnACK): update the model and the
        // state, then the control parameters.
        let newly_acked = ack.newly_acked();
        let sample = self.model.on_ack(newly_acked, ack.rate.as_ref());
        let ack = Ack {
            now: ack.now,
            newly_acked,
            in_flight_before: ack.in_flight_before,
            in_flight_after: ack.in_flight_after,
            rtt: ack.rtt,
            sample,
            lost: std::mem::take(&mut self.lost_since_ack),
        };
        self.adapt_upper_bounds(&ack);
        self.check_cycle_phase(&ack);
        self.check_startup_done(&ack);
        self.check_drain(&ack);
        // BBR draft-00 §4.1.2.1: RTT samples follow Karn's rule, never from
        // a retransmitted packet; the association's `rtt` does.
        self.model.update_min_rtt(ack.now, ack.rtt);
        self.check_probe_rtt(&ack);
        self.check_timeout_recovery_done(&ack);

        // BBR draft-00 §3.5.2 (BBRUpdateControlParameters).
        if self.pacing_rate_guessed {
            if let Some(min_rtt) = self.model.min_rtt().filter(|rtt| !rtt.is_zero()) {
                self.init_pacing_rate(Some(min_rtt));
                self.pacing_rate_guessed = false;
            }
        }
        self.set_pacing_rate_with_gain(self.pacing_gain);
        self.set_cwnd(&ack);
    }

    fn on_congestion(&mut self, now: Instant, event: CongestionEvent, in_flight: usize) {
        match event {
            CongestionEvent::FastRetransmit => self.on_fast_retransmit(now, in_flight),
            CongestionEvent::Timeout => self.on_timeout(now, in_flight),
        }
    }

    fn on_recovery_exit(&mut self, _now: Instant) {
        // Fast retransmit changed no window (see `loss`), so there is
        // nothing to restore.
    }

    fn on_idle(&mut self, now: Instant) {
        self.on_restart_from_idle(now);
    }

    fn on_mtu_change(&mut self, _now: Instant, mtu: usize) {
        self.mtu = mtu.max(1);
        self.bounds.on_mtu_change(self.mtu);
        // The window stays in bytes; only the floors follow the MTU. Right
        // after a T3-rtx the window is one MTU on purpose.
        let floor = if self.bounds.in_timeout_recovery() {
            self.mtu
        } else {
            self.min_pipe_cwnd()
        };
        self.set_cwnd_to(self.cwnd.max(floor), "MTU change");
    }

    fn cwnd(&self) -> usize {
        self.cwnd.max(self.mtu)
    }

    /// BBR's model is built from delivery-rate samples.
    fn wants_rate_samples(&self) -> bool {
        true
    }

    fn pacing_rate(&self) -> Option<u64> {
        Some(self.pacing_rate.max(1))
    }

    fn burst_limit(&self) -> Option<usize> {
        // BBR draft-00 §4.2.2: the pacer releases a send quantum at a time;
        // at least RFC 9260's Max.Burst of 4 packets, so that an
        // association that does not pace yet still clocks out enough per
        // SACK.
        Some(self.send_quantum().max(self.min_pipe_cwnd()))
    }

    fn fast_retransmit_budget(&self) -> usize {
        // Loss does not shrink BBR's window, and retransmissions are paced
        // with everything else: up to a send quantum at once.
        self.send_quantum().max(self.mtu)
    }

    fn name(&self) -> &'static str {
        "bbr"
    }
}

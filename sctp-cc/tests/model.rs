//! Model-based property test: random sequences of sends, SACKs, losses,
//! timeouts, idle periods, MTU changes and time steps applied to every
//! controller, with invariants checked after each event.

use proptest::collection::vec;
use proptest::prelude::*;
use sctp_cc::rate::SendSnapshot;
use sctp_cc::*;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
enum Op {
    Send {
        bytes: usize,
        retransmission: bool,
        app_limited: bool,
    },
    Ack {
        cum: usize,
        gap: usize,
        app_limited: bool,
        rtt_ms: Option<u16>,
    },
    FastRetransmit,
    Timeout,
    RecoveryExit,
    Idle,
    Mtu(usize),
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1usize..=9000, any::<bool>(), any::<bool>()).prop_map(|(bytes, retransmission, app_limited)| {
            Op::Send { bytes, retransmission, app_limited }
        }),
        6 => (0usize..6, 0usize..4, any::<bool>(), proptest::option::of(1u16..500))
            .prop_map(|(cum, gap, app_limited, rtt_ms)| Op::Ack { cum, gap, app_limited, rtt_ms }),
        1 => Just(Op::FastRetransmit),
        1 => Just(Op::Timeout),
        1 => Just(Op::RecoveryExit),
        1 => Just(Op::Idle),
        1 => prop_oneof![Just(576usize), Just(1200), Just(1500), Just(9000), 500usize..65_535].prop_map(Op::Mtu),
        2 => (1u16..2000).prop_map(Op::Advance),
    ]
}

/// The association's side of the contract, as a model: what is in flight,
/// the path MTU, the clock, and whether fast recovery is on.
struct Sender {
    cc: Box<dyn CongestionController>,
    /// Rate samples for the controllers that use them, as the
    /// association produces them.
    estimator: DeliveryRateEstimator,
    flight: VecDeque<(usize, SendSnapshot)>,
    in_flight: usize,
    mtu: usize,
    now: Instant,
    in_recovery: bool,
    acked_total: usize,
    /// The largest window the controller may have without any data
    /// acknowledged: its initial window or any MTU-based floor seen since.
    free_window: usize,
}

#[allow(clippy::disallowed_methods)] // the one clock read of this test: an epoch
fn epoch() -> Instant {
    Instant::now()
}

impl Sender {
    fn new(factory: &dyn CongestionControllerFactory, min_cwnd: usize) -> Self {
        let mtu = 1200;
        let cc = factory.build(&PathParams {
            mtu,
            peer_rwnd: 128 * 1024,
        });
        let free_window = cc.cwnd().max(min_cwnd);
        Sender {
            cc,
            estimator: DeliveryRateEstimator::new(),
            flight: VecDeque::new(),
            in_flight: 0,
            mtu,
            now: epoch(),
            in_recovery: false,
            acked_total: 0,
            free_window,
        }
    }

    /// Applies one event; returns the bytes newly acknowledged by it.
    fn apply(&mut self, op: &Op) -> usize {
        match *op {
            Op::Send {
                bytes,
                retransmission,
                app_limited,
            } => {
                let bytes = bytes.min(self.mtu);
                let snapshot = self.estimator.on_send(self.now, bytes, self.in_flight);
                self.flight.push_back((bytes, snapshot));
                self.in_flight += bytes;
                if app_limited {
                    self.estimator.mark_app_limited(self.in_flight);
                }
                self.cc.on_packet_sent(&SentPacket {
                    now: self.now,
                    bytes,
                    in_flight_after: self.in_flight,
                    retransmission,
                    app_limited,
                });
                0
            }
            Op::Ack {
                cum,
                gap,
                app_limited,
                rtt_ms,
            } => {
                let before = self.in_flight;
                let now = self.now;
                let estimator = &mut self.estimator;
                let mut acked = |(bytes, snapshot): (usize, SendSnapshot)| {
                    estimator.on_ack(now, &snapshot);
                    bytes
                };
                let cum = cum.min(self.flight.len());
                let cum_bytes: usize = self.flight.drain(..cum).map(&mut acked).sum();
                // Gap blocks acknowledge packets after the first still missing one.
                let gap = gap.min(self.flight.len().saturating_sub(1));
                let gap_bytes: usize = if gap > 0 {
                    self.flight.drain(1..1 + gap).map(&mut acked).sum()
                } else {
                    0
                };
                self.in_flight -= cum_bytes + gap_bytes;
                let ack = AckEvent {
                    now: self.now,
                    cum_acked_bytes: cum_bytes,
                    gap_acked_bytes: gap_bytes,
                    cum_tsn_advanced: cum > 0,
                    in_flight_before: before,
                    in_flight_after: self.in_flight,
                    rtt: rtt_ms.map(|ms| Duration::from_millis(ms.into())),
                    rate: self.estimator.take_sample(None),
                    app_limited,
                };
                assert_eq!(
                    ack.in_flight_before - ack.newly_acked(),
                    ack.in_flight_after
                );
                self.cc.on_ack(&ack);
                self.acked_total += ack.newly_acked();
                ack.newly_acked()
            }
            Op::FastRetransmit => {
                // The first outstanding packet is declared lost (it stays
                // in flight until its retransmission is acknowledged).
                self.estimator
                    .on_loss(self.flight.front().map_or(0, |&(bytes, _)| bytes));
                self.in_recovery = true;
                self.cc
                    .on_congestion(self.now, CongestionEvent::FastRetransmit, self.in_flight);
                0
            }
            Op::Timeout => {
                self.in_recovery = false;
                self.cc
                    .on_congestion(self.now, CongestionEvent::Timeout, self.in_flight);
                0
            }
            Op::RecoveryExit => {
                // The contract: only after a fast retransmit.
                if self.in_recovery {
                    self.in_recovery = false;
                    self.cc.on_recovery_exit(self.now);
                }
                0
            }
            Op::Idle => {
                // The contract: only while nothing is in flight.
                if self.in_flight == 0 {
                    self.cc.on_idle(self.now);
                }
                0
            }
            Op::Mtu(mtu) => {
                self.mtu = mtu;
                self.free_window = self.free_window.max(mtu);
                self.cc.on_mtu_change(self.now, mtu);
                0
            }
            Op::Advance(ms) => {
                self.now += Duration::from_millis(ms.into());
                0
            }
        }
    }
}

/// Runs `ops` against a controller built by `factory`. For `Rfc9260`,
/// `min_cwnd` and `ca_step` are its configuration (the step defaults to
/// one MTU).
fn check_run(
    factory: &dyn CongestionControllerFactory,
    min_cwnd: usize,
    ca_step: Option<usize>,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let mut s = Sender::new(factory, min_cwnd);
    let is_rfc = s.cc.name() == "rfc9260";
    for op in ops {
        let before = s.cc.cwnd();
        let acked = s.apply(op);
        let after = s.cc.cwnd();
        prop_assert_eq!(
            s.in_flight,
            s.flight.iter().map(|&(bytes, _)| bytes).sum::<usize>(),
            "in-flight accounting"
        );
        prop_assert!(
            after >= s.mtu,
            "cwnd {} below one MTU {} after {:?}",
            after,
            s.mtu,
            op
        );
        prop_assert!(s.cc.fast_retransmit_budget() >= s.mtu);
        if let Some(burst) = s.cc.burst_limit() {
            prop_assert!(burst >= s.mtu);
        }
        if let Some(rate) = s.cc.pacing_rate() {
            prop_assert!(rate > 0, "a zero pacing rate would stall the sender");
        }
        if is_rfc {
            // RFC 9260 §7.2: cwnd grows only on newly acknowledged data
            // (or up to a raised MTU floor), by at most the bytes acked.
            if acked == 0 {
                prop_assert!(
                    after <= before.max(s.mtu).max(min_cwnd),
                    "cwnd grew from {} to {} without acknowledged data ({:?})",
                    before,
                    after,
                    op
                );
            } else {
                // Slow start adds at most the bytes acked; congestion
                // avoidance one step for a window's worth of them.
                let step = ca_step.unwrap_or(s.mtu);
                prop_assert!(
                    after <= before + acked.max(step),
                    "cwnd grew from {} to {} on {} bytes",
                    before,
                    after,
                    acked
                );
            }
            // In total, growth never exceeds what was acknowledged.
            prop_assert!(
                after <= s.free_window + s.acked_total,
                "cwnd {} > {} + {}",
                after,
                s.free_window,
                s.acked_total
            );
            if let Some(ssthresh) = s.cc.ssthresh() {
                prop_assert!(ssthresh > 0);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn rfc9260_default_keeps_its_invariants(ops in vec(op(), 1..200)) {
        check_run(&Rfc9260Config::default(), 0, None, &ops)?;
    }

    #[test]
    fn rfc9260_with_pion_knobs_keeps_its_invariants(ops in vec(op(), 1..200)) {
        let config = Rfc9260Config {
            min_cwnd: 6000,
            l: 2,
            cwnd_ca_step: Some(3000),
            max_burst: 0,
            fast_rtx_wnd: 10_000,
            ..Default::default()
        };
        check_run(&config, 6000, Some(3000), &ops)?;
    }

    #[test]
    fn bbr_keeps_its_invariants(ops in vec(op(), 1..200)) {
        check_run(&BbrConfig::default(), 0, None, &ops)?;
    }

    #[test]
    fn bbr_without_the_loss_bound_keeps_its_invariants(ops in vec(op(), 1..200)) {
        let config = BbrConfig {
            loss_thresh: None,
            seed: 7,
            ..Default::default()
        };
        check_run(&config, 0, None, &ops)?;
    }

    #[test]
    fn fixed_window_keeps_its_invariants(ops in vec(op(), 1..200)) {
        check_run(&FixedWindow::new(50_000), 0, None, &ops)?;
    }
}

//! Rfc9260 driven through synthetic event sequences, one test per rule of
//! RFC 9260 §7.2.

use sctp_cc::*;
use std::time::{Duration, Instant};

const MTU: usize = 1200;

#[allow(clippy::disallowed_methods)] // the one clock read of these tests: an epoch
fn t0() -> Instant {
    Instant::now()
}

fn controller(config: Rfc9260Config, peer_rwnd: usize) -> Rfc9260 {
    Rfc9260::new(
        config,
        &PathParams {
            mtu: MTU,
            peer_rwnd,
        },
    )
}

/// A SACK acknowledging `cum` bytes cumulatively and `gap` by gap blocks,
/// with `before` bytes in flight when it arrived.
fn ack(cum: usize, gap: usize, before: usize) -> AckEvent {
    AckEvent {
        now: t0(),
        cum_acked_bytes: cum,
        gap_acked_bytes: gap,
        cum_tsn_advanced: cum > 0,
        in_flight_before: before,
        in_flight_after: before - cum - gap,
        rtt: Some(Duration::from_millis(50)),
        rate: None,
        app_limited: false,
    }
}

#[test]
fn initial_cwnd_is_min_of_4_mtu_and_max_of_2_mtu_and_4380() {
    // RFC 9260 §7.2.1: initial cwnd = min(4*MTU, max(2*MTU, 4380 bytes)).
    for (mtu, expected) in [(500, 2000), (1200, 4380), (1500, 4380), (9000, 18000)] {
        let cc = Rfc9260::new(
            Rfc9260Config::default(),
            &PathParams {
                mtu,
                peer_rwnd: 1 << 20,
            },
        );
        assert_eq!(cc.cwnd(), expected, "MTU {mtu}");
        // RFC 9260 §7.2.1: the initial ssthresh may be the peer's rwnd.
        assert_eq!(cc.ssthresh(), Some(1 << 20));
    }
}

#[test]
fn slow_start_grows_by_the_bytes_acked_up_to_l_mtu() {
    // RFC 9260 §7.2.1: cwnd grows by at most the lesser of the bytes
    // acknowledged and L*MTU.
    let mut cc = controller(Rfc9260Config::default(), 1 << 20);
    cc.on_ack(&ack(1000, 0, 4380));
    assert_eq!(cc.cwnd(), 5380);
    cc.on_ack(&ack(3600, 0, 5380));
    assert_eq!(cc.cwnd(), 5380 + MTU, "capped at L*MTU with L = 1");

    let mut cc = controller(
        Rfc9260Config {
            l: 2,
            ..Default::default()
        },
        1 << 20,
    );
    cc.on_ack(&ack(3600, 0, 4380));
    assert_eq!(cc.cwnd(), 4380 + 2 * MTU, "capped at L*MTU with L = 2");
}

#[test]
fn slow_start_grows_only_when_the_window_was_full() {
    // RFC 9260 §7.2.1: cwnd grows only if it is being fully utilized.
    let mut cc = controller(Rfc9260Config::default(), 1 << 20);
    cc.on_ack(&ack(1200, 0, 3600));
    assert_eq!(cc.cwnd(), 4380);
    // ... and not for an application-limited sender (cwnd validation).
    let mut app_limited = ack(1200, 0, 4380);
    app_limited.app_limited = true;
    cc.on_ack(&app_limited);
    assert_eq!(cc.cwnd(), 4380);
}

#[test]
fn slow_start_grows_only_when_the_cumulative_tsn_advances() {
    // RFC 9260 §7.2.1: only a SACK that advances the cumulative TSN ack
    // point grows cwnd; gap blocks alone do not.
    let mut cc = controller(Rfc9260Config::default(), 1 << 20);
    cc.on_ack(&ack(0, 2400, 4380));
    assert_eq!(cc.cwnd(), 4380);
    cc.on_ack(&ack(1200, 1200, 4380));
    assert_eq!(cc.cwnd(), 4380 + MTU);
}

#[test]
fn slow_start_does_not_grow_in_fast_recovery() {
    // RFC 9260 §7.2.1: no growth while the sender is in fast recovery.
    let mut cc = controller(Rfc9260Config::default(), 1 << 20);
    for _ in 0..10 {
        cc.on_ack(&ack(1200, 0, cc.cwnd()));
    }
    let before = cc.cwnd();
    assert_eq!(before, 4380 + 10 * MTU);
    cc.on_congestion(t0(), CongestionEvent::FastRetransmit, before);
    let reduced = cc.cwnd();
    assert_eq!(reduced, (before / 2).max(4 * MTU));
    // cwnd == ssthresh: still slow start, but frozen until recovery ends.
    cc.on_ack(&ack(1200, 0, reduced));
    assert_eq!(cc.cwnd(), reduced);
    cc.on_recovery_exit(t0());
    cc.on_ack(&ack(1200, 0, reduced));
    assert_eq!(cc.cwnd(), reduced + MTU);
}

#[test]
fn above_ssthresh_congestion_avoidance_takes_over() {
    // RFC 9260 §7.2.1/§7.2.2: slow start while cwnd <= ssthresh, then
    // congestion avoidance, which grows one MTU per window acknowledged.
    let mut cc = controller(Rfc9260Config::default(), 5000);
    cc.on_ack(&ack(1200, 0, 4380));
    assert_eq!(cc.cwnd(), 5580, "slow start: 4380 <= 5000");
    assert_eq!(cc.partial_bytes_acked(), 0);
    cc.on_ack(&ack(1200, 0, 5580));
    assert_eq!(cc.cwnd(), 5580, "congestion avoidance: 5580 > 5000");
    assert_eq!(cc.partial_bytes_acked(), 1200);
}

#[test]
fn partial_bytes_acked_grows_cwnd_by_one_mtu_per_window() {
    // RFC 9260 §7.2.2: partial_bytes_acked counts bytes acked cumulatively
    // and by gap blocks; once it reaches cwnd with the window full, it
    // drops by cwnd and cwnd grows by one MTU.
    let mut cc = controller(Rfc9260Config::default(), 4000);
    let cwnd = cc.cwnd();
    assert_eq!(cwnd, 4380);
    cc.on_ack(&ack(1200, 1200, cwnd));
    assert_eq!((cc.cwnd(), cc.partial_bytes_acked()), (cwnd, 2400));
    cc.on_ack(&ack(1200, 0, cwnd));
    assert_eq!((cc.cwnd(), cc.partial_bytes_acked()), (cwnd, 3600));
    cc.on_ack(&ack(1200, 0, cwnd));
    assert_eq!(cc.cwnd(), cwnd + MTU);
    assert_eq!(cc.partial_bytes_acked(), 4800 - cwnd);
}

#[test]
fn partial_bytes_acked_is_capped_when_the_window_was_not_full() {
    // RFC 9260 §7.2.2: with less than cwnd outstanding before the SACK,
    // partial_bytes_acked is reset to cwnd rather than growing past it.
    let mut cc = controller(Rfc9260Config::default(), 4000);
    let mut a = ack(6000, 0, 8000);
    a.in_flight_before = 4000;
    a.in_flight_after = 1000;
    cc.on_ack(&a);
    assert_eq!(cc.cwnd(), 4380);
    assert_eq!(cc.partial_bytes_acked(), 4380);
}

#[test]
fn partial_bytes_acked_resets_when_everything_is_acknowledged() {
    // RFC 9260 §7.2.2: all data acknowledged → partial_bytes_acked = 0.
    let mut cc = controller(Rfc9260Config::default(), 4000);
    cc.on_ack(&ack(1200, 0, 4380));
    assert_eq!(cc.partial_bytes_acked(), 1200);
    cc.on_ack(&ack(1200, 0, 1200));
    assert_eq!(cc.partial_bytes_acked(), 0);
}

#[test]
fn cwnd_ca_step_sets_the_congestion_avoidance_increase() {
    // pion's CwndCAStep: the congestion-avoidance step instead of one MTU.
    let mut cc = controller(
        Rfc9260Config {
            cwnd_ca_step: Some(4800),
            ..Default::default()
        },
        4000,
    );
    cc.on_ack(&ack(4380, 0, 4380));
    assert_eq!(cc.cwnd(), 4380 + 4800);
}

#[test]
fn fast_retransmit_reduces_once_per_recovery() {
    // RFC 9260 §7.2.3: ssthresh = max(cwnd/2, 4*MTU), cwnd = ssthresh;
    // RFC 9260 §7.2.4: no further reduction until fast recovery ends.
    let mut cc = controller(
        Rfc9260Config {
            initial_cwnd: Some(40_000),
            ..Default::default()
        },
        1 << 20,
    );
    cc.on_congestion(t0(), CongestionEvent::FastRetransmit, 40_000);
    assert_eq!((cc.cwnd(), cc.ssthresh()), (20_000, Some(20_000)));
    assert!(cc.in_fast_recovery());
    cc.on_congestion(t0(), CongestionEvent::FastRetransmit, 20_000);
    assert_eq!((cc.cwnd(), cc.ssthresh()), (20_000, Some(20_000)));
    cc.on_recovery_exit(t0());
    assert!(!cc.in_fast_recovery());
    cc.on_congestion(t0(), CongestionEvent::FastRetransmit, 20_000);
    assert_eq!((cc.cwnd(), cc.ssthresh()), (10_000, Some(10_000)));
    cc.on_recovery_exit(t0());
    cc.on_congestion(t0(), CongestionEvent::FastRetransmit, 10_000);
    assert_eq!((cc.cwnd(), cc.ssthresh()), (5000, Some(5000)));
    // The 4*MTU floor of ssthresh: max(2500, 4800).
    cc.on_recovery_exit(t0());
    cc.on_congestion(t0(), CongestionEvent::FastRetransmit, 5000);
    assert_eq!((cc.cwnd(), cc.ssthresh()), (4 * MTU, Some(4 * MTU)));
}

#[test]
fn a_loss_never_raises_a_small_window() {
    // RFC 9260 §7.2.3 read literally sets cwnd = max(cwnd/2, 4*MTU), which
    // is more than a window below 4*MTU; the model test found it.
    let mut cc = controller(Rfc9260Config::default(), 1 << 20);
    assert_eq!(cc.cwnd(), 4380);
    cc.on_congestion(t0(), CongestionEvent::FastRetransmit, 4380);
    assert_eq!(cc.cwnd(), 4380);
    assert_eq!(cc.ssthresh(), Some(4 * MTU));
}

#[test]
fn t3_expiry_collapses_cwnd_to_one_mtu() {
    // RFC 9260 §7.2.3: on T3-rtx expiry ssthresh = max(cwnd/2, 4*MTU) and
    // cwnd = 1*MTU; partial_bytes_acked restarts.
    let mut cc = controller(
        Rfc9260Config {
            initial_cwnd: Some(30_000),
            ..Default::default()
        },
        4000,
    );
    cc.on_ack(&ack(1200, 0, 30_000));
    assert_eq!(cc.partial_bytes_acked(), 1200);
    cc.on_congestion(t0(), CongestionEvent::FastRetransmit, 30_000);
    cc.on_congestion(t0(), CongestionEvent::Timeout, 15_000);
    assert_eq!(cc.cwnd(), MTU);
    assert_eq!(cc.ssthresh(), Some(7500));
    assert_eq!(cc.partial_bytes_acked(), 0);
    assert!(!cc.in_fast_recovery(), "T3 ends fast recovery");
    // Slow start again from one MTU.
    cc.on_ack(&ack(1200, 0, MTU));
    assert_eq!(cc.cwnd(), 2 * MTU);
}

#[test]
fn min_cwnd_floors_every_reduction() {
    // pion's MinCwnd.
    let mut cc = controller(
        Rfc9260Config {
            min_cwnd: 10_000,
            ..Default::default()
        },
        1 << 20,
    );
    assert_eq!(
        cc.cwnd(),
        10_000,
        "the initial window is raised to the floor"
    );
    cc.on_congestion(t0(), CongestionEvent::Timeout, 10_000);
    assert_eq!(cc.cwnd(), 10_000);
}

#[test]
fn idle_periods_halve_cwnd_down_to_4_mtu() {
    // RFC 9260 §7.2.1: cwnd = max(cwnd/2, 4*MTU) per RTO without sending.
    let mut cc = controller(
        Rfc9260Config {
            initial_cwnd: Some(20_000),
            ..Default::default()
        },
        1 << 20,
    );
    let mut seen = Vec::new();
    for _ in 0..4 {
        cc.on_idle(t0());
        seen.push(cc.cwnd());
    }
    assert_eq!(seen, [10_000, 5000, 4800, 4800]);
    // A window already below 4*MTU does not grow by idling.
    cc.on_congestion(t0(), CongestionEvent::Timeout, 0);
    cc.on_idle(t0());
    assert_eq!(cc.cwnd(), MTU);
}

#[test]
fn an_mtu_change_moves_the_floors_and_steps() {
    let mut cc = controller(Rfc9260Config::default(), 1 << 20);
    cc.on_congestion(t0(), CongestionEvent::Timeout, 4380);
    assert_eq!(cc.cwnd(), MTU);
    cc.on_mtu_change(t0(), 1500);
    assert_eq!(cc.cwnd(), 1500, "cwnd never below one MTU");
    assert_eq!(cc.burst_limit(), Some(4 * 1500));
    assert_eq!(cc.fast_retransmit_budget(), 1500);
    // Slow start now caps growth at L * the new MTU.
    cc.on_ack(&ack(3000, 0, 3000));
    assert_eq!(cc.cwnd(), 3000);
    // A smaller MTU keeps the window in bytes.
    cc.on_mtu_change(t0(), 1000);
    assert_eq!(cc.cwnd(), 3000);
    assert_eq!(cc.burst_limit(), Some(4000));
}

#[test]
fn max_burst_and_fast_rtx_wnd_are_configurable() {
    // RFC 9260 §6.1 rule D: Max.Burst, 4 by default (RFC 9260 §16).
    let cc = controller(Rfc9260Config::default(), 1 << 20);
    assert_eq!(cc.burst_limit(), Some(4 * MTU));
    assert_eq!(cc.fast_retransmit_budget(), MTU);
    let cc = controller(
        Rfc9260Config {
            max_burst: 0,
            fast_rtx_wnd: 6000,
            ..Default::default()
        },
        1 << 20,
    );
    assert_eq!(cc.burst_limit(), None);
    assert_eq!(cc.fast_retransmit_budget(), 6000);
}

#[test]
fn the_config_is_a_factory_for_boxed_controllers() {
    let factory: Box<dyn CongestionControllerFactory> = Box::new(Rfc9260Config::default());
    let cc = factory.build(&PathParams {
        mtu: MTU,
        peer_rwnd: 1 << 20,
    });
    assert_eq!((cc.name(), cc.cwnd()), ("rfc9260", 4380));
    let fixed = FixedWindow::new(64_000).build(&PathParams {
        mtu: MTU,
        peer_rwnd: 0,
    });
    assert_eq!(
        (fixed.name(), fixed.cwnd(), fixed.ssthresh()),
        ("fixed", 64_000, None)
    );
}

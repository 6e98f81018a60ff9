//! Windowed min/max filters (Kathleen Nichols' algorithm, as in Linux
//! `lib/win_minmax.c`): hand-computed traces, then a property test against
//! a brute-force model that keeps every sample.
//!
//! Notation in the comments: `[a@t1, b@t2, c@t3]` are the best, second
//! best and third best samples the filter retains (value@time). For a
//! 10-round window a quarter is 2 rounds and a half 5 (integer division).

use std::time::{Duration, Instant};

use proptest::prelude::*;
use sctp_cc::filter::{MaxFilter, MinFilter};

#[allow(clippy::disallowed_methods)]
fn epoch() -> Instant {
    Instant::now()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn empty_filter_has_no_estimate() {
    let f: MaxFilter<u64, u64, u64> = MaxFilter::new(10);
    assert_eq!(f.get(), None);
    assert_eq!(f.best_sample(), None);
    assert_eq!(f.window(), 10);
}

#[test]
fn max_over_ten_rounds_falls_back_to_second_then_third_best_as_they_age_out() {
    let mut f: MaxFilter<u64, u64, u64> = MaxFilter::new(10);
    // Round 0: first sample → [100@0, 100@0, 100@0].
    assert_eq!(f.update(100, 0), 100);
    // Round 3: 3 > 10/4 rounds without a distinct second choice, so 80
    // becomes second and third choice → [100@0, 80@3, 80@3].
    assert_eq!(f.update(80, 3), 100);
    // Round 6: 6 > 10/2 rounds without a distinct third choice
    // → [100@0, 80@3, 70@6].
    assert_eq!(f.update(70, 6), 100);
    // Round 10: 100@0 is 10 rounds old, still inside the window (age <= 10).
    assert_eq!(f.update(10, 10), 100);
    assert_eq!(f.best_sample(), Some((100, 0)));
    // Round 11: 100@0 is 11 rounds old → the second best takes over
    // → [80@3, 70@6, 10@11]. True max of rounds 1..=11: 80.
    assert_eq!(f.update(10, 11), 80);
    assert_eq!(f.best_sample(), Some((80, 3)));
    // Round 13: 80@3 is exactly 10 rounds old: kept. → [80@3, 70@6, 10@13].
    assert_eq!(f.update(10, 13), 80);
    // Round 14: 80@3 ages out → the former third best is the best
    // → [70@6, 10@14, 10@14]. True max of rounds 4..=14: 70.
    assert_eq!(f.update(10, 14), 70);
    assert_eq!(f.best_sample(), Some((70, 6)));
    // Round 16: 70@6 still in (age 10) → [70@6, 10@16, 10@16].
    assert_eq!(f.update(10, 16), 70);
    // Round 17: 70@6 ages out; only the steady 10s remain
    // → [10@17, 10@17, 10@17]. True max of rounds 7..=17: 10.
    assert_eq!(f.update(10, 17), 10);
    assert_eq!(f.best_sample(), Some((10, 17)));
    // The get() accessor agrees with the value update() returned.
    assert_eq!(f.get(), Some(10));
}

#[test]
fn min_rtt_over_ten_seconds_with_instants() {
    let t0 = epoch();
    let at = |millis: u64| t0 + ms(millis);
    let mut f: MinFilter<Duration, Instant, Duration> = MinFilter::new(Duration::from_secs(10));

    // 0 s: 50 ms → [50@0, 50@0, 50@0].
    assert_eq!(f.update(ms(50), at(0)), ms(50));
    // 3 s > 2.5 s (a quarter) without a distinct second choice
    // → [50@0, 60@3, 60@3].
    assert_eq!(f.update(ms(60), at(3_000)), ms(50));
    // 6 s > 5 s (a half) without a distinct third choice
    // → [50@0, 60@3, 70@6].
    assert_eq!(f.update(ms(70), at(6_000)), ms(50));
    // 10 s: the 50 ms sample is exactly 10 s old, still in the window.
    assert_eq!(f.update(ms(80), at(10_000)), ms(50));
    // 10.001 s: it ages out → [60@3, 70@6, 80@10.001].
    assert_eq!(f.update(ms(80), at(10_001)), ms(60));
    assert_eq!(f.best_sample(), Some((ms(60), at(3_000))));
    // 13.5 s: 60@3 ages out → [70@6, 80@13.5, 80@13.5].
    assert_eq!(f.update(ms(80), at(13_500)), ms(70));
    // 16.5 s: a new minimum replaces everything immediately.
    assert_eq!(f.update(ms(45), at(16_500)), ms(45));
    assert_eq!(f.best_sample(), Some((ms(45), at(16_500))));
    // 26.5 s: 45 ms is still in the window (and the quarter rule makes
    // 90@26.5 the second choice); at 26.501 s it ages out and 90 ms is all
    // that remains.
    assert_eq!(f.update(ms(90), at(26_500)), ms(45));
    assert_eq!(f.update(ms(90), at(26_501)), ms(90));
}

#[test]
fn a_better_sample_replaces_all_three_choices() {
    let mut f: MaxFilter<u64, u64, u64> = MaxFilter::new(10);
    f.update(100, 0);
    f.update(80, 3); // [100@0, 80@3, 80@3]
    f.update(70, 6); // [100@0, 80@3, 70@6]
                     // 200 beats the best: [200@7, 200@7, 200@7].
    assert_eq!(f.update(200, 7), 200);
    assert_eq!(f.best_sample(), Some((200, 7)));
    // None of 100, 80 or 70 comes back: at round 17 the quarter rule takes
    // 1@17 as second choice, and when 200@7 expires at round 18 only the
    // samples of rounds 17 and 18 remain.
    assert_eq!(f.update(1, 17), 200);
    assert_eq!(f.update(2, 18), 2);

    // Same for the minimum, and an equal sample counts as better: it
    // refreshes the time of the best.
    let mut g: MinFilter<u64, u64, u64> = MinFilter::new(10);
    g.update(50, 0);
    g.update(60, 3);
    g.update(70, 6);
    assert_eq!(g.update(50, 8), 50);
    assert_eq!(g.best_sample(), Some((50, 8)));
    assert_eq!(g.update(99, 18), 50);
    assert_eq!(g.update(99, 19), 99);
}

#[test]
fn reset_and_clear() {
    let mut f: MaxFilter<u64, u64, u64> = MaxFilter::new(10);
    f.update(100, 0);
    f.reset(5, 1);
    assert_eq!(f.best_sample(), Some((5, 1)));
    assert_eq!(f.update(4, 2), 5);
    f.clear();
    assert_eq!(f.get(), None);
    assert_eq!(f.update(3, 3), 3);
}

#[test]
fn monotonically_decreasing_samples_max_lags_min_tracks() {
    // Max filter, 10-round window, samples 100, 99, 98, ... one per round.
    // The exact windowed max is the oldest in-window sample, 100 - (r - 10)
    // once r > 10. Nichols' filter retains only the samples picked by the
    // subwindow rules (97@3, 94@6, then the newest at each promotion), so
    // it underestimates the true max by up to 3 here, and is otherwise a
    // sample that was seen inside the window.
    let mut f: MaxFilter<u64, u64, u64> = MaxFilter::new(10);
    let expected: [u64; 31] = [
        100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, // rounds 0..=10
        97, 97, 97, // 11..=13: [97@3, 94@6, 89@11]
        94, 94, 94, // 14..=16
        89, 89, 89, 89, 89, // 17..=21
        86, 86, 86, // 22..=24
        83, 83, 83, // 25..=27
        78, 78, 78, // 28..=30
    ];
    for (round, want) in (0u64..).zip(expected) {
        let value = 100 - round;
        let got = f.update(value, round);
        assert_eq!(got, want, "round {round}");
        let true_max = 100 - round.saturating_sub(10);
        assert!(got <= true_max && got >= value, "round {round}");
    }

    // Min filter with decreasing samples: every sample is a new minimum,
    // so the estimate is always exact (min RTT drops take effect at once).
    let mut g: MinFilter<u64, u64, u64> = MinFilter::new(10);
    for round in 0u64..30 {
        assert_eq!(g.update(100 - round, round), 100 - round);
    }
}

#[test]
fn monotonically_increasing_samples_track_exactly() {
    let mut f: MaxFilter<u64, u64, u64> = MaxFilter::new(10);
    for round in 0u64..30 {
        assert_eq!(f.update(round, round), round);
    }
    // And for the min filter the oldest in-window sample is the minimum;
    // the approximation lags like the max filter with decreasing samples.
    let mut g: MinFilter<u64, u64, u64> = MinFilter::new(10);
    for round in 0u64..=10 {
        assert_eq!(g.update(round, round), 0);
    }
    assert_eq!(g.update(11, 11), 3);
}

#[test]
fn approximation_can_forget_a_recent_sample_right_after_a_promotion() {
    // The documented limit of the algorithm (same behaviour as Linux): the
    // estimate is not guaranteed to cover any fixed recent fraction of the
    // window.
    let mut f: MaxFilter<u64, u64, u64> = MaxFilter::new(10);
    assert_eq!(f.update(8, 0), 8); // [8@0, 8@0, 8@0]
    assert_eq!(f.update(6, 4), 8); // quarter rule: [8@0, 6@4, 6@4]
    assert_eq!(f.update(5, 5), 8); // worse than the third choice: dropped
    assert_eq!(f.update(5, 13), 6); // 8@0 expired: [6@4, 6@4, 5@13]
                                    // Round 14: the first two choices share a time and 10 > 10/4 rounds
                                    // have passed since it, so the quarter rule replaces the second and
                                    // third choices with 1@14, losing the distinct 5@13.
    assert_eq!(f.update(1, 14), 6); // [6@4, 1@14, 1@14]
                                    // Round 15: 6@4 expires. The true max of rounds 5..=15 is 5 (seen at
                                    // round 13, two rounds ago), the filter reports 2.
    assert_eq!(f.update(2, 15), 2);
}

#[test]
fn time_going_backwards_neither_panics_nor_ages_anything() {
    let mut f: MaxFilter<u64, u64, u64> = MaxFilter::new(10);
    f.update(100, 50);
    assert_eq!(f.update(1, 0), 100);
    assert_eq!(f.update(1, 60), 100);
    assert_eq!(f.update(1, 61), 1);

    let t0 = epoch();
    let mut g: MinFilter<Duration, Instant, Duration> = MinFilter::new(Duration::from_secs(10));
    g.update(ms(10), t0 + ms(5_000));
    assert_eq!(g.update(ms(20), t0), ms(10));
}

#[test]
fn extreme_values_and_windows() {
    let mut f: MaxFilter<u64, u64, u64> = MaxFilter::new(u64::MAX);
    f.update(u64::MAX, 0);
    assert_eq!(f.update(0, u64::MAX), u64::MAX);
    let mut g: MinFilter<u64, u64, u64> = MinFilter::new(0);
    g.update(5, 0);
    assert_eq!(g.update(7, 0), 5);
    assert_eq!(g.update(7, 1), 7);
}

/// Brute-force model: every sample ever fed, in order.
struct Model {
    samples: Vec<(u64, u64)>, // (time, value)
}

/// One step of the property test: feed `value` at `time` to the filter
/// and to the model, then check the invariants documented in
/// `sctp_cc::filter`.
///
/// `better(a, b)` is `a >= b` for the max filter, `a <= b` for the min.
fn check_step(
    model: &mut Model,
    window: u64,
    time: u64,
    value: u64,
    estimate: u64,
    best: (u64, u64),
    better: fn(u64, u64) -> bool,
) -> Result<(), TestCaseError> {
    model.samples.push((time, value));
    let (best_value, best_time) = best;
    prop_assert_eq!(best_value, estimate);

    // 1. The estimate is a sample that was really fed, at time t_e, and
    //    t_e is inside the window.
    prop_assert!(
        model
            .samples
            .iter()
            .any(|&(t, v)| t == best_time && v == best_value),
        "estimate {}@{} was never fed",
        best_value,
        best_time
    );
    prop_assert!(time - best_time <= window, "estimate older than the window");

    // 2. Hence it is never better than the true best of the window.
    let in_window = model
        .samples
        .iter()
        .filter(|&&(t, _)| time - t <= window)
        .map(|&(_, v)| v);
    let true_best = in_window
        .reduce(|a, b| if better(a, b) { a } else { b })
        .unwrap_or(value);
    prop_assert!(
        better(true_best, estimate),
        "estimate {} beats true best {}",
        estimate,
        true_best
    );

    // 3. It is at least as good as the newest sample and as every sample
    //    taken after t_e: it is the exact best over (t_e, now].
    prop_assert!(better(estimate, value));
    for &(t, v) in &model.samples {
        if t > best_time {
            prop_assert!(
                better(estimate, v),
                "estimate {}@{} worse than later sample {}@{}",
                estimate,
                best_time,
                v,
                t
            );
        }
    }

    // 4. While nothing has aged out, the estimate is exact.
    if let Some(&(first, _)) = model.samples.first() {
        if time - first <= window {
            prop_assert_eq!(estimate, true_best);
        }
    }
    Ok(())
}

fn steps() -> impl Strategy<Value = (u64, Vec<(u64, u64)>)> {
    (1u64..=40).prop_flat_map(|window| {
        // Time steps: often 0 (several samples per round, as the
        // max-bandwidth filter gets), up to a little more than the window.
        let step = prop_oneof![
            3 => Just(0u64),
            6 => 1u64..=(window / 4 + 1),
            2 => 0u64..=(window + 3),
        ];
        (
            Just(window),
            prop::collection::vec((step, 0u64..=30), 1..120),
        )
    })
}

proptest! {
    #[test]
    fn max_filter_matches_invariants_of_brute_force_model((window, steps) in steps()) {
        let mut f: MaxFilter<u64, u64, u64> = MaxFilter::new(window);
        let mut model = Model { samples: Vec::new() };
        let mut time = 0u64;
        for (dt, value) in steps {
            time += dt;
            let estimate = f.update(value, time);
            prop_assert_eq!(f.get(), Some(estimate));
            let best = f.best_sample().unwrap_or((value, time));
            check_step(&mut model, window, time, value, estimate, best, |a, b| a >= b)?;
        }
    }

    #[test]
    fn min_filter_matches_invariants_of_brute_force_model((window, steps) in steps()) {
        let mut f: MinFilter<u64, u64, u64> = MinFilter::new(window);
        let mut model = Model { samples: Vec::new() };
        let mut time = 0u64;
        for (dt, value) in steps {
            time += dt;
            let estimate = f.update(value, time);
            prop_assert_eq!(f.get(), Some(estimate));
            let best = f.best_sample().unwrap_or((value, time));
            check_step(&mut model, window, time, value, estimate, best, |a, b| a <= b)?;
        }
    }

    #[test]
    fn arbitrary_times_never_panic_and_report_a_fed_value(
        window in any::<u64>(),
        samples in prop::collection::vec((any::<u64>(), any::<u64>()), 1..64),
    ) {
        let mut f: MaxFilter<u64, u64, u64> = MaxFilter::new(window);
        let mut g: MinFilter<u64, u64, u64> = MinFilter::new(window);
        for &(time, value) in &samples {
            let e = f.update(value, time);
            prop_assert!(samples.iter().any(|&(_, v)| v == e));
            let e = g.update(value, time);
            prop_assert!(samples.iter().any(|&(_, v)| v == e));
        }
    }
}

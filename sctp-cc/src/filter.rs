//! Windowed minimum and maximum filters, as BBR uses them for the
//! max-bandwidth (window in round trips) and min-RTT (window in time)
//! estimates.
//!
//! The algorithm is Kathleen Nichols' windowed min/max tracker, with the
//! same update rules as Linux `lib/win_minmax.c`: instead of every sample
//! of the window, the filter keeps the best, second best and third best
//! samples, each with the time it was taken, so an update costs O(1) time
//! and the filter O(1) space. One generic implementation serves both
//! directions; [`Maximum`] and [`Minimum`] only choose the comparison.
//!
//! # Time and window types
//!
//! Time is any `T: Copy + Ord` whose difference `T - T` is the window
//! type `D` ([`WindowLength`]): `Instant`/`Duration` for the min-RTT
//! filter, or `u64` round counts for the max-bandwidth filter. A sample
//! taken at `t` is inside the window at `now` while `now - t <= window`.
//! The filter never reads a clock, and never subtracts a later time from an
//! earlier one: a `now` that goes backwards simply ages nothing.
//!
//! # What the estimate guarantees
//!
//! Nichols' filter is an approximation. With times that never go backwards,
//! after every [`WindowedFilter::update`] the estimate `e`, taken at time
//! `t_e` (see [`WindowedFilter::best_sample`]), satisfies:
//!
//! 1. `e` is a value that was fed at time `t_e`, and `now - t_e <= window`:
//!    the filter never reports a sample older than the window, nor a value
//!    that was never seen.
//! 2. Hence `e` is never better than the true best of the window (for the
//!    max filter: `e <= ` the true maximum over the window).
//! 3. `e` is at least as good as every sample fed after `t_e`, and as the
//!    sample just fed: `e` is the exact best over `(t_e, now]`.
//! 4. While no sample has aged out of the window (`now - t_first <=
//!    window`), `e` is exactly the best of all samples.
//!
//! It does **not** guarantee that `e` is as good as every sample of the
//! most recent quarter (or any fixed fraction) of the window. Samples worse
//! than the third choice are dropped on arrival, and, exactly as in Linux,
//! the quarter-window refresh can overwrite a distinct third choice right
//! after the best one expired. With a 10-round max window, the samples 8
//! (round 0), 6 (round 4), 5 (round 5), 5 (round 13), 1 (round 14),
//! 2 (round 15) end with an estimate of 2 although 5 was seen two rounds
//! earlier. BBR tolerates this: the filter "almost always" matches the
//! exact windowed best, and errs by underestimating the maximum (or
//! overestimating the minimum), never by inventing a value.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Sub;
use std::time::Duration;

/// The length of a filter window: the type of `now - sample_time`.
///
/// The subwindow rules of the algorithm need a quarter and a half of the
/// window. Implemented for [`Duration`] and the unsigned integers (round
/// counts); integer halves and quarters round down, as in Linux.
pub trait WindowLength: Copy + Ord {
    /// Half of this window length.
    fn half(self) -> Self;
    /// A quarter of this window length.
    fn quarter(self) -> Self;
}

impl WindowLength for Duration {
    fn half(self) -> Self {
        self / 2
    }

    fn quarter(self) -> Self {
        self / 4
    }
}

macro_rules! window_length_for_unsigned {
    ($($t:ty),*) => {
        $(
            impl WindowLength for $t {
                fn half(self) -> Self {
                    self / 2
                }

                fn quarter(self) -> Self {
                    self / 4
                }
            }
        )*
    };
}

window_length_for_unsigned!(u8, u16, u32, u64, u128, usize);

/// Which end of the order a [`WindowedFilter`] tracks.
///
/// Implemented by the marker types [`Maximum`] and [`Minimum`].
pub trait Extremum {
    /// Whether `candidate` is at least as good as `incumbent`: `>=` for a
    /// maximum, `<=` for a minimum. Ties count as better so that an equal
    /// but newer sample refreshes the filter (it expires later).
    fn at_least_as_good<V: Ord>(candidate: &V, incumbent: &V) -> bool;
}

/// Marker: the filter tracks the windowed maximum (e.g. BBR's `BtlBw`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maximum {}

/// Marker: the filter tracks the windowed minimum (e.g. BBR's `RTprop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Minimum {}

impl Extremum for Maximum {
    fn at_least_as_good<V: Ord>(candidate: &V, incumbent: &V) -> bool {
        candidate >= incumbent
    }
}

impl Extremum for Minimum {
    fn at_least_as_good<V: Ord>(candidate: &V, incumbent: &V) -> bool {
        candidate <= incumbent
    }
}

/// A windowed maximum filter: [`WindowedFilter`] with [`Maximum`].
pub type MaxFilter<V, T, D> = WindowedFilter<V, T, D, Maximum>;

/// A windowed minimum filter: [`WindowedFilter`] with [`Minimum`].
pub type MinFilter<V, T, D> = WindowedFilter<V, T, D, Minimum>;

/// One retained sample: a value and the time it was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sample<V, T> {
    value: V,
    time: T,
}

/// Kathleen Nichols' windowed best-value filter (see the
/// [module documentation](self) for the guarantees).
///
/// `V` is the value, `T` the time, `D = T - T` the window length and `E`
/// the direction ([`Maximum`] or [`Minimum`]); use the aliases
/// [`MaxFilter`] and [`MinFilter`].
///
/// ```
/// use sctp_cc::filter::MaxFilter;
///
/// // Max bandwidth over the last 10 round trips.
/// let mut max_bw: MaxFilter<u64, u64, u64> = MaxFilter::new(10);
/// assert_eq!(max_bw.get(), None);
/// assert_eq!(max_bw.update(500, 0), 500);
/// assert_eq!(max_bw.update(300, 4), 500);
/// // Round 11: the sample of round 0 is out of the window.
/// assert_eq!(max_bw.update(200, 11), 300);
/// ```
pub struct WindowedFilter<V, T, D, E> {
    window: D,
    /// Best, second best and third best samples; `None` before the first
    /// sample. Invariant: times are non-decreasing and values
    /// non-improving from index 0 to 2.
    estimates: Option<[Sample<V, T>; 3]>,
    extremum: PhantomData<fn() -> E>,
}

impl<V, T, D, E> WindowedFilter<V, T, D, E>
where
    V: Copy + Ord,
    T: Copy + Ord + Sub<Output = D>,
    D: WindowLength,
    E: Extremum,
{
    /// An empty filter whose estimate covers samples at most `window` old.
    pub fn new(window: D) -> Self {
        Self {
            window,
            estimates: None,
            extremum: PhantomData,
        }
    }

    /// The window length given to [`new`](Self::new).
    pub fn window(&self) -> D {
        self.window
    }

    /// The current estimate: the best value over the window (approximately,
    /// see the module documentation), or `None` before the first sample.
    pub fn get(&self) -> Option<V> {
        self.estimates.as_ref().map(|e| e[0].value)
    }

    /// The current estimate together with the time it was measured, or
    /// `None` before the first sample. A min-RTT filter can use the time to
    /// know how old its minimum is.
    pub fn best_sample(&self) -> Option<(V, T)> {
        self.estimates.as_ref().map(|e| (e[0].value, e[0].time))
    }

    /// Forgets every sample and restarts the filter from `value` measured
    /// at `now`.
    pub fn reset(&mut self, value: V, now: T) {
        let sample = Sample { value, time: now };
        self.estimates = Some([sample; 3]);
    }

    /// Forgets every sample: [`get`](Self::get) returns `None` until the
    /// next update.
    pub fn clear(&mut self) {
        self.estimates = None;
    }

    /// Feeds `value` measured at `now` and returns the new estimate.
    pub fn update(&mut self, value: V, now: T) -> V {
        let window = self.window;
        let sample = Sample { value, time: now };
        let Some(est) = self.estimates.as_mut() else {
            self.reset(value, now);
            return value;
        };

        // A new overall best, or every retained sample has left the window:
        // nothing retained can matter any more (win_minmax.c,
        // minmax_running_max/min).
        if E::at_least_as_good(&value, &est[0].value) || aged_beyond(now, est[2].time, window) {
            self.reset(value, now);
            return value;
        }

        // Samples that are beaten by a newer one can never become the best
        // again: they expire first.
        if E::at_least_as_good(&value, &est[1].value) {
            est[1] = sample;
            est[2] = sample;
        } else if E::at_least_as_good(&value, &est[2].value) {
            est[2] = sample;
        }

        // Subwindow maintenance (win_minmax.c, minmax_subwin_update).
        if aged_beyond(now, est[0].time, window) {
            // The best has left the window: promote the second and third
            // choices, and take the new sample as third choice. The second
            // choice may be out of the window too (the third is not: it was
            // checked above), hence at most two promotions.
            est[0] = est[1];
            est[1] = est[2];
            est[2] = sample;
            if aged_beyond(now, est[0].time, window) {
                est[0] = est[1];
                est[1] = est[2];
                est[2] = sample;
            }
        } else if est[1].time == est[0].time && aged_beyond(now, est[0].time, window.quarter()) {
            // A quarter of the window has passed without a distinct second
            // choice: take one from the second quarter.
            est[1] = sample;
            est[2] = sample;
        } else if est[2].time == est[1].time && aged_beyond(now, est[0].time, window.half()) {
            // Half the window has passed without a distinct third choice:
            // take one from the second half.
            est[2] = sample;
        }
        est[0].value
    }
}

/// `now - then > limit`, without ever computing a negative difference
/// (which would overflow for integer times or saturate for `Instant`).
fn aged_beyond<T, D>(now: T, then: T, limit: D) -> bool
where
    T: Copy + Ord + Sub<Output = D>,
    D: Ord,
{
    now > then && now - then > limit
}

impl<V, T, D, E> Clone for WindowedFilter<V, T, D, E>
where
    V: Clone,
    T: Clone,
    D: Clone,
{
    fn clone(&self) -> Self {
        Self {
            window: self.window.clone(),
            estimates: self.estimates.clone(),
            extremum: PhantomData,
        }
    }
}

impl<V, T, D, E> fmt::Debug for WindowedFilter<V, T, D, E>
where
    V: fmt::Debug,
    T: fmt::Debug,
    D: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowedFilter")
            .field("window", &self.window)
            .field("estimates", &self.estimates)
            .finish()
    }
}

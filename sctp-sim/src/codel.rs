//! CoDel active queue management (RFC 8289) for a link's bottleneck queue.
//!
//! RFC 8289 decides at dequeue. The link models its FIFO queue by
//! departure times, so each packet's dequeue time and sojourn are known
//! when it arrives; the state machine runs then, in dequeue order, and a
//! packet it drops never occupies the transmitter.

use serde::{Deserialize, Serialize};

/// The queue discipline of a link direction. In a scenario file:
/// `aqm = "drop_tail"` or `aqm = { codel = { target_ms = 5, interval_ms = 100 } }`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Aqm {
    /// Drop only what does not fit the queue limit.
    #[default]
    DropTail,
    /// CoDel on top of the queue limit.
    Codel {
        /// Acceptable standing queue delay, ms (RFC 8289 §4.4: 5 ms).
        #[serde(default = "default_target")]
        target_ms: f64,
        /// Sliding window of the minimum delay, ms (RFC 8289 §4.5: 100 ms).
        #[serde(default = "default_interval")]
        interval_ms: f64,
    },
}

fn default_target() -> f64 {
    5.0
}

fn default_interval() -> f64 {
    100.0
}

/// CoDel's state, times in ns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codel {
    target: u64,
    interval: u64,
    first_above_time: Option<u64>,
    dropping: bool,
    drop_next: u64,
    count: u32,
    lastcount: u32,
}

impl Codel {
    /// CoDel with `target` and `interval` in ns.
    pub fn new(target: u64, interval: u64) -> Self {
        Codel {
            target,
            interval,
            first_above_time: None,
            dropping: false,
            drop_next: 0,
            count: 0,
            lastcount: 0,
        }
    }

    /// RFC 8289 §5.5: the next drop comes interval / sqrt(count) later.
    fn control_law(&self, t: u64) -> u64 {
        t + (self.interval as f64 / f64::from(self.count.max(1)).sqrt()) as u64
    }

    /// Decides on the packet dequeued at `now` after waiting `sojourn`,
    /// with `backlog` bytes queued; `true` drops it.
    pub fn drops(&mut self, now: u64, sojourn: u64, backlog: u64, mtu: u64) -> bool {
        // RFC 8289 §5.4: ok_to_drop once the delay stayed above target
        // for a whole interval (and more than one packet is queued).
        let ok_to_drop = if sojourn < self.target || backlog <= mtu {
            self.first_above_time = None;
            false
        } else {
            match self.first_above_time {
                None => {
                    self.first_above_time = Some(now + self.interval);
                    false
                }
                Some(t) => now >= t,
            }
        };
        if self.dropping {
            if !ok_to_drop {
                self.dropping = false;
                return false;
            }
            if now >= self.drop_next {
                self.count += 1;
                self.drop_next = self.control_law(self.drop_next);
                return true;
            }
            return false;
        }
        if !ok_to_drop {
            return false;
        }
        // RFC 8289 §5.6: entering the dropping state, resume near the
        // previous drop rate if it was recent.
        self.dropping = true;
        let delta = self.count.saturating_sub(self.lastcount);
        self.count = if delta > 1 && now.saturating_sub(self.drop_next) < 16 * self.interval {
            delta
        } else {
            1
        };
        self.drop_next = self.control_law(now);
        self.lastcount = self.count;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_delay_below_target_is_never_punished() {
        let mut c = Codel::new(5 * MS, 100 * MS);
        assert!((0..10_000).all(|i| !c.drops(i * MS, 4 * MS, 100_000, 1500)));
    }

    #[test]
    fn a_standing_queue_is_dropped_after_an_interval_ever_faster() {
        let mut c = Codel::new(5 * MS, 100 * MS);
        let drops: Vec<u64> = (0..200_000u64)
            .map(|i| i * MS / 100)
            .filter(|&t| c.drops(t, 20 * MS, 100_000, 1500))
            .collect();
        // Nothing during the first interval above target.
        assert!(drops[0] >= 100 * MS, "{}", drops[0]);
        // Then interval / sqrt(count): gaps shrink.
        let gaps: Vec<u64> = drops.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.len() > 3);
        assert!(gaps.windows(2).all(|g| g[1] <= g[0]), "{gaps:?}");
        assert!(gaps[0] >= 99 * MS && gaps[1] < 75 * MS, "{gaps:?}");
    }
}

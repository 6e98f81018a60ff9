//! Retransmission timers with exponential back-off and a restart limit,
//! the T1-init / T1-cookie semantics of RFC 9260 §5.1 and §6.3.3.

use std::time::{Duration, Instant};

/// A timer that doubles its duration on each expiry, up to a cap, and
/// reports when it has expired more often than its limit allows.
#[derive(Clone, Debug)]
pub(crate) struct BackoffTimer {
    base: Duration,
    max: Duration,
    limit: u32,
    expiries: u32,
    deadline: Option<Instant>,
}

/// What an expired timer asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// Retransmit; the timer is running again with the doubled duration.
    Retransmit,
    /// The limit is reached: give up.
    GiveUp,
}

impl BackoffTimer {
    pub(crate) fn new(base: Duration, max: Duration, limit: u32) -> Self {
        BackoffTimer {
            base,
            max,
            limit,
            expiries: 0,
            deadline: None,
        }
    }

    /// Starts the timer afresh: no back-off, no expiry counted.
    pub(crate) fn start(&mut self, now: Instant) {
        self.expiries = 0;
        self.deadline = Some(now + self.base.min(self.max));
    }

    pub(crate) fn stop(&mut self) {
        self.deadline = None;
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Handles the deadline passing at `now`; `None` if it has not.
    pub(crate) fn expire(&mut self, now: Instant) -> Option<Expiry> {
        if self.deadline.is_none_or(|d| now < d) {
            return None;
        }
        self.expiries += 1;
        if self.expiries > self.limit {
            self.deadline = None;
            return Some(Expiry::GiveUp);
        }
        // RFC 9260 §6.3.3 E2: the timeout doubles, capped at RTO.Max.
        let factor = 1u32.checked_shl(self.expiries).unwrap_or(u32::MAX);
        let next = self.base.saturating_mul(factor).min(self.max);
        self.deadline = Some(now + next);
        Some(Expiry::Retransmit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_doubling_up_to_the_cap_then_gives_up() {
        #[allow(clippy::disallowed_methods)] // an epoch for the test
        let t0 = Instant::now();
        let mut t = BackoffTimer::new(Duration::from_secs(1), Duration::from_secs(5), 4);
        t.start(t0);
        assert_eq!(t.expire(t0), None);
        let mut now = t0;
        let mut gaps = Vec::new();
        loop {
            let d = t.deadline().unwrap();
            gaps.push((d - now).as_secs());
            now = d;
            if t.expire(now) == Some(Expiry::GiveUp) {
                break;
            }
        }
        assert_eq!(gaps, [1, 2, 4, 5, 5]);
        assert_eq!(t.deadline(), None);
    }
}

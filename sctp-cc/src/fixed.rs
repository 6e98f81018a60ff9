//! A controller with a constant window, for tests and for links whose
//! capacity is known.

use crate::controller::{
    AckEvent, CongestionController, CongestionControllerFactory, CongestionEvent, PathParams,
    SentPacket,
};
use std::time::Instant;

/// A congestion window that never changes, whatever happens. Useful to
/// isolate other mechanisms in tests; unsafe on a shared network.
///
/// It is also its own factory: every controller it builds has this window
/// (raised to one MTU of the path if smaller).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedWindow {
    window: usize,
    mtu: usize,
}

impl FixedWindow {
    /// A controller whose cwnd is always `window` bytes.
    pub fn new(window: usize) -> Self {
        FixedWindow { window, mtu: 1 }
    }
}

impl CongestionControllerFactory for FixedWindow {
    fn build(&self, path: &PathParams) -> Box<dyn CongestionController> {
        Box::new(FixedWindow {
            window: self.window,
            mtu: path.mtu.max(1),
        })
    }
}

impl CongestionController for FixedWindow {
    fn on_packet_sent(&mut self, _packet: &SentPacket) {}
    fn on_ack(&mut self, _ack: &AckEvent) {}
    fn on_congestion(&mut self, _now: Instant, _event: CongestionEvent, _in_flight: usize) {}
    fn on_recovery_exit(&mut self, _now: Instant) {}
    fn on_idle(&mut self, _now: Instant) {}

    fn on_mtu_change(&mut self, _now: Instant, mtu: usize) {
        self.mtu = mtu.max(1);
    }

    fn cwnd(&self) -> usize {
        self.window.max(self.mtu)
    }

    fn fast_retransmit_budget(&self) -> usize {
        self.mtu
    }

    fn name(&self) -> &'static str {
        "fixed"
    }
}

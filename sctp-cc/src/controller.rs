//! The congestion-control contract between the association and a
//! controller (DESIGN.md §3).
//!
//! The association translates SACK processing, retransmission timers and
//! path events into the calls below; a controller sees bytes and times,
//! never TSNs, chunks or timers. Every call carries `now`, the caller's
//! clock: a controller never reads one.

use crate::rate::RateSample;
use std::fmt;
use std::time::{Duration, Instant};

/// A packet carrying DATA handed to the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentPacket {
    /// When it was sent.
    pub now: Instant,
    /// The bytes it adds to the flight (its DATA chunks; RFC 9260 §6.1).
    pub bytes: usize,
    /// Bytes in flight once it is counted.
    pub in_flight_after: usize,
    /// Whether it carries only retransmitted data.
    pub retransmission: bool,
    /// Whether the sender ran out of data to send when this packet went
    /// out, with room left in the window (the application, not the
    /// network, limited the rate).
    pub app_limited: bool,
}

/// The outcome of one SACK, in bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AckEvent {
    /// When the SACK arrived.
    pub now: Instant,
    /// Bytes newly acknowledged by the advance of the cumulative TSN ack.
    pub cum_acked_bytes: usize,
    /// Bytes newly acknowledged by gap ack blocks.
    pub gap_acked_bytes: usize,
    /// Whether the cumulative TSN ack point advanced.
    pub cum_tsn_advanced: bool,
    /// Bytes in flight before the SACK was processed.
    pub in_flight_before: usize,
    /// Bytes in flight after it.
    pub in_flight_after: usize,
    /// An RTT measurement, when Karn's rule allows one (RFC 9260 §6.3.1:
    /// never from a retransmitted chunk).
    pub rtt: Option<Duration>,
    /// A delivery-rate sample from [`crate::DeliveryRateEstimator`], if
    /// the association keeps one.
    pub rate: Option<RateSample>,
    /// Whether the sender is application-limited: it has no data waiting
    /// and does not fill the window.
    pub app_limited: bool,
}

impl AckEvent {
    /// Bytes newly acknowledged by this SACK, cumulatively or by gap blocks.
    pub fn newly_acked(&self) -> usize {
        self.cum_acked_bytes.saturating_add(self.gap_acked_bytes)
    }
}

/// A congestion signal. The association reports each event once: one call
/// per fast-retransmit decision or per T3-rtx expiry, not per lost chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CongestionEvent {
    /// Loss detected from SACKs: chunks reported missing enough times to
    /// be fast-retransmitted (RFC 9260 §7.2.4), or lost by another
    /// detector such as RACK.
    FastRetransmit,
    /// The T3-rtx timer expired (RFC 9260 §6.3.3).
    Timeout,
}

/// What a controller needs to know about the path when it is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathParams {
    /// Path MTU in bytes: the largest SCTP packet the association sends.
    pub mtu: usize,
    /// The peer's advertised receiver window from INIT or INIT ACK, which
    /// RFC 9260 §7.2.1 suggests as the initial ssthresh.
    pub peer_rwnd: usize,
}

/// A congestion controller for one association's path.
///
/// The association calls the `on_*` methods as events happen, in time
/// order, and reads [`cwnd`](Self::cwnd) (and the pacing rate and burst
/// limit) before sending. A controller never sees TSNs or chunks, so the
/// same trait serves window-based controllers like [`crate::Rfc9260`] and
/// model-based ones that pace.
///
/// The trait is object safe: an association holds a
/// `Box<dyn CongestionController>` built by a [`CongestionControllerFactory`].
pub trait CongestionController: Send + fmt::Debug {
    /// A packet carrying DATA was sent.
    fn on_packet_sent(&mut self, packet: &SentPacket);

    /// A SACK was processed. Called for every SACK that arrives, also one
    /// that acknowledges nothing new (`newly_acked() == 0`).
    fn on_ack(&mut self, ack: &AckEvent);

    /// Congestion was detected, once per event (see [`CongestionEvent`]).
    /// `in_flight` is the flight size when it was detected.
    fn on_congestion(&mut self, now: Instant, event: CongestionEvent, in_flight: usize);

    /// Fast recovery ended: a SACK acknowledged every TSN up to the
    /// recovery exit point (RFC 9260 §7.2.4). Only called after a
    /// [`CongestionEvent::FastRetransmit`].
    fn on_recovery_exit(&mut self, now: Instant);

    /// The path carried no data for one RTO: called once per RTO of
    /// idleness while nothing is in flight (RFC 9260 §7.2.1).
    fn on_idle(&mut self, now: Instant);

    /// The path MTU changed to `mtu` bytes.
    fn on_mtu_change(&mut self, now: Instant, mtu: usize);

    /// The congestion window in bytes: the association sends new data
    /// only while fewer bytes than this are in flight (RFC 9260 §6.1).
    /// Never below one MTU.
    fn cwnd(&self) -> usize;

    /// The slow-start threshold, for controllers that have one.
    fn ssthresh(&self) -> Option<usize> {
        None
    }

    /// The rate, in bytes per second, at which to release packets, or
    /// `None` to send as fast as the window allows.
    fn pacing_rate(&self) -> Option<u64> {
        None
    }

    /// Whether the controller uses delivery-rate samples
    /// ([`AckEvent::rate`]). The association then keeps a send snapshot
    /// per chunk in flight to make them, which window-based controllers
    /// need not pay for; without, `rate` is always `None`.
    fn wants_rate_samples(&self) -> bool {
        false
    }

    /// The most bytes of new data to send back to back in reply to one
    /// event (a SACK, a timer, a user send), or `None` for no limit beyond
    /// the window. RFC 9260 §6.1 rule D calls this Max.Burst.
    fn burst_limit(&self) -> Option<usize> {
        None
    }

    /// Bytes of chunks marked for fast retransmission that may be sent at
    /// once, regardless of the window (RFC 9260 §7.2.4: at least one
    /// packet's worth).
    fn fast_retransmit_budget(&self) -> usize;

    /// A short name for logs and statistics, such as `"rfc9260"`.
    fn name(&self) -> &'static str;
}

/// Builds one controller per association (or per path).
///
/// Configuration types implement it, and so does any
/// `Fn(&PathParams) -> Box<dyn CongestionController>` closure.
pub trait CongestionControllerFactory: Send + Sync {
    /// A fresh controller for a path with these parameters.
    fn build(&self, path: &PathParams) -> Box<dyn CongestionController>;
}

impl<F> CongestionControllerFactory for F
where
    F: Fn(&PathParams) -> Box<dyn CongestionController> + Send + Sync,
{
    fn build(&self, path: &PathParams) -> Box<dyn CongestionController> {
        self(path)
    }
}

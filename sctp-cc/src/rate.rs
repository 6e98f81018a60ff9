//! Delivery-rate estimation, following the IETF draft "Delivery Rate
//! Estimation" (draft-cheng-iccrg-delivery-rate-estimation-02, the
//! algorithm Linux `net/ipv4/tcp_rate.c` implements).
//!
//! The estimator counts the bytes the peer has acknowledged
//! (`C.delivered`) and when (`C.delivered_time`). Each transmitted packet
//! takes a [`SendSnapshot`] of those counters; when the packet is
//! acknowledged, the bytes delivered since the snapshot divided by the
//! time since the snapshot is a [`RateSample`]: the rate at which the
//! network delivered the most recent flight of data.
//!
//! # How the association drives it
//!
//! - On every transmission (original or retransmission) of a packet or
//!   chunk that counts toward the flight size: [`on_send`], and keep the
//!   returned snapshot with it.
//! - On a SACK: [`on_ack`] once for each newly acknowledged snapshot,
//!   whether it is covered by the cumulative TSN ack or by a gap-ack block
//!   (a chunk acknowledged by a gap block and later by the cumulative ack
//!   must be passed only once); [`on_loss`] for data declared lost; then
//!   [`take_sample`] once, which yields the SACK's rate sample.
//! - When the sender has nothing to send although the congestion window
//!   and pacing would allow more: [`mark_app_limited`].
//!
//! All byte counters are `u64` and saturate; no method panics or allocates.
//!
//! [`on_send`]: DeliveryRateEstimator::on_send
//! [`on_ack`]: DeliveryRateEstimator::on_ack
//! [`on_loss`]: DeliveryRateEstimator::on_loss
//! [`take_sample`]: DeliveryRateEstimator::take_sample
//! [`mark_app_limited`]: DeliveryRateEstimator::mark_app_limited

use std::time::{Duration, Instant};

/// Per-association delivery-rate state (the draft's `C.*` variables,
/// §3.1.1) plus the rate sample being built from the current SACK (`rs`,
/// §3.1.3).
#[derive(Debug, Clone, Default)]
pub struct DeliveryRateEstimator {
    /// `C.delivered`: bytes acknowledged so far.
    delivered: u64,
    /// `C.delivered_time`: when `delivered` last changed, or when sending
    /// restarted from idle. `None` before the first send.
    delivered_time: Option<Instant>,
    /// `C.first_sent_time`: send time of the most recently acknowledged
    /// packet, or of the first packet sent after idle. `None` before the
    /// first send.
    first_sent_time: Option<Instant>,
    /// `C.app_limited`: the value `delivered` must exceed before samples
    /// stop being application-limited; 0 when not application-limited.
    app_limited: u64,
    /// `C.lost`: bytes declared lost so far.
    lost: u64,
    /// Transmission counter, giving snapshots a total send order.
    next_send_index: u64,
    /// The sample of the SACK being processed: `None` until its first
    /// acknowledged snapshot.
    pending: Option<PendingSample>,
}

/// The draft's `rs` while a SACK is being processed: taken from the most
/// recently sent of the packets it acknowledges.
#[derive(Debug, Clone, Copy)]
struct PendingSample {
    send_index: u64,
    prior_delivered: u64,
    prior_lost: u64,
    send_elapsed: Duration,
    ack_elapsed: Duration,
    rtt: Duration,
    tx_in_flight: usize,
    app_limited: bool,
}

/// The delivery state recorded when a packet was sent (the draft's `P.*`
/// variables, §3.1.2). Keep it with the packet and hand it back to
/// [`DeliveryRateEstimator::on_ack`] when the packet is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendSnapshot {
    send_index: u64,
    delivered: u64,
    delivered_time: Instant,
    first_sent_time: Instant,
    sent_time: Instant,
    bytes: usize,
    tx_in_flight: usize,
    lost: u64,
    app_limited: bool,
}

impl SendSnapshot {
    /// `P.delivered`: bytes acknowledged when this packet was sent.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// `P.delivered_time`: `C.delivered_time` when this packet was sent.
    pub fn delivered_time(&self) -> Instant {
        self.delivered_time
    }

    /// `P.first_sent_time`: `C.first_sent_time` when this packet was sent,
    /// the start of its send interval.
    pub fn first_sent_time(&self) -> Instant {
        self.first_sent_time
    }

    /// When this packet was sent.
    pub fn sent_time(&self) -> Instant {
        self.sent_time
    }

    /// The packet's size in bytes, as given to `on_send`.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Bytes in flight just after this packet was sent, itself included
    /// (`P.tx_in_flight` of the BBR drafts).
    pub fn tx_in_flight(&self) -> usize {
        self.tx_in_flight
    }

    /// `C.lost` when this packet was sent.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// `P.is_app_limited`: whether the pipe held an application-limited
    /// bubble when this packet was sent.
    pub fn is_app_limited(&self) -> bool {
        self.app_limited
    }
}

/// One delivery-rate sample (the draft's `rs`, §3.1.3), produced by
/// [`DeliveryRateEstimator::take_sample`] after a SACK.
///
/// The fields are public so that controller tests can build samples; a
/// sample from the estimator always has a non-zero `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSample {
    /// `rs.delivered`: bytes delivered over the interval, i.e. since the
    /// newest acknowledged packet was sent.
    pub delivered: u64,
    /// `rs.interval`: the longer of `send_elapsed` and `ack_elapsed`.
    pub interval: Duration,
    /// `rs.send_elapsed`: how long the sender took to send the data of the
    /// interval.
    pub send_elapsed: Duration,
    /// `rs.ack_elapsed`: how long the peer took to acknowledge it.
    pub ack_elapsed: Duration,
    /// `rs.prior_delivered`: `C.delivered` when the newest acknowledged
    /// packet was sent.
    pub prior_delivered: u64,
    /// `rs.is_app_limited`: the newest acknowledged packet was sent while
    /// the pipe held an application-limited bubble, so the rate may
    /// underestimate the path. BBR uses such a sample only if it raises
    /// the bandwidth estimate.
    pub app_limited: bool,
    /// The newest acknowledged packet's round-trip time: the SACK's arrival
    /// minus its send time.
    pub rtt: Duration,
    /// Bytes declared lost over the interval (`C.lost` now minus at send).
    pub lost: u64,
    /// Bytes in flight just after the newest acknowledged packet was sent
    /// (`rs.tx_in_flight` of the BBR drafts).
    pub tx_in_flight: usize,
}

impl RateSample {
    /// The delivery rate, `delivered / interval`, in bytes per second
    /// (rounded down, saturating at `u64::MAX`); 0 for a zero interval.
    pub fn bytes_per_second(&self) -> u64 {
        let nanos = self.interval.as_nanos();
        if nanos == 0 {
            return 0;
        }
        // u64::MAX * 10^9 < 2^94: no overflow in u128.
        let rate = u128::from(self.delivered) * 1_000_000_000 / nanos;
        u64::try_from(rate).unwrap_or(u64::MAX)
    }
}

impl DeliveryRateEstimator {
    /// A fresh estimator: nothing sent, nothing delivered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes acknowledged so far (`C.delivered`).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Bytes declared lost so far (`C.lost`).
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Whether the pipe holds an application-limited bubble: packets sent
    /// now produce application-limited samples.
    pub fn is_app_limited(&self) -> bool {
        self.app_limited != 0
    }

    /// Records the transmission of a packet of `bytes` at `now`, with
    /// `bytes_in_flight_before` bytes outstanding before it, and returns
    /// its snapshot.
    pub fn on_send(
        &mut self,
        now: Instant,
        bytes: usize,
        bytes_in_flight_before: usize,
    ) -> SendSnapshot {
        // draft-cheng-iccrg-delivery-rate-estimation §3.2: "if (SND.NXT ==
        // SND.UNA)", i.e. nothing in flight: restart both the send and the
        // ack interval now, so that an idle period (or the handshake) is
        // not counted in the next samples.
        let (delivered_time, first_sent_time) = match (self.delivered_time, self.first_sent_time) {
            (Some(delivered_time), Some(first_sent_time)) if bytes_in_flight_before != 0 => {
                (delivered_time, first_sent_time)
            }
            _ => (now, now),
        };
        self.delivered_time = Some(delivered_time);
        self.first_sent_time = Some(first_sent_time);

        let send_index = self.next_send_index;
        self.next_send_index = self.next_send_index.saturating_add(1);

        // draft-cheng-iccrg-delivery-rate-estimation §3.2: the packet
        // remembers C.delivered, C.delivered_time, C.first_sent_time, and
        // whether an app-limited bubble is in the pipe.
        SendSnapshot {
            send_index,
            delivered: self.delivered,
            delivered_time,
            first_sent_time,
            sent_time: now,
            bytes,
            tx_in_flight: bytes_in_flight_before.saturating_add(bytes),
            lost: self.lost,
            app_limited: self.app_limited != 0,
        }
    }

    /// Records that the packet of `snapshot` was acknowledged (for the
    /// first time) by the SACK that arrived at `now`. Call it for every
    /// newly acknowledged packet of the SACK, in any order, then call
    /// [`take_sample`](Self::take_sample).
    pub fn on_ack(&mut self, now: Instant, snapshot: &SendSnapshot) {
        // draft-cheng-iccrg-delivery-rate-estimation §3.3 (UpdateRateSample):
        // C.delivered += P.data_length; C.delivered_time = Now().
        self.delivered = self.delivered.saturating_add(to_u64(snapshot.bytes));
        self.delivered_time = Some(now);

        // draft-cheng-iccrg-delivery-rate-estimation §3.3: the sample uses
        // the most recently sent of the acknowledged packets (the one with
        // the highest P.delivered), whose interval is the most recent.
        let newest = self
            .pending
            .is_none_or(|pending| snapshot.send_index > pending.send_index);
        if newest {
            self.pending = Some(PendingSample {
                send_index: snapshot.send_index,
                prior_delivered: snapshot.delivered,
                prior_lost: snapshot.lost,
                // §3.3: rs.send_elapsed = P.sent_time - P.first_sent_time
                send_elapsed: snapshot
                    .sent_time
                    .saturating_duration_since(snapshot.first_sent_time),
                // §3.3: rs.ack_elapsed = C.delivered_time - P.delivered_time
                ack_elapsed: now.saturating_duration_since(snapshot.delivered_time),
                rtt: now.saturating_duration_since(snapshot.sent_time),
                tx_in_flight: snapshot.tx_in_flight,
                app_limited: snapshot.app_limited,
            });
            // §3.3: C.first_sent_time = P.sent_time: the next send interval
            // starts where this one ends.
            self.first_sent_time = Some(snapshot.sent_time);
        }

        // draft-cheng-iccrg-delivery-rate-estimation §3.3: "Clear
        // app-limited field if bubble is ACKed and gone."
        if self.app_limited != 0 && self.delivered > self.app_limited {
            self.app_limited = 0;
        }
    }

    /// Records that `bytes` of outstanding data were declared lost (by fast
    /// retransmit or a T3-rtx expiry); their snapshots are not passed back.
    pub fn on_loss(&mut self, bytes: usize) {
        self.lost = self.lost.saturating_add(to_u64(bytes));
    }

    /// Finishes the current SACK and returns its rate sample, or `None`
    /// when it acknowledged nothing new, when the interval is zero, or when
    /// the interval is shorter than `min_rtt` (an artefact of ACK
    /// compression or of a spurious retransmission). Starts a new sample
    /// either way.
    pub fn take_sample(&mut self, min_rtt: Option<Duration>) -> Option<RateSample> {
        // draft-cheng-iccrg-delivery-rate-estimation §3.3: "if
        // (rs.prior_time == 0) return false": nothing delivered.
        let pending = self.pending.take()?;

        // draft-cheng-iccrg-delivery-rate-estimation §3.3: use
        // the longer of the send and ack intervals; the network cannot
        // deliver data faster than it was sent, so a burst of compressed
        // acks must not inflate the rate.
        let interval = pending.send_elapsed.max(pending.ack_elapsed);
        // §3.3: rs.delivered = C.delivered - rs.prior_delivered
        let delivered = self.delivered.saturating_sub(pending.prior_delivered);

        if interval.is_zero() {
            return None;
        }
        // draft-cheng-iccrg-delivery-rate-estimation §3.3: "if (rs.interval
        // < MinRTT(tp)) ... return false /* no reliable sample */".
        if min_rtt.is_some_and(|min_rtt| interval < min_rtt) {
            tracing::trace!(
                ?interval,
                ?min_rtt,
                "rate sample shorter than min_rtt dropped"
            );
            return None;
        }

        let sample = RateSample {
            delivered,
            interval,
            send_elapsed: pending.send_elapsed,
            ack_elapsed: pending.ack_elapsed,
            prior_delivered: pending.prior_delivered,
            app_limited: pending.app_limited,
            rtt: pending.rtt,
            lost: self.lost.saturating_sub(pending.prior_lost),
            tx_in_flight: pending.tx_in_flight,
        };
        tracing::trace!(
            delivered,
            ?interval,
            app_limited = sample.app_limited,
            bytes_per_second = sample.bytes_per_second(),
            "rate sample"
        );
        Some(sample)
    }

    /// Marks the association application-limited: the sender has nothing
    /// to send although the congestion window and pacing would allow it,
    /// with `bytes_in_flight` outstanding. Packets sent until everything
    /// now in flight has been delivered produce application-limited
    /// samples.
    pub fn mark_app_limited(&mut self, bytes_in_flight: usize) {
        // draft-cheng-iccrg-delivery-rate-estimation §3.4:
        // "C.app_limited = (C.delivered + C.pipe) ? : 1": the bubble ends
        // once delivered passes everything in flight now; at least 1 so
        // that the marker is set even with nothing delivered or in flight.
        self.app_limited = self
            .delivered
            .saturating_add(to_u64(bytes_in_flight))
            .max(1);
    }
}

/// `usize` to `u64`, saturating on (hypothetical) wider platforms.
fn to_u64(bytes: usize) -> u64 {
    u64::try_from(bytes).unwrap_or(u64::MAX)
}

//! Data transfer on an established association: sending user messages
//! within the congestion and receive windows (RFC 9260 §6.1), SACK
//! processing (§6.2.1), retransmission by T3-rtx (§6.3.3) and fast
//! retransmit (§7.2.4), and on the receiving side acknowledgement (§6.2)
//! and reassembly (§6.5, §6.9).

use super::{Association, CloseReason, Event, Phase};
use crate::buffered::StreamBuffers;
use crate::interleaved::InterleavedReassembly;
use crate::pacing::{Pacer, RateSampler};
use crate::payload::Payload;
use crate::rack::{LossDetection, Rack};
use crate::reassembly::{Held, Message, Reassembly};
use crate::rto::RtoEstimator;
use crate::send::{InFlight, Policy, Sent};
use crate::send_queue::SendQueue;
use crate::tracker::{DataVerdict, ReceiveTracker};
use bytes::{Bytes, BytesMut};
use sctp_cc::{AckEvent, CongestionController, CongestionEvent, PathParams, SentPacket};
use sctp_wire::{
    Abort, BuildError, Chunk, CommonHeader, DataChunk, Encode, ErrorCause, ForwardTsn,
    ForwardTsnStream, IDataChunk, IForwardTsn, IForwardTsnStream, Mid, OperationError,
    PacketBuilder, Ppid, Sack, StreamId, Tsn, COMMON_HEADER_LEN,
};
use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroU16;
use std::time::Instant;
use tracing::{debug, trace};

/// Bytes of a DATA chunk header (RFC 9260 §3.3.1).
const DATA_HEADER: usize = 16;
/// Bytes of an I-DATA chunk before its user data (RFC 8260 §2.1).
const IDATA_HEADER: usize = 20;
/// The one zero byte an empty WebRTC message is sent as (RFC 8831 §6.6).
const EMPTY_MARKER: Bytes = Bytes::from_static(&[0]);

/// How hard a message is tried (RFC 3758; pion's reliability types).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reliability {
    /// Sent until acknowledged.
    #[default]
    Reliable,
    /// Given up after this many retransmissions (pion's
    /// `ReliabilityTypeRexmit`; 0: sent once).
    Rexmit(u32),
    /// Given up once this long has passed since it was queued, sent or
    /// not (pion's `ReliabilityTypeTimed`).
    Timed(std::time::Duration),
}

/// Why [`Association::send`] refused a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The association is not established (yet, or any more).
    #[error("the association is not established")]
    NotEstablished,
    /// The stream id is not below the negotiated outbound stream count.
    #[error("stream {stream} is not open: the association has {outbound} outbound streams")]
    InvalidStream {
        /// The stream asked for.
        stream: u16,
        /// Outbound streams negotiated.
        outbound: u16,
    },
    /// The message is larger than `Config::max_message_size` (or than
    /// `Config::send_buffer_size`, if that is smaller).
    #[error("message of {len} bytes exceeds the maximum of {max}")]
    MessageTooLarge {
        /// Its length.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The stream is being reset (see `Association::reset_streams`): it
    /// takes messages again once the reset is done.
    #[error("stream {stream} is being reset")]
    StreamResetting {
        /// The stream asked for.
        stream: u16,
    },
    /// SCTP cannot carry an empty user message (RFC 9260 §6.2); only the
    /// WebRTC String and Binary PPIDs have an empty form (RFC 8831 §6.6).
    #[error("an SCTP message cannot be empty (except with a WebRTC String or Binary PPID)")]
    EmptyMessage,
    /// The send buffer is full: wait for data to be acknowledged.
    #[error("send buffer full: {buffered} bytes waiting, {len} more would exceed {limit}")]
    BufferFull {
        /// Bytes already waiting.
        buffered: usize,
        /// The message's length.
        len: usize,
        /// `Config::send_buffer_size`.
        limit: usize,
    },
}

/// A user message received whole.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The stream it came on.
    pub stream_id: StreamId,
    /// Its payload protocol identifier.
    pub ppid: Ppid,
    /// Whether it was sent unordered.
    pub unordered: bool,
    /// The user data, as slices of the received datagrams (see
    /// [`Payload`]).
    pub payload: Payload,
}

impl fmt::Debug for ReceivedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedMessage")
            .field("stream_id", &self.stream_id)
            .field("ppid", &self.ppid)
            .field("unordered", &self.unordered)
            .field("len", &self.payload.len())
            .finish()
    }
}

/// The state of an established association's data transfer.
pub(super) struct Transfer {
    pub(super) send: SendQueue,
    /// I-DATA and I-FORWARD TSN replace DATA and FORWARD TSN (RFC 8260).
    pub(super) interleave: bool,
    inflight: InFlight,
    /// Next TSN to assign, unwrapped to 64 bits.
    pub(super) next_tsn: u64,
    /// The peer's cumulative TSN ack of our data, unwrapped.
    cum_ack: u64,
    /// The a_rwnd of the peer's latest SACK (or of its INIT): its
    /// receive window then, data it held included.
    peer_a_rwnd: usize,
    cc: Box<dyn CongestionController>,
    /// The latest SACK's gap blocks as sorted unwrapped TSN ranges: the
    /// outstanding chunks marked gap-acked are exactly those in them.
    sack_ranges: Vec<(u64, u64)>,
    /// The buffer of the ranges before last, reused.
    spare_ranges: Vec<(u64, u64)>,
    /// Where outgoing packets are written: up to [`TX_BUFFER_PACKETS`]
    /// packets share one allocation. Allocated with the first packet, and
    /// let go when all our data is acknowledged, and with the spare
    /// capacity of the queues when the association falls idle (see
    /// [`Transfer::release_idle_memory`]).
    tx_buffer: BytesMut,
    pub(super) rto: RtoEstimator,
    /// When the RTO last took a measurement from a SACK (RFC 9260 §6.3.1
    /// C4: at most one per round trip).
    rto_sampled_at: Option<Instant>,
    t3: Option<Instant>,
    /// Consecutive T3-rtx expiries without progress (RFC 9260 §8.1).
    t3_expiries: u32,
    /// Fast recovery's exit point, while in it (RFC 9260 §7.2.4).
    recovery_exit: Option<u64>,
    pub(super) tracker: ReceiveTracker,
    pub(super) reassembly: Reassembly,
    /// With I-DATA, received messages are put together here instead
    /// (RFC 8260); boxed, so an association without pays a pointer.
    pub(super) interleaved: Option<Box<InterleavedReassembly>>,
    ready: VecDeque<Message>,
    ready_held: Held,
    /// A SACK must go out with the next packet.
    sack_requested: bool,
    /// The last a_rwnd we advertised.
    advertised_rwnd: u32,
    pub(super) outbound_streams: u16,
    inbound_streams: u16,
    /// When the next HEARTBEAT is due, or an outstanding one times out.
    pub(super) heartbeat_at: Option<Instant>,
    /// When the outstanding HEARTBEAT was sent.
    pub(super) heartbeat_outstanding: Option<Instant>,
    /// Consecutive unanswered HEARTBEATs (RFC 9260 §8.3).
    pub(super) heartbeat_errors: u32,
    counters: TransferCounters,
    /// Stream reset (RFC 6525).
    pub(super) reconfig: super::reconfig::ReconfigState,
    /// Advanced.Peer.Ack.Point (RFC 3758 §3.5), unwrapped: the cumulative
    /// ack point moved over abandoned chunks.
    adv_peer_ack: u64,
    /// A FORWARD TSN must go with the next packet.
    forward_tsn_due: bool,
    /// Per-stream bytes queued or unacknowledged, and their low-water
    /// thresholds.
    pub(super) buffers: StreamBuffers,
    /// Delivery-rate samples, kept only for a controller that wants them.
    rates: Option<Box<RateSampler>>,
    /// Pacing, once the controller gave a pacing rate.
    pacer: Option<Box<Pacer>>,
    /// RACK-TLP's state, when it replaces the three-miss rule.
    rack: Option<Box<Rack>>,
}

/// Numbers the association exposes about its data transfer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransferStats {
    /// Bytes in flight (RFC 9260 §6.1).
    pub flight: usize,
    /// The congestion window.
    pub cwnd: usize,
    /// The peer's receive window as last computed.
    pub peer_rwnd: usize,
    /// Bytes queued by `send` and not yet sent once.
    pub buffered: usize,
    /// Smoothed RTT in microseconds, once measured (RFC 9260 §6.3.1).
    pub srtt_us: Option<u64>,
    /// RTT variation in microseconds, once measured.
    pub rttvar_us: Option<u64>,
    /// DATA chunks received more than once.
    pub duplicate_tsns_received: u64,
    /// The current retransmission timeout in microseconds (RFC 9260 §6.3.1).
    pub rto_us: u64,
    /// The slow-start threshold, if the controller has one.
    pub ssthresh: Option<usize>,
    /// Counters since the association was established.
    pub counters: TransferCounters,
}

/// Running totals of an association's data transfer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransferCounters {
    /// Messages accepted by `send`.
    pub messages_sent: u64,
    /// User bytes accepted by `send`.
    pub bytes_sent: u64,
    /// Whole messages received and queued for `read`.
    pub messages_received: u64,
    /// User bytes of those messages.
    pub bytes_received: u64,
    /// DATA chunks sent for the first time.
    pub data_chunks_sent: u64,
    /// DATA chunks sent again, for any reason.
    pub retransmissions: u64,
    /// Chunks marked for fast retransmission (RFC 9260 §7.2.4).
    pub fast_retransmits: u64,
    /// T3-rtx expiries (RFC 9260 §6.3.3).
    pub t3_expiries: u64,
    /// SACKs received.
    pub sacks_received: u64,
    /// RTT measurements the RTO took from acknowledged DATA: at most one
    /// per round trip (RFC 9260 §6.3.1 C4), however many SACKs arrive.
    pub rtt_measurements: u64,
    /// SACKs sent.
    pub sacks_sent: u64,
    /// Messages given up under their partial-reliability policy
    /// (RFC 3758).
    pub messages_abandoned: u64,
    /// FORWARD TSN chunks sent (RFC 3758 §3.5).
    pub forward_tsns_sent: u64,
    /// Tail-loss probes sent (RFC 8985 §7).
    pub tail_loss_probes: u64,
}

/// What each held chunk of user data is taken to cost, in bytes, when the
/// receive buffer counts chunks as well as bytes: a held chunk keeps a
/// list slot and its share of runs and map entries besides its bytes, a
/// few hundred bytes for a tiny one, which the byte count does not see.
/// At most `max_receive_buffer / HELD_CHUNK_COST` chunks are held, so a
/// peer sending 1-byte chunks cannot make bookkeeping outgrow the buffer.
/// usrsctp charges 256 bytes per chunk against its window likewise.
const HELD_CHUNK_COST: usize = 256;

/// The fewest chunks a receive buffer holds, however small.
const MIN_HELD_CHUNKS: usize = 64;

/// How many chunks of user data a receive buffer of `limit` bytes holds.
fn chunk_limit(limit: usize) -> usize {
    (limit / HELD_CHUNK_COST).max(MIN_HELD_CHUNKS)
}

/// Most packets written into one allocation (see [`Transfer::tx_buffer`]).
const TX_BUFFER_PACKETS: usize = 16;

/// Sorts inclusive ranges and merges those that overlap or touch, so
/// that [`for_each_difference`] can walk two lists side by side.
fn merge_ranges(ranges: &mut Vec<(u64, u64)>) {
    ranges.sort_unstable();
    let mut merged = 0usize;
    for i in 0..ranges.len() {
        let (lo, hi) = ranges[i];
        match merged.checked_sub(1).map(|m| &mut ranges[m]) {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => {
                ranges[merged] = (lo, hi);
                merged += 1;
            }
        }
    }
    ranges.truncate(merged);
}

/// Calls `f(lo, hi)` for each inclusive range of the keys in `a` and not
/// in `b`, in order; both are sorted, disjoint inclusive ranges (as
/// [`merge_ranges`] leaves them). Linear in the number of ranges.
#[inline]
fn for_each_difference(a: &[(u64, u64)], b: &[(u64, u64)], mut f: impl FnMut(u64, u64)) {
    let mut first = 0;
    for &(lo, hi) in a {
        if lo > hi {
            continue;
        }
        // Ranges of `b` wholly below this one are below every later one.
        while b.get(first).is_some_and(|&(_, end)| end < lo) {
            first += 1;
        }
        // The keys from `start` on are not decided yet.
        let mut start = lo;
        let mut rest_cut = false;
        for &(cut_lo, cut_hi) in &b[first..] {
            if cut_lo > hi {
                break;
            }
            if cut_lo > start {
                f(start, cut_lo - 1);
            }
            if cut_hi >= hi {
                rest_cut = true;
                break;
            }
            start = start.max(cut_hi + 1);
        }
        if !rest_cut {
            f(start, hi);
        }
    }
}

impl Transfer {
    pub(super) fn new(
        assoc: &Association,
        peer_rwnd: u32,
        peer_initial_tsn: u32,
        streams: (u16, u16),
    ) -> Self {
        let config = &assoc.config;
        // RFC 8260 §2.2.1: I-DATA only when both sides listed it.
        let interleave = config.interleaving && assoc.peer.is_some_and(|p| p.idata);
        let next_tsn = (1u64 << 32) + u64::from(assoc.my_initial_tsn);
        let mut t = Transfer {
            send: SendQueue::new(streams.0, config.scheduler, interleave),
            interleave,
            inflight: InFlight::new(next_tsn),
            next_tsn,
            cum_ack: next_tsn - 1,
            peer_a_rwnd: peer_rwnd as usize,
            cc: config.congestion.build(&PathParams {
                mtu: config.mtu,
                peer_rwnd: peer_rwnd as usize,
            }),
            sack_ranges: Vec::new(),
            spare_ranges: Vec::new(),
            tx_buffer: BytesMut::new(),
            rto: RtoEstimator::new(config.rto_initial, config.rto_min, config.rto_max),
            rto_sampled_at: None,
            t3: None,
            t3_expiries: 0,
            recovery_exit: None,
            tracker: ReceiveTracker::new(Tsn(peer_initial_tsn), config.delayed_ack),
            reassembly: Reassembly::new(config.max_receive_buffer as usize),
            interleaved: interleave.then(|| {
                Box::new(InterleavedReassembly::new(
                    config.max_receive_buffer as usize,
                ))
            }),
            ready: VecDeque::new(),
            ready_held: Held::default(),
            sack_requested: false,
            advertised_rwnd: config.max_receive_buffer,
            outbound_streams: streams.0,
            inbound_streams: streams.1,
            heartbeat_at: None,
            heartbeat_outstanding: None,
            heartbeat_errors: 0,
            counters: TransferCounters::default(),
            reconfig: super::reconfig::ReconfigState::new(assoc.my_initial_tsn, peer_initial_tsn),
            adv_peer_ack: next_tsn - 1,
            forward_tsn_due: false,
            buffers: StreamBuffers::default(),
            rates: None,
            pacer: None,
            rack: (config.loss_detection == LossDetection::RackTlp)
                .then(|| Box::new(Rack::new(config.delayed_ack))),
        };
        if t.cc.wants_rate_samples() {
            t.rates = Some(Box::new(RateSampler::new(next_tsn)));
        }
        t
    }

    /// The peer's cumulative TSN ack of our data, unwrapped like
    /// [`next_tsn`](Self::next_tsn).
    pub(super) fn cum_ack(&self) -> u64 {
        self.cum_ack
    }

    fn unwrap_tsn(&self, tsn: Tsn) -> Option<u64> {
        let d = i64::from(Tsn(self.cum_ack as u32).distance_to(tsn));
        self.cum_ack.checked_add_signed(d)
    }

    /// RFC 3758 §3.5 A3: gives up the message of the chunk at `key`: every
    /// chunk of it leaves the flight for good, and what is left of it in
    /// the send queue goes too.
    fn abandon(&mut self, key: u64) {
        let Some((id, stream)) = self
            .inflight
            .get(key)
            .map(|s| (s.message.id, s.chunk.stream_id))
        else {
            return;
        };
        for k in self.inflight.message_span(key, self.interleave) {
            if self.inflight.get(k).is_none_or(|s| s.message.id != id) {
                continue;
            }
            let released = self.inflight.update(k, |s| {
                let released = (!s.abandoned).then(|| s.len());
                s.abandoned = true;
                s.to_retransmit = false;
                released
            });
            if let Some(Some(len)) = released {
                self.buffers.release(stream, len);
            }
        }
        if let Some(unsent) = self.send.drop_partial(stream, id) {
            self.buffers.release(stream, unsent);
        }
        self.counters.messages_abandoned += 1;
        self.advance_peer_ack_point();
    }

    /// RFC 9260 §7.2.4: enter fast recovery up to the highest TSN
    /// outstanding, with one window reduction for the whole recovery.
    fn enter_recovery(&mut self, now: Instant) {
        if self.recovery_exit.is_none() {
            self.recovery_exit = Some(self.next_tsn - 1);
            self.cc
                .on_congestion(now, CongestionEvent::FastRetransmit, self.inflight.flight);
            debug!(cwnd = self.cc.cwnd(), "fast retransmit");
        }
    }

    /// RFC 8985 §6.2 step 5 (RACK_detect_loss): every outstanding chunk
    /// sent before the latest acknowledged one, and for longer than
    /// RACK.rtt plus the reordering window, is marked for retransmission;
    /// the reordering timer is set for the first of the others. Returns
    /// the bytes marked.
    fn rack_detect_loss(&mut self, now: Instant) -> usize {
        let srtt = self.rto.srtt();
        let Some(rack) = self.rack.as_mut() else {
            return 0;
        };
        let Some(latest) = rack.latest_key() else {
            return 0;
        };
        let reo_wnd = rack.reo_wnd(srtt);
        let mut lost = 0;
        let mut timer: Option<Instant> = None;
        for key in self.inflight.keys(self.cum_ack + 1..latest) {
            let Some(s) = self.inflight.get(key) else {
                continue;
            };
            if s.gap_acked || s.abandoned || s.to_retransmit {
                continue;
            }
            let Some(deadline) = rack.loss_deadline(s.sent_at, key, reo_wnd) else {
                continue;
            };
            if deadline <= now {
                let len = self.inflight.update(key, |s| {
                    s.to_retransmit = true;
                    s.fast = false;
                    s.len()
                });
                lost += len.unwrap_or(0);
                self.counters.fast_retransmits += 1;
            } else {
                timer = Some(timer.map_or(deadline, |t| t.min(deadline)));
            }
        }
        rack.set_reorder_timer(timer);
        if lost > 0 {
            if let Some(rates) = self.rates.as_mut() {
                rates.on_loss(lost);
            }
        }
        lost
    }

    /// RFC 8985 §7.2: (re)arms the tail-loss probe while data is
    /// outstanding.
    fn arm_probe(&mut self, now: Instant) {
        let srtt = self.rto.srtt();
        let keys = self.inflight.keys(..);
        let single = keys.end - keys.start == 1;
        let t3 = self.t3;
        let empty = self.inflight.is_empty();
        let Some(rack) = self.rack.as_mut() else {
            return;
        };
        if empty {
            rack.disarm();
        } else {
            rack.arm_probe(now, srtt, single, t3);
        }
    }

    /// RFC 8985 §7.3: the probe timer fired: the last chunk outstanding
    /// goes again (as a fast retransmission, whatever cwnd), so that its
    /// SACK lets RACK find what was lost before it.
    fn send_probe(&mut self) {
        let last = self.inflight.keys(..).rev().find(|&k| {
            self.inflight
                .get(k)
                .is_some_and(|s| !s.gap_acked && !s.abandoned)
        });
        let Some(key) = last else {
            return;
        };
        self.inflight.update(key, |s| {
            s.to_retransmit = true;
            s.fast = true;
        });
        self.counters.tail_loss_probes += 1;
        trace!(key, "tail-loss probe");
    }

    /// RFC 3758 §3.1: timed messages whose lifetime ended while they
    /// waited to be sent are given up unsent (nothing to forward: they
    /// took no TSN, and no SSN either).
    fn expire_queued(&mut self, now: Instant) {
        let (buffers, counters) = (&mut self.buffers, &mut self.counters);
        self.send.expire(now, |stream, len| {
            buffers.release(stream, len);
            counters.messages_abandoned += 1;
        });
    }

    /// RFC 3758 §3.5 C1, C2: the Advanced.Peer.Ack.Point moves up from the
    /// cumulative ack over abandoned chunks; if it passes it, the peer is
    /// told with a FORWARD TSN (C3).
    fn advance_peer_ack_point(&mut self) {
        self.adv_peer_ack = self.adv_peer_ack.max(self.cum_ack);
        while self
            .inflight
            .get(self.adv_peer_ack + 1)
            .is_some_and(|s| s.abandoned)
        {
            self.adv_peer_ack += 1;
        }
        if self.adv_peer_ack > self.cum_ack {
            self.forward_tsn_due = true;
        }
    }

    /// RFC 3758 §3.2, §3.5 C4: the FORWARD TSN to the Advanced.Peer.Ack.Point,
    /// with the largest abandoned SSN of each ordered stream it skips; with
    /// I-DATA, the I-FORWARD TSN with the largest abandoned MID of each
    /// stream, ordered and unordered apart (RFC 8260 §2.3.1).
    fn forward_tsn(&self) -> Chunk {
        let new_cum_tsn = Tsn(self.adv_peer_ack as u32);
        let skipped = self
            .inflight
            .keys(self.cum_ack + 1..=self.adv_peer_ack)
            .filter_map(|k| self.inflight.get(k));
        if self.interleave {
            let mut streams: Vec<IForwardTsnStream> = Vec::new();
            for s in skipped {
                let (stream_id, unordered) = (s.chunk.stream_id, s.chunk.unordered);
                let mid = Mid(s.message.mid);
                match streams
                    .iter_mut()
                    .find(|e| e.stream_id == stream_id && e.unordered == unordered)
                {
                    Some(e) if e.mid.is_before(mid) => e.mid = mid,
                    Some(_) => {}
                    None => streams.push(IForwardTsnStream {
                        stream_id,
                        unordered,
                        mid,
                    }),
                }
            }
            return Chunk::IForwardTsn(IForwardTsn {
                new_cum_tsn,
                streams: streams.into_iter().collect(),
            });
        }
        let mut streams: Vec<ForwardTsnStream> = Vec::new();
        for s in skipped.filter(|s| !s.chunk.unordered) {
            let (stream_id, ssn) = (s.chunk.stream_id, s.chunk.ssn);
            match streams.iter_mut().find(|e| e.stream_id == stream_id) {
                Some(e) if e.ssn.is_before(ssn) => e.ssn = ssn,
                Some(_) => {}
                None => streams.push(ForwardTsnStream { stream_id, ssn }),
            }
        }
        Chunk::ForwardTsn(ForwardTsn {
            new_cum_tsn,
            streams: streams.into_iter().collect(),
        })
    }

    /// Bytes sent and not acknowledged: in flight, or marked for
    /// retransmission (they left the flight but still occupy the peer's
    /// window).
    fn outstanding(&self) -> usize {
        self.inflight.flight + self.inflight.marked_bytes()
    }

    /// The peer's receive window now (RFC 9260 §6.2.1): its latest a_rwnd
    /// less what is outstanding. Rules B and C (subtract each DATA chunk
    /// sent; on a SACK, start again from its a_rwnd less what is still
    /// outstanding) come to exactly this, computed when needed.
    fn peer_rwnd(&self) -> usize {
        self.peer_a_rwnd.saturating_sub(self.outstanding())
    }

    /// Lets the packet buffer go once all our data is acknowledged and
    /// none waits, so an association that falls idle holds none.
    pub(super) fn release_idle_tx_buffer(&mut self) {
        if self.send.is_empty() && self.inflight.is_empty() {
            self.tx_buffer = BytesMut::new();
        }
    }

    /// On an idle path: the packet buffer and the spare capacity of every
    /// queue left empty are freed, so an association that carried data
    /// and fell idle costs what a fresh one does.
    pub(super) fn release_idle_memory(&mut self) {
        self.release_idle_tx_buffer();
        self.send.shrink();
        self.buffers.shrink();
        if let Some(rates) = self.rates.as_mut() {
            rates.shrink();
        }
        self.inflight.shrink();
        self.reassembly.shrink();
        if let Some(interleaved) = self.interleaved.as_mut() {
            interleaved.shrink();
        }
        self.tracker.shrink();
        if self.ready.is_empty() {
            self.ready = VecDeque::new();
        }
        self.sack_ranges = Vec::new();
        self.spare_ranges = Vec::new();
    }

    /// User data held: in reassembly, or whole and waiting to be read.
    fn held_bytes(&self) -> usize {
        self.reassembly.buffered_bytes()
            + self.interleaved.as_ref().map_or(0, |i| i.buffered_bytes())
            + self.ready_held.bytes
    }

    /// The chunks of what [`Transfer::held_bytes`] counts.
    fn held_chunks(&self) -> usize {
        self.reassembly.held_chunks()
            + self.interleaved.as_ref().map_or(0, |i| i.held_chunks())
            + self.ready_held.chunks
    }

    /// Our receive window: the buffer less what waits in reassembly or
    /// for the user (RFC 9260 §6.2). It also closes as the held chunks
    /// near their limit, as if each took [`HELD_CHUNK_COST`] bytes; with
    /// chunks of that size or more on average, the bytes decide alone.
    fn a_rwnd(&self, limit: u32) -> u32 {
        let limit = limit as usize;
        let by_bytes = limit.saturating_sub(self.held_bytes());
        let by_chunks = chunk_limit(limit).saturating_sub(self.held_chunks()) * HELD_CHUNK_COST;
        by_bytes.min(by_chunks) as u32
    }
}

impl Association {
    /// Queues a user message on `stream`, reliably; it is sent as the
    /// windows allow, cut into fragments if larger than a packet (RFC 9260
    /// §6.9). See [`send_with`](Self::send_with) for partial reliability.
    ///
    /// Nothing is sent until [`poll_transmit`](Self::poll_transmit), so
    /// several messages queued in a row share packets.
    pub fn send(
        &mut self,
        now: Instant,
        stream: u16,
        ppid: Ppid,
        unordered: bool,
        payload: Bytes,
    ) -> Result<(), SendError> {
        self.send_with(now, stream, ppid, unordered, Reliability::Reliable, payload)
    }

    /// Queues a user message with a partial-reliability policy (RFC 3758,
    /// pion's `SetReliabilityParams`): given up after `Rexmit(n)`
    /// retransmissions, or once `Timed(d)` has passed since `now`, sent or
    /// not, and then skipped at the peer by a FORWARD TSN. With a peer that
    /// did not announce PR-SCTP, and for the data-channel control
    /// messages (PPID 50, RFC 8832), the message is sent reliably.
    pub fn send_with(
        &mut self,
        now: Instant,
        stream: u16,
        ppid: Ppid,
        unordered: bool,
        reliability: Reliability,
        payload: Bytes,
    ) -> Result<(), SendError> {
        let pr_sctp = self.peer.is_some_and(|p| p.pr_sctp);
        let limit = self.config.send_buffer_size;
        // A message larger than the send buffer could never be queued:
        // that is a permanent refusal, not a full buffer.
        let max = self.config.max_message_size.min(limit);
        let Some(t) = self
            .transfer
            .as_mut()
            .filter(|_| matches!(self.phase, Phase::Established))
        else {
            return Err(SendError::NotEstablished);
        };
        if stream >= t.outbound_streams {
            return Err(SendError::InvalidStream {
                stream,
                outbound: t.outbound_streams,
            });
        }
        if t.reconfig.is_closing(stream) {
            return Err(SendError::StreamResetting { stream });
        }
        // RFC 8831 §6.6: SCTP cannot carry an empty message, so a data
        // channel sends one zero byte with an Empty PPID, which the peer
        // delivers as an empty message.
        let user_len = payload.len();
        let (ppid, payload) = match (payload.is_empty(), ppid) {
            (false, _) => (ppid, payload),
            (true, Ppid::STRING | Ppid::STRING_EMPTY) => (Ppid::STRING_EMPTY, EMPTY_MARKER),
            (true, Ppid::BINARY | Ppid::BINARY_EMPTY) => (Ppid::BINARY_EMPTY, EMPTY_MARKER),
            (true, _) => return Err(SendError::EmptyMessage),
        };
        let len = payload.len();
        if len > max {
            return Err(SendError::MessageTooLarge { len, max });
        }
        if t.send.buffered() + len > limit {
            return Err(SendError::BufferFull {
                buffered: t.send.buffered(),
                len,
                limit,
            });
        }
        t.counters.messages_sent += 1;
        t.counters.bytes_sent += user_len as u64;
        // RFC 8832 §6: abandoning a DCEP message would break the channel,
        // so it goes reliably and in order whatever the stream's policy.
        let dcep = ppid == Ppid::DCEP;
        let policy = match reliability {
            _ if !pr_sctp || dcep => Policy::Reliable,
            Reliability::Reliable => Policy::Reliable,
            Reliability::Rexmit(n) => Policy::Rexmit(n),
            Reliability::Timed(d) => Policy::Until(now + d),
        };
        t.buffers.add(StreamId(stream), len);
        t.send
            .push(StreamId(stream), ppid, unordered && !dcep, payload, policy);
        // Packets are built in `poll_transmit`, so messages sent one after
        // the other share packets (RFC 9260 §6.10 bundling) instead of
        // going out one per packet.
        Ok(())
    }

    /// The next whole message received, in delivery order.
    pub fn read(&mut self) -> Option<ReceivedMessage> {
        let limit = self.config.max_receive_buffer;
        let t = self.transfer.as_mut()?;
        let m = t.ready.pop_front()?;
        t.ready_held -= Held::of(&m.payload);
        // Reopening a window that had shrunk below half the buffer is
        // announced at once, so a sender stalled on a full window resumes
        // (RFC 9260 §6.2 asks for a SACK when the window opens).
        if t.advertised_rwnd < limit / 2 && t.a_rwnd(limit) >= limit / 2 {
            t.sack_requested = true;
        }
        Some(ReceivedMessage {
            stream_id: m.stream_id,
            ppid: m.ppid,
            unordered: m.unordered,
            payload: m.payload,
        })
    }

    /// The bytes of `stream`'s messages queued or sent and not yet
    /// acknowledged (pion's `BufferedAmount`). Acknowledged means
    /// cumulatively (RFC 9260 §6.2.1), when the chunk's memory is freed;
    /// an abandoned message (RFC 3758) leaves at once. An empty WebRTC
    /// message counts the one byte it is sent as. 0 before the handshake.
    pub fn buffered_amount(&self, stream: u16) -> usize {
        self.transfer
            .as_ref()
            .map_or(0, |t| t.buffers.amount(StreamId(stream)))
    }

    /// Sets the low-water threshold of `stream` (pion's
    /// `SetBufferedAmountLowThreshold`, 0 until set): when its
    /// [buffered amount](Self::buffered_amount) falls from above it to at
    /// or below it, an [`Event::BufferedAmountLow`] is raised, as a WebRTC
    /// data channel's `bufferedamountlow`.
    pub fn set_buffered_amount_low_threshold(
        &mut self,
        stream: u16,
        bytes: usize,
    ) -> Result<(), SendError> {
        self.outbound_stream(stream)?
            .buffers
            .set_threshold(StreamId(stream), bytes);
        Ok(())
    }

    /// Sets the weight of `stream` for [`Scheduler::WeightedFair`]
    /// (RFC 8260 §3.6): streams with data share the bytes sent in
    /// proportion to their weights (1 until set). The other schedulers
    /// ignore it.
    ///
    /// [`Scheduler::WeightedFair`]: crate::Scheduler::WeightedFair
    pub fn set_stream_weight(&mut self, stream: u16, weight: NonZeroU16) -> Result<(), SendError> {
        self.outbound_stream(stream)?
            .send
            .set_weight(StreamId(stream), weight);
        Ok(())
    }

    /// The transfer state, for a setting of outbound `stream`: refused
    /// before the handshake and past the negotiated streams.
    fn outbound_stream(&mut self, stream: u16) -> Result<&mut Transfer, SendError> {
        let Some(t) = self.transfer.as_mut() else {
            return Err(SendError::NotEstablished);
        };
        if stream >= t.outbound_streams {
            return Err(SendError::InvalidStream {
                stream,
                outbound: t.outbound_streams,
            });
        }
        Ok(t)
    }

    /// The weight of `stream` (see [`set_stream_weight`](Self::set_stream_weight)).
    pub fn stream_weight(&self, stream: u16) -> NonZeroU16 {
        self.transfer
            .as_ref()
            .map_or(NonZeroU16::MIN, |t| t.send.weight(StreamId(stream)))
    }

    /// Whether messages go as I-DATA, interleaved (RFC 8260): both sides
    /// listed it and [`Config::interleaving`](crate::Config::interleaving)
    /// is on.
    pub fn interleaving(&self) -> bool {
        self.transfer.as_ref().is_some_and(|t| t.interleave)
    }

    /// The low-water threshold of `stream`.
    pub fn buffered_amount_low_threshold(&self, stream: u16) -> usize {
        self.transfer
            .as_ref()
            .map_or(0, |t| t.buffers.threshold(StreamId(stream)))
    }

    /// Data-transfer figures: flight size, windows, RTT.
    pub fn transfer_stats(&self) -> Option<TransferStats> {
        let t = self.transfer.as_ref()?;
        Some(TransferStats {
            flight: t.inflight.flight,
            cwnd: t.cc.cwnd(),
            peer_rwnd: t.peer_rwnd(),
            buffered: t.send.buffered(),
            srtt_us: t.rto.srtt().map(|d| d.as_micros() as u64),
            rttvar_us: t.rto.rttvar().map(|d| d.as_micros() as u64),
            duplicate_tsns_received: t.tracker.stats().duplicates,
            rto_us: t.rto.rto().as_micros() as u64,
            ssthresh: t.cc.ssthresh(),
            counters: t.counters,
        })
    }

    /// Whether every message sent has been acknowledged.
    pub fn all_data_acknowledged(&self) -> bool {
        self.transfer
            .as_ref()
            .is_none_or(|t| t.send.is_empty() && t.inflight.is_empty())
    }

    pub(super) fn transfer_timeout(&self) -> Option<Instant> {
        if !self.phase.transferring() {
            return None;
        }
        let t = self.transfer.as_ref()?;
        [
            t.t3,
            t.tracker.sack_deadline(),
            t.reconfig.timeout(),
            t.send.next_expiry(),
            t.pacer.as_ref().and_then(|p| p.deadline()),
            t.rack.as_ref().and_then(|r| r.deadline()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Handles one DATA or I-DATA chunk; `false` stops processing the
    /// packet.
    pub(super) fn on_data(&mut self, chunk: Incoming, immediate: &mut bool) -> bool {
        let limit = self.config.max_receive_buffer as usize;
        let Some(t) = self.transfer.as_mut() else {
            self.stats.chunks_unhandled += 1;
            return true;
        };
        let (tsn, stream_id, len) = chunk.head();
        // RFC 8260 §2.2.1: I-DATA once both sides listed it, DATA otherwise;
        // the other kind is a protocol violation.
        let interleave = t.interleave;
        if interleave != matches!(chunk, Incoming::IData(_)) {
            self.protocol_violation(if interleave {
                "DATA on an association that uses I-DATA (RFC 8260 §2.2.1)"
            } else {
                "I-DATA on an association that does not use it (RFC 8260 §2.2.1)"
            });
            return false;
        }
        // RFC 9260 §6.2: a DATA chunk without user data is answered with
        // an ABORT carrying a No User Data cause (I-DATA alike).
        if len == 0 {
            let cause = ErrorCause::NoUserData { tsn };
            let abort = Chunk::Abort(Abort {
                tag_reflected: false,
                causes: vec![cause.clone()],
            });
            self.send_to_peer(&[abort]);
            self.close(CloseReason::ProtocolError(cause));
            return false;
        }
        // RFC 6525 §5.2.2: data past the reset point of a stream whose
        // reset waits for earlier TSNs already numbers its SSNs anew: it is
        // dropped unacknowledged, and taken when the peer sends it again
        // after the reset.
        if t.reconfig.holds_back(stream_id, tsn) {
            trace!(%tsn, "DATA past a deferred stream reset, dropped");
            return true;
        }
        // No room for its bytes (`need` the bytes to free), or as many
        // chunks held as the buffer allows (then one unit must go too).
        let need = |t: &Transfer| {
            let bytes = (t.held_bytes() + len).saturating_sub(limit);
            if t.held_chunks() >= chunk_limit(limit) {
                bytes.max(1)
            } else {
                bytes
            }
        };
        if need(t) > 0 {
            let fills_a_gap = t.tracker.fills_a_gap(tsn);
            // Reneging drops DATA by TSN; I-DATA's reassembly has no TSNs
            // to drop by.
            if fills_a_gap && !t.interleave {
                // RFC 9260 §6.2: with the buffer full, a chunk below the
                // largest TSN received is taken by dropping "the largest
                // TSN held for reordering"; otherwise data past a hole
                // could fill the buffer for good. The SACK that follows at
                // once shows only what is kept.
                for (first, last) in t.reassembly.renege(tsn, need(t)) {
                    t.tracker.renege(first, last);
                    self.stats.data_reneged +=
                        u64::from(first.distance_to(last).unsigned_abs()) + 1;
                }
                t.sack_requested = true;
            }
            // A sender keeping to our window always leaves room for the
            // bytes of a chunk it sends again, but it does not count
            // chunks: with I-DATA, a chunk filling a gap is taken past the
            // chunk limit (held TSNs stay within the tracker's window), or
            // messages waiting behind the gap would hold the count for good.
            let bytes_full = t.held_bytes() + len > limit;
            let chunks_full =
                t.held_chunks() >= chunk_limit(limit) && !(t.interleave && fills_a_gap);
            // No room: drop without acknowledging, the peer retransmits
            // later (RFC 9260 §6.2); a SACK at once tells the zero-window
            // prober the window is still closed (RFC 9260 §6.1 A).
            if bytes_full || chunks_full {
                trace!(%tsn, "receive buffer full, DATA dropped");
                self.stats.data_dropped_no_buffer += 1;
                t.sack_requested = true;
                return true;
            }
        }
        *immediate |= chunk.immediate_sack();
        match t.tracker.on_data(tsn) {
            DataVerdict::Duplicate => return true,
            DataVerdict::OutOfWindow => {
                self.stats.dropped_unexpected += 1;
                return true;
            }
            DataVerdict::New => {}
        }
        // RFC 9260 §6.5: DATA on a stream that does not exist is
        // acknowledged, reported with an Invalid Stream Identifier error,
        // and discarded.
        if stream_id.0 >= t.inbound_streams {
            let error = Chunk::Error(OperationError {
                causes: vec![ErrorCause::InvalidStreamIdentifier { stream_id }],
            });
            self.send_to_peer(&[error]);
            return true;
        }
        // The buffer check above leaves only refusals that acknowledge the
        // TSN: a chunk inconsistent with what was delivered is dropped.
        let inserted = match (chunk, t.interleaved.as_mut()) {
            (Incoming::Data(chunk), _) => t.reassembly.insert(chunk),
            (Incoming::IData(chunk), Some(interleaved)) => interleaved.insert(chunk),
            // `interleave` holds, so the I-DATA reassembly exists.
            (Incoming::IData(_), None) => return true,
        };
        if let Err(e) = inserted {
            trace!(%e, "DATA refused by reassembly");
            if e.acknowledge_tsn() {
                self.stats.data_refused += 1;
            } else {
                self.stats.data_dropped_no_buffer += 1;
            }
        }
        self.deliver_ready();
        true
    }

    /// Moves completed messages to the read queue, with a Readable event
    /// when the queue stops being empty.
    pub(super) fn deliver_ready(&mut self) {
        let Some(t) = self.transfer.as_mut() else {
            return;
        };
        let was_empty = t.ready.is_empty();
        while let Some(mut m) = t.reassembly.pop_message().or_else(|| {
            t.interleaved
                .as_mut()
                .and_then(|interleaved| interleaved.pop_message())
        }) {
            // RFC 8831 §6.6: the byte of an Empty PPID message is ignored;
            // it is delivered as the empty message it stands for.
            if matches!(m.ppid, Ppid::STRING_EMPTY | Ppid::BINARY_EMPTY) {
                m.payload = Payload::default();
            }
            t.counters.messages_received += 1;
            t.counters.bytes_received += m.payload.len() as u64;
            t.ready_held += Held::of(&m.payload);
            t.ready.push_back(m);
        }
        if was_empty && !t.ready.is_empty() {
            self.events.push_back(Event::Readable);
        }
    }

    /// RFC 3758 §3.6: the peer abandoned messages up to a new cumulative
    /// TSN; skip them, release their fragments, deliver what became in
    /// order, and acknowledge.
    pub(super) fn on_forward_tsn(&mut self, forward: ForwardTsn) -> bool {
        let Some(t) = self.transfer.as_mut() else {
            return true;
        };
        // RFC 8260 §2.3.1: with I-DATA, only I-FORWARD TSN.
        if t.interleave {
            self.protocol_violation("FORWARD TSN on an association that uses I-DATA");
            return false;
        }
        t.tracker.forward_cum_tsn(forward.new_cum_tsn);
        for entry in forward.streams.iter() {
            t.reassembly.skip_ordered(entry.stream_id, entry.ssn);
        }
        t.reassembly.drop_fragments_up_to(t.tracker.cum_tsn());
        t.sack_requested = true;
        self.deliver_ready();
        // RFC 6525 §5.2.2 with RFC 3758 §3.6: TSNs skipped count as
        // received, so a stream reset waiting for them can be performed.
        self.reconfig_after_data();
        true
    }

    /// RFC 8260 §2.3.1: the I-FORWARD TSN of I-DATA: the peer abandoned
    /// messages up to a new cumulative TSN; each entry names the largest
    /// MID given up on a stream, ordered or unordered. Skip them, release
    /// their fragments, deliver what became in order, and acknowledge.
    pub(super) fn on_iforward_tsn(&mut self, forward: IForwardTsn) -> bool {
        let Some(t) = self.transfer.as_mut() else {
            return true;
        };
        let Some(interleaved) = t.interleaved.as_mut() else {
            self.protocol_violation("I-FORWARD TSN on an association that does not use I-DATA");
            return false;
        };
        t.tracker.forward_cum_tsn(forward.new_cum_tsn);
        for entry in forward.streams.iter() {
            interleaved.skip(entry.stream_id, entry.unordered, entry.mid);
        }
        t.sack_requested = true;
        self.deliver_ready();
        // As for FORWARD TSN: a deferred stream reset may now be due.
        self.reconfig_after_data();
        true
    }

    /// The cumulative TSN of the peer's data we received.
    pub(super) fn received_cum_tsn(&self) -> Option<Tsn> {
        self.transfer.as_ref().map(|t| t.tracker.cum_tsn())
    }

    /// The current RTO, for T2-shutdown.
    pub(super) fn current_rto(&self) -> std::time::Duration {
        self.transfer
            .as_ref()
            .map_or(self.config.rto_initial, |t| t.rto.rto())
    }

    /// RFC 9260 §9.2: the Cumulative TSN Ack of a SHUTDOWN acknowledges
    /// our data as a SACK without gap blocks would.
    pub(super) fn on_shutdown_cum_ack(&mut self, now: Instant, cum_tsn_ack: Tsn) {
        let Some(t) = self.transfer.as_ref() else {
            return;
        };
        let a_rwnd = t.peer_a_rwnd.min(u32::MAX as usize) as u32;
        self.on_sack(
            now,
            Sack {
                cum_tsn_ack,
                a_rwnd,
                gap_blocks: Default::default(),
                duplicate_tsns: Default::default(),
            },
        );
    }

    /// After a packet's chunks: lets the tracker decide when to SACK.
    pub(super) fn data_packet_done(&mut self, now: Instant, immediate: bool) {
        if let Some(t) = self.transfer.as_mut() {
            t.tracker.on_packet_processed(now, immediate);
        }
        self.reconfig_after_data();
    }

    /// RFC 9260 §6.2.1: processing a received SACK.
    pub(super) fn on_sack(&mut self, now: Instant, sack: Sack) {
        let Some(t) = self.transfer.as_mut() else {
            return;
        };
        t.counters.sacks_received += 1;
        let Some(cum) = t.unwrap_tsn(sack.cum_tsn_ack) else {
            return;
        };
        // §6.2.1 D i): a SACK older than the cumulative ack point is stale.
        if cum < t.cum_ack {
            return;
        }
        // A SACK for data never sent is a protocol violation; ignore it.
        if cum >= t.next_tsn {
            self.stats.dropped_unexpected += 1;
            return;
        }
        let in_flight_before = t.inflight.flight;
        let cum_advanced = cum > t.cum_ack;
        let mut rtt_sent_at = None;
        let mut cum_bytes = 0;
        if t.rates.is_some() || t.rack.is_some() {
            // Chunks acknowledged for the first time by the cumulative ack
            // feed the delivery-rate sample and RACK (gap-acked ones
            // already did).
            for key in t.inflight.keys(..=cum) {
                let Some(s) = t.inflight.get(key).filter(|s| !s.gap_acked && !s.abandoned) else {
                    continue;
                };
                if let Some(rates) = t.rates.as_mut() {
                    rates.on_acked(key, now);
                }
                if let Some(rack) = t.rack.as_mut() {
                    rack.on_acked(now, s.sent_at, key, s.retransmitted);
                }
            }
            if let Some(rates) = t.rates.as_mut() {
                rates.forget_through(cum);
            }
        }
        let buffers = &mut t.buffers;
        // Consecutive chunks mostly share a stream: their bytes leave the
        // stream's buffer in one go.
        let mut released: Option<(StreamId, usize)> = None;
        t.inflight.remove_through(cum, |s| {
            if !s.abandoned {
                match &mut released {
                    Some((stream, n)) if *stream == s.chunk.stream_id => *n += s.len(),
                    _ => {
                        if let Some((stream, n)) = released.take() {
                            buffers.release(stream, n);
                        }
                        released = Some((s.chunk.stream_id, s.len()));
                    }
                }
            }
            if !s.gap_acked && !s.abandoned {
                cum_bytes += s.len();
                // RFC 9260 §6.3.1 C5 (Karn): only chunks sent once give RTT.
                if !s.retransmitted {
                    rtt_sent_at = Some(s.sent_at);
                }
            }
        });
        if let Some((stream, n)) = released {
            t.buffers.release(stream, n);
        }
        t.cum_ack = cum;
        // RFC 3758 §3.5 C1 to C3: while abandoned chunks lie past the
        // cumulative ack, the peer is sent a FORWARD TSN (again).
        t.advance_peer_ack_point();
        // Gap ack blocks: offsets from the cumulative TSN ack (§3.3.4), as
        // sorted ranges of unwrapped TSNs, cut to what was sent.
        let mut ranges = std::mem::take(&mut t.spare_ranges);
        ranges.clear();
        let sent_end = t.inflight.end();
        for block in sack.gap_blocks.iter() {
            if block.start == 0 || block.end < block.start {
                continue;
            }
            let (lo, hi) = (cum + u64::from(block.start), cum + u64::from(block.end));
            if lo < sent_end {
                ranges.push((lo, hi.min(sent_end - 1)));
            }
        }
        merge_ranges(&mut ranges);
        // After every SACK, the outstanding chunks marked gap-acked are
        // exactly those in its ranges: only what this SACK's ranges add to
        // the previous one's is new, and only what they drop is reneged.
        // Each SACK costs its blocks and the chunks whose state changes,
        // not the whole block again.
        let previous = std::mem::take(&mut t.sack_ranges);
        let mut gap_bytes = 0;
        let mut highest_newly_acked = None;
        // No gaps now or before, the usual case: nothing to walk.
        if !(ranges.is_empty() && previous.is_empty()) {
            for_each_difference(&ranges, &previous, |lo, hi| {
                for key in t.inflight.keys(lo..=hi) {
                    let newly = t.inflight.update(key, |s| {
                        let newly = !s.gap_acked;
                        s.gap_acked = true;
                        s.to_retransmit = false;
                        (newly, s.len(), s.retransmitted, s.sent_at)
                    });
                    if let Some((true, len, retransmitted, sent_at)) = newly {
                        gap_bytes += len;
                        highest_newly_acked = Some(key);
                        if let Some(rates) = t.rates.as_mut() {
                            rates.on_acked(key, now);
                        }
                        if let Some(rack) = t.rack.as_mut() {
                            rack.on_acked(now, sent_at, key, retransmitted);
                        }
                        if !retransmitted {
                            rtt_sent_at = Some(sent_at);
                        }
                    }
                }
            });
            // RFC 9260 §6.2.1: a chunk gap-acked before but not now was
            // reneged: it counts as outstanding again.
            for_each_difference(&previous, &ranges, |lo, hi| {
                for key in t.inflight.keys(lo.max(cum + 1)..=hi) {
                    t.inflight.update(key, |s| s.gap_acked = false);
                }
            });
        }
        t.sack_ranges = ranges;
        t.spare_ranges = previous;
        // RFC 9260 §7.2.4: every chunk below the highest TSN newly
        // acknowledged and still missing gets a miss indication; the
        // third marks it for one fast retransmission.
        let mut fast_loss = false;
        if t.rack.is_some() {
            // RFC 8985 §6.2: time, not miss counts, declares losses; a
            // duplicate TSN report shows a retransmission was not needed.
            if !sack.duplicate_tsns.is_empty() {
                if let Some(rack) = t.rack.as_mut() {
                    rack.on_spurious();
                }
            }
            fast_loss = t.rack_detect_loss(now) > 0;
        } else if let Some(htna) = highest_newly_acked {
            // The chunks missing below the HTNA lie in the holes between
            // the cumulative ack and the ranges, the only ones walked.
            let holes = [(cum + 1, htna - 1)];
            let ranges = std::mem::take(&mut t.sack_ranges);
            for_each_difference(&holes, &ranges, |lo, hi| {
                for key in t.inflight.keys(lo..=hi) {
                    let missing = |s: &Sent| !(s.gap_acked || s.fast_done || s.abandoned);
                    if !t.inflight.get(key).is_some_and(missing) {
                        continue;
                    }
                    let marked = t.inflight.update(key, |s| {
                        s.misses += 1;
                        if s.misses >= 3 {
                            s.to_retransmit = true;
                            s.fast = true;
                            s.fast_done = true;
                            return Some(s.len());
                        }
                        None
                    });
                    if let Some(Some(len)) = marked {
                        fast_loss = true;
                        t.counters.fast_retransmits += 1;
                        if let Some(rates) = t.rates.as_mut() {
                            rates.on_loss(len);
                        }
                    }
                }
            });
            t.sack_ranges = ranges;
        }
        // The RTT of the latest chunk sent once among those newly
        // acknowledged (cumulatively, then by gap blocks), taken once.
        let rtt = rtt_sent_at.map(|sent_at| {
            let sample = now.saturating_duration_since(sent_at);
            // RFC 9260 §6.3.1 C4: the RTO takes at most one measurement
            // per round trip, from a chunk sent after the previous one was
            // taken. (The congestion controller and the rate samples see
            // every SACK's RTT.)
            if t.rto_sampled_at.is_none_or(|at| sent_at >= at) {
                t.rto.on_rtt_sample(sample);
                t.rto_sampled_at = Some(now);
                t.counters.rtt_measurements += 1;
            }
            sample
        });
        if let Some(sample) = rtt {
            if let Some(rates) = t.rates.as_mut() {
                rates.on_rtt(sample);
            }
        }
        // RFC 9260 §7.2.4: leave fast recovery once the exit point is acked.
        if t.recovery_exit.is_some_and(|exit| cum >= exit) {
            t.recovery_exit = None;
            t.cc.on_recovery_exit(now);
            if let Some(rack) = t.rack.as_mut() {
                rack.on_recovery_exit();
            }
        }
        t.cc.on_ack(&AckEvent {
            now,
            cum_acked_bytes: cum_bytes,
            gap_acked_bytes: gap_bytes,
            cum_tsn_advanced: cum_advanced,
            in_flight_before,
            in_flight_after: t.inflight.flight,
            rtt,
            rate: t.rates.as_mut().and_then(|rates| rates.take_sample()),
            app_limited: t.send.is_empty(),
        });
        if fast_loss {
            t.enter_recovery(now);
        }
        // RFC 9260 §6.2.1 C: the peer's rwnd is the a_rwnd less what is
        // still outstanding (see `Transfer::peer_rwnd`).
        t.peer_a_rwnd = sack.a_rwnd as usize;
        // RFC 9260 §6.3.2 R2, R3: stop T3 when all is acknowledged,
        // restart it when the earliest outstanding TSN is acknowledged.
        if t.inflight.is_empty() {
            t.t3 = None;
            t.release_idle_tx_buffer();
        } else if cum_advanced {
            t.t3 = Some(now + t.rto.rto());
        }
        if cum_advanced || highest_newly_acked.is_some() {
            if let Some(rack) = t.rack.as_mut() {
                rack.on_progress();
            }
            t.arm_probe(now);
        }
        // RFC 9260 §6.1 A: while the peer answers zero-window probes with
        // SACKs, the unacknowledged probes do not count as errors.
        if cum_advanced || sack.a_rwnd == 0 {
            t.t3_expiries = 0;
        }
        if cum_advanced {
            // The peer is alive and the path busy (RFC 9260 §8.3).
            t.heartbeat_errors = 0;
            self.defer_heartbeat(now);
        }
    }

    /// RFC 9260 §6.3.3: the T3-rtx timer expired.
    pub(super) fn transfer_handle_timeout(&mut self, now: Instant) {
        if !self.phase.transferring() {
            return;
        }
        let max_retrans = self.config.association_max_retrans;
        let Some(t) = self.transfer.as_mut() else {
            return;
        };
        t.expire_queued(now);
        if let Some((reorder, probe)) = t.rack.as_mut().map(|r| r.take_due(now)) {
            // RFC 8985 §6.3: the reordering timer looks for losses again.
            if reorder && t.rack_detect_loss(now) > 0 {
                t.enter_recovery(now);
            }
            if probe {
                t.send_probe();
            }
        }
        if t.t3.is_some_and(|d| now >= d) {
            t.t3_expiries += 1;
            t.counters.t3_expiries += 1;
            // RFC 9260 §8.1: too many consecutive expiries: the peer is
            // unreachable.
            if t.t3_expiries > max_retrans {
                debug!("Association.Max.Retrans exceeded");
                self.close(CloseReason::PeerUnreachable);
                return;
            }
            // E1: the congestion controller collapses cwnd; E2: RTO backs off;
            // E3: every outstanding chunk is retransmitted.
            t.cc.on_congestion(now, CongestionEvent::Timeout, t.inflight.flight);
            if let Some(rates) = t.rates.as_mut() {
                rates.on_loss(t.inflight.flight);
            }
            t.recovery_exit = None;
            t.rto.back_off();
            for key in t.inflight.keys(..) {
                t.inflight.update(key, |s| {
                    if !s.gap_acked && !s.abandoned {
                        s.to_retransmit = true;
                        s.fast = false;
                    }
                });
            }
            t.t3 = Some(now + t.rto.rto());
            // RFC 3758 §3.5 C5: a FORWARD TSN lost with the rest goes again.
            if t.adv_peer_ack > t.cum_ack {
                t.forward_tsn_due = true;
            }
            debug!(rto = ?t.rto.rto(), "T3-rtx expired");
        }
        // The delayed SACK timer firing means the peer's data paused.
        let sack_timer = t.tracker.sack_deadline().is_some_and(|d| now >= d);
        self.flush(now);
        if let Some(t) = self.transfer.as_mut().filter(|_| sack_timer) {
            t.release_idle_memory();
        }
    }

    /// Builds packets: a SACK when one is due, then retransmissions, then
    /// new data, within the windows (RFC 9260 §6.1) and Max.Burst.
    pub(super) fn flush(&mut self, now: Instant) {
        if self.flush_packets(now) {
            // The path is not idle: no HEARTBEAT needed yet.
            self.defer_heartbeat(now);
        }
        // A stream waiting to be reset may have sent its last message, or
        // seen it given up unsent (RFC 3758 §3.1), which sends nothing.
        self.send_reset_request(now);
    }

    /// Builds the packets; returns whether any carried DATA.
    fn flush_packets(&mut self, now: Instant) -> bool {
        if !self.phase.transferring() {
            return false;
        }
        // The receiver of a data packet flushes after each and mostly has
        // nothing to send: find that out before setting up a packet.
        if let Some(t) = self.transfer.as_mut() {
            let nothing = t.send.is_empty()
                && !t.inflight.has_marked()
                && !t.sack_requested
                && !t.forward_tsn_due
                && !t.tracker.sack_due(now);
            if nothing {
                if let Some(pacer) = t.pacer.as_mut() {
                    pacer.set_waiting(false);
                }
                return false;
            }
        }
        let limit = self.config.max_receive_buffer;
        let mtu = self.config.mtu;
        let checksum = self.checksum_mode();
        let header = CommonHeader::new(
            self.config.local_port,
            self.config.remote_port,
            self.peer.map_or(0, |p| p.tag),
        );
        let Some(t) = self.transfer.as_mut() else {
            return false;
        };
        t.expire_queued(now);
        let chunk_header = if t.interleave {
            IDATA_HEADER
        } else {
            DATA_HEADER
        };
        // The most user data one DATA chunk carries in an empty packet.
        let whole = mtu.saturating_sub(COMMON_HEADER_LEN + chunk_header) & !3;
        let burst_limit = t.cc.burst_limit();
        let mut fast_budget = t.cc.fast_retransmit_budget();
        let mut sent_new = 0usize;
        let mut sent_data = false;
        loop {
            // A delayed SACK also rides on any DATA this packet will carry
            // (RFC 9260 §6.2 allows bundling it; it saves a packet).
            let data_waiting =
                t.inflight.has_marked() || (!t.send.is_empty() && t.inflight.flight < t.cc.cwnd());
            // Pacing: data waits for its time on the wire; acknowledgements
            // do not.
            let pacing = t.cc.pacing_rate();
            let paced_out = pacing.is_some() && t.pacer.as_ref().is_some_and(|p| !p.ready(now));
            if let Some(pacer) = t.pacer.as_mut() {
                pacer.set_waiting(paced_out && data_waiting);
            }
            let data_to_send = data_waiting && !paced_out;
            let sack_pending = t.tracker.sack_deadline().is_some() && data_to_send;
            let sack_wanted = t.sack_requested || sack_pending || t.tracker.sack_due(now);
            if !sack_wanted && !data_to_send && !t.forward_tsn_due {
                return sent_data;
            }
            if t.tx_buffer.capacity() < mtu {
                // A side that only acknowledges needs little: its SACKs are
                // a few dozen bytes.
                let packets = if data_to_send { TX_BUFFER_PACKETS } else { 2 };
                t.tx_buffer = BytesMut::with_capacity(packets * mtu);
            }
            let buffer = std::mem::take(&mut t.tx_buffer);
            let Ok(mut b) = PacketBuilder::with_buffer(header, mtu, buffer) else {
                return sent_data;
            };
            if sack_wanted {
                let a_rwnd = t.a_rwnd(limit);
                // RFC 9260 §6.2: as many gap ack blocks as fit in the
                // packet, leaving room for a FORWARD TSN that is due.
                let forward_tsn = if t.forward_tsn_due {
                    t.forward_tsn().padded_len()
                } else {
                    0
                };
                let room = b.remaining().saturating_sub(forward_tsn);
                let sack = t.tracker.make_sack(a_rwnd, room);
                if b.push(&sack).is_ok() {
                    t.advertised_rwnd = a_rwnd;
                    t.sack_requested = false;
                    t.counters.sacks_sent += 1;
                }
            }
            if t.forward_tsn_due {
                // RFC 3758 §3.5 C3, C5: the FORWARD TSN goes ahead of any
                // DATA, and a T3-rtx timer runs so that it is sent again
                // if lost.
                if b.push(&t.forward_tsn()).is_ok() {
                    t.forward_tsn_due = false;
                    t.counters.forward_tsns_sent += 1;
                    if t.t3.is_none() {
                        t.t3 = Some(now + t.rto.rto());
                    }
                }
            }
            let mut data_bytes = 0;
            let mut rtx_bytes = 0;
            // Retransmissions first (RFC 9260 §6.3.3 E3, §7.2.4): fast
            // ones within the fast-retransmit budget, the others within cwnd.
            let mut from = 0;
            while let Some(key) = t.inflight.next_marked(from).filter(|_| !paced_out) {
                from = key + 1;
                let Some(s) = t.inflight.get(key) else {
                    break;
                };
                // RFC 3758 §3.5 A1, A2: a message whose policy ran out is
                // given up instead of sent again.
                if s.expired(now) {
                    t.abandon(key);
                    continue;
                }
                let len = s.len();
                let allowed = if s.fast {
                    fast_budget >= len
                } else {
                    t.inflight.flight < t.cc.cwnd()
                };
                if !allowed || push_data(&mut b, s, t.interleave).is_err() {
                    break;
                }
                if s.fast {
                    fast_budget -= len;
                }
                let flight_before = t.inflight.flight;
                t.inflight.update(key, |s| {
                    s.to_retransmit = false;
                    s.retransmitted = true;
                    s.transmissions += 1;
                    s.misses = 0;
                    s.sent_at = now;
                });
                if let Some(rates) = t.rates.as_mut() {
                    rates.on_retransmit(key, now, len, flight_before);
                }
                data_bytes += len;
                rtx_bytes += len;
                t.counters.retransmissions += 1;
            }
            // New data (RFC 9260 §6.1): while less than cwnd is in flight,
            // the peer's window has room (or nothing is in flight: the
            // zero-window probe of rule A), and Max.Burst allows.
            loop {
                if paced_out || t.send.is_empty() || t.inflight.flight >= t.cc.cwnd() {
                    break;
                }
                if burst_limit.is_some_and(|l| sent_new >= l) {
                    break;
                }
                let room = b.remaining().saturating_sub(chunk_header) & !3;
                if room == 0 {
                    break;
                }
                let window = if t.outstanding() == 0 {
                    room.max(1)
                } else {
                    t.peer_rwnd()
                };
                if window == 0 {
                    break;
                }
                // A message that fits whole in a packet is not cut to fill
                // the end of this one when the next can carry it whole: a
                // fragment costs the receiver a copy, and the message a
                // second packet's delay and loss (RFC 9260 §6.9 fragments
                // only what does not fit).
                let uncut_up_to = if data_bytes > 0 && room < window {
                    whole
                } else {
                    0
                };
                let tsn = Tsn(t.next_tsn as u32);
                let Some(fragment) = t.send.take_fragment(tsn, room.min(window), uncut_up_to)
                else {
                    break;
                };
                let key = t.next_tsn;
                let len = fragment.chunk.payload.len();
                if let Some(rates) = t.rates.as_mut() {
                    rates.on_new(key, now, len, t.inflight.flight);
                }
                // Into the flight first, then encoded from there: the chunk
                // is not moved once more.
                t.inflight.push(key, Sent::new(fragment, now));
                t.counters.data_chunks_sent += 1;
                t.next_tsn += 1;
                sent_new += len;
                data_bytes += len;
                // The fragment was sized to fit, so this cannot fail; if it
                // did, the chunk would stay in flight for T3-rtx to send
                // (RFC 9260 §6.3.3) rather than be lost.
                let pushed = t
                    .inflight
                    .get(key)
                    .is_some_and(|s| push_data(&mut b, s, t.interleave).is_ok());
                if !pushed {
                    break;
                }
            }
            // draft-cheng-iccrg-delivery-rate-estimation §3.4: nothing left
            // to send though the window has room: the samples of what goes
            // now are application-limited.
            if t.send.is_empty() && !t.inflight.has_marked() && t.inflight.flight < t.cc.cwnd() {
                if let Some(rates) = t.rates.as_mut() {
                    rates.mark_app_limited(t.inflight.flight);
                }
            }
            if b.is_empty() {
                t.tx_buffer = b.into_buffer();
                return sent_data;
            }
            if data_bytes > 0 {
                t.cc.on_packet_sent(&SentPacket {
                    now,
                    bytes: data_bytes,
                    in_flight_after: t.inflight.flight,
                    retransmission: rtx_bytes == data_bytes,
                    app_limited: t.send.is_empty(),
                });
                // RFC 9260 §6.3.2 R1: T3 runs while data is outstanding.
                if t.t3.is_none() {
                    t.t3 = Some(now + t.rto.rto());
                }
                // RFC 8985 §7.2: sending data (re)arms the probe.
                if sent_new > 0 {
                    t.arm_probe(now);
                }
                sent_data = true;
            }
            let (datagram, rest) = b.finish_split(checksum);
            t.tx_buffer = rest;
            if let (Some(rate), true) = (pacing, data_bytes > 0) {
                t.pacer
                    .get_or_insert_with(Box::default)
                    .on_sent(now, datagram.len(), rate);
            }
            self.transmits.push_back(datagram);
            if data_bytes == 0 {
                return sent_data;
            }
        }
    }
}

/// Writes a chunk of the flight into the packet: as DATA, or as I-DATA
/// once interleaving was negotiated (RFC 8260 §2.2.1: then only I-DATA).
fn push_data(b: &mut PacketBuilder, sent: &Sent, interleave: bool) -> Result<(), BuildError> {
    if interleave {
        b.push(&sent.as_idata())
    } else {
        b.push(&sent.chunk)
    }
}

/// Copies received user data out of the datagram it arrived in when it is
/// less than half of it. A held payload is a slice that keeps the whole
/// datagram in memory while only the payload counts against the receive
/// buffer: without the copy, a peer sending tiny fragments in padded
/// datagrams could make the buffer hold far more than its limit. With it,
/// held data keeps at most twice its size alive.
#[inline]
pub(super) fn unpin(payload: &mut Bytes, datagram_len: usize) {
    if payload.len() * 2 < datagram_len {
        copy_out(payload);
    }
}

#[cold]
fn copy_out(payload: &mut Bytes) {
    *payload = Bytes::copy_from_slice(payload);
}

/// A received chunk of user data: DATA, or I-DATA (RFC 8260).
pub(super) enum Incoming {
    Data(DataChunk),
    IData(IDataChunk),
}

impl Incoming {
    /// Its TSN, stream and user data length.
    fn head(&self) -> (Tsn, StreamId, usize) {
        match self {
            Incoming::Data(c) => (c.tsn, c.stream_id, c.payload.len()),
            Incoming::IData(c) => (c.tsn, c.stream_id, c.payload.len()),
        }
    }

    /// The I bit (RFC 7053): the sender asks for a SACK at once.
    fn immediate_sack(&self) -> bool {
        match self {
            Incoming::Data(c) => c.immediate_sack,
            Incoming::IData(c) => c.immediate_sack,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{for_each_difference, merge_ranges};
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn difference(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        for_each_difference(a, b, |lo, hi| out.push((lo, hi)));
        out
    }

    #[test]
    fn difference_cuts_ranges_at_every_kind_of_overlap() {
        let a = [(10, 20), (30, 40), (50, 50)];
        assert_eq!(difference(&a, &[]), a);
        assert_eq!(difference(&a, &[(0, 100)]), []);
        assert_eq!(
            difference(&a, &[(5, 12), (15, 16), (19, 31), (40, 45)]),
            [(13, 14), (17, 18), (32, 39), (50, 50)]
        );
        assert_eq!(difference(&[(5, 4)], &[]), [], "an empty range");
    }

    fn keys(ranges: &[(u64, u64)]) -> BTreeSet<u64> {
        ranges.iter().flat_map(|&(lo, hi)| lo..=hi).collect()
    }

    proptest! {
        #[test]
        fn difference_matches_the_set_difference(
            a in prop::collection::vec((0u64..200, 0u64..20), 0..8),
            b in prop::collection::vec((0u64..200, 0u64..20), 0..8),
        ) {
            let mut a: Vec<_> = a.into_iter().map(|(lo, len)| (lo, lo + len)).collect();
            let mut b: Vec<_> = b.into_iter().map(|(lo, len)| (lo, lo + len)).collect();
            merge_ranges(&mut a);
            merge_ranges(&mut b);
            let got = difference(&a, &b);
            prop_assert!(got.windows(2).all(|w| w[0].1 + 1 < w[1].0), "{got:?}");
            let expected: BTreeSet<u64> = keys(&a).difference(&keys(&b)).copied().collect();
            prop_assert_eq!(keys(&got), expected);
        }
    }
}

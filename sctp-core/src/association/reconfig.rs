//! Stream reset (RFC 6525): how WebRTC closes a data channel. Our side
//! resets outgoing streams with an Outgoing SSN Reset Request once their
//! queued messages have been sent and acknowledged; the peer's requests
//! reset our incoming streams once every TSN before them has arrived.
//! Other requests (SSN/TSN reset, adding streams, asking us to reset ours)
//! are denied.

use super::{Association, Event, Phase};
use sctp_wire::{Chunk, Param, Reconfig, ReconfigResult, StreamId, Tsn};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use tracing::debug;

/// Why [`Association::reset_streams`] refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResetError {
    /// The association is not established.
    #[error("the association is not established")]
    NotEstablished,
    /// The peer did not announce RE-CONFIG in its INIT or INIT ACK
    /// (RFC 6525 §5), so it cannot take a stream reset.
    #[error("the peer does not support stream reset (RFC 6525)")]
    NotSupported,
    /// A stream id is not below the negotiated outbound stream count.
    #[error("stream {stream} is not open: the association has {outbound} outbound streams")]
    InvalidStream {
        /// The stream asked for.
        stream: u16,
        /// Outbound streams negotiated.
        outbound: u16,
    },
}

/// Our Outgoing SSN Reset Request in flight.
#[derive(Debug)]
struct Request {
    seq: u32,
    streams: Vec<u16>,
    last_tsn: Tsn,
    /// When to send it again if unanswered, and the wait after that.
    retransmit_at: Instant,
    backoff: Duration,
}

/// A peer's request that waits for TSNs up to `last_tsn` (RFC 6525
/// §5.2.2, deferred reset processing).
#[derive(Debug)]
struct Deferred {
    seq: u32,
    last_tsn: Tsn,
    streams: Vec<StreamId>,
}

/// The stream-reset state of an established association. What only a
/// reset under way needs lives in a box allocated for it and freed after
/// it, so an association that never resets a stream, or is done with it,
/// carries a few words.
#[derive(Debug)]
pub(super) struct ReconfigState {
    /// Sequence number of our next request: RFC 6525 §5.1.1 starts it at
    /// our initial TSN.
    next_seq: u32,
    /// Sequence number of the peer's next request: its initial TSN at
    /// first (RFC 6525 §5.2.1).
    peer_next_seq: u32,
    /// The answer to the peer's latest request, for a retransmission.
    last_answer: Option<(u32, ReconfigResult)>,
    /// `None` when no reset is under way.
    work: Option<Box<Work>>,
}

/// The resets under way.
#[derive(Debug, Default)]
struct Work {
    /// Streams the user closed whose request is not yet sent, with the
    /// TSN the peer must have acknowledged first once their queues are
    /// empty (see [`Association::send_reset_request`]).
    pending: BTreeMap<u16, Option<u64>>,
    /// Streams closed and not yet reset: no new message is taken on them.
    closing: BTreeSet<u16>,
    request: Option<Request>,
    deferred: Option<Deferred>,
}

impl ReconfigState {
    pub(super) fn new(my_initial_tsn: u32, peer_initial_tsn: u32) -> Self {
        ReconfigState {
            next_seq: my_initial_tsn,
            peer_next_seq: peer_initial_tsn,
            last_answer: None,
            work: None,
        }
    }

    /// Whether `stream` was closed and is not reset yet.
    pub(super) fn is_closing(&self, stream: u16) -> bool {
        self.work
            .as_ref()
            .is_some_and(|w| w.closing.contains(&stream))
    }

    /// When our request is due to be sent again.
    pub(super) fn timeout(&self) -> Option<Instant> {
        self.request().map(|r| r.retransmit_at)
    }

    /// Whether a DATA chunk must wait: it belongs to a stream whose reset
    /// is deferred, past the reset point, so it already counts SSNs anew
    /// (RFC 6525 §5.2.2).
    pub(super) fn holds_back(&self, stream: StreamId, tsn: Tsn) -> bool {
        self.deferred().is_some_and(|d| {
            d.last_tsn.distance_to(tsn) > 0 && (d.streams.is_empty() || d.streams.contains(&stream))
        })
    }

    fn request(&self) -> Option<&Request> {
        self.work.as_ref()?.request.as_ref()
    }

    fn request_mut(&mut self) -> Option<&mut Request> {
        self.work.as_mut()?.request.as_mut()
    }

    fn deferred(&self) -> Option<&Deferred> {
        self.work.as_ref()?.deferred.as_ref()
    }

    /// The resets under way, allocated on first use.
    fn work(&mut self) -> &mut Work {
        self.work.get_or_insert_with(Box::default)
    }

    /// Frees the box once no reset is under way.
    fn tidy(&mut self) {
        if self.work.as_ref().is_some_and(|w| {
            w.pending.is_empty()
                && w.closing.is_empty()
                && w.request.is_none()
                && w.deferred.is_none()
        }) {
            self.work = None;
        }
    }
}

impl Association {
    /// Resets outgoing `streams` (RFC 6525 §5.1.2), the way WebRTC closes a
    /// data channel: messages already queued on them are sent (and
    /// acknowledged) first, then an Outgoing SSN Reset Request goes; new
    /// messages on them are refused meanwhile. When the peer has performed it,
    /// [`Event::OutgoingStreamsReset`] names them, and they start again
    /// from SSN 0; the peer's readers see the end of the stream after the
    /// last message sent before the reset.
    pub fn reset_streams(&mut self, now: Instant, streams: &[u16]) -> Result<(), ResetError> {
        if !matches!(self.phase, Phase::Established) {
            return Err(ResetError::NotEstablished);
        }
        if !self.peer.is_some_and(|p| p.reconfig) {
            return Err(ResetError::NotSupported);
        }
        let Some(t) = self.transfer.as_mut() else {
            return Err(ResetError::NotEstablished);
        };
        if let Some(&stream) = streams.iter().find(|&&s| s >= t.outbound_streams) {
            return Err(ResetError::InvalidStream {
                stream,
                outbound: t.outbound_streams,
            });
        }
        let work = t.reconfig.work();
        for &s in streams {
            if work.closing.insert(s) {
                work.pending.insert(s, None);
            }
        }
        t.reconfig.tidy();
        self.send_reset_request(now);
        Ok(())
    }

    /// Sends an Outgoing SSN Reset Request for the pending streams whose
    /// queued messages have all been sent and acknowledged, if no request
    /// is in flight (RFC 6525 §5.1.2, §6.1: one at a time).
    ///
    /// RFC 6525 lets the request go as soon as the messages have TSNs,
    /// the peer deferring the reset until they arrive (§5.2.2). We wait
    /// for the peer's cumulative TSN ack to cover them, as usrsctp does
    /// for its own requests, because usrsctp 0.9.5 as receiver completes a
    /// deferred reset only when an in-order DATA chunk moves its
    /// cumulative TSN to the reset point: when a retransmission fills the
    /// last gap (later chunks already in), the reset stays "in progress"
    /// for as long as no more DATA comes, and so does a data channel's
    /// close with Firefox. Once the peer has everything, it resets at once.
    #[inline]
    pub(super) fn send_reset_request(&mut self, now: Instant) {
        // Runs after every flush: the test is inlined at the call, the
        // rest is not.
        let due = self.transfer.as_ref().is_some_and(|t| {
            t.reconfig
                .work
                .as_ref()
                .is_some_and(|w| w.request.is_none() && !w.pending.is_empty())
        });
        if due {
            self.send_reset_request_due(now);
        }
    }

    fn send_reset_request_due(&mut self, now: Instant) {
        let rto = self.current_rto();
        let Some(t) = self.transfer.as_mut() else {
            return;
        };
        let (next_tsn, cum_ack) = (t.next_tsn, t.cum_ack());
        let work = t.reconfig.work();
        let mut ready = Vec::new();
        for (&s, acked_through) in &mut work.pending {
            if t.send.has_queued(StreamId(s)) {
                continue;
            }
            // Every message of the stream has a TSN by now, at most the
            // last one assigned.
            if cum_ack >= *acked_through.get_or_insert(next_tsn - 1) {
                ready.push(s);
            }
        }
        if ready.is_empty() {
            return;
        }
        for s in &ready {
            work.pending.remove(s);
        }
        let seq = t.reconfig.next_seq;
        t.reconfig.next_seq = seq.wrapping_add(1);
        // RFC 6525 §4.1: the last TSN given to data so far, which the peer
        // waits for before resetting.
        let last_tsn = Tsn(t.next_tsn.wrapping_sub(1) as u32);
        t.reconfig.work().request = Some(Request {
            seq,
            streams: ready,
            last_tsn,
            retransmit_at: now + rto,
            backoff: rto,
        });
        self.send_request();
    }

    /// (Re)sends the request in flight.
    fn send_request(&mut self) {
        let Some(t) = self.transfer.as_ref() else {
            return;
        };
        let Some(r) = t.reconfig.request() else {
            return;
        };
        let param = Param::OutgoingSsnResetRequest {
            request_seq: r.seq,
            // RFC 6525 §4.1: not answering a request of the peer's, so the
            // next one expected from it, less one.
            response_seq: t.reconfig.peer_next_seq.wrapping_sub(1),
            sender_last_tsn: r.last_tsn,
            streams: r.streams.iter().map(|&s| StreamId(s)).collect(),
        };
        debug!(seq = r.seq, streams = ?r.streams, "stream reset requested");
        self.send_to_peer(&[Chunk::Reconfig(Reconfig {
            params: vec![param],
        })]);
    }

    /// RFC 6525 §5.1.1: an unanswered request goes again after the RTO,
    /// backed off each time up to RTO.Max.
    pub(super) fn reconfig_handle_timeout(&mut self, now: Instant) {
        let max = self.config.rto_max;
        let Some(r) = self
            .transfer
            .as_mut()
            .and_then(|t| t.reconfig.request_mut())
        else {
            return;
        };
        if now < r.retransmit_at {
            return;
        }
        r.backoff = (r.backoff * 2).min(max);
        r.retransmit_at = now + r.backoff;
        self.send_request();
    }

    /// A RE-CONFIG chunk from the peer (RFC 6525 §5.2).
    pub(super) fn on_reconfig(&mut self, now: Instant, chunk: Reconfig) {
        for param in chunk.params {
            match param {
                Param::ReconfigResponse {
                    response_seq,
                    result,
                    ..
                } => self.on_reconfig_response(now, response_seq, result),
                Param::OutgoingSsnResetRequest {
                    request_seq,
                    sender_last_tsn,
                    streams,
                    ..
                } => {
                    let streams: Vec<StreamId> = streams.iter().collect();
                    self.on_outgoing_reset_request(request_seq, sender_last_tsn, streams);
                }
                // RFC 6525 §5.2.3 to §5.2.6: the other requests are
                // denied; a sequence number out of turn is reported.
                Param::IncomingSsnResetRequest { request_seq, .. }
                | Param::SsnTsnResetRequest { request_seq }
                | Param::AddOutgoingStreams { request_seq, .. }
                | Param::AddIncomingStreams { request_seq, .. } => {
                    let result = self.deny_request(request_seq);
                    self.send_reconfig_answer(request_seq, result);
                }
                _ => self.stats.chunks_malformed += 1,
            }
        }
    }

    /// RFC 6525 §5.2.1: a request with the expected sequence number is
    /// taken and denied; the previous one again gets the answer it had;
    /// anything else is a Bad Sequence Number.
    fn deny_request(&mut self, seq: u32) -> ReconfigResult {
        let Some(t) = self.transfer.as_mut() else {
            return ReconfigResult::DENIED;
        };
        if seq == t.reconfig.peer_next_seq {
            t.reconfig.peer_next_seq = seq.wrapping_add(1);
            t.reconfig.last_answer = Some((seq, ReconfigResult::DENIED));
            return ReconfigResult::DENIED;
        }
        match t.reconfig.last_answer {
            Some((last, result)) if last == seq => result,
            _ => ReconfigResult::ERROR_BAD_SEQUENCE_NUMBER,
        }
    }

    fn on_outgoing_reset_request(&mut self, seq: u32, last_tsn: Tsn, streams: Vec<StreamId>) {
        let Some(t) = self.transfer.as_mut() else {
            return;
        };
        let result = if seq == t.reconfig.peer_next_seq {
            t.reconfig.peer_next_seq = seq.wrapping_add(1);
            t.reconfig.work().deferred = Some(Deferred {
                seq,
                last_tsn,
                streams,
            });
            // Performed now if every TSN up to the reset point is here,
            // else deferred (RFC 6525 §5.2.2).
            let result = if self.perform_deferred_reset() {
                ReconfigResult::SUCCESS_PERFORMED
            } else {
                ReconfigResult::IN_PROGRESS
            };
            if let Some(t) = self.transfer.as_mut() {
                t.reconfig.last_answer = Some((seq, result));
            }
            result
        } else {
            match (t.reconfig.deferred(), t.reconfig.last_answer) {
                // The retransmission of a request still waiting for TSNs.
                (Some(d), _) if d.seq == seq => ReconfigResult::IN_PROGRESS,
                (_, Some((last, result))) if last == seq => result,
                _ => ReconfigResult::ERROR_BAD_SEQUENCE_NUMBER,
            }
        };
        self.send_reconfig_answer(seq, result);
    }

    /// Performs the peer's deferred reset once the cumulative TSN reached
    /// its reset point: the streams start again from SSN 0 and
    /// [`Event::IncomingStreamsReset`] follows the messages sent before
    /// the reset (RFC 6525 §5.2.2). Returns whether it was performed.
    pub(super) fn perform_deferred_reset(&mut self) -> bool {
        let Some(t) = self.transfer.as_mut() else {
            return false;
        };
        let Some(d) = t.reconfig.deferred() else {
            return false;
        };
        if t.tracker.cum_tsn().distance_to(d.last_tsn) > 0 {
            return false;
        }
        let Some(d) = t.reconfig.work().deferred.take() else {
            return false;
        };
        t.reconfig.tidy();
        t.reassembly.reset_incoming(&d.streams);
        if let Some(interleaved) = t.interleaved.as_mut() {
            interleaved.reset_incoming(&d.streams);
        }
        self.deliver_ready();
        let streams = d.streams.iter().map(|s| s.0).collect();
        debug!(?streams, "incoming streams reset");
        self.events.push_back(Event::IncomingStreamsReset(streams));
        true
    }

    /// After a packet's DATA: a deferred reset whose TSNs have all come is
    /// performed, and the peer told at once instead of at its next
    /// retransmission (RFC 6525 §5.2.2).
    pub(super) fn reconfig_after_data(&mut self) {
        let waiting = self
            .transfer
            .as_ref()
            .and_then(|t| t.reconfig.deferred())
            .map(|d| d.seq);
        if let Some(seq) = waiting {
            if self.perform_deferred_reset() {
                if let Some(t) = self.transfer.as_mut() {
                    t.reconfig.last_answer = Some((seq, ReconfigResult::SUCCESS_PERFORMED));
                }
                self.send_reconfig_answer(seq, ReconfigResult::SUCCESS_PERFORMED);
            }
        }
    }

    fn send_reconfig_answer(&mut self, seq: u32, result: ReconfigResult) {
        self.send_to_peer(&[Chunk::Reconfig(Reconfig {
            params: vec![Param::ReconfigResponse {
                response_seq: seq,
                result,
                next_tsns: None,
            }],
        })]);
    }

    /// RFC 6525 §5.2.7: the peer's answer to our request.
    fn on_reconfig_response(&mut self, now: Instant, seq: u32, result: ReconfigResult) {
        let rto = self.current_rto();
        let Some(t) = self.transfer.as_mut() else {
            return;
        };
        let Some(r) = t.reconfig.request_mut().filter(|r| r.seq == seq) else {
            self.stats.dropped_unexpected += 1;
            return;
        };
        if result == ReconfigResult::IN_PROGRESS {
            // The peer waits for our data: ask again after an RTO.
            r.retransmit_at = now + rto;
            return;
        }
        let work = t.reconfig.work();
        let Some(r) = work.request.take() else {
            return;
        };
        for s in &r.streams {
            work.closing.remove(s);
        }
        t.reconfig.tidy();
        if result.is_success() {
            for &s in &r.streams {
                t.send.reset_sequence(StreamId(s));
            }
            debug!(streams = ?r.streams, "outgoing streams reset");
            self.events
                .push_back(Event::OutgoingStreamsReset(r.streams));
        } else {
            debug!(streams = ?r.streams, %result, "stream reset refused");
            self.events.push_back(Event::OutgoingStreamsResetFailed {
                streams: r.streams,
                result,
            });
        }
        self.send_reset_request(now);
    }
}

//! User messages waiting to be sent, one queue per stream, and the stream
//! scheduler that picks which stream's data goes next (RFC 8260 §3).
//!
//! Messages are cut into fragments as packets have room (RFC 9260 §6.9):
//! each fragment is a slice of the user's buffer. With DATA chunks, the
//! fragments of a message take consecutive TSNs, so once a message has
//! begun it is finished before any other is picked; with I-DATA (RFC 8260
//! interleaving) the scheduler picks again for every fragment, so a large
//! message on one stream no longer holds back the others.
//!
//! The schedulers:
//! - [`Scheduler::Fcfs`]: messages leave in the order they were queued,
//!   whatever their stream (RFC 8260 §3.1);
//! - [`Scheduler::RoundRobin`]: streams with data take turns, one message
//!   a turn, or one fragment a turn when interleaving (§3.2);
//! - [`Scheduler::WeightedFair`]: each stream with data gets a share of
//!   the bytes sent proportional to its weight (§3.6), by virtual finish
//!   times (self-clocked fair queueing).
//!
//! Costs: O(1) per fragment for FCFS and round robin, O(log s) for weighted
//! fair queueing with s streams holding data; entries left behind by
//! messages given up (RFC 3758) are skipped lazily, each once. Only
//! streams with queued messages have a queue (and the last stream to
//! empty, when it was the only one, keeps its allocation); an idle
//! association holds no allocation besides the sequence numbers of the
//! streams it used.

use crate::send::{MessageRef, Policy};
use crate::stream_hash::StreamIdHasher;
use bytes::{Buf, Bytes};
use sctp_wire::{DataChunk, Ppid, Ssn, StreamId, Tsn};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::BuildHasherDefault;
use std::num::NonZeroU16;
use std::time::Instant;

type StreamMap<V> = HashMap<StreamId, V, BuildHasherDefault<StreamIdHasher>>;

/// How the streams with data to send share the path (RFC 8260 §3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheduler {
    /// First come, first served: messages in the order they were queued
    /// (RFC 8260 §3.1).
    #[default]
    Fcfs,
    /// Streams with data take turns: a message each, or a fragment each
    /// when I-DATA interleaving is on (RFC 8260 §3.2).
    RoundRobin,
    /// Weighted fair queueing: streams with data share the bytes sent in
    /// proportion to their weights, 1 unless set with
    /// `Association::set_stream_weight` (RFC 8260 §3.6).
    WeightedFair,
}

/// Virtual-time units a stream of weight 1 pays per byte: large enough
/// that a weight of 65 535 still pays a non-zero amount per byte.
const WFQ_SCALE: u64 = 1 << 16;

/// A message queued by the user, partly sent once `offset > 0`.
#[derive(Debug)]
struct Queued {
    ppid: Ppid,
    unordered: bool,
    /// SSN (DATA) or MID (I-DATA), taken when the first fragment goes.
    seq: u32,
    payload: Bytes,
    offset: usize,
    /// Fragments sent so far: the FSN of the next (RFC 8260 §2.1).
    fragments: u32,
    message: MessageRef,
}

/// The sequence numbers of one outbound stream.
#[derive(Clone, Copy, Debug, Default)]
struct Sequence {
    /// The next SSN of an ordered message (RFC 9260 §6.5).
    ssn: Ssn,
    /// The next MID of an ordered and of an unordered message: separate
    /// sequences (RFC 8260 §2.1).
    mid: [u32; 2],
}

/// One stream's waiting messages.
#[derive(Debug, Default)]
struct StreamQueue {
    messages: VecDeque<Queued>,
    /// Weighted fair queueing: the stream's virtual finish time.
    finish: u64,
}

/// One fragment ready to go, with what the flight needs to know of it.
#[derive(Debug)]
pub(crate) struct Fragment {
    /// As a DATA chunk; with I-DATA its SSN is meaningless and the MID and
    /// FSN below apply.
    pub(crate) chunk: DataChunk,
    pub(crate) message: MessageRef,
    /// The fragment sequence number (RFC 8260 §2.1).
    pub(crate) fsn: u32,
}

/// The scheduler's own state.
#[derive(Debug)]
enum Turns {
    /// (stream, message id) in the order queued.
    Fcfs(VecDeque<(StreamId, u64)>),
    /// The streams with data, the next first.
    RoundRobin(VecDeque<StreamId>),
    /// Boxed: an association that does not use it pays a pointer.
    WeightedFair(Box<Fair>),
}

#[derive(Debug, Default)]
struct Fair {
    /// (finish time, stream) of the streams with data.
    queue: BTreeSet<(u64, StreamId)>,
    /// The virtual time: the finish time of the stream served last.
    virtual_time: u64,
    /// Weights other than 1.
    weights: StreamMap<NonZeroU16>,
}

impl Turns {
    fn new(scheduler: Scheduler) -> Turns {
        match scheduler {
            Scheduler::Fcfs => Turns::Fcfs(VecDeque::new()),
            Scheduler::RoundRobin => Turns::RoundRobin(VecDeque::new()),
            Scheduler::WeightedFair => Turns::WeightedFair(Box::default()),
        }
    }
}

/// Messages waiting for the window, per stream, and the scheduler.
#[derive(Debug)]
pub(crate) struct SendQueue {
    queues: StreamMap<StreamQueue>,
    turns: Turns,
    /// I-DATA: fragments of different messages may interleave.
    interleave: bool,
    /// Without interleaving: the stream of the message partly sent, which
    /// goes on until its last fragment (RFC 9260 §6.9: consecutive TSNs).
    current: Option<StreamId>,
    /// Sequence numbers per outbound stream, indexed by stream id; grown
    /// to the highest stream used.
    sequences: Vec<Sequence>,
    /// Outbound streams negotiated: the bound of `sequences`.
    streams: u16,
    /// Messages queued.
    messages: usize,
    /// Bytes queued and not yet handed to a chunk.
    buffered: usize,
    /// The id of the next message queued.
    next_id: u64,
    /// See [`SendQueue::next_expiry`].
    next_expiry: Option<Instant>,
}

impl SendQueue {
    pub(crate) fn new(outbound_streams: u16, scheduler: Scheduler, interleave: bool) -> Self {
        SendQueue {
            queues: StreamMap::default(),
            turns: Turns::new(scheduler),
            interleave,
            current: None,
            sequences: Vec::new(),
            streams: outbound_streams,
            messages: 0,
            buffered: 0,
            next_id: 0,
            next_expiry: None,
        }
    }

    /// Frees the queues' capacity when nothing waits, for an idle
    /// association.
    pub(crate) fn shrink(&mut self) {
        if self.messages == 0 {
            self.queues = StreamMap::default();
            match &mut self.turns {
                Turns::Fcfs(order) => *order = VecDeque::new(),
                Turns::RoundRobin(turns) => *turns = VecDeque::new(),
                Turns::WeightedFair(fair) => fair.queue = BTreeSet::new(),
            }
        }
    }

    /// Bytes of user data not yet sent once.
    pub(crate) fn buffered(&self) -> usize {
        self.buffered
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.messages == 0
    }

    /// Sets the weight of `stream` for [`Scheduler::WeightedFair`]; the
    /// other schedulers have no use for it.
    pub(crate) fn set_weight(&mut self, stream: StreamId, weight: NonZeroU16) {
        let Turns::WeightedFair(fair) = &mut self.turns else {
            return;
        };
        if weight.get() == 1 {
            fair.weights.remove(&stream);
        } else {
            fair.weights.insert(stream, weight);
        }
    }

    /// The weight of `stream`: 1 unless set under weighted fair queueing.
    pub(crate) fn weight(&self, stream: StreamId) -> NonZeroU16 {
        match &self.turns {
            Turns::WeightedFair(fair) => fair.weights.get(&stream).copied(),
            _ => None,
        }
        .unwrap_or(NonZeroU16::MIN)
    }

    /// Queues a message; the caller checked the stream id and the size.
    pub(crate) fn push(
        &mut self,
        stream_id: StreamId,
        ppid: Ppid,
        unordered: bool,
        payload: Bytes,
        policy: Policy,
    ) {
        self.buffered += payload.len();
        self.messages += 1;
        if let Policy::Until(deadline) = policy {
            self.next_expiry = Some(self.next_expiry.map_or(deadline, |n| n.min(deadline)));
        }
        let id = self.next_id;
        self.next_id += 1;
        let queue = self.queues.entry(stream_id).or_default();
        let activated = queue.messages.is_empty();
        queue.messages.push_back(Queued {
            ppid,
            unordered,
            seq: 0,
            payload,
            offset: 0,
            fragments: 0,
            message: MessageRef { id, policy, mid: 0 },
        });
        match &mut self.turns {
            Turns::Fcfs(order) => order.push_back((stream_id, id)),
            Turns::RoundRobin(turns) if activated => turns.push_back(stream_id),
            Turns::WeightedFair(fair) if activated => {
                // A stream that was idle starts from the present: it
                // gets no credit for the time it had nothing to send.
                queue.finish = queue.finish.max(fair.virtual_time);
                fair.queue.insert((queue.finish, stream_id));
            }
            _ => {}
        }
    }

    /// Whether a message of `stream` waits to be sent (or finished).
    pub(crate) fn has_queued(&self, stream: StreamId) -> bool {
        self.queues
            .get(&stream)
            .is_some_and(|q| !q.messages.is_empty())
    }

    /// RFC 6525 §5.1.2 (and RFC 8260 §2.3.3 for MIDs): after its reset, a
    /// stream's sequence numbers start again at 0.
    pub(crate) fn reset_sequence(&mut self, stream: StreamId) {
        if let Some(seq) = self.sequences.get_mut(usize::from(stream.0)) {
            *seq = Sequence::default();
        }
    }

    /// The stream whose data goes next, dropping scheduler entries left
    /// by messages given up.
    fn pick(&mut self) -> Option<StreamId> {
        if let Some(current) = self.current {
            return Some(current);
        }
        let has_data = |queues: &StreamMap<StreamQueue>, s: &StreamId| {
            queues.get(s).is_some_and(|q| !q.messages.is_empty())
        };
        match &mut self.turns {
            Turns::Fcfs(order) => {
                while let Some(&(stream, id)) = order.front() {
                    let front = self.queues.get(&stream).and_then(|q| q.messages.front());
                    if front.is_some_and(|m| m.message.id == id) {
                        return Some(stream);
                    }
                    order.pop_front();
                }
                None
            }
            Turns::RoundRobin(turns) => {
                while let Some(stream) = turns.front() {
                    if has_data(&self.queues, stream) {
                        return Some(*stream);
                    }
                    turns.pop_front();
                }
                None
            }
            Turns::WeightedFair(fair) => {
                while let Some(&(_, stream)) = fair.queue.first() {
                    if has_data(&self.queues, &stream) {
                        return Some(stream);
                    }
                    fair.queue.pop_first();
                }
                None
            }
        }
    }

    /// The next fragment of at most `max_payload` bytes (at least 1), as
    /// a DATA chunk with TSN `tsn`; the payload is a slice of the user's
    /// buffer (RFC 9260 §6.9: B on the first fragment, E on the last).
    #[cfg(test)]
    pub(crate) fn next_fragment(&mut self, tsn: Tsn, max_payload: usize) -> Option<Fragment> {
        self.take_fragment(tsn, max_payload, 0)
    }

    /// The next fragment of at most `max_payload` bytes (at least 1), as
    /// a DATA chunk with TSN `tsn` (see `next_fragment`), except that a
    /// message whose rest is longer than `max_payload` but at most
    /// `uncut_up_to` bytes is not cut: `None`, so that the next packet
    /// carries it whole.
    pub(crate) fn take_fragment(
        &mut self,
        tsn: Tsn,
        max_payload: usize,
        uncut_up_to: usize,
    ) -> Option<Fragment> {
        let stream = self.pick()?;
        // One lookup serves the fragment and the scheduler's bookkeeping.
        let queue = self.queues.get_mut(&stream)?;
        let front = queue.messages.front_mut()?;
        let rest = front.payload.len() - front.offset;
        if rest > max_payload && rest <= uncut_up_to {
            return None;
        }
        if front.offset == 0 {
            let index = usize::from(stream.0);
            if stream.0 < self.streams && index >= self.sequences.len() {
                self.sequences.resize(index + 1, Sequence::default());
            }
            if let Some(seq) = self.sequences.get_mut(index) {
                if self.interleave {
                    // RFC 8260 §2.1: every message takes the next MID of
                    // its stream's ordered or unordered sequence.
                    let mid = &mut seq.mid[usize::from(front.unordered)];
                    front.seq = *mid;
                    *mid = mid.wrapping_add(1);
                } else if !front.unordered {
                    // RFC 9260 §6.5: ordered messages of a stream take
                    // consecutive SSNs (unordered ones carry no meaningful
                    // SSN). Taken when the first fragment goes, so a
                    // message given up unsent (RFC 3758 §3.1, timed)
                    // leaves no hole in the sequence.
                    front.seq = u32::from(seq.ssn.0);
                    seq.ssn = seq.ssn.next();
                }
            }
            front.message.mid = front.seq;
        }
        let start = front.offset;
        let end = front.payload.len().min(start + max_payload.max(1));
        front.offset = end;
        let fsn = front.fragments;
        front.fragments += 1;
        let ended = end == front.payload.len();
        let chunk = DataChunk {
            tsn,
            stream_id: stream,
            ssn: Ssn(front.seq as u16),
            ppid: front.ppid,
            unordered: front.unordered,
            beginning: start == 0,
            ending: ended,
            immediate_sack: false,
            payload: if ended {
                // The message's last fragment: its rest is moved out, not
                // sliced (no reference count to raise, then drop with the
                // message).
                let mut rest = std::mem::take(&mut front.payload);
                rest.advance(start);
                rest
            } else {
                front.payload.slice(start..end)
            },
        };
        let message = front.message;
        let len = end - start;
        self.buffered -= len;
        if ended {
            queue.messages.pop_front();
            self.messages -= 1;
        }
        let more = !queue.messages.is_empty();
        // Moves the scheduler on. Without I-DATA a message's fragments go
        // back to back.
        let turn_over = ended || self.interleave;
        self.current = (!turn_over).then_some(stream);
        match &mut self.turns {
            Turns::Fcfs(order) => {
                if ended {
                    order.pop_front();
                }
            }
            Turns::RoundRobin(turns) => {
                if turn_over {
                    turns.pop_front();
                    if more {
                        turns.push_back(stream);
                    }
                }
            }
            Turns::WeightedFair(fair) => {
                let weight = fair.weights.get(&stream).map_or(1, |w| u64::from(w.get()));
                fair.queue.remove(&(queue.finish, stream));
                fair.virtual_time = fair.virtual_time.max(queue.finish);
                queue.finish += (len as u64).max(1) * WFQ_SCALE / weight;
                if more {
                    fair.queue.insert((queue.finish, stream));
                }
            }
        }
        if !more {
            self.remove_queue(stream);
        }
        Some(Fragment {
            chunk,
            message,
            fsn,
        })
    }

    /// Drops `stream`'s emptied queue, unless it is the only one: a
    /// single busy stream that empties and fills again (a sender keeping
    /// up with its window) then keeps its allocation instead of growing a
    /// new queue each time. [`SendQueue::shrink`] frees it once idle.
    fn remove_queue(&mut self, stream: StreamId) {
        if self.queues.len() > 1 {
            self.queues.remove(&stream);
        } else if let Some(queue) = self.queues.get_mut(&stream) {
            // As if removed: weighted fair queueing starts it afresh.
            queue.finish = 0;
        }
    }

    /// When the earliest lifetime of a queued message not yet started
    /// ends (possibly earlier: the message may have gone out since).
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.next_expiry
    }

    /// RFC 3758 §3.1 (timed reliability): drops every queued message
    /// whose lifetime is over before any of it went out, wherever it
    /// waits, handing each one's stream and length to `dropped`.
    ///
    /// A message partly sent goes on: its fragments may all have been
    /// acknowledged already, and then no FORWARD TSN could tell the peer
    /// to drop the part it holds (which, on an ordered stream, would hold
    /// back every later message). Its chunks are still given up if one of
    /// them needs sending again after the lifetime.
    pub(crate) fn expire(&mut self, now: Instant, mut dropped: impl FnMut(StreamId, usize)) {
        if self.next_expiry.is_none_or(|at| now < at) {
            return;
        }
        let mut next = None;
        let (mut freed, mut removed) = (0, 0);
        for (&stream, queue) in self.queues.iter_mut() {
            queue.messages.retain(|q| match q.message.policy {
                Policy::Until(deadline) if q.offset == 0 => {
                    if now >= deadline {
                        freed += q.payload.len();
                        removed += 1;
                        dropped(stream, q.payload.len());
                        return false;
                    }
                    next = Some(next.map_or(deadline, |n: Instant| n.min(deadline)));
                    true
                }
                _ => true,
            });
        }
        // The schedulers skip what was emptied.
        self.queues.retain(|_, q| !q.messages.is_empty());
        self.buffered -= freed;
        self.messages -= removed;
        self.next_expiry = next;
    }

    /// Drops the rest of message `id` of `stream` if it is partly sent
    /// and now abandoned (RFC 3758 §3.5 A3); returns the bytes dropped.
    pub(crate) fn drop_partial(&mut self, stream: StreamId, id: u64) -> Option<usize> {
        let queue = self.queues.get_mut(&stream)?;
        if !queue
            .messages
            .front()
            .is_some_and(|q| q.message.id == id && q.offset > 0)
        {
            return None;
        }
        let q = queue.messages.pop_front()?;
        let unsent = q.payload.len() - q.offset;
        self.buffered -= unsent;
        self.messages -= 1;
        if self.current == Some(stream) {
            self.current = None;
        }
        if queue.messages.is_empty() {
            self.remove_queue(stream);
        }
        Some(unsent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(scheduler: Scheduler, interleave: bool) -> SendQueue {
        SendQueue::new(8, scheduler, interleave)
    }

    fn push(q: &mut SendQueue, stream: u16, unordered: bool, len: usize) {
        q.push(
            StreamId(stream),
            Ppid(53),
            unordered,
            Bytes::from(vec![stream as u8; len]),
            Policy::Reliable,
        );
    }

    /// (stream, first fragment, last fragment) of every fragment sent.
    fn drain(q: &mut SendQueue, max_payload: usize) -> Vec<(u16, bool, bool)> {
        let mut out = Vec::new();
        let mut tsn = Tsn(0);
        while let Some(f) = q.next_fragment(tsn, max_payload) {
            out.push((f.chunk.stream_id.0, f.chunk.beginning, f.chunk.ending));
            tsn = tsn.next();
        }
        assert_eq!(q.buffered(), 0);
        assert!(q.is_empty());
        out
    }

    #[test]
    fn messages_are_cut_into_fragments_with_b_and_e_bits() {
        // RFC 9260 §6.9: B on the first fragment, E on the last, one SSN.
        let mut q = SendQueue::new(4, Scheduler::Fcfs, false);
        push(&mut q, 1, false, 2500);
        push(&mut q, 1, false, 1);
        assert_eq!(q.buffered(), 2501);
        let mut frags = Vec::new();
        let mut tsn = Tsn(u32::MAX - 1);
        while let Some(f) = q.next_fragment(tsn, 1000) {
            let c = f.chunk;
            frags.push((c.tsn, c.ssn, c.beginning, c.ending, c.payload.len()));
            tsn = tsn.next();
        }
        assert_eq!(
            frags,
            [
                (Tsn(u32::MAX - 1), Ssn(0), true, false, 1000),
                (Tsn(u32::MAX), Ssn(0), false, false, 1000),
                (Tsn(0), Ssn(0), false, true, 500),
                (Tsn(1), Ssn(1), true, true, 1),
            ]
        );
        assert_eq!(q.buffered(), 0);
        assert!(q.is_empty());
    }

    #[test]
    fn unordered_messages_take_no_ssn() {
        let mut q = SendQueue::new(2, Scheduler::Fcfs, false);
        push(&mut q, 0, true, 1);
        push(&mut q, 0, false, 1);
        let a = q.next_fragment(Tsn(1), 100).unwrap().chunk;
        let b = q.next_fragment(Tsn(2), 100).unwrap().chunk;
        assert!(a.unordered && !b.unordered);
        assert_eq!(b.ssn, Ssn(0), "the ordered message is the stream's first");
    }

    #[test]
    fn i_data_numbers_ordered_and_unordered_messages_apart_with_fsns() {
        // RFC 8260 §2.1: MIDs per stream, ordered and unordered apart;
        // FSN 0 for the first fragment, counting up.
        let mut q = SendQueue::new(2, Scheduler::Fcfs, true);
        push(&mut q, 1, false, 250);
        push(&mut q, 1, true, 10);
        push(&mut q, 1, false, 10);
        let mut got = Vec::new();
        while let Some(f) = q.next_fragment(Tsn(0), 100) {
            got.push((f.chunk.unordered, f.message.mid, f.fsn, f.chunk.ending));
        }
        assert_eq!(
            got,
            [
                (false, 0, 0, false),
                (false, 0, 1, false),
                (false, 0, 2, true),
                (true, 0, 0, true),
                (false, 1, 0, true),
            ]
        );
    }

    #[test]
    fn fcfs_sends_in_queueing_order_across_streams() {
        let mut q = queue(Scheduler::Fcfs, false);
        push(&mut q, 2, false, 10);
        push(&mut q, 1, false, 10);
        push(&mut q, 2, false, 10);
        let streams: Vec<u16> = drain(&mut q, 100).iter().map(|f| f.0).collect();
        assert_eq!(streams, [2, 1, 2]);
    }

    #[test]
    fn round_robin_gives_streams_turns_of_a_message_without_interleaving() {
        let mut q = queue(Scheduler::RoundRobin, false);
        for _ in 0..2 {
            push(&mut q, 1, false, 250);
        }
        push(&mut q, 2, false, 10);
        push(&mut q, 2, false, 10);
        let sent = drain(&mut q, 100);
        // Stream 1's messages are three fragments each, back to back.
        assert_eq!(
            sent,
            [
                (1, true, false),
                (1, false, false),
                (1, false, true),
                (2, true, true),
                (1, true, false),
                (1, false, false),
                (1, false, true),
                (2, true, true),
            ]
        );
    }

    #[test]
    fn round_robin_with_interleaving_takes_turns_by_fragment() {
        // RFC 8260 §3.2 with I-DATA: a large message no longer blocks.
        let mut q = queue(Scheduler::RoundRobin, true);
        push(&mut q, 1, false, 300);
        push(&mut q, 2, false, 10);
        push(&mut q, 2, false, 10);
        let streams: Vec<u16> = drain(&mut q, 100).iter().map(|f| f.0).collect();
        assert_eq!(streams, [1, 2, 1, 2, 1]);
    }

    #[test]
    fn weighted_fair_queueing_shares_bytes_by_weight() {
        // RFC 8260 §3.6: with both streams backlogged, bytes in
        // proportion to the weights.
        let mut q = queue(Scheduler::WeightedFair, true);
        q.set_weight(StreamId(2), NonZeroU16::new(3).unwrap());
        for _ in 0..100 {
            push(&mut q, 1, false, 1000);
            push(&mut q, 2, false, 1000);
        }
        let mut bytes = [0usize; 3];
        let mut tsn = Tsn(0);
        // Half of what is queued, while both still have data.
        while bytes[1] + bytes[2] < 100_000 {
            let f = q.next_fragment(tsn, 500).unwrap();
            bytes[usize::from(f.chunk.stream_id.0)] += f.chunk.payload.len();
            tsn = tsn.next();
        }
        let share = bytes[2] as f64 / bytes[1] as f64;
        assert!((2.9..=3.1).contains(&share), "share {share}: {bytes:?}");
    }

    #[test]
    fn weighted_fair_queueing_without_interleaving_finishes_messages() {
        let mut q = queue(Scheduler::WeightedFair, false);
        q.set_weight(StreamId(2), NonZeroU16::new(4).unwrap());
        push(&mut q, 1, false, 300);
        push(&mut q, 2, false, 300);
        let sent = drain(&mut q, 100);
        for pair in sent.windows(2) {
            if !pair[0].2 {
                assert_eq!(pair[0].0, pair[1].0, "a message was interrupted: {sent:?}");
            }
        }
    }

    #[test]
    fn an_idle_stream_gets_no_credit_under_weighted_fair_queueing() {
        let mut q = queue(Scheduler::WeightedFair, true);
        for _ in 0..50 {
            push(&mut q, 1, false, 100);
        }
        for _ in 0..40 {
            q.next_fragment(Tsn(0), 100).unwrap();
        }
        // Stream 2 wakes up: it shares from now on, it does not get the
        // 40 turns it missed.
        for _ in 0..10 {
            push(&mut q, 2, false, 100);
        }
        let streams: Vec<u16> = (0..6)
            .map(|_| q.next_fragment(Tsn(0), 100).unwrap().chunk.stream_id.0)
            .collect();
        assert_eq!(
            streams.iter().filter(|&&s| s == 1).count(),
            3,
            "{streams:?}"
        );
    }

    #[test]
    fn dropping_a_partly_sent_message_lets_the_others_go() {
        let mut q = queue(Scheduler::RoundRobin, false);
        push(&mut q, 1, false, 300);
        push(&mut q, 2, false, 10);
        let first = q.next_fragment(Tsn(0), 100).unwrap();
        assert_eq!(q.drop_partial(StreamId(1), first.message.id), Some(200));
        let next = q.next_fragment(Tsn(1), 100).unwrap();
        assert_eq!(next.chunk.stream_id, StreamId(2));
        assert!(q.next_fragment(Tsn(2), 100).is_none());
        assert!(q.is_empty());
        assert_eq!(q.buffered(), 0);
    }

    #[test]
    fn expired_messages_leave_every_scheduler_consistent() {
        #[allow(clippy::disallowed_methods)] // an epoch for the test
        let now = Instant::now();
        for scheduler in [
            Scheduler::Fcfs,
            Scheduler::RoundRobin,
            Scheduler::WeightedFair,
        ] {
            let mut q = queue(scheduler, false);
            q.push(
                StreamId(1),
                Ppid(53),
                false,
                Bytes::from_static(b"late"),
                Policy::Until(now),
            );
            push(&mut q, 2, false, 5);
            let mut dropped = Vec::new();
            q.expire(now, |s, len| dropped.push((s, len)));
            assert_eq!(dropped, [(StreamId(1), 4)]);
            assert_eq!(drain(&mut q, 100), [(2, true, true)], "{scheduler:?}");
        }
    }
}

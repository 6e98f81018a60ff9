//! The sending side: user messages waiting to be sent, cut into DATA
//! chunks as packets have room (RFC 9260 §6.9), and the chunks in flight
//! until the peer acknowledges them (RFC 9260 §6.2.1, §6.3, §7.2.4).

use bytes::Bytes;
use sctp_wire::{DataChunk, Ppid, Ssn, StreamId, Tsn};
use std::collections::{BTreeSet, VecDeque};
use std::ops::{Bound, Range, RangeBounds};
use std::time::Instant;

/// When a message is given up (RFC 3758 §1: the PR-SCTP policies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Never: sent until acknowledged.
    Reliable,
    /// After this many retransmissions of one of its chunks.
    Rexmit(u32),
    /// At this time, sent or not.
    Until(Instant),
}

/// What a DATA chunk knows of the message it carries a piece of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MessageRef {
    /// Numbers messages in the order they were queued.
    pub(crate) id: u64,
    pub(crate) policy: Policy,
}

/// A message queued by the user, partly sent once `offset > 0`.
#[derive(Debug)]
struct Queued {
    stream_id: StreamId,
    ppid: Ppid,
    unordered: bool,
    ssn: Ssn,
    payload: Bytes,
    offset: usize,
    message: MessageRef,
}

/// Messages waiting for the window, first come first served.
#[derive(Debug, Default)]
pub(crate) struct SendQueue {
    queue: VecDeque<Queued>,
    /// Bytes queued and not yet handed to a DATA chunk.
    buffered: usize,
    /// Next SSN per outbound stream (RFC 9260 §6.5), indexed by stream id;
    /// grown to the highest stream used, so an idle association with many
    /// negotiated streams holds none.
    next_ssn: Vec<Ssn>,
    /// Outbound streams negotiated: the bound of `next_ssn`.
    streams: u16,
    /// The id of the next message queued.
    next_id: u64,
    /// See [`SendQueue::next_expiry`].
    next_expiry: Option<Instant>,
}

impl SendQueue {
    pub(crate) fn new(outbound_streams: u16) -> Self {
        SendQueue {
            queue: VecDeque::new(),
            buffered: 0,
            next_ssn: Vec::new(),
            streams: outbound_streams,
            next_id: 0,
            next_expiry: None,
        }
    }

    /// Frees the queue's capacity when it is empty, for an idle
    /// association.
    pub(crate) fn shrink(&mut self) {
        if self.queue.is_empty() {
            self.queue = VecDeque::new();
        }
    }

    /// Bytes of user data not yet sent once.
    pub(crate) fn buffered(&self) -> usize {
        self.buffered
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
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
        if let Policy::Until(deadline) = policy {
            self.next_expiry = Some(self.next_expiry.map_or(deadline, |n| n.min(deadline)));
        }
        let id = self.next_id;
        self.next_id += 1;
        self.queue.push_back(Queued {
            stream_id,
            ppid,
            unordered,
            ssn: Ssn(0),
            payload,
            offset: 0,
            message: MessageRef { id, policy },
        });
    }

    /// Whether a message of `stream` waits to be sent (or finished).
    pub(crate) fn has_queued(&self, stream: StreamId) -> bool {
        self.queue.iter().any(|q| q.stream_id == stream)
    }

    /// RFC 6525 §5.1.2: after its reset, a stream's SSNs start again at 0.
    pub(crate) fn reset_ssn(&mut self, stream: StreamId) {
        if let Some(next) = self.next_ssn.get_mut(usize::from(stream.0)) {
            *next = Ssn(0);
        }
    }

    /// Bytes of the next message still to send, if any.
    pub(crate) fn front_remaining(&self) -> Option<usize> {
        self.queue.front().map(|q| q.payload.len() - q.offset)
    }

    /// The next fragment of at most `max_payload` bytes (at least 1), as
    /// a DATA chunk with TSN `tsn`; the payload is a slice of the user's
    /// buffer (RFC 9260 §6.9: B on the first fragment, E on the last).
    pub(crate) fn next_fragment(
        &mut self,
        tsn: Tsn,
        max_payload: usize,
    ) -> Option<(DataChunk, MessageRef)> {
        let front = self.queue.front_mut()?;
        let message = front.message;
        if front.offset == 0 && !front.unordered {
            // RFC 9260 §6.5: ordered messages of a stream take consecutive
            // SSNs (unordered ones carry no meaningful SSN). Taken when the
            // first fragment goes, so a message given up unsent (RFC 3758
            // §3.1, timed) leaves no hole in the sequence.
            let index = usize::from(front.stream_id.0);
            if front.stream_id.0 < self.streams {
                if index >= self.next_ssn.len() {
                    self.next_ssn.resize(index + 1, Ssn(0));
                }
                let next = &mut self.next_ssn[index];
                front.ssn = *next;
                *next = next.next();
            }
        }
        let start = front.offset;
        let end = front.payload.len().min(start + max_payload.max(1));
        front.offset = end;
        let chunk = DataChunk {
            tsn,
            stream_id: front.stream_id,
            ssn: front.ssn,
            ppid: front.ppid,
            unordered: front.unordered,
            beginning: start == 0,
            ending: end == front.payload.len(),
            immediate_sack: false,
            payload: front.payload.slice(start..end),
        };
        self.buffered -= end - start;
        if chunk.ending {
            self.queue.pop_front();
        }
        Some((chunk, message))
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
        let mut freed = 0;
        self.queue.retain(|q| match q.message.policy {
            Policy::Until(deadline) if q.offset == 0 => {
                if now >= deadline {
                    freed += q.payload.len();
                    dropped(q.stream_id, q.payload.len());
                    return false;
                }
                next = Some(next.map_or(deadline, |n: Instant| n.min(deadline)));
                true
            }
            _ => true,
        });
        self.buffered -= freed;
        self.next_expiry = next;
    }

    /// Drops the rest of message `id` if it is the next one, partly sent
    /// and now abandoned; returns its stream and the bytes dropped.
    pub(crate) fn drop_front_if(&mut self, id: u64) -> Option<(StreamId, usize)> {
        if self.queue.front().is_some_and(|q| q.message.id == id) {
            let q = self.queue.pop_front()?;
            let unsent = q.payload.len() - q.offset;
            self.buffered -= unsent;
            return Some((q.stream_id, unsent));
        }
        None
    }
}

/// A DATA chunk sent and not yet acknowledged cumulatively.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) chunk: DataChunk,
    pub(crate) message: MessageRef,
    pub(crate) sent_at: Instant,
    /// Times sent, the first included.
    pub(crate) transmissions: u32,
    /// Given up under its message's policy (RFC 3758 §3.5): never sent
    /// again, out of the flight, skipped by a FORWARD TSN.
    pub(crate) abandoned: bool,
    /// Sent more than once: its acknowledgement gives no RTT sample
    /// (Karn's rule, RFC 9260 §6.3.1 C5).
    pub(crate) retransmitted: bool,
    /// Acknowledged by a gap ack block of the latest SACK.
    pub(crate) gap_acked: bool,
    /// Miss indications (RFC 9260 §7.2.4).
    pub(crate) misses: u32,
    /// Marked for retransmission; not counted in flight meanwhile.
    pub(crate) to_retransmit: bool,
    /// Marked by fast retransmit rather than by T3-rtx.
    pub(crate) fast: bool,
    /// Already fast-retransmitted once (RFC 9260 §7.2.4: only once).
    pub(crate) fast_done: bool,
}

impl Sent {
    pub(crate) fn new(chunk: DataChunk, message: MessageRef, now: Instant) -> Self {
        Sent {
            chunk,
            message,
            sent_at: now,
            transmissions: 1,
            abandoned: false,
            retransmitted: false,
            gap_acked: false,
            misses: 0,
            to_retransmit: false,
            fast: false,
            fast_done: false,
        }
    }

    /// Bytes this chunk counts in the flight size (RFC 9260 §6.1: the
    /// user data; headers are not counted).
    pub(crate) fn len(&self) -> usize {
        self.chunk.payload.len()
    }

    /// Bytes it counts in the flight size now.
    fn flight_bytes(&self) -> usize {
        if self.in_flight() {
            self.len()
        } else {
            0
        }
    }

    /// Whether it counts toward the flight size now.
    pub(crate) fn in_flight(&self) -> bool {
        !self.gap_acked && !self.to_retransmit && !self.abandoned
    }

    /// RFC 3758 §3.5 A1, A2: whether its message's policy gives it up
    /// rather than send it again at `now`.
    pub(crate) fn expired(&self, now: Instant) -> bool {
        match self.message.policy {
            Policy::Reliable => false,
            Policy::Rexmit(n) => self.transmissions > n,
            Policy::Until(deadline) => now >= deadline,
        }
    }
}

/// Chunks sent and not yet cumulatively acknowledged, with their total in
/// the flight size.
///
/// TSNs are assigned consecutively and only ever leave from the front (the
/// cumulative ack), so the chunks sit in a ring indexed by their TSN
/// (unwrapped to 64 bits so that order survives wraparound) less the TSN of
/// the first: lookup, insertion and removal are O(1) and allocate nothing
/// once the ring has grown to the window.
#[derive(Debug)]
pub(crate) struct InFlight {
    /// `chunks[i]` carries the unwrapped TSN `base + i`.
    chunks: VecDeque<Sent>,
    /// The unwrapped TSN of `chunks[0]`, or of the next chunk when empty.
    base: u64,
    /// Bytes of chunks that count in flight.
    pub(crate) flight: usize,
    /// Keys of chunks marked for retransmission, so sending finds them
    /// without scanning the whole flight.
    marked: BTreeSet<u64>,
    /// Bytes of those chunks: they left the flight but still occupy the
    /// peer's window.
    marked_bytes: usize,
    /// Keys of chunks acknowledged by gap blocks, so reneging is found
    /// without scanning the whole flight.
    gap_acked: BTreeSet<u64>,
}

impl InFlight {
    /// An empty flight whose first chunk will carry the unwrapped TSN
    /// `first`.
    pub(crate) fn new(first: u64) -> Self {
        InFlight {
            chunks: VecDeque::new(),
            base: first,
            flight: 0,
            marked: BTreeSet::new(),
            marked_bytes: 0,
            gap_acked: BTreeSet::new(),
        }
    }

    /// Adds the chunk with the next TSN: `key` must follow the last one.
    pub(crate) fn push(&mut self, key: u64, sent: Sent) {
        debug_assert_eq!(key, self.end(), "TSNs are sent consecutively");
        if sent.in_flight() {
            self.flight += sent.len();
        }
        self.chunks.push_back(sent);
    }

    /// The key after the last chunk.
    pub(crate) fn end(&self) -> u64 {
        self.base + self.chunks.len() as u64
    }

    fn index(&self, key: u64) -> Option<usize> {
        let i = usize::try_from(key.checked_sub(self.base)?).ok()?;
        (i < self.chunks.len()).then_some(i)
    }

    /// The chunk with unwrapped TSN `key`, if outstanding.
    pub(crate) fn get(&self, key: u64) -> Option<&Sent> {
        self.chunks.get(self.index(key)?)
    }

    /// The keys held within `range`, in order.
    pub(crate) fn keys(&self, range: impl RangeBounds<u64>) -> Range<u64> {
        let lo = match range.start_bound() {
            Bound::Included(&k) => k,
            Bound::Excluded(&k) => k.saturating_add(1),
            Bound::Unbounded => self.base,
        };
        let hi = match range.end_bound() {
            Bound::Included(&k) => k.saturating_add(1),
            Bound::Excluded(&k) => k,
            Bound::Unbounded => self.end(),
        };
        lo.max(self.base)..hi.min(self.end())
    }

    /// Applies `f` to the chunk at `key`, keeping the flight size and the
    /// marked and gap-acked sets in step.
    pub(crate) fn update<R>(&mut self, key: u64, f: impl FnOnce(&mut Sent) -> R) -> Option<R> {
        let i = self.index(key)?;
        let sent = &mut self.chunks[i];
        let (before, was_marked, was_acked) =
            (sent.flight_bytes(), sent.to_retransmit, sent.gap_acked);
        let r = f(sent);
        let len = sent.len();
        let (after, marked, acked) = (sent.flight_bytes(), sent.to_retransmit, sent.gap_acked);
        self.flight = self.flight + after - before;
        if marked != was_marked {
            if marked {
                self.marked.insert(key);
                self.marked_bytes += len;
            } else {
                self.marked.remove(&key);
                self.marked_bytes -= len;
            }
        }
        if acked != was_acked {
            if acked {
                self.gap_acked.insert(key);
            } else {
                self.gap_acked.remove(&key);
            }
        }
        Some(r)
    }

    /// Removes every chunk with a key at or below `key`, oldest first,
    /// handing each to `f`.
    pub(crate) fn remove_through(&mut self, key: u64, mut f: impl FnMut(Sent)) {
        while self.base <= key {
            let Some(s) = self.chunks.pop_front() else {
                // Nothing outstanding: the next chunk follows `key`.
                self.base = key + 1;
                break;
            };
            self.base += 1;
            if s.in_flight() {
                self.flight -= s.len();
            }
            if s.to_retransmit {
                self.marked_bytes -= s.len();
            }
            f(s);
        }
        while self.marked.first().is_some_and(|&k| k <= key) {
            self.marked.pop_first();
        }
        while self.gap_acked.first().is_some_and(|&k| k <= key) {
            self.gap_acked.pop_first();
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Frees the ring's capacity when nothing is outstanding, for an idle
    /// association.
    pub(crate) fn shrink(&mut self) {
        if self.chunks.is_empty() {
            self.chunks = VecDeque::new();
        }
    }

    /// The keys of the chunks of the message that the chunk at `key`
    /// belongs to: its fragments took consecutive TSNs.
    pub(crate) fn message_keys(&self, key: u64) -> Range<u64> {
        let Some(id) = self.get(key).map(|s| s.message.id) else {
            return key..key;
        };
        let same = |k: u64| self.get(k).is_some_and(|s| s.message.id == id);
        let mut first = key;
        while first > self.base && same(first - 1) {
            first -= 1;
        }
        let mut end = key + 1;
        while same(end) {
            end += 1;
        }
        first..end
    }

    /// The first key marked for retransmission at or after `from`.
    pub(crate) fn next_marked(&self, from: u64) -> Option<u64> {
        self.marked.range(from..).next().copied()
    }

    /// Whether any chunk is marked for retransmission.
    pub(crate) fn has_marked(&self) -> bool {
        !self.marked.is_empty()
    }

    /// Bytes of chunks marked for retransmission.
    pub(crate) fn marked_bytes(&self) -> usize {
        self.marked_bytes
    }

    /// Keys of chunks acknowledged by gap blocks, in order.
    pub(crate) fn gap_acked(&self) -> impl Iterator<Item = u64> + '_ {
        self.gap_acked.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_into_fragments_with_b_and_e_bits() {
        // RFC 9260 §6.9: B on the first fragment, E on the last, one SSN.
        let mut q = SendQueue::new(4);
        q.push(
            StreamId(1),
            Ppid(53),
            false,
            Bytes::from(vec![7u8; 2500]),
            Policy::Reliable,
        );
        q.push(
            StreamId(1),
            Ppid(53),
            false,
            Bytes::from_static(b"x"),
            Policy::Reliable,
        );
        assert_eq!(q.buffered(), 2501);
        let mut frags = Vec::new();
        let mut tsn = Tsn(u32::MAX - 1);
        while let Some((c, _)) = q.next_fragment(tsn, 1000) {
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
        let mut q = SendQueue::new(2);
        q.push(
            StreamId(0),
            Ppid(51),
            true,
            Bytes::from_static(b"a"),
            Policy::Reliable,
        );
        q.push(
            StreamId(0),
            Ppid(51),
            false,
            Bytes::from_static(b"b"),
            Policy::Reliable,
        );
        let (a, _) = q.next_fragment(Tsn(1), 100).unwrap();
        let (b, _) = q.next_fragment(Tsn(2), 100).unwrap();
        assert!(a.unordered && !b.unordered);
        assert_eq!(b.ssn, Ssn(0), "the ordered message is the stream's first");
    }

    #[test]
    fn the_flight_size_follows_acks_and_retransmission_marks() {
        #[allow(clippy::disallowed_methods)] // an epoch for the test
        let now = Instant::now();
        let mut f = InFlight::new(0);
        let mut q = SendQueue::new(1);
        q.push(
            StreamId(0),
            Ppid(0),
            false,
            Bytes::from(vec![0u8; 300]),
            Policy::Reliable,
        );
        for i in 0..3u64 {
            let (c, m) = q.next_fragment(Tsn(i as u32), 100).unwrap();
            f.push(i, Sent::new(c, m, now));
        }
        assert_eq!(f.flight, 300);
        f.update(1, |s| s.gap_acked = true);
        assert_eq!(f.flight, 200);
        f.update(2, |s| s.to_retransmit = true);
        assert_eq!(f.flight, 100);
        let mut removed = 0;
        f.remove_through(1, |_| removed += 1);
        assert_eq!(removed, 2);
        assert_eq!(f.marked_bytes(), 100, "TSN 2 still awaits retransmission");
        assert_eq!(f.flight, 0);
        assert!(!f.is_empty());
    }
}

//! The sending side's flight: the DATA (or I-DATA) chunks sent until the
//! peer acknowledges them (RFC 9260 §6.2.1, §6.3, §7.2.4), and the
//! reliability policy of their messages (RFC 3758). The messages waiting
//! to be sent are in [`crate::send_queue`].

use crate::send_queue::Fragment;
use sctp_wire::{DataChunk, Fsn, IDataChunk, IDataFragment, Mid};
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
    /// Its MID, with I-DATA (RFC 8260 §2.1).
    pub(crate) mid: u32,
}

/// A DATA chunk sent and not yet acknowledged cumulatively.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) chunk: DataChunk,
    pub(crate) message: MessageRef,
    /// The fragment sequence number, with I-DATA (RFC 8260 §2.1).
    pub(crate) fsn: u32,
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
    pub(crate) fn new(fragment: Fragment, now: Instant) -> Self {
        Sent {
            chunk: fragment.chunk,
            message: fragment.message,
            fsn: fragment.fsn,
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

    /// The chunk as I-DATA (RFC 8260 §2.1): the first fragment carries
    /// the PPID, the others their FSN.
    pub(crate) fn as_idata(&self) -> IDataChunk {
        let c = &self.chunk;
        IDataChunk {
            tsn: c.tsn,
            stream_id: c.stream_id,
            mid: Mid(self.message.mid),
            fragment: if c.beginning {
                IDataFragment::First { ppid: c.ppid }
            } else {
                IDataFragment::Later { fsn: Fsn(self.fsn) }
            },
            unordered: c.unordered,
            ending: c.ending,
            immediate_sack: c.immediate_sack,
            payload: c.payload.clone(),
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
    /// marked set in step.
    pub(crate) fn update<R>(&mut self, key: u64, f: impl FnOnce(&mut Sent) -> R) -> Option<R> {
        let i = self.index(key)?;
        let sent = &mut self.chunks[i];
        let (before, was_marked) = (sent.flight_bytes(), sent.to_retransmit);
        let r = f(sent);
        let len = sent.len();
        let (after, marked) = (sent.flight_bytes(), sent.to_retransmit);
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

    /// Keys spanning the chunks of the message that the chunk at `key`
    /// belongs to. With DATA its fragments took consecutive TSNs and are
    /// exactly these; with I-DATA (`interleaved`) other messages' chunks
    /// may lie between them, and the span is the whole flight: the caller
    /// checks each chunk's message.
    pub(crate) fn message_span(&self, key: u64, interleaved: bool) -> Range<u64> {
        let Some(id) = self.get(key).map(|s| s.message.id) else {
            return key..key;
        };
        if interleaved {
            return self.base..self.end();
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send_queue::{Scheduler, SendQueue};
    use bytes::Bytes;
    use sctp_wire::{Ppid, StreamId, Tsn};

    #[test]
    fn the_flight_size_follows_acks_and_retransmission_marks() {
        #[allow(clippy::disallowed_methods)] // an epoch for the test
        let now = Instant::now();
        let mut f = InFlight::new(0);
        let mut q = SendQueue::new(1, Scheduler::Fcfs, false);
        q.push(
            StreamId(0),
            Ppid(0),
            false,
            Bytes::from(vec![0u8; 300]),
            Policy::Reliable,
        );
        for i in 0..3u64 {
            let fragment = q.next_fragment(Tsn(i as u32), 100).unwrap();
            f.push(i, Sent::new(fragment, now));
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

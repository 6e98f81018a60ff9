//! The sending side: user messages waiting to be sent, cut into DATA
//! chunks as packets have room (RFC 9260 §6.9), and the chunks in flight
//! until the peer acknowledges them (RFC 9260 §6.2.1, §6.3, §7.2.4).

use bytes::Bytes;
use sctp_wire::{DataChunk, Ppid, Ssn, StreamId, Tsn};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

/// A message queued by the user, partly sent once `offset > 0`.
#[derive(Debug)]
struct Queued {
    stream_id: StreamId,
    ppid: Ppid,
    unordered: bool,
    ssn: Ssn,
    payload: Bytes,
    offset: usize,
}

/// Messages waiting for the window, first come first served.
#[derive(Debug, Default)]
pub(crate) struct SendQueue {
    queue: VecDeque<Queued>,
    /// Bytes queued and not yet handed to a DATA chunk.
    buffered: usize,
    /// Next SSN per outbound stream (RFC 9260 §6.5), indexed by stream id.
    next_ssn: Vec<Ssn>,
}

impl SendQueue {
    pub(crate) fn new(outbound_streams: u16) -> Self {
        SendQueue {
            queue: VecDeque::new(),
            buffered: 0,
            next_ssn: vec![Ssn(0); usize::from(outbound_streams)],
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
    ) {
        // RFC 9260 §6.5: ordered messages of a stream take consecutive
        // SSNs; unordered ones carry no meaningful SSN.
        let ssn = match self.next_ssn.get_mut(usize::from(stream_id.0)) {
            Some(next) if !unordered => {
                let ssn = *next;
                *next = next.next();
                ssn
            }
            _ => Ssn(0),
        };
        self.buffered += payload.len();
        self.queue.push_back(Queued {
            stream_id,
            ppid,
            unordered,
            ssn,
            payload,
            offset: 0,
        });
    }

    /// The next fragment of at most `max_payload` bytes (at least 1), as
    /// a DATA chunk with TSN `tsn`; the payload is a slice of the user's
    /// buffer (RFC 9260 §6.9: B on the first fragment, E on the last).
    pub(crate) fn next_fragment(&mut self, tsn: Tsn, max_payload: usize) -> Option<DataChunk> {
        let front = self.queue.front_mut()?;
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
        Some(chunk)
    }
}

/// A DATA chunk sent and not yet acknowledged cumulatively.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) chunk: DataChunk,
    pub(crate) sent_at: Instant,
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
    pub(crate) fn new(chunk: DataChunk, now: Instant) -> Self {
        Sent {
            chunk,
            sent_at: now,
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
        !self.gap_acked && !self.to_retransmit
    }
}

/// Chunks in flight, keyed by TSN unwrapped to 64 bits so that order
/// survives wraparound, and their total in the flight size.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    pub(crate) chunks: BTreeMap<u64, Sent>,
    /// Bytes of chunks that count in flight.
    pub(crate) flight: usize,
    /// Keys of chunks marked for retransmission, so sending finds them
    /// without scanning the whole flight.
    pub(crate) marked: BTreeSet<u64>,
    /// Keys of chunks acknowledged by gap blocks, so reneging is found
    /// without scanning the whole flight.
    pub(crate) gap_acked: BTreeSet<u64>,
}

impl InFlight {
    pub(crate) fn insert(&mut self, key: u64, sent: Sent) {
        if sent.in_flight() {
            self.flight += sent.len();
        }
        self.chunks.insert(key, sent);
    }

    /// Applies `f` to the chunk at `key`, keeping the flight size in step.
    pub(crate) fn update<R>(&mut self, key: u64, f: impl FnOnce(&mut Sent) -> R) -> Option<R> {
        let sent = self.chunks.get_mut(&key)?;
        let before = sent.flight_bytes();
        let r = f(sent);
        let after = sent.flight_bytes();
        self.flight = self.flight + after - before;
        if sent.to_retransmit {
            self.marked.insert(key);
        } else {
            self.marked.remove(&key);
        }
        if sent.gap_acked {
            self.gap_acked.insert(key);
        } else {
            self.gap_acked.remove(&key);
        }
        Some(r)
    }

    /// Removes every chunk with a key at or below `key`.
    pub(crate) fn remove_through(&mut self, key: u64) -> Vec<Sent> {
        let next = key.saturating_add(1);
        let rest = self.chunks.split_off(&next);
        let done = std::mem::replace(&mut self.chunks, rest);
        self.marked = self.marked.split_off(&next);
        self.gap_acked = self.gap_acked.split_off(&next);
        let removed: Vec<Sent> = done.into_values().collect();
        for s in &removed {
            if s.in_flight() {
                self.flight -= s.len();
            }
        }
        removed
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Bytes of chunks marked for retransmission.
    pub(crate) fn marked_bytes(&self) -> usize {
        self.marked
            .iter()
            .filter_map(|k| self.chunks.get(k))
            .map(Sent::len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_into_fragments_with_b_and_e_bits() {
        // RFC 9260 §6.9: B on the first fragment, E on the last, one SSN.
        let mut q = SendQueue::new(4);
        q.push(StreamId(1), Ppid(53), false, Bytes::from(vec![7u8; 2500]));
        q.push(StreamId(1), Ppid(53), false, Bytes::from_static(b"x"));
        assert_eq!(q.buffered(), 2501);
        let mut frags = Vec::new();
        let mut tsn = Tsn(u32::MAX - 1);
        while let Some(c) = q.next_fragment(tsn, 1000) {
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
        q.push(StreamId(0), Ppid(51), true, Bytes::from_static(b"a"));
        q.push(StreamId(0), Ppid(51), false, Bytes::from_static(b"b"));
        let a = q.next_fragment(Tsn(1), 100).unwrap();
        let b = q.next_fragment(Tsn(2), 100).unwrap();
        assert!(a.unordered && !b.unordered);
        assert_eq!(b.ssn, Ssn(0), "the ordered message is the stream's first");
    }

    #[test]
    fn the_flight_size_follows_acks_and_retransmission_marks() {
        #[allow(clippy::disallowed_methods)] // an epoch for the test
        let now = Instant::now();
        let mut f = InFlight::default();
        let mut q = SendQueue::new(1);
        q.push(StreamId(0), Ppid(0), false, Bytes::from(vec![0u8; 300]));
        for i in 0..3u64 {
            let c = q.next_fragment(Tsn(i as u32), 100).unwrap();
            f.insert(i, Sent::new(c, now));
        }
        assert_eq!(f.flight, 300);
        f.update(1, |s| s.gap_acked = true);
        assert_eq!(f.flight, 200);
        f.update(2, |s| s.to_retransmit = true);
        assert_eq!(f.flight, 100);
        let removed = f.remove_through(1);
        assert_eq!(removed.len(), 2);
        assert_eq!(f.flight, 0);
        assert!(!f.is_empty());
    }
}

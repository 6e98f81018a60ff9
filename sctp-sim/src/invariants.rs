//! The invariant checker: every message is built so that the receiver can
//! tell which one it is and whether a byte changed, and every delivery is
//! checked against what was sent — exactly once, byte for byte, on its
//! stream, in order on an ordered stream.
//!
//! A payload is its id (8 bytes, little-endian), the id of the request it
//! answers (8 bytes, `u64::MAX` for none) and a body of little-endian
//! words, word `i` being `key + i · STEP`, where the message's key mixes
//! its id with the direction's salt. Keys of one direction never repeat
//! (the mix is a bijection) and the words of one body never repeat (the
//! step is odd): a changed byte, another message's bytes in the same
//! place, or a body shifted by whole words always differ from the
//! pattern, and bytes from anywhere else all but certainly (two words of
//! different messages match with probability 2^-64); a duplicate carries
//! an id already delivered. Words make the pattern cheap: one addition
//! per 8 bytes to build or check it.

use crate::rng::splitmix64;
use crate::workload::{Planned, Reliability, HEADER_LEN};
use crate::Side;
use bytes::{Bytes, BytesMut};
use sctp_core::CloseReason;
use std::fmt;

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    /// A payload too short to carry a message header, or naming an id
    /// never sent.
    UnknownMessage {
        /// The id read from the payload, if any.
        id: Option<u64>,
        /// Payload length.
        len: usize,
    },
    /// A message delivered a second time.
    Duplicate {
        /// Message id.
        id: u64,
    },
    /// A message whose bytes differ from what was sent.
    Corrupted {
        /// Message id.
        id: u64,
        /// First differing byte, or the length when lengths differ.
        offset: usize,
    },
    /// A message delivered on another stream, or with another ordering
    /// flag, than it was sent with.
    WrongStream {
        /// Message id.
        id: u64,
        /// (stream, unordered) sent.
        sent: (u16, bool),
        /// (stream, unordered) received.
        received: (u16, bool),
    },
    /// An ordered message delivered before an earlier one of its stream.
    OutOfOrder {
        /// Message id.
        id: u64,
        /// Stream.
        stream: u16,
        /// Its position among the stream's ordered messages.
        position: u64,
        /// The position expected next.
        expected: u64,
    },
    /// A message accepted by `send` and never delivered, on an association
    /// that was not aborted.
    Undelivered {
        /// Message id.
        id: u64,
        /// When it was sent, ns.
        sent_at: u64,
        /// Messages of the direction undelivered in all.
        missing: u64,
    },
    /// More partially reliable messages missing than the sender reports
    /// having given up (RFC 3758): some were lost, not abandoned.
    LostNotAbandoned {
        /// The sending side.
        side: Side,
        /// Partially reliable messages never delivered.
        missing: u64,
        /// Messages the sender gave up.
        abandoned: u64,
    },
    /// An association closed for a reason the scenario did not script.
    UnexpectedClose {
        /// Whose association.
        side: Side,
        /// Why it closed.
        reason: CloseReason,
    },
    /// The peer restarted, though nothing in the simulation restarts.
    UnexpectedRestart {
        /// Whose association saw it.
        side: Side,
    },
    /// The association refused a message the scenario was checked to allow.
    SendRefused {
        /// The sender.
        side: Side,
        /// `SendError` as text.
        error: String,
    },
    /// Corrupted packets delivered and packets the association dropped as
    /// malformed differ: a flipped bit got past the CRC32c, or a valid
    /// packet was refused.
    CorruptionMiscounted {
        /// The receiver.
        side: Side,
        /// Corrupted copies delivered to it.
        corrupted: u64,
        /// Packets it counted as malformed.
        malformed: u64,
    },
    /// The scenario's time ran out before the flow finished.
    Unfinished {
        /// What was left.
        detail: String,
    },
}

/// A broken invariant: the first one stops the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Virtual time, ns.
    pub at: u64,
    /// Flow name.
    pub flow: String,
    /// The sending side of the direction concerned, if one.
    pub from: Option<Side>,
    /// What.
    pub kind: ViolationKind,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {:.6} s, flow `{}`", self.at as f64 / 1e9, self.flow)?;
        if let Some(from) = self.from {
            write!(f, ", {from} → {}", from.peer())?;
        }
        f.write_str(": ")?;
        match &self.kind {
            ViolationKind::UnknownMessage { id: Some(id), len } => {
                write!(f, "received {len} B naming message {id}, which was never sent")
            }
            ViolationKind::UnknownMessage { id: None, len } => {
                write!(f, "received {len} B, too short for a message header")
            }
            ViolationKind::Duplicate { id } => write!(f, "message {id} delivered twice"),
            ViolationKind::Corrupted { id, offset } => {
                write!(f, "message {id} differs from what was sent at byte {offset}")
            }
            ViolationKind::WrongStream { id, sent, received } => write!(
                f,
                "message {id} sent on stream {} (unordered: {}) arrived on stream {} (unordered: {})",
                sent.0, sent.1, received.0, received.1
            ),
            ViolationKind::OutOfOrder {
                id,
                stream,
                position,
                expected,
            } => write!(
                f,
                "ordered message {id}, number {position} of stream {stream}, delivered while number {expected} was expected"
            ),
            ViolationKind::Undelivered {
                id,
                sent_at,
                missing,
            } => write!(
                f,
                "message {id} sent at {:.6} s was never delivered ({missing} undelivered in all)",
                *sent_at as f64 / 1e9
            ),
            ViolationKind::LostNotAbandoned {
                side,
                missing,
                abandoned,
            } => write!(
                f,
                "{missing} partially reliable messages from the {side} never arrived, \
                 but it gave up only {abandoned}"
            ),
            ViolationKind::UnexpectedClose { side, reason } => {
                write!(f, "the {side}'s association closed unexpectedly: {reason}")
            }
            ViolationKind::UnexpectedRestart { side } => {
                write!(f, "the {side}'s association reported a peer restart")
            }
            ViolationKind::SendRefused { side, error } => {
                write!(f, "the {side}'s association refused a message: {error}")
            }
            ViolationKind::CorruptionMiscounted {
                side,
                corrupted,
                malformed,
            } => write!(
                f,
                "{corrupted} corrupted packets reached the {side}, which dropped {malformed} as malformed"
            ),
            ViolationKind::Unfinished { detail } => {
                write!(f, "not finished when the scenario ended: {detail}")
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Sent {
    sent_at: u64,
    len: u32,
    stream: u16,
    unordered: bool,
    delivered: bool,
    reply_to: Option<u64>,
    /// Position among the ordered messages of its stream.
    position: u64,
    /// Sent reliably: it must arrive. A partially reliable one (RFC 3758)
    /// may be given up, but never arrive damaged or out of order.
    reliable: bool,
}

/// What the checker learnt from a valid delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// Message id.
    pub id: u64,
    /// The request it answers.
    pub reply_to: Option<u64>,
    /// Send-to-delivery latency, ns.
    pub latency: u64,
}

/// The checker of one direction of one flow.
#[derive(Debug)]
pub struct DirectionChecker {
    salt: u64,
    sent: Vec<Sent>,
    /// Ordered messages sent per stream.
    ordered_sent: Vec<u64>,
    /// The id of each ordered message of a stream, by position.
    ordered_ids: Vec<Vec<u64>>,
    /// Ordered messages delivered per stream.
    ordered_delivered: Vec<u64>,
    delivered: u64,
    delivered_bytes: u64,
    first_sent_at: Option<u64>,
    last_delivered_at: Option<u64>,
    latencies_us: Vec<u32>,
    /// What payloads are cut from.
    arena: BytesMut,
}

impl DirectionChecker {
    /// A checker whose payload patterns depend on `salt`.
    pub fn new(salt: u64) -> Self {
        DirectionChecker {
            salt,
            sent: Vec::new(),
            ordered_sent: Vec::new(),
            ordered_ids: Vec::new(),
            ordered_delivered: Vec::new(),
            delivered: 0,
            delivered_bytes: 0,
            first_sent_at: None,
            last_delivered_at: None,
            latencies_us: Vec::new(),
            arena: BytesMut::new(),
        }
    }

    /// The id the next message sent will have.
    pub fn next_id(&self) -> u64 {
        self.sent.len() as u64
    }

    /// The first word of message `id`'s body pattern.
    fn key(&self, id: u64) -> u64 {
        splitmix64(self.salt ^ id)
    }

    /// The payload of message `id` as planned. Payloads are cut one after
    /// the other from shared blocks: one allocation serves many messages,
    /// and a clone only counts a reference.
    pub fn payload(&mut self, id: u64, planned: &Planned) -> Bytes {
        let len = planned.len.max(HEADER_LEN);
        if self.arena.capacity() < len {
            self.arena = BytesMut::with_capacity(len.max(ARENA_BLOCK));
        }
        self.arena.resize(len, 0);
        write_header(&mut self.arena, id, planned.reply_to);
        fill_body(self.key(id), &mut self.arena[HEADER_LEN..]);
        self.arena.split().freeze()
    }

    /// The first byte of `payload` that differs from message `id`'s, if any
    /// (the length when one is a prefix of the other).
    fn first_difference(
        &self,
        id: u64,
        reply_to: Option<u64>,
        len: usize,
        payload: &[u8],
    ) -> Option<usize> {
        let mut header = [0u8; HEADER_LEN];
        write_header(&mut header, id, reply_to);
        if payload.len() == len
            && payload[..HEADER_LEN] == header
            && body_matches(self.key(id), &payload[HEADER_LEN..])
        {
            return None;
        }
        // Rare: build the expected payload to tell where it differs.
        let mut want = vec![0u8; len];
        write_header(&mut want, id, reply_to);
        fill_body(self.key(id), &mut want[HEADER_LEN..]);
        let common = payload.len().min(len);
        payload
            .iter()
            .zip(&want)
            .position(|(a, b)| a != b)
            .or((payload.len() != len).then_some(common))
    }

    /// Records that message `next_id()` was accepted by `send` at `now`.
    pub fn on_sent(&mut self, now: u64, planned: &Planned) {
        let s = usize::from(planned.stream);
        if self.ordered_sent.len() <= s {
            self.ordered_sent.resize(s + 1, 0);
            self.ordered_delivered.resize(s + 1, 0);
            self.ordered_ids.resize(s + 1, Vec::new());
        }
        let position = self.ordered_sent[s];
        if !planned.unordered {
            self.ordered_sent[s] += 1;
            self.ordered_ids[s].push(self.sent.len() as u64);
        }
        self.first_sent_at.get_or_insert(now);
        self.sent.push(Sent {
            sent_at: now,
            len: planned.len.max(HEADER_LEN) as u32,
            stream: planned.stream,
            unordered: planned.unordered,
            delivered: false,
            reply_to: planned.reply_to,
            position,
            reliable: planned.reliability == Reliability::Reliable,
        });
    }

    /// Checks one delivered message.
    pub fn on_delivered(
        &mut self,
        now: u64,
        stream: u16,
        unordered: bool,
        payload: &Bytes,
    ) -> Result<Delivered, ViolationKind> {
        let len = payload.len();
        let Some(header) = payload.get(..HEADER_LEN) else {
            return Err(ViolationKind::UnknownMessage { id: None, len });
        };
        let mut id_bytes = [0u8; 8];
        id_bytes.copy_from_slice(&header[..8]);
        let id = u64::from_le_bytes(id_bytes);
        let Some(sent) = usize::try_from(id)
            .ok()
            .and_then(|i| self.sent.get(i))
            .copied()
        else {
            return Err(ViolationKind::UnknownMessage { id: Some(id), len });
        };
        if sent.delivered {
            return Err(ViolationKind::Duplicate { id });
        }
        if (sent.stream, sent.unordered) != (stream, unordered) {
            return Err(ViolationKind::WrongStream {
                id,
                sent: (sent.stream, sent.unordered),
                received: (stream, unordered),
            });
        }
        if let Some(offset) = self.first_difference(id, sent.reply_to, sent.len as usize, payload) {
            return Err(ViolationKind::Corrupted { id, offset });
        }
        if !unordered {
            let s = usize::from(stream);
            let expected = self.ordered_delivered[s];
            // Ordered messages come in sequence; only partially reliable
            // ones may be missing from it, given up by the sender
            // (RFC 3758 §3.6: the receiver skips their SSNs).
            let skipped_reliable = (expected..sent.position).any(|p| {
                self.ordered_ids[s]
                    .get(p as usize)
                    .and_then(|&i| self.sent.get(i as usize))
                    .is_none_or(|m| m.reliable)
            });
            if sent.position < expected || skipped_reliable {
                return Err(ViolationKind::OutOfOrder {
                    id,
                    stream,
                    position: sent.position,
                    expected,
                });
            }
            self.ordered_delivered[s] = sent.position + 1;
        }
        if let Some(entry) = self.sent.get_mut(id as usize) {
            entry.delivered = true;
        }
        self.delivered += 1;
        self.delivered_bytes += len as u64;
        self.last_delivered_at = Some(now);
        let latency = now.saturating_sub(sent.sent_at);
        self.latencies_us
            .push(u32::try_from(latency / 1000).unwrap_or(u32::MAX));
        Ok(Delivered {
            id,
            reply_to: sent.reply_to,
            latency,
        })
    }

    /// Messages sent.
    pub fn sent(&self) -> u64 {
        self.sent.len() as u64
    }

    /// Messages delivered.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// User bytes delivered.
    pub fn delivered_bytes(&self) -> u64 {
        self.delivered_bytes
    }

    /// When the first message was sent, ns.
    pub fn first_sent_at(&self) -> Option<u64> {
        self.first_sent_at
    }

    /// When the last message was delivered, ns.
    pub fn last_delivered_at(&self) -> Option<u64> {
        self.last_delivered_at
    }

    /// Whether every message sent reliably was delivered.
    pub fn all_delivered(&self) -> bool {
        self.sent.iter().all(|s| s.delivered || !s.reliable)
    }

    /// Partially reliable messages not delivered: given up by the sender.
    pub fn abandoned(&self) -> u64 {
        self.sent
            .iter()
            .filter(|s| !s.delivered && !s.reliable)
            .count() as u64
    }

    /// Send-to-delivery latencies, µs, in delivery order.
    pub fn latencies_us(&self) -> &[u32] {
        &self.latencies_us
    }

    /// The first message never delivered, as a violation.
    pub fn first_undelivered(&self) -> Option<ViolationKind> {
        let missing = self.sent.len() as u64 - self.delivered - self.abandoned();
        let (id, s) = self
            .sent
            .iter()
            .enumerate()
            .find(|(_, s)| !s.delivered && s.reliable)?;
        Some(ViolationKind::Undelivered {
            id: id as u64,
            sent_at: s.sent_at,
            missing,
        })
    }
}

/// The size of the blocks payloads are cut from (a larger message gets a
/// block of its own). A block is freed when its last message is.
const ARENA_BLOCK: usize = 64 * 1024;

/// The odd step between the words of a body pattern (2^64 / φ).
const STEP: u64 = 0x9e37_79b9_7f4a_7c15;

/// Writes a payload's header: its id and the id it answers.
fn write_header(payload: &mut [u8], id: u64, reply_to: Option<u64>) {
    payload[..8].copy_from_slice(&id.to_le_bytes());
    payload[8..HEADER_LEN].copy_from_slice(&reply_to.unwrap_or(u64::MAX).to_le_bytes());
}

/// Fills `body` with the pattern starting at `key`; a last partial word
/// is cut short.
fn fill_body(key: u64, body: &mut [u8]) {
    let mut word = key;
    let mut words = body.chunks_exact_mut(8);
    for chunk in &mut words {
        chunk.copy_from_slice(&word.to_le_bytes());
        word = word.wrapping_add(STEP);
    }
    let tail = words.into_remainder();
    tail.copy_from_slice(&word.to_le_bytes()[..tail.len()]);
}

/// Whether `body` is the pattern starting at `key`, every byte of it. No
/// early exit: the loop folds the differences of all words, so it runs
/// without branches, several words at a time.
fn body_matches(key: u64, body: &[u8]) -> bool {
    let mut word = key;
    let mut differ = 0;
    let mut words = body.chunks_exact(8);
    for chunk in &mut words {
        let mut got = [0u8; 8];
        got.copy_from_slice(chunk);
        differ |= u64::from_le_bytes(got) ^ word;
        word = word.wrapping_add(STEP);
    }
    let tail = words.remainder();
    differ == 0 && *tail == word.to_le_bytes()[..tail.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(stream: u16, unordered: bool, len: usize) -> Planned {
        Planned {
            stream,
            unordered,
            len,
            reply_to: None,
            reliability: Reliability::Reliable,
        }
    }

    fn send(c: &mut DirectionChecker, p: Planned) -> Bytes {
        let payload = c.payload(c.next_id(), &p);
        c.on_sent(0, &p);
        payload
    }

    #[test]
    fn exact_once_in_order_delivery_passes() {
        let mut c = DirectionChecker::new(1);
        let a = send(&mut c, planned(0, false, 100));
        let b = send(&mut c, planned(0, false, 16));
        assert_eq!(a.len(), 100);
        assert_eq!(c.on_delivered(5, 0, false, &a).map(|d| d.id), Ok(0));
        assert_eq!(c.on_delivered(7, 0, false, &b).map(|d| d.latency), Ok(7));
        assert!(c.all_delivered());
        assert_eq!(c.first_undelivered(), None);
    }

    #[test]
    fn every_kind_of_bad_delivery_is_caught() {
        let mut c = DirectionChecker::new(2);
        let a = send(&mut c, planned(3, false, 64));
        let b = send(&mut c, planned(3, false, 64));
        let u = send(&mut c, planned(1, true, 40));
        assert!(matches!(
            c.on_delivered(0, 3, false, &b),
            Err(ViolationKind::OutOfOrder {
                position: 1,
                expected: 0,
                ..
            })
        ));
        assert!(matches!(
            c.on_delivered(0, 2, false, &a),
            Err(ViolationKind::WrongStream { .. })
        ));
        let mut flipped = BytesMut::from(&a[..]);
        flipped[40] ^= 4;
        assert_eq!(
            c.on_delivered(0, 3, false, &flipped.freeze()),
            Err(ViolationKind::Corrupted { id: 0, offset: 40 })
        );
        assert_eq!(
            c.on_delivered(0, 3, false, &a.slice(..63)),
            Err(ViolationKind::Corrupted { id: 0, offset: 63 })
        );
        // Unordered messages may overtake ordered ones.
        assert!(c.on_delivered(0, 1, true, &u).is_ok());
        assert_eq!(
            c.on_delivered(0, 1, true, &u),
            Err(ViolationKind::Duplicate { id: 2 })
        );
        assert!(matches!(
            c.on_delivered(0, 0, false, &Bytes::from_static(b"short")),
            Err(ViolationKind::UnknownMessage { id: None, len: 5 })
        ));
        assert!(matches!(
            c.first_undelivered(),
            Some(ViolationKind::Undelivered {
                id: 0,
                missing: 2,
                ..
            })
        ));
    }

    #[test]
    fn every_flipped_bit_is_caught_where_it_is() {
        let mut c = DirectionChecker::new(3);
        let a = send(&mut c, planned(0, false, 45));
        for offset in 0..a.len() {
            for bit in 0..8 {
                let mut flipped = BytesMut::from(&a[..]);
                flipped[offset] ^= 1 << bit;
                let got = c.on_delivered(0, 0, false, &flipped.freeze());
                let want = if offset < 8 {
                    // Another id, never sent.
                    ViolationKind::UnknownMessage {
                        id: Some(1 << (8 * offset + bit)),
                        len: a.len(),
                    }
                } else {
                    ViolationKind::Corrupted { id: 0, offset }
                };
                assert_eq!(got, Err(want), "byte {offset} bit {bit}");
            }
        }
        assert!(c.on_delivered(0, 0, false, &a).is_ok());
    }

    #[test]
    fn bytes_of_another_message_or_another_offset_are_caught() {
        let mut c = DirectionChecker::new(4);
        let a = send(&mut c, planned(0, false, 64));
        let b = send(&mut c, planned(0, false, 64));
        // Message 1's body behind message 0's header.
        let mut swapped = BytesMut::from(&a[..HEADER_LEN]);
        swapped.extend_from_slice(&b[HEADER_LEN..]);
        assert_eq!(
            c.on_delivered(0, 0, false, &swapped.freeze()),
            Err(ViolationKind::Corrupted {
                id: 0,
                offset: HEADER_LEN
            })
        );
        // One fragment of message 1 in the middle of message 0.
        let mut patched = BytesMut::from(&a[..]);
        patched[32..48].copy_from_slice(&b[32..48]);
        assert!(matches!(
            c.on_delivered(0, 0, false, &patched.freeze()),
            Err(ViolationKind::Corrupted { id: 0, offset }) if (32..48).contains(&offset)
        ));
        // Message 0's body moved by one word, or by one byte.
        for shift in [8, 1] {
            let mut moved = BytesMut::from(&a[..HEADER_LEN]);
            moved.extend_from_slice(&a[HEADER_LEN + shift..]);
            moved.extend_from_slice(&a[a.len() - shift..]);
            assert!(
                matches!(
                    c.on_delivered(0, 0, false, &moved.freeze()),
                    Err(ViolationKind::Corrupted { id: 0, .. })
                ),
                "shift by {shift}"
            );
        }
        assert!(c.on_delivered(0, 0, false, &a).is_ok());
        assert!(c.on_delivered(0, 0, false, &b).is_ok());
    }

    #[test]
    fn no_word_of_the_pattern_repeats_within_a_direction() {
        // Any aligned word out of place, within a message or across
        // messages, differs from the word expected there.
        let c = DirectionChecker::new(5);
        let mut seen = std::collections::HashSet::new();
        for id in 0..300 {
            let mut body = vec![0u8; 8 * 512];
            fill_body(c.key(id), &mut body);
            for chunk in body.chunks_exact(8) {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                assert!(seen.insert(word), "message {id} repeats a word");
            }
        }
    }
}

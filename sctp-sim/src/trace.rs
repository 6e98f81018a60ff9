//! The run's trace: every packet sent, delivered or dropped, every
//! timeout and every association event, folded into one 64-bit hash (the
//! proof that a run repeats bit for bit), with the last records kept to
//! explain a failure.

use crate::link::DropReason;
use crate::rng::splitmix64;
use crate::Side;
use sctp_core::Event;
use std::fmt;

/// How many of the latest records a trace keeps.
pub const KEPT_RECORDS: usize = 32;

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A packet of `len` bytes left `from`'s association.
    Sent {
        /// Sender.
        from: Side,
        /// Bytes.
        len: usize,
    },
    /// A packet reached `to`'s association.
    Delivered {
        /// Receiver.
        to: Side,
        /// Bytes.
        len: usize,
        /// The packet's CRC32c (see [`packet_crc`]).
        crc: u32,
    },
    /// The link dropped a packet sent by `from`.
    Dropped {
        /// Sender.
        from: Side,
        /// Bytes.
        len: usize,
        /// Why.
        reason: DropReason,
    },
    /// `side`'s timers ran.
    Timeout {
        /// Whose.
        side: Side,
    },
    /// `side`'s association reported an event.
    Event {
        /// Whose.
        side: Side,
        /// The event.
        event: Event,
    },
}

/// One trace record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    /// Virtual time, ns since the start.
    pub at: u64,
    /// Index of the flow (association pair).
    pub flow: usize,
    /// What happened.
    pub kind: TraceKind,
}

impl fmt::Display for TraceRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>12.6} s  flow {}  ", self.at as f64 / 1e9, self.flow)?;
        match &self.kind {
            TraceKind::Sent { from, len } => write!(f, "{from} sent {len} B"),
            TraceKind::Delivered { to, len, crc } => {
                write!(f, "{to} received {len} B (crc {crc:08x})")
            }
            TraceKind::Dropped { from, len, reason } => {
                write!(f, "{len} B from {from} dropped: {reason}")
            }
            TraceKind::Timeout { side } => write!(f, "{side} timers ran"),
            TraceKind::Event { side, event } => write!(f, "{side} event {event:?}"),
        }
    }
}

/// The CRC32c of an SCTP packet, its checksum field taken as zero (RFC
/// 9260 §6.8). A packet the link left intact carries it in that field:
/// the receiver checks it, and a packet it drops as malformed that the
/// link did not corrupt fails the run (`CorruptionMiscounted`), so the
/// field is read rather than computed again. A corrupted copy, or a
/// packet sent with a zero checksum (RFC 9653), is summed.
pub fn packet_crc(packet: &[u8], corrupted: bool) -> u32 {
    let Some(field) = packet.get(8..12) else {
        return crc32c::crc32c(packet);
    };
    let mut sent = [0u8; 4];
    sent.copy_from_slice(field);
    let sent = u32::from_le_bytes(sent);
    if sent != 0 && !corrupted {
        return sent;
    }
    let crc = crc32c::crc32c(&packet[..8]);
    let crc = crc32c::crc32c_append(crc, &[0; 4]);
    crc32c::crc32c_append(crc, &packet[12..])
}

/// What kind of event, as a number for the hash.
fn event_tag(event: &Event) -> u64 {
    match event {
        Event::Connected => 1,
        Event::Readable => 2,
        Event::PeerRestarted => 3,
        Event::Closed(_) => 4,
        Event::IncomingStreamsReset(_)
        | Event::OutgoingStreamsReset(_)
        | Event::OutgoingStreamsResetFailed { .. } => 5,
        Event::BufferedAmountLow(_) => 6,
        // Events added to sctp-core later still count.
        _ => 7,
    }
}

/// The running hash and the latest records.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    hash: u64,
    records: u64,
    /// The latest records, the oldest at `records % KEPT_RECORDS` once
    /// full: each record overwrites the oldest in place.
    latest: Vec<TraceRecord>,
}

impl Trace {
    /// An empty trace.
    pub fn new() -> Self {
        Trace::default()
    }

    fn mix(&mut self, word: u64) {
        self.hash = splitmix64(self.hash ^ word);
    }

    /// Adds a record: its time, then what and whose in one word, then its
    /// numbers in one word (three mixes for a packet).
    pub fn record(&mut self, at: u64, flow: usize, kind: TraceKind) {
        let (tag, side, numbers) = match &kind {
            TraceKind::Sent { from, len } => (1, *from, *len as u64),
            TraceKind::Delivered { to, len, crc } => {
                (2, *to, *len as u64 ^ (u64::from(*crc) << 32))
            }
            TraceKind::Dropped { from, len, reason } => {
                (3, *from, *len as u64 ^ ((*reason as u64) << 32))
            }
            TraceKind::Timeout { side } => (4, *side, 0),
            TraceKind::Event { side, event } => (5, *side, event_tag(event)),
        };
        self.mix(at);
        self.mix(((flow as u64) << 16) | (tag << 8) | side as u64);
        self.mix(numbers);
        if let TraceKind::Event { event, .. } = &kind {
            match event {
                Event::Closed(reason) => {
                    for b in reason.to_string().bytes() {
                        self.mix(u64::from(b));
                    }
                }
                Event::IncomingStreamsReset(streams)
                | Event::OutgoingStreamsReset(streams)
                | Event::OutgoingStreamsResetFailed { streams, .. } => {
                    for &s in streams {
                        self.mix(u64::from(s));
                    }
                }
                Event::BufferedAmountLow(stream) => self.mix(u64::from(*stream)),
                _ => {}
            }
        }
        let record = TraceRecord { at, flow, kind };
        let slot = (self.records % KEPT_RECORDS as u64) as usize;
        match self.latest.get_mut(slot) {
            Some(oldest) => *oldest = record,
            None => self.latest.push(record),
        }
        self.records += 1;
    }

    /// The hash of everything recorded.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// How many records were added.
    pub fn len(&self) -> u64 {
        self.records
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The latest records, oldest first.
    pub fn latest(&self) -> Vec<TraceRecord> {
        let oldest = (self.records % KEPT_RECORDS as u64) as usize;
        let (newer, older) = self.latest.split_at(oldest.min(self.latest.len()));
        older.iter().chain(newer).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of(at: u64, flow: usize, kind: TraceKind) -> u64 {
        let mut t = Trace::new();
        t.record(at, flow, kind);
        t.hash()
    }

    #[test]
    fn a_packets_crc_is_its_checksum_field_or_computed_when_it_cannot_be_trusted() {
        let mut packet = vec![0u8; 64];
        for (i, b) in packet.iter_mut().enumerate() {
            *b = i as u8;
        }
        packet[8..12].fill(0);
        let crc = crc32c::crc32c(&packet);
        // Sent with a zero checksum: computed.
        assert_eq!(packet_crc(&packet, false), crc);
        packet[8..12].copy_from_slice(&crc.to_le_bytes());
        // Intact: the field. Corrupted: computed from what arrived.
        assert_eq!(packet_crc(&packet, false), crc);
        packet[40] ^= 1;
        let mut flipped = packet.clone();
        flipped[8..12].fill(0);
        assert_eq!(packet_crc(&packet, true), crc32c::crc32c(&flipped));
        assert_ne!(packet_crc(&packet, true), crc);
        assert_eq!(packet_crc(&[1, 2, 3], true), crc32c::crc32c(&[1, 2, 3]));
    }

    #[test]
    fn the_latest_records_come_oldest_first() {
        let mut t = Trace::new();
        let times = |t: &Trace| t.latest().iter().map(|r| r.at).collect::<Vec<_>>();
        for at in 0..5 {
            t.record(at, 0, TraceKind::Timeout { side: Side::Client });
        }
        assert_eq!(times(&t), (0..5).collect::<Vec<_>>());
        for at in 5..40 {
            t.record(at, 0, TraceKind::Timeout { side: Side::Client });
        }
        assert_eq!(times(&t), (8..40).collect::<Vec<_>>());
        assert_eq!(t.len(), 40);
    }

    #[test]
    fn every_field_of_a_record_changes_the_hash() {
        let delivered = |to, len, crc| TraceKind::Delivered { to, len, crc };
        let hashes = [
            hash_of(1, 0, delivered(Side::Client, 100, 7)),
            hash_of(2, 0, delivered(Side::Client, 100, 7)),
            hash_of(1, 1, delivered(Side::Client, 100, 7)),
            hash_of(1, 0, delivered(Side::Server, 100, 7)),
            hash_of(1, 0, delivered(Side::Client, 101, 7)),
            hash_of(1, 0, delivered(Side::Client, 100, 8)),
            hash_of(
                1,
                0,
                TraceKind::Sent {
                    from: Side::Client,
                    len: 100,
                },
            ),
            hash_of(
                1,
                0,
                TraceKind::Dropped {
                    from: Side::Client,
                    len: 100,
                    reason: DropReason::Loss,
                },
            ),
            hash_of(
                1,
                0,
                TraceKind::Dropped {
                    from: Side::Client,
                    len: 100,
                    reason: DropReason::QueueFull,
                },
            ),
            hash_of(1, 0, TraceKind::Timeout { side: Side::Client }),
            hash_of(
                1,
                0,
                TraceKind::Event {
                    side: Side::Client,
                    event: Event::BufferedAmountLow(1),
                },
            ),
            hash_of(
                1,
                0,
                TraceKind::Event {
                    side: Side::Client,
                    event: Event::BufferedAmountLow(2),
                },
            ),
        ];
        let distinct: std::collections::HashSet<u64> = hashes.iter().copied().collect();
        assert_eq!(distinct.len(), hashes.len(), "{hashes:x?}");
    }
}

//! The run's trace: every packet sent, delivered or dropped, every
//! timeout and every association event, folded into one 64-bit hash (the
//! proof that a run repeats bit for bit), with the last records kept to
//! explain a failure.

use crate::link::DropReason;
use crate::rng::splitmix64;
use crate::Side;
use sctp_core::Event;
use std::collections::VecDeque;
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
        /// CRC32c of the bytes delivered.
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

/// The running hash and the latest records.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    hash: u64,
    records: u64,
    latest: VecDeque<TraceRecord>,
}

impl Trace {
    /// An empty trace.
    pub fn new() -> Self {
        Trace::default()
    }

    fn mix(&mut self, word: u64) {
        self.hash = splitmix64(self.hash ^ word);
    }

    /// Adds a record.
    pub fn record(&mut self, at: u64, flow: usize, kind: TraceKind) {
        self.mix(at);
        self.mix(flow as u64);
        match &kind {
            TraceKind::Sent { from, len } => {
                self.mix(1);
                self.mix(*from as u64);
                self.mix(*len as u64);
            }
            TraceKind::Delivered { to, len, crc } => {
                self.mix(2);
                self.mix(*to as u64);
                self.mix(*len as u64);
                self.mix(u64::from(*crc));
            }
            TraceKind::Dropped { from, len, reason } => {
                self.mix(3);
                self.mix(*from as u64);
                self.mix(*len as u64);
                self.mix(*reason as u64);
            }
            TraceKind::Timeout { side } => {
                self.mix(4);
                self.mix(*side as u64);
            }
            TraceKind::Event { side, event } => {
                self.mix(5);
                self.mix(*side as u64);
                match event {
                    Event::Connected => self.mix(1),
                    Event::Readable => self.mix(2),
                    Event::PeerRestarted => self.mix(3),
                    Event::Closed(reason) => {
                        self.mix(4);
                        for b in reason.to_string().bytes() {
                            self.mix(u64::from(b));
                        }
                    }
                    Event::IncomingStreamsReset(streams)
                    | Event::OutgoingStreamsReset(streams)
                    | Event::OutgoingStreamsResetFailed { streams, .. } => {
                        self.mix(5);
                        for &s in streams {
                            self.mix(u64::from(s));
                        }
                    }
                    Event::BufferedAmountLow(stream) => {
                        self.mix(6);
                        self.mix(u64::from(*stream));
                    }
                    // Events added to sctp-core later still count.
                    _ => self.mix(7),
                }
            }
        }
        self.records += 1;
        if self.latest.len() == KEPT_RECORDS {
            self.latest.pop_front();
        }
        self.latest.push_back(TraceRecord { at, flow, kind });
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
        self.latest.iter().cloned().collect()
    }
}

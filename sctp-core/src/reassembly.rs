//! Reassembly of received DATA chunks into user messages: fragments joined
//! by TSN and B/E bits (RFC 9260 §6.9), ordered delivery per stream by SSN
//! and unordered delivery as soon as complete (RFC 9260 §6.5, §6.6), and
//! the receiver's side of FORWARD TSN (RFC 3758 §3.6).
//!
//! ## Contract with the association
//!
//! The association hands [`Reassembly::insert`] only chunks its TSN tracker
//! has found new (not duplicates) and inside the receive window, and pulls
//! whole messages with [`Reassembly::pop_message`]. [`ReassemblyError`]
//! says what to do with a refused chunk: a [`ReassemblyError::BufferFull`]
//! chunk is dropped *without* being acknowledged so the peer retransmits it
//! later; any other refused chunk is acknowledged, counted and discarded
//! (see [`ReassemblyError::acknowledge_tsn`]).
//!
//! ## Structure and cost
//!
//! - Incomplete messages are kept as *runs*: maximal pieces of one message
//!   with consecutive TSNs, in a `BTreeMap` keyed by the TSN of their first
//!   fragment, unwrapped into a `u64` against a moving reference so the
//!   order survives the 2^32 wrap. A new fragment looks up at most its two
//!   neighbouring runs (O(log n); one arriving in order extends the last
//!   run, found without a search) and joins them smaller-into-larger, so
//!   reassembling a message of k fragments costs O(k log k) in any arrival
//!   order, never O(k²). No byte is copied: a complete message is handed
//!   out as its fragments' `Bytes`, slices of the datagrams they came in
//!   (see [`Payload`]).
//! - Complete ordered messages wait per stream in a `BTreeMap` keyed by the
//!   SSN unwrapped against the stream's next expected SSN (16-bit wrap);
//!   complete unordered messages go straight to the ready queue.
//! - An index (stream, unwrapped SSN, run) finds the fragments of ordered
//!   messages whose SSN has been delivered or skipped, in O(log n).
//! - Every byte held (fragments, waiting and ready messages) counts against
//!   the limit given to [`Reassembly::new`]; nothing is stored for a chunk
//!   without user data. The chunks held are counted too
//!   ([`Reassembly::held_chunks`]): the association bounds their number,
//!   as each costs bookkeeping besides its bytes, and a new run reserves
//!   list room in proportion to its first fragment, so memory stays
//!   proportional to the limit whatever the chunk sizes.
//!
//! ## When the buffer is full
//!
//! Popping messages releases their bytes at once, so the window reopens as
//! soon as the user reads. Two cases are left to the association:
//! - fragments and out-of-order messages can fill the buffer while the
//!   chunk that would complete them is refused; RFC 9260 §6.2 then has the
//!   receiver drop "the largest TSN held for reordering" (reneging) to take
//!   the gap-filling chunk, which needs the tracker's cooperation;
//! - fragments whose message can no longer complete (a predecessor was
//!   dropped as abandoned) are released when a cumulative TSN passed to
//!   [`Reassembly::drop_fragments_up_to`] reaches them. Passing the
//!   tracker's cumulative TSN after each packet is harmless: a run missing
//!   a TSN the tracker has received can never complete.

use crate::payload::Payload;
use crate::stream_hash::StreamIdHasher;
use bytes::Bytes;
use sctp_wire::{DataChunk, Fsn, Mid, Ppid, Ssn, StreamId, Tsn};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::BuildHasherDefault;
use std::mem;
use tracing::trace;

/// A whole user message, ready for the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Message {
    /// The stream it arrived on.
    pub(crate) stream_id: StreamId,
    /// The payload protocol identifier of its first fragment.
    pub(crate) ppid: Ppid,
    /// Sent with the U bit: delivered without regard to its SSN.
    pub(crate) unordered: bool,
    /// The user data: the payloads of its fragments, not copied.
    pub(crate) payload: Payload,
}

/// What held user data costs: its bytes, which count against the receive
/// buffer, and its chunks, each also costing a list slot and its share of
/// runs and map entries (which the association bounds by their number).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Held {
    pub(crate) bytes: usize,
    pub(crate) chunks: usize,
}

impl Held {
    /// One chunk of `len` bytes.
    #[inline]
    pub(crate) fn chunk(len: usize) -> Held {
        Held {
            bytes: len,
            chunks: 1,
        }
    }

    /// A message's user data, one chunk per fragment.
    #[inline]
    pub(crate) fn of(payload: &Payload) -> Held {
        let (bytes, chunks) = payload.len_and_fragments();
        Held { bytes, chunks }
    }
}

impl std::ops::Add for Held {
    type Output = Held;
    fn add(self, other: Held) -> Held {
        Held {
            bytes: self.bytes + other.bytes,
            chunks: self.chunks + other.chunks,
        }
    }
}

impl std::ops::AddAssign for Held {
    fn add_assign(&mut self, other: Held) {
        *self = *self + other;
    }
}

impl std::ops::SubAssign for Held {
    /// Saturating: a count that would go negative is a bug caught by the
    /// debug assertions where it is released, not a reason to wrap.
    fn sub_assign(&mut self, other: Held) {
        self.bytes = self.bytes.saturating_sub(other.bytes);
        self.chunks = self.chunks.saturating_sub(other.chunks);
    }
}

impl std::iter::Sum for Held {
    fn sum<I: Iterator<Item = Held>>(iter: I) -> Held {
        iter.fold(Held::default(), |a, b| a + b)
    }
}

/// Why [`Reassembly::insert`] (DATA) or
/// [`InterleavedReassembly::insert`](crate::interleaved::InterleavedReassembly::insert)
/// (I-DATA) refused a chunk. Nothing of a refused chunk is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReassemblyError {
    /// Keeping the chunk would take the buffer past its limit.
    ///
    /// RFC 9260 §6.2: the association drops the chunk *without*
    /// acknowledging it (neither in the cumulative TSN nor in a gap block),
    /// so the peer retransmits it when its T3-rtx timer expires; by then
    /// the user has popped messages and there is room again.
    #[error("receive buffer full: {len} bytes of user data, {available} available")]
    BufferFull {
        /// The chunk's user data length.
        len: usize,
        /// Bytes still free under the limit.
        available: usize,
    },
    /// A DATA chunk without user data (RFC 9260 §6.2), or an I-DATA chunk
    /// without (the same rule, for the chunk that takes DATA's place, RFC
    /// 8260 §2.1): the association answers with an ABORT carrying the "No
    /// User Data" cause.
    #[error("DATA chunk TSN {tsn} carries no user data")]
    NoUserData {
        /// The chunk's TSN.
        tsn: Tsn,
    },
    /// An ordered chunk whose SSN was already delivered or skipped on its
    /// stream (RFC 9260 §6.5, RFC 3758 §3.6): acknowledge, count, discard.
    #[error(
        "ordered DATA for stream {stream_id} SSN {ssn}, which is already delivered or skipped"
    )]
    StaleSsn {
        /// The chunk's stream.
        stream_id: StreamId,
        /// The chunk's SSN.
        ssn: Ssn,
    },
    /// A second ordered message with an SSN another complete message on the
    /// stream already has: the peer broke RFC 9260 §6.5. Acknowledge,
    /// count, discard (the fragments it completed are discarded too).
    #[error("a second ordered message for stream {stream_id} SSN {ssn}")]
    DuplicateSsn {
        /// The chunk's stream.
        stream_id: StreamId,
        /// The chunk's SSN.
        ssn: Ssn,
    },
    /// The TSN is already held, or at or below a cumulative TSN passed to
    /// [`Reassembly::drop_fragments_up_to`]: the tracker should have
    /// reported it as a duplicate.
    #[error("DATA chunk TSN {tsn} is already held or acknowledged")]
    DuplicateTsn {
        /// The chunk's TSN.
        tsn: Tsn,
    },
    /// A middle or last fragment that disagrees with the fragment beside
    /// it about the stream, the U bit or the SSN, though RFC 9260 §6.9 says
    /// they belong to one message: a protocol violation. For I-DATA
    /// (RFC 8260 §2.1): a fragment beyond its message's last one, a second
    /// last fragment, a last fragment below fragments already held, or a
    /// later fragment (B bit clear) with FSN 0.
    #[error("DATA chunk TSN {tsn} contradicts the fragments around it")]
    Mismatch {
        /// The chunk's TSN.
        tsn: Tsn,
    },
    /// An ordered I-DATA chunk whose MID was already delivered or skipped
    /// on its stream (RFC 8260 §2.1, §2.3.1): acknowledge, count, discard.
    #[error(
        "ordered I-DATA for stream {stream_id} MID {mid}, which is already delivered or skipped"
    )]
    StaleMid {
        /// The chunk's stream.
        stream_id: StreamId,
        /// The chunk's MID.
        mid: Mid,
    },
    /// An I-DATA fragment whose FSN its message already holds (or a
    /// fragment of a complete ordered message waiting for its turn): the
    /// tracker found the TSN new, so the peer sent one fragment under two
    /// TSNs. Acknowledge, count, discard.
    #[error("I-DATA for stream {stream_id} MID {mid} FSN {fsn}, which is already held")]
    DuplicateFsn {
        /// The chunk's stream.
        stream_id: StreamId,
        /// The chunk's MID.
        mid: Mid,
        /// The chunk's FSN (0 for a first fragment).
        fsn: Fsn,
    },
    /// A fragment of a message whose beginning was abandoned by FORWARD
    /// TSN (RFC 3758 §3.6): it can never be completed. Acknowledge,
    /// discard.
    #[error("DATA chunk TSN {tsn} belongs to an abandoned message")]
    Abandoned {
        /// The chunk's TSN.
        tsn: Tsn,
    },
}

impl ReassemblyError {
    /// Whether the association should still count the TSN as received in
    /// its SACKs. Only [`BufferFull`](Self::BufferFull) asks the peer to
    /// send the chunk again (RFC 9260 §6.2); every other refusal is final,
    /// and a retransmission would be refused the same way.
    pub(crate) fn acknowledge_tsn(&self) -> bool {
        !matches!(self, ReassemblyError::BufferFull { .. })
    }
}

/// Room for fragments reserved when a message's first one arrives: a
/// message of a few packets grows its list once or not at all.
const FIRST_FRAGMENTS: usize = 8;

/// The most room reserved from [`Reassembly::fragments_hint`]: 64
/// fragments, a 64 KiB message in 1200-byte packets (2 KiB of list).
const MAX_FRAGMENTS_HINT: u16 = 64;

/// Where the unwrapped TSN of the first chunk seen lands: far enough from 0
/// that TSNs up to 2^31 before it do not underflow.
const TSN_KEY_ORIGIN: u64 = 1 << 32;

/// Unwraps 32-bit TSNs into a `u64` that keeps their order across the 2^32
/// wrap (RFC 9260 §1.6), against the latest TSN seen. Exact while every TSN
/// asked about is within 2^31 of that reference, which the receive window
/// guarantees.
#[derive(Debug, Default)]
struct TsnKeys {
    /// The latest TSN seen and its key; `None` before the first.
    reference: Option<(Tsn, u64)>,
}

impl TsnKeys {
    /// The TSN of a key handed out by [`TsnKeys::key`].
    fn tsn(&self, key: u64) -> Tsn {
        let (last, last_key) = self.reference.unwrap_or((Tsn(0), TSN_KEY_ORIGIN));
        Tsn(last.0.wrapping_add(key.wrapping_sub(last_key) as u32))
    }

    fn key(&mut self, tsn: Tsn) -> u64 {
        let Some((last, last_key)) = self.reference else {
            self.reference = Some((tsn, TSN_KEY_ORIGIN));
            return TSN_KEY_ORIGIN;
        };
        let d = last.distance_to(tsn);
        let key = last_key.saturating_add_signed(i64::from(d));
        if d > 0 {
            self.reference = Some((tsn, key));
        }
        key
    }
}

/// A piece of one message: fragments with consecutive TSNs where only the
/// first may carry the B bit and only the last the E bit (RFC 9260 §6.9).
#[derive(Debug)]
struct Run {
    /// Unwrapped TSN of the last fragment (the first is the map key).
    end: u64,
    stream_id: StreamId,
    ssn: Ssn,
    /// The SSN unwrapped against its stream, for an ordered message;
    /// `None` for an unordered one.
    ssn_key: Option<u64>,
    /// PPID of the first fragment held.
    ppid: Ppid,
    /// The first fragment has the B bit.
    beginning: bool,
    /// The last fragment has the E bit.
    ending: bool,
    /// User data held: its bytes and fragments.
    held: Held,
    fragments: VecDeque<Bytes>,
}

impl Run {
    /// Whether a fragment with these fields can be part of this run's
    /// message: RFC 9260 §6.9 keeps the stream and SSN of a message in all
    /// its fragments, and §3.3.1 makes the SSN meaningless with the U bit.
    fn same_message(&self, stream_id: StreamId, unordered: bool, ssn: Ssn) -> bool {
        self.stream_id == stream_id
            && self.ssn_key.is_none() == unordered
            && (unordered || self.ssn == ssn)
    }

    /// This run followed by `later`, which starts at the TSN after its end.
    /// The shorter list of fragments moves into the longer, so a message
    /// assembled in any order moves each fragment O(log k) times.
    fn join(mut self, mut later: Run) -> Run {
        let fragments = if self.fragments.len() >= later.fragments.len() {
            self.fragments.append(&mut later.fragments);
            self.fragments
        } else {
            while let Some(f) = self.fragments.pop_back() {
                later.fragments.push_front(f);
            }
            later.fragments
        };
        Run {
            end: later.end,
            ending: later.ending,
            held: self.held + later.held,
            fragments,
            ..self
        }
    }

    /// The complete message, its fragments handed over as they are.
    fn into_message(self) -> Message {
        Message {
            stream_id: self.stream_id,
            ppid: self.ppid,
            unordered: self.ssn_key.is_none(),
            payload: Payload::from_fragments(self.fragments),
        }
    }
}

/// SSNs this far behind the next expected one count as already delivered;
/// anything else is ahead (see [`OrderedStream::key`]).
const STALE_SSN_WINDOW: u16 = 1024;

/// A complete ordered message waiting for the SSNs before it, and the
/// unwrapped TSNs it arrived in (RFC 9260 §6.2 reneging drops it by TSN).
#[derive(Debug)]
struct Waiting {
    message: Message,
    first: u64,
    last: u64,
}

/// Ordered delivery state of one inbound stream.
#[derive(Debug, Default)]
struct OrderedStream {
    /// The next SSN to deliver. RFC 9260 §6.5: SSNs start from 0.
    next_ssn: Ssn,
    /// `next_ssn` unwrapped: the number of SSNs delivered or skipped.
    next_key: u64,
    /// Complete messages waiting for the SSNs before them, by unwrapped SSN.
    waiting: BTreeMap<u64, Waiting>,
}

impl OrderedStream {
    /// The SSN unwrapped against the next expected one; `None` when it was
    /// delivered or skipped recently (up to [`STALE_SSN_WINDOW`] behind).
    /// RFC 9260 §6.5: after 65535 comes 0. A plain serial comparison (RFC
    /// 1982) would take an SSN more than 32767 ahead for one already
    /// delivered, and a sender with that many small messages queued past a
    /// lost one does exist: those messages would be acknowledged and then
    /// dropped. So only a short window behind counts as stale, and the
    /// rest of the number space as ahead.
    fn key(&self, ssn: Ssn) -> Option<u64> {
        let behind = self.next_ssn.0.wrapping_sub(ssn.0);
        if behind != 0 && behind <= STALE_SSN_WINDOW {
            return None;
        }
        let d = u64::from(ssn.0.wrapping_sub(self.next_ssn.0));
        Some(self.next_key.saturating_add(d))
    }
}

/// Turns DATA chunks into whole user messages (RFC 9260 §6.5, §6.6, §6.9).
///
/// See the module docs for the contract and the costs.
#[derive(Debug)]
pub(crate) struct Reassembly {
    /// The most bytes of user data held at once.
    limit: usize,
    /// User data held: fragments, waiting and ready messages.
    buffered: Held,
    tsn_keys: TsnKeys,
    /// The highest cumulative TSN passed to `drop_fragments_up_to`,
    /// unwrapped: no TSN at or below it is accepted again.
    floor: Option<u64>,
    /// Incomplete messages by the unwrapped TSN of their first fragment.
    runs: BTreeMap<u64, Run>,
    /// (stream, unwrapped SSN, run key) for each run of an ordered message.
    ordered_runs: BTreeSet<(StreamId, u64, u64)>,
    /// (unwrapped TSN of the first fragment, stream, unwrapped SSN) of each
    /// waiting ordered message, for reneging. The TSN comes first for the
    /// order; the rest keeps entries distinct even if a peer sent two
    /// messages with one TSN (the tracker drops such duplicates, and this
    /// does not rely on it).
    waiting_by_tsn: BTreeSet<(u64, StreamId, u64)>,
    /// Streams that have seen ordered data or a skip, created on first use.
    streams: HashMap<StreamId, OrderedStream, BuildHasherDefault<StreamIdHasher>>,
    /// Complete messages in delivery order.
    ready: VecDeque<Message>,
    /// Fragments of the last message completed from several (at most
    /// [`MAX_FRAGMENTS_HINT`]): room reserved for the next one's list, so a
    /// stream of equal large messages does not regrow it each time.
    fragments_hint: u16,
}

impl Reassembly {
    /// A reassembly holding at most `buffer_limit` bytes of user data.
    ///
    /// A message larger than `buffer_limit` can never be received: keep the
    /// maximum message size the peer is told about within it.
    ///
    /// It accepts any stream id: the association discards DATA for streams
    /// beyond the negotiated inbound count before calling
    /// [`insert`](Self::insert) (RFC 9260 §6.5), which also bounds the
    /// per-stream state kept here (at most 65 536 streams, a few dozen
    /// bytes each).
    pub(crate) fn new(buffer_limit: usize) -> Self {
        Reassembly {
            limit: buffer_limit,
            buffered: Held::default(),
            tsn_keys: TsnKeys::default(),
            floor: None,
            runs: BTreeMap::new(),
            ordered_runs: BTreeSet::new(),
            waiting_by_tsn: BTreeSet::new(),
            streams: HashMap::default(),
            ready: VecDeque::new(),
            fragments_hint: 0,
        }
    }

    /// Frees the spare capacity of queues left empty, for an idle
    /// association.
    pub(crate) fn shrink(&mut self) {
        if self.ready.is_empty() {
            self.ready = VecDeque::new();
        }
    }

    /// Bytes of user data held: fragments, and complete messages not yet
    /// popped. The advertised receiver window is the limit minus this
    /// (RFC 9260 §6.2.1).
    pub(crate) fn buffered_bytes(&self) -> usize {
        self.buffered.bytes
    }

    /// Chunks held: the fragments of everything [`Reassembly::buffered_bytes`]
    /// counts.
    pub(crate) fn held_chunks(&self) -> usize {
        self.buffered.chunks
    }

    /// Takes a DATA chunk the tracker found new and inside the window.
    ///
    /// On `Ok` the chunk is held (or its message is complete); on `Err`
    /// nothing of it is held, and the error says whether to acknowledge it.
    pub(crate) fn insert(&mut self, chunk: DataChunk) -> Result<(), ReassemblyError> {
        let DataChunk {
            tsn,
            stream_id,
            ssn,
            ppid,
            unordered,
            beginning,
            ending,
            mut payload,
            ..
        } = chunk;
        // RFC 9260 §6.2: "If an endpoint receives a DATA chunk with no user
        // data (i.e., the Length field is set to 16), it MUST send an ABORT".
        // Refusing it also keeps memory bounded by the bytes held.
        if payload.is_empty() {
            return Err(ReassemblyError::NoUserData { tsn });
        }
        let key = self.tsn_keys.key(tsn);
        if !beginning {
            if let Some(done) =
                self.extend_run(key, stream_id, unordered, ssn, ending, &mut payload)
            {
                return done;
            }
        }
        let held = self
            .runs
            .range(..=key)
            .next_back()
            .is_some_and(|(_, run)| run.end >= key);
        if held || self.floor.is_some_and(|floor| key <= floor) {
            return Err(ReassemblyError::DuplicateTsn { tsn });
        }
        // RFC 9260 §3.3.1: with the U bit "the receiver MUST ignore the
        // Stream Sequence Number"; otherwise it must come at or after the
        // next one to deliver (§6.6).
        let ssn_key = if unordered {
            None
        } else {
            let stream = self.streams.entry(stream_id).or_default();
            let Some(k) = stream.key(ssn) else {
                return Err(ReassemblyError::StaleSsn { stream_id, ssn });
            };
            if stream.waiting.contains_key(&k) {
                return Err(ReassemblyError::DuplicateSsn { stream_id, ssn });
            }
            Some(k)
        };

        // RFC 9260 §6.9: fragments of one message carry consecutive TSNs, B
        // on the first, E on the last. A fragment without B continues the
        // run ending just before it unless that run has E; one without E
        // is continued by the run just after it unless that run has B.
        let mut left = None;
        if !beginning {
            if let Some((&start, run)) = self.runs.range(..key).next_back() {
                if run.end.checked_add(1) == Some(key) && !run.ending {
                    if !run.same_message(stream_id, unordered, ssn) {
                        return Err(ReassemblyError::Mismatch { tsn });
                    }
                    left = Some(start);
                }
            }
        }
        let mut right = None;
        if !ending {
            if let Some(after) = key.checked_add(1) {
                if let Some(run) = self.runs.get(&after) {
                    if !run.beginning {
                        if !run.same_message(stream_id, unordered, ssn) {
                            return Err(ReassemblyError::Mismatch { tsn });
                        }
                        right = Some(after);
                    }
                }
            }
        }

        let len = payload.len();
        let available = self.limit.saturating_sub(self.buffered.bytes);
        if len > available {
            return Err(ReassemblyError::BufferFull { len, available });
        }
        self.buffered += Held::chunk(len);

        if beginning && ending {
            // An unfragmented message: its payload is handed out as is.
            let message = Message {
                stream_id,
                ppid,
                unordered,
                payload: Payload::from(payload),
            };
            return self.complete(message, ssn, ssn_key, (key, key));
        }

        let mut run = Run {
            end: key,
            stream_id,
            ssn,
            ssn_key,
            ppid,
            beginning,
            ending,
            held: Held::chunk(len),
            fragments: {
                // A first fragment: as many as the last message had. A run
                // begun after a loss gets the usual room. Never a list
                // more than 8 times the fragment's size (a message's first
                // fragment often fills only the end of a packet): the list
                // is not charged against the buffer, and a peer sending
                // 1-byte fragments must not make each reserve 64 slots.
                let room = if beginning {
                    usize::from(self.fragments_hint).max(FIRST_FRAGMENTS)
                } else {
                    FIRST_FRAGMENTS
                };
                let room = room.min((8 * len / mem::size_of::<Bytes>()).max(1));
                let mut fragments = VecDeque::with_capacity(room);
                fragments.push_back(payload);
                fragments
            },
        };
        let mut start = key;
        if let Some(earlier) = left.and_then(|s| self.detach_run(s).map(|r| (s, r))) {
            start = earlier.0;
            run = earlier.1.join(run);
        }
        if let Some(later) = right.and_then(|s| self.detach_run(s)) {
            run = run.join(later);
        }
        // RFC 3758 §3.6: the fragments before this run's start, down to the
        // message's B fragment, are at or below a cumulative TSN moved by
        // FORWARD TSN: the message was abandoned and can never complete.
        if !run.beginning
            && self
                .floor
                .is_some_and(|floor| start <= floor.saturating_add(1))
        {
            trace!(%tsn, "fragment of an abandoned message discarded");
            self.release(run.held);
            return Err(ReassemblyError::Abandoned { tsn });
        }
        if run.beginning && run.ending {
            let (ssn, ssn_key, end) = (run.ssn, run.ssn_key, run.end);
            return self.complete(run.into_message(), ssn, ssn_key, (start, end));
        }
        if let Some(k) = run.ssn_key {
            self.ordered_runs.insert((run.stream_id, k, start));
        }
        self.runs.insert(start, run);
        Ok(())
    }

    /// The common case, in O(log n) with no allocation: the chunk is the
    /// next fragment of a message held in order from its B fragment, and
    /// extends that run in place (RFC 9260 §6.9). `None` when the chunk is
    /// anything else, for the general path to handle.
    fn extend_run(
        &mut self,
        key: u64,
        stream_id: StreamId,
        unordered: bool,
        ssn: Ssn,
        ending: bool,
        payload: &mut Bytes,
    ) -> Option<Result<(), ReassemblyError>> {
        let len = payload.len();
        if self.floor.is_some_and(|floor| key <= floor)
            || len > self.limit.saturating_sub(self.buffered.bytes)
        {
            return None;
        }
        // In order, the fragment continues the last run, after which no
        // run starts: the map's last entry answers, without a search.
        let in_order = self
            .runs
            .last_key_value()
            .is_some_and(|(&start, run)| start < key && run.end.checked_add(1) == Some(key));
        let (start, run) = if in_order {
            let last = self.runs.last_entry()?;
            (*last.key(), last.into_mut())
        } else {
            // One walk down the map finds the run before this fragment and
            // any run starting at it or, for a fragment without E, just
            // after it.
            let mut near = self.runs.range_mut(..=key.checked_add(1)?);
            let (mut start, mut run) = near.next_back()?;
            if *start > key {
                if !ending {
                    return None;
                }
                (start, run) = near.next_back()?;
            }
            (*start, run)
        };
        if start == key
            || run.end.checked_add(1) != Some(key)
            || !run.beginning
            || run.ending
            || !run.same_message(stream_id, unordered, ssn)
        {
            return None;
        }
        // Completing an ordered message whose SSN another complete message
        // already holds is refused; the general path says so.
        if ending {
            if let Some(k) = run.ssn_key {
                let stream = self.streams.get(&stream_id)?;
                if stream.waiting.contains_key(&k) {
                    return None;
                }
            }
        }
        run.end = key;
        run.ending = ending;
        run.held += Held::chunk(len);
        // Taken, not cloned: no reference count to raise and drop again.
        // Nothing below returns `None`, so the caller never sees it empty.
        run.fragments.push_back(std::mem::take(payload));
        self.buffered += Held::chunk(len);
        if !ending {
            return Some(Ok(()));
        }
        let Some(run) = self.detach_run(start) else {
            return Some(Ok(()));
        };
        let (ssn, ssn_key) = (run.ssn, run.ssn_key);
        self.fragments_hint = u16::try_from(run.fragments.len())
            .unwrap_or(u16::MAX)
            .min(MAX_FRAGMENTS_HINT);
        Some(self.complete(run.into_message(), ssn, ssn_key, (start, key)))
    }

    /// RFC 6525 §5.2.2: the peer reset these incoming streams (all of them
    /// when the list is empty): their SSNs start again at 0. Every message
    /// sent before the reset has arrived by then; what is still held of
    /// theirs (nothing, from a peer that keeps the rules) is dropped.
    pub(crate) fn reset_incoming(&mut self, streams: &[StreamId]) {
        let reset: Vec<StreamId> = if streams.is_empty() {
            self.streams.keys().copied().collect()
        } else {
            streams.to_vec()
        };
        for stream_id in reset {
            let Some(stream) = self.streams.remove(&stream_id) else {
                continue;
            };
            for (k, waiting) in stream.waiting {
                self.waiting_by_tsn.remove(&(waiting.first, stream_id, k));
                self.release(Held::of(&waiting.message.payload));
            }
            let runs: Vec<u64> = self
                .ordered_runs
                .range((stream_id, 0, 0)..=(stream_id, u64::MAX, u64::MAX))
                .map(|&(_, _, start)| start)
                .collect();
            for start in runs {
                if let Some(run) = self.detach_run(start) {
                    self.release(run.held);
                }
            }
        }
    }

    /// RFC 9260 §6.2: with the buffer full and a chunk below the largest
    /// TSN held arriving, "the receiver SHOULD drop the largest TSN held
    /// for reordering and accept the new incoming DATA chunk". Drops whole
    /// units (the fragments of an incomplete message, or a complete
    /// ordered message waiting for an earlier SSN) from the highest TSN
    /// down, only units wholly above `above`, until `need` bytes are free
    /// or none is left. Messages ready for the user are never dropped.
    /// Returns the TSN ranges dropped, which the peer must send again.
    pub(crate) fn renege(&mut self, above: Tsn, need: usize) -> Vec<(Tsn, Tsn)> {
        let above = self.tsn_keys.key(above);
        let mut freed = 0;
        let mut dropped = Vec::new();
        while freed < need {
            let run = self.runs.last_key_value().map(|(&start, _)| start);
            let waiting = self.waiting_by_tsn.last().copied();
            let (first, last, held) = match (run, waiting) {
                (Some(r), w) if r > above && w.is_none_or(|(w, _, _)| r > w) => {
                    let Some(run) = self.detach_run(r) else { break };
                    (r, run.end, run.held)
                }
                (_, Some((w, stream_id, k))) if w > above => {
                    self.waiting_by_tsn.remove(&(w, stream_id, k));
                    let Some(waiting) = self
                        .streams
                        .get_mut(&stream_id)
                        .and_then(|s| s.waiting.remove(&k))
                    else {
                        break;
                    };
                    (w, waiting.last, Held::of(&waiting.message.payload))
                }
                _ => break,
            };
            self.release(held);
            freed += held.bytes;
            dropped.push((self.tsn_keys.tsn(first), self.tsn_keys.tsn(last)));
        }
        if !dropped.is_empty() {
            trace!(?dropped, freed, "reneged to take a gap-filling chunk");
        }
        dropped
    }

    /// The next message to hand to the user, if any: ordered messages of a
    /// stream in SSN order, unordered ones as soon as they are complete
    /// (RFC 9260 §6.6).
    pub(crate) fn pop_message(&mut self) -> Option<Message> {
        let message = self.ready.pop_front()?;
        self.release(Held::of(&message.payload));
        Some(message)
    }

    /// FORWARD TSN for an ordered stream (RFC 3758 §3.6): the peer abandoned
    /// the messages up to and including `ssn` on `stream_id`. Complete
    /// messages with those SSNs are made available at once, fragments of
    /// the others are dropped, and the messages after `ssn` that are now in
    /// order are delivered. A `ssn` already passed changes nothing.
    pub(crate) fn skip_ordered(&mut self, stream_id: StreamId, ssn: Ssn) {
        let stream = self.streams.entry(stream_id).or_default();
        let Some(k) = stream.key(ssn) else {
            return;
        };
        trace!(%stream_id, %ssn, "skipping ordered messages");
        // RFC 3758 §3.6: "immediately make available for delivery stream
        // sequence numbers earlier than or equal to the stream sequence
        // number listed inside the FORWARD TSN."
        let next_key = k.saturating_add(1);
        let later = stream.waiting.split_off(&next_key);
        let stranded = mem::replace(&mut stream.waiting, later);
        for (k, waiting) in stranded {
            self.waiting_by_tsn.remove(&(waiting.first, stream_id, k));
            self.ready.push_back(waiting.message);
        }
        stream.next_key = next_key;
        stream.next_ssn = ssn.next();
        self.deliver_in_order(stream_id);
    }

    /// FORWARD TSN moved the cumulative TSN to `cum_tsn` (RFC 3758 §3.6):
    /// "The receiver MUST remove any partially reassembled message, which is
    /// still missing one or more TSNs earlier than or equal to the new
    /// cumulative TSN point." Ordered or unordered alike; their bytes are
    /// released. TSNs at or below `cum_tsn` are refused from now on.
    pub(crate) fn drop_fragments_up_to(&mut self, cum_tsn: Tsn) {
        let key = self.tsn_keys.key(cum_tsn);
        let floor = self.floor.map_or(key, |f| f.max(key));
        self.floor = Some(floor);
        // Only runs starting at or below floor + 1 can miss a TSN at or
        // below the floor: their B fragment, or the one after their end.
        // All but the two around the floor go, so this costs O(log n) per
        // run dropped.
        let candidates: Vec<u64> = self
            .runs
            .range(..=floor.saturating_add(1))
            .map(|(&start, _)| start)
            .collect();
        for start in candidates {
            let abandoned = self.runs.get(&start).is_some_and(|run| {
                let missing_head = !run.beginning;
                let missing_tail = !run.ending && run.end < floor;
                missing_head || missing_tail
            });
            if abandoned {
                if let Some(run) = self.detach_run(start) {
                    self.release(run.held);
                }
            }
        }
    }

    /// Routes a complete message whose bytes are already counted: unordered
    /// ones to the ready queue, ordered ones to their stream (RFC 9260
    /// §6.6). On `Err` its bytes are released.
    fn complete(
        &mut self,
        message: Message,
        ssn: Ssn,
        ssn_key: Option<u64>,
        (first, last): (u64, u64),
    ) -> Result<(), ReassemblyError> {
        let Some(k) = ssn_key else {
            // RFC 9260 §6.6: with the U bit set the endpoint "MUST bypass the
            // ordering mechanism and immediately deliver the data".
            self.ready.push_back(message);
            return Ok(());
        };
        let stream_id = message.stream_id;
        let stream = self.streams.entry(stream_id).or_default();
        let refused = if k < stream.next_key {
            Some(ReassemblyError::StaleSsn { stream_id, ssn })
        } else if stream.waiting.contains_key(&k) {
            Some(ReassemblyError::DuplicateSsn { stream_id, ssn })
        } else {
            None
        };
        if let Some(error) = refused {
            self.release(Held::of(&message.payload));
            return Err(error);
        }
        if k == stream.next_key && stream.waiting.is_empty() {
            // RFC 9260 §6.6: the SSN expected next, with nothing waiting
            // behind it: delivered at once (the common, in-order case).
            self.ready.push_back(message);
            stream.next_key = stream.next_key.saturating_add(1);
            stream.next_ssn = stream.next_ssn.next();
            if !self.ordered_runs.is_empty() {
                self.deliver_in_order(stream_id);
            }
            return Ok(());
        }
        stream.waiting.insert(
            k,
            Waiting {
                message,
                first,
                last,
            },
        );
        self.waiting_by_tsn.insert((first, stream_id, k));
        self.deliver_in_order(stream_id);
        Ok(())
    }

    /// RFC 9260 §6.6: moves the stream's messages that are next in SSN
    /// order to the ready queue, then drops the fragments of ordered
    /// messages whose SSN is now behind (delivered or skipped).
    fn deliver_in_order(&mut self, stream_id: StreamId) {
        let Some(stream) = self.streams.get_mut(&stream_id) else {
            return;
        };
        while let Some(entry) = stream.waiting.first_entry() {
            if *entry.key() != stream.next_key {
                break;
            }
            let k = *entry.key();
            let waiting = entry.remove();
            self.waiting_by_tsn.remove(&(waiting.first, stream_id, k));
            self.ready.push_back(waiting.message);
            stream.next_key = stream.next_key.saturating_add(1);
            stream.next_ssn = stream.next_ssn.next();
        }
        let behind: Vec<u64> = self
            .ordered_runs
            .range((stream_id, 0, 0)..(stream_id, stream.next_key, 0))
            .map(|&(_, _, start)| start)
            .collect();
        for start in behind {
            if let Some(run) = self.detach_run(start) {
                self.release(run.held);
            }
        }
    }

    /// Takes a run out of the map and the index, its bytes still counted.
    fn detach_run(&mut self, start: u64) -> Option<Run> {
        let run = self.runs.remove(&start)?;
        if let Some(k) = run.ssn_key {
            self.ordered_runs.remove(&(run.stream_id, k, start));
        }
        Some(run)
    }

    fn release(&mut self, held: Held) {
        debug_assert!(
            held.bytes <= self.buffered.bytes && held.chunks <= self.buffered.chunks,
            "reassembly count underflow"
        );
        self.buffered -= held;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BIG: usize = 1 << 30;

    fn chunk(tsn: u32, stream: u16, ssn: u16, flags: &str, payload: &[u8]) -> DataChunk {
        DataChunk {
            tsn: Tsn(tsn),
            stream_id: StreamId(stream),
            ssn: Ssn(ssn),
            ppid: Ppid::BINARY,
            unordered: flags.contains('U'),
            beginning: flags.contains('B'),
            ending: flags.contains('E'),
            immediate_sack: false,
            payload: Bytes::copy_from_slice(payload),
        }
    }

    fn drain(r: &mut Reassembly) -> Vec<Message> {
        std::iter::from_fn(|| r.pop_message()).collect()
    }

    fn payloads(messages: &[Message]) -> Vec<Bytes> {
        messages
            .iter()
            .map(|m| m.payload.clone().into_bytes())
            .collect()
    }

    #[test]
    fn a_tiny_first_fragment_reserves_no_more_list_than_its_bytes() {
        // A 64-fragment message sets the hint; a first fragment of 1 byte
        // after it still gets a one-slot list, a larger one at most 8
        // times its bytes.
        let mut r = Reassembly::new(BIG);
        let body = [7u8; 1000];
        for i in 0..64u32 {
            let flags = match i {
                0 => "B",
                63 => "E",
                _ => "",
            };
            r.insert(chunk(i, 0, 0, flags, &body)).unwrap();
        }
        assert_eq!(drain(&mut r).len(), 1);
        assert_eq!(r.fragments_hint, 64);
        r.insert(chunk(64, 0, 1, "B", b"x")).unwrap();
        r.insert(chunk(70, 0, 2, "B", &body[..100])).unwrap();
        assert_eq!(r.runs.values().next().unwrap().fragments.capacity(), 1);
        let reserved = r.runs.values().last().unwrap().fragments.capacity();
        assert!(
            (FIRST_FRAGMENTS..=8 * 100 / mem::size_of::<Bytes>()).contains(&reserved),
            "{reserved}"
        );
        check_invariants(&r);
    }

    /// Recounts everything held and checks the structure's invariants.
    fn check_invariants(r: &Reassembly) {
        let in_runs: Held = r.runs.values().map(|run| run.held).sum();
        let waiting: Held = r
            .streams
            .values()
            .flat_map(|s| s.waiting.values())
            .map(|w| Held::of(&w.message.payload))
            .sum();
        let ready: Held = r.ready.iter().map(|m| Held::of(&m.payload)).sum();
        assert_eq!(r.buffered, in_runs + waiting + ready, "count drifted");
        assert!(r.buffered.bytes <= r.limit, "limit exceeded");
        let mut previous_end: Option<u64> = None;
        let mut ordered = 0;
        for (&start, run) in &r.runs {
            assert!(previous_end.is_none_or(|e| e < start), "runs overlap");
            assert_eq!(run.fragments.len() as u64, run.end - start + 1);
            assert_eq!(
                run.held,
                Held {
                    bytes: run.fragments.iter().map(Bytes::len).sum(),
                    chunks: run.fragments.len(),
                }
            );
            assert!(!(run.beginning && run.ending), "a complete run was kept");
            if let Some(k) = run.ssn_key {
                ordered += 1;
                assert!(r.ordered_runs.contains(&(run.stream_id, k, start)));
                assert!(k >= r.streams[&run.stream_id].next_key, "stale run kept");
            }
            previous_end = Some(run.end);
        }
        assert_eq!(r.ordered_runs.len(), ordered, "index out of step");
        let waiting_count: usize = r.streams.values().map(|s| s.waiting.len()).sum();
        assert_eq!(
            r.waiting_by_tsn.len(),
            waiting_count,
            "TSN index out of step"
        );
        for &(first, stream, k) in &r.waiting_by_tsn {
            assert_eq!(r.streams[&stream].waiting[&k].first, first);
        }
        for s in r.streams.values() {
            assert!(
                s.waiting.keys().all(|&k| k > s.next_key),
                "deliverable left waiting"
            );
        }
    }

    /// Moves a fresh stream's next expected SSN to `next` through skips of
    /// less than half the SSN space each.
    fn start_stream_at(r: &mut Reassembly, stream: u16, next: u16) {
        let mut current = Ssn(0);
        while current != Ssn(next) {
            let step = next.wrapping_sub(current.0).min(30_000);
            r.skip_ordered(StreamId(stream), current.wrapping_add(step - 1));
            current = current.wrapping_add(step);
        }
    }

    #[test]
    fn single_fragment_ordered_messages_are_delivered_in_order() {
        let mut r = Reassembly::new(BIG);
        r.insert(chunk(10, 0, 0, "BE", b"one")).unwrap();
        r.insert(chunk(11, 0, 1, "BE", b"two")).unwrap();
        let got = drain(&mut r);
        assert_eq!(payloads(&got), [b"one".as_slice(), b"two"]);
        assert_eq!(got[0].stream_id, StreamId(0));
        assert_eq!(got[0].ppid, Ppid::BINARY);
        assert!(!got[0].unordered);
        assert_eq!(r.buffered_bytes(), 0);
    }

    #[test]
    fn out_of_order_ssns_wait_until_the_gap_fills() {
        let mut r = Reassembly::new(BIG);
        r.insert(chunk(12, 0, 2, "BE", b"c")).unwrap();
        r.insert(chunk(11, 0, 1, "BE", b"b")).unwrap();
        assert_eq!(r.pop_message(), None);
        assert_eq!(r.buffered_bytes(), 2);
        r.insert(chunk(10, 0, 0, "BE", b"a")).unwrap();
        assert_eq!(payloads(&drain(&mut r)), [b"a".as_slice(), b"b", b"c"]);
        check_invariants(&r);
    }

    #[test]
    fn ssn_wraps_from_65535_to_0() {
        let mut r = Reassembly::new(BIG);
        start_stream_at(&mut r, 1, 65534);
        r.insert(chunk(7, 1, 0, "BE", b"0")).unwrap();
        r.insert(chunk(6, 1, 65535, "BE", b"65535")).unwrap();
        r.insert(chunk(8, 1, 1, "BE", b"1")).unwrap();
        assert_eq!(r.pop_message(), None);
        r.insert(chunk(5, 1, 65534, "BE", b"65534")).unwrap();
        assert_eq!(
            payloads(&drain(&mut r)),
            [b"65534".as_slice(), b"65535", b"0", b"1"]
        );
        // 65535 is now behind the stream, not 32 767 SSNs ahead.
        assert_eq!(
            r.insert(chunk(9, 1, 65535, "BE", b"again")),
            Err(ReassemblyError::StaleSsn {
                stream_id: StreamId(1),
                ssn: Ssn(65535)
            })
        );
    }

    #[test]
    fn fragments_in_any_order_reassemble_byte_exact() {
        let parts: [(&str, &[u8]); 4] = [("B", b"he"), ("", b"llo, "), ("", b"wor"), ("E", b"ld")];
        // All 24 arrival orders of four fragments, across the TSN wrap.
        fn permutations(items: Vec<usize>) -> Vec<Vec<usize>> {
            if items.len() <= 1 {
                return vec![items];
            }
            let mut out = Vec::new();
            for (i, &first) in items.iter().enumerate() {
                let mut rest = items.clone();
                rest.remove(i);
                for mut tail in permutations(rest) {
                    tail.insert(0, first);
                    out.push(tail);
                }
            }
            out
        }
        let orders = permutations(vec![0, 1, 2, 3]);
        assert_eq!(orders.len(), 24);
        for order in orders {
            let mut r = Reassembly::new(BIG);
            for &i in &order {
                let (flags, bytes) = parts[i];
                let tsn = (u32::MAX - 1).wrapping_add(i as u32);
                r.insert(chunk(tsn, 0, 0, flags, bytes)).unwrap();
                check_invariants(&r);
            }
            let got = drain(&mut r);
            assert_eq!(
                payloads(&got),
                [b"hello, world".as_slice()],
                "order {order:?}"
            );
            assert_eq!(r.buffered_bytes(), 0);
        }
    }

    #[test]
    fn interleaved_messages_on_two_streams() {
        let mut r = Reassembly::new(BIG);
        // Stream 0 SSN 0 at TSNs 1-2, stream 1 SSN 0 at 3-4, stream 0 SSN 1 at 5-6.
        r.insert(chunk(4, 1, 0, "E", b"-b")).unwrap();
        r.insert(chunk(6, 0, 1, "E", b"-c")).unwrap();
        r.insert(chunk(5, 0, 1, "B", b"c")).unwrap();
        assert_eq!(r.pop_message(), None, "stream 0 SSN 1 waits for SSN 0");
        r.insert(chunk(3, 1, 0, "B", b"b")).unwrap();
        let first = r.pop_message().unwrap();
        assert_eq!(
            (first.stream_id, first.payload.into_bytes()),
            (StreamId(1), Bytes::from_static(b"b-b"))
        );
        r.insert(chunk(1, 0, 0, "B", b"a")).unwrap();
        r.insert(chunk(2, 0, 0, "E", b"-a")).unwrap();
        assert_eq!(payloads(&drain(&mut r)), [b"a-a".as_slice(), b"c-c"]);
        assert_eq!(r.buffered_bytes(), 0);
    }

    #[test]
    fn unordered_message_overtakes_an_earlier_ordered_one() {
        let mut r = Reassembly::new(BIG);
        r.insert(chunk(2, 0, 1, "BE", b"ordered 1")).unwrap();
        r.insert(chunk(3, 0, 0, "UB", b"unord")).unwrap();
        r.insert(chunk(4, 0, 0, "UE", b"ered")).unwrap();
        let got = drain(&mut r);
        assert_eq!(payloads(&got), [b"unordered".as_slice()]);
        assert!(got[0].unordered);
        r.insert(chunk(1, 0, 0, "BE", b"ordered 0")).unwrap();
        assert_eq!(
            payloads(&drain(&mut r)),
            [b"ordered 0".as_slice(), b"ordered 1"]
        );
    }

    #[test]
    fn ordered_message_missing_a_middle_fragment_is_not_delivered() {
        let mut r = Reassembly::new(BIG);
        r.insert(chunk(1, 0, 0, "B", b"ab")).unwrap();
        r.insert(chunk(3, 0, 0, "E", b"ef")).unwrap();
        r.insert(chunk(4, 0, 1, "BE", b"next")).unwrap();
        assert_eq!(r.pop_message(), None);
        assert_eq!(r.buffered_bytes(), 8);
        check_invariants(&r);
        r.insert(chunk(2, 0, 0, "", b"cd")).unwrap();
        assert_eq!(payloads(&drain(&mut r)), [b"abcdef".as_slice(), b"next"]);
    }

    #[test]
    fn limit_refuses_a_chunk_and_recovers_after_popping() {
        let mut r = Reassembly::new(10);
        r.insert(chunk(1, 0, 0, "BE", b"123456")).unwrap();
        r.insert(chunk(2, 0, 1, "B", b"abc")).unwrap();
        let refused = r.insert(chunk(3, 0, 1, "E", b"defg"));
        assert_eq!(
            refused,
            Err(ReassemblyError::BufferFull {
                len: 4,
                available: 1
            })
        );
        assert!(!refused.unwrap_err().acknowledge_tsn());
        assert_eq!(r.buffered_bytes(), 9);
        assert_eq!(r.pop_message().unwrap().payload, &b"123456"[..]);
        // The peer retransmits the refused chunk; now there is room.
        r.insert(chunk(3, 0, 1, "E", b"defg")).unwrap();
        assert_eq!(r.pop_message().unwrap().payload, &b"abcdefg"[..]);
        assert_eq!(r.buffered_bytes(), 0);
    }

    #[test]
    fn single_fragment_message_is_the_chunks_own_bytes() {
        let mut r = Reassembly::new(BIG);
        let c = chunk(1, 0, 0, "BE", b"zero copy");
        let ptr = c.payload.as_ptr();
        r.insert(c).unwrap();
        let u = chunk(2, 0, 9, "UBE", b"also zero copy");
        let uptr = u.payload.as_ptr();
        r.insert(u).unwrap();
        assert_eq!(r.pop_message().unwrap().payload.into_bytes().as_ptr(), ptr);
        assert_eq!(r.pop_message().unwrap().payload.into_bytes().as_ptr(), uptr);
    }

    #[test]
    fn refusals_hold_nothing_and_say_whether_to_acknowledge() {
        let mut r = Reassembly::new(BIG);
        let empty = r.insert(chunk(1, 0, 0, "BE", b""));
        assert_eq!(empty, Err(ReassemblyError::NoUserData { tsn: Tsn(1) }));
        r.insert(chunk(3, 0, 0, "B", b"ab")).unwrap();
        assert_eq!(
            r.insert(chunk(3, 0, 0, "B", b"ab")),
            Err(ReassemblyError::DuplicateTsn { tsn: Tsn(3) })
        );
        // The next TSN names another stream although TSN 3 has no E bit.
        assert_eq!(
            r.insert(chunk(4, 1, 0, "E", b"cd")),
            Err(ReassemblyError::Mismatch { tsn: Tsn(4) })
        );
        assert_eq!(
            r.insert(chunk(4, 0, 0, "UE", b"cd")),
            Err(ReassemblyError::Mismatch { tsn: Tsn(4) })
        );
        r.insert(chunk(5, 0, 1, "BE", b"one")).unwrap();
        assert_eq!(
            r.insert(chunk(6, 0, 1, "BE", b"one again")),
            Err(ReassemblyError::DuplicateSsn {
                stream_id: StreamId(0),
                ssn: Ssn(1)
            })
        );
        r.insert(chunk(4, 0, 0, "E", b"cd")).unwrap();
        assert_eq!(payloads(&drain(&mut r)), [b"abcd".as_slice(), b"one"]);
        assert_eq!(
            r.insert(chunk(7, 0, 0, "BE", b"late")),
            Err(ReassemblyError::StaleSsn {
                stream_id: StreamId(0),
                ssn: Ssn(0)
            })
        );
        assert_eq!(r.buffered_bytes(), 0);
        check_invariants(&r);
    }

    #[test]
    fn reneging_drops_the_highest_units_above_the_gap_first() {
        // RFC 9260 §6.2: "drop the largest TSN held for reordering".
        let mut r = Reassembly::new(BIG);
        r.insert(chunk(1, 0, 0, "BE", b"ready")).unwrap();
        // TSN 2 (SSN 1) is missing; SSN 2 waits, an unordered message is
        // half there, and SSN 3 waits.
        r.insert(chunk(3, 0, 2, "BE", b"two")).unwrap();
        r.insert(chunk(4, 1, 0, "UB", b"un")).unwrap();
        r.insert(chunk(6, 0, 3, "B", b"th")).unwrap();
        r.insert(chunk(7, 0, 3, "E", b"ree")).unwrap();
        check_invariants(&r);
        // Six bytes wanted: the waiting SSN 3 (TSN 6-7, five bytes) goes,
        // then the unordered fragment (TSN 4).
        assert_eq!(r.renege(Tsn(2), 6), [(Tsn(6), Tsn(7)), (Tsn(4), Tsn(4))]);
        check_invariants(&r);
        assert_eq!(r.buffered_bytes(), 5 + 3);
        // Nothing at or below the gap goes, nor what is ready.
        assert_eq!(r.renege(Tsn(3), 100), []);
        assert_eq!(r.renege(Tsn(2), 100), [(Tsn(3), Tsn(3))]);
        check_invariants(&r);
        assert_eq!(payloads(&drain(&mut r)), [b"ready".as_slice()]);
        // The dropped TSNs are taken again when the peer resends them.
        r.insert(chunk(2, 0, 1, "BE", b"one")).unwrap();
        r.insert(chunk(3, 0, 2, "BE", b"two")).unwrap();
        r.insert(chunk(6, 0, 3, "B", b"th")).unwrap();
        r.insert(chunk(7, 0, 3, "E", b"ree")).unwrap();
        assert_eq!(
            payloads(&drain(&mut r)),
            [b"one".as_slice(), b"two", b"three"]
        );
        check_invariants(&r);
    }

    #[test]
    fn second_message_with_a_waiting_ssn_is_refused_and_its_fragments_purged() {
        let mut r = Reassembly::new(BIG);
        r.insert(chunk(10, 0, 3, "B", b"frag")).unwrap();
        r.insert(chunk(20, 0, 3, "BE", b"whole")).unwrap();
        assert_eq!(
            r.insert(chunk(11, 0, 3, "E", b"ment")),
            Err(ReassemblyError::DuplicateSsn {
                stream_id: StreamId(0),
                ssn: Ssn(3)
            })
        );
        assert_eq!(r.buffered_bytes(), 4 + 5);
        // Once SSN 3 is delivered, the other message's fragment goes too.
        r.skip_ordered(StreamId(0), Ssn(2));
        assert_eq!(payloads(&drain(&mut r)), [b"whole".as_slice()]);
        assert_eq!(r.buffered_bytes(), 0);
        check_invariants(&r);
    }

    #[test]
    fn skip_ordered_delivers_stranded_messages_and_drops_partial_ones() {
        let mut r = Reassembly::new(BIG);
        r.insert(chunk(2, 0, 1, "BE", b"one")).unwrap();
        r.insert(chunk(3, 0, 2, "B", b"tw")).unwrap();
        r.insert(chunk(5, 0, 3, "BE", b"three")).unwrap();
        r.insert(chunk(6, 0, 5, "BE", b"five")).unwrap();
        assert_eq!(r.pop_message(), None);
        // FORWARD TSN: SSN 0 and 2 abandoned. SSN 1 is made available,
        // SSN 2's fragment is dropped, and SSN 3 is now in order.
        r.skip_ordered(StreamId(0), Ssn(2));
        check_invariants(&r);
        assert_eq!(payloads(&drain(&mut r)), [b"one".as_slice(), b"three"]);
        assert_eq!(r.buffered_bytes(), 4, "only SSN 5 is held");
        // A skip to an SSN already passed changes nothing.
        r.skip_ordered(StreamId(0), Ssn(1));
        assert_eq!(r.pop_message(), None);
        assert_eq!(
            r.insert(chunk(4, 0, 2, "E", b"o")),
            Err(ReassemblyError::StaleSsn {
                stream_id: StreamId(0),
                ssn: Ssn(2)
            })
        );
        r.skip_ordered(StreamId(0), Ssn(4));
        assert_eq!(payloads(&drain(&mut r)), [b"five".as_slice()]);
        assert_eq!(r.buffered_bytes(), 0);
    }

    #[test]
    fn skip_ordered_on_a_new_stream_moves_its_first_ssn() {
        let mut r = Reassembly::new(BIG);
        r.skip_ordered(StreamId(3), Ssn(9));
        r.insert(chunk(1, 3, 10, "BE", b"ten")).unwrap();
        assert_eq!(payloads(&drain(&mut r)), [b"ten".as_slice()]);
    }

    #[test]
    fn drop_fragments_up_to_removes_messages_missing_tsns_at_or_below_it() {
        let mut r = Reassembly::new(BIG);
        // TSN 1 lost; 2 continues its message (unordered, abandoned).
        r.insert(chunk(2, 0, 0, "U", b"lost head")).unwrap();
        // Ordered SSN 0 from TSN 3, 4 lost: it misses a TSN below the cum.
        r.insert(chunk(3, 0, 0, "B", b"a")).unwrap();
        r.insert(chunk(5, 0, 0, "", b"c")).unwrap();
        // Unordered from TSN 6 reaching the new cum 8 with nothing missing
        // at or below it: kept.
        r.insert(chunk(6, 0, 0, "UB", b"st")).unwrap();
        r.insert(chunk(7, 0, 0, "U", b"ra")).unwrap();
        r.insert(chunk(8, 0, 0, "U", b"dd")).unwrap();
        // Its B fragment could still be TSN 9: kept.
        r.insert(chunk(10, 0, 0, "UE", b"far")).unwrap();
        r.drop_fragments_up_to(Tsn(8));
        check_invariants(&r);
        assert_eq!(r.buffered_bytes(), 6 + 3);
        r.insert(chunk(9, 0, 0, "UE", b"le")).unwrap();
        assert_eq!(payloads(&drain(&mut r)), [b"straddle".as_slice()]);
        // At or below the cumulative TSN: a duplicate.
        assert_eq!(
            r.insert(chunk(4, 0, 0, "", b"b")),
            Err(ReassemblyError::DuplicateTsn { tsn: Tsn(4) })
        );
        // TSN 10's head is now at or below the cum: dropped.
        r.drop_fragments_up_to(Tsn(10));
        assert_eq!(r.buffered_bytes(), 0);
        r.insert(chunk(12, 0, 0, "UE", b"tail")).unwrap();
        // TSN 11 continues a message whose head was abandoned: it and the
        // tail it joins go.
        let late = r.insert(chunk(11, 0, 0, "U", b"mid"));
        assert_eq!(late, Err(ReassemblyError::Abandoned { tsn: Tsn(11) }));
        assert!(late.unwrap_err().acknowledge_tsn());
        assert_eq!(r.buffered_bytes(), 0);
        check_invariants(&r);
    }

    #[test]
    fn a_message_of_many_tiny_fragments_reassembles_without_quadratic_cost() {
        // 60 000 one-byte fragments, the even TSNs first, then the odd
        // ones joining pairs of runs: O(k log k), where rescanning the run
        // on every arrival would take minutes.
        const K: u32 = 60_000;
        let mut r = Reassembly::new(BIG);
        let order = (0..K).step_by(2).chain((1..K).step_by(2));
        for i in order {
            let flags = match i {
                0 => "UB",
                i if i == K - 1 => "UE",
                _ => "U",
            };
            r.insert(chunk(i.wrapping_sub(7), 0, 0, flags, &[i as u8]))
                .unwrap();
        }
        let m = r.pop_message().unwrap();
        assert_eq!(m.payload.len(), K as usize);
        let bytes = m.payload.into_bytes();
        assert!(bytes.iter().enumerate().all(|(i, &b)| b == i as u8));
        assert_eq!(r.buffered_bytes(), 0);
    }

    /// FEATURES.md: "A receive window that never reopens after the buffer
    /// fills and the burst's tail is dropped."
    #[test]
    fn receive_window_reopens_after_the_buffer_fills() {
        let mut r = Reassembly::new(1000);
        let mut refused = Vec::new();
        for i in 0..30u16 {
            let c = chunk(u32::from(i), i % 2, i / 2, "BE", &[i as u8; 100]);
            match r.insert(c.clone()) {
                Ok(()) => {}
                Err(ReassemblyError::BufferFull { .. }) => refused.push(c),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(r.buffered_bytes(), 1000);
        assert_eq!(refused.len(), 20);
        assert_eq!(drain(&mut r).len(), 10);
        assert_eq!(r.buffered_bytes(), 0);
        // The tail is retransmitted and now fits, ten at a time.
        for batch in refused.chunks(10) {
            for c in batch {
                r.insert(c.clone()).unwrap();
            }
            assert_eq!(drain(&mut r).len(), 10);
            assert_eq!(r.buffered_bytes(), 0);
        }
    }

    /// FEATURES.md: "Integer overflow in reassembly after minutes of
    /// traffic." SSNs wrap three times on stream 0; TSNs start just below
    /// 2^32 and, through FORWARD TSN jumps of almost 2^31, wrap many times.
    #[test]
    fn integer_overflow_in_reassembly_after_minutes_of_traffic() {
        let mut r = Reassembly::new(1 << 16);
        let mut tsn = Tsn(u32::MAX - 300);
        let mut ssn = Ssn(0);
        let messages: u32 = 3 * 65_536 + 1_000;
        let mut delivered = 0u32;
        let mut tsn_wraps = 0;
        for i in 0..messages {
            let unordered = i % 7 == 3;
            let fragments = 1 + i % 3;
            let body: Vec<u8> = (0..fragments * 3).map(|j| (i + j) as u8).collect();
            let mut chunks: Vec<DataChunk> = body
                .chunks(3)
                .enumerate()
                .map(|(j, part)| DataChunk {
                    tsn: tsn.wrapping_add(j as u32),
                    stream_id: StreamId(u16::from(unordered)),
                    ssn: if unordered { Ssn(0xdead) } else { ssn },
                    ppid: Ppid(i),
                    unordered,
                    beginning: j == 0,
                    ending: j as u32 == fragments - 1,
                    immediate_sack: false,
                    payload: Bytes::copy_from_slice(part),
                })
                .collect();
            if i % 2 == 0 {
                chunks.reverse();
            }
            let before = tsn;
            tsn = tsn.wrapping_add(fragments);
            if !unordered {
                ssn = ssn.next();
            }
            for c in chunks {
                r.insert(c).unwrap();
            }
            let m = r.pop_message().expect("complete and in order");
            assert_eq!(
                (m.ppid, m.payload.into_bytes()),
                (Ppid(i), Bytes::from(body.clone()))
            );
            assert_eq!(r.pop_message(), None);
            delivered += 1;
            if i % 20_000 == 19_999 {
                // FORWARD TSN skipping nothing held, almost half the space.
                let cum = tsn.wrapping_add((1 << 31) - 10);
                r.drop_fragments_up_to(cum);
                tsn = cum.next();
            }
            if tsn.0 < before.0 {
                tsn_wraps += 1;
            }
        }
        assert_eq!(delivered, messages);
        assert!(tsn_wraps >= 5, "TSN wrapped {tsn_wraps} times");
        assert_eq!(r.buffered_bytes(), 0);
        let ordered = (0..messages).filter(|i| i % 7 != 3).count() as u64;
        assert_eq!(r.streams[&StreamId(0)].next_key, ordered);
        assert_eq!(u64::from(ssn.0), ordered % 65_536);
    }

    /// A scenario: messages on 3 streams, some unordered, fragmented with
    /// consecutive TSNs in send order, then delivered shuffled.
    #[derive(Debug, Clone)]
    struct Sent {
        stream: u16,
        unordered: bool,
        payload: Vec<u8>,
    }

    fn sent_messages() -> impl Strategy<Value = Vec<(Sent, usize)>> {
        let one = (0u16..3, prop::bool::weighted(0.3), 1usize..200, 1usize..64).prop_map(
            |(stream, unordered, len, frag)| {
                let payload = (0..len).map(|i| (i * 7 + len) as u8).collect();
                (
                    Sent {
                        stream,
                        unordered,
                        payload,
                    },
                    frag,
                )
            },
        );
        prop::collection::vec(one, 1..40)
    }

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    proptest! {
        #[test]
        fn shuffled_fragments_deliver_every_message_once_in_ssn_order(
            messages in sent_messages(),
            initial_tsn in any::<u32>(),
            first_ssns in any::<[u16; 3]>(),
            seed in 1u64..,
        ) {
            let mut r = Reassembly::new(BIG);
            for (s, &first) in first_ssns.iter().enumerate() {
                start_stream_at(&mut r, s as u16, first);
            }
            let mut next_ssn = first_ssns.map(Ssn);
            let mut tsn = Tsn(initial_tsn);
            let mut chunks = Vec::new();
            for (i, (m, frag)) in messages.iter().enumerate() {
                let parts: Vec<&[u8]> = m.payload.chunks(*frag).collect();
                let ssn = if m.unordered { Ssn(tsn.0 as u16) } else { next_ssn[m.stream as usize] };
                if !m.unordered {
                    next_ssn[m.stream as usize] = ssn.next();
                }
                for (j, part) in parts.iter().enumerate() {
                    chunks.push(DataChunk {
                        tsn,
                        stream_id: StreamId(m.stream),
                        ssn,
                        ppid: Ppid(i as u32),
                        unordered: m.unordered,
                        beginning: j == 0,
                        ending: j == parts.len() - 1,
                        immediate_sack: j % 5 == 1,
                        payload: Bytes::copy_from_slice(part),
                    });
                    tsn = tsn.next();
                }
            }
            let mut state = seed;
            for i in (1..chunks.len()).rev() {
                let j = (xorshift(&mut state) % (i as u64 + 1)) as usize;
                chunks.swap(i, j);
            }
            let mut delivered = Vec::new();
            for c in chunks {
                prop_assert_eq!(r.insert(c), Ok(()));
                if xorshift(&mut state).is_multiple_of(3) {
                    delivered.extend(drain(&mut r));
                }
                check_invariants(&r);
            }
            delivered.extend(drain(&mut r));
            prop_assert_eq!(r.buffered_bytes(), 0);
            prop_assert_eq!(delivered.len(), messages.len());
            let mut seen = vec![false; messages.len()];
            let mut last_ordered: [Option<usize>; 3] = [None; 3];
            for m in &delivered {
                let i = m.ppid.0 as usize;
                prop_assert!(!seen[i], "message {} delivered twice", i);
                seen[i] = true;
                let sent = &messages[i].0;
                prop_assert_eq!(m.stream_id, StreamId(sent.stream));
                prop_assert_eq!(m.unordered, sent.unordered);
                prop_assert!(m.payload == sent.payload[..], "payload differs");
                if !m.unordered {
                    let last = &mut last_ordered[sent.stream as usize];
                    prop_assert!(last.is_none_or(|l| l < i), "stream {} out of order", sent.stream);
                    *last = Some(i);
                }
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert {
            tsn: u32,
            stream: u16,
            ssn: u16,
            flags: u8,
            len: usize,
        },
        Pop,
        Skip {
            stream: u16,
            ssn: u16,
        },
        Drop {
            tsn: u32,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => (0u32..48, 0u16..4, 0u16..8, any::<u8>(), 0usize..24).prop_map(
                |(tsn, stream, ssn, flags, len)| Op::Insert { tsn, stream, ssn, flags, len }
            ),
            2 => Just(Op::Pop),
            1 => (0u16..4, 0u16..8).prop_map(|(stream, ssn)| Op::Skip { stream, ssn }),
            1 => (0u32..48).prop_map(|tsn| Op::Drop { tsn }),
        ]
    }

    proptest! {
        /// FEATURES.md: "crafted MIDs panicking unordered interleaved
        /// reassembly". Arbitrary fragment soups, mostly unordered, near
        /// the TSN and SSN wrap points: no panic, the limit holds, the
        /// bytes are counted exactly, and everything drains to zero.
        #[test]
        fn crafted_input_panicking_unordered_reassembly(
            base_tsn in prop_oneof![Just(u32::MAX - 20), any::<u32>()],
            base_ssn in prop_oneof![Just(65_533u16), any::<u16>()],
            limit in prop_oneof![0usize..64, 64usize..2_000],
            ops in prop::collection::vec(op(), 0..200),
        ) {
            let mut r = Reassembly::new(limit);
            for s in 0..4 {
                start_stream_at(&mut r, s, base_ssn);
            }
            for op in ops {
                match op {
                    Op::Insert { tsn, stream, ssn, flags, len } => {
                        let before = r.buffered_bytes();
                        let c = DataChunk {
                            tsn: Tsn(base_tsn.wrapping_add(tsn)),
                            stream_id: StreamId(stream),
                            ssn: Ssn(base_ssn.wrapping_add(ssn)),
                            ppid: Ppid(u32::from(flags)),
                            unordered: flags & 0b11 != 0,
                            beginning: flags & 0b100 != 0,
                            ending: flags & 0b1000 != 0,
                            immediate_sack: false,
                            payload: Bytes::from(vec![flags; len]),
                        };
                        match r.insert(c) {
                            Ok(()) => prop_assert!(r.buffered_bytes() <= before + len),
                            Err(ReassemblyError::BufferFull { .. }) => {
                                prop_assert!(before + len > limit);
                                prop_assert_eq!(r.buffered_bytes(), before);
                            }
                            Err(_) => prop_assert!(r.buffered_bytes() <= before),
                        }
                    }
                    Op::Pop => {
                        let before = r.buffered_bytes();
                        if let Some(m) = r.pop_message() {
                            prop_assert!(!m.payload.is_empty());
                            prop_assert_eq!(r.buffered_bytes(), before - m.payload.len());
                        }
                    }
                    Op::Skip { stream, ssn } => {
                        r.skip_ordered(StreamId(stream), Ssn(base_ssn.wrapping_add(ssn)));
                    }
                    Op::Drop { tsn } => r.drop_fragments_up_to(Tsn(base_tsn.wrapping_add(tsn))),
                }
                check_invariants(&r);
            }
            // FORWARD TSN past everything, then the user reads: the window
            // is whole again.
            r.drop_fragments_up_to(Tsn(base_tsn.wrapping_add(100)));
            for s in 0..4 {
                r.skip_ordered(StreamId(s), Ssn(base_ssn.wrapping_add(100)));
            }
            drain(&mut r);
            prop_assert_eq!(r.buffered_bytes(), 0);
            check_invariants(&r);
            prop_assert_eq!(r.insert(chunk(base_tsn.wrapping_add(101), 0, 0, "UBE", b"x")).is_ok(), limit >= 1);
        }
    }
}

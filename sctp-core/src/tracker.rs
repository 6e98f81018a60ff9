//! What has been received of the peer's DATA, and when to acknowledge it:
//! the cumulative TSN ack point, gap ack blocks and duplicate TSNs of a
//! SACK (RFC 9260 §3.3.4), and the delayed-SACK rules (RFC 9260 §6.2,
//! §6.7).
//!
//! TSNs are kept "unwrapped" in a `u64` so that ordering is plain integer
//! ordering; the wrap-around of the 32-bit TSN only matters where a TSN
//! comes in from the wire, which goes through RFC 1982 serial arithmetic
//! (`Tsn::distance_to`) relative to the cumulative ack point.
//!
//! Memory is bounded: a TSN is accepted only within [`MAX_TSN_AHEAD`] of
//! the cumulative ack point, so at most that many TSNs (kept as at most
//! half as many ranges) are held, and at most [`MAX_DUPLICATES`]
//! duplicates wait for the next SACK.

use sctp_wire::{GapAckBlock, Packed, PackedList, Sack, Tsn};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How far beyond the cumulative TSN ack point a TSN may lie and still be
/// accepted.
///
/// RFC 9260 §3.3.4: gap ack block offsets are 16-bit, relative to the
/// cumulative TSN ack, so a TSN further ahead could never be reported to
/// the sender. Holding it would cost memory and tell the sender nothing;
/// dropping it costs at worst a retransmission, which is accepted once the
/// cumulative point has caught up. The same bound caps the held set at
/// 65 535 TSNs whatever the peer sends (deployed stacks use mapping arrays
/// far smaller than this, so no real sender runs that far ahead).
pub(crate) const MAX_TSN_AHEAD: u32 = u16::MAX as u32;

/// The most duplicate TSNs one SACK reports; further duplicates are only
/// counted (in [`TrackerStats::duplicates_unreported`]).
pub(crate) const MAX_DUPLICATES: usize = 16;

/// Bytes of a SACK chunk without gap ack blocks or duplicate TSNs: the
/// chunk header, the cumulative TSN ack, a_rwnd and the two counts (RFC
/// 9260 §3.3.4).
pub(crate) const SACK_FIXED_LEN: usize = 16;

/// What [`ReceiveTracker::on_data`] made of a DATA chunk's TSN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataVerdict {
    /// Never received before: deliver it.
    New,
    /// At or below the cumulative ack point, or already held above it:
    /// discard it (it is reported in the next SACK).
    Duplicate,
    /// More than [`MAX_TSN_AHEAD`] beyond the cumulative ack point: drop it.
    OutOfWindow,
}

/// Counters of what the tracker saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TrackerStats {
    /// DATA chunks whose TSN had been received already.
    pub(crate) duplicates: u64,
    /// Duplicates that did not fit in the SACK's list ([`MAX_DUPLICATES`],
    /// or the room the gap ack blocks left).
    pub(crate) duplicates_unreported: u64,
    /// DATA chunks dropped as [`DataVerdict::OutOfWindow`].
    pub(crate) out_of_window: u64,
}

/// The receive side's view of the peer's TSNs, and its SACK timing.
#[derive(Clone, Debug)]
pub(crate) struct ReceiveTracker {
    /// The cumulative TSN ack point, unwrapped: its low 32 bits are the
    /// TSN. It starts at 2^32 + (initial TSN - 1), so adding a negative
    /// serial distance never underflows, and only grows.
    cum: u64,
    /// TSNs received above `cum + 1`, as inclusive ranges `start → end` of
    /// unwrapped TSNs. Ranges are disjoint and never adjacent (adjacent
    /// ones are merged), and every TSN in them is at most
    /// [`MAX_TSN_AHEAD`] above `cum`.
    held: BTreeMap<u64, u64>,
    /// Duplicates received since the last SACK, at most [`MAX_DUPLICATES`].
    duplicates: Vec<Tsn>,
    delayed_ack: Duration,
    /// When the delayed SACK is due, if one is pending.
    deadline: Option<Instant>,
    /// A SACK was decided to go out at once.
    sack_now: bool,
    /// Packets with DATA received since the last SACK.
    packets_unacked: u32,
    /// The packet being processed carried DATA (or FORWARD TSN).
    packet_has_data: bool,
    /// The packet being processed carried something that asks for an
    /// immediate SACK: a duplicate, a filled gap, a stale FORWARD TSN.
    packet_urgent: bool,
    stats: TrackerStats,
}

impl ReceiveTracker {
    /// A tracker for a peer whose first DATA chunk carries
    /// `peer_initial_tsn` (its INIT's Initial TSN, RFC 9260 §5.1), which
    /// delays SACKs by at most `delayed_ack`.
    pub(crate) fn new(peer_initial_tsn: Tsn, delayed_ack: Duration) -> Self {
        // RFC 9260 §6.1 / §5.1: nothing received yet, so the cumulative TSN
        // ack point is the TSN just before the peer's Initial TSN.
        let cum = (1u64 << 32) | u64::from(peer_initial_tsn.wrapping_sub(1).0);
        ReceiveTracker {
            cum,
            held: BTreeMap::new(),
            duplicates: Vec::new(),
            delayed_ack,
            deadline: None,
            sack_now: false,
            packets_unacked: 0,
            packet_has_data: false,
            packet_urgent: false,
            stats: TrackerStats::default(),
        }
    }

    /// Frees the duplicate list's capacity when it is empty, for an idle
    /// association.
    pub(crate) fn shrink(&mut self) {
        if self.duplicates.is_empty() {
            self.duplicates = Vec::new();
        }
    }

    /// The cumulative TSN ack point: every TSN up to it was received.
    pub(crate) fn cum_tsn(&self) -> Tsn {
        Tsn(self.cum as u32)
    }

    /// Whether TSNs above the cumulative ack point are held, i.e. there is
    /// at least one gap.
    pub(crate) fn has_gaps(&self) -> bool {
        !self.held.is_empty()
    }

    /// The counters.
    pub(crate) fn stats(&self) -> TrackerStats {
        self.stats
    }

    /// Records the TSN of one received DATA (or I-DATA) chunk.
    pub(crate) fn on_data(&mut self, tsn: Tsn) -> DataVerdict {
        // RFC 9260 §6.2: the SACK rules count packets that carry DATA,
        // whatever becomes of the chunk.
        self.packet_has_data = true;
        let distance = self.cum_tsn().distance_to(tsn);
        if distance == i32::MIN {
            // RFC 1982 §3.2: exactly half the number space away, the order
            // is undefined; it is far outside the window either way.
            self.stats.out_of_window += 1;
            return DataVerdict::OutOfWindow;
        }
        if distance <= 0 {
            // RFC 9260 §6.2: a TSN at or below the cumulative ack point was
            // received already.
            self.on_duplicate(tsn);
            return DataVerdict::Duplicate;
        }
        let ahead = distance.unsigned_abs();
        if ahead > MAX_TSN_AHEAD {
            // RFC 9260 §3.3.4: beyond what a gap ack block can describe.
            self.stats.out_of_window += 1;
            return DataVerdict::OutOfWindow;
        }
        let t = self.cum + u64::from(ahead);
        if self.holds(t) {
            self.on_duplicate(tsn);
            return DataVerdict::Duplicate;
        }
        self.insert(t);
        DataVerdict::New
    }

    /// Whether a DATA chunk with `tsn` would be new (above the cumulative
    /// ack point, within [`MAX_TSN_AHEAD`], not held) and below the largest
    /// TSN held: one that fills a gap. Changes nothing.
    pub(crate) fn fills_a_gap(&self, tsn: Tsn) -> bool {
        let distance = self.cum_tsn().distance_to(tsn);
        if distance <= 0 || distance.unsigned_abs() > MAX_TSN_AHEAD {
            return false;
        }
        let t = self.cum + u64::from(distance.unsigned_abs());
        !self.holds(t) && self.held.last_key_value().is_some_and(|(_, &end)| end > t)
    }

    /// RFC 9260 §6.2: the receiver dropped the held TSNs `first..=last`
    /// (reneging), so SACKs stop reporting them in gap blocks and the peer
    /// sends them again. TSNs at or below the cumulative ack point are
    /// never dropped.
    pub(crate) fn renege(&mut self, first: Tsn, last: Tsn) {
        let (d1, d2) = (
            self.cum_tsn().distance_to(first),
            self.cum_tsn().distance_to(last),
        );
        if d1 <= 0 || d2 < d1 {
            return;
        }
        let a = self.cum + u64::from(d1.unsigned_abs());
        let b = self.cum + u64::from(d2.unsigned_abs());
        // Held runs are disjoint and sorted: those overlapping a..=b are
        // the last ones starting at or before b that reach a.
        let overlapping: Vec<(u64, u64)> = self
            .held
            .range(..=b)
            .rev()
            .take_while(|(_, &end)| end >= a)
            .map(|(&start, &end)| (start, end))
            .collect();
        for (start, end) in overlapping {
            self.held.remove(&start);
            if start < a {
                self.held.insert(start, a - 1);
            }
            if end > b {
                self.held.insert(b + 1, end);
            }
        }
    }

    /// Moves the cumulative ack point to `new_cum`, as a FORWARD TSN or
    /// I-FORWARD TSN asks; returns whether it moved.
    pub(crate) fn forward_cum_tsn(&mut self, new_cum: Tsn) -> bool {
        // RFC 3758 §3.6: for the SACK rules, a FORWARD TSN counts as if a
        // DATA chunk had been received.
        self.packet_has_data = true;
        let distance = self.cum_tsn().distance_to(new_cum);
        if distance <= 0 {
            // RFC 3758 §3.6: a New Cumulative TSN at or behind ours is out
            // of date: keep ours, and SACK since our last SACK may have been
            // lost. (i32::MIN, half the number space away, lands here too.)
            self.packet_urgent = true;
            return false;
        }
        // RFC 3758 §3.6: take the new cumulative TSN point, drop what is
        // held at or below it, then advance over what is contiguous.
        self.cum += u64::from(distance.unsigned_abs());
        self.advance();
        true
    }

    /// The caller has processed every DATA chunk of one received packet;
    /// `immediate` if one had the I bit set or a SACK is wanted at once for
    /// another reason. Decides whether a SACK goes out now or later.
    pub(crate) fn on_packet_processed(&mut self, now: Instant, immediate: bool) {
        let had_data = std::mem::take(&mut self.packet_has_data);
        let urgent = std::mem::take(&mut self.packet_urgent);
        if !had_data && !immediate {
            return;
        }
        if had_data {
            self.packets_unacked = self.packets_unacked.saturating_add(1);
        }
        // RFC 9260 §3.3.1 (I bit, from RFC 7053): the sender asks for a SACK
        // without delay.
        // RFC 9260 §6.7: with a gap in the received TSNs, SACK at once.
        // RFC 9260 §6.2: a packet with duplicates SACKs at once; and a SACK
        // goes out for at least every second packet with DATA.
        if immediate || urgent || self.has_gaps() || self.packets_unacked >= 2 {
            self.sack_now = true;
        } else if self.deadline.is_none() {
            // RFC 9260 §6.2: otherwise SACK within 200 ms (the configured
            // delay) of the first unacknowledged DATA chunk.
            match now.checked_add(self.delayed_ack) {
                Some(deadline) => self.deadline = Some(deadline),
                None => self.sack_now = true,
            }
        }
    }

    /// When the delayed SACK is due, if one is pending.
    pub(crate) fn sack_deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether a SACK should be sent at `now`.
    pub(crate) fn sack_due(&self, now: Instant) -> bool {
        self.sack_now || self.deadline.is_some_and(|d| now >= d)
    }

    /// Builds the SACK describing what was received, at most `room` bytes
    /// long, and starts a new SACK period: the duplicate list, the packet
    /// count and the delayed SACK deadline are reset.
    ///
    /// RFC 9260 §6.2: "The SCTP endpoint MUST report as many Gap Ack
    /// Blocks as can fit in a single SACK chunk limited by the current
    /// path MTU." When they do not all fit, the lowest are reported: a
    /// block the sender saw once and no longer sees counts as reneged
    /// (RFC 9260 §6.2.1 D iii), and the lowest stay put while the highest
    /// come and go. Duplicate TSNs take what room the blocks leave.
    pub(crate) fn make_sack(&mut self, a_rwnd: u32, room: usize) -> Sack {
        // Everything in order and nothing twice, the usual case: the lists
        // stay empty without iterators set up to find that out.
        let (gap_blocks, duplicate_tsns) = if self.held.is_empty() && self.duplicates.is_empty() {
            (PackedList::default(), PackedList::default())
        } else {
            self.sack_lists(room)
        };
        self.packets_unacked = 0;
        self.sack_now = false;
        self.deadline = None;
        Sack {
            cum_tsn_ack: self.cum_tsn(),
            a_rwnd,
            gap_blocks,
            duplicate_tsns,
        }
    }

    /// The gap ack blocks and duplicate TSNs for a SACK of at most `room`
    /// bytes; the duplicates are forgotten once listed or counted.
    fn sack_lists(&mut self, room: usize) -> (PackedList<GapAckBlock>, PackedList<Tsn>) {
        let cum = self.cum;
        let max_gap_blocks = room.saturating_sub(SACK_FIXED_LEN) / GapAckBlock::SIZE;
        // RFC 9260 §3.3.4: each block gives the offsets from the cumulative
        // TSN ack of the first and last TSN of a run received. Offsets are
        // 16-bit; the window bound keeps every held TSN within reach, and
        // a run ending beyond it would be cut to the part that fits.
        let gap_blocks: PackedList<GapAckBlock> = self
            .held
            .iter()
            .map_while(|(&start, &end)| {
                let start = u16::try_from(start - cum).ok()?;
                let end = u16::try_from(end - cum).unwrap_or(u16::MAX);
                Some(GapAckBlock { start, end })
            })
            .take(max_gap_blocks)
            .collect();
        // RFC 9260 §3.3.4: the duplicates received since the last SACK.
        let room = room
            .saturating_sub(SACK_FIXED_LEN)
            .saturating_sub(gap_blocks.byte_len());
        let listed = self.duplicates.len().min(room / Tsn::SIZE);
        let duplicate_tsns = PackedList::from(&self.duplicates[..listed]);
        self.stats.duplicates_unreported += (self.duplicates.len() - listed) as u64;
        self.duplicates.clear();
        (gap_blocks, duplicate_tsns)
    }

    fn on_duplicate(&mut self, tsn: Tsn) {
        self.stats.duplicates += 1;
        // RFC 9260 §6.2: a packet with duplicate DATA and no new DATA MUST
        // be SACKed at once; with new DATA it MAY be. Either way, at once.
        self.packet_urgent = true;
        // RFC 9260 §3.3.4: every duplicate reception is listed (a TSN
        // received three times is listed twice), up to our cap.
        if self.duplicates.len() < MAX_DUPLICATES {
            self.duplicates.push(tsn);
        } else {
            self.stats.duplicates_unreported += 1;
        }
    }

    /// Whether the unwrapped TSN `t` (above `cum`) is held.
    fn holds(&self, t: u64) -> bool {
        self.held
            .range(..=t)
            .next_back()
            .is_some_and(|(_, &end)| end >= t)
    }

    /// Records the unwrapped TSN `t`, above `cum` and not held.
    fn insert(&mut self, t: u64) {
        if t == self.cum + 1 {
            self.cum = t;
            if self.advance() {
                // A gap was filled: like TCP (RFC 5681 §4.2), tell the
                // sender at once so it sees the repair without delay.
                self.packet_urgent = true;
            }
            return;
        }
        let mut start = t;
        let mut end = t;
        if let Some((&s, &e)) = self.held.range(..t).next_back() {
            if e + 1 == t {
                start = s;
            }
        }
        if let Some(e) = self.held.remove(&(t + 1)) {
            end = e;
        }
        // Overwrites the run ending at t - 1, if `start` is its start.
        self.held.insert(start, end);
    }

    /// RFC 9260 §6.2: advances the cumulative ack point over the held runs
    /// it reaches, dropping runs at or below it. Returns whether it took in
    /// a held run. Each run is removed once, so this is amortized O(log n).
    fn advance(&mut self) -> bool {
        let mut took = false;
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() > self.cum + 1 {
                break;
            }
            let end = entry.remove();
            if end > self.cum {
                self.cum = end;
                took = true;
            }
        }
        took
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sctp_wire::{Chunk, Encode};
    use std::collections::BTreeSet;

    const DELAY: Duration = Duration::from_millis(200);

    /// Room for a SACK in an empty packet of 1200 bytes.
    const ROOM: usize = 1200 - sctp_wire::COMMON_HEADER_LEN;

    fn epoch() -> Instant {
        #[allow(clippy::disallowed_methods)] // an epoch for the tests
        let t0 = Instant::now();
        t0
    }

    fn blocks(sack: &Sack) -> Vec<(u16, u16)> {
        sack.gap_blocks.iter().map(|b| (b.start, b.end)).collect()
    }

    fn dups(sack: &Sack) -> Vec<u32> {
        sack.duplicate_tsns.iter().map(|t| t.0).collect()
    }

    /// Feeds one packet with these TSNs, then ends it.
    fn packet(tr: &mut ReceiveTracker, now: Instant, tsns: &[u32]) -> Vec<DataVerdict> {
        let verdicts = tsns.iter().map(|&t| tr.on_data(Tsn(t))).collect();
        tr.on_packet_processed(now, false);
        verdicts
    }

    #[test]
    fn in_order_arrival_advances_cum_without_gaps() {
        let mut tr = ReceiveTracker::new(Tsn(100), DELAY);
        assert_eq!(tr.cum_tsn(), Tsn(99));
        for t in 100..110 {
            assert_eq!(tr.on_data(Tsn(t)), DataVerdict::New);
            assert_eq!(tr.cum_tsn(), Tsn(t));
            assert!(!tr.has_gaps());
        }
        let sack = tr.make_sack(5000, ROOM);
        assert_eq!(sack.cum_tsn_ack, Tsn(109));
        assert_eq!(sack.a_rwnd, 5000);
        assert!(sack.gap_blocks.is_empty());
        assert!(sack.duplicate_tsns.is_empty());
    }

    #[test]
    fn a_hole_makes_one_gap_block_and_an_immediate_sack() {
        let t0 = epoch();
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        packet(&mut tr, t0, &[1, 3, 4]);
        assert_eq!(tr.cum_tsn(), Tsn(1));
        assert!(tr.has_gaps());
        assert!(tr.sack_due(t0), "a gap is reported without delay");
        let sack = tr.make_sack(1000, ROOM);
        assert_eq!(sack.cum_tsn_ack, Tsn(1));
        assert_eq!(blocks(&sack), [(2, 3)]);
        assert!(!tr.sack_due(t0));
        assert_eq!(tr.sack_deadline(), None);
    }

    #[test]
    fn filling_the_hole_merges_and_is_reported_at_once() {
        let t0 = epoch();
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        packet(&mut tr, t0, &[1, 3, 4]);
        tr.make_sack(1000, ROOM);
        packet(&mut tr, t0, &[2]);
        assert_eq!(tr.cum_tsn(), Tsn(4));
        assert!(!tr.has_gaps());
        assert!(tr.sack_due(t0), "the repair is reported without delay");
        let sack = tr.make_sack(1000, ROOM);
        assert_eq!(sack.cum_tsn_ack, Tsn(4));
        assert!(sack.gap_blocks.is_empty());
    }

    #[test]
    fn reneged_tsns_leave_the_gap_blocks() {
        // RFC 9260 §6.2: TSNs dropped after being reported are no longer
        // reported, so the sender resends them.
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        for t in [1, 3, 4, 5, 6, 8, 9] {
            tr.on_data(Tsn(t));
        }
        assert!(tr.fills_a_gap(Tsn(2)));
        assert!(!tr.fills_a_gap(Tsn(4)), "held already");
        assert!(!tr.fills_a_gap(Tsn(10)), "above everything held");
        assert!(!tr.fills_a_gap(Tsn(1)), "acknowledged already");
        tr.renege(Tsn(5), Tsn(8));
        assert_eq!(blocks(&tr.make_sack(0, ROOM)), [(2, 3), (8, 8)]);
        tr.renege(Tsn(1), Tsn(1));
        assert_eq!(tr.cum_tsn(), Tsn(1), "the cumulative ack never goes back");
        tr.renege(Tsn(9), Tsn(9));
        assert!(!tr.fills_a_gap(Tsn(7)), "nothing held above 7 any more");
        assert_eq!(tr.on_data(Tsn(9)), DataVerdict::New, "taken again");
    }

    #[test]
    fn a_tsn_between_two_runs_joins_them() {
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        for t in [3, 4, 6, 7] {
            tr.on_data(Tsn(t));
        }
        assert_eq!(blocks(&tr.make_sack(0, ROOM)), [(3, 4), (6, 7)]);
        tr.on_data(Tsn(5));
        assert_eq!(blocks(&tr.make_sack(0, ROOM)), [(3, 7)]);
        tr.on_data(Tsn(1));
        assert_eq!(tr.cum_tsn(), Tsn(1));
        assert_eq!(blocks(&tr.make_sack(0, ROOM)), [(2, 6)]);
    }

    #[test]
    fn several_holes_give_several_blocks_with_their_offsets() {
        let mut tr = ReceiveTracker::new(Tsn(1000), DELAY);
        // Received: 1000, 1002-1003, 1005, 1008-1010. Cum = 1000.
        for t in [1009, 1000, 1005, 1002, 1010, 1003, 1008] {
            assert_eq!(tr.on_data(Tsn(t)), DataVerdict::New);
        }
        let sack = tr.make_sack(0, ROOM);
        assert_eq!(sack.cum_tsn_ack, Tsn(1000));
        assert_eq!(blocks(&sack), [(2, 3), (5, 5), (8, 10)]);
        // Capped to the lowest two when room is short.
        tr.on_data(Tsn(1009));
        let room = SACK_FIXED_LEN + 2 * GapAckBlock::SIZE;
        assert_eq!(blocks(&tr.make_sack(0, room)), [(2, 3), (5, 5)]);
        assert!(tr.make_sack(0, SACK_FIXED_LEN).gap_blocks.is_empty());
    }

    #[test]
    fn a_sack_reports_as_many_gap_blocks_as_fit_in_the_packet() {
        // RFC 9260 §6.2: every other TSN of 1000 lost leaves 499 blocks; a
        // packet of 1200 bytes carries the lowest 293 of them, and the
        // duplicates waiting get no room.
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        for t in (1..=1000).step_by(2) {
            tr.on_data(Tsn(t));
        }
        tr.on_data(Tsn(999));
        let sack = tr.make_sack(0, ROOM);
        assert_eq!(sack.gap_blocks.len(), (ROOM - SACK_FIXED_LEN) / 4);
        assert_eq!(sack.gap_blocks.len(), 293);
        assert_eq!(blocks(&sack)[..2], [(2, 2), (4, 4)]);
        assert!(sack.duplicate_tsns.is_empty());
        assert_eq!(tr.stats().duplicates_unreported, 1);
        assert!(Chunk::Sack(sack).padded_len() <= ROOM);
        // With fewer holes the duplicates are listed after the blocks.
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        for t in [1, 3, 3] {
            tr.on_data(Tsn(t));
        }
        let sack = tr.make_sack(0, ROOM);
        assert_eq!(blocks(&sack), [(2, 2)]);
        assert_eq!(dups(&sack), [3]);
    }

    #[test]
    fn duplicates_below_and_above_cum_are_reported_once_then_cleared() {
        let t0 = epoch();
        let mut tr = ReceiveTracker::new(Tsn(10), DELAY);
        packet(&mut tr, t0, &[10, 11, 13]);
        tr.make_sack(0, ROOM);
        let verdicts = packet(&mut tr, t0, &[10, 13]);
        assert_eq!(verdicts, [DataVerdict::Duplicate, DataVerdict::Duplicate]);
        assert!(tr.sack_due(t0), "a packet of duplicates is SACKed at once");
        let sack = tr.make_sack(0, ROOM);
        assert_eq!(dups(&sack), [10, 13]);
        assert_eq!(blocks(&sack), [(2, 2)]);
        assert!(tr.make_sack(0, ROOM).duplicate_tsns.is_empty());
        assert_eq!(tr.stats().duplicates, 2);
    }

    #[test]
    fn a_tsn_received_three_times_is_listed_twice() {
        let mut tr = ReceiveTracker::new(Tsn(19), DELAY);
        for _ in 0..3 {
            tr.on_data(Tsn(19));
        }
        assert_eq!(dups(&tr.make_sack(0, ROOM)), [19, 19]);
    }

    #[test]
    fn the_duplicate_list_is_bounded_and_the_rest_counted() {
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        for t in 1..=100 {
            tr.on_data(Tsn(t));
        }
        for t in 1..=100 {
            assert_eq!(tr.on_data(Tsn(t)), DataVerdict::Duplicate);
        }
        let sack = tr.make_sack(0, ROOM);
        assert_eq!(sack.duplicate_tsns.len(), MAX_DUPLICATES);
        assert_eq!(dups(&sack), (1..=16).collect::<Vec<_>>());
        assert_eq!(tr.stats().duplicates, 100);
        assert_eq!(tr.stats().duplicates_unreported, 84);
    }

    #[test]
    fn every_second_packet_is_sacked_at_once() {
        let t0 = epoch();
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        packet(&mut tr, t0, &[1, 2]);
        assert!(!tr.sack_due(t0));
        assert_eq!(tr.sack_deadline(), Some(t0 + DELAY));
        let t1 = t0 + Duration::from_millis(50);
        packet(&mut tr, t1, &[3]);
        assert!(tr.sack_due(t1));
        assert_eq!(tr.make_sack(0, ROOM).cum_tsn_ack, Tsn(3));
        // The count starts over after a SACK.
        packet(&mut tr, t1, &[4]);
        assert!(!tr.sack_due(t1));
        packet(&mut tr, t1, &[5]);
        assert!(tr.sack_due(t1));
    }

    #[test]
    fn a_lone_packet_is_sacked_after_the_delay() {
        let t0 = epoch();
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        packet(&mut tr, t0, &[1]);
        assert_eq!(tr.sack_deadline(), Some(t0 + DELAY));
        assert!(!tr.sack_due(t0 + Duration::from_millis(199)));
        assert!(tr.sack_due(t0 + DELAY));
        tr.make_sack(0, ROOM);
        assert_eq!(tr.sack_deadline(), None);
        assert!(!tr.sack_due(t0 + Duration::from_secs(10)));
    }

    #[test]
    fn the_deadline_is_not_pushed_back_by_later_packets() {
        let t0 = epoch();
        let mut tr = ReceiveTracker::new(Tsn(1), Duration::ZERO);
        packet(&mut tr, t0, &[1]);
        assert_eq!(tr.sack_deadline(), Some(t0));
        assert!(tr.sack_due(t0), "a zero delay is due at once");

        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        packet(&mut tr, t0, &[1]);
        // A packet without DATA neither counts nor re-arms.
        tr.on_packet_processed(t0 + Duration::from_millis(100), false);
        assert_eq!(tr.sack_deadline(), Some(t0 + DELAY));
        assert!(!tr.sack_due(t0 + Duration::from_millis(100)));
    }

    #[test]
    fn the_i_bit_asks_for_an_immediate_sack() {
        let t0 = epoch();
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        tr.on_data(Tsn(1));
        tr.on_packet_processed(t0, true);
        assert!(tr.sack_due(t0));
        tr.make_sack(0, ROOM);
        // Even a packet without DATA can ask for one.
        tr.on_packet_processed(t0, true);
        assert!(tr.sack_due(t0));
    }

    #[test]
    fn tsns_wrap_around_u32_max() {
        let t0 = epoch();
        let mut tr = ReceiveTracker::new(Tsn(u32::MAX - 2), DELAY);
        assert_eq!(tr.cum_tsn(), Tsn(u32::MAX - 3));
        packet(&mut tr, t0, &[u32::MAX - 2, u32::MAX - 1, 1, 2]);
        assert_eq!(tr.cum_tsn(), Tsn(u32::MAX - 1));
        // Missing: u32::MAX and 0; held 1, 2 at offsets 3, 4.
        assert_eq!(blocks(&tr.make_sack(0, ROOM)), [(3, 4)]);
        assert_eq!(tr.on_data(Tsn(0)), DataVerdict::New);
        assert_eq!(tr.on_data(Tsn(u32::MAX)), DataVerdict::New);
        assert_eq!(tr.cum_tsn(), Tsn(2));
        assert!(!tr.has_gaps());
        assert_eq!(tr.on_data(Tsn(u32::MAX)), DataVerdict::Duplicate);
        assert_eq!(tr.on_data(Tsn(u32::MAX - 3)), DataVerdict::Duplicate);
        assert_eq!(dups(&tr.make_sack(0, ROOM)), [u32::MAX, u32::MAX - 3]);

        // Initial TSN 0: the cum point starts at u32::MAX.
        let mut tr = ReceiveTracker::new(Tsn(0), DELAY);
        assert_eq!(tr.cum_tsn(), Tsn(u32::MAX));
        assert_eq!(tr.on_data(Tsn(u32::MAX)), DataVerdict::Duplicate);
        assert_eq!(tr.on_data(Tsn(0)), DataVerdict::New);
        assert_eq!(tr.cum_tsn(), Tsn(0));
    }

    #[test]
    fn a_tsn_far_ahead_is_out_of_window() {
        let mut tr = ReceiveTracker::new(Tsn(u32::MAX - 10), DELAY);
        let cum = tr.cum_tsn();
        assert_eq!(
            tr.on_data(cum.wrapping_add(MAX_TSN_AHEAD + 1)),
            DataVerdict::OutOfWindow
        );
        assert_eq!(
            tr.on_data(cum.wrapping_add(1 << 31)),
            DataVerdict::OutOfWindow
        );
        assert_eq!(
            tr.on_data(cum.wrapping_add((1 << 31) - 1)),
            DataVerdict::OutOfWindow
        );
        assert_eq!(tr.stats().out_of_window, 3);
        // The last offset a gap block can carry is accepted and reported.
        assert_eq!(
            tr.on_data(cum.wrapping_add(MAX_TSN_AHEAD)),
            DataVerdict::New
        );
        assert_eq!(blocks(&tr.make_sack(0, ROOM)), [(u16::MAX, u16::MAX)]);
        // Far behind counts as received already (RFC 1982 "less than").
        assert_eq!(
            tr.on_data(cum.wrapping_sub((1 << 31) - 1)),
            DataVerdict::Duplicate
        );
        // Once the cum point moves, the window moves with it.
        tr.on_data(cum.next());
        assert_eq!(
            tr.on_data(cum.wrapping_add(MAX_TSN_AHEAD + 1)),
            DataVerdict::New
        );
    }

    #[test]
    fn forward_tsn_moves_cum_drops_held_and_advances_over_contiguous() {
        let t0 = epoch();
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        for t in [1, 3, 4, 6, 7, 8, 11] {
            tr.on_data(Tsn(t));
        }
        tr.on_packet_processed(t0, false);
        tr.make_sack(0, ROOM);
        // Skip 2..=6: 3, 4 and 6 are dropped, 7 and 8 follow on.
        assert!(tr.forward_cum_tsn(Tsn(6)));
        assert_eq!(tr.cum_tsn(), Tsn(8));
        assert_eq!(blocks(&tr.make_sack(0, ROOM)), [(3, 3)]);
        // Skipping into the middle of a run takes the rest of it.
        assert!(tr.forward_cum_tsn(Tsn(10)));
        assert_eq!(tr.cum_tsn(), Tsn(11));
        assert!(!tr.has_gaps());
        // It counts like DATA for the SACK rules.
        tr.on_packet_processed(t0, false);
        assert_eq!(tr.sack_deadline(), Some(t0 + DELAY));
        tr.make_sack(0, ROOM);
    }

    #[test]
    fn a_stale_forward_tsn_is_ignored_and_sacked_at_once() {
        let t0 = epoch();
        let mut tr = ReceiveTracker::new(Tsn(1), DELAY);
        for t in 1..=5 {
            tr.on_data(Tsn(t));
        }
        tr.on_packet_processed(t0, false);
        tr.make_sack(0, ROOM);
        assert!(!tr.forward_cum_tsn(Tsn(5)));
        assert!(!tr.forward_cum_tsn(Tsn(2)));
        assert!(!tr.forward_cum_tsn(Tsn(5).wrapping_add(1 << 31)));
        assert_eq!(tr.cum_tsn(), Tsn(5));
        tr.on_packet_processed(t0, false);
        assert!(tr.sack_due(t0));
    }

    #[test]
    fn forward_tsn_across_the_wrap_and_far_ahead() {
        let mut tr = ReceiveTracker::new(Tsn(u32::MAX - 1), DELAY);
        tr.on_data(Tsn(3));
        assert!(tr.forward_cum_tsn(Tsn(2)));
        assert_eq!(tr.cum_tsn(), Tsn(3));
        // A jump beyond the window is allowed: the peer abandons its own
        // data, and nothing is held beyond the new point.
        assert!(tr.forward_cum_tsn(Tsn(3).wrapping_add(1 << 30)));
        assert_eq!(tr.cum_tsn(), Tsn(3).wrapping_add(1 << 30));
        assert_eq!(tr.on_data(tr.cum_tsn().next()), DataVerdict::New);
    }

    /// The set of TSN offsets (from the initial TSN) a SACK says were
    /// received.
    fn described(initial: Tsn, sack: &Sack) -> BTreeSet<i64> {
        let cum = i64::from(initial.distance_to(sack.cum_tsn_ack));
        let mut set: BTreeSet<i64> = (0..=cum).collect();
        for b in sack.gap_blocks.iter() {
            set.extend(cum + i64::from(b.start)..=cum + i64::from(b.end));
        }
        set
    }

    fn check_blocks_well_formed(sack: &Sack) {
        let mut last_end: Option<u32> = None;
        for b in sack.gap_blocks.iter() {
            assert!(b.start >= 2, "offset 1 would have advanced the cum point");
            assert!(b.start <= b.end);
            if let Some(e) = last_end {
                assert!(
                    u32::from(b.start) > e + 1,
                    "blocks are ordered and not adjacent"
                );
            }
            last_end = Some(u32::from(b.end));
        }
    }

    /// A permutation of 0..n with some indices repeated at random places.
    fn feed() -> impl Strategy<Value = Vec<u32>> {
        (1u32..300)
            .prop_flat_map(|n| {
                (
                    Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                    prop::collection::vec((0..n, any::<prop::sample::Index>()), 0..40),
                )
            })
            .prop_map(|(mut order, extra)| {
                for (i, at) in extra {
                    let at = at.index(order.len() + 1);
                    order.insert(at, i);
                }
                order
            })
    }

    proptest! {
        #[test]
        fn sacks_describe_exactly_what_was_received(initial in any::<u32>(), order in feed()) {
            let initial = Tsn(initial);
            let t0 = epoch();
            let mut tr = ReceiveTracker::new(initial, DELAY);
            let mut model: BTreeSet<i64> = BTreeSet::new();
            let last = order.iter().copied().max().unwrap();
            for &i in &order {
                let tsn = initial.wrapping_add(i);
                let fresh = model.insert(i64::from(i));
                let verdict = tr.on_data(tsn);
                prop_assert_eq!(verdict, if fresh { DataVerdict::New } else { DataVerdict::Duplicate });
                tr.on_packet_processed(t0, false);
                prop_assert_eq!(tr.has_gaps(), model.len() != model.last().map_or(0, |&m| m as usize + 1));
                let sack = tr.make_sack(0, usize::MAX);
                check_blocks_well_formed(&sack);
                prop_assert_eq!(described(initial, &sack), model.clone());
                let expected_dups: Vec<u32> = if fresh { vec![] } else { vec![tsn.0] };
                prop_assert_eq!(dups(&sack), expected_dups);
            }
            prop_assert_eq!(tr.cum_tsn(), initial.wrapping_add(last));
            prop_assert!(!tr.has_gaps());
        }

        #[test]
        fn arbitrary_input_never_panics_and_stays_bounded(
            initial in any::<u32>(),
            ops in prop::collection::vec((0u8..8, any::<u32>(), any::<u16>()), 0..300),
        ) {
            let mut now = epoch();
            let mut tr = ReceiveTracker::new(Tsn(initial), DELAY);
            for (op, raw, near) in ops {
                match op {
                    // Mostly TSNs near the cum point, where the action is.
                    0..=3 => { tr.on_data(tr.cum_tsn().wrapping_add(u32::from(near))); }
                    4 => { tr.on_data(Tsn(raw)); }
                    5 => { tr.forward_cum_tsn(tr.cum_tsn().wrapping_add(u32::from(near) / 64)); }
                    6 => {
                        now += Duration::from_millis(u64::from(near % 300));
                        tr.on_packet_processed(now, near % 7 == 0);
                    }
                    _ => {
                        if tr.sack_due(now) || near % 3 == 0 {
                            let room = usize::from(near % 128);
                            let sack = tr.make_sack(raw, room);
                            check_blocks_well_formed(&sack);
                            prop_assert!(sack.duplicate_tsns.len() <= MAX_DUPLICATES);
                            let listed = sack.gap_blocks.len() + sack.duplicate_tsns.len();
                            prop_assert!(SACK_FIXED_LEN + 4 * listed <= room.max(SACK_FIXED_LEN));
                        }
                    }
                }
                prop_assert!(tr.held.len() <= MAX_TSN_AHEAD as usize / 2 + 1);
                prop_assert!(tr.duplicates.len() <= MAX_DUPLICATES);
                if let Some((&s, _)) = tr.held.first_key_value() {
                    prop_assert!(s > tr.cum + 1);
                }
                if let Some((_, &e)) = tr.held.last_key_value() {
                    prop_assert!(e - tr.cum <= u64::from(MAX_TSN_AHEAD));
                }
            }
        }
    }
}

//! One direction of a link: outages, MTU, loss, duplication, a bottleneck
//! queue drained at the link's bandwidth, corruption, propagation delay,
//! jitter and reordering.
//!
//! The queue is modelled by departure times: a packet admitted at `now`
//! starts serialising when the transmitter is free and leaves
//! `len · 8 / bandwidth` later, so no event is needed for the queue
//! itself. Several flows sharing a link share this queue.

use crate::codel::{Aqm, Codel};
use crate::error::{check_range, ms_to_ns, FieldError};
use crate::loss::{Loss, LossModel};
use crate::rng::Rng;
use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;

/// A time window during which the link carries nothing.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outage {
    /// When the link goes down, in ms from the start.
    pub start_ms: f64,
    /// When it comes back, in ms from the start.
    pub end_ms: f64,
}

/// Packets overtaken by later ones.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reorder {
    /// Share of packets held back.
    pub probability: f64,
    /// How long a held-back packet is delayed on top of the others, in ms.
    pub extra_delay_ms: f64,
    /// If set, the extra delay is drawn uniformly between
    /// `extra_delay_ms` and this, in ms.
    #[serde(default)]
    pub max_extra_delay_ms: Option<f64>,
}

/// The parameters of one link direction, as a scenario file gives them.
/// Every field has a default: an ideal, instant, lossless link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkParams {
    /// Bandwidth in Mbit/s; none for an infinitely fast link (no
    /// serialisation delay and no queue).
    pub bandwidth_mbps: Option<f64>,
    /// One-way propagation delay in ms.
    pub delay_ms: f64,
    /// Extra delay drawn uniformly from 0 to this many ms per packet;
    /// jitter alone never reorders (a packet is not delivered before the
    /// one sent ahead of it), use `reorder` for that.
    pub jitter_ms: f64,
    /// Bottleneck queue limit in bytes (packet in service included).
    pub queue_bytes: Option<u64>,
    /// Bottleneck queue limit in packets (packet in service included).
    pub queue_packets: Option<u64>,
    /// Queue discipline: drop-tail or CoDel.
    pub aqm: Aqm,
    /// Loss model; none loses nothing.
    pub loss: Option<LossModel>,
    /// Reordering; none keeps order.
    pub reorder: Option<Reorder>,
    /// Probability that a packet is delivered twice.
    pub duplicate: f64,
    /// Probability that one bit of a packet is flipped (the receiver's
    /// CRC32c must catch it).
    pub corrupt: f64,
    /// Times when the link is down.
    pub outages: Vec<Outage>,
    /// Times when the link holds packets instead of losing them: what
    /// would arrive in the window arrives when it ends, all at once (a
    /// stalled radio releasing its buffer).
    pub holds: Vec<Outage>,
    /// Largest packet carried; larger ones are dropped.
    pub mtu: usize,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            bandwidth_mbps: None,
            delay_ms: 0.0,
            jitter_ms: 0.0,
            queue_bytes: None,
            queue_packets: None,
            aqm: Aqm::DropTail,
            loss: None,
            reorder: None,
            duplicate: 0.0,
            corrupt: 0.0,
            outages: Vec::new(),
            holds: Vec::new(),
            mtu: 1500,
        }
    }
}

/// Link parameters checked and converted to nanoseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledLink {
    /// Bits per second; 0 for infinite.
    pub bandwidth_bps: u64,
    /// Propagation delay, ns.
    pub delay_ns: u64,
    /// Jitter bound, ns.
    pub jitter_ns: u64,
    /// Queue limit in bytes.
    pub queue_bytes: Option<u64>,
    /// Queue limit in packets.
    pub queue_packets: Option<u64>,
    /// CoDel's target and interval, ns, if the queue runs CoDel.
    pub codel: Option<(u64, u64)>,
    /// Loss model.
    pub loss: Option<LossModel>,
    /// Reordering probability and the range of the extra delay in ns.
    pub reorder: Option<(f64, u64, u64)>,
    /// Duplication probability.
    pub duplicate: f64,
    /// Corruption probability.
    pub corrupt: f64,
    /// Outage windows, ns, sorted.
    pub outages: Vec<(u64, u64)>,
    /// Hold windows, ns, sorted.
    pub holds: Vec<(u64, u64)>,
    /// MTU in bytes.
    pub mtu: usize,
}

impl LinkParams {
    /// Checks every field (naming it under `field` on error) and converts.
    pub fn compile(&self, field: &str) -> Result<CompiledLink, FieldError> {
        let bandwidth_bps = match self.bandwidth_mbps {
            None => 0,
            Some(mbps) => {
                let mbps = check_range(&format!("{field}.bandwidth_mbps"), mbps, 0.001, 1e6)?;
                (mbps * 1e6).round() as u64
            }
        };
        if let Some(loss) = &self.loss {
            loss.validate(&format!("{field}.loss"))?;
        }
        let reorder = match self.reorder {
            None => None,
            Some(r) => {
                let p = check_range(
                    &format!("{field}.reorder.probability"),
                    r.probability,
                    0.0,
                    1.0,
                )?;
                let lo = ms_to_ns(&format!("{field}.reorder.extra_delay_ms"), r.extra_delay_ms)?;
                let hi = match r.max_extra_delay_ms {
                    None => lo,
                    Some(max) => {
                        let hi = ms_to_ns(&format!("{field}.reorder.max_extra_delay_ms"), max)?;
                        if hi < lo {
                            return Err(FieldError::new(
                                format!("{field}.reorder.max_extra_delay_ms"),
                                "is below extra_delay_ms",
                            ));
                        }
                        hi
                    }
                };
                Some((p, lo, hi))
            }
        };
        let outages = windows(&format!("{field}.outages"), &self.outages)?;
        let holds = windows(&format!("{field}.holds"), &self.holds)?;
        if self.mtu < 64 {
            return Err(FieldError::new(
                format!("{field}.mtu"),
                format!("{} is below 64 bytes", self.mtu),
            ));
        }
        for (name, limit) in [
            ("queue_bytes", self.queue_bytes),
            ("queue_packets", self.queue_packets),
        ] {
            if limit == Some(0) {
                return Err(FieldError::new(
                    format!("{field}.{name}"),
                    "a queue must hold at least one packet",
                ));
            }
        }
        let codel = match self.aqm {
            Aqm::DropTail => None,
            Aqm::Codel {
                target_ms,
                interval_ms,
            } => {
                let target = ms_to_ns(&format!("{field}.aqm.codel.target_ms"), target_ms)?;
                let interval = ms_to_ns(&format!("{field}.aqm.codel.interval_ms"), interval_ms)?;
                if target == 0 || interval <= target {
                    return Err(FieldError::new(
                        format!("{field}.aqm.codel"),
                        "needs 0 < target_ms < interval_ms",
                    ));
                }
                if bandwidth_bps == 0 {
                    return Err(FieldError::new(
                        format!("{field}.aqm"),
                        "CoDel needs a queue: set bandwidth_mbps",
                    ));
                }
                Some((target, interval))
            }
        };
        Ok(CompiledLink {
            bandwidth_bps,
            codel,
            delay_ns: ms_to_ns(&format!("{field}.delay_ms"), self.delay_ms)?,
            jitter_ns: ms_to_ns(&format!("{field}.jitter_ms"), self.jitter_ms)?,
            queue_bytes: self.queue_bytes,
            queue_packets: self.queue_packets,
            loss: self.loss.clone(),
            reorder,
            duplicate: check_range(&format!("{field}.duplicate"), self.duplicate, 0.0, 1.0)?,
            corrupt: check_range(&format!("{field}.corrupt"), self.corrupt, 0.0, 1.0)?,
            outages,
            holds,
            mtu: self.mtu,
        })
    }
}

/// Converts time windows to sorted (start, end) in ns.
fn windows(field: &str, list: &[Outage]) -> Result<Vec<(u64, u64)>, FieldError> {
    let mut out = Vec::with_capacity(list.len());
    for (i, o) in list.iter().enumerate() {
        let start = ms_to_ns(&format!("{field}[{i}].start_ms"), o.start_ms)?;
        let end = ms_to_ns(&format!("{field}[{i}].end_ms"), o.end_ms)?;
        if end <= start {
            return Err(FieldError::new(
                format!("{field}[{i}].end_ms"),
                "must be after start_ms",
            ));
        }
        out.push((start, end));
    }
    out.sort_unstable();
    Ok(out)
}

/// Why a link dropped a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The link was down.
    Outage,
    /// Larger than the link's MTU.
    TooBig,
    /// The loss model.
    Loss,
    /// The bottleneck queue was full (drop-tail).
    QueueFull,
    /// CoDel dropped it (RFC 8289).
    Aqm,
    /// The simulation's tap refused it.
    Filtered,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Outage => "outage",
            DropReason::TooBig => "larger than the MTU",
            DropReason::Loss => "loss",
            DropReason::QueueFull => "queue full",
            DropReason::Aqm => "CoDel",
            DropReason::Filtered => "filtered by the tap",
        })
    }
}

/// What became of one copy of a packet put on a link.
#[derive(Clone, Debug)]
pub enum LinkOutcome {
    /// Dropped.
    Dropped {
        /// Why.
        reason: DropReason,
        /// The packet.
        packet: Bytes,
    },
    /// Will arrive.
    Delivered(Delivery),
}

/// A packet copy that will reach the far end.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Arrival time, ns.
    pub at: u64,
    /// The bytes, possibly corrupted.
    pub packet: Bytes,
    /// Whether a bit was flipped.
    pub corrupted: bool,
    /// Time spent waiting in the bottleneck queue, ns.
    pub queue_delay: u64,
}

/// Counters of what a link direction did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Packets offered.
    pub offered: u64,
    /// Copies that will arrive (duplicates counted).
    pub delivered: u64,
    /// Bytes of those copies.
    pub delivered_bytes: u64,
    /// Dropped during an outage.
    pub outage_drops: u64,
    /// Dropped for exceeding the MTU.
    pub mtu_drops: u64,
    /// Dropped by the loss model.
    pub lost: u64,
    /// Dropped at the full queue.
    pub queue_drops: u64,
    /// Dropped by CoDel.
    pub aqm_drops: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Copies with a flipped bit.
    pub corrupted: u64,
    /// Copies held back to be overtaken.
    pub reordered: u64,
    /// Copies held until the end of a hold window.
    pub held: u64,
}

/// One direction of a link, with its queue and random state.
#[derive(Debug)]
pub struct LinkDirection {
    params: CompiledLink,
    rng: Rng,
    loss: Loss,
    codel: Option<Codel>,
    /// When the transmitter finishes what is queued.
    busy_until: u64,
    /// (departure, length) of the packets queued or in service.
    queue: VecDeque<(u64, u32)>,
    queued_bytes: u64,
    /// Latest arrival of an in-order packet: jitter never reorders.
    last_arrival: u64,
    stats: LinkStats,
}

impl LinkDirection {
    /// A direction with `params`, drawing its random choices from `rng`.
    pub fn new(params: CompiledLink, rng: Rng) -> Self {
        LinkDirection {
            loss: Loss::new(params.loss.clone()),
            codel: params.codel.map(|(t, i)| Codel::new(t, i)),
            params,
            rng,
            busy_until: 0,
            queue: VecDeque::new(),
            queued_bytes: 0,
            last_arrival: 0,
            stats: LinkStats::default(),
        }
    }

    /// The parameters.
    pub fn params(&self) -> &CompiledLink {
        &self.params
    }

    /// Replaces the parameters from now on. Packets already queued or on
    /// the wire keep their times; the loss model and CoDel restart if
    /// they changed.
    pub fn set_params(&mut self, params: CompiledLink) {
        if params.loss != self.params.loss {
            self.loss = Loss::new(params.loss.clone());
        }
        if params.codel != self.params.codel {
            self.codel = params.codel.map(|(t, i)| Codel::new(t, i));
        }
        self.params = params;
    }

    /// What the direction has done so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// Whether the link is down at `t`.
    pub fn is_down(&self, t: u64) -> bool {
        self.params
            .outages
            .iter()
            .any(|&(s, e)| (s..e).contains(&t))
    }

    /// Time to serialise `len` bytes, ns (0 on an infinite link).
    pub fn serialisation_ns(&self, len: usize) -> u64 {
        if self.params.bandwidth_bps == 0 {
            return 0;
        }
        let bits = len as u128 * 8 * 1_000_000_000;
        bits.div_ceil(u128::from(self.params.bandwidth_bps)) as u64
    }

    fn drain_departed(&mut self, now: u64) {
        while let Some(&(departure, len)) = self.queue.front() {
            if departure > now {
                break;
            }
            self.queue.pop_front();
            self.queued_bytes -= u64::from(len);
        }
    }

    /// Bytes and packets in the queue (in service included) at `now`.
    pub fn queue_len(&mut self, now: u64) -> (u64, usize) {
        self.drain_departed(now);
        (self.queued_bytes, self.queue.len())
    }

    /// Puts a packet sent at `now` on the link; the fate of each copy is
    /// appended to `out`.
    pub fn transmit(&mut self, now: u64, packet: Bytes, out: &mut Vec<LinkOutcome>) {
        self.stats.offered += 1;
        let reason = if self.is_down(now) {
            self.stats.outage_drops += 1;
            Some(DropReason::Outage)
        } else if packet.len() > self.params.mtu {
            self.stats.mtu_drops += 1;
            Some(DropReason::TooBig)
        } else if self.loss.drops(&mut self.rng) {
            self.stats.lost += 1;
            Some(DropReason::Loss)
        } else {
            None
        };
        if let Some(reason) = reason {
            out.push(LinkOutcome::Dropped { reason, packet });
            return;
        }
        if self.rng.chance(self.params.duplicate) {
            self.stats.duplicated += 1;
            out.push(self.carry(now, packet.clone()));
        }
        out.push(self.carry(now, packet));
    }

    /// One copy through the queue, corruption and delays.
    fn carry(&mut self, now: u64, packet: Bytes) -> LinkOutcome {
        let len = packet.len();
        let mut start = now;
        let mut departure = now;
        if self.params.bandwidth_bps > 0 {
            self.drain_departed(now);
            let full_bytes = self
                .params
                .queue_bytes
                .is_some_and(|limit| self.queued_bytes + len as u64 > limit);
            let full_packets = self
                .params
                .queue_packets
                .is_some_and(|limit| self.queue.len() as u64 >= limit);
            if full_bytes || full_packets {
                self.stats.queue_drops += 1;
                return LinkOutcome::Dropped {
                    reason: DropReason::QueueFull,
                    packet,
                };
            }
            start = now.max(self.busy_until);
            let mtu = self.params.mtu as u64;
            if let Some(codel) = &mut self.codel {
                if codel.drops(start, start - now, self.queued_bytes, mtu) {
                    self.stats.aqm_drops += 1;
                    return LinkOutcome::Dropped {
                        reason: DropReason::Aqm,
                        packet,
                    };
                }
            }
            departure = start + self.serialisation_ns(len);
            self.busy_until = departure;
            self.queue.push_back((departure, len as u32));
            self.queued_bytes += len as u64;
        }
        // A packet still on the wire when the link goes down is lost.
        if departure != now && self.is_down(departure) {
            self.stats.outage_drops += 1;
            return LinkOutcome::Dropped {
                reason: DropReason::Outage,
                packet,
            };
        }
        let mut packet = packet;
        let corrupted = self.rng.chance(self.params.corrupt);
        if corrupted && !packet.is_empty() {
            let bit = self.rng.below(len as u64 * 8);
            let mut bytes = BytesMut::from(&packet[..]);
            bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
            packet = bytes.freeze();
            self.stats.corrupted += 1;
        }
        let jitter = if self.params.jitter_ns > 0 {
            self.rng.below(self.params.jitter_ns + 1)
        } else {
            0
        };
        let mut at = departure + self.params.delay_ns + jitter;
        // A held packet waits for the end of the hold.
        if let Some(&(_, end)) = self
            .params
            .holds
            .iter()
            .find(|&&(s, e)| (s..e).contains(&departure))
        {
            self.stats.held += 1;
            at = at.max(end + self.params.delay_ns);
        }
        match self.params.reorder {
            Some((p, lo, hi)) if self.rng.chance(p) => {
                self.stats.reordered += 1;
                // A fixed delay draws nothing more: runs of scenarios
                // without a range stay as they were.
                at += if hi > lo {
                    self.rng.between(lo, hi)
                } else {
                    lo
                };
            }
            _ => {
                at = at.max(self.last_arrival);
                self.last_arrival = at;
            }
        }
        self.stats.delivered += 1;
        self.stats.delivered_bytes += len as u64;
        LinkOutcome::Delivered(Delivery {
            at,
            packet,
            corrupted,
            queue_delay: start - now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(params: LinkParams) -> LinkDirection {
        LinkDirection::new(params.compile("link").expect("valid"), Rng::new(5))
    }

    fn delivered(out: &[LinkOutcome]) -> Vec<&Delivery> {
        out.iter()
            .filter_map(|o| match o {
                LinkOutcome::Delivered(d) => Some(d),
                LinkOutcome::Dropped { .. } => None,
            })
            .collect()
    }

    #[test]
    fn a_1200_byte_packet_on_10_mbits_takes_960_us() {
        let mut l = link(LinkParams {
            bandwidth_mbps: Some(10.0),
            ..LinkParams::default()
        });
        assert_eq!(l.serialisation_ns(1200), 960_000);
        let mut out = Vec::new();
        l.transmit(0, Bytes::from(vec![0u8; 1200]), &mut out);
        l.transmit(0, Bytes::from(vec![0u8; 1200]), &mut out);
        let d = delivered(&out);
        // The second waits behind the first in the queue.
        assert_eq!((d[0].at, d[0].queue_delay), (960_000, 0));
        assert_eq!((d[1].at, d[1].queue_delay), (1_920_000, 960_000));
        assert_eq!(l.queue_len(0), (2400, 2));
        assert_eq!(l.queue_len(960_000), (1200, 1));
        assert_eq!(l.queue_len(1_920_000), (0, 0));
    }

    #[test]
    fn a_reordering_range_draws_each_late_packet_a_delay_within_it() {
        let mut l = link(LinkParams {
            delay_ms: 10.0,
            reorder: Some(Reorder {
                probability: 1.0,
                extra_delay_ms: 3.0,
                max_extra_delay_ms: Some(10.0),
            }),
            ..LinkParams::default()
        });
        let mut out = Vec::new();
        for _ in 0..1000 {
            l.transmit(0, Bytes::from_static(b"x"), &mut out);
        }
        let extra: Vec<u64> = delivered(&out).iter().map(|d| d.at - 10_000_000).collect();
        assert!(extra.iter().all(|e| (3_000_000..=10_000_000).contains(e)));
        let (lo, hi) = (extra.iter().min().unwrap(), extra.iter().max().unwrap());
        assert!(*lo < 3_500_000 && *hi > 9_500_000, "{lo}..{hi}");
    }

    #[test]
    fn propagation_delay_adds_and_jitter_never_reorders() {
        let mut l = link(LinkParams {
            delay_ms: 10.0,
            jitter_ms: 5.0,
            ..LinkParams::default()
        });
        let mut out = Vec::new();
        for t in 0..1000u64 {
            l.transmit(t * 100_000, Bytes::from_static(b"x"), &mut out);
        }
        let d = delivered(&out);
        assert_eq!(d.len(), 1000);
        for (i, pair) in d.windows(2).enumerate() {
            assert!(pair[0].at <= pair[1].at, "packet {i} overtaken");
        }
        // Each packet takes 10 ms plus up to 5 ms of jitter.
        for (i, x) in d.iter().enumerate() {
            let one_way = x.at - i as u64 * 100_000;
            assert!((10_000_000..=15_000_000).contains(&one_way), "{one_way}");
        }
        assert!(d
            .iter()
            .enumerate()
            .any(|(i, x)| x.at - i as u64 * 100_000 > 12_000_000));
    }

    #[test]
    fn drop_tail_queue_limits_bytes_and_packets() {
        let mut by_bytes = link(LinkParams {
            bandwidth_mbps: Some(1.0),
            queue_bytes: Some(3000),
            ..LinkParams::default()
        });
        let mut out = Vec::new();
        for _ in 0..5 {
            by_bytes.transmit(0, Bytes::from(vec![0u8; 1000]), &mut out);
        }
        assert_eq!(delivered(&out).len(), 3);
        assert_eq!(by_bytes.stats().queue_drops, 2);
        let mut by_packets = link(LinkParams {
            bandwidth_mbps: Some(1.0),
            queue_packets: Some(2),
            ..LinkParams::default()
        });
        out.clear();
        for _ in 0..5 {
            by_packets.transmit(0, Bytes::from(vec![0u8; 100]), &mut out);
        }
        assert_eq!(delivered(&out).len(), 2);
    }

    #[test]
    fn outages_mtu_duplication_corruption_and_reordering_do_what_they_say() {
        let mut l = link(LinkParams {
            outages: vec![Outage {
                start_ms: 1.0,
                end_ms: 2.0,
            }],
            mtu: 100,
            duplicate: 0.5,
            corrupt: 0.5,
            reorder: Some(Reorder {
                probability: 0.5,
                extra_delay_ms: 3.0,
                max_extra_delay_ms: None,
            }),
            ..LinkParams::default()
        });
        let mut out = Vec::new();
        l.transmit(1_500_000, Bytes::from_static(b"down"), &mut out);
        l.transmit(0, Bytes::from(vec![0u8; 101]), &mut out);
        assert!(matches!(
            out[..],
            [
                LinkOutcome::Dropped {
                    reason: DropReason::Outage,
                    ..
                },
                LinkOutcome::Dropped {
                    reason: DropReason::TooBig,
                    ..
                }
            ]
        ));
        out.clear();
        let original = Bytes::from(vec![0u8; 64]);
        for i in 0..2000u64 {
            l.transmit(3_000_000 + i, original.clone(), &mut out);
        }
        let d = delivered(&out);
        let s = l.stats();
        assert_eq!(d.len() as u64, 2000 + s.duplicated);
        assert!((900..1100).contains(&s.duplicated), "{s:?}");
        for x in &d {
            let flipped: u32 = x
                .packet
                .iter()
                .zip(original.iter())
                .map(|(a, b)| (a ^ b).count_ones())
                .sum();
            assert_eq!(flipped, u32::from(x.corrupted));
        }
        assert!(s.reordered > 1000, "{s:?}");
        assert!(d.windows(2).any(|w| w[0].at > w[1].at));
    }

    #[test]
    fn new_parameters_apply_to_packets_sent_after_the_change() {
        let mut l = link(LinkParams {
            bandwidth_mbps: Some(10.0),
            ..LinkParams::default()
        });
        let mut out = Vec::new();
        l.transmit(0, Bytes::from(vec![0u8; 1200]), &mut out);
        let slower = LinkParams {
            bandwidth_mbps: Some(1.0),
            delay_ms: 1.0,
            ..LinkParams::default()
        };
        l.set_params(slower.compile("link").expect("valid"));
        l.transmit(0, Bytes::from(vec![0u8; 1200]), &mut out);
        let d = delivered(&out);
        // The first keeps its 960 µs; the second waits for it, then takes
        // 9.6 ms at the new rate, plus the new delay.
        assert_eq!(d[0].at, 960_000);
        assert_eq!(d[1].at, 960_000 + 9_600_000 + 1_000_000);
    }

    #[test]
    fn a_hold_releases_its_packets_in_order_when_it_ends() {
        let mut l = link(LinkParams {
            delay_ms: 1.0,
            holds: vec![Outage {
                start_ms: 10.0,
                end_ms: 20.0,
            }],
            ..LinkParams::default()
        });
        let mut out = Vec::new();
        for t in [5, 12, 15, 25] {
            l.transmit(t * 1_000_000, Bytes::from_static(b"p"), &mut out);
        }
        let at: Vec<u64> = delivered(&out).iter().map(|d| d.at / 1_000_000).collect();
        assert_eq!(at, [6, 21, 21, 26]);
        assert_eq!(l.stats().held, 2);
    }

    #[test]
    fn bad_parameters_name_their_field() {
        let bad = LinkParams {
            duplicate: 2.0,
            ..LinkParams::default()
        };
        assert_eq!(
            bad.compile("links[1].reverse").map_err(|e| e.field),
            Err("links[1].reverse.duplicate".to_owned())
        );
        let bad = LinkParams {
            outages: vec![Outage {
                start_ms: 5.0,
                end_ms: 1.0,
            }],
            ..LinkParams::default()
        };
        assert_eq!(
            bad.compile("l").map_err(|e| e.field),
            Err("l.outages[0].end_ms".to_owned())
        );
    }
}

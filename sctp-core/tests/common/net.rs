//! An impaired in-memory link, [`Net`], and traffic checked end to end,
//! [`Flow`], shared by the network tests (`network.rs`,
//! `transfer_large.rs`).
//!
//! The pair harness of `common` delivers every packet after one fixed
//! delay and builds its associations from fixed seeds; [`Net`] gives every
//! packet its own arrival time (reordering), may drop it or deliver it
//! twice, and the associations can be given any [`RandomSource`].
//! Everything, the impairments included, is driven by seeds, so every run
//! is the same.
//!
//! [`RandomSource`]: sctp_core::RandomSource

use super::Side;
use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sctp_core::{Association, Config, Event, SeededRandom, State};
use sctp_wire::{ChunkType, Ppid};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------
// The simulator
// ---------------------------------------------------------------------

/// splitmix64: the network's own coin tosses.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u32) -> bool {
        self.next_u64() % 100 < u64::from(percent)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// What the link does to the packets of one direction.
#[derive(Clone, Copy, Debug, Default)]
pub struct Impairment {
    /// Percent of packets dropped.
    pub loss: u32,
    /// Percent of (surviving) packets delivered twice.
    pub duplicate: u32,
    /// Percent of copies that get an extra delay of 1..=`max_extra_ms`,
    /// so packets sent later overtake them.
    pub reorder: u32,
    pub max_extra_ms: u64,
}

impl Impairment {
    pub const CLEAN: Impairment = Impairment {
        loss: 0,
        duplicate: 0,
        reorder: 0,
        max_extra_ms: 0,
    };
}

/// Counts of what the link did.
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkStats {
    pub sent: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub delayed: u64,
    /// Packets carrying both a SACK and DATA.
    pub sack_with_data: u64,
}

/// Sees every packet sent, before the link's impairments; `false` drops it.
pub type Tap = Box<dyn FnMut(Side, &Bytes) -> bool>;

/// Two associations joined by an impaired in-memory link on virtual time.
pub struct Net {
    pub a: Association,
    pub z: Association,
    pub now: Instant,
    /// Base one-way delay.
    pub delay: Duration,
    /// Impairment of the packets A sends (toward Z), and of Z's.
    pub from_a: Impairment,
    pub from_z: Impairment,
    /// Impairments are only applied while this is set.
    pub impaired: bool,
    rng: Rng,
    seq: u64,
    /// Packets on the link by (arrival, sequence), with their sender.
    in_flight: BTreeMap<(Instant, u64), (Side, Bytes)>,
    pub a_events: Vec<Event>,
    pub z_events: Vec<Event>,
    pub stats: [LinkStats; 2],
    pub tap: Tap,
    pub steps: u64,
}

impl Net {
    pub fn new(a: Association, z: Association, now: Instant, seed: u64) -> Self {
        Net {
            a,
            z,
            now,
            delay: Duration::from_millis(10),
            from_a: Impairment::CLEAN,
            from_z: Impairment::CLEAN,
            impaired: false,
            rng: Rng::new(seed),
            seq: 0,
            in_flight: BTreeMap::new(),
            a_events: Vec::new(),
            z_events: Vec::new(),
            stats: [LinkStats::default(); 2],
            tap: Box::new(|_, _| true),
            steps: 0,
        }
    }

    /// A client and a server built from seeded generators.
    pub fn seeded(seed: u64) -> Self {
        Net::with_configs(seed, Config::default(), Config::default())
    }

    pub fn with_configs(seed: u64, a: Config, z: Config) -> Self {
        let now = super::epoch();
        let a = Association::client(
            a,
            now,
            Box::new(SeededRandom::new(seed.wrapping_mul(2).wrapping_add(1))),
        );
        let z = Association::server(
            z,
            now,
            Box::new(SeededRandom::new(seed.wrapping_mul(2).wrapping_add(2))),
        );
        Net::new(a, z, now, seed)
    }

    pub fn assoc(&mut self, side: Side) -> &mut Association {
        match side {
            Side::A => &mut self.a,
            Side::Z => &mut self.z,
        }
    }

    /// Puts one packet sent by `from` on the link.
    pub fn transmit(&mut self, from: Side, datagram: Bytes) {
        let types = super::chunk_types(&datagram);
        let stats = &mut self.stats[from as usize];
        stats.sent += 1;
        if types.contains(&ChunkType::SACK) && types.contains(&ChunkType::DATA) {
            stats.sack_with_data += 1;
        }
        if !(self.tap)(from, &datagram) {
            stats.dropped += 1;
            return;
        }
        let imp = match (self.impaired, from) {
            (false, _) => Impairment::CLEAN,
            (true, Side::A) => self.from_a,
            (true, Side::Z) => self.from_z,
        };
        if self.rng.percent(imp.loss) {
            stats.dropped += 1;
            return;
        }
        let copies = if self.rng.percent(imp.duplicate) {
            stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut arrival = self.now + self.delay;
            if imp.max_extra_ms > 0 && self.rng.percent(imp.reorder) {
                arrival += Duration::from_millis(1 + self.rng.below(imp.max_extra_ms));
                self.stats[from as usize].delayed += 1;
            }
            self.seq += 1;
            self.in_flight
                .insert((arrival, self.seq), (from, datagram.clone()));
        }
    }

    /// Takes everything both sides want to send, and their events.
    pub fn drain(&mut self) {
        for side in [Side::A, Side::Z] {
            let now = self.now;
            while let Some(d) = self.assoc(side).poll_transmit(now) {
                self.transmit(side, d);
            }
        }
        while let Some(e) = self.a.poll_event() {
            self.a_events.push(e);
        }
        while let Some(e) = self.z.poll_event() {
            self.z_events.push(e);
        }
    }

    /// Advances to the next arrival or timeout and handles it; `false`
    /// when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        self.steps += 1;
        self.drain();
        let next_arrival = self.in_flight.keys().next().map(|(t, _)| *t);
        let next = [next_arrival, self.a.poll_timeout(), self.z.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else { return false };
        assert!(next >= self.now, "a timeout in the past");
        self.now = next;
        while let Some(entry) = self.in_flight.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let (from, datagram) = entry.remove();
            let now = self.now;
            let to = match from {
                Side::A => Side::Z,
                Side::Z => Side::A,
            };
            self.assoc(to).handle_datagram(now, datagram);
            // The contract: outputs are polled after every input.
            self.drain();
        }
        let now = self.now;
        self.a.handle_timeout(now);
        self.z.handle_timeout(now);
        self.drain();
        true
    }

    pub fn established(&self) -> bool {
        self.a.state() == State::Established && self.z.state() == State::Established
    }

    /// Runs the handshake on a clean link.
    pub fn connect(&mut self) {
        for _ in 0..100 {
            if self.established() {
                break;
            }
            self.step();
        }
        assert!(self.established(), "{:?} {:?}", self.a, self.z);
        self.drain();
    }

    pub fn closed_events(&self) -> Vec<(Side, Event)> {
        let a = self.a_events.iter().map(|e| (Side::A, e.clone()));
        let z = self.z_events.iter().map(|e| (Side::Z, e.clone()));
        a.chain(z)
            .filter(|(_, e)| matches!(e, Event::Closed(_)))
            .collect()
    }
}

// ---------------------------------------------------------------------
// Workloads and their checks
// ---------------------------------------------------------------------

/// One user message of a workload; its PPID carries its index so the
/// receiver can tell which it is, whatever its size.
#[derive(Clone, Copy, Debug)]
pub struct Msg {
    pub stream: u16,
    pub unordered: bool,
    pub len: usize,
}

/// Messages carry their id in the PPID, above the values WebRTC gives
/// a meaning to (DCEP's 50 is always sent ordered and reliably; 56 and 57
/// are delivered empty, RFC 8831 §6.6).
pub const PPID_BASE: u32 = 1_000_000;

pub fn payload(id: usize, len: usize) -> Bytes {
    Bytes::from(
        (0..len)
            .map(|j| (id.wrapping_mul(131) ^ j.wrapping_mul(7) ^ (j >> 8)) as u8)
            .collect::<Vec<u8>>(),
    )
}

/// One direction's traffic: what is left to send, and what arrived.
pub struct Flow {
    pub msgs: Vec<Msg>,
    /// Index of the next message to hand to `send`.
    pub next: usize,
    /// Which messages arrived.
    pub received: Vec<bool>,
    pub received_count: usize,
    /// The last ordered message read, per stream.
    pub last_ordered: HashMap<u16, usize>,
    /// Messages handed to `send` per call at most (spreads sending over
    /// the run, so new data meets recovery).
    pub per_call: usize,
}

impl Flow {
    pub fn new(msgs: Vec<Msg>, per_call: usize) -> Self {
        let n = msgs.len();
        Flow {
            msgs,
            next: 0,
            received: vec![false; n],
            received_count: 0,
            last_ordered: HashMap::new(),
            per_call,
        }
    }

    /// Sends up to `per_call` more messages, stopping at a full buffer.
    pub fn feed(&mut self, sender: &mut Association, now: Instant) {
        for _ in 0..self.per_call {
            let Some(m) = self.msgs.get(self.next) else {
                return;
            };
            let ppid = Ppid(PPID_BASE + self.next as u32);
            match sender.send(now, m.stream, ppid, m.unordered, payload(self.next, m.len)) {
                Ok(()) => self.next += 1,
                Err(sctp_core::SendError::BufferFull { .. }) => return,
                Err(e) => panic!("send of message {} refused: {e}", self.next),
            }
        }
    }

    /// Reads everything waiting at `receiver`, checking each message.
    pub fn collect(&mut self, receiver: &mut Association) {
        while let Some(r) = receiver.read() {
            let id = (r.ppid.0 - PPID_BASE) as usize;
            let m = *self
                .msgs
                .get(id)
                .unwrap_or_else(|| panic!("unknown message id {id}"));
            assert!(id < self.next, "message {id} read before it was sent");
            assert!(!self.received[id], "message {id} delivered twice");
            assert_eq!(r.stream_id.0, m.stream, "message {id}: stream");
            assert_eq!(r.unordered, m.unordered, "message {id}: U bit");
            assert_eq!(r.payload.len(), m.len, "message {id}: length");
            assert!(
                r.payload == payload(id, m.len),
                "message {id}: bytes differ"
            );
            if !m.unordered {
                if let Some(&last) = self.last_ordered.get(&m.stream) {
                    assert!(
                        id > last,
                        "stream {}: ordered message {id} after {last}",
                        m.stream
                    );
                }
                self.last_ordered.insert(m.stream, id);
            }
            self.received[id] = true;
            self.received_count += 1;
        }
    }

    pub fn all_received(&self) -> bool {
        self.received_count == self.msgs.len()
    }

    pub fn missing(&self) -> Vec<usize> {
        (0..self.msgs.len())
            .filter(|&i| !self.received[i])
            .take(20)
            .collect()
    }
}

/// The state of a run, for a failure message.
pub fn diag(net: &Net, a_to_z: &Flow, z_to_a: &Flow) -> String {
    format!(
        "A→Z {}/{} read (missing {:?}), Z→A {}/{} read (missing {:?}); \
                 A {:?} acked={} {:?}; Z {:?} acked={} {:?}; link {:?}; t={:?}",
        a_to_z.received_count,
        a_to_z.msgs.len(),
        a_to_z.missing(),
        z_to_a.received_count,
        z_to_a.msgs.len(),
        z_to_a.missing(),
        net.a.state(),
        net.a.all_data_acknowledged(),
        net.a.transfer_stats(),
        net.z.state(),
        net.z.all_data_acknowledged(),
        net.z.transfer_stats(),
        net.stats,
        net.steps,
    )
}

/// Runs `a_to_z` (sent by A, read by Z) and `z_to_a` until everything
/// is delivered and acknowledged, within `max_steps`.
pub fn transfer(net: &mut Net, a_to_z: &mut Flow, z_to_a: &mut Flow, max_steps: u64) {
    let done = |net: &Net, f1: &Flow, f2: &Flow| {
        f1.all_received()
            && f2.all_received()
            && net.a.all_data_acknowledged()
            && net.z.all_data_acknowledged()
    };
    let start = net.steps;
    loop {
        let now = net.now;
        a_to_z.feed(&mut net.a, now);
        z_to_a.feed(&mut net.z, now);
        a_to_z.collect(&mut net.z);
        z_to_a.collect(&mut net.a);
        if done(net, a_to_z, z_to_a) {
            break;
        }
        assert!(
            net.closed_events().is_empty(),
            "an association closed: {:?}",
            net.closed_events()
        );
        assert!(
            net.steps - start < max_steps,
            "livelock: {}",
            diag(net, a_to_z, z_to_a)
        );
        let more = net.step();
        assert!(
            more,
            "nothing left to happen: {}",
            diag(net, a_to_z, z_to_a)
        );
    }
    assert_eq!(net.a.state(), State::Established);
    assert_eq!(net.z.state(), State::Established);
    assert!(net.closed_events().is_empty(), "{:?}", net.closed_events());
}

pub fn one_way(net: &mut Net, flow: &mut Flow, max_steps: u64) {
    let mut none = Flow::new(Vec::new(), 0);
    transfer(net, flow, &mut none, max_steps);
}

// ---------------------------------------------------------------------
// Property-test helpers
// ---------------------------------------------------------------------

/// Impairments of one direction drawn up to these bounds: loss,
/// duplication and reordering in percent, reordering delay in ms.
pub fn impairments(
    loss: u32,
    duplicate: u32,
    reorder: u32,
    max_extra_ms: u64,
) -> impl Strategy<Value = Impairment> {
    (0..=loss, 0..=duplicate, 0..=reorder, 1..=max_extra_ms).prop_map(
        |(loss, duplicate, reorder, max_extra_ms)| Impairment {
            loss,
            duplicate,
            reorder,
            max_extra_ms,
        },
    )
}

/// A proptest configuration deterministic by default: `cases` cases (or
/// the number in the environment variable `cases_var`) from a fixed
/// `seed`, or from random seeds when `random_var` is set.
pub fn proptest_config(cases_var: &str, cases: u32, random_var: &str, seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var(cases_var)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        rng_seed: if std::env::var(random_var).is_ok() {
            RngSeed::Random
        } else {
            RngSeed::Fixed(seed)
        },
        ..ProptestConfig::default()
    }
}

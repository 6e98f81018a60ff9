//! Data transfer over impaired networks: seeded loss, duplication and
//! reordering in both directions, TSN and SSN wraparound, and both sides
//! sending at once (RFC 9260 §6, §7.2.4, §1.6 serial arithmetic).
//!
//! The pair harness of `common` delivers every packet after one fixed
//! delay and builds its associations from fixed seeds, so these tests use
//! their own small simulator, [`Net`]: every packet gets its own arrival
//! time (reordering), may be dropped or delivered twice, and the
//! associations can be given any [`RandomSource`]. Everything, the
//! impairments included, is driven by seeds, so every run is the same.

mod common;

use bytes::Bytes;
use proptest::prelude::*;
use sctp_cc::FixedWindow;
use sctp_core::{Association, Config, Event, RandomSource, SeededRandom, State};
use sctp_wire::{ChecksumCheck, Chunk, ChunkType, Packet, Ppid, Tsn};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------
// The simulator
// ---------------------------------------------------------------------

/// splitmix64: the network's own coin tosses.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `percent` / 100.
    fn percent(&mut self, percent: u32) -> bool {
        self.next_u64() % 100 < u64::from(percent)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    A,
    Z,
}

/// What the link does to the packets of one direction.
#[derive(Clone, Copy, Debug, Default)]
struct Impairment {
    /// Percent of packets dropped.
    loss: u32,
    /// Percent of (surviving) packets delivered twice.
    duplicate: u32,
    /// Percent of copies that get an extra delay of 1..=`max_extra_ms`,
    /// so packets sent later overtake them.
    reorder: u32,
    max_extra_ms: u64,
}

impl Impairment {
    const CLEAN: Impairment = Impairment {
        loss: 0,
        duplicate: 0,
        reorder: 0,
        max_extra_ms: 0,
    };
}

/// Counts of what the link did.
#[derive(Clone, Copy, Debug, Default)]
struct LinkStats {
    sent: u64,
    dropped: u64,
    duplicated: u64,
    delayed: u64,
    /// Packets carrying both a SACK and DATA.
    sack_with_data: u64,
}

/// Sees every packet sent, before the link's impairments; `false` drops it.
type Tap = Box<dyn FnMut(Side, &Bytes) -> bool>;

/// Two associations joined by an impaired in-memory link on virtual time.
struct Net {
    a: Association,
    z: Association,
    now: Instant,
    /// Base one-way delay.
    delay: Duration,
    /// Impairment of the packets A sends (toward Z), and of Z's.
    from_a: Impairment,
    from_z: Impairment,
    /// Impairments are only applied while this is set.
    impaired: bool,
    rng: Rng,
    seq: u64,
    /// Packets on the link by (arrival, sequence), with their sender.
    in_flight: BTreeMap<(Instant, u64), (Side, Bytes)>,
    a_events: Vec<Event>,
    z_events: Vec<Event>,
    stats: [LinkStats; 2],
    tap: Tap,
    steps: u64,
}

impl Net {
    fn new(a: Association, z: Association, now: Instant, seed: u64) -> Self {
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
    fn seeded(seed: u64) -> Self {
        Net::with_configs(seed, Config::default(), Config::default())
    }

    fn with_configs(seed: u64, a: Config, z: Config) -> Self {
        let now = common::epoch();
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

    fn assoc(&mut self, side: Side) -> &mut Association {
        match side {
            Side::A => &mut self.a,
            Side::Z => &mut self.z,
        }
    }

    /// Puts one packet sent by `from` on the link.
    fn transmit(&mut self, from: Side, datagram: Bytes) {
        let types = common::chunk_types(&datagram);
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
    fn drain(&mut self) {
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
    fn step(&mut self) -> bool {
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

    fn established(&self) -> bool {
        self.a.state() == State::Established && self.z.state() == State::Established
    }

    /// Runs the handshake on a clean link.
    fn connect(&mut self) {
        for _ in 0..100 {
            if self.established() {
                break;
            }
            self.step();
        }
        assert!(self.established(), "{:?} {:?}", self.a, self.z);
        self.drain();
    }

    fn closed_events(&self) -> Vec<(Side, Event)> {
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
struct Msg {
    stream: u16,
    unordered: bool,
    len: usize,
}

fn payload(id: usize, len: usize) -> Bytes {
    Bytes::from(
        (0..len)
            .map(|j| (id.wrapping_mul(131) ^ j.wrapping_mul(7) ^ (j >> 8)) as u8)
            .collect::<Vec<u8>>(),
    )
}

/// One direction's traffic: what is left to send, and what arrived.
struct Flow {
    msgs: Vec<Msg>,
    /// Index of the next message to hand to `send`.
    next: usize,
    /// Which messages arrived.
    received: Vec<bool>,
    received_count: usize,
    /// The last ordered message read, per stream.
    last_ordered: HashMap<u16, usize>,
    /// Messages handed to `send` per call at most (spreads sending over
    /// the run, so new data meets recovery).
    per_call: usize,
}

impl Flow {
    fn new(msgs: Vec<Msg>, per_call: usize) -> Self {
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
    fn feed(&mut self, sender: &mut Association, now: Instant) {
        for _ in 0..self.per_call {
            let Some(m) = self.msgs.get(self.next) else {
                return;
            };
            let ppid = Ppid(self.next as u32);
            match sender.send(now, m.stream, ppid, m.unordered, payload(self.next, m.len)) {
                Ok(()) => self.next += 1,
                Err(sctp_core::SendError::BufferFull { .. }) => return,
                Err(e) => panic!("send of message {} refused: {e}", self.next),
            }
        }
    }

    /// Reads everything waiting at `receiver`, checking each message.
    fn collect(&mut self, receiver: &mut Association) {
        while let Some(r) = receiver.read() {
            let id = r.ppid.0 as usize;
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

    fn all_received(&self) -> bool {
        self.received_count == self.msgs.len()
    }

    fn missing(&self) -> Vec<usize> {
        (0..self.msgs.len())
            .filter(|&i| !self.received[i])
            .take(20)
            .collect()
    }
}

/// The state of a run, for a failure message.
fn diag(net: &Net, a_to_z: &Flow, z_to_a: &Flow) -> String {
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
fn transfer(net: &mut Net, a_to_z: &mut Flow, z_to_a: &mut Flow, max_steps: u64) {
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

fn one_way(net: &mut Net, flow: &mut Flow, max_steps: u64) {
    let mut none = Flow::new(Vec::new(), 0);
    transfer(net, flow, &mut none, max_steps);
}

/// Message sizes: mostly small, some a packet or so, some fragmented
/// across up to five packets.
fn msg_strategy(streams: u16) -> impl Strategy<Value = Msg> {
    let len = prop_oneof![
        4 => 1usize..=64,
        3 => 65usize..=1500,
        2 => 1501usize..=5000,
    ];
    (0..streams, prop::bool::weighted(0.25), len).prop_map(|(stream, unordered, len)| Msg {
        stream,
        unordered,
        len,
    })
}

/// The default 1 MiB, or a buffer small enough that the receive window
/// closes now and then (the largest message, 5 000 bytes, always fits).
fn receive_buffer_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![Just(1u32 << 20), 6_000u32..=64_000]
}

fn impairment_strategy() -> impl Strategy<Value = Impairment> {
    (0u32..=20, 0u32..=10, 0u32..=30, 1u64..=200).prop_map(
        |(loss, duplicate, reorder, max_extra_ms)| Impairment {
            loss,
            duplicate,
            reorder,
            max_extra_ms,
        },
    )
}

// ---------------------------------------------------------------------
// 1. Impaired networks, one direction of data (SACKs impaired too)
// ---------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("NETWORK_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(32),
        failure_persistence: None,
        // A fixed seed keeps CI deterministic: with random seeds, a case
        // that never finishes was seen once in 400 (NETWORK_RANDOM=1
        // NETWORK_CASES=400 looks for it; an open bug).
        rng_seed: if std::env::var("NETWORK_RANDOM").is_ok() {
            proptest::test_runner::RngSeed::Random
        } else {
            proptest::test_runner::RngSeed::Fixed(0x5c7b)
        },
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_message_arrives_once_in_order_over_an_impaired_link(
        seed in any::<u64>(),
        from_a in impairment_strategy(),
        from_z in impairment_strategy(),
        msgs in prop::collection::vec(msg_strategy(8), 100..=400),
        per_call in 1usize..=50,
        z_buffer in receive_buffer_strategy(),
    ) {
        let z = Config { max_receive_buffer: z_buffer, ..Config::default() };
        let mut net = Net::with_configs(seed, Config::default(), z);
        net.connect();
        net.from_a = from_a;
        net.from_z = from_z;
        net.impaired = true;
        let mut flow = Flow::new(msgs, per_call);
        // Passing runs take well under 1 000 steps.
        one_way(&mut net, &mut flow, 20_000);
    }

    // -----------------------------------------------------------------
    // 4. Both directions at once
    // -----------------------------------------------------------------

    #[test]
    fn both_sides_send_at_once_over_an_impaired_link(
        seed in any::<u64>(),
        from_a in impairment_strategy(),
        from_z in impairment_strategy(),
        a_msgs in prop::collection::vec(msg_strategy(4), 50..=200),
        z_msgs in prop::collection::vec(msg_strategy(4), 50..=200),
        per_call in 1usize..=20,
        a_buffer in receive_buffer_strategy(),
        z_buffer in receive_buffer_strategy(),
    ) {
        let a = Config { max_receive_buffer: a_buffer, ..Config::default() };
        let z = Config { max_receive_buffer: z_buffer, ..Config::default() };
        let mut net = Net::with_configs(seed, a, z);
        net.connect();
        net.from_a = from_a;
        net.from_z = from_z;
        net.impaired = true;
        let mut a_to_z = Flow::new(a_msgs, per_call);
        let mut z_to_a = Flow::new(z_msgs, per_call);
        transfer(&mut net, &mut a_to_z, &mut z_to_a, 20_000);
    }
}

/// A fixed run of both directions over a lossy, reordering link.
#[test]
fn both_directions_at_once_over_a_lossy_link_deliver_everything() {
    let mut net = Net::seeded(44);
    net.connect();
    let lossy = Impairment {
        loss: 10,
        duplicate: 5,
        reorder: 10,
        max_extra_ms: 30,
    };
    net.from_a = lossy;
    net.from_z = lossy;
    net.impaired = true;
    let msgs = |salt: usize| -> Vec<Msg> {
        (0..300)
            .map(|i| Msg {
                stream: ((i * 7 + salt) % 5) as u16,
                unordered: (i + salt).is_multiple_of(4),
                len: 1 + (i * 997 + salt * 131) % 3000,
            })
            .collect()
    };
    let mut a_to_z = Flow::new(msgs(0), 3);
    let mut z_to_a = Flow::new(msgs(1), 3);
    transfer(&mut net, &mut a_to_z, &mut z_to_a, 200_000);
    let [a, z] = net.stats;
    assert!(a.dropped > 0 && z.dropped > 0, "{:?}", net.stats);
    // SACKs ride on DATA going the other way (the next test pins down
    // when).
    assert!(
        a.sack_with_data > 0 && z.sack_with_data > 0,
        "{:?}",
        net.stats
    );
}

#[test]
fn a_pending_delayed_sack_rides_on_data_sent_the_other_way() {
    // Not a MUST of RFC 9260, but what Linux and usrsctp do: Z holds a
    // delayed SACK for A's lone packet (RFC 9260 §6.2) when its own user
    // sends; the SACK should ride in that DATA packet rather than follow
    // alone up to 200 ms later. Without it no packet ever carried both:
    // in the lossy two-way test above, 0 of ~1 900 packets did.
    let mut net = Net::seeded(6);
    net.connect();
    let now = net.now;
    net.a.send(now, 0, Ppid(0), false, payload(0, 100)).unwrap();
    let to_z = net.a.poll_transmit(now).expect("A's DATA");
    assert_eq!(net.a.poll_transmit(now), None);
    net.z.handle_datagram(now, to_z);
    assert_eq!(net.z.poll_transmit(now), None, "the SACK is delayed");
    assert!(net.z.poll_timeout().is_some());
    net.z.send(now, 0, Ppid(1), false, payload(1, 100)).unwrap();
    let to_a = net.z.poll_transmit(now).expect("Z's DATA");
    assert_eq!(
        common::chunk_types(&to_a),
        [ChunkType::SACK, ChunkType::DATA],
        "the pending SACK bundled with Z's DATA"
    );
}

// ---------------------------------------------------------------------
// Receive window and buffer under loss (found by the two-way property)
// ---------------------------------------------------------------------

/// The scenario the two-way property shrank to, made deterministic: Z
/// has a 6 000-byte receive buffer; A sends two messages of 2 189 and
/// 2 188 bytes (TSN 0..=3, two fragments each), three 1-byte messages
/// (TSN 4..=6) and six of 1 000 bytes. The first transmission of TSN
/// 0..=3 is lost, and so is the fast retransmission of TSN 0 when
/// `lose_tsn0_twice`. Returns the net, its flow, and the list of new
/// DATA chunks A sent while its bytes outstanding (as the wire shows
/// them) had reached Z's last advertised a_rwnd.
fn window_scenario(lose_tsn0_twice: bool) -> (Net, Flow, Rc<RefCell<Vec<String>>>) {
    let z = Config {
        max_receive_buffer: 6_000,
        ..Config::default()
    };
    let mut net = Net::with_configs(10, Config::default(), z);
    net.connect();
    let t0 = net.a.local_initial_tsn();
    // What A has outstanding as the wire shows it: TSN offset -> bytes,
    // less what Z's latest SACK acknowledged; and that SACK's a_rwnd.
    let mut outstanding: BTreeMap<i32, usize> = BTreeMap::new();
    let mut a_rwnd = 6_000usize;
    let mut losses = std::collections::HashSet::new();
    let mut ever_sent = std::collections::HashSet::new();
    let violations: Rc<RefCell<Vec<String>>> = Rc::default();
    let v = violations.clone();
    net.tap = Box::new(move |side, d| {
        let packet = Packet::decode(d.clone(), ChecksumCheck::Required).unwrap();
        let mut deliver = true;
        for chunk in packet.chunks() {
            match (side, chunk.unwrap()) {
                (Side::Z, Chunk::Sack(sack)) => {
                    let cum = t0.distance_to(sack.cum_tsn_ack);
                    outstanding.retain(|&n, _| n > cum);
                    for b in sack.gap_blocks.iter() {
                        for n in cum + i32::from(b.start)..=cum + i32::from(b.end) {
                            outstanding.remove(&n);
                        }
                    }
                    a_rwnd = sack.a_rwnd as usize;
                }
                (Side::A, Chunk::Data(c)) => {
                    let n = t0.distance_to(c.tsn);
                    let new = ever_sent.insert(n);
                    let before: usize = outstanding.values().sum();
                    // RFC 9260 §6.1 A and §6.2.1: no new data once the
                    // bytes outstanding reach the peer's window.
                    if new && before >= a_rwnd {
                        v.borrow_mut().push(format!(
                            "new TSN +{n} ({} bytes) sent with {before} bytes \
                             outstanding and a_rwnd {a_rwnd}",
                            c.payload.len()
                        ));
                    }
                    outstanding.insert(n, c.payload.len());
                    let lost = (0..4).contains(&n) && losses.insert((n, 0))
                        || lose_tsn0_twice && n == 0 && losses.insert((n, 1));
                    deliver &= !lost;
                }
                _ => {}
            }
        }
        deliver
    });
    let mut lens = vec![2189, 2188, 1, 1, 1];
    lens.extend([1000; 6]);
    let msgs = lens
        .into_iter()
        .map(|len| Msg {
            stream: 0,
            unordered: false,
            len,
        })
        .collect();
    (net, Flow::new(msgs, 100), violations)
}

#[test]
fn new_data_stays_within_the_peer_window_while_chunks_await_retransmission() {
    // Regression, sender side. The SACK after the three 1-byte messages
    // gap-acks them and marks TSN 0..=3 (4 377 bytes) for fast
    // retransmission, with a_rwnd 5 997. Chunks marked for retransmission
    // left the flight size, and the window was a_rwnd less the flight;
    // but they are still outstanding (RFC 9260 §6.2.1: rwnd = a_rwnd -
    // bytes still outstanding) and go out again. Only TSN 0 fitted the
    // fast-retransmit budget, then ~3.4 kB of new data went out, then
    // TSN 1..=3: 7.8 kB against a 6 kB window, and Z had to drop chunks
    // although its user reads everything.
    let (mut net, mut flow, violations) = window_scenario(false);
    one_way(&mut net, &mut flow, 5_000);
    assert_eq!(*violations.borrow(), Vec::<String>::new());
    assert_eq!(net.z.stats().data_dropped_no_buffer, 0);
}

#[test]
fn a_receive_buffer_full_of_data_past_a_hole_does_not_stall_the_association() {
    // Regression. As above, and the fast retransmission of TSN 0 is lost
    // too. With the window overrun, Z held TSN 1..=12 but TSN 0 (5 624
    // bytes, nothing deliverable) and advertised 376; TSN 0 (1 160 bytes)
    // never fitted again, every retransmission was dropped, and after
    // Association.Max.Retrans T3 expiries A closed with PeerUnreachable.
    // A sender within the window avoids it here; the receiver's own
    // defence (RFC 9260 §6.2 reneging) is the ignored test below.
    let (mut net, mut flow, _) = window_scenario(true);
    one_way(&mut net, &mut flow, 5_000);
}

#[test]
#[ignore = "open bug: RFC 9260 §6.2 reneging (drop the largest held TSN to take a gap-filling one) is not implemented; run with --ignored"]
fn the_gap_filling_chunk_is_taken_when_the_buffer_is_full_of_later_data() {
    // Open bug, receiver side, with a peer that keeps the
    // letter of RFC 9260 §6.1 A (new data while rwnd > 0): into a
    // 6 000-byte window it sends TSN t..=t+4 of 1 000 bytes, TSN t is
    // lost, rwnd is then 1 000 > 0, so it sends TSN t+5 of 1 160 bytes.
    // Z holds 5 160 bytes past the hole; the retransmitted TSN t (1 000
    // bytes) must still be taken (RFC 9260 §6.2: drop the largest TSN
    // held for reordering), or nothing can ever be delivered.
    let z = Config {
        max_receive_buffer: 6_000,
        ..Config::default()
    };
    let mut net = Net::with_configs(11, Config::default(), z);
    net.connect();
    let tag = net.z.local_verification_tag();
    let t = net.z.peer_initial_tsn().unwrap();
    let data = |i: u32, len: usize| {
        Chunk::Data(sctp_wire::DataChunk {
            tsn: t.wrapping_add(i),
            stream_id: sctp_wire::StreamId(0),
            ssn: sctp_wire::Ssn(i as u16),
            ppid: Ppid(i),
            unordered: false,
            beginning: true,
            ending: true,
            immediate_sack: false,
            payload: payload(i as usize, len),
        })
    };
    let now = net.now;
    for i in 1..=4 {
        net.z
            .handle_datagram(now, common::packet(tag, &[data(i, 1000)]));
    }
    net.z
        .handle_datagram(now, common::packet(tag, &[data(5, 1160)]));
    while net.z.poll_transmit(now).is_some() {}
    net.z
        .handle_datagram(now, common::packet(tag, &[data(0, 1000)]));
    let mut cum = None;
    while let Some(d) = net.z.poll_transmit(now) {
        for c in common::chunks_of(&d) {
            if let Chunk::Sack(s) = c {
                cum = Some(t.distance_to(s.cum_tsn_ack));
            }
        }
    }
    let first = net.z.read().map(|m| m.ppid);
    assert_eq!(
        (first, cum.is_some_and(|c| c >= 0)),
        (Some(Ppid(0)), true),
        "TSN t taken and acknowledged (SACK cum offset {cum:?}); {:?}",
        net.z.stats()
    );
}

// ---------------------------------------------------------------------
// 2. TSN wraparound
// ---------------------------------------------------------------------

/// A random source that answers its first calls from a script (one entry
/// per `fill_bytes` call, of the exact length asked for), then from a
/// seeded generator.
struct Scripted {
    script: VecDeque<Vec<u8>>,
    rest: SeededRandom,
}

impl RandomSource for Scripted {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        match self.script.front() {
            Some(s) if s.len() == buf.len() => {
                buf.copy_from_slice(s);
                self.script.pop_front();
            }
            _ => self.rest.fill_bytes(buf),
        }
    }
}

/// The draw order of `Association::new` then `client` (or a server's
/// answer to an INIT): the 32-byte cookie secret, the verification tag,
/// the initial TSN (each u32 from 4 little-endian bytes).
fn random_with_initial_tsn(seed: u64, tag: u32, tsn: u32) -> Box<dyn RandomSource> {
    Box::new(Scripted {
        script: [
            vec![seed as u8; 32],
            tag.to_le_bytes().to_vec(),
            tsn.to_le_bytes().to_vec(),
        ]
        .into(),
        rest: SeededRandom::new(seed),
    })
}

/// A pair whose client starts at TSN `a_tsn` and whose server at `z_tsn`.
fn net_with_initial_tsns(seed: u64, a_tsn: u32, z_tsn: u32) -> Net {
    let now = common::epoch();
    let a = Association::client(
        Config::default(),
        now,
        random_with_initial_tsn(seed, 0x0a0a_0a0a, a_tsn),
    );
    let z = Association::server(
        Config::default(),
        now,
        random_with_initial_tsn(seed + 1, 0x0202_0202, z_tsn),
    );
    let mut net = Net::new(a, z, now, seed);
    net.connect();
    assert_eq!(net.a.local_initial_tsn(), Tsn(a_tsn), "draw order changed?");
    assert_eq!(net.z.local_initial_tsn(), Tsn(z_tsn), "draw order changed?");
    net
}

/// The DATA chunks of a datagram.
fn data_chunks(datagram: &Bytes) -> Vec<sctp_wire::DataChunk> {
    let packet = Packet::decode(datagram.clone(), ChecksumCheck::Required).expect("valid packet");
    packet
        .chunks()
        .filter_map(|c| match c.expect("valid chunk") {
            Chunk::Data(d) => Some(d),
            _ => None,
        })
        .collect()
}

/// Records the TSNs of every DATA chunk each side puts on the wire.
fn record_tsns(net: &mut Net) -> Rc<RefCell<[Vec<Tsn>; 2]>> {
    let seen: Rc<RefCell<[Vec<Tsn>; 2]>> = Rc::default();
    let s = seen.clone();
    net.tap = Box::new(move |side, d| {
        s.borrow_mut()[side as usize].extend(data_chunks(d).iter().map(|c| c.tsn));
        true
    });
    seen
}

#[test]
fn data_crosses_the_tsn_wrap_in_both_directions_over_a_lossy_link() {
    // RFC 9260 §1.6: TSNs are compared in serial arithmetic; after
    // 2^32 - 1 comes 0. Both sides start a few TSNs below the wrap.
    let a_tsn = u32::MAX - 3;
    let z_tsn = u32::MAX - 1;
    let mut net = net_with_initial_tsns(7, a_tsn, z_tsn);
    let seen = record_tsns(&mut net);
    let lossy = Impairment {
        loss: 15,
        duplicate: 5,
        reorder: 20,
        max_extra_ms: 50,
    };
    net.from_a = lossy;
    net.from_z = lossy;
    net.impaired = true;
    let msgs = |salt: usize| -> Vec<Msg> {
        (0..200)
            .map(|i| Msg {
                stream: ((i + salt) % 3) as u16,
                unordered: (i * 5 + salt).is_multiple_of(7),
                len: 1 + (i * 1237 + salt * 71) % 4000,
            })
            .collect()
    };
    let mut a_to_z = Flow::new(msgs(0), 2);
    let mut z_to_a = Flow::new(msgs(1), 2);
    transfer(&mut net, &mut a_to_z, &mut z_to_a, 200_000);
    let seen = seen.borrow();
    for (side, start) in [(Side::A, a_tsn), (Side::Z, z_tsn)] {
        let tsns = &seen[side as usize];
        assert_eq!(tsns.first(), Some(&Tsn(start)), "{side:?}");
        assert!(tsns.contains(&Tsn(u32::MAX)), "{side:?}");
        assert!(tsns.contains(&Tsn(0)), "{side:?}");
        assert!(tsns.contains(&Tsn(100)), "{side:?} went well past the wrap");
    }
    assert!(net.stats[0].dropped > 0 && net.stats[1].dropped > 0);
}

#[test]
fn a_loss_at_the_tsn_wrap_is_fast_retransmitted_with_gap_blocks_across_it() {
    // The chunk with TSN 2^32 - 1 is lost; the receiver's SACKs carry a
    // cumulative TSN of 2^32 - 2 and gap blocks covering 0, 1, 2...: the
    // sender must unwrap them to see the later chunks arrive, and fast
    // retransmit (RFC 9260 §7.2.4) before T3-rtx (1 s).
    let mut net = net_with_initial_tsns(8, u32::MAX - 1, 5);
    let mut dropped = 0;
    net.tap = Box::new(move |side, d| {
        if side == Side::A && dropped == 0 && data_chunks(d).iter().any(|c| c.tsn == Tsn(u32::MAX))
        {
            dropped += 1;
            return false;
        }
        true
    });
    let start = net.now;
    let msgs: Vec<Msg> = (0..12)
        .map(|_| Msg {
            stream: 0,
            unordered: false,
            len: 1000,
        })
        .collect();
    let mut flow = Flow::new(msgs, 12);
    one_way(&mut net, &mut flow, 10_000);
    assert_eq!(net.stats[0].dropped, 1);
    assert!(
        net.now - start < Duration::from_millis(500),
        "recovered after {:?}",
        net.now - start
    );
}

#[test]
fn a_message_fragmented_across_the_tsn_wrap_is_reassembled_after_a_loss() {
    // A 5 000-byte message cut into five fragments with TSNs 2^32 - 2,
    // 2^32 - 1, 0, 1, 2 (RFC 9260 §6.9); the fragment with TSN 0 is lost
    // twice, so T3-rtx has to bring it.
    let mut net = net_with_initial_tsns(9, u32::MAX - 2, 77);
    let seen = Rc::new(RefCell::new(0));
    let s = seen.clone();
    net.tap = Box::new(move |side, d| {
        let chunks = data_chunks(d);
        if side == Side::A && chunks.iter().any(|c| c.tsn == Tsn(0)) {
            let first = chunks.iter().find(|c| c.tsn == Tsn(0)).unwrap();
            assert!(!first.beginning && !first.ending, "a middle fragment");
            *s.borrow_mut() += 1;
            return *s.borrow() > 2;
        }
        true
    });
    let msgs = vec![
        Msg {
            stream: 2,
            unordered: false,
            len: 5000,
        },
        Msg {
            stream: 2,
            unordered: false,
            len: 10,
        },
        Msg {
            stream: 3,
            unordered: true,
            len: 4000,
        },
    ];
    let mut flow = Flow::new(msgs, 3);
    one_way(&mut net, &mut flow, 10_000);
    assert_eq!(*seen.borrow(), 3, "sent three times");
}

// ---------------------------------------------------------------------
// 3. SSN wraparound
// ---------------------------------------------------------------------

/// More than 2^16 ordered messages on one stream: the SSN wraps from
/// 65 535 to 0 (RFC 9260 §6.5), and delivery stays in order. The
/// messages are tiny, so many share a packet.
fn ssn_wrap(seed: u64, impairment: Impairment, receive_buffer: u32, count: usize) -> Net {
    let z = Config {
        max_receive_buffer: receive_buffer,
        ..Config::default()
    };
    let mut net = Net::with_configs(seed, Config::default(), z);
    net.connect();
    net.from_a = impairment;
    net.from_z = impairment;
    net.impaired = true;
    let msgs: Vec<Msg> = (0..count)
        .map(|i| Msg {
            stream: 0,
            unordered: false,
            len: 1 + i % 8,
        })
        .collect();
    let mut flow = Flow::new(msgs, 2000);
    one_way(&mut net, &mut flow, 200_000);
    net
}

#[test]
fn ssn_wraps_after_65536_ordered_messages_on_a_clean_link() {
    ssn_wrap(3, Impairment::CLEAN, 1 << 20, 70_000);
}

#[test]
fn ssn_wraps_after_65536_ordered_messages_on_a_lossy_link() {
    // A 4 kB receive buffer keeps at most about a thousand tiny messages
    // outstanding, well inside half the SSN space (see the next test for
    // what happens beyond it), and the run short in a debug build.
    let lossy = Impairment {
        loss: 3,
        duplicate: 2,
        reorder: 5,
        max_extra_ms: 20,
    };
    let net = ssn_wrap(4, lossy, 4_000, 70_000);
    assert!(net.stats[0].dropped > 0);
}

#[test]
fn ordered_messages_more_than_32767_ssns_past_a_hole_are_delivered() {
    // Regression: A sends 32 769 one-byte ordered messages on stream 0
    // (a fixed 1 MiB cwnd here; the windows count user-data bytes only)
    // and the packet of SSN 0 arrives after all the others. Z holds SSNs
    // 1..=32 768 waiting for SSN 0; SSN 32 768 is exactly 2^15 ahead of
    // the next expected one, and a serial comparison once called it
    // stale: acknowledged, discarded, and never delivered. Over a 3 %
    // lossy link with the default configuration, 70 000 small messages
    // on one stream lost 16 000 that way.
    const N: usize = 32_769;
    let a = Config {
        congestion: Arc::new(FixedWindow::new(1 << 20)),
        ..Config::default()
    };
    let mut net = Net::with_configs(5, a, Config::default());
    net.connect();
    for i in 0..N {
        net.a
            .send(net.now, 0, Ppid(i as u32), false, payload(i, 1))
            .unwrap();
    }
    let mut packets = Vec::new();
    while let Some(d) = net.a.poll_transmit(net.now) {
        packets.push(d);
    }
    let first_ssn = |d: &Bytes| data_chunks(d).first().map(|c| c.ssn.0);
    assert_eq!(first_ssn(&packets[0]), Some(0));
    // Everything but the first packet, then the first; Z's SACKs are not
    // needed for this.
    let now = net.now;
    for d in packets.iter().skip(1).chain(packets.first()) {
        net.z.handle_datagram(now, d.clone());
    }
    let mut got = 0;
    while let Some(m) = net.z.read() {
        assert_eq!(m.ppid, Ppid(got as u32), "in order");
        got += 1;
    }
    assert_eq!(net.z.stats().data_refused, 0, "{:?}", net.z.stats());
    assert_eq!(got, N, "messages delivered");
}

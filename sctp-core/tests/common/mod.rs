//! The pair harness of DESIGN.md §4.4: two associations, "A" (client) and
//! "Z" (server), exchanging packets in memory on virtual time, with hooks
//! to drop or rewrite chosen packets and a step bound that turns a
//! livelock into a test failure.
#![allow(dead_code, missing_docs, unreachable_pub)]

pub mod net;

use bytes::Bytes;
use sctp_core::{Association, Config, Event, SeededRandom};
use sctp_wire::{
    ChecksumCheck, ChecksumMode, Chunk, ChunkType, CommonHeader, Packet, PacketBuilder,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    Z,
}

/// Decides the fate of each packet sent: `Some` delivers (possibly
/// rewritten), `None` drops it.
pub type Hook = Box<dyn FnMut(Side, Bytes) -> Option<Bytes>>;

pub struct Pair {
    pub a: Association,
    pub z: Association,
    pub now: Instant,
    /// When the pair was made.
    pub start: Instant,
    /// One-way delay of the in-memory link.
    pub delay: Duration,
    pub hook: Hook,
    /// Every packet sent, with its sender and chunk types, in order.
    pub log: Vec<(Side, Vec<ChunkType>)>,
    /// When each packet of `log` was sent.
    pub log_times: Vec<Instant>,
    in_flight: Vec<(Instant, Side, Bytes)>,
    pub a_events: Vec<Event>,
    pub z_events: Vec<Event>,
}

#[allow(clippy::disallowed_methods)] // the one clock read of the tests: an epoch
pub fn epoch() -> Instant {
    Instant::now()
}

pub fn chunk_types(datagram: &Bytes) -> Vec<ChunkType> {
    match Packet::decode(datagram.clone(), ChecksumCheck::Skip) {
        Ok(p) => p.raw_chunks().flatten().map(|c| c.kind).collect(),
        Err(_) => Vec::new(),
    }
}

/// The chunks of a datagram an association sent: its CRC32c must be
/// right, or zero where RFC 9653 was negotiated.
pub fn chunks_of(datagram: &Bytes) -> Vec<Chunk> {
    Packet::decode(datagram.clone(), ChecksumCheck::ZeroAllowed)
        .expect("valid packet")
        .chunks()
        .collect::<Result<_, _>>()
        .expect("valid chunks")
}

/// Every chunk A sends from now on, in order; the hook drops A's packets
/// while `drop` says so.
pub fn record_a(
    p: &mut Pair,
    mut drop: impl FnMut(&[Chunk]) -> bool + 'static,
) -> Rc<RefCell<Vec<Chunk>>> {
    let log: Rc<RefCell<Vec<Chunk>>> = Rc::default();
    let seen = log.clone();
    p.hook = Box::new(move |side, d| {
        if side != Side::A {
            return Some(d);
        }
        let chunks = chunks_of(&d);
        let dropped = drop(&chunks);
        seen.borrow_mut().extend(chunks);
        (!dropped).then_some(d)
    });
    log
}

/// A packet from port 5000 to 5000 with this tag and these chunks.
pub fn packet(tag: u32, chunks: &[Chunk]) -> Bytes {
    let mut b = PacketBuilder::new(CommonHeader::new(5000, 5000, tag), 1 << 16).unwrap();
    for c in chunks {
        b.push(c).unwrap();
    }
    b.finish(ChecksumMode::Crc32c)
}

impl Pair {
    pub fn new(a_config: Config, z_config: Config) -> Self {
        let now = epoch();
        Pair {
            a: Association::client(a_config, now, Box::new(SeededRandom::new(1))),
            z: Association::server(z_config, now, Box::new(SeededRandom::new(2))),
            now,
            start: now,
            delay: Duration::from_millis(10),
            hook: Box::new(|_, d| Some(d)),
            log: Vec::new(),
            log_times: Vec::new(),
            in_flight: Vec::new(),
            a_events: Vec::new(),
            z_events: Vec::new(),
        }
    }

    pub fn default_pair() -> Self {
        Self::new(Config::default(), Config::default())
    }

    /// Moves everything both sides want to send onto the link.
    fn drain(&mut self) {
        for side in [Side::A, Side::Z] {
            loop {
                let out = match side {
                    Side::A => self.a.poll_transmit(self.now),
                    Side::Z => self.z.poll_transmit(self.now),
                };
                let Some(datagram) = out else { break };
                self.log.push((side, chunk_types(&datagram)));
                self.log_times.push(self.now);
                if let Some(d) = (self.hook)(side, datagram) {
                    self.in_flight.push((self.now + self.delay, side, d));
                }
            }
        }
        while let Some(e) = self.a.poll_event() {
            self.a_events.push(e);
        }
        while let Some(e) = self.z.poll_event() {
            self.z_events.push(e);
        }
    }

    /// When the next arrival or timeout is due.
    fn next_event(&mut self) -> Option<Instant> {
        self.drain();
        let next_arrival = self.in_flight.iter().map(|(t, _, _)| *t).min();
        [next_arrival, self.a.poll_timeout(), self.z.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Handles every event due within `d`, then leaves the clock at
    /// `now + d`, without jumping past it.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        for _ in 0..100_000 {
            match self.next_event() {
                Some(next) if next <= until => {
                    self.step();
                }
                _ => {
                    self.now = until;
                    return;
                }
            }
        }
        panic!("no quiescence within {d:?}");
    }

    /// Advances to the next arrival or timeout and handles it; `false`
    /// when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        let Some(next) = self.next_event() else {
            return false;
        };
        assert!(next >= self.now, "time went backwards");
        self.now = next;
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|(t, _, _)| *t <= self.now);
        self.in_flight = later;
        for (_, from, datagram) in due {
            match from {
                Side::A => self.z.handle_datagram(self.now, datagram),
                Side::Z => self.a.handle_datagram(self.now, datagram),
            }
        }
        self.a.handle_timeout(self.now);
        self.z.handle_timeout(self.now);
        self.drain();
        true
    }

    /// Steps until nothing is left to happen, or `until` holds; panics
    /// after `max_steps` (a livelock).
    pub fn run_until(&mut self, max_steps: usize, mut until: impl FnMut(&Pair) -> bool) {
        for _ in 0..max_steps {
            if until(self) || !self.step() {
                return;
            }
        }
        panic!(
            "no quiescence after {max_steps} steps; last sent: {:?}",
            self.log.last()
        );
    }

    /// Virtual time since the pair was made.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Delivers a datagram to `to` now, as if it came from the other side.
    pub fn inject(&mut self, to: Side, datagram: Bytes) {
        match to {
            Side::A => self.a.handle_datagram(self.now, datagram),
            Side::Z => self.z.handle_datagram(self.now, datagram),
        }
        self.drain();
    }

    /// The chunk types each side sent, in order, as (side, type) pairs.
    pub fn sent(&self) -> Vec<(Side, ChunkType)> {
        self.log
            .iter()
            .flat_map(|(s, types)| types.iter().map(move |t| (*s, *t)))
            .collect()
    }
}

//! The discrete-event engine (DESIGN.md §5): one heap of events ordered by
//! (time, sequence number), associations stepped to their own timeouts,
//! links between them, the workload and the invariant checker on top.
//!
//! Each step takes the earliest of the heap's next event and the
//! associations' timeouts, advances virtual time to it, hands the packet,
//! timeout or action to the association concerned, then services that
//! association: its events, the messages it has for the application, the
//! application's next messages, and the packets it wants to send, which
//! the link turns into future deliveries.

use crate::invariants::{DirectionChecker, Violation, ViolationKind};
use crate::link::{CompiledLink, DropReason, LinkDirection, LinkOutcome};
use crate::report::{FlowReport, LinkReport, Percentiles, RunFailure, RunReport, SamplePoint};
use crate::rng::{splitmix64, Rng};
use crate::trace::{packet_crc, Trace, TraceKind};
use crate::workload::{Next, Planned, Workload, WorkloadSpec};
use crate::Side;
use bytes::Bytes;
use sctp_core::{Association, CloseReason, Config, Event, SeededRandom, SendError, State};
use sctp_wire::Ppid;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// Steps at one instant before the run is declared stalled.
const MAX_STEPS_AT_ONE_INSTANT: u32 = 200_000;
/// Steps between two calls of the progress callback.
const PROGRESS_EVERY: u64 = 1 << 14;

/// A scripted command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// `Association::shutdown`.
    Shutdown,
    /// `Association::abort`.
    Abort,
}

/// A command given to one side's association at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action {
    /// When, ns.
    pub at: u64,
    /// Whose association.
    pub side: Side,
    /// What.
    pub kind: ActionKind,
}

/// A link between the client and server sides of its flows.
#[derive(Clone, Debug)]
pub struct LinkSetup {
    /// Name.
    pub name: String,
    /// Client-to-server direction.
    pub forward: CompiledLink,
    /// Server-to-client direction.
    pub reverse: CompiledLink,
    /// Scripted changes: (time in ns, direction, new parameters).
    pub changes: Vec<(u64, Side, CompiledLink)>,
}

/// A flow: a client and a server association over one link, with a workload.
#[derive(Clone, Debug)]
pub struct FlowSetup {
    /// Name.
    pub name: String,
    /// Index of its link.
    pub link: usize,
    /// One-way delay added to every packet of this flow on top of the
    /// link's (an access path of its own), ns.
    pub extra_delay: u64,
    /// When the client starts its handshake, ns.
    pub start: u64,
    /// The client's configuration.
    pub client: Config,
    /// The server's configuration.
    pub server: Config,
    /// Name of the congestion controller, for reports.
    pub cc_name: String,
    /// What the applications do.
    pub workload: WorkloadSpec,
    /// Scripted commands.
    pub actions: Vec<Action>,
    /// Whether the side whose work ends the flow shuts down when done.
    pub close_when_done: bool,
}

/// Everything a run needs.
#[derive(Clone, Debug)]
pub struct SimSetup {
    /// Scenario name.
    pub name: String,
    /// The seed every random choice derives from.
    pub seed: u64,
    /// Virtual time the run may take, ns.
    pub duration: u64,
    /// Interval between time-series samples, ns.
    pub sample_interval: u64,
    /// Links.
    pub links: Vec<LinkSetup>,
    /// Flows.
    pub flows: Vec<FlowSetup>,
}

enum Pending {
    Start(usize),
    Deliver {
        flow: usize,
        to: Side,
        packet: Bytes,
        corrupted: bool,
    },
    Wake(usize, Side),
    Act(usize, Action),
    /// New parameters for a link direction (link, direction by sending side).
    Relink(usize, Side, Box<CompiledLink>),
    Sample,
}

struct Scheduled {
    at: u64,
    seq: u64,
    what: Pending,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    /// Reversed, so that `BinaryHeap` pops the earliest, and among equal
    /// times the first scheduled.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// One association and its application.
struct Endpoint {
    assoc: Association,
    connected: bool,
    closed: Option<(u64, CloseReason)>,
    /// A message refused for lack of send buffer, sent again after acks.
    pending: Option<(Planned, Bytes)>,
    /// `send` reported the association no longer takes data.
    send_closed: bool,
    wake_at: Option<u64>,
    timeout: Option<u64>,
    corrupted_in: u64,
    events: u64,
}

struct Flow {
    setup: FlowSetup,
    started: bool,
    ends: [Endpoint; 2],
    workload: Workload,
    /// By sending side.
    checkers: [DirectionChecker; 2],
    /// Queueing delay of every delivered copy, µs, by sending side.
    queue_delays: [Vec<u32>; 2],
    srtt_samples: Vec<u32>,
    series: Vec<SamplePoint>,
    sampled_bytes: u64,
    scripted_abort: bool,
    /// The side whose data the time series follows.
    data_side: Side,
}

impl Endpoint {
    /// Closed, or never had an association (a server whose client gave
    /// up before reaching it).
    fn ended(&self) -> bool {
        self.closed.is_some() || (!self.connected && self.assoc.state() == State::Closed)
    }
}

impl Flow {
    fn finished(&self) -> bool {
        if self.ends.iter().all(Endpoint::ended) {
            return true;
        }
        !self.setup.close_when_done
            && self.checkers.iter().all(DirectionChecker::all_delivered)
            && self.ends.iter().all(|e| {
                e.pending.is_none() && e.assoc.all_data_acknowledged() && e.wake_at.is_none()
            })
            && [Side::Client, Side::Server]
                .iter()
                .all(|s| self.ends[*s as usize].send_closed || self.workload_done(*s))
    }

    fn workload_done(&self, side: Side) -> bool {
        self.workload.is_done(side)
    }
}

/// A packet an association sent, shown to the tap before the link.
#[derive(Clone, Copy, Debug)]
pub struct Tapped<'a> {
    /// Virtual time, ns.
    pub at: u64,
    /// Flow index.
    pub flow: usize,
    /// Sender.
    pub from: Side,
    /// The SCTP packet.
    pub packet: &'a Bytes,
}

/// Sees every packet sent; `false` drops it before the link.
type Tap<'t> = Box<dyn FnMut(&Tapped<'_>) -> bool + 't>;

/// A run in progress: build it with [`Simulation::new`], then [`run`](Simulation::run).
pub struct Simulation<'t> {
    base: Instant,
    /// Virtual time, ns.
    now: u64,
    /// Virtual time as the associations see it: `base + now`.
    clock: Instant,
    seq: u64,
    heap: BinaryHeap<Scheduled>,
    /// Heap entries other than samples: what keeps the run going.
    live: u64,
    name: String,
    seed: u64,
    duration: u64,
    sample_interval: u64,
    links: Vec<(String, [LinkDirection; 2])>,
    flows: Vec<Flow>,
    trace: Trace,
    failure: Option<RunFailure>,
    steps: u64,
    outcomes: Vec<LinkOutcome>,
    tap: Option<Tap<'t>>,
}

fn endpoint(assoc: Association) -> Endpoint {
    Endpoint {
        assoc,
        connected: false,
        closed: None,
        pending: None,
        send_closed: false,
        wake_at: None,
        timeout: None,
        corrupted_in: 0,
        events: 0,
    }
}

impl<'t> Simulation<'t> {
    /// Sets up `setup`; `base` is the instant virtual time 0 maps to (any
    /// instant: results do not depend on it).
    pub fn new(setup: SimSetup, base: Instant) -> Self {
        let seed = setup.seed;
        let mut changes = Vec::new();
        let links = setup
            .links
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                changes.extend(l.changes.into_iter().map(|(at, side, p)| (at, i, side, p)));
                let i = i as u64;
                let forward = LinkDirection::new(l.forward, Rng::derive(seed, 0x1000 + 2 * i));
                let reverse = LinkDirection::new(l.reverse, Rng::derive(seed, 0x1001 + 2 * i));
                (l.name, [forward, reverse])
            })
            .collect();
        let flows = setup
            .flows
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let i = i as u64;
                let start = base + Duration::from_nanos(f.start);
                let client = Association::client(
                    f.client.clone(),
                    start,
                    Box::new(SeededRandom::new(splitmix64(seed ^ (0x2000 + 2 * i)))),
                );
                let server = Association::server(
                    f.server.clone(),
                    start,
                    Box::new(SeededRandom::new(splitmix64(seed ^ (0x2001 + 2 * i)))),
                );
                let workload = Workload::new(f.workload.clone(), Rng::derive(seed, 0x3000 + i));
                let scripted_abort = f.actions.iter().any(|a| a.kind == ActionKind::Abort);
                Flow {
                    started: false,
                    ends: [endpoint(client), endpoint(server)],
                    checkers: [
                        DirectionChecker::new(splitmix64(seed ^ (0x4000 + 2 * i))),
                        DirectionChecker::new(splitmix64(seed ^ (0x4001 + 2 * i))),
                    ],
                    workload,
                    queue_delays: [Vec::new(), Vec::new()],
                    srtt_samples: Vec::new(),
                    series: Vec::new(),
                    sampled_bytes: 0,
                    scripted_abort,
                    data_side: f.workload.closer(),
                    setup: f,
                }
            })
            .collect();
        let mut sim = Simulation {
            base,
            now: 0,
            clock: base,
            seq: 0,
            heap: BinaryHeap::new(),
            live: 0,
            name: setup.name,
            seed,
            duration: setup.duration,
            sample_interval: setup.sample_interval.max(1),
            links,
            flows,
            trace: Trace::new(),
            failure: None,
            steps: 0,
            outcomes: Vec::new(),
            tap: None,
        };
        for i in 0..sim.flows.len() {
            let start = sim.flows[i].setup.start;
            sim.schedule(start, Pending::Start(i));
            let actions = sim.flows[i].setup.actions.clone();
            for a in actions {
                sim.schedule(a.at, Pending::Act(i, a));
            }
        }
        for (at, link, side, params) in changes {
            sim.schedule(at, Pending::Relink(link, side, Box::new(params)));
        }
        sim.schedule(0, Pending::Sample);
        sim
    }

    /// Shows every packet sent to `tap` before the link; a packet it
    /// returns `false` for is dropped (a test's filter, or a capture).
    pub fn with_tap(mut self, tap: impl FnMut(&Tapped<'_>) -> bool + 't) -> Self {
        self.tap = Some(Box::new(tap));
        self
    }

    fn schedule(&mut self, at: u64, what: Pending) {
        if !matches!(what, Pending::Sample) {
            self.live += 1;
        }
        self.seq += 1;
        self.heap.push(Scheduled {
            at,
            seq: self.seq,
            what,
        });
    }

    /// Advances virtual time to `t`, ns.
    fn advance(&mut self, t: u64) {
        self.now = t;
        self.clock = self.base + Duration::from_nanos(t);
    }

    fn violation(&mut self, flow: usize, from: Option<Side>, kind: ViolationKind) {
        if self.failure.is_none() {
            self.failure = Some(RunFailure::Violation(Violation {
                at: self.now,
                flow: self.flows[flow].setup.name.clone(),
                from,
                kind,
            }));
        }
    }

    fn stall(&mut self, reason: String) {
        if self.failure.is_none() {
            self.failure = Some(RunFailure::Stall {
                at: self.now,
                reason,
                latest: self.trace.latest(),
            });
        }
    }

    /// The earliest association timeout: (time, flow, side).
    fn next_timeout(&self) -> Option<(u64, usize, Side)> {
        let mut best: Option<(u64, usize, Side)> = None;
        for (i, f) in self.flows.iter().enumerate() {
            if !f.started {
                continue;
            }
            for side in [Side::Client, Side::Server] {
                if let Some(t) = f.ends[side as usize].timeout {
                    if best.is_none_or(|b| t < b.0) {
                        best = Some((t, i, side));
                    }
                }
            }
        }
        best
    }

    /// Runs to the end: every flow finished, the scenario's time used up,
    /// or the first failure. `progress` is called now and then with the
    /// virtual time in ns.
    pub fn run(mut self, progress: &mut dyn FnMut(u64)) -> RunReport {
        let mut same_instant = 0u32;
        while self.failure.is_none() {
            if self.flows.iter().all(Flow::finished) {
                break;
            }
            let heap_next = self.heap.peek().map(|e| e.at);
            let timer_next = self.next_timeout();
            if self.live == 0 && timer_next.is_none() {
                self.stall("a flow is unfinished but nothing is scheduled".to_owned());
                break;
            }
            let next = match (heap_next, timer_next) {
                (Some(h), Some((t, ..))) => h.min(t),
                (Some(h), None) => h,
                (None, Some((t, ..))) => t,
                (None, None) => break,
            };
            if next > self.duration {
                self.advance(self.duration);
                break;
            }
            if next == self.now {
                same_instant += 1;
                if same_instant > MAX_STEPS_AT_ONE_INSTANT {
                    self.stall(format!(
                        "{MAX_STEPS_AT_ONE_INSTANT} steps without time advancing"
                    ));
                    break;
                }
            } else {
                same_instant = 0;
            }
            self.advance(next);
            self.steps += 1;
            if self.steps.is_multiple_of(PROGRESS_EVERY) {
                progress(self.now);
            }
            match timer_next {
                Some((t, flow, side)) if heap_next.is_none_or(|h| t < h) => {
                    self.trace
                        .record(self.now, flow, TraceKind::Timeout { side });
                    let now = self.clock;
                    self.flows[flow].ends[side as usize]
                        .assoc
                        .handle_timeout(now);
                    self.service(flow, side);
                }
                _ => {
                    if let Some(e) = self.heap.pop() {
                        self.dispatch(e.what);
                    }
                }
            }
        }
        progress(self.now);
        if self.failure.is_none() {
            self.final_checks();
        }
        self.into_report()
    }

    fn dispatch(&mut self, what: Pending) {
        if !matches!(what, Pending::Sample) {
            self.live -= 1;
        }
        match what {
            Pending::Start(flow) => {
                self.flows[flow].started = true;
                self.service(flow, Side::Client);
                self.service(flow, Side::Server);
            }
            Pending::Deliver {
                flow,
                to,
                packet,
                corrupted,
            } => {
                self.trace.record(
                    self.now,
                    flow,
                    TraceKind::Delivered {
                        to,
                        len: packet.len(),
                        crc: packet_crc(&packet, corrupted),
                    },
                );
                let now = self.clock;
                let end = &mut self.flows[flow].ends[to as usize];
                end.corrupted_in += u64::from(corrupted);
                end.assoc.handle_datagram(now, packet);
                self.service(flow, to);
            }
            Pending::Wake(flow, side) => {
                let end = &mut self.flows[flow].ends[side as usize];
                if end.wake_at == Some(self.now) {
                    end.wake_at = None;
                }
                self.service(flow, side);
            }
            Pending::Act(flow, action) => {
                let now = self.clock;
                let f = &mut self.flows[flow];
                let end = &mut f.ends[action.side as usize];
                match action.kind {
                    ActionKind::Shutdown => {
                        // `Association::shutdown` aborts an association
                        // still in its handshake.
                        if !end.connected && end.assoc.state() != State::Closed {
                            f.scripted_abort = true;
                        }
                        end.assoc.shutdown(now);
                    }
                    ActionKind::Abort => end.assoc.abort("scripted abort"),
                }
                self.service(flow, action.side);
            }
            Pending::Relink(link, side, params) => {
                self.links[link].1[side as usize].set_params(*params);
            }
            Pending::Sample => self.sample(),
        }
    }

    /// Drains what `side`'s association has for the application and the
    /// network, until it has nothing more.
    fn service(&mut self, flow: usize, side: Side) {
        let now = self.clock;
        loop {
            let mut again = false;
            while let Some(event) = self.flows[flow].ends[side as usize].assoc.poll_event() {
                again = true;
                self.on_event(flow, side, event);
            }
            while let Some(m) = self.flows[flow].ends[side as usize].assoc.read() {
                let f = &mut self.flows[flow];
                // The checker reads the message as one buffer: fragments
                // are joined (a copy only for a fragmented message).
                let payload = m.payload.into_bytes();
                let checked = f.checkers[side.peer() as usize].on_delivered(
                    self.now,
                    m.stream_id.0,
                    m.unordered,
                    &payload,
                );
                match checked {
                    Ok(d) => {
                        again |= f.workload.on_received(side, d.id, d.reply_to);
                    }
                    Err(kind) => {
                        self.violation(flow, Some(side.peer()), kind);
                        return;
                    }
                }
            }
            self.pump(flow, side);
            while let Some(datagram) = self.flows[flow].ends[side as usize]
                .assoc
                .poll_transmit(now)
            {
                self.transmit(flow, side, datagram);
            }
            if !again || self.failure.is_some() {
                break;
            }
        }
        let end = &mut self.flows[flow].ends[side as usize];
        end.timeout = end
            .assoc
            .poll_timeout()
            .map(|t| t.saturating_duration_since(self.base).as_nanos() as u64);
    }

    fn on_event(&mut self, flow: usize, side: Side, event: Event) {
        self.trace.record(
            self.now,
            flow,
            TraceKind::Event {
                side,
                event: event.clone(),
            },
        );
        let f = &mut self.flows[flow];
        let end = &mut f.ends[side as usize];
        end.events += 1;
        match event {
            Event::Connected => end.connected = true,
            // No workload resets streams yet (RFC 6525 stream reset came to
            // sctp-core after the workloads): counted with the events.
            Event::Readable
            | Event::IncomingStreamsReset(_)
            | Event::OutgoingStreamsReset(_)
            | Event::OutgoingStreamsResetFailed { .. }
            | Event::BufferedAmountLow(_) => {}
            Event::PeerRestarted => {
                self.violation(flow, None, ViolationKind::UnexpectedRestart { side });
            }
            Event::Closed(reason) => {
                end.closed = Some((self.now, reason.clone()));
                let expected = match reason {
                    CloseReason::Shutdown => true,
                    CloseReason::LocalAbort(_) | CloseReason::PeerAbort(_) => f.scripted_abort,
                    _ => false,
                };
                if !expected {
                    self.violation(flow, None, ViolationKind::UnexpectedClose { side, reason });
                }
            }
            // Events added to sctp-core later are counted with the others.
            _ => {}
        }
    }

    /// Gives `side`'s association the application's next messages until
    /// its send buffer is full or the application has nothing now.
    fn pump(&mut self, flow: usize, side: Side) {
        let now_t = self.now;
        let now = self.clock;
        let f = &mut self.flows[flow];
        let s = side as usize;
        if !f.ends[s].connected || f.ends[s].closed.is_some() || f.ends[s].send_closed {
            return;
        }
        let max_message = if side == Side::Client {
            f.setup.client.max_message_size
        } else {
            f.setup.server.max_message_size
        };
        loop {
            let (planned, payload) = match f.ends[s].pending.take() {
                Some(p) => p,
                None => match f.workload.next(side, now_t, max_message) {
                    Next::Send(p) => {
                        let checker = &mut f.checkers[s];
                        let payload = checker.payload(checker.next_id(), &p);
                        (p, payload)
                    }
                    Next::At(t) => {
                        let end = &mut f.ends[s];
                        if end.wake_at.is_none_or(|w| t < w) {
                            end.wake_at = Some(t);
                            self.schedule(t, Pending::Wake(flow, side));
                        }
                        return;
                    }
                    Next::Waiting => return,
                    Next::Done => {
                        let end = &mut f.ends[s];
                        if f.setup.close_when_done
                            && side == f.data_side
                            && end.assoc.state() == State::Established
                        {
                            end.assoc.shutdown(now);
                        }
                        return;
                    }
                },
            };
            let end = &mut f.ends[s];
            match end.assoc.send_with(
                now,
                planned.stream,
                Ppid::BINARY,
                planned.unordered,
                planned.reliability.to_core(),
                payload.clone(),
            ) {
                Ok(()) => f.checkers[s].on_sent(now_t, &planned),
                Err(SendError::BufferFull { .. }) => {
                    end.pending = Some((planned, payload));
                    return;
                }
                Err(SendError::NotEstablished) => {
                    end.send_closed = true;
                    return;
                }
                Err(e) => {
                    self.violation(
                        flow,
                        Some(side),
                        ViolationKind::SendRefused {
                            side,
                            error: e.to_string(),
                        },
                    );
                    return;
                }
            }
        }
    }

    /// Puts a datagram from `side` on the flow's link.
    fn transmit(&mut self, flow: usize, side: Side, datagram: Bytes) {
        self.trace.record(
            self.now,
            flow,
            TraceKind::Sent {
                from: side,
                len: datagram.len(),
            },
        );
        if let Some(tap) = &mut self.tap {
            let tapped = Tapped {
                at: self.now,
                flow,
                from: side,
                packet: &datagram,
            };
            if !tap(&tapped) {
                self.trace.record(
                    self.now,
                    flow,
                    TraceKind::Dropped {
                        from: side,
                        len: datagram.len(),
                        reason: DropReason::Filtered,
                    },
                );
                return;
            }
        }
        let f = &self.flows[flow];
        let (link, extra) = (f.setup.link, f.setup.extra_delay);
        let mut outcomes = std::mem::take(&mut self.outcomes);
        self.links[link].1[side as usize].transmit(self.now, datagram, &mut outcomes);
        for outcome in outcomes.drain(..) {
            match outcome {
                LinkOutcome::Dropped { reason, packet } => self.trace.record(
                    self.now,
                    flow,
                    TraceKind::Dropped {
                        from: side,
                        len: packet.len(),
                        reason,
                    },
                ),
                LinkOutcome::Delivered(d) => {
                    self.flows[flow].queue_delays[side as usize]
                        .push(u32::try_from(d.queue_delay / 1000).unwrap_or(u32::MAX));
                    self.schedule(
                        d.at + extra,
                        Pending::Deliver {
                            flow,
                            to: side.peer(),
                            packet: d.packet,
                            corrupted: d.corrupted,
                        },
                    );
                }
            }
        }
        self.outcomes = outcomes;
    }

    fn sample(&mut self) {
        let t = self.now;
        let interval = self.sample_interval;
        for f in &mut self.flows {
            if !f.started || f.finished() {
                continue;
            }
            let d = f.data_side as usize;
            let stats = f.ends[d].assoc.transfer_stats();
            let delivered = f.checkers[d].delivered_bytes();
            let rate = (delivered - f.sampled_bytes) as f64 * 8.0 / (interval as f64 / 1e9) / 1e6;
            f.sampled_bytes = delivered;
            let srtt_us = stats.and_then(|s| s.srtt_us);
            if let Some(us) = srtt_us {
                f.srtt_samples.push(u32::try_from(us).unwrap_or(u32::MAX));
            }
            let (queue_bytes, _) = self.links[f.setup.link].1[d].queue_len(t);
            f.series.push(SamplePoint {
                t: t as f64 / 1e9,
                cwnd: stats.map_or(0, |s| s.cwnd as u64),
                flight: stats.map_or(0, |s| s.flight as u64),
                delivery_mbps: rate,
                srtt_ms: srtt_us.map_or(0.0, |us| us as f64 / 1000.0),
                queue_bytes,
            });
        }
        if !self.flows.iter().all(Flow::finished) {
            self.schedule(t + interval, Pending::Sample);
        }
    }

    /// The end-of-run invariants: everything sent was delivered unless the
    /// association was aborted, every flow finished, every corrupted
    /// packet was caught.
    fn final_checks(&mut self) {
        for i in 0..self.flows.len() {
            let f = &self.flows[i];
            let mut found: Option<(Option<Side>, ViolationKind)> = None;
            for side in [Side::Client, Side::Server] {
                let end = &f.ends[side.peer() as usize];
                let malformed = end.assoc.stats().dropped_malformed;
                if found.is_none() && end.corrupted_in != malformed {
                    found = Some((
                        None,
                        ViolationKind::CorruptionMiscounted {
                            side: side.peer(),
                            corrupted: end.corrupted_in,
                            malformed,
                        },
                    ));
                }
                if found.is_none() && !f.scripted_abort {
                    if let Some(kind) = f.checkers[side as usize].first_undelivered() {
                        found = Some((Some(side), kind));
                    }
                }
                // RFC 3758: a partially reliable message that did not
                // arrive was given up by its sender (which may also give up
                // some that did arrive), never silently lost.
                let missing = f.checkers[side as usize].abandoned();
                let abandoned = f.ends[side as usize]
                    .assoc
                    .transfer_stats()
                    .map_or(0, |t| t.counters.messages_abandoned);
                if found.is_none() && !f.scripted_abort && missing > abandoned {
                    found = Some((
                        Some(side),
                        ViolationKind::LostNotAbandoned {
                            side,
                            missing,
                            abandoned,
                        },
                    ));
                }
            }
            if found.is_none() && !f.finished() {
                let states: Vec<String> = f
                    .ends
                    .iter()
                    .map(|e| {
                        format!(
                            "{:?}, all data acknowledged: {}",
                            e.assoc.state(),
                            e.assoc.all_data_acknowledged()
                        )
                    })
                    .collect();
                found = Some((
                    None,
                    ViolationKind::Unfinished {
                        detail: format!("client {}; server {}", states[0], states[1]),
                    },
                ));
            }
            if let Some((from, kind)) = found {
                self.violation(i, from, kind);
                return;
            }
        }
    }

    fn into_report(self) -> RunReport {
        let flows = self
            .flows
            .iter()
            .map(|f| {
                let d = f.data_side as usize;
                let link = &self.links[f.setup.link];
                let capacity = link.1[d].params().bandwidth_bps;
                let first = f
                    .checkers
                    .iter()
                    .filter_map(DirectionChecker::first_sent_at)
                    .min();
                let last = f
                    .checkers
                    .iter()
                    .filter_map(DirectionChecker::last_delivered_at)
                    .max();
                let bytes: u64 = f
                    .checkers
                    .iter()
                    .map(DirectionChecker::delivered_bytes)
                    .sum();
                let goodput = match (first, last) {
                    (Some(a), Some(b)) if b > a => {
                        Some(bytes as f64 * 8.0 / ((b - a) as f64 / 1e9))
                    }
                    _ => None,
                };
                let mut latencies = f.checkers[0].latencies_us().to_vec();
                latencies.extend_from_slice(f.checkers[1].latencies_us());
                let stats = f.ends.iter().filter_map(|e| e.assoc.transfer_stats());
                let (mut rtx, mut fast, mut t3, mut dups, mut abandoned) = (0, 0, 0, 0, 0);
                for s in stats {
                    abandoned += s.counters.messages_abandoned;
                    rtx += s.counters.retransmissions;
                    fast += s.counters.fast_retransmits;
                    t3 += s.counters.t3_expiries;
                    dups += s.duplicate_tsns_received;
                }
                FlowReport {
                    name: f.setup.name.clone(),
                    cc: f.setup.cc_name.clone(),
                    link: link.0.clone(),
                    capacity_bps: (capacity > 0).then_some(capacity),
                    messages_sent: f.checkers.iter().map(DirectionChecker::sent).sum(),
                    messages_delivered: f.checkers.iter().map(DirectionChecker::delivered).sum(),
                    bytes_delivered: bytes,
                    first_send_s: first.map(|t| t as f64 / 1e9),
                    completion_s: last.map(|t| t as f64 / 1e9),
                    goodput_bps: goodput,
                    srtt_ms: Percentiles::of_micros(&f.srtt_samples),
                    queue_delay_ms: Percentiles::of_micros(&f.queue_delays[d]),
                    latency_ms: Percentiles::of_micros(&latencies),
                    abandoned,
                    retransmissions: rtx,
                    fast_retransmits: fast,
                    t3_expiries: t3,
                    duplicate_tsns: dups,
                    corrupted_caught: f.ends.iter().map(|e| e.corrupted_in).sum(),
                    events: f.ends.iter().map(|e| e.events).sum(),
                    closed: [0, 1].map(|i| {
                        f.ends[i]
                            .closed
                            .as_ref()
                            .map(|(t, r)| (*t as f64 / 1e9, r.to_string()))
                    }),
                    series: f.series.clone(),
                }
            })
            .collect();
        let links = self
            .links
            .iter()
            .map(|(name, dirs)| LinkReport {
                name: name.clone(),
                forward: dirs[0].stats(),
                reverse: dirs[1].stats(),
            })
            .collect();
        RunReport {
            scenario: self.name,
            seed: self.seed,
            trace_hash: self.trace.hash(),
            trace_records: self.trace.len(),
            sim_time_s: self.now as f64 / 1e9,
            flows,
            links,
            failure: self.failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;

    fn base() -> Instant {
        #[allow(clippy::disallowed_methods)]
        Instant::now()
    }

    fn setup() -> SimSetup {
        Scenario::from_toml(
            "t",
            r#"
            name = "t"
            duration_ms = 5000
            [[links]]
            name = "l"
            forward = { delay_ms = 1 }
            [[associations]]
            name = "a"
            link = "l"
            workload = { kind = "bulk", bytes = 10000 }
            "#,
        )
        .and_then(|s| s.compile())
        .expect("valid")
    }

    #[test]
    fn the_heap_pops_in_time_order_and_ties_in_scheduling_order() {
        let mut sim = Simulation::new(setup(), base());
        sim.heap.clear();
        let mut rng = Rng::new(3);
        for _ in 0..1000 {
            let at = rng.below(50);
            sim.schedule(at, Pending::Sample);
        }
        let mut last = (0, 0);
        while let Some(e) = sim.heap.pop() {
            assert!((e.at, e.seq) > last, "{:?} after {last:?}", (e.at, e.seq));
            last = (e.at, e.seq);
        }
    }

    #[test]
    fn nothing_scheduled_with_a_flow_unfinished_is_a_stall() {
        let mut sim = Simulation::new(setup(), base());
        sim.heap.clear();
        sim.live = 0;
        let report = sim.run(&mut |_| {});
        assert!(
            matches!(&report.failure, Some(RunFailure::Stall { reason, .. }) if reason.contains("nothing is scheduled")),
            "{:?}",
            report.failure
        );
    }

    #[test]
    fn too_many_steps_at_one_instant_is_a_stall_with_the_last_records() {
        let mut sim = Simulation::new(setup(), base());
        for _ in 0..=MAX_STEPS_AT_ONE_INSTANT {
            sim.schedule(0, Pending::Wake(0, Side::Server));
        }
        let report = sim.run(&mut |_| {});
        match report.failure {
            Some(RunFailure::Stall { at, reason, latest }) => {
                assert_eq!(at, 0);
                assert!(reason.contains("without time advancing"), "{reason}");
                // The client's INIT went out at the start.
                assert!(latest.iter().any(|r| matches!(
                    r.kind,
                    TraceKind::Sent {
                        from: Side::Client,
                        ..
                    }
                )));
            }
            other => panic!("expected a stall, got {other:?}"),
        }
    }
}

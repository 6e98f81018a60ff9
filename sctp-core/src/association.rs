//! The association state machine: the four-way handshake (RFC 9260 §5.1),
//! verification tags (§8.5), unrecognized chunks (§3.2), heartbeats
//! (§8.3) and ABORT (§9.1).

mod heartbeat;
mod reconfig;
mod shutdown;
mod snap;
mod transfer;

pub use reconfig::ResetError;
pub use snap::SnapError;
pub use transfer::{ReceivedMessage, Reliability, SendError, TransferCounters, TransferStats};

use crate::config::Config;
use crate::cookie::{CookieContents, CookieError};
use crate::random::{any_u32, nonzero_u32, RandomSource};
use crate::timer::{BackoffTimer, Expiry};
use bytes::Bytes;
use sctp_wire::{
    Abort, ChecksumCheck, ChecksumMode, Chunk, ChunkType, CommonHeader, CookieEcho, ErrorCause,
    Heartbeat, Init, OperationError, Packet, PacketBuilder, Param, ParamType, ShutdownComplete,
    Tsn, EDMID_DTLS,
};
use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;
use tracing::{debug, trace};

/// Which side of the handshake an association plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sends the INIT.
    Client,
    /// Waits for an INIT and keeps no state until a valid COOKIE ECHO.
    Server,
}

/// The association's state, as RFC 9260 §4 names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// No association: a server waiting for an INIT, or a finished one.
    Closed,
    /// INIT sent, waiting for the INIT ACK.
    CookieWait,
    /// COOKIE ECHO sent, waiting for the COOKIE ACK.
    CookieEchoed,
    /// The handshake is done.
    Established,
    /// [`Association::shutdown`] was called; waiting for outstanding data
    /// to be acknowledged (RFC 9260 §9.2).
    ShutdownPending,
    /// SHUTDOWN sent, waiting for the SHUTDOWN ACK.
    ShutdownSent,
    /// The peer sent SHUTDOWN; finishing our outstanding data.
    ShutdownReceived,
    /// SHUTDOWN ACK sent, waiting for the SHUTDOWN COMPLETE.
    ShutdownAckSent,
}

/// Why an association closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// INIT or COOKIE ECHO went unanswered Max.Init.Retransmits times
    /// (RFC 9260 §5.1 A and C).
    HandshakeTimeout,
    /// The peer sent an ABORT, with these causes.
    PeerAbort(Vec<ErrorCause>),
    /// This side aborted, with this reason.
    LocalAbort(String),
    /// The peer broke the protocol and was sent an ABORT with this cause.
    ProtocolError(ErrorCause),
    /// Data went unacknowledged through Association.Max.Retrans
    /// consecutive T3-rtx (or T2-shutdown) expiries (RFC 9260 §8.1).
    PeerUnreachable,
    /// The graceful shutdown of RFC 9260 §9.2 completed.
    Shutdown,
    /// The shutdown guard timer expired (RFC 9260 §9.2) and the
    /// association was aborted.
    ShutdownTimeout,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::HandshakeTimeout => f.write_str("handshake timed out"),
            CloseReason::PeerAbort(causes) if causes.is_empty() => {
                f.write_str("aborted by the peer")
            }
            CloseReason::PeerAbort(causes) => write!(f, "aborted by the peer: {causes:?}"),
            CloseReason::LocalAbort(reason) => write!(f, "aborted locally: {reason}"),
            CloseReason::ProtocolError(cause) => write!(f, "protocol error: {cause:?}"),
            CloseReason::PeerUnreachable => f.write_str("peer unreachable"),
            CloseReason::Shutdown => f.write_str("shut down"),
            CloseReason::ShutdownTimeout => f.write_str("shutdown timed out"),
        }
    }
}

/// Something the user should know; see [`Association::poll_event`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed: the association is established.
    Connected,
    /// Whole messages wait to be read with [`Association::read`]; sent
    /// when the first arrives after the queue was empty.
    Readable,
    /// The peer restarted (RFC 9260 §5.2.4 A): the association continues
    /// with new tags and TSNs, and data that was in flight is lost.
    PeerRestarted,
    /// The association is closed and will send nothing more.
    Closed(CloseReason),
    /// The peer reset these incoming streams (RFC 6525, how WebRTC closes
    /// a data channel): their readers have reached the end, every message
    /// sent before the reset being already available from
    /// [`Association::read`]. Their SSNs start again from 0.
    IncomingStreamsReset(Vec<u16>),
    /// The peer performed our reset of these outgoing streams (see
    /// [`Association::reset_streams`]); they can carry messages again.
    OutgoingStreamsReset(Vec<u16>),
    /// The peer refused our reset of these outgoing streams; they stay as
    /// they were and can carry messages again.
    OutgoingStreamsResetFailed {
        /// The streams.
        streams: Vec<u16>,
        /// The peer's answer (RFC 6525 §4.4).
        result: sctp_wire::ReconfigResult,
    },
    /// The [buffered amount](Association::buffered_amount) of this
    /// outbound stream fell to its low-water threshold (see
    /// [`Association::set_buffered_amount_low_threshold`]): room to queue
    /// more.
    BufferedAmountLow(u16),
}

/// Counters of what the association received and dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams handed to [`Association::handle_datagram`].
    pub datagrams_received: u64,
    /// Datagrams produced by [`Association::poll_transmit`].
    pub datagrams_sent: u64,
    /// Dropped: not a valid SCTP packet (length, framing or checksum).
    pub dropped_malformed: u64,
    /// Dropped: wrong ports or verification tag (RFC 9260 §8.5).
    pub dropped_out_of_association: u64,
    /// Dropped: INIT, INIT ACK or SHUTDOWN COMPLETE bundled with other
    /// chunks (RFC 9260 §6.10), or a chunk that arrived in a state where
    /// RFC 9260 §5 says to discard it.
    pub dropped_unexpected: u64,
    /// Chunks whose layout did not decode.
    pub chunks_malformed: u64,
    /// Chunks of a type this association does not know (RFC 9260 §3.2).
    pub chunks_unrecognized: u64,
    /// State cookies that failed authentication (RFC 9260 §5.1.5).
    pub cookies_invalid: u64,
    /// Chunks of a type the association does not handle yet.
    pub chunks_unhandled: u64,
    /// DATA chunks dropped, unacknowledged, for lack of receive buffer.
    pub data_dropped_no_buffer: u64,
    /// DATA chunks reported received in a gap block, then dropped to make
    /// room for a chunk filling a gap below them (RFC 9260 §6.2
    /// reneging); the peer sends them again.
    pub data_reneged: u64,
    /// DATA chunks acknowledged but refused by reassembly: inconsistent
    /// with what was already delivered (an SSN already used, fragments
    /// that disagree) or part of an abandoned message.
    pub data_refused: u64,
}

/// What the peer told us in its INIT or INIT ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Peer {
    tag: u32,
    initial_tsn: u32,
    a_rwnd: u32,
    /// Negotiated stream counts: (outbound, inbound), RFC 9260 §5.1.1.
    streams: (u16, u16),
    /// It announced Zero Checksum Acceptable with the DTLS method
    /// (RFC 9653 §5.1).
    zero_checksum: bool,
    /// It lists RE-CONFIG among its Supported Extensions: it takes stream
    /// reset requests (RFC 6525 §5).
    reconfig: bool,
    /// It announced FORWARD TSN (RFC 3758 §3.1): it takes partially
    /// reliable messages.
    pr_sctp: bool,
    /// It lists I-DATA (RFC 8260 §2.2.1).
    idata: bool,
}

impl Peer {
    /// The peer as its INIT or INIT ACK describes it, with the stream
    /// counts negotiated against `config` (RFC 9260 §5.1.1: each side
    /// sends on at most as many streams as the other accepts).
    fn from_init(init: &Init, config: &Config) -> Peer {
        Peer {
            tag: init.initiate_tag,
            initial_tsn: init.initial_tsn.0,
            a_rwnd: init.a_rwnd,
            streams: (
                config.outbound_streams.min(init.inbound_streams),
                config.inbound_streams.min(init.outbound_streams),
            ),
            zero_checksum: announces_zero_checksum(&init.params),
            reconfig: announces_reconfig(&init.params),
            pr_sctp: announces_pr_sctp(&init.params),
            idata: announces_idata(&init.params),
        }
    }
}

enum Phase {
    Closed,
    CookieWait { init: Init },
    CookieEchoed { cookie: Bytes },
    Established,
    ShutdownPending,
    ShutdownSent,
    ShutdownReceived,
    ShutdownAckSent,
}

impl Phase {
    /// States in which DATA and SACK flow (RFC 9260 §9.2: until both
    /// sides have seen all their data acknowledged).
    fn transferring(&self) -> bool {
        matches!(
            self,
            Phase::Established
                | Phase::ShutdownPending
                | Phase::ShutdownSent
                | Phase::ShutdownReceived
        )
    }
}

/// What INIT and INIT ACK announce: FORWARD TSN is understood (RFC 3758
/// §3.1, and in the Supported Extensions list of RFC 5061 §4.2.7, which is
/// all pion/sctp looks at), so a peer may send with partial reliability;
/// and with `zero_checksum`, that a zero checksum is acceptable because
/// DTLS protects the packets (RFC 9653 §5.1).
fn supported_extensions(config: &Config) -> Vec<Param> {
    let mut kinds = vec![ChunkType::FORWARD_TSN, ChunkType::RE_CONFIG];
    if config.interleaving {
        // RFC 8260 §2.2.1: both I-DATA and I-FORWARD TSN are listed.
        kinds.extend([ChunkType::I_DATA, ChunkType::I_FORWARD_TSN]);
    }
    let mut params = vec![
        Param::ForwardTsnSupported,
        Param::SupportedExtensions(kinds.into_iter().collect()),
    ];
    if config.zero_checksum {
        params.push(Param::ZeroChecksumAcceptable { edmid: EDMID_DTLS });
    }
    params
}

/// RFC 6525 §5 (by RFC 5061 §4.2.7): whether an INIT or INIT ACK lists
/// RE-CONFIG among the chunks its sender supports.
fn announces_reconfig(params: &[Param]) -> bool {
    params.iter().any(|p| match p {
        Param::SupportedExtensions(kinds) => kinds.iter().any(|k| k == ChunkType::RE_CONFIG),
        _ => false,
    })
}

/// RFC 8260 §2.2.1: whether an INIT or INIT ACK lists I-DATA among the
/// chunks its sender supports.
fn announces_idata(params: &[Param]) -> bool {
    params.iter().any(|p| match p {
        Param::SupportedExtensions(kinds) => kinds.iter().any(|k| k == ChunkType::I_DATA),
        _ => false,
    })
}

/// RFC 3758 §3.1: whether an INIT or INIT ACK announces FORWARD TSN, by
/// the Forward-TSN-Supported parameter or in Supported Extensions (the
/// only place pion/sctp puts it).
fn announces_pr_sctp(params: &[Param]) -> bool {
    params.iter().any(|p| match p {
        Param::ForwardTsnSupported => true,
        Param::SupportedExtensions(kinds) => kinds.iter().any(|k| k == ChunkType::FORWARD_TSN),
        _ => false,
    })
}

/// RFC 9653 §5.1: whether an INIT or INIT ACK announces Zero Checksum
/// Acceptable with the one method this crate knows, DTLS.
fn announces_zero_checksum(params: &[Param]) -> bool {
    params
        .iter()
        .any(|p| matches!(p, Param::ZeroChecksumAcceptable { edmid } if *edmid == EDMID_DTLS))
}

/// A sans-IO SCTP association.
///
/// It reads no clock and no socket: the caller passes datagrams and the
/// time in and takes datagrams, the next timeout and events out.
///
/// - **Inputs:** [`handle_datagram`](Self::handle_datagram) for each
///   received SCTP packet (the UDP or DTLS payload),
///   [`handle_timeout`](Self::handle_timeout) when the time from
///   [`poll_timeout`](Self::poll_timeout) has come (an early or repeated
///   call is harmless).
/// - **Commands:** [`send`](Self::send), [`read`](Self::read),
///   [`shutdown`](Self::shutdown), [`abort`](Self::abort).
/// - **Outputs**, polled after every input or command: first
///   [`poll_transmit`](Self::poll_transmit) until `None`, then
///   [`poll_event`](Self::poll_event) until `None`, then
///   [`poll_timeout`](Self::poll_timeout).
///
/// Time must never go backwards between calls.
///
/// This release establishes associations, carries user messages reliably,
/// shuts down and aborts; partial reliability and stream reset come next
/// (see the crate docs).
pub struct Association {
    config: Config,
    role: Role,
    random: Box<dyn RandomSource>,
    secret: [u8; 32],
    epoch: Instant,
    phase: Phase,
    /// Our verification tag, once chosen (a server chooses it per INIT ACK
    /// and keeps it once a cookie is accepted).
    my_tag: u32,
    my_initial_tsn: u32,
    peer: Option<Peer>,
    t1: BackoffTimer,
    /// T2-shutdown (RFC 9260 §9.2), running in the shutdown states.
    t2: Option<BackoffTimer>,
    /// The shutdown guard timer (RFC 9260 §9.2).
    shutdown_guard: Option<Instant>,
    transfer: Option<transfer::Transfer>,
    /// Made by [`Association::snap`] and waiting for the peer's token.
    snap_pending: bool,
    transmits: VecDeque<Bytes>,
    events: VecDeque<Event>,
    stats: Stats,
    /// Every `tracing` event of the association happens inside this span,
    /// which names its role and, once chosen, its verification tag.
    span: tracing::Span,
}

impl fmt::Debug for Association {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Association")
            .field("role", &self.role)
            .field("state", &self.state())
            .field("my_tag", &format_args!("{:#010x}", self.my_tag))
            .field("peer", &self.peer)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Association {
    /// Enters the association's span until the guard drops. A span no
    /// subscriber records (the usual case on a hot path without tracing)
    /// is neither cloned nor entered: that cost something per packet.
    fn enter_span(&self) -> Option<tracing::span::EnteredSpan> {
        (!self.span.is_disabled()).then(|| self.span.clone().entered())
    }

    /// A client association: its INIT is ready in
    /// [`poll_transmit`](Self::poll_transmit) at once (RFC 9260 §5.1 A).
    pub fn client(config: Config, now: Instant, random: Box<dyn RandomSource>) -> Self {
        let mut a = Self::new(config, Role::Client, now, random);
        let _entered = a.enter_span();
        let init = a.own_init();
        // RFC 9260 §8.5.1: the packet carrying INIT has verification tag 0.
        a.send_packet(0, &[Chunk::Init(init.clone())]);
        a.t1.start(now);
        a.phase = Phase::CookieWait { init };
        debug!(tag = a.my_tag, "INIT sent, COOKIE-WAIT");
        a
    }

    /// Draws our verification tag and initial TSN (RFC 9260 §5.3.1) and
    /// returns the INIT announcing them with our streams and extensions.
    fn own_init(&mut self) -> Init {
        self.my_tag = nonzero_u32(self.random.as_mut());
        self.span.record("tag", self.my_tag);
        self.my_initial_tsn = any_u32(self.random.as_mut());
        Init {
            initiate_tag: self.my_tag,
            a_rwnd: self.config.max_receive_buffer,
            outbound_streams: self.config.outbound_streams,
            inbound_streams: self.config.inbound_streams,
            initial_tsn: Tsn(self.my_initial_tsn),
            params: supported_extensions(&self.config),
        }
    }

    /// A server association, waiting for an INIT. It answers INITs
    /// without keeping state and builds the association from a valid
    /// COOKIE ECHO (RFC 9260 §5.1.3).
    pub fn server(config: Config, now: Instant, random: Box<dyn RandomSource>) -> Self {
        Self::new(config, Role::Server, now, random)
    }

    fn new(config: Config, role: Role, now: Instant, mut random: Box<dyn RandomSource>) -> Self {
        let mut secret = [0u8; 32];
        random.fill_bytes(&mut secret);
        let t1 = BackoffTimer::new(
            config.rto_initial,
            config.rto_max,
            config.max_init_retransmits,
        );
        Association {
            config,
            role,
            random,
            secret,
            epoch: now,
            phase: Phase::Closed,
            my_tag: 0,
            my_initial_tsn: 0,
            peer: None,
            t1,
            t2: None,
            shutdown_guard: None,
            transfer: None,
            snap_pending: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            span: tracing::debug_span!("association", ?role, tag = tracing::field::Empty),
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        match self.phase {
            Phase::Closed => State::Closed,
            Phase::CookieWait { .. } => State::CookieWait,
            Phase::CookieEchoed { .. } => State::CookieEchoed,
            Phase::Established => State::Established,
            Phase::ShutdownPending => State::ShutdownPending,
            Phase::ShutdownSent => State::ShutdownSent,
            Phase::ShutdownReceived => State::ShutdownReceived,
            Phase::ShutdownAckSent => State::ShutdownAckSent,
        }
    }

    /// The role given at construction.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Counters of received, sent and dropped traffic.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Our verification tag (0 for a server before its handshake).
    pub fn local_verification_tag(&self) -> u32 {
        self.my_tag
    }

    /// The peer's verification tag, once known.
    pub fn peer_verification_tag(&self) -> Option<u32> {
        self.peer.map(|p| p.tag)
    }

    /// The peer's initial TSN, once known.
    pub fn peer_initial_tsn(&self) -> Option<Tsn> {
        self.peer.map(|p| Tsn(p.initial_tsn))
    }

    /// Our initial TSN (0 for a server before its handshake).
    pub fn local_initial_tsn(&self) -> Tsn {
        Tsn(self.my_initial_tsn)
    }

    /// The receiver window the peer advertised in its INIT or INIT ACK.
    pub fn peer_a_rwnd(&self) -> Option<u32> {
        self.peer.map(|p| p.a_rwnd)
    }

    /// The negotiated (outbound, inbound) stream counts, once known: each
    /// side sends on at most as many streams as the other accepts
    /// (RFC 9260 §5.1.1).
    pub fn streams(&self) -> Option<(u16, u16)> {
        self.peer.map(|p| p.streams)
    }

    /// The next datagram to send, if any.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
        if self.transmits.is_empty() {
            let _entered = self.enter_span();
            // Commands such as `read` change what is owed to the peer (a
            // reopened window); packets are built when asked for.
            self.flush(now);
        }
        let datagram = self.transmits.pop_front()?;
        self.stats.datagrams_sent += 1;
        Some(datagram)
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        let stream = self.transfer.as_mut()?.buffers.pop_low()?;
        Some(Event::BufferedAmountLow(stream))
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.t1.deadline(),
            self.transfer_timeout(),
            self.shutdown_timeout(),
            self.heartbeat_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the timers that are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let _entered = self.enter_span();
        self.reconfig_handle_timeout(now);
        self.transfer_handle_timeout(now);
        self.shutdown_handle_timeout(now);
        self.heartbeat_handle_timeout(now);
        self.shutdown_progress(now);
        match self.t1.expire(now) {
            None => {}
            Some(Expiry::GiveUp) => {
                // RFC 9260 §5.1 A and C: after Max.Init.Retransmits the
                // handshake is aborted and the user told.
                debug!(
                    "handshake gave up after {} retransmissions",
                    self.config.max_init_retransmits
                );
                self.close(CloseReason::HandshakeTimeout);
            }
            Some(Expiry::Retransmit) => match &self.phase {
                // RFC 9260 §5.1 A: T1-init expiry retransmits the INIT.
                Phase::CookieWait { init } => {
                    let init = Chunk::Init(init.clone());
                    trace!("T1-init expired, INIT again");
                    self.send_packet(0, &[init]);
                }
                // RFC 9260 §5.1 C: T1-cookie expiry retransmits the COOKIE ECHO.
                Phase::CookieEchoed { cookie } => {
                    let echo = Chunk::CookieEcho(CookieEcho {
                        cookie: cookie.clone(),
                    });
                    trace!("T1-cookie expired, COOKIE ECHO again");
                    self.send_to_peer(&[echo]);
                }
                _ => self.t1.stop(),
            },
        }
    }

    /// Aborts the association: an ABORT with a User-Initiated Abort cause
    /// carrying `reason` goes to the peer (RFC 9260 §9.1), and the
    /// association closes. Does nothing on a closed association.
    pub fn abort(&mut self, reason: &str) {
        let _entered = self.enter_span();
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        if self.peer.is_some() {
            let abort = Chunk::Abort(Abort {
                tag_reflected: false,
                causes: vec![ErrorCause::user_initiated_abort(reason)],
            });
            self.send_to_peer(&[abort]);
        }
        self.close(CloseReason::LocalAbort(reason.to_owned()));
    }

    /// Processes one received SCTP packet. Anything malformed, or outside
    /// this association, is counted in [`stats`](Self::stats) and dropped.
    pub fn handle_datagram(&mut self, now: Instant, datagram: Bytes) {
        let _entered = self.enter_span();
        self.stats.datagrams_received += 1;
        let packet = match Packet::decode(datagram, self.checksum_check()) {
            Ok(p) => p,
            Err(e) => {
                trace!(%e, "dropped a malformed packet");
                self.stats.dropped_malformed += 1;
                return;
            }
        };
        let header = *packet.header();
        if header.dst_port != self.config.local_port || header.src_port != self.config.remote_port {
            self.stats.dropped_out_of_association += 1;
            return;
        }
        // RFC 9260 §6.10: INIT, INIT ACK and SHUTDOWN COMPLETE travel
        // alone (found while the framing was checked).
        if packet.bundles_a_lone_chunk() {
            self.stats.dropped_unexpected += 1;
            return;
        }
        let datagram_len = packet.as_bytes().len();
        let mut chunks = packet.into_chunks();
        let first = match chunks.next() {
            None => return,
            Some(Ok(first)) => first,
            Some(Err(e)) => {
                trace!(%e, "malformed chunk, packet dropped");
                self.stats.chunks_malformed += 1;
                return;
            }
        };
        // RFC 9260 §8.4: once closed, the association is gone, and what
        // still comes for it is out of the blue.
        if matches!(self.phase, Phase::Closed) && self.peer.is_some() {
            self.stats.dropped_out_of_association += 1;
            self.answer_out_of_the_blue(header.verification_tag, &first);
            return;
        }
        if !self.verification_tag_ok(header.verification_tag, &first) {
            trace!(
                tag = header.verification_tag,
                "wrong verification tag, dropped"
            );
            self.stats.dropped_out_of_association += 1;
            self.answer_out_of_the_blue(header.verification_tag, &first);
            return;
        }
        let mut had_data = false;
        let mut immediate = false;
        for chunk in std::iter::once(Ok(first)).chain(chunks.by_ref()) {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    // The rest of the packet cannot be trusted either.
                    trace!(%e, "malformed chunk, rest of packet dropped");
                    self.stats.chunks_malformed += 1;
                    break;
                }
            };
            trace!(%chunk, "chunk in");
            let go_on = match chunk {
                Chunk::Data(mut data) if self.phase.transferring() => {
                    had_data = true;
                    transfer::unpin(&mut data.payload, datagram_len);
                    self.on_data(transfer::Incoming::Data(data), &mut immediate)
                }
                Chunk::IData(mut data) if self.phase.transferring() => {
                    had_data = true;
                    transfer::unpin(&mut data.payload, datagram_len);
                    self.on_data(transfer::Incoming::IData(data), &mut immediate)
                }
                Chunk::Sack(sack) if self.phase.transferring() => {
                    self.on_sack(now, sack);
                    true
                }
                Chunk::ForwardTsn(forward) if self.phase.transferring() => {
                    self.on_forward_tsn(forward)
                }
                Chunk::IForwardTsn(forward) if self.phase.transferring() => {
                    self.on_iforward_tsn(forward)
                }
                Chunk::Reconfig(reconfig) if self.phase.transferring() => {
                    self.on_reconfig(now, reconfig);
                    true
                }
                chunk => self.handle_chunk(now, header.verification_tag, chunk),
            };
            if !go_on {
                break;
            }
        }
        if had_data {
            self.data_packet_done(now, immediate);
            self.data_during_shutdown(now);
        }
        self.flush(now);
        self.shutdown_progress(now);
    }

    /// RFC 9260 §8.4: a packet for which no association exists (a server
    /// still waiting for its cookie, or an association that has closed) is
    /// answered with the packet's own tag and the T bit: a SHUTDOWN ACK
    /// with a SHUTDOWN COMPLETE (rule 5), anything else with an ABORT
    /// (rule 8), except the chunks the rules list for silent discard.
    fn answer_out_of_the_blue(&mut self, tag: u32, first: &Chunk) {
        if !matches!(self.phase, Phase::Closed) {
            return;
        }
        let answer = match first {
            // Rules 2, 3 (an INIT is for an endpoint that can start an
            // association; a closed one cannot), 6 and 7.
            Chunk::Abort(_) | Chunk::Init(_) | Chunk::ShutdownComplete(_) | Chunk::CookieAck => {
                return;
            }
            Chunk::Error(e)
                if e.causes
                    .iter()
                    .any(|c| matches!(c, ErrorCause::StaleCookie { .. })) =>
            {
                return;
            }
            Chunk::ShutdownAck => Chunk::ShutdownComplete(ShutdownComplete {
                tag_reflected: true,
            }),
            _ => Chunk::Abort(Abort {
                tag_reflected: true,
                causes: vec![],
            }),
        };
        self.send_packet(tag, &[answer]);
    }

    /// RFC 9260 §8.5 and §8.5.1: which verification tag a packet must
    /// carry depends on its first chunk.
    fn verification_tag_ok(&self, tag: u32, first: &Chunk) -> bool {
        match first {
            // §8.5.1 A: an INIT carries 0.
            Chunk::Init(_) => tag == 0,
            // §8.5.1 B: an ABORT carries our tag, or with the T bit the
            // peer's own tag reflected.
            Chunk::Abort(a) if a.tag_reflected => self.peer.is_some_and(|p| p.tag == tag),
            Chunk::ShutdownComplete(c) if c.tag_reflected => {
                self.peer.is_some_and(|p| p.tag == tag)
            }
            // §5.1.5, §5.2.4: a COOKIE ECHO's tag is checked against the
            // cookie it echoes, once the cookie is authenticated.
            Chunk::CookieEcho(_) => true,
            // §8.5: everything else carries our tag.
            _ => self.my_tag != 0 && tag == self.my_tag,
        }
    }

    /// Handles one chunk; `false` stops processing the rest of the packet.
    fn handle_chunk(&mut self, now: Instant, tag: u32, chunk: Chunk) -> bool {
        match chunk {
            Chunk::Init(init) => self.on_init(now, init),
            Chunk::InitAck(init_ack) => self.on_init_ack(now, init_ack),
            Chunk::CookieEcho(echo) => self.on_cookie_echo(now, tag, echo),
            Chunk::CookieAck => self.on_cookie_ack(now),
            Chunk::Abort(abort) => {
                // RFC 9260 §9.1: an ABORT ends the association at once.
                if !matches!(self.phase, Phase::Closed) {
                    debug!(causes = ?abort.causes, "ABORT received");
                    self.close(CloseReason::PeerAbort(abort.causes));
                }
                false
            }
            Chunk::HeartbeatAck(ack) if self.phase.transferring() => {
                self.on_heartbeat_ack(now, &ack.info);
                true
            }
            Chunk::Heartbeat(hb) if self.peer.is_some() && !matches!(self.phase, Phase::Closed) => {
                // RFC 9260 §8.3: answer with the Heartbeat Info unchanged.
                self.send_to_peer(&[Chunk::HeartbeatAck(Heartbeat { info: hb.info })]);
                true
            }
            Chunk::Shutdown(shutdown) => {
                self.on_shutdown(now, shutdown);
                true
            }
            Chunk::ShutdownAck => {
                self.on_shutdown_ack(tag);
                false
            }
            Chunk::ShutdownComplete(_) => {
                self.on_shutdown_complete();
                false
            }
            Chunk::Error(error) => {
                debug!(causes = ?error.causes, "ERROR received");
                true
            }
            Chunk::Unknown { kind, flags, value } => {
                self.stats.chunks_unrecognized += 1;
                // RFC 9260 §3.2: the two upper bits of the type decide.
                let action = kind.unrecognized_action();
                if action.reports() && self.peer.is_some() {
                    let raw = sctp_wire::RawChunk {
                        kind,
                        flags,
                        value,
                        offset: 0,
                    };
                    let cause = ErrorCause::unrecognized_chunk(&raw);
                    self.send_to_peer(&[Chunk::Error(OperationError {
                        causes: vec![cause],
                    })]);
                }
                action.skips()
            }
            _ => {
                self.stats.chunks_unhandled += 1;
                true
            }
        }
    }

    fn on_init(&mut self, now: Instant, init: Init) -> bool {
        let peer_tag = self.peer_verification_tag().unwrap_or(0);
        // Our tag and TSN for the INIT ACK, and the tie-tags.
        let answer = match self.phase {
            // RFC 9260 §5.1.3: a fresh tag and TSN for each INIT ACK, kept
            // only in the cookie.
            Phase::Closed if self.role == Role::Server && self.peer.is_none() => None,
            // RFC 9260 §5.2.1: an INIT while our own INIT is unanswered is
            // answered with the tag and TSN of our INIT.
            Phase::CookieWait { .. } | Phase::CookieEchoed { .. } => {
                Some((self.my_tag, self.my_initial_tsn, self.my_tag, peer_tag))
            }
            // RFC 9260 §5.2.2: in an established association a new tag
            // and TSN, with the current tags as tie-tags (a restart).
            Phase::Established
            | Phase::ShutdownPending
            | Phase::ShutdownSent
            | Phase::ShutdownReceived => {
                let tag = loop {
                    let t = nonzero_u32(self.random.as_mut());
                    if t != self.my_tag {
                        break t;
                    }
                };
                Some((tag, any_u32(self.random.as_mut()), self.my_tag, peer_tag))
            }
            // A closed client, or SHUTDOWN-ACK-SENT (RFC 9260 §9.2: the
            // SHUTDOWN ACK is retransmitted by T2 anyway): discarded.
            _ => {
                self.stats.dropped_unexpected += 1;
                return false;
            }
        };
        // RFC 9260 §3.3.2: an INIT with Initiate Tag 0 is discarded.
        if init.initiate_tag == 0 {
            self.stats.dropped_unexpected += 1;
            return false;
        }
        // RFC 9260 §3.3.2: zero inbound or outbound streams is answered
        // with an ABORT.
        if init.outbound_streams == 0 || init.inbound_streams == 0 {
            let abort = Chunk::Abort(Abort {
                tag_reflected: false,
                causes: vec![ErrorCause::InvalidMandatoryParameter],
            });
            self.send_packet(init.initiate_tag, &[abort]);
            return false;
        }
        let mut unrecognized = Vec::new();
        for param in &init.params {
            match param {
                // RFC 9260 §3.3.2.1: Host Name Address is no longer
                // supported; the INIT is answered with an ABORT carrying
                // an Unresolvable Address cause.
                Param::HostNameAddress(_) => {
                    let abort = Chunk::Abort(Abort {
                        tag_reflected: false,
                        causes: vec![ErrorCause::unresolvable_address(param)],
                    });
                    self.send_packet(init.initiate_tag, &[abort]);
                    return false;
                }
                Param::Unknown { kind, .. } => {
                    // RFC 9260 §3.2.1: the upper bits decide whether to go
                    // on and whether to report the parameter.
                    let action = kind.unrecognized_action();
                    if action.reports() {
                        unrecognized.push(Param::unrecognized_parameter(param));
                    }
                    if !action.skips() {
                        break;
                    }
                }
                _ => {}
            }
        }
        // RFC 9260 §5.1.3: a fresh tag and TSN for each INIT ACK, kept
        // only in the cookie.
        let (my_tag, my_tsn, local_tie_tag, peer_tie_tag) = match answer {
            Some(a) => a,
            None => (
                nonzero_u32(self.random.as_mut()),
                any_u32(self.random.as_mut()),
                0,
                0,
            ),
        };
        let contents = CookieContents {
            my_tag,
            peer_tag: init.initiate_tag,
            my_initial_tsn: my_tsn,
            peer_initial_tsn: init.initial_tsn.0,
            peer_a_rwnd: init.a_rwnd,
            // RFC 9260 §5.1.1: each side sends on at most as many streams
            // as the other accepts.
            outbound_streams: self.config.outbound_streams.min(init.inbound_streams),
            inbound_streams: self.config.inbound_streams.min(init.outbound_streams),
            created_ms: self.now_ms(now),
            lifetime_ms: u32::try_from(self.config.cookie_lifetime.as_millis()).unwrap_or(u32::MAX),
            local_tie_tag,
            peer_tie_tag,
            peer_zero_checksum: announces_zero_checksum(&init.params),
            peer_reconfig: announces_reconfig(&init.params),
            peer_pr_sctp: announces_pr_sctp(&init.params),
            peer_idata: announces_idata(&init.params),
        };
        let mut params = vec![Param::StateCookie(Bytes::from(contents.seal(&self.secret)))];
        params.extend(supported_extensions(&self.config));
        params.extend(unrecognized);
        let init_ack = Init {
            initiate_tag: my_tag,
            a_rwnd: self.config.max_receive_buffer,
            outbound_streams: self.config.outbound_streams,
            inbound_streams: self.config.inbound_streams,
            initial_tsn: Tsn(my_tsn),
            params,
        };
        trace!(peer_tag = init.initiate_tag, "INIT answered");
        // RFC 9260 §8.5.1: the INIT ACK carries the INIT's Initiate Tag.
        self.send_packet(init.initiate_tag, &[Chunk::InitAck(init_ack)]);
        false
    }

    fn on_init_ack(&mut self, now: Instant, init_ack: Init) -> bool {
        // RFC 9260 §5.2.3: an INIT ACK outside COOKIE-WAIT is discarded.
        if !matches!(self.phase, Phase::CookieWait { .. }) {
            self.stats.dropped_unexpected += 1;
            return false;
        }
        let cookie = init_ack.params.iter().find_map(|p| match p {
            Param::StateCookie(c) => Some(c.clone()),
            _ => None,
        });
        let peer = Peer::from_init(&init_ack, &self.config);
        let Some(cookie) = cookie else {
            // RFC 9260 §5.1 B, §3.3.10.2: an INIT ACK without a State
            // Cookie is answered with an ABORT naming the missing parameter.
            let cause = ErrorCause::MissingMandatoryParameter {
                missing: [ParamType::STATE_COOKIE].into(),
            };
            self.peer = Some(peer);
            self.send_to_peer(&[Chunk::Abort(Abort {
                tag_reflected: false,
                causes: vec![cause.clone()],
            })]);
            self.close(CloseReason::ProtocolError(cause));
            return false;
        };
        if init_ack.initiate_tag == 0 {
            self.stats.dropped_unexpected += 1;
            return false;
        }
        self.peer = Some(peer);
        // RFC 9260 §5.1 C: send the cookie back, stop T1-init and start
        // T1-cookie.
        self.send_to_peer(&[Chunk::CookieEcho(CookieEcho {
            cookie: cookie.clone(),
        })]);
        self.t1.start(now);
        self.phase = Phase::CookieEchoed { cookie };
        debug!(peer_tag = peer.tag, "COOKIE ECHO sent, COOKIE-ECHOED");
        false
    }

    fn on_cookie_echo(&mut self, now: Instant, tag: u32, echo: CookieEcho) -> bool {
        let contents = match CookieContents::open(&echo.cookie, &self.secret, self.now_ms(now)) {
            Ok(c) => c,
            Err(CookieError::Invalid) => {
                // RFC 9260 §5.1.5 step 2: a cookie that fails
                // authentication is discarded silently.
                self.stats.cookies_invalid += 1;
                return false;
            }
            Err(CookieError::Stale {
                staleness,
                peer_tag,
            }) => {
                // RFC 9260 §5.1.5 step 3: a stale cookie is answered with
                // an ERROR carrying a Stale Cookie cause.
                let staleness_us = u32::try_from(staleness.as_micros()).unwrap_or(u32::MAX);
                self.stats.dropped_unexpected += 1;
                if matches!(self.phase, Phase::Closed) {
                    // The cookie is authentic, so its peer tag can address
                    // the answer.
                    let error = Chunk::Error(OperationError {
                        causes: vec![ErrorCause::StaleCookie { staleness_us }],
                    });
                    self.send_packet(peer_tag, &[error]);
                }
                return false;
            }
        };
        // RFC 9260 §5.1.5 step 4 / §8.5: the packet must carry the tag
        // chosen for the cookie.
        if tag != contents.my_tag {
            self.stats.dropped_out_of_association += 1;
            return false;
        }
        let local_matches = contents.my_tag == self.my_tag;
        let peer_matches = Some(contents.peer_tag) == self.peer_verification_tag();
        let ties_match = contents.local_tie_tag == self.my_tag
            && self.peer_verification_tag() == Some(contents.peer_tie_tag);
        match self.phase {
            Phase::Closed if self.role == Role::Server && self.peer.is_none() => {
                self.establish_from_cookie(now, &contents);
                debug!(
                    tag = self.my_tag,
                    peer_tag = contents.peer_tag,
                    "cookie accepted, ESTABLISHED"
                );
                true
            }
            Phase::Closed | Phase::ShutdownAckSent => {
                self.stats.dropped_unexpected += 1;
                false
            }
            // RFC 9260 §5.2.4 case D: both tags match; in an established
            // association the COOKIE ACK was lost, so it goes again.
            _ if local_matches && peer_matches => {
                if matches!(
                    self.phase,
                    Phase::CookieWait { .. } | Phase::CookieEchoed { .. }
                ) {
                    self.establish_from_cookie(now, &contents);
                } else {
                    self.send_to_peer(&[Chunk::CookieAck]);
                }
                true
            }
            // RFC 9260 §5.2.4 case B: our tag matches but the peer's is new:
            // an INIT collision (§5.2.1). The association is set up from the
            // cookie.
            Phase::CookieWait { .. } | Phase::CookieEchoed { .. } if local_matches => {
                self.establish_from_cookie(now, &contents);
                debug!("INIT collision resolved, ESTABLISHED");
                true
            }
            // RFC 9260 §5.2.4 case A: neither tag matches but the tie-tags
            // are the current ones: the peer restarted. The association
            // starts again with the new tags; what was in flight is lost.
            _ if !local_matches && !peer_matches && ties_match => {
                debug!("peer restarted");
                self.events.push_back(Event::PeerRestarted);
                self.establish_from_cookie(now, &contents);
                true
            }
            // RFC 9260 §5.2.4 case C and anything else: discarded.
            _ => {
                self.stats.dropped_unexpected += 1;
                false
            }
        }
    }

    /// Sets the association up from an accepted cookie and answers with a
    /// COOKIE ACK (RFC 9260 §5.1 D).
    fn establish_from_cookie(&mut self, now: Instant, contents: &CookieContents) {
        self.t1.stop();
        self.t2 = None;
        self.shutdown_guard = None;
        self.my_tag = contents.my_tag;
        self.span.record("tag", self.my_tag);
        self.my_initial_tsn = contents.my_initial_tsn;
        self.peer = Some(Peer {
            tag: contents.peer_tag,
            initial_tsn: contents.peer_initial_tsn,
            a_rwnd: contents.peer_a_rwnd,
            streams: (contents.outbound_streams, contents.inbound_streams),
            zero_checksum: contents.peer_zero_checksum,
            reconfig: contents.peer_reconfig,
            pr_sctp: contents.peer_pr_sctp,
            idata: contents.peer_idata,
        });
        let previous = self.transfer.take();
        let was_established = previous.is_some();
        self.phase = Phase::Established;
        let mut transfer = transfer::Transfer::new(
            self,
            contents.peer_a_rwnd,
            contents.peer_initial_tsn,
            (contents.outbound_streams, contents.inbound_streams),
        );
        if let Some(previous) = previous {
            // A restart (RFC 9260 §5.2.4 A) loses what was queued and in
            // flight; the streams' thresholds stay as the user set them.
            transfer.buffers = previous.buffers;
            transfer.buffers.release_all();
        }
        self.transfer = Some(transfer);
        self.defer_heartbeat(now);
        self.send_to_peer(&[Chunk::CookieAck]);
        if !was_established {
            self.events.push_back(Event::Connected);
        }
    }

    fn on_cookie_ack(&mut self, now: Instant) -> bool {
        // RFC 9260 §5.1 E: COOKIE ACK in COOKIE-ECHOED completes the
        // handshake; elsewhere it is discarded (§5.2.5).
        if !matches!(self.phase, Phase::CookieEchoed { .. }) {
            self.stats.dropped_unexpected += 1;
            return true;
        }
        self.t1.stop();
        self.phase = Phase::Established;
        if let Some(peer) = self.peer {
            self.transfer = Some(transfer::Transfer::new(
                self,
                peer.a_rwnd,
                peer.initial_tsn,
                peer.streams,
            ));
        }
        self.defer_heartbeat(now);
        self.events.push_back(Event::Connected);
        debug!("COOKIE ACK received, ESTABLISHED");
        true
    }

    /// RFC 9260 §3.3.10.13: the peer broke the protocol; it gets an ABORT
    /// with a Protocol Violation cause saying how, and the association
    /// closes.
    fn protocol_violation(&mut self, info: &str) {
        debug!(info, "protocol violation, aborting");
        let cause = ErrorCause::protocol_violation(info);
        self.send_to_peer(&[Chunk::Abort(Abort {
            tag_reflected: false,
            causes: vec![cause.clone()],
        })]);
        self.close(CloseReason::ProtocolError(cause));
    }

    fn close(&mut self, reason: CloseReason) {
        self.t1.stop();
        self.t2 = None;
        self.shutdown_guard = None;
        self.phase = Phase::Closed;
        self.events.push_back(Event::Closed(reason));
    }

    /// Milliseconds since this association was created: the cookie clock.
    fn now_ms(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }

    fn send_to_peer(&mut self, chunks: &[Chunk]) {
        let tag = self.peer.map_or(0, |p| p.tag);
        self.send_packet(tag, chunks);
    }

    /// Queues one packet holding `chunks`, sent with verification tag `tag`.
    fn send_packet(&mut self, tag: u32, chunks: &[Chunk]) {
        let header = CommonHeader::new(self.config.local_port, self.config.remote_port, tag);
        let mut builder = match PacketBuilder::new(header, self.config.mtu) {
            Ok(b) => b,
            Err(e) => {
                debug!(%e, "cannot build a packet");
                return;
            }
        };
        for chunk in chunks {
            trace!(%chunk, "chunk out");
            if let Err(e) = builder.push(chunk) {
                debug!(%e, "chunk left out of the packet");
            }
        }
        if !builder.is_empty() {
            // RFC 9653 §5.2: the handshake's packets reach a peer that may
            // hold no state (or, on a restart, a new one), so they always
            // carry a CRC32c (the builder sees to INIT itself).
            let handshake = chunks
                .iter()
                .any(|c| matches!(c, Chunk::InitAck(_) | Chunk::CookieEcho(_)));
            let mode = if handshake {
                ChecksumMode::Crc32c
            } else {
                self.checksum_mode()
            };
            self.transmits.push_back(builder.finish(mode));
        }
    }

    /// RFC 9653 §5.2: packets go out with a zero checksum once both sides
    /// announced Zero Checksum Acceptable for DTLS.
    pub(super) fn checksum_mode(&self) -> ChecksumMode {
        if self.config.zero_checksum && self.peer.is_some_and(|p| p.zero_checksum) {
            ChecksumMode::Zero
        } else {
            ChecksumMode::Crc32c
        }
    }

    /// RFC 9653 §5.3: having announced Zero Checksum Acceptable, accept a
    /// zero checksum besides a correct CRC32c, except while a server has
    /// no association: the peer cannot know yet (its COOKIE ECHO, and
    /// anything out of the blue, carries a CRC32c).
    fn checksum_check(&self) -> ChecksumCheck {
        let no_association =
            self.role == Role::Server && matches!(self.phase, Phase::Closed) && self.peer.is_none();
        if self.config.zero_checksum && !no_association {
            ChecksumCheck::ZeroAllowed
        } else {
            ChecksumCheck::Required
        }
    }
}

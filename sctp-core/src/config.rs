//! Association configuration, with the defaults of DESIGN.md §7.

use crate::rack::LossDetection;
use crate::send_queue::Scheduler;
use sctp_cc::{CongestionControllerFactory, Rfc9260Config};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How an association is set up. The defaults are RFC 9260 §16's
/// protocol parameters, adjusted for WebRTC as DESIGN.md §7 lists.
#[derive(Clone)]
pub struct Config {
    /// Our SCTP port (5000 for WebRTC, RFC 8841).
    pub local_port: u16,
    /// The peer's SCTP port.
    pub remote_port: u16,
    /// Largest SCTP packet sent, in bytes. 1191 fits a 1280-byte IPv6
    /// path under DTLS and TURN.
    pub mtu: usize,
    /// Outbound streams asked for in INIT (OS).
    pub outbound_streams: u16,
    /// Inbound streams accepted (MIS).
    pub inbound_streams: u16,
    /// Receive buffer, advertised as a_rwnd (pion's `MaxReceiveBufferSize`):
    /// the most bytes of user data held for reassembly or reading. It
    /// also bounds the chunks held, at one per 256 bytes (at least 64),
    /// since each costs bookkeeping besides its bytes; the window closes
    /// as either nears its limit.
    pub max_receive_buffer: u32,
    /// Largest user message accepted by `send`, in bytes.
    pub max_message_size: usize,
    /// Bytes of user data that may wait to be sent; `send` refuses more.
    pub send_buffer_size: usize,
    /// Delay before a SACK for a lone packet (RFC 9260 §6.2: at most 500 ms).
    pub delayed_ack: Duration,
    /// RTO.Initial (RFC 9260 §16): the first T1 and T3 timeout.
    pub rto_initial: Duration,
    /// RTO.Min (RFC 9260 §16).
    pub rto_min: Duration,
    /// RTO.Max (RFC 9260 §16), the cap of every back-off (pion's `RTOMax`).
    pub rto_max: Duration,
    /// Max.Init.Retransmits (RFC 9260 §16): INIT or COOKIE ECHO
    /// retransmissions before the handshake is given up.
    pub max_init_retransmits: u32,
    /// HB.interval (RFC 9260 §8.3, §16): an idle association sends a
    /// HEARTBEAT after this long plus one RTO; `None` sends none.
    pub heartbeat_interval: Option<Duration>,
    /// Association.Max.Retrans (RFC 9260 §16): consecutive T3-rtx
    /// expiries before the peer is considered unreachable (§8.1).
    pub association_max_retrans: u32,
    /// Valid.Cookie.Life (RFC 9260 §16).
    pub cookie_lifetime: Duration,
    /// Builds the congestion controller (RFC 9260 §7.2 by default).
    pub congestion: Arc<dyn CongestionControllerFactory>,
    /// The packets travel inside DTLS, which detects corruption, so the
    /// CRC32c may be left out (RFC 9653, pion's `EnableZeroChecksum`):
    /// INIT and INIT ACK announce Zero Checksum Acceptable with the DTLS
    /// method, packets with a zero checksum are accepted, and once the
    /// peer announced the same, packets go out with a zero checksum. Off
    /// by default: only true where DTLS (RFC 8261) carries the packets.
    pub zero_checksum: bool,
    /// Message interleaving (RFC 8260): INIT and INIT ACK list I-DATA and
    /// I-FORWARD TSN, and once the peer lists them too, messages go as
    /// I-DATA, so a large message on one stream no longer holds back the
    /// others. Off by default (pion/sctp lacks it); with a peer that does
    /// not list them, DATA is used.
    pub interleaving: bool,
    /// Which stream's data goes next (RFC 8260 §3); first come, first
    /// served by default.
    pub scheduler: Scheduler,
    /// How lost chunks are found: the three-miss rule of RFC 9260 §7.2.4
    /// (the default), or RACK-TLP (RFC 8985), which tolerates reordering
    /// and finds losses at the tail without waiting for T3-rtx.
    pub loss_detection: LossDetection,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("local_port", &self.local_port)
            .field("remote_port", &self.remote_port)
            .field("mtu", &self.mtu)
            .field("outbound_streams", &self.outbound_streams)
            .field("inbound_streams", &self.inbound_streams)
            .field("max_receive_buffer", &self.max_receive_buffer)
            .field("max_message_size", &self.max_message_size)
            .field("send_buffer_size", &self.send_buffer_size)
            .field("rto_initial", &self.rto_initial)
            .field("rto_min", &self.rto_min)
            .field("rto_max", &self.rto_max)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("zero_checksum", &self.zero_checksum)
            .field("interleaving", &self.interleaving)
            .field("scheduler", &self.scheduler)
            .field("loss_detection", &self.loss_detection)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            local_port: 5000,
            remote_port: 5000,
            mtu: 1191,
            outbound_streams: 1024,
            inbound_streams: 1024,
            max_receive_buffer: 1024 * 1024,
            max_message_size: 65_536,
            send_buffer_size: 1024 * 1024,
            delayed_ack: Duration::from_millis(200),
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_secs(1),
            rto_max: Duration::from_secs(60),
            max_init_retransmits: 8,
            heartbeat_interval: Some(Duration::from_secs(30)),
            association_max_retrans: 10,
            cookie_lifetime: Duration::from_secs(60),
            congestion: Arc::new(Rfc9260Config::default()),
            zero_checksum: false,
            interleaving: false,
            scheduler: Scheduler::Fcfs,
            loss_detection: LossDetection::ThreeMisses,
        }
    }
}

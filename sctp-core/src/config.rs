//! Association configuration, with the defaults of DESIGN.md §7.

use std::time::Duration;

/// How an association is set up. The defaults are RFC 9260 §16's
/// protocol parameters, adjusted for WebRTC as DESIGN.md §7 lists.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Receive buffer, advertised as a_rwnd (pion's `MaxReceiveBufferSize`).
    pub max_receive_buffer: u32,
    /// RTO.Initial (RFC 9260 §16): the first T1 timeout.
    pub rto_initial: Duration,
    /// RTO.Max (RFC 9260 §16), the cap of every back-off (pion's `RTOMax`).
    pub rto_max: Duration,
    /// Max.Init.Retransmits (RFC 9260 §16): INIT or COOKIE ECHO
    /// retransmissions before the handshake is given up.
    pub max_init_retransmits: u32,
    /// Valid.Cookie.Life (RFC 9260 §16).
    pub cookie_lifetime: Duration,
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
            rto_initial: Duration::from_secs(1),
            rto_max: Duration::from_secs(60),
            max_init_retransmits: 8,
            cookie_lifetime: Duration::from_secs(60),
        }
    }
}

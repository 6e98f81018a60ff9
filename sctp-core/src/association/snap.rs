//! SNAP, the SCTP Negotiation Acceleration Protocol
//! (draft-hancke-tsvwg-snap, pion's `WithSNAP`): each side's INIT chunk
//! travels out of band, in the SDP offer and answer (`a=sctp-init`), so
//! the association is established without the four-way handshake and
//! its two round trips.
//!
//! Each side makes an association with [`Association::snap`], signals
//! its [`snap_token`](Association::snap_token), and hands the peer's to
//! [`accept_snap_token`](Association::accept_snap_token). From then on it
//! is established exactly as if the INIT had arrived in a packet: the
//! tags, initial TSNs, stream counts and extensions of the two INITs are
//! negotiated as RFC 9260 §5.1 does.

use super::{transfer, Association, Event, Peer, Phase, Role};
use crate::config::Config;
use crate::random::RandomSource;
use bytes::Bytes;
use sctp_wire::{Chunk, WireError};
use std::time::Instant;
use tracing::debug;

/// Why [`Association::accept_snap_token`] refused a token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapError {
    /// The association was not made by [`Association::snap`], or has
    /// already been established.
    #[error("the association is not waiting for a SNAP token")]
    NotWaiting,
    /// The token is not one well-formed chunk.
    #[error("the SNAP token is not a chunk: {0}")]
    Malformed(#[from] WireError),
    /// The token is a chunk, but not an INIT.
    #[error("the SNAP token is a {0} chunk, not an INIT")]
    NotAnInit(sctp_wire::ChunkType),
    /// The INIT breaks RFC 9260 §3.3.2: a zero Initiate Tag, or no
    /// inbound or outbound streams.
    #[error("the SNAP token's INIT is invalid: {0}")]
    InvalidInit(&'static str),
}

impl Association {
    /// An association that will be established by SNAP: nothing is sent
    /// until the peer's token is accepted, and no timer runs. Its
    /// [`state`](Self::state) is [`State::CookieWait`](crate::State::CookieWait)
    /// meanwhile: its INIT is out (by signalling), the peer's awaited.
    ///
    /// A peer that sends an INIT instead is answered as a client in
    /// COOKIE-WAIT answers one (RFC 9260 §5.2.1), so the ordinary
    /// handshake still works.
    pub fn snap(config: Config, now: Instant, random: Box<dyn RandomSource>) -> Self {
        let mut a = Self::new(config, Role::Client, now, random);
        let init = a.own_init();
        a.phase = Phase::CookieWait { init };
        a.snap_pending = true;
        a
    }

    /// The INIT chunk to signal to the peer (SNAP's `a=sctp-init`, which
    /// carries it base64-encoded), as the bytes it has in a packet.
    /// `None` once the association is established.
    pub fn snap_token(&self) -> Option<Bytes> {
        match &self.phase {
            Phase::CookieWait { init } if self.snap_pending => {
                Some(Chunk::Init(init.clone()).to_standalone())
            }
            _ => None,
        }
    }

    /// Takes the peer's SNAP token (its INIT chunk) and establishes the
    /// association: [`Event::Connected`] follows, and data can be sent at
    /// once. The peer's INIT is checked as one received in a packet would
    /// be (RFC 9260 §3.3.2).
    pub fn accept_snap_token(&mut self, now: Instant, token: Bytes) -> Result<(), SnapError> {
        if !self.snap_pending || !matches!(self.phase, Phase::CookieWait { .. }) {
            return Err(SnapError::NotWaiting);
        }
        let init = match Chunk::decode_standalone(token)? {
            Chunk::Init(init) => init,
            other => return Err(SnapError::NotAnInit(other.chunk_type())),
        };
        // RFC 9260 §3.3.2: a zero Initiate Tag, or zero stream counts,
        // make an INIT invalid.
        if init.initiate_tag == 0 {
            return Err(SnapError::InvalidInit("its Initiate Tag is 0"));
        }
        if init.outbound_streams == 0 || init.inbound_streams == 0 {
            return Err(SnapError::InvalidInit(
                "it has no inbound or no outbound streams",
            ));
        }
        let _entered = self.enter_span();
        let peer = Peer::from_init(&init, &self.config);
        self.peer = Some(peer);
        self.snap_pending = false;
        self.phase = Phase::Established;
        self.transfer = Some(transfer::Transfer::new(
            self,
            peer.a_rwnd,
            peer.initial_tsn,
            peer.streams,
        ));
        self.defer_heartbeat(now);
        self.events.push_back(Event::Connected);
        debug!(peer_tag = peer.tag, "SNAP token accepted, ESTABLISHED");
        Ok(())
    }
}

//! SNAP (draft-hancke-tsvwg-snap, pion's `WithSNAP`): the two INITs
//! travel in the SDP offer and answer, and the association starts
//! established, without the four-way handshake's two round trips.

use crate::association::Association;
use crate::driver;
use crate::error::{Error, Result};
use crate::random::OsRandom;
use crate::transport::Transport;
use bytes::Bytes;
use sctp_core::Config;
use std::sync::Arc;

/// One side of a SNAP setup: make it, signal its [`token`](Self::token)
/// (SDP's `a=sctp-init` carries it, base64-encoded), and
/// [`connect`](Self::connect) with the peer's.
///
/// ```
/// use sctp_tokio::{Config, MemoryTransport, Ppid, Snap};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), sctp_tokio::Error> {
/// let (offerer, answerer) = (Snap::new(Config::default()), Snap::new(Config::default()));
/// let (offer, answer) = (offerer.token(), answerer.token());
/// let (a, b) = MemoryTransport::pair();
/// let x = offerer.connect(a, answer).await?;
/// let y = answerer.connect(b, offer).await?;
/// // Established at once: data goes in the first packet.
/// x.open_stream(0, Ppid::BINARY)?.write(b"hi").await?;
/// let mut buf = [0u8; 8];
/// let n = y.accept_stream().await?.read(&mut buf).await?;
/// assert_eq!(&buf[..n], b"hi");
/// # Ok(())
/// # }
/// ```
pub struct Snap {
    core: sctp_core::Association,
    config: Config,
}

impl std::fmt::Debug for Snap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snap").finish_non_exhaustive()
    }
}

impl Snap {
    /// A side with a fresh INIT (its tag and initial TSN drawn from the
    /// OS generator).
    pub fn new(config: Config) -> Snap {
        let core = sctp_core::Association::snap(config.clone(), driver::now(), Box::new(OsRandom));
        Snap { core, config }
    }

    /// The INIT chunk to signal to the peer, as the bytes it has in a
    /// packet.
    pub fn token(&self) -> Bytes {
        // A fresh SNAP association always has its token.
        self.core.snap_token().unwrap_or_default()
    }

    /// Takes the peer's token and starts the association over
    /// `transport`, already established. Fails with [`Error::Snap`] if
    /// the token is not a valid INIT.
    pub async fn connect(
        mut self,
        transport: impl Transport,
        peer_token: Bytes,
    ) -> Result<Association> {
        self.core
            .accept_snap_token(driver::now(), peer_token)
            .map_err(Error::Snap)?;
        Association::start(self.core, &self.config, Arc::new(transport)).await
    }
}

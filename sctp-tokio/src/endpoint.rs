//! Many server associations on one UDP socket, told apart by the peer's
//! address (RFC 6951 §5: each UDP flow carries one association here).
//!
//! Like a listening SCTP socket, the endpoint serves its local SCTP port
//! (`Config::local_port`) to a peer using any SCTP port: each server
//! association takes the peer's port from the first packet of its flow.

use crate::association::Association;
use crate::error::Result;
use crate::transport::Transport;
use crate::udp::{bind_udp, BatchSocket};
use async_trait::async_trait;
use bytes::Bytes;
use sctp_core::Config;
use sctp_wire::COMMON_HEADER_LEN;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, trace, Instrument};

/// Datagrams waiting for one association's driver; more are dropped, as a
/// full socket buffer would (SCTP retransmits them).
const PEER_QUEUE: usize = 1024;
/// Established associations waiting for [`Endpoint::accept`]; more are
/// aborted.
const ACCEPT_BACKLOG: usize = 1024;
/// Receive buffers of the endpoint's socket (64 KiB each): datagrams, or
/// GRO batches of them, read per system call.
const ENDPOINT_SLOTS: usize = 16;

type Peers = Arc<Mutex<HashMap<SocketAddr, mpsc::Sender<Bytes>>>>;

/// A UDP socket serving SCTP associations with any number of peers: a
/// datagram from an address not seen before starts a server association,
/// which [`accept`](Self::accept) yields once established.
///
/// Dropping the endpoint stops its receive task, and with it every
/// association it served: keep it as long as they are used.
#[derive(Debug)]
pub struct Endpoint {
    local_addr: SocketAddr,
    accepted: tokio::sync::Mutex<mpsc::Receiver<Association>>,
    receiver: JoinHandle<()>,
}

impl Endpoint {
    /// Binds a UDP socket to `addr` (with
    /// [`SOCKET_BUFFER`](crate::SOCKET_BUFFER)-byte buffers) and serves associations set up with
    /// `config`, except that `config.remote_port` is replaced by each
    /// peer's own SCTP port, as its first packet shows it.
    ///
    /// The socket is set up for batched I/O as
    /// [`UdpTransport::new`](crate::UdpTransport::new) describes.
    pub async fn bind(addr: SocketAddr, config: Config) -> io::Result<Endpoint> {
        let socket = Arc::new(BatchSocket::new(bind_udp(addr)?, ENDPOINT_SLOTS)?);
        let local_addr = socket.socket().local_addr()?;
        let (accept_tx, accepted) = mpsc::channel(ACCEPT_BACKLOG);
        let span = tracing::debug_span!("sctp-endpoint", %local_addr);
        let receiver = tokio::spawn(receive(socket, config, accept_tx).instrument(span));
        Ok(Endpoint {
            local_addr,
            accepted: tokio::sync::Mutex::new(accepted),
            receiver,
        })
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Waits for the next established association. Fails with
    /// [`Error::Closed`](crate::Error::Closed) if the receive task has
    /// stopped (its socket failed).
    pub async fn accept(&self) -> Result<Association> {
        self.accepted
            .lock()
            .await
            .recv()
            .await
            .ok_or(crate::Error::Closed)
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.receiver.abort();
    }
}

/// The receive task: reads the socket and hands each datagram to its
/// peer's association, starting one for a new peer.
async fn receive(socket: Arc<BatchSocket>, config: Config, accept_tx: mpsc::Sender<Association>) {
    let peers: Peers = Arc::default();
    let mut received: Vec<(SocketAddr, Bytes)> = Vec::new();
    loop {
        if let Err(e) = socket
            .recv(|from, datagram| received.push((from, datagram)))
            .await
        {
            // An ICMP error from some peer does not stop the endpoint;
            // a failed socket does.
            if matches!(
                e.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::Interrupted
            ) {
                trace!(%e, "receive error passed over");
                continue;
            }
            debug!(%e, "endpoint socket failed");
            return;
        }
        // A read brings runs of datagrams from one peer: its queue is
        // looked up once per run.
        let mut last: Option<(SocketAddr, mpsc::Sender<Bytes>)> = None;
        for (from, datagram) in received.drain(..) {
            let tx = match &last {
                Some((addr, tx)) if *addr == from => tx.clone(),
                _ => {
                    let known = peers
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(&from)
                        .cloned();
                    let Some(tx) = known else {
                        start_peer(&socket, &peers, from, datagram, &config, &accept_tx);
                        last = None;
                        continue;
                    };
                    last = Some((from, tx.clone()));
                    tx
                }
            };
            if tx.try_send(datagram).is_err() {
                trace!(%from, "peer queue full or closed, datagram dropped");
            }
        }
    }
}

/// Starts a server association for a new peer, its first datagram queued.
fn start_peer(
    socket: &Arc<BatchSocket>,
    peers: &Peers,
    peer: SocketAddr,
    first: Bytes,
    config: &Config,
    accept_tx: &mpsc::Sender<Association>,
) {
    let mut config = config.clone();
    // A peer picks its own SCTP source port, an ephemeral one when it
    // does not bind (usrsctp's tsctp, kernel SCTP clients): the
    // association answers the port of the flow's first packet, usually
    // the INIT (RFC 9260 §5.1: the INIT ACK goes back to the INIT's
    // source port). A datagram too short for a common header keeps the
    // configured port; the association drops it as malformed anyway.
    if first.len() >= COMMON_HEADER_LEN {
        config.remote_port = u16::from_be_bytes([first[0], first[1]]);
    }
    let (tx, rx) = mpsc::channel(PEER_QUEUE);
    // Cannot fail: the queue is new and empty.
    let _ = tx.try_send(first);
    peers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(peer, tx);
    let transport = PeerTransport {
        socket: Arc::clone(socket),
        peer,
        rx: tokio::sync::Mutex::new(rx),
        peers: Arc::clone(peers),
    };
    let accept_tx = accept_tx.clone();
    // The server keeps no protocol state before a valid COOKIE ECHO (RFC
    // 9260 §5.1.3), but this adapter keeps a task per peer address: one
    // that does not finish a handshake within a cookie's lifetime is let
    // go, so stray datagrams cannot pile tasks up.
    let handshake_limit = config.cookie_lifetime;
    tokio::spawn(async move {
        let server = Association::server_on(Arc::new(transport), &config);
        match tokio::time::timeout(handshake_limit, server).await {
            Ok(Ok(association)) => {
                if let Err(e) = accept_tx.try_send(association) {
                    debug!(%peer, "accept backlog full or endpoint gone: aborting");
                    e.into_inner().abort("the server is not accepting");
                }
            }
            Ok(Err(e)) => debug!(%peer, %e, "handshake failed"),
            Err(_) => debug!(%peer, "no handshake in time"),
        }
    });
}

/// One peer's share of the endpoint's socket: sends to the peer, receives
/// what the receive task hands over. Dropped with its association's
/// driver, which forgets the peer.
struct PeerTransport {
    socket: Arc<BatchSocket>,
    peer: SocketAddr,
    rx: tokio::sync::Mutex<mpsc::Receiver<Bytes>>,
    peers: Peers,
}

#[async_trait]
impl Transport for PeerTransport {
    async fn send(&self, datagram: Bytes) -> io::Result<()> {
        self.socket
            .send(self.peer, std::slice::from_ref(&datagram))
            .await
    }

    async fn recv(&self) -> io::Result<Bytes> {
        self.rx
            .lock()
            .await
            .recv()
            .await
            .ok_or_else(endpoint_dropped)
    }

    async fn send_batch(&self, datagrams: &[Bytes]) -> io::Result<()> {
        self.socket.send(self.peer, datagrams).await
    }

    async fn recv_batch(&self, datagrams: &mut Vec<Bytes>, max: usize) -> io::Result<()> {
        match self.rx.lock().await.recv_many(datagrams, max.max(1)).await {
            0 => Err(endpoint_dropped()),
            _ => Ok(()),
        }
    }
}

/// What a peer's receive gets once the endpoint's receive task is gone.
fn endpoint_dropped() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the endpoint was dropped")
}

impl Drop for PeerTransport {
    fn drop(&mut self) {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.peer);
    }
}

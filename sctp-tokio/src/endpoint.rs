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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, trace, Instrument};

/// What a datagram waiting in a peer's queue counts for beyond its bytes
/// (its handle and slot), so that empty datagrams cannot queue without
/// bound.
const QUEUED_OVERHEAD: usize = 64;
/// Established associations waiting for [`Endpoint::accept`]; more are
/// aborted.
const ACCEPT_BACKLOG: usize = 1024;
/// Receive buffers of the endpoint's socket (64 KiB each): datagrams, or
/// GRO batches of them, read per system call.
const ENDPOINT_SLOTS: usize = 16;

type Peers = Arc<Mutex<HashMap<SocketAddr, PeerQueue>>>;

/// The datagrams from one peer waiting for its association's driver,
/// bounded in bytes: twice the receive window the association
/// advertises, what the peer may have in flight towards it with room for
/// its SACKs and retransmissions. More are dropped, as a full socket
/// buffer would drop them (SCTP retransmits them). A bound in datagrams
/// either held too few for a window (1024 of them overflowed in echo
/// runs, when the driver was busy sending) or too many bytes of large
/// ones.
#[derive(Clone)]
struct PeerQueue {
    tx: mpsc::UnboundedSender<Bytes>,
    /// Bytes queued, each datagram counted with [`QUEUED_OVERHEAD`].
    queued: Arc<AtomicUsize>,
    limit: usize,
}

impl PeerQueue {
    /// Queues `datagram` if the queue has room for it; returns whether it
    /// did.
    fn push(&self, datagram: Bytes) -> bool {
        let cost = datagram.len() + QUEUED_OVERHEAD;
        if self.queued.fetch_add(cost, Ordering::Relaxed) + cost > self.limit
            || self.tx.send(datagram).is_err()
        {
            self.queued.fetch_sub(cost, Ordering::Relaxed);
            return false;
        }
        true
    }
}

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
        let mut last: Option<(SocketAddr, PeerQueue)> = None;
        for (from, datagram) in received.drain(..) {
            let queue = match &last {
                Some((addr, queue)) if *addr == from => queue,
                _ => {
                    let known = peers
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(&from)
                        .cloned();
                    let Some(queue) = known else {
                        start_peer(&socket, &peers, from, datagram, &config, &accept_tx);
                        last = None;
                        continue;
                    };
                    &last.insert((from, queue)).1
                }
            };
            if !queue.push(datagram) {
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
    let (tx, rx) = mpsc::unbounded_channel();
    let queue = PeerQueue {
        tx,
        queued: Arc::default(),
        limit: 2 * config.max_receive_buffer as usize,
    };
    if !queue.push(first) {
        trace!(%peer, "first datagram larger than the queue, dropped");
    }
    let queued = Arc::clone(&queue.queued);
    peers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(peer, queue);
    let transport = PeerTransport {
        socket: Arc::clone(socket),
        peer,
        rx: tokio::sync::Mutex::new(rx),
        queued,
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
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Bytes>>,
    /// The queue's byte count, [`PeerQueue::queued`].
    queued: Arc<AtomicUsize>,
    peers: Peers,
}

impl PeerTransport {
    /// Takes `datagrams` off the queue's byte count.
    fn dequeued<'a>(&self, datagrams: impl IntoIterator<Item = &'a Bytes>) {
        let cost: usize = datagrams
            .into_iter()
            .map(|d| d.len() + QUEUED_OVERHEAD)
            .sum();
        self.queued.fetch_sub(cost, Ordering::Relaxed);
    }
}

#[async_trait]
impl Transport for PeerTransport {
    async fn send(&self, datagram: Bytes) -> io::Result<()> {
        self.socket
            .send(self.peer, std::slice::from_ref(&datagram))
            .await
    }

    async fn recv(&self) -> io::Result<Bytes> {
        let datagram = self
            .rx
            .lock()
            .await
            .recv()
            .await
            .ok_or_else(endpoint_dropped)?;
        self.dequeued([&datagram]);
        Ok(datagram)
    }

    async fn send_batch(&self, datagrams: &[Bytes]) -> io::Result<()> {
        self.socket.send(self.peer, datagrams).await
    }

    async fn recv_batch(&self, datagrams: &mut Vec<Bytes>, max: usize) -> io::Result<()> {
        let before = datagrams.len();
        match self.rx.lock().await.recv_many(datagrams, max.max(1)).await {
            0 => Err(endpoint_dropped()),
            _ => {
                self.dequeued(&datagrams[before..]);
                Ok(())
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_queue_holds_bytes_up_to_its_limit_whatever_the_datagram_count() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let queue = PeerQueue {
            tx,
            queued: Arc::default(),
            limit: 10 * (1000 + QUEUED_OVERHEAD),
        };
        for _ in 0..10 {
            assert!(queue.push(Bytes::from(vec![0; 1000])));
        }
        assert!(!queue.push(Bytes::from(vec![0; 1000])));
        // Empty datagrams count too.
        assert!(!queue.push(Bytes::new()));
        // What the driver takes makes room again.
        let taken = rx.try_recv().unwrap();
        queue
            .queued
            .fetch_sub(taken.len() + QUEUED_OVERHEAD, Ordering::Relaxed);
        assert!(queue.push(Bytes::from(vec![0; 1000])));
        assert!(!queue.push(Bytes::new()));
    }
}

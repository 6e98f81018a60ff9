//! The datagram seam under an association: anything that carries whole
//! SCTP packets both ways (DESIGN.md §6). A connected UDP socket does it
//! with the SCTP packet as the UDP payload (RFC 6951 framing, as pion/sctp
//! and usrsctp use); a DTLS connection does it for WebRTC (RFC 8261); an
//! in-memory pair does it for tests.

use crate::udp::BatchSocket;
use async_trait::async_trait;
use bytes::Bytes;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// A datagram transport carrying SCTP packets to and from one peer.
///
/// Both methods take `&self` so the driver can wait for a datagram while it
/// sends; `recv` must be cancel-safe (the driver races it against its
/// timer), as [`UdpSocket::recv`] and [`mpsc::Receiver::recv`] are.
///
/// The driver moves packets in batches, through [`send_batch`](Self::send_batch)
/// and [`recv_batch`](Self::recv_batch); their provided forms call `send`
/// and `recv` once per packet, which is all a transport has to implement.
/// One that can move several datagrams per system call (as
/// [`UdpTransport`] does) overrides them.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Sends one SCTP packet.
    async fn send(&self, datagram: Bytes) -> io::Result<()>;

    /// Waits for the next SCTP packet. An error of kind
    /// [`io::ErrorKind::ConnectionRefused`] or
    /// [`io::ErrorKind::ConnectionReset`] (an ICMP error on UDP) is
    /// passed over; any other error stops reception for good.
    async fn recv(&self) -> io::Result<Bytes>;

    /// Sends these SCTP packets in order. Each is tried even if one
    /// fails; the first error is returned.
    async fn send_batch(&self, datagrams: &[Bytes]) -> io::Result<()> {
        let mut result = Ok(());
        for datagram in datagrams {
            if let Err(e) = self.send(datagram.clone()).await {
                result = result.and(Err(e));
            }
        }
        result
    }

    /// Waits for the next SCTP packet and appends it to `datagrams`,
    /// with those that arrived with it, `max` at most (at least one).
    /// Cancel-safe, and errors are as [`recv`](Self::recv)'s: after an
    /// error nothing was appended.
    async fn recv_batch(&self, datagrams: &mut Vec<Bytes>, max: usize) -> io::Result<()> {
        // One datagram, which `max` (at least one) always allows.
        let _ = max;
        datagrams.push(self.recv().await?);
        Ok(())
    }
}

/// Receive buffers of a [`UdpTransport`]: four datagrams per system
/// call from a peer that sends them one by one, four GRO batches from
/// one that uses GSO.
const UDP_TRANSPORT_SLOTS: usize = 4;

/// A connected [`UdpSocket`] as a [`Transport`]: each UDP payload is one
/// SCTP packet (RFC 6951 §5, without the port tracking of §5.4: the
/// socket is connected to one peer).
///
/// Where the system allows (Linux), it sends runs of equal-sized packets
/// with one system call (GSO) and receives many per call (GRO,
/// `recvmmsg`); see [`UdpTransport::new`] for what that sets on the
/// socket.
#[derive(Debug)]
pub struct UdpTransport {
    io: BatchSocket,
    peer: SocketAddr,
    /// Datagrams read from the socket beyond those asked for (a GRO
    /// batch holds many): the next receive returns them first. At most
    /// what one read brings; locked only briefly, never across an await.
    pending: Mutex<VecDeque<Bytes>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl UdpTransport {
    /// Wraps `socket`, which must already be connected to the peer; fails
    /// if it is not.
    ///
    /// On Linux the socket is set up for batched I/O (by quinn-udp, as
    /// quinn does): GRO, so that runs of datagrams arrive as one; the
    /// destination address, TOS and kernel timestamp of each received
    /// packet; and no IP fragmentation (`IP_PMTUDISC_PROBE`: the
    /// don't-fragment bit set, and a packet larger than the path's MTU is
    /// lost rather than fragmented, so `Config::mtu` must fit the path,
    /// as its default does).
    pub fn new(socket: UdpSocket) -> io::Result<Self> {
        let peer = socket.peer_addr()?;
        Ok(UdpTransport {
            io: BatchSocket::new(socket, UDP_TRANSPORT_SLOTS)?,
            peer,
            pending: Mutex::new(VecDeque::new()),
        })
    }

    /// Binds a UDP socket to `local` with [`SOCKET_BUFFER`](crate::SOCKET_BUFFER)-byte
    /// socket buffers and connects it to `peer`.
    pub async fn connect(local: SocketAddr, peer: SocketAddr) -> io::Result<Self> {
        let socket = crate::udp::bind_udp(local)?;
        socket.connect(peer).await?;
        UdpTransport::new(socket)
    }

    /// The socket underneath.
    pub fn socket(&self) -> &UdpSocket {
        self.io.socket()
    }
}

#[async_trait]
impl Transport for UdpTransport {
    async fn send(&self, datagram: Bytes) -> io::Result<()> {
        self.io
            .send(self.peer, std::slice::from_ref(&datagram))
            .await
    }

    async fn recv(&self) -> io::Result<Bytes> {
        loop {
            if let Some(datagram) = lock(&self.pending).pop_front() {
                return Ok(datagram);
            }
            self.io
                .recv(|_, datagram| lock(&self.pending).push_back(datagram))
                .await?;
        }
    }

    async fn send_batch(&self, datagrams: &[Bytes]) -> io::Result<()> {
        self.io.send(self.peer, datagrams).await
    }

    async fn recv_batch(&self, datagrams: &mut Vec<Bytes>, max: usize) -> io::Result<()> {
        let max = max.max(1);
        {
            let mut pending = lock(&self.pending);
            let n = pending.len().min(max);
            datagrams.extend(pending.drain(..n));
            if n > 0 {
                return Ok(());
            }
        }
        let mut taken = 0;
        self.io
            .recv(|_, datagram| {
                if taken < max {
                    datagrams.push(datagram);
                    taken += 1;
                } else {
                    lock(&self.pending).push_back(datagram);
                }
            })
            .await
            .map(drop)
    }
}

/// One end of an in-memory datagram pair (see [`MemoryTransport::pair`]):
/// what one end sends, the other receives, in order, without loss.
#[derive(Debug)]
pub struct MemoryTransport {
    tx: mpsc::UnboundedSender<Bytes>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Bytes>>,
}

impl MemoryTransport {
    /// Two connected ends.
    pub fn pair() -> (MemoryTransport, MemoryTransport) {
        let (a_tx, a_rx) = mpsc::unbounded_channel();
        let (b_tx, b_rx) = mpsc::unbounded_channel();
        (
            MemoryTransport {
                tx: a_tx,
                rx: tokio::sync::Mutex::new(b_rx),
            },
            MemoryTransport {
                tx: b_tx,
                rx: tokio::sync::Mutex::new(a_rx),
            },
        )
    }
}

#[async_trait]
impl Transport for MemoryTransport {
    async fn send(&self, datagram: Bytes) -> io::Result<()> {
        // A datagram to a peer that is gone is lost, as on a network.
        let _ = self.tx.send(datagram);
        Ok(())
    }

    async fn recv(&self) -> io::Result<Bytes> {
        self.rx
            .lock()
            .await
            .recv()
            .await
            .ok_or_else(other_end_dropped)
    }

    async fn recv_batch(&self, datagrams: &mut Vec<Bytes>, max: usize) -> io::Result<()> {
        match self.rx.lock().await.recv_many(datagrams, max.max(1)).await {
            0 => Err(other_end_dropped()),
            _ => Ok(()),
        }
    }
}

/// What a [`MemoryTransport`] receives once the other end is gone.
fn other_end_dropped() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the other end was dropped")
}

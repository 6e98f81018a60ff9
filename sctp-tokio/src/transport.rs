//! The datagram seam under an association: anything that carries whole
//! SCTP packets both ways (DESIGN.md §6). A connected UDP socket does it
//! with the SCTP packet as the UDP payload (RFC 6951 framing, as pion/sctp
//! and usrsctp use); a DTLS connection does it for WebRTC (RFC 8261); an
//! in-memory pair does it for tests.

use async_trait::async_trait;
use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// The largest datagram a transport hands up: an SCTP packet cannot be
/// larger than a UDP payload.
pub(crate) const MAX_DATAGRAM: usize = 65_536;

/// A datagram transport carrying SCTP packets to and from one peer.
///
/// Both methods take `&self` so the driver can wait for a datagram while it
/// sends; `recv` must be cancel-safe (the driver races it against its
/// timer), as [`UdpSocket::recv`] and [`mpsc::Receiver::recv`] are.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Sends one SCTP packet.
    async fn send(&self, datagram: Bytes) -> io::Result<()>;

    /// Waits for the next SCTP packet. An error of kind
    /// [`io::ErrorKind::ConnectionRefused`] or
    /// [`io::ErrorKind::ConnectionReset`] (an ICMP error on UDP) is
    /// passed over; any other error stops reception for good.
    async fn recv(&self) -> io::Result<Bytes>;
}

/// A connected [`UdpSocket`] as a [`Transport`]: each UDP payload is one
/// SCTP packet (RFC 6951 §5, without the port tracking of §5.4: the
/// socket is connected to one peer).
#[derive(Debug)]
pub struct UdpTransport {
    socket: UdpSocket,
    /// Datagrams are read into this buffer and copied out at their size;
    /// held only while the socket is read, never across an await.
    buffer: Mutex<Vec<u8>>,
}

impl UdpTransport {
    /// Wraps `socket`, which must already be connected to the peer.
    pub fn new(socket: UdpSocket) -> Self {
        UdpTransport {
            socket,
            buffer: Mutex::new(Vec::new()),
        }
    }

    /// Binds a UDP socket to `local` with [`SOCKET_BUFFER`]-byte socket
    /// buffers and connects it to `peer`.
    pub async fn connect(local: SocketAddr, peer: SocketAddr) -> io::Result<Self> {
        let socket = bind_udp(local)?;
        socket.connect(peer).await?;
        Ok(UdpTransport::new(socket))
    }

    /// The socket underneath.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }
}

/// The socket buffer size asked for by [`UdpTransport::connect`] and
/// [`Endpoint::bind`](crate::Endpoint::bind), in each direction (the
/// kernel may give less: Linux caps it at `net.core.rmem_max` and
/// `wmem_max`). The default, about 208 KiB on Linux, overflows when a
/// sender's window outruns the receiving task for a moment.
pub const SOCKET_BUFFER: usize = 4 * 1024 * 1024;

/// A non-blocking UDP socket bound to `addr`, with [`SOCKET_BUFFER`]-byte
/// buffers if the kernel allows.
pub(crate) fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Best effort: a smaller buffer still works, it only drops more.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// Reads one datagram from `socket` into `buffer` (the largest a
/// datagram can be) and copies it out as its own [`Bytes`];
/// `Err(WouldBlock)` when none waits. `read` is the socket call
/// (`try_recv` or `try_recv_from`), returning the length and what else
/// it learnt.
///
/// The copy costs less than the alternative of cutting datagrams from
/// one allocation: each would keep its whole allocation alive until the
/// association let go of it, a 64 KiB allocation per packet.
pub(crate) fn cut_datagram<T>(
    buffer: &Mutex<Vec<u8>>,
    read: impl FnOnce(&mut [u8]) -> io::Result<(usize, T)>,
) -> io::Result<(Bytes, T)> {
    let mut buffer = buffer.lock().unwrap_or_else(|e| e.into_inner());
    buffer.resize(MAX_DATAGRAM, 0);
    let (n, extra) = read(&mut buffer)?;
    Ok((Bytes::copy_from_slice(&buffer[..n]), extra))
}

#[async_trait]
impl Transport for UdpTransport {
    async fn send(&self, datagram: Bytes) -> io::Result<()> {
        self.socket.send(&datagram).await.map(drop)
    }

    async fn recv(&self) -> io::Result<Bytes> {
        loop {
            self.socket.readable().await?;
            match cut_datagram(&self.buffer, |buf| {
                self.socket.try_recv(buf).map(|n| (n, ()))
            }) {
                Ok((datagram, ())) => return Ok(datagram),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
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
            .ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "the other end was dropped"))
    }
}

//! A UDP socket that moves many datagrams per system call, under
//! [`UdpTransport`](crate::UdpTransport) and the
//! [`Endpoint`](crate::Endpoint): segmentation offload both ways (GSO
//! sends a run of equal-sized datagrams as one buffer, GRO receives them
//! as one) and `recvmmsg`, through quinn-udp, as quinn uses them. Where
//! the system offers none of it, one datagram per call, as before.
//!
//! Any peer can read what GSO sends: the kernel (or the NIC) cuts the
//! buffer into ordinary datagrams unless the receiving socket asked for
//! GRO.

use bytes::{Bytes, BytesMut};
use quinn_udp::{RecvMeta, Transmit, UdpSocketState};
use socket2::{Domain, Protocol, Socket, Type};
use std::collections::VecDeque;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// The largest datagram, and the size of each receive buffer: a UDP
/// payload is smaller, and so is a GRO batch (the kernel keeps it within
/// one IP packet's 64 KiB unless an administrator raised the interface's
/// GRO limit, which [`BatchSocket::recv`] detects).
pub(crate) const MAX_DATAGRAM: usize = 65_536;

/// A receive buffer filled with at least this many bytes (a GRO batch of
/// many datagrams) is handed up whole, its datagrams cut from it without
/// a copy, and a fresh buffer takes its place; from one filled less they
/// are copied out at their size. So a buffer kept alive by the datagrams
/// the association holds is at least half theirs, not 64 KiB for one
/// small datagram.
const SHARE_MIN: usize = MAX_DATAGRAM / 2;

/// The most bytes one GSO send carries: the datagrams travel as one IP
/// packet until segmented, so their sum must fit its 16-bit length with
/// the headers.
const MAX_GSO_BYTES: usize = 64_000;

/// The socket buffer size asked for by [`UdpTransport::connect`](crate::UdpTransport::connect)
/// and [`Endpoint::bind`](crate::Endpoint::bind), in each direction (the
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

/// A UDP socket with batched sends and receives.
#[derive(Debug)]
pub(crate) struct BatchSocket {
    socket: UdpSocket,
    state: UdpSocketState,
    /// Locked only while the socket is read, never across an await.
    recv_bufs: Mutex<RecvBuffers>,
    /// Where a GSO run is put together; taken out while a send waits, so
    /// no lock is held across the await.
    send_buf: Mutex<Vec<u8>>,
}

/// The buffers a [`BatchSocket`] receives into.
#[derive(Debug)]
struct RecvBuffers {
    /// [`MAX_DATAGRAM`] bytes each.
    slots: Vec<BytesMut>,
    /// The buffers handed up whole (GRO batches), oldest first, as many as
    /// there are slots: once the association has let go of all of the
    /// oldest one's datagrams, that buffer takes the place of the next
    /// one handed up, and only the end the batch did not fill is zeroed
    /// again.
    lent: VecDeque<Bytes>,
}

impl RecvBuffers {
    /// A buffer to take the place of one handed up: the oldest lent one
    /// if it is free again, else a new one.
    fn replacement(&mut self) -> BytesMut {
        if self.lent.front().is_some_and(Bytes::is_unique) {
            if let Some(Ok(mut buf)) = self.lent.pop_front().map(Bytes::try_into_mut) {
                buf.resize(MAX_DATAGRAM, 0);
                return buf;
            }
        }
        BytesMut::zeroed(MAX_DATAGRAM)
    }

    /// Keeps `batch`, just handed up, to use its buffer again later.
    fn lend(&mut self, batch: Bytes) {
        if self.lent.len() >= self.slots.len() {
            // Still held, or free and let go of now.
            self.lent.pop_front();
        }
        self.lent.push_back(batch);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl BatchSocket {
    /// Takes `socket` over, with `slots` receive buffers of 64 KiB (at
    /// most quinn-udp's batch of 32): each holds one datagram, or one
    /// GRO batch of up to 64.
    ///
    /// quinn-udp sets the socket up for its features: GRO, the
    /// destination address and TOS of received packets, receive
    /// timestamps, and IP fragmentation off (`IP_PMTUDISC_PROBE`: the
    /// don't-fragment bit set and no local fragmentation, so a packet
    /// larger than the path allows is lost rather than fragmented; SCTP's
    /// packets stay within `Config::mtu`).
    pub(crate) fn new(socket: UdpSocket, slots: usize) -> io::Result<BatchSocket> {
        let state = UdpSocketState::new((&socket).into())?;
        let slots = slots.clamp(1, quinn_udp::BATCH_SIZE);
        Ok(BatchSocket {
            socket,
            state,
            recv_bufs: Mutex::new(RecvBuffers {
                slots: (0..slots).map(|_| BytesMut::zeroed(MAX_DATAGRAM)).collect(),
                lent: VecDeque::new(),
            }),
            send_buf: Mutex::new(Vec::new()),
        })
    }

    /// The socket underneath.
    pub(crate) fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Sends `datagrams` to `to`, in order: each run of consecutive
    /// datagrams of one size (the last may be shorter) goes in one system
    /// call with GSO. Every datagram is tried; the first error is
    /// returned (a datagram lost, as on any network).
    pub(crate) async fn send(&self, to: SocketAddr, datagrams: &[Bytes]) -> io::Result<()> {
        let mut buf = std::mem::take(&mut *lock(&self.send_buf));
        let mut result = Ok(());
        let mut rest = datagrams;
        while !rest.is_empty() {
            let (run, tail) = rest.split_at(gso_run(rest, self.state.max_gso_segments()));
            rest = tail;
            let contents: &[u8] = if let [one] = run {
                one
            } else {
                buf.clear();
                run.iter().for_each(|d| buf.extend_from_slice(d));
                &buf
            };
            let transmit = Transmit {
                destination: to,
                ecn: None,
                contents,
                segment_size: (run.len() > 1).then(|| run[0].len()),
                src_ip: None,
            };
            let sent = self
                .socket
                .async_io(Interest::WRITABLE, || {
                    self.state.try_send((&self.socket).into(), &transmit)
                })
                .await;
            if let Err(e) = sent {
                result = result.and(Err(e));
            }
        }
        *lock(&self.send_buf) = buf;
        result
    }

    /// Waits until datagrams arrive, then hands each to `deliver` with its
    /// source: all that one system call brings (up to one per receive
    /// buffer, or a GRO batch in each). Returns how many it handed over.
    ///
    /// Cancel-safe: the socket is read only when the datagrams can be
    /// handed over at once.
    pub(crate) async fn recv(
        &self,
        mut deliver: impl FnMut(SocketAddr, Bytes),
    ) -> io::Result<usize> {
        self.socket
            .async_io(Interest::READABLE, || self.try_recv(&mut deliver))
            .await
    }

    fn try_recv(&self, deliver: &mut impl FnMut(SocketAddr, Bytes)) -> io::Result<usize> {
        let mut bufs = lock(&self.recv_bufs);
        let bufs = &mut *bufs;
        let mut meta = [RecvMeta::default(); quinn_udp::BATCH_SIZE];
        let n = {
            let mut slices: Vec<IoSliceMut<'_>> = bufs
                .slots
                .iter_mut()
                .map(|buf| IoSliceMut::new(buf))
                .collect();
            let meta = &mut meta[..slices.len()];
            self.state.recv((&self.socket).into(), &mut slices, meta)?
        };
        let mut delivered = 0;
        for (meta, slot) in meta.iter().zip(0..n) {
            let len = meta.len.min(MAX_DATAGRAM);
            let stride = if meta.stride == 0 {
                len.max(1)
            } else {
                meta.stride
            };
            // A buffer filled to the brim was truncated (a GRO batch
            // beyond 64 KiB): its last datagram is incomplete.
            let count = len.div_ceil(stride) - usize::from(len == MAX_DATAGRAM);
            let bounds = (0..count).map(|i| (i * stride, (i * stride + stride).min(len)));
            if len >= SHARE_MIN {
                // A GRO batch: the datagrams are cut from the buffer
                // without a copy, and another buffer takes its place.
                let replacement = bufs.replacement();
                let mut filled = std::mem::replace(&mut bufs.slots[slot], replacement);
                filled.truncate(len);
                let filled = filled.freeze();
                for (start, end) in bounds {
                    deliver(meta.addr, filled.slice(start..end));
                }
                bufs.lend(filled);
            } else {
                let buf = &bufs.slots[slot];
                for (start, end) in bounds {
                    deliver(meta.addr, Bytes::copy_from_slice(&buf[start..end]));
                }
            }
            delivered += count;
        }
        Ok(delivered)
    }
}

/// How many datagrams from the head of `datagrams` one GSO send can
/// carry: of the first one's size (the last may be shorter), at most
/// `max_segments` and [`MAX_GSO_BYTES`] in all.
fn gso_run(datagrams: &[Bytes], max_segments: usize) -> usize {
    let Some(size) = datagrams.first().map(Bytes::len) else {
        return 0;
    };
    let mut n = 1;
    let mut total = size;
    for datagram in &datagrams[1..] {
        let len = datagram.len();
        if n >= max_segments || len > size || len == 0 || total + len > MAX_GSO_BYTES {
            break;
        }
        n += 1;
        total += len;
        if len < size {
            break;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(lens: &[usize]) -> Vec<Bytes> {
        lens.iter().map(|&n| Bytes::from(vec![7u8; n])).collect()
    }

    #[test]
    fn a_gso_run_is_one_size_with_a_shorter_last() {
        assert_eq!(gso_run(&sizes(&[]), 64), 0);
        assert_eq!(gso_run(&sizes(&[1000]), 64), 1);
        assert_eq!(gso_run(&sizes(&[1000, 1000, 1000, 300, 1000]), 64), 4);
        assert_eq!(gso_run(&sizes(&[1000, 1200, 1000]), 64), 1);
        assert_eq!(gso_run(&sizes(&[1000, 1000, 1000]), 2), 2);
        assert_eq!(gso_run(&sizes(&[1000, 1000]), 1), 1);
    }

    #[test]
    fn a_gso_run_fits_one_ip_packet() {
        let run = gso_run(&sizes(&[1191; 64]), 64);
        assert_eq!(run, MAX_GSO_BYTES / 1191);
        assert!(run * 1191 <= MAX_GSO_BYTES);
    }

    #[tokio::test]
    async fn runs_of_datagrams_arrive_whole_and_in_order() {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let a = BatchSocket::new(bind_udp(any).unwrap(), 4).unwrap();
        let b = BatchSocket::new(bind_udp(any).unwrap(), 4).unwrap();
        let to = b.socket().local_addr().unwrap();
        // Two GSO runs (the second ended by a shorter datagram), a lone
        // one, and a large one.
        let sent: Vec<Bytes> = [1191, 1191, 1191, 100, 1191, 600, 9000]
            .iter()
            .enumerate()
            .map(|(i, &n)| Bytes::from(vec![i as u8; n]))
            .collect();
        a.send(to, &sent).await.unwrap();
        let from = a.socket().local_addr().unwrap();
        let mut received = Vec::new();
        while received.len() < sent.len() {
            b.recv(|addr, datagram| {
                assert_eq!(addr, from);
                received.push(datagram);
            })
            .await
            .unwrap();
        }
        assert_eq!(received, sent);
    }
}

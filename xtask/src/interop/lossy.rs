//! A lossy UDP relay on loopback: the client talks to the relay's port,
//! the relay to the server from a port of its own, and a [`Loss`] policy
//! picks the datagrams it drops.

use crate::util::Result;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Which datagrams the relay drops.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Loss {
    /// About one in `one_in` datagrams of `min_len` bytes or more, each
    /// way, chosen from a fixed seed. Handshake, SACK, HEARTBEAT and
    /// RE-CONFIG packets are short and pass, so a scenario stays short
    /// while its DATA sees loss.
    Random { one_in: u64, min_len: usize },
    /// Once, the client's packet carrying the DATA chunk whose TSN is
    /// `offset` past the initial TSN of the client's INIT: a loss placed
    /// exactly, whose retransmission fills a gap with later chunks in.
    ClientTsnOnce { offset: u32 },
}

/// Relays datagrams between one client and a server on loopback until
/// dropped.
pub(crate) struct LossyRelay {
    port: u16,
    stop: Arc<AtomicBool>,
    dropped: Arc<AtomicU64>,
    threads: Vec<JoinHandle<()>>,
}

/// What both directions share.
#[derive(Clone, Default)]
struct Shared {
    stop: Arc<AtomicBool>,
    dropped: Arc<AtomicU64>,
    /// Where the client sends from: the first datagram tells.
    client: Arc<Mutex<Option<SocketAddr>>>,
}

impl LossyRelay {
    /// Starts relaying to the UDP port `server` on 127.0.0.1, dropping
    /// what `loss` says.
    pub(crate) fn start(server: u16, loss: Loss) -> Result<LossyRelay> {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0")?);
        let back = Arc::new(UdpSocket::bind("127.0.0.1:0")?);
        back.connect(("127.0.0.1", server))?;
        for socket in [&front, &back] {
            // Wakes up now and then to see whether to stop.
            socket.set_read_timeout(Some(Duration::from_millis(50)))?;
        }
        let port = front.local_addr()?.port();
        let shared = Shared::default();
        let to_server = {
            let (shared, front, back) = (shared.clone(), Arc::clone(&front), Arc::clone(&back));
            let mut lose = Dropper::new(loss, Direction::ToServer);
            std::thread::spawn(move || {
                let recv = |buf: &mut [u8]| {
                    let (n, from) = front.recv_from(buf)?;
                    *lock(&shared.client) = Some(from);
                    Ok(n)
                };
                relay(&shared, recv, |d| lose.drops(d), |d| back.send(d).map(drop));
            })
        };
        let to_client = {
            let shared = shared.clone();
            let mut lose = Dropper::new(loss, Direction::ToClient);
            std::thread::spawn(move || {
                let send = |d: &[u8]| match *lock(&shared.client) {
                    Some(client) => front.send_to(d, client).map(drop),
                    None => Ok(()),
                };
                relay(&shared, |buf| back.recv(buf), |d| lose.drops(d), send);
            })
        };
        println!("lossy relay: 127.0.0.1:{port} -> 127.0.0.1:{server}, dropping {loss:?}");
        Ok(LossyRelay {
            port,
            stop: shared.stop,
            dropped: shared.dropped,
            threads: vec![to_server, to_client],
        })
    }

    /// The UDP port the client sends to.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Datagrams dropped so far, both ways.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for LossyRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    ToServer,
    ToClient,
}

/// A [`Loss`] policy applied to one direction.
struct Dropper {
    loss: Loss,
    direction: Direction,
    /// The xorshift state of [`Loss::Random`].
    x: u64,
    /// The client's initial TSN, once its INIT passed.
    initial_tsn: Option<u32>,
    done: bool,
}

impl Dropper {
    fn new(loss: Loss, direction: Direction) -> Dropper {
        Dropper {
            loss,
            direction,
            x: match direction {
                Direction::ToServer => 0x9e37_79b9_7f4a_7c15,
                Direction::ToClient => 0xd1b5_4a32_d192_ed03,
            },
            initial_tsn: None,
            done: false,
        }
    }

    /// Whether to drop this datagram (an SCTP packet).
    fn drops(&mut self, packet: &[u8]) -> bool {
        match self.loss {
            Loss::Random { one_in, min_len } => {
                if packet.len() < min_len {
                    return false;
                }
                self.x ^= self.x << 13;
                self.x ^= self.x >> 7;
                self.x ^= self.x << 17;
                self.x.is_multiple_of(one_in.max(1))
            }
            Loss::ClientTsnOnce { offset } => {
                if self.direction != Direction::ToServer || self.done {
                    return false;
                }
                let mut found = false;
                for (kind, chunk) in chunks(packet) {
                    match kind {
                        // INIT: the initial TSN after tag, a_rwnd and the
                        // stream counts (RFC 9260 §3.3.2).
                        1 => self.initial_tsn = be32(chunk, 16),
                        // DATA: the TSN after the header (§3.3.1).
                        0 => {
                            found |= self.initial_tsn.is_some_and(|initial| {
                                be32(chunk, 4) == Some(initial.wrapping_add(offset))
                            });
                        }
                        _ => {}
                    }
                }
                self.done = found;
                found
            }
        }
    }
}

/// The (type, bytes) of each chunk of an SCTP packet.
fn chunks(packet: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut rest = packet.get(12..).unwrap_or_default();
    std::iter::from_fn(move || {
        let len = usize::from(u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]));
        let chunk = rest.get(..len.max(4))?;
        rest = rest
            .get(len.next_multiple_of(4).max(4)..)
            .unwrap_or_default();
        Some((chunk[0], chunk))
    })
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Moves datagrams from `recv` to `send` until told to stop, leaving out
/// those `drops` picks.
fn relay(
    shared: &Shared,
    mut recv: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    mut drops: impl FnMut(&[u8]) -> bool,
    mut send: impl FnMut(&[u8]) -> std::io::Result<()>,
) {
    let mut buf = vec![0u8; 65_536];
    while !shared.stop.load(Ordering::Relaxed) {
        // A read timeout (to look at `stop`), or an ICMP error from a peer
        // not (yet, or no longer) there: the relay goes on.
        let Ok(n) = recv(&mut buf) else {
            continue;
        };
        if drops(&buf[..n]) {
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let _ = send(&buf[..n]);
    }
}

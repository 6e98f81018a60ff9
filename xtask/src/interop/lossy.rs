//! A lossy UDP relay on loopback: the client talks to the relay's port,
//! the relay to the server from a port of its own, and datagrams carrying
//! data (at least `min_len` bytes) are dropped at random both ways, from
//! a fixed seed. Handshake, SACK, HEARTBEAT and RE-CONFIG packets are
//! small and pass, so a scenario stays short while its DATA sees loss.

use crate::util::Result;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Relays datagrams between one client and a server on loopback until
/// dropped.
pub(crate) struct LossyRelay {
    port: u16,
    stop: Arc<AtomicBool>,
    dropped: Arc<AtomicU64>,
    threads: Vec<JoinHandle<()>>,
}

/// What both directions share.
#[derive(Clone)]
struct Shared {
    stop: Arc<AtomicBool>,
    dropped: Arc<AtomicU64>,
    /// Where the client sends from: the first datagram tells.
    client: Arc<Mutex<Option<SocketAddr>>>,
    one_in: u64,
    min_len: usize,
}

impl LossyRelay {
    /// Starts relaying to the UDP port `server` on 127.0.0.1, dropping
    /// about one in `one_in` datagrams of `min_len` bytes or more in each
    /// direction.
    pub(crate) fn start(server: u16, one_in: u64, min_len: usize) -> Result<LossyRelay> {
        let front = UdpSocket::bind("127.0.0.1:0")?;
        let back = UdpSocket::bind("127.0.0.1:0")?;
        back.connect(("127.0.0.1", server))?;
        for socket in [&front, &back] {
            // Wakes up now and then to see whether to stop.
            socket.set_read_timeout(Some(Duration::from_millis(50)))?;
        }
        let port = front.local_addr()?.port();
        let shared = Shared {
            stop: Arc::default(),
            dropped: Arc::default(),
            client: Arc::default(),
            one_in: one_in.max(1),
            min_len,
        };
        let (front, back) = (Arc::new(front), Arc::new(back));
        let to_server = {
            let (shared, front, back) = (shared.clone(), Arc::clone(&front), Arc::clone(&back));
            std::thread::spawn(move || {
                let recv = |buf: &mut [u8]| {
                    let (n, from) = front.recv_from(buf)?;
                    *lock(&shared.client) = Some(from);
                    Ok(n)
                };
                relay(&shared, 0x9e37_79b9_7f4a_7c15, recv, |d| {
                    back.send(d).map(drop)
                });
            })
        };
        let to_client = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let send = |d: &[u8]| match *lock(&shared.client) {
                    Some(client) => front.send_to(d, client).map(drop),
                    None => Ok(()),
                };
                relay(&shared, 0xd1b5_4a32_d192_ed03, |buf| back.recv(buf), send);
            })
        };
        println!("lossy relay: 127.0.0.1:{port} -> 127.0.0.1:{server}, one in {one_in} datagrams of {min_len}+ bytes dropped each way");
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

/// Moves datagrams from `recv` to `send` until told to stop, dropping
/// some, chosen by an xorshift generator seeded with `seed`.
fn relay(
    shared: &Shared,
    seed: u64,
    mut recv: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    mut send: impl FnMut(&[u8]) -> std::io::Result<()>,
) {
    let mut x = seed;
    let mut buf = vec![0u8; 65_536];
    while !shared.stop.load(Ordering::Relaxed) {
        let n = match recv(&mut buf) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            // ICMP port unreachable from a peer not (yet, or no longer)
            // there, and the like: the relay goes on.
            Err(_) => continue,
        };
        if n >= shared.min_len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(shared.one_in) {
                shared.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        }
        let _ = send(&buf[..n]);
    }
}

//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)] // each test file uses its own subset

use async_trait::async_trait;
use bytes::Bytes;
use sctp_tokio::{Association, Config, Transport, UdpTransport};
use sctp_wire::{ChecksumCheck, Chunk, Packet};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// A configuration for loopback: shorter timers than WebRTC's defaults.
pub fn config() -> Config {
    Config {
        rto_initial: Duration::from_millis(200),
        rto_min: Duration::from_millis(50),
        ..Config::default()
    }
}

/// Two UDP sockets on loopback, connected to each other.
pub async fn udp_pair() -> (UdpTransport, UdpTransport) {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let a = tokio::net::UdpSocket::bind(any).await.unwrap();
    let b = tokio::net::UdpSocket::bind(any).await.unwrap();
    a.connect(b.local_addr().unwrap()).await.unwrap();
    b.connect(a.local_addr().unwrap()).await.unwrap();
    (UdpTransport::new(a).unwrap(), UdpTransport::new(b).unwrap())
}

/// A client and a server association over a UDP pair, both established.
pub async fn connected(client: Config, server: Config) -> (Association, Association) {
    let (a, b) = udp_pair().await;
    let server = tokio::spawn(Association::server(b, server));
    let client = Association::client(a, client).await.unwrap();
    (client, server.await.unwrap().unwrap())
}

/// `len` bytes that differ with `seed` and along the message, so a
/// misplaced or corrupted byte shows.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// What a [`Tap`] does with a packet its side sends: `None` drops it,
/// `Some` sends this datagram (the packet itself, or a rewrite).
pub type OnSend = Box<dyn Fn(Bytes) -> Option<Bytes> + Send + Sync>;

/// A transport that shows every packet its side sends to `on_send`,
/// which may drop, record or rewrite it; receiving is untouched.
pub struct Tap<T> {
    pub inner: T,
    pub on_send: OnSend,
}

#[async_trait]
impl<T: Transport> Transport for Tap<T> {
    async fn send(&self, datagram: Bytes) -> io::Result<()> {
        match (self.on_send)(datagram) {
            Some(datagram) => self.inner.send(datagram).await,
            None => Ok(()),
        }
    }

    async fn recv(&self) -> io::Result<Bytes> {
        self.inner.recv().await
    }
}

/// The chunks of a packet this test suite's associations sent (a zero
/// checksum accepted).
pub fn chunks_of(datagram: &Bytes) -> Vec<Chunk> {
    Packet::decode(datagram.clone(), ChecksumCheck::ZeroAllowed)
        .expect("our own packets decode")
        .chunks()
        .map(|chunk| chunk.expect("our own chunks decode"))
        .collect()
}

/// A client and a server association over a UDP pair whose client side
/// goes through `on_send`, both established.
pub async fn connected_through(
    on_send: OnSend,
    client: Config,
    server: Config,
) -> (Association, Association) {
    let (a, b) = udp_pair().await;
    let server = tokio::spawn(Association::server(b, server));
    let client = Association::client(Tap { inner: a, on_send }, client)
        .await
        .unwrap();
    (client, server.await.unwrap().unwrap())
}

/// Waits until `done` holds, checking every 10 ms, for at most `limit`;
/// returns whether it came to hold.
pub async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

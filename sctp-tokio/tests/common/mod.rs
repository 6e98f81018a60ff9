//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)] // each test file uses its own subset

use sctp_tokio::{Association, Config, UdpTransport};
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
    (UdpTransport::new(a), UdpTransport::new(b))
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

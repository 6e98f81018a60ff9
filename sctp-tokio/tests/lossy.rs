//! Behaviour that needs a chosen packet lost: a wrapper transport drops it.

mod common;

use async_trait::async_trait;
use bytes::Bytes;
use common::config;
use sctp_tokio::{Association, CloseReason, MemoryTransport, Transport};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

/// SHUTDOWN COMPLETE's chunk type (RFC 9260 §3.3.13).
const SHUTDOWN_COMPLETE: u8 = 14;

/// Drops the first packet whose first chunk is of type `kind`.
struct DropFirst {
    inner: MemoryTransport,
    kind: u8,
    dropped: AtomicBool,
}

#[async_trait]
impl Transport for DropFirst {
    async fn send(&self, datagram: Bytes) -> io::Result<()> {
        // The first chunk's type follows the 12-byte common header.
        if datagram.get(12) == Some(&self.kind) && !self.dropped.swap(true, Ordering::Relaxed) {
            return Ok(());
        }
        self.inner.send(datagram).await
    }

    async fn recv(&self) -> io::Result<Bytes> {
        self.inner.recv().await
    }
}

#[tokio::test]
async fn lost_shutdown_complete_is_answered_again_while_lingering() {
    let (a, b) = MemoryTransport::pair();
    let a = DropFirst {
        inner: a,
        kind: SHUTDOWN_COMPLETE,
        dropped: AtomicBool::new(false),
    };
    let server = tokio::spawn(Association::server(b, config()));
    let client = Association::client(a, config()).await.unwrap();
    let server = server.await.unwrap().unwrap();
    // The client sends SHUTDOWN, the server SHUTDOWN ACK, and the client's
    // SHUTDOWN COMPLETE is lost: the client has closed, the server has
    // not. Its T2-shutdown retransmits the SHUTDOWN ACK, which the
    // lingering client answers (RFC 9260 §8.4 rule 5).
    client.close().await.unwrap();
    let started = tokio::time::Instant::now();
    assert_eq!(server.closed().await, CloseReason::Shutdown);
    // One T2 expiry, not Association.Max.Retrans of them.
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

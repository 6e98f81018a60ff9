//! The driver takes in every packet that arrived together in one step.

mod common;

use common::{config, pattern};
use sctp_tokio::{Association, MemoryTransport, Ppid};

#[tokio::test]
async fn packets_arriving_together_are_still_acknowledged_every_second_one() {
    // On one thread the client's driver sends its whole window before the
    // server's runs, and the in-memory pair hands the server all of it in
    // one batch; RFC 9260 §6.2 still wants a SACK for at least every
    // second packet (and the sender's slow start grows per SACK).
    let (a, b) = MemoryTransport::pair();
    let server = tokio::spawn(Association::server(b, config()));
    let client = Association::client(a, config()).await.unwrap();
    let server = server.await.unwrap().unwrap();
    let messages = 64;
    let reader = tokio::spawn(async move {
        let stream = server.accept_stream().await.unwrap();
        let mut buf = vec![0u8; 65_536];
        for _ in 0..messages {
            stream.read(&mut buf).await.unwrap();
        }
        server
    });
    let stream = client.open_stream(0, Ppid(53)).unwrap();
    let message = pattern(7, 65_536);
    for _ in 0..messages {
        stream.write(&message).await.unwrap();
    }
    let server = reader.await.unwrap();
    client.close().await.unwrap();
    // Every packet the server received but a handful (INIT, COOKIE ECHO,
    // SHUTDOWN, SHUTDOWN COMPLETE, a retransmission after a spurious
    // timeout of a slow debug build) carried new DATA.
    let packets = server.stats().datagrams_received;
    let sacks = server.transfer_stats().unwrap().counters.sacks_sent;
    assert!(packets > 3000, "only {packets} packets");
    assert!(
        2 * sacks + 8 >= packets,
        "{sacks} SACKs for {packets} packets"
    );
}

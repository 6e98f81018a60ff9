//! Many associations on one server UDP socket.

mod common;

use common::{config, pattern};
use sctp_tokio::{Association, CloseReason, Endpoint, Ppid, UdpTransport};
use std::sync::Arc;

/// Echoes the first message of the first stream, then waits for the close.
async fn echo_once(association: Association) -> CloseReason {
    let stream = association.accept_stream().await.unwrap();
    let mut buf = vec![0u8; 65_536];
    let (n, ppid) = stream.read_sctp(&mut buf).await.unwrap();
    stream.write_sctp(&buf[..n], ppid).await.unwrap();
    association.closed().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_associations_share_one_endpoint() {
    const CLIENTS: u64 = 1000;
    let endpoint = Arc::new(
        Endpoint::bind("127.0.0.1:0".parse().unwrap(), config())
            .await
            .unwrap(),
    );
    let server_addr = endpoint.local_addr();
    let acceptor = {
        let endpoint = Arc::clone(&endpoint);
        tokio::spawn(async move {
            let mut served = Vec::new();
            for _ in 0..CLIENTS {
                let association = endpoint.accept().await.unwrap();
                served.push(tokio::spawn(echo_once(association)));
            }
            let mut shut_down = 0;
            for task in served {
                shut_down += usize::from(task.await.unwrap() == CloseReason::Shutdown);
            }
            shut_down
        })
    };
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            tokio::spawn(async move {
                let transport = UdpTransport::connect("127.0.0.1:0".parse().unwrap(), server_addr)
                    .await
                    .unwrap();
                let client = Association::client(transport, config()).await.unwrap();
                let stream = client.open_stream((n % 100) as u16, Ppid(53)).unwrap();
                let data = pattern(n, 100 + n as usize);
                stream.write(&data).await.unwrap();
                let mut buf = vec![0u8; 2048];
                let (len, ppid) = stream.read_sctp(&mut buf).await.unwrap();
                assert_eq!(ppid, Ppid(53));
                assert!(buf[..len] == data[..], "client {n} got another's echo");
                client.close().await.unwrap();
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    assert_eq!(acceptor.await.unwrap(), CLIENTS as usize);
}

#[tokio::test]
async fn a_peer_can_come_back_after_its_association_closed() {
    let endpoint = Endpoint::bind("127.0.0.1:0".parse().unwrap(), config())
        .await
        .unwrap();
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = socket.local_addr().unwrap();
    drop(socket);
    for round in 0..2u64 {
        // The same client address twice: the endpoint forgot the first
        // association when it closed. The address is free again once the
        // first client stops lingering after its shutdown.
        let transport = loop {
            match UdpTransport::connect(local, endpoint.local_addr()).await {
                Ok(transport) => break transport,
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot bind {local}: {e}"),
            }
        };
        let (client, server) =
            tokio::join!(Association::client(transport, config()), endpoint.accept());
        let (client, server) = (client.unwrap(), server.unwrap());
        let served = tokio::spawn(echo_once(server));
        let stream = client.open_stream(0, Ppid(51)).unwrap();
        stream.write(&pattern(round, 10)).await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(stream.read(&mut buf).await.unwrap(), 10);
        assert!(buf[..10] == pattern(round, 10)[..]);
        client.close().await.unwrap();
        assert_eq!(served.await.unwrap(), CloseReason::Shutdown);
    }
}

/// usrsctp's `tsctp` sender, like a kernel SCTP client that does not bind,
/// sends its INIT from an ephemeral SCTP port: the endpoint, like a
/// listening socket, serves it on its own port whatever the peer's port.
#[tokio::test]
async fn peers_with_any_sctp_port_are_served() {
    let server_config = sctp_tokio::Config {
        local_port: 5001,
        remote_port: 5000,
        ..config()
    };
    let endpoint = Endpoint::bind("127.0.0.1:0".parse().unwrap(), server_config)
        .await
        .unwrap();
    for (seed, client_port) in [(1u64, 59_388u16), (2, 5000)] {
        let transport =
            UdpTransport::connect("127.0.0.1:0".parse().unwrap(), endpoint.local_addr())
                .await
                .unwrap();
        let client_config = sctp_tokio::Config {
            local_port: client_port,
            remote_port: 5001,
            ..config()
        };
        // Without the port taken from the INIT, the INIT goes unanswered.
        let (client, server) = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            tokio::join!(
                Association::client(transport, client_config),
                endpoint.accept()
            )
        })
        .await
        .expect("no handshake: the endpoint ignored the INIT");
        let (client, server) = (client.unwrap(), server.unwrap());
        let served = tokio::spawn(echo_once(server));
        let stream = client.open_stream(0, Ppid(53)).unwrap();
        stream.write(&pattern(seed, 100)).await.unwrap();
        let mut buf = [0u8; 128];
        assert_eq!(stream.read(&mut buf).await.unwrap(), 100);
        assert!(buf[..100] == pattern(seed, 100)[..]);
        client.close().await.unwrap();
        assert_eq!(served.await.unwrap(), CloseReason::Shutdown);
    }
}

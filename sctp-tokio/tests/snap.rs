//! SNAP (draft-hancke-tsvwg-snap) through the async API, over UDP.

mod common;

use bytes::Bytes;
use common::{config, udp_pair};
use sctp_tokio::{Error, Ppid, Snap};

#[tokio::test]
async fn snap_tokens_start_an_established_association_over_udp() {
    let (offerer, answerer) = (Snap::new(config()), Snap::new(config()));
    let (offer, answer) = (offerer.token(), answerer.token());
    let (a, b) = udp_pair().await;
    let x = offerer.connect(a, answer).await.unwrap();
    let y = answerer.connect(b, offer).await.unwrap();
    let stream = x.open_stream(3, Ppid::STRING).unwrap();
    stream.write(b"no handshake").await.unwrap();
    let incoming = y.accept_stream().await.unwrap();
    let mut buf = [0u8; 32];
    let (n, ppid) = incoming.read_sctp(&mut buf).await.unwrap();
    assert_eq!((&buf[..n], ppid), (&b"no handshake"[..], Ppid::STRING));
    incoming.write(b"back").await.unwrap();
    let n = stream.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"back");
    x.close().await.unwrap();
}

#[tokio::test]
async fn a_bad_token_is_a_typed_error() {
    let (a, _b) = udp_pair().await;
    let err = Snap::new(config())
        .connect(a, Bytes::from_static(b"not an INIT"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Snap(_)), "{err}");
}

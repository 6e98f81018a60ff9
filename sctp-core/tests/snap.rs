//! SNAP (draft-hancke-tsvwg-snap): the INITs cross out of band and the
//! association is established without the handshake.

mod common;

use bytes::Bytes;
use common::{Pair, Side};
use sctp_core::{Association, Config, Event, SeededRandom, SnapError, State};
use sctp_wire::{Chunk, ChunkType, Init, Ppid, Tsn, WireError};
use std::time::Duration;

/// A pair of SNAP associations whose tokens have not crossed yet.
fn snap_pair(a_config: Config, z_config: Config) -> Pair {
    let mut p = Pair::new(a_config.clone(), z_config.clone());
    p.a = Association::snap(a_config, p.now, Box::new(SeededRandom::new(11)));
    p.z = Association::snap(z_config, p.now, Box::new(SeededRandom::new(12)));
    p
}

fn exchange_tokens(p: &mut Pair) {
    let a_token = p.a.snap_token().expect("A's token");
    let z_token = p.z.snap_token().expect("Z's token");
    let now = p.now;
    p.a.accept_snap_token(now, z_token).unwrap();
    p.z.accept_snap_token(now, a_token).unwrap();
}

#[test]
fn tokens_establish_both_sides_without_a_packet() {
    let mut p = snap_pair(Config::default(), Config::default());
    assert_eq!(p.a.state(), State::CookieWait);
    assert_eq!(p.a.poll_timeout(), None, "no T1-init: nothing was sent");
    assert_eq!(p.a.poll_transmit(p.now), None);
    exchange_tokens(&mut p);
    assert_eq!(p.a.state(), State::Established);
    assert_eq!(p.z.state(), State::Established);
    assert_eq!(
        p.a.peer_verification_tag(),
        Some(p.z.local_verification_tag())
    );
    assert_eq!(
        p.z.peer_verification_tag(),
        Some(p.a.local_verification_tag())
    );
    assert_eq!(p.a.peer_initial_tsn(), Some(p.z.local_initial_tsn()));
    assert_eq!(p.a.snap_token(), None, "established: no token any more");

    // Data at once, both ways, and never a handshake chunk on the wire.
    let now = p.now;
    p.a.send(now, 1, Ppid::BINARY, false, Bytes::from_static(b"from a"))
        .unwrap();
    p.z.send(now, 2, Ppid::STRING, false, Bytes::from_static(b"from z"))
        .unwrap();
    p.run_for(Duration::from_secs(1));
    let at_z = p.z.read().expect("A's message");
    assert_eq!(at_z.payload, &b"from a"[..]);
    let at_a = p.a.read().expect("Z's message");
    assert_eq!(at_a.payload, &b"from z"[..]);
    assert!(p.a_events.contains(&Event::Connected));
    assert!(p.z_events.contains(&Event::Connected));
    let handshake = [
        ChunkType::INIT,
        ChunkType::INIT_ACK,
        ChunkType::COOKIE_ECHO,
        ChunkType::COOKIE_ACK,
    ];
    assert!(
        p.sent().iter().all(|(_, t)| !handshake.contains(t)),
        "{:?}",
        p.sent()
    );
    // The data went out in the very first packets.
    assert_eq!(p.log.first().map(|(s, _)| *s), Some(Side::A));
}

#[test]
fn the_tokens_negotiate_streams_and_extensions() {
    let a = Config {
        outbound_streams: 10,
        inbound_streams: 20,
        zero_checksum: true,
        ..Config::default()
    };
    let z = Config {
        outbound_streams: 5,
        inbound_streams: 7,
        zero_checksum: true,
        ..Config::default()
    };
    let mut p = snap_pair(a, z);
    exchange_tokens(&mut p);
    // RFC 9260 §5.1.1: min(own outbound, peer inbound) and the reverse.
    assert_eq!(p.a.streams(), Some((7, 5)));
    assert_eq!(p.z.streams(), Some((5, 7)));
    // RE-CONFIG came in the tokens' Supported Extensions.
    let now = p.now;
    p.a.reset_streams(now, &[0]).unwrap();
    // Zero checksum (RFC 9653) came in them too.
    p.a.send(now, 1, Ppid::BINARY, false, Bytes::from_static(b"x"))
        .unwrap();
    let datagram = p.a.poll_transmit(now).expect("a packet");
    assert_eq!(&datagram[8..12], &[0, 0, 0, 0], "checksum left out");
}

#[test]
fn bad_tokens_are_refused_with_a_reason() {
    let mut p = snap_pair(Config::default(), Config::default());
    let now = p.now;
    assert!(matches!(
        p.a.accept_snap_token(now, Bytes::from_static(b"\x01\x00")),
        Err(SnapError::Malformed(WireError::Truncated { .. }))
    ));
    assert_eq!(
        p.a.accept_snap_token(now, Chunk::CookieAck.to_standalone()),
        Err(SnapError::NotAnInit(ChunkType::COOKIE_ACK))
    );
    let init = |tag, streams| {
        Chunk::Init(Init {
            initiate_tag: tag,
            a_rwnd: 65536,
            outbound_streams: streams,
            inbound_streams: streams,
            initial_tsn: Tsn(1),
            params: vec![],
        })
        .to_standalone()
    };
    assert!(matches!(
        p.a.accept_snap_token(now, init(0, 1)),
        Err(SnapError::InvalidInit(_))
    ));
    assert!(matches!(
        p.a.accept_snap_token(now, init(7, 0)),
        Err(SnapError::InvalidInit(_))
    ));
    // None of that changed anything: a good token still works, once.
    assert_eq!(p.a.state(), State::CookieWait);
    p.a.accept_snap_token(now, init(7, 1)).unwrap();
    assert_eq!(p.a.state(), State::Established);
    assert_eq!(
        p.a.accept_snap_token(now, init(7, 1)),
        Err(SnapError::NotWaiting)
    );
    // An association made for the handshake takes no token.
    let mut client = Association::client(Config::default(), now, Box::new(SeededRandom::new(3)));
    assert_eq!(client.snap_token(), None);
    assert_eq!(
        client.accept_snap_token(now, init(7, 1)),
        Err(SnapError::NotWaiting)
    );
}

#[test]
fn a_peer_without_snap_still_gets_the_handshake() {
    // Z waits for a token, but A is an ordinary client sending INIT:
    // Z answers as a client in COOKIE-WAIT does (RFC 9260 §5.2.1).
    let mut p = Pair::default_pair();
    p.z = Association::snap(Config::default(), p.now, Box::new(SeededRandom::new(12)));
    p.run_until(100, |p| {
        p.a.state() == State::Established && p.z.state() == State::Established
    });
    assert_eq!(p.a.state(), State::Established);
    assert_eq!(p.z.state(), State::Established);
    assert_eq!(p.z.snap_token(), None);
}

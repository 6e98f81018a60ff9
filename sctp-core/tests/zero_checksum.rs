//! Zero checksum (RFC 9653): negotiated in INIT and INIT ACK, used only
//! when both sides announced it, never for the handshake's own packets.

mod common;

use bytes::Bytes;
use common::{chunks_of, packet, Pair, Side};
use sctp_core::{Config, State};
use sctp_wire::*;

fn zero() -> Config {
    Config {
        zero_checksum: true,
        ..Config::default()
    }
}

fn established(p: &Pair) -> bool {
    p.a.state() == State::Established && p.z.state() == State::Established
}

/// The checksum field of a datagram (RFC 9260 §3.1: bytes 8 to 11).
fn checksum(d: &Bytes) -> u32 {
    u32::from_le_bytes([d[8], d[9], d[10], d[11]])
}

/// Runs a pair through the handshake and one message each way, and
/// returns every packet sent with its sender and chunks.
fn exchange(a: Config, z: Config) -> (Pair, Vec<(Side, Vec<ChunkType>, u32)>) {
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let log = seen.clone();
    let mut p = Pair::new(a, z);
    p.hook = Box::new(move |side, d| {
        let kinds = chunks_of(&d).iter().map(Chunk::chunk_type).collect();
        log.borrow_mut().push((side, kinds, checksum(&d)));
        Some(d)
    });
    p.run_until(100, established);
    p.a.send(p.now, 0, Ppid::BINARY, false, Bytes::from_static(b"ping"))
        .unwrap();
    p.z.send(p.now, 0, Ppid::BINARY, false, Bytes::from_static(b"pong"))
        .unwrap();
    p.run_until(100, |p| {
        p.a.all_data_acknowledged() && p.z.all_data_acknowledged()
    });
    assert_eq!(
        p.z.read().map(|m| m.payload.into_bytes()),
        Some("ping".into())
    );
    assert_eq!(
        p.a.read().map(|m| m.payload.into_bytes()),
        Some("pong".into())
    );
    let packets = seen.borrow().clone();
    (p, packets)
}

#[test]
fn both_sides_announce_it_and_data_goes_without_a_crc() {
    let (_, packets) = exchange(zero(), zero());
    for (side, kinds, sum) in &packets {
        let handshake = kinds.iter().any(|k| {
            matches!(
                *k,
                ChunkType::INIT | ChunkType::INIT_ACK | ChunkType::COOKIE_ECHO
            )
        });
        if handshake {
            // RFC 9653 §5.2: INIT always, and the packets a peer may get
            // without state, carry a real CRC32c.
            assert_ne!(*sum, 0, "{side:?} {kinds:?} without a CRC");
        } else {
            assert_eq!(*sum, 0, "{side:?} {kinds:?} with a CRC");
        }
    }
    assert!(packets
        .iter()
        .any(|(_, kinds, _)| kinds.contains(&ChunkType::DATA)));
}

#[test]
fn the_init_and_init_ack_carry_the_dtls_method() {
    // RFC 9653 §4: Zero Checksum Acceptable with EDMID 1 (DTLS), from each
    // side configured for it and from no other.
    for z_config in [zero(), Config::default()] {
        let z_zero = z_config.zero_checksum;
        let mut p = Pair::new(zero(), z_config);
        let init = p.a.poll_transmit(p.now).unwrap();
        let Some(Chunk::Init(init)) = chunks_of(&init).into_iter().next() else {
            panic!("no INIT first");
        };
        assert!(init
            .params
            .contains(&Param::ZeroChecksumAcceptable { edmid: EDMID_DTLS }));
        p.z.handle_datagram(p.now, packet(0, &[Chunk::Init(init)]));
        let ack = p.z.poll_transmit(p.now).unwrap();
        let Some(Chunk::InitAck(ack)) = chunks_of(&ack).into_iter().next() else {
            panic!("no INIT ACK");
        };
        let announced = ack
            .params
            .iter()
            .filter(|p| matches!(p, Param::ZeroChecksumAcceptable { .. }))
            .collect::<Vec<_>>();
        let expected = if z_zero {
            vec![&Param::ZeroChecksumAcceptable { edmid: EDMID_DTLS }]
        } else {
            vec![]
        };
        assert_eq!(announced, expected, "Z configured: {z_zero}");
    }
}

#[test]
fn one_side_alone_keeps_crc32c_everywhere() {
    for (a, z) in [(zero(), Config::default()), (Config::default(), zero())] {
        let (_, packets) = exchange(a, z);
        assert!(
            packets.iter().all(|(_, _, sum)| *sum != 0),
            "a zero checksum went to a peer that did not ask for it"
        );
    }
}

#[test]
fn a_zero_checksum_is_accepted_only_after_announcing_it() {
    // RFC 9653 §5.3: an endpoint that announced Zero Checksum Acceptable
    // takes packets with a zero checksum; one that did not drops them.
    for (config, accepted) in [(zero(), true), (Config::default(), false)] {
        let mut p = Pair::new(config.clone(), config);
        p.run_until(100, established);
        let tag = p.z.local_verification_tag();
        let t = p.z.peer_initial_tsn().unwrap();
        let data = Chunk::Data(DataChunk {
            tsn: t,
            stream_id: StreamId(0),
            ssn: Ssn(0),
            ppid: Ppid::BINARY,
            unordered: false,
            beginning: true,
            ending: true,
            immediate_sack: false,
            payload: Bytes::from_static(b"no crc"),
        });
        let mut d = packet(tag, &[data]).to_vec();
        d[8..12].fill(0);
        p.inject(Side::Z, Bytes::from(d));
        assert_eq!(p.z.read().is_some(), accepted, "accepted: {accepted}");
        assert_eq!(p.z.stats().dropped_malformed, u64::from(!accepted));
    }
}

#[test]
fn a_corrupted_packet_with_a_nonzero_checksum_is_still_dropped() {
    // RFC 9653 §5.3: a checksum that is neither zero nor the CRC32c is
    // wrong, zero checksum or not.
    let mut p = Pair::new(zero(), zero());
    p.run_until(100, established);
    let tag = p.z.local_verification_tag();
    let mut d = packet(tag, &[Chunk::CookieAck]).to_vec();
    d[8] ^= 0x40;
    p.inject(Side::Z, Bytes::from(d));
    assert_eq!(p.z.stats().dropped_malformed, 1);
}

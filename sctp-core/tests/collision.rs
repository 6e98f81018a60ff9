//! Handshake collisions and peer restarts (RFC 9260 §5.2).

mod common;

use bytes::Bytes;
use common::{chunks_of, Pair, Side};
use sctp_core::{Association, Config, Event, SeededRandom, State};
use sctp_wire::*;

fn established(p: &Pair) -> bool {
    p.a.state() == State::Established && p.z.state() == State::Established
}

#[test]
fn simultaneous_inits_establish_one_association() {
    // RFC 9260 §5.2.1: each side answers the other's INIT with the tag of
    // its own INIT; §5.2.4 case B then sets the association up from the
    // COOKIE ECHO.
    let mut p = Pair::default_pair();
    p.z = Association::client(Config::default(), p.now, Box::new(SeededRandom::new(7)));
    p.run_until(100, established);
    assert_eq!(
        p.a.peer_verification_tag(),
        Some(p.z.local_verification_tag())
    );
    assert_eq!(
        p.z.peer_verification_tag(),
        Some(p.a.local_verification_tag())
    );
    assert_eq!(p.a_events.first(), Some(&Event::Connected));
    assert_eq!(p.z_events.first(), Some(&Event::Connected));
    // And the association carries data both ways.
    p.a.send(p.now, 0, Ppid::BINARY, false, Bytes::from_static(b"ping"))
        .unwrap();
    p.z.send(p.now, 0, Ppid::BINARY, false, Bytes::from_static(b"pong"))
        .unwrap();
    p.run_until(100, |p| {
        p.a.all_data_acknowledged() && p.z.all_data_acknowledged()
    });
    assert_eq!(
        p.z.read().map(|m| m.payload.into_bytes()),
        Some(Bytes::from_static(b"ping"))
    );
    assert_eq!(
        p.a.read().map(|m| m.payload.into_bytes()),
        Some(Bytes::from_static(b"pong"))
    );
}

#[test]
fn an_init_in_an_established_association_gets_a_new_tag() {
    // RFC 9260 §5.2.2: a new Initiate Tag, and the association goes on.
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    let z_tag = p.z.local_verification_tag();
    let init = Init {
        initiate_tag: 0xabcd,
        a_rwnd: 65536,
        outbound_streams: 4,
        inbound_streams: 4,
        initial_tsn: Tsn(77),
        params: vec![],
    };
    p.z.handle_datagram(p.now, common::packet(0, &[Chunk::Init(init)]));
    let reply = p.z.poll_transmit(p.now).expect("INIT ACK");
    let Chunk::InitAck(ack) = chunks_of(&reply).remove(0) else {
        panic!("not an INIT ACK")
    };
    assert_ne!(ack.initiate_tag, z_tag);
    assert_eq!(p.z.state(), State::Established);
    assert_eq!(p.z.local_verification_tag(), z_tag);
}

#[test]
fn a_restarted_peer_is_recognised_by_the_tie_tags() {
    // RFC 9260 §5.2.4 case A: neither tag matches, the tie-tags do.
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    let old_a_tag = p.a.local_verification_tag();
    // A crashes and comes back as a new association on the same ports.
    p.a = Association::client(Config::default(), p.now, Box::new(SeededRandom::new(99)));
    p.a_events.clear();
    p.run_until(100, established);
    assert!(p.z_events.contains(&Event::PeerRestarted));
    assert_ne!(p.z.peer_verification_tag(), Some(old_a_tag));
    assert_eq!(
        p.z.peer_verification_tag(),
        Some(p.a.local_verification_tag())
    );
    assert_eq!(p.a_events, [Event::Connected]);
    p.a.send(p.now, 0, Ppid::STRING, false, Bytes::from_static(b"back"))
        .unwrap();
    p.run_until(100, |p| p.a.all_data_acknowledged());
    assert_eq!(
        p.z.read().map(|m| m.payload.into_bytes()),
        Some(Bytes::from_static(b"back"))
    );
    let sent = p.sent();
    assert!(sent.contains(&(Side::Z, ChunkType::COOKIE_ACK)));
}

#[test]
fn a_cookie_echo_for_an_old_incarnation_is_discarded() {
    // RFC 9260 §5.2.4 case C: our tag differs, the peer's matches and the
    // tie-tags are not the association's: a late COOKIE ECHO, discarded.
    let mut p = Pair::default_pair();
    let init = p.a.poll_transmit(p.now).unwrap();
    // Z answers the INIT twice (as for a retransmitted INIT): two cookies
    // with two different tags of Z's.
    let init_ack = |p: &mut Pair| {
        p.z.handle_datagram(p.now, init.clone());
        let reply = p.z.poll_transmit(p.now).unwrap();
        let Chunk::InitAck(ack) = chunks_of(&reply).remove(0) else {
            panic!()
        };
        (reply, ack)
    };
    let (_, first) = init_ack(&mut p);
    let (second_packet, second) = init_ack(&mut p);
    assert_ne!(first.initiate_tag, second.initiate_tag);
    // The association is made with the second.
    p.a.handle_datagram(p.now, second_packet);
    p.run_until(100, established);
    assert_eq!(p.z.local_verification_tag(), second.initiate_tag);
    // The first cookie arrives late.
    let cookie = first
        .params
        .iter()
        .find_map(|p| match p {
            Param::StateCookie(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap();
    let before = p.z.stats().dropped_unexpected;
    p.z.handle_datagram(
        p.now,
        common::packet(
            first.initiate_tag,
            &[Chunk::CookieEcho(CookieEcho { cookie })],
        ),
    );
    assert_eq!(p.z.stats().dropped_unexpected, before + 1);
    assert_eq!(p.z.poll_transmit(p.now), None, "no answer");
    assert_eq!(p.z.state(), State::Established);
    assert_eq!(p.z.local_verification_tag(), second.initiate_tag);
}

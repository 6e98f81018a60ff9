//! The four-way handshake (RFC 9260 §5.1), its timers, the state cookie,
//! verification tags, unrecognized chunks, heartbeats and ABORT, driven
//! through the public API with the pair harness.

mod common;

use bytes::Bytes;
use common::{chunks_of, packet, Pair, Side};
use proptest::prelude::*;
use sctp_core::{CloseReason, Config, Event, State};
use sctp_wire::*;
use std::time::Duration;

fn established(p: &Pair) -> bool {
    p.a.state() == State::Established && p.z.state() == State::Established
}

#[test]
fn handshake_establishes_both_sides_in_four_packets() {
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    assert_eq!(
        p.sent(),
        [
            (Side::A, ChunkType::INIT),
            (Side::Z, ChunkType::INIT_ACK),
            (Side::A, ChunkType::COOKIE_ECHO),
            (Side::Z, ChunkType::COOKIE_ACK),
        ]
    );
    assert_eq!(p.a_events, [Event::Connected]);
    assert_eq!(p.z_events, [Event::Connected]);
    // Each side carries the other's tag and knows its initial TSN.
    assert_eq!(
        p.a.peer_verification_tag(),
        Some(p.z.local_verification_tag())
    );
    assert_eq!(
        p.z.peer_verification_tag(),
        Some(p.a.local_verification_tag())
    );
    assert_eq!(p.a.peer_initial_tsn(), Some(p.z.local_initial_tsn()));
    assert_eq!(p.z.peer_initial_tsn(), Some(p.a.local_initial_tsn()));
    assert_eq!(p.a.peer_a_rwnd(), Some(1024 * 1024));
    // Two round trips of 10 ms each way.
    assert_eq!(p.elapsed(), Duration::from_millis(40));
}

#[test]
fn stream_counts_are_negotiated_down_to_what_the_other_side_accepts() {
    // RFC 9260 §5.1.1: outbound = min(own OS, peer's MIS), and so on.
    let a = Config {
        outbound_streams: 10,
        inbound_streams: 20,
        ..Config::default()
    };
    let z = Config {
        outbound_streams: 5,
        inbound_streams: 100,
        ..Config::default()
    };
    let mut p = Pair::new(a, z);
    p.run_until(100, established);
    assert_eq!(p.a.streams(), Some((10, 5)));
    assert_eq!(p.z.streams(), Some((5, 10)));
}

#[test]
fn the_server_keeps_no_state_for_an_init() {
    // RFC 9260 §5.1.3: the INIT ACK's cookie holds everything; the server
    // allocates nothing until a valid COOKIE ECHO.
    let mut p = Pair::default_pair();
    p.hook = Box::new(|side, d| (side == Side::A).then_some(d)); // Z's answers are lost
    for _ in 0..6 {
        p.step();
    }
    assert_eq!(p.z.state(), State::Closed);
    assert_eq!(p.z.peer_verification_tag(), None);
    assert_eq!(p.z.local_verification_tag(), 0);
    let sent = p.sent();
    let inits = sent.iter().filter(|(_, t)| *t == ChunkType::INIT).count();
    let acks = sent
        .iter()
        .filter(|(_, t)| *t == ChunkType::INIT_ACK)
        .count();
    assert!(inits >= 3, "T1-init retransmitted: {sent:?}");
    // Every INIT that arrived was answered; the last may still be in flight.
    assert!(acks == inits || acks + 1 == inits, "{sent:?}");
    assert!(acks >= 2);
}

#[test]
fn each_init_ack_carries_a_fresh_tag_and_cookie() {
    let mut p = Pair::default_pair();
    let init = p.a.poll_transmit(p.now).expect("INIT ready");
    let mut answers = Vec::new();
    for _ in 0..2 {
        p.z.handle_datagram(p.now, init.clone());
        let reply = p.z.poll_transmit(p.now).expect("INIT ACK");
        let Chunk::InitAck(ack) = &chunks_of(&reply)[0] else {
            panic!("not an INIT ACK")
        };
        answers.push(ack.clone());
    }
    assert_ne!(answers[0].initiate_tag, answers[1].initiate_tag);
    assert_ne!(answers[0].params, answers[1].params);
    assert_eq!(p.z.state(), State::Closed);
}

#[test]
fn handshake_survives_a_lost_init() {
    // RFC 9260 §5.1 A: T1-init retransmits the INIT after RTO.Initial.
    let mut p = Pair::default_pair();
    let mut dropped = false;
    p.hook = Box::new(move |side, d| {
        if side == Side::A && !dropped {
            dropped = true;
            return None;
        }
        Some(d)
    });
    p.run_until(100, established);
    assert_eq!(
        p.sent()
            .iter()
            .filter(|(_, t)| *t == ChunkType::INIT)
            .count(),
        2
    );
    // RTO.Initial of 1 s, then two round trips.
    assert_eq!(p.elapsed(), Duration::from_millis(1040));
}

#[test]
fn handshake_survives_a_lost_cookie_echo() {
    // RFC 9260 §5.1 C: T1-cookie retransmits the COOKIE ECHO.
    let mut p = Pair::default_pair();
    let mut seen = 0;
    p.hook = Box::new(move |side, d| {
        if side == Side::A && common::chunk_types(&d)[0] == ChunkType::COOKIE_ECHO {
            seen += 1;
            if seen == 1 {
                return None;
            }
        }
        Some(d)
    });
    p.run_until(100, established);
    let echoes = p
        .sent()
        .iter()
        .filter(|(_, t)| *t == ChunkType::COOKIE_ECHO)
        .count();
    assert_eq!(echoes, 2);
    assert_eq!(p.z_events, [Event::Connected], "the server connects once");
}

#[test]
fn a_lost_cookie_ack_is_sent_again_for_the_repeated_cookie_echo() {
    // RFC 9260 §5.2.4 case D: a COOKIE ECHO matching the established
    // association's tags is answered with another COOKIE ACK.
    let mut p = Pair::default_pair();
    let mut dropped = false;
    p.hook = Box::new(move |side, d| {
        if side == Side::Z && common::chunk_types(&d)[0] == ChunkType::COOKIE_ACK && !dropped {
            dropped = true;
            return None;
        }
        Some(d)
    });
    p.run_until(100, established);
    assert_eq!(
        p.sent()
            .iter()
            .filter(|(_, t)| *t == ChunkType::COOKIE_ACK)
            .count(),
        2
    );
    assert_eq!(p.z_events, [Event::Connected]);
    assert_eq!(p.a_events, [Event::Connected]);
}

#[test]
fn the_handshake_gives_up_after_max_init_retransmits() {
    // RFC 9260 §5.1 A: after Max.Init.Retransmits, the user is told;
    // RFC 9260 §6.3.3 E2: each timeout doubles, capped at RTO.Max.
    let a = Config {
        rto_initial: Duration::from_millis(100),
        rto_max: Duration::from_millis(500),
        max_init_retransmits: 3,
        ..Config::default()
    };
    let mut p = Pair::new(a, Config::default());
    p.hook = Box::new(|_, _| None);
    p.run_until(100, |_| false);
    assert_eq!(p.a_events, [Event::Closed(CloseReason::HandshakeTimeout)]);
    assert_eq!(p.a.state(), State::Closed);
    assert_eq!(p.sent().len(), 4, "INIT and 3 retransmissions");
    // 100 + 200 + 400 + 500 (capped) ms.
    assert_eq!(p.elapsed(), Duration::from_millis(1200));
    assert_eq!(p.a.poll_timeout(), None);
}

/// Rewrites the first COOKIE ECHO A sends with `f`.
fn tamper_first_cookie(p: &mut Pair, f: fn(&mut Vec<u8>)) {
    let mut done = false;
    p.hook = Box::new(move |side, d| {
        if side == Side::A && !done {
            if let Some(Chunk::CookieEcho(echo)) = chunks_of(&d).first() {
                done = true;
                let mut cookie = echo.cookie.to_vec();
                f(&mut cookie);
                let tag = Packet::decode(d.clone(), ChecksumCheck::Required)
                    .unwrap()
                    .header()
                    .verification_tag;
                return Some(packet(
                    tag,
                    &[Chunk::CookieEcho(CookieEcho {
                        cookie: Bytes::from(cookie),
                    })],
                ));
            }
        }
        Some(d)
    });
}

#[test]
fn a_tampered_cookie_is_dropped_silently() {
    // RFC 9260 §5.1.5 step 2: a cookie failing authentication is discarded.
    let mut p = Pair::default_pair();
    tamper_first_cookie(&mut p, |c| c[3] ^= 0x01);
    p.run_until(100, established);
    assert_eq!(p.z.stats().cookies_invalid, 1);
    // No answer to the forged cookie; the retransmitted one succeeds.
    assert_eq!(
        p.sent()
            .iter()
            .filter(|(_, t)| *t == ChunkType::COOKIE_ACK)
            .count(),
        1
    );
    assert_eq!(
        p.sent()
            .iter()
            .filter(|(_, t)| *t == ChunkType::ERROR)
            .count(),
        0
    );
}

#[test]
fn a_stale_cookie_is_answered_with_a_stale_cookie_error() {
    // RFC 9260 §5.1.5 step 3 and §3.3.10.3: the error says how late, in µs.
    let a = Config {
        rto_initial: Duration::from_secs(30),
        rto_max: Duration::from_secs(30),
        ..Config::default()
    };
    let z = Config {
        cookie_lifetime: Duration::from_secs(1),
        ..Config::default()
    };
    let mut p = Pair::new(a, z);
    p.delay = Duration::from_millis(1500);
    let errors = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = errors.clone();
    p.hook = Box::new(move |side, d| {
        if side == Side::Z {
            for chunk in chunks_of(&d) {
                if let Chunk::Error(e) = chunk {
                    seen.borrow_mut().extend(e.causes);
                }
            }
        }
        Some(d)
    });
    // INIT arrives at 1.5 s, the cookie is made then; the COOKIE ECHO
    // arrives at 4.5 s, 2 s after the cookie's 1 s lifetime ran out.
    p.run_until(6, |_| !errors.borrow().is_empty());
    assert_eq!(
        *errors.borrow(),
        [ErrorCause::StaleCookie {
            staleness_us: 2_000_000
        }]
    );
    assert_eq!(p.z.state(), State::Closed);
}

#[test]
fn packets_with_a_wrong_verification_tag_are_dropped() {
    // RFC 9260 §8.5: a packet not carrying the receiver's tag is discarded.
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    let tag = p.z.local_verification_tag();
    let before = p.z.stats();
    let hb = Chunk::Heartbeat(Heartbeat {
        info: Bytes::from_static(b"ping"),
    });
    p.inject(
        Side::Z,
        packet(tag.wrapping_add(1), std::slice::from_ref(&hb)),
    );
    assert_eq!(
        p.z.stats().dropped_out_of_association,
        before.dropped_out_of_association + 1
    );
    assert_eq!(p.z.poll_transmit(p.now), None);
    // RFC 9260 §8.3: with the right tag the HEARTBEAT is echoed.
    p.z.handle_datagram(p.now, packet(tag, &[hb]));
    let reply = p.z.poll_transmit(p.now).expect("HEARTBEAT ACK");
    assert_eq!(
        chunks_of(&reply),
        [Chunk::HeartbeatAck(Heartbeat {
            info: Bytes::from_static(b"ping")
        })]
    );
}

#[test]
fn an_init_must_carry_verification_tag_zero_and_travel_alone() {
    // RFC 9260 §8.5.1 A and §6.10.
    let mut p = Pair::default_pair();
    let init = p.a.poll_transmit(p.now).unwrap();
    let Chunk::Init(i) = chunks_of(&init).remove(0) else {
        panic!()
    };
    p.z.handle_datagram(p.now, packet(7, &[Chunk::Init(i.clone())]));
    assert_eq!(p.z.stats().dropped_out_of_association, 1);
    let mut b = PacketBuilder::new(CommonHeader::new(5000, 5000, 0), 1 << 16).unwrap();
    b.push(&Chunk::CookieAck).unwrap();
    let mut raw = bytes::BytesMut::from(&b.finish(ChecksumMode::Crc32c)[..]);
    raw.extend_from_slice(&Chunk::Init(i).to_bytes());
    let len = raw.len();
    raw.resize(len + (4 - len % 4) % 4, 0);
    raw[8..12].fill(0);
    let crc = crc32c(&raw);
    raw[8..12].copy_from_slice(&crc.to_le_bytes());
    p.z.handle_datagram(p.now, raw.freeze());
    assert_eq!(p.z.stats().dropped_unexpected, 1);
    assert_eq!(p.z.poll_transmit(p.now), None);
}

fn init_with(mutate: impl FnOnce(&mut Init)) -> Bytes {
    let mut init = Init {
        initiate_tag: 0x1234,
        a_rwnd: 65536,
        outbound_streams: 10,
        inbound_streams: 10,
        initial_tsn: Tsn(1),
        params: vec![],
    };
    mutate(&mut init);
    packet(0, &[Chunk::Init(init)])
}

#[test]
fn an_init_asking_for_zero_streams_is_aborted() {
    // RFC 9260 §3.3.2: OS or MIS of 0 is answered with an ABORT.
    let mut p = Pair::default_pair();
    p.z.handle_datagram(p.now, init_with(|i| i.inbound_streams = 0));
    let reply = p.z.poll_transmit(p.now).expect("ABORT");
    assert_eq!(
        chunks_of(&reply),
        [Chunk::Abort(Abort {
            tag_reflected: false,
            causes: vec![ErrorCause::InvalidMandatoryParameter]
        })]
    );
    let header = *Packet::decode(reply, ChecksumCheck::Required)
        .unwrap()
        .header();
    assert_eq!(header.verification_tag, 0x1234);
}

#[test]
fn an_init_with_a_host_name_address_is_aborted() {
    // RFC 9260 §3.3.2.1: Host Name Address is answered with an ABORT
    // carrying an Unresolvable Address cause.
    let mut p = Pair::default_pair();
    let host = Param::HostNameAddress(Bytes::from_static(b"example\0"));
    let h = host.clone();
    p.z.handle_datagram(p.now, init_with(move |i| i.params.push(h)));
    let reply = p.z.poll_transmit(p.now).expect("ABORT");
    assert_eq!(
        chunks_of(&reply),
        [Chunk::Abort(Abort {
            tag_reflected: false,
            causes: vec![ErrorCause::unresolvable_address(&host)]
        })]
    );
}

#[test]
fn unrecognized_init_parameters_are_reported_in_the_init_ack() {
    // RFC 9260 §3.2.1: upper bits 11 skip and report, 10 skip silently,
    // 01 stop and report, 00 stop.
    let unknown = |kind: u16| Param::Unknown {
        kind: ParamType(kind),
        value: Bytes::from_static(&[1, 2, 3, 4]),
    };
    let (report, silent, stop_report, after) = (
        unknown(0xc123),
        unknown(0x8123),
        unknown(0x4123),
        unknown(0xc124),
    );
    let params = vec![report.clone(), silent, stop_report.clone(), after];
    let mut p = Pair::default_pair();
    p.z.handle_datagram(p.now, init_with(move |i| i.params = params));
    let reply = p.z.poll_transmit(p.now).expect("INIT ACK");
    let Chunk::InitAck(ack) = chunks_of(&reply).remove(0) else {
        panic!("not an INIT ACK")
    };
    let reported: Vec<_> = ack
        .params
        .iter()
        .filter(|p| matches!(p, Param::UnrecognizedParameter(_)))
        .cloned()
        .collect();
    assert_eq!(
        reported,
        [
            Param::unrecognized_parameter(&report),
            Param::unrecognized_parameter(&stop_report)
        ]
    );
}

#[test]
fn unrecognized_chunks_follow_their_upper_bits() {
    // RFC 9260 §3.2: 00 stop, 01 stop and report, 10 skip, 11 skip and report.
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    let tag = p.z.local_verification_tag();
    let unknown = |kind: u8| Chunk::Unknown {
        kind: ChunkType(kind),
        flags: 0,
        value: Bytes::from_static(&[9; 4]),
    };
    let hb = Chunk::Heartbeat(Heartbeat {
        info: Bytes::from_static(b"hb"),
    });
    let replies = |p: &mut Pair, chunks: &[Chunk]| {
        p.z.handle_datagram(p.now, packet(tag, chunks));
        let mut out = Vec::new();
        while let Some(d) = p.z.poll_transmit(p.now) {
            out.extend(chunks_of(&d).into_iter().map(|c| c.chunk_type()));
        }
        out
    };
    assert_eq!(replies(&mut p, &[unknown(0x3e), hb.clone()]), []);
    assert_eq!(
        replies(&mut p, &[unknown(0x7e), hb.clone()]),
        [ChunkType::ERROR]
    );
    assert_eq!(
        replies(&mut p, &[unknown(0xbe), hb.clone()]),
        [ChunkType::HEARTBEAT_ACK]
    );
    assert_eq!(
        replies(&mut p, &[unknown(0xfe), hb]),
        [ChunkType::ERROR, ChunkType::HEARTBEAT_ACK]
    );
    assert_eq!(p.z.stats().chunks_unrecognized, 4);
}

#[test]
fn an_abort_closes_both_sides_with_the_reason() {
    // RFC 9260 §9.1: ABORT carries a User-Initiated Abort cause.
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    p.a.abort("going away");
    p.run_until(100, |_| false);
    assert_eq!(
        p.a_events.last(),
        Some(&Event::Closed(CloseReason::LocalAbort("going away".into())))
    );
    assert_eq!(
        p.z_events.last(),
        Some(&Event::Closed(CloseReason::PeerAbort(vec![
            ErrorCause::user_initiated_abort("going away")
        ])))
    );
    assert_eq!((p.a.state(), p.z.state()), (State::Closed, State::Closed));
}

#[test]
fn a_closed_association_answers_late_data_with_an_abort() {
    // RFC 9260 §8.4 rule 8: A aborted and its ABORT was lost; Z's DATA now
    // reaches an association that is gone, which answers with an ABORT
    // carrying Z's packet's tag and the T bit, so Z closes instead of
    // retransmitting until Association.Max.Retrans.
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    p.hook = Box::new(|side, d| (side == Side::Z).then_some(d));
    p.a.abort("gone");
    p.run_for(Duration::from_millis(50));
    assert_eq!(p.z.state(), State::Established, "the ABORT was lost");
    let answers = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = answers.clone();
    p.hook = Box::new(move |side, d| {
        if side == Side::A {
            seen.borrow_mut().extend(chunks_of(&d));
        }
        Some(d)
    });
    p.z.send(p.now, 0, Ppid::BINARY, false, Bytes::from_static(b"hello?"))
        .unwrap();
    p.run_for(Duration::from_millis(100));
    assert_eq!(
        *answers.borrow(),
        [Chunk::Abort(Abort {
            tag_reflected: true,
            causes: vec![]
        })]
    );
    assert_eq!(
        p.z_events.last(),
        Some(&Event::Closed(CloseReason::PeerAbort(vec![])))
    );
}

#[test]
fn an_abort_with_the_t_bit_needs_the_senders_own_tag() {
    // RFC 9260 §8.5.1 B: with T set, the tag is the sender's own, reflected.
    let mut p = Pair::default_pair();
    p.run_until(100, established);
    let abort = Chunk::Abort(Abort {
        tag_reflected: true,
        causes: vec![],
    });
    let z_tag = p.z.local_verification_tag();
    p.inject(Side::Z, packet(z_tag, std::slice::from_ref(&abort)));
    assert_eq!(
        p.z.state(),
        State::Established,
        "T set but our own tag: dropped"
    );
    let a_tag = p.a.local_verification_tag();
    p.inject(Side::Z, packet(a_tag, &[abort]));
    assert_eq!(p.z.state(), State::Closed);
}

#[test]
fn an_init_ack_without_a_cookie_is_aborted() {
    // RFC 9260 §3.3.10.2: Missing Mandatory Parameter names the State Cookie.
    let mut p = Pair::default_pair();
    let _init = p.a.poll_transmit(p.now).unwrap();
    let tag = p.a.local_verification_tag();
    let ack = Chunk::InitAck(Init {
        initiate_tag: 99,
        a_rwnd: 1000,
        outbound_streams: 1,
        inbound_streams: 1,
        initial_tsn: Tsn(5),
        params: vec![],
    });
    p.a.handle_datagram(p.now, packet(tag, &[ack]));
    let reply = p.a.poll_transmit(p.now).expect("ABORT");
    let header = *Packet::decode(reply.clone(), ChecksumCheck::Required)
        .unwrap()
        .header();
    assert_eq!(header.verification_tag, 99);
    let Chunk::Abort(abort) = chunks_of(&reply).remove(0) else {
        panic!()
    };
    assert_eq!(
        abort.causes,
        [ErrorCause::MissingMandatoryParameter {
            missing: [ParamType::STATE_COOKIE].into()
        }]
    );
    assert_eq!(p.a.state(), State::Closed);
}

proptest! {
    #[test]
    fn garbage_from_the_network_is_counted_and_never_panics(
        datagrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..20)
    ) {
        let mut p = Pair::default_pair();
        p.run_until(100, established);
        for d in datagrams {
            p.z.handle_datagram(p.now, Bytes::from(d));
        }
        prop_assert_eq!(p.z.state(), State::Established);
        prop_assert!(p.z.stats().dropped_malformed + p.z.stats().dropped_out_of_association > 0);
    }
}

#[test]
fn out_of_the_blue_packets_get_an_abort_with_the_t_bit() {
    // RFC 9260 §8.4 rule 8: an OOTB packet is answered with an ABORT that
    // carries the packet's tag, T bit set; ABORT, SHUTDOWN COMPLETE,
    // COOKIE ACK and ERROR are discarded silently (rules 2, 6, 7).
    let mut p = Pair::default_pair();
    let hb = Chunk::Heartbeat(Heartbeat {
        info: Bytes::from_static(b"?"),
    });
    p.z.handle_datagram(p.now, packet(0x5151, &[hb]));
    let reply = p.z.poll_transmit(p.now).expect("ABORT");
    let header = *Packet::decode(reply.clone(), ChecksumCheck::Required)
        .unwrap()
        .header();
    assert_eq!(header.verification_tag, 0x5151);
    assert_eq!(
        chunks_of(&reply),
        [Chunk::Abort(Abort {
            tag_reflected: true,
            causes: vec![]
        })]
    );
    for silent in [Chunk::CookieAck, Chunk::Abort(Abort::default())] {
        p.z.handle_datagram(p.now, packet(0x5151, &[silent]));
        assert_eq!(p.z.poll_transmit(p.now), None);
    }
    assert_eq!(p.z.state(), State::Closed);
}

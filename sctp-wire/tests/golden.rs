//! Golden tests: SCTP packets captured from real stacks, usrsctp 0.9.5 and
//! pion/sctp 1.8.6, talking over UDP on loopback (RFC 6951 framing). The
//! `tests/golden/*.hex` files hold one packet per line, from the SCTP
//! common header on, each under a comment written from tshark's decoding;
//! `tests/golden/README.md` says how they were captured and
//! `tests/golden/capture.sh` captures them again.
//!
//! Every packet must decode with its CRC32c verified, match what tshark
//! made of it, and re-encode to the same bytes. The per-capture tests then
//! assert the fields tshark showed, one by one.
//!
//! No RFC gives a whole SCTP packet as bytes (RFC 9260 Appendix B and RFC
//! 3720 B.4 give CRC32c vectors only, tested in `src/checksum.rs`), so all
//! the packets here come from captures.

use bytes::Bytes;
use sctp_wire::{
    ChecksumCheck, ChecksumMode, Chunk, ChunkType, CommonHeader, Encode, ErrorCause,
    ForwardTsnStream, GapAckBlock, Packet, PacketBuilder, Param, ParamType, Ppid, Ssn, StreamId,
    Tsn, UnrecognizedAction,
};
use std::net::{Ipv4Addr, Ipv6Addr};

// ---------------------------------------------------------------------------
// Loading the captures

/// One captured packet and what the capture's comment says about it.
struct Captured {
    /// Position in its file, as the comment's `[n]` gives it.
    index: usize,
    /// The comment written by capture.sh from tshark's output.
    comment: String,
    /// Whether the packet went from the association's initiator (the
    /// sender of the INIT) to the other side.
    from_client: bool,
    /// The UDP payload: the whole SCTP packet.
    datagram: Bytes,
}

/// A captured packet decoded, with its chunks.
struct Decoded {
    cap: Captured,
    packet: Packet,
    chunks: Vec<Chunk>,
}

impl Decoded {
    fn header(&self) -> &CommonHeader {
        self.packet.header()
    }

    /// The packet's only chunk.
    fn only(&self) -> &Chunk {
        assert_eq!(
            self.chunks.len(),
            1,
            "packet [{}] ({}) should hold one chunk",
            self.cap.index,
            self.cap.comment
        );
        &self.chunks[0]
    }
}

fn from_hex(line: &str) -> Vec<u8> {
    assert!(
        line.len().is_multiple_of(2),
        "odd number of hex digits: {line}"
    );
    (0..line.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&line[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Parses a `.hex` capture: `#` comment lines, each packet's line preceded
/// by a comment `# [n] frame F, client -> server (...): SUMMARY`.
fn load(text: &str) -> Vec<Captured> {
    let mut out = Vec::new();
    let mut last_comment: Option<&str> = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            last_comment = Some(comment.trim());
            continue;
        }
        let comment = last_comment
            .take()
            .expect("every packet line follows its comment");
        let index = out.len();
        assert!(
            comment.starts_with(&format!("[{index}] ")),
            "comment of packet {index} is out of step: {comment}"
        );
        let from_client = if comment.contains("client -> server") {
            true
        } else {
            assert!(
                comment.contains("server -> client"),
                "no direction: {comment}"
            );
            false
        };
        out.push(Captured {
            index,
            comment: comment.to_owned(),
            from_client,
            datagram: Bytes::from(from_hex(line)),
        });
    }
    assert!(!out.is_empty(), "empty capture");
    out
}

/// Decodes every packet with the CRC32c required; any error fails the test.
fn decode_all(text: &str) -> Vec<Decoded> {
    load(text)
        .into_iter()
        .map(|cap| {
            let packet = Packet::decode(cap.datagram.clone(), ChecksumCheck::Required)
                .unwrap_or_else(|e| panic!("packet [{}] ({}): {e}", cap.index, cap.comment));
            let chunks = packet
                .chunks()
                .collect::<Result<Vec<_>, _>>()
                .unwrap_or_else(|e| panic!("packet [{}] ({}): {e}", cap.index, cap.comment));
            Decoded {
                cap,
                packet,
                chunks,
            }
        })
        .collect()
}

const USRSCTP_ECHO: &str = include_str!("golden/usrsctp_echo.hex");
const USRSCTP_RELAY: &str = include_str!("golden/usrsctp_relay.hex");
const PION_RECONFIG: &str = include_str!("golden/pion_reconfig.hex");
const PION_ABORT: &str = include_str!("golden/pion_abort.hex");

const ALL: [(&str, &str); 4] = [
    ("usrsctp_echo.hex", USRSCTP_ECHO),
    ("usrsctp_relay.hex", USRSCTP_RELAY),
    ("pion_reconfig.hex", PION_RECONFIG),
    ("pion_abort.hex", PION_ABORT),
];

// ---------------------------------------------------------------------------
// Shared assertions

/// Asserts that `part` is a slice of `whole`'s buffer starting `at` bytes
/// in: decoding copied nothing.
#[track_caller]
fn assert_slice_of(part: &[u8], whole: &Bytes, at: usize) {
    let start = whole.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    assert!(
        p >= start && p + part.len() <= start + whole.len(),
        "{} bytes at {p:#x} are not inside the datagram at {start:#x}..+{}",
        part.len(),
        whole.len()
    );
    assert_eq!(p - start, at, "slice starts at the wrong offset");
}

/// `CommonHeader::checksum` of a packet whose checksum tshark shows as
/// `shown`: tshark prints the four checksum bytes as a big-endian number,
/// the codec reads them least significant byte first (the CRC32c byte order
/// of RFC 9260 Appendix B), so one is the other byte-swapped.
fn tshark_crc32c(shown: u32) -> u32 {
    shown.swap_bytes()
}

/// The number right after `key` in a tshark summary, e.g. `TSN=123`.
fn numbers_after(summary: &str, key: &str) -> Vec<u32> {
    summary
        .match_indices(key)
        .map(|(i, _)| {
            let digits: String = summary[i + key.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().expect("a number after the key")
        })
        .collect()
}

/// tshark's name for a chunk type, as its summary column prints it.
fn tshark_name(kind: ChunkType) -> String {
    kind.name()
        .expect("every captured chunk type has a name")
        .replace([' ', '-'], "_")
}

/// Checks the decoded packet against tshark's one-line summary kept in the
/// comment: the chunk types in order, DATA TSNs, SACK cumulative TSN acks
/// and a_rwnds.
fn assert_matches_tshark(d: &Decoded) {
    let summary = d.cap.comment.rsplit_once("): ").expect("summary").1;
    let names: Vec<&str> = summary
        .split_whitespace()
        .filter(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    let ours: Vec<String> = d
        .chunks
        .iter()
        .map(|c| tshark_name(c.chunk_type()))
        .collect();
    assert_eq!(ours, names, "packet [{}]: chunk types", d.cap.index);

    let tsns: Vec<u32> = d
        .chunks
        .iter()
        .filter_map(|c| match c {
            Chunk::Data(data) => Some(data.tsn.0),
            _ => None,
        })
        .collect();
    assert_eq!(
        tsns,
        numbers_after(summary, "TSN="),
        "packet [{}]: TSNs",
        d.cap.index
    );

    let sacks: Vec<(u32, u32)> = d
        .chunks
        .iter()
        .filter_map(|c| match c {
            Chunk::Sack(s) => Some((s.cum_tsn_ack.0, s.a_rwnd)),
            _ => None,
        })
        .collect();
    let tshark_sacks: Vec<(u32, u32)> = numbers_after(summary, "Ack=")
        .into_iter()
        .zip(numbers_after(summary, "Arwnd="))
        .collect();
    assert_eq!(sacks, tshark_sacks, "packet [{}]: SACKs", d.cap.index);
}

/// RFC 9260 §8.5: the INIT carries tag 0 and every later packet the
/// Initiate Tag its receiver chose (in the INIT or INIT ACK), or its own
/// tag when the chunk's T bit says it is reflected (§8.5.1).
fn assert_verification_tags(packets: &[Decoded]) {
    let Chunk::Init(init) = packets[0].only() else {
        panic!("a capture starts with an INIT");
    };
    assert!(packets[0].cap.from_client);
    assert_eq!(packets[0].header().verification_tag, 0, "INIT has tag 0");
    let Chunk::InitAck(init_ack) = packets[1].only() else {
        panic!("the INIT ACK follows");
    };
    assert!(!packets[1].cap.from_client);
    let client_tag = init.initiate_tag;
    let server_tag = init_ack.initiate_tag;
    assert_ne!(client_tag, 0);
    assert_ne!(server_tag, 0);
    for d in &packets[1..] {
        let reflected = d.chunks.iter().any(|c| match c {
            Chunk::Abort(a) => a.tag_reflected,
            Chunk::ShutdownComplete(s) => s.tag_reflected,
            _ => false,
        });
        // The receiver's tag, or the sender's own when reflected.
        let expected = match (d.cap.from_client, reflected) {
            (true, false) | (false, true) => server_tag,
            (false, false) | (true, true) => client_tag,
        };
        assert_eq!(
            d.header().verification_tag,
            expected,
            "packet [{}] ({})",
            d.cap.index,
            d.cap.comment
        );
    }
}

/// Re-encodes every chunk alone and the whole packet with the builder, and
/// compares with the captured bytes.
///
/// Per chunk, the bytes compared are the chunk as its Length field
/// delimits it (header and value, without the trailing padding); per
/// packet, the whole datagram, padding and CRC32c included, built with an
/// MTU equal to the captured size.
///
/// None of the four captures needed an exception: usrsctp and pion encode
/// every chunk, parameter and error cause canonically here (a chunk Length
/// that leaves out the final parameter's padding, zero padding bytes,
/// reserved flag bits zero, Supported Extensions of odd length padded
/// between parameters). A stack that counts the last parameter's padding
/// in a chunk Length (RFC 9260 §3.2 lets a receiver accept either) would
/// show up here as a chunk four bytes or fewer shorter once re-encoded.
fn assert_round_trip(d: &Decoded) {
    let wire = &d.cap.datagram;
    for (raw, chunk) in d.packet.raw_chunks().zip(&d.chunks) {
        let raw = raw.expect("framing was checked by decode");
        let on_wire = &wire[raw.offset..raw.offset + 4 + raw.value.len()];
        assert_eq!(
            chunk.encoded_len(),
            on_wire.len(),
            "packet [{}]: {chunk} Length",
            d.cap.index
        );
        assert_eq!(
            &chunk.to_bytes()[..],
            on_wire,
            "packet [{}]: {chunk} re-encoded",
            d.cap.index
        );
    }

    let h = d.header();
    let header = CommonHeader::new(h.src_port, h.dst_port, h.verification_tag);
    let mut builder = PacketBuilder::new(header, wire.len()).expect("a valid MTU");
    for chunk in &d.chunks {
        builder
            .push(chunk)
            .unwrap_or_else(|e| panic!("packet [{}]: {e}", d.cap.index));
    }
    assert_eq!(builder.remaining(), 0, "packet [{}]: size", d.cap.index);
    let rebuilt = builder.finish(ChecksumMode::Crc32c);
    assert_eq!(rebuilt, *wire, "packet [{}] rebuilt", d.cap.index);
}

/// The value of the INIT or INIT ACK that packet `d` holds.
fn init_of(d: &Decoded) -> &sctp_wire::Init {
    match d.only() {
        Chunk::Init(i) | Chunk::InitAck(i) => i,
        other => panic!("packet [{}] is {other}, not an INIT (ACK)", d.cap.index),
    }
}

/// The State Cookie of an INIT ACK.
fn state_cookie(init_ack: &sctp_wire::Init) -> &Bytes {
    let cookies: Vec<&Bytes> = init_ack
        .params
        .iter()
        .filter_map(|p| match p {
            Param::StateCookie(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(cookies.len(), 1, "an INIT ACK carries one State Cookie");
    cookies[0]
}

/// Asserts an unknown parameter: its type, its value and the action its
/// two upper bits ask for (RFC 9260 §3.2.1).
#[track_caller]
fn assert_unknown(param: &Param, kind: ParamType, value: &[u8], action: UnrecognizedAction) {
    match param {
        Param::Unknown { kind: k, value: v } => {
            assert_eq!(*k, kind);
            assert_eq!(&v[..], value, "value of {kind}");
        }
        other => panic!("expected an unknown {kind}, got {other:?}"),
    }
    assert!(!Param::recognizes(kind));
    assert_eq!(param.unrecognized_action(), Some(action));
    assert_eq!(kind.unrecognized_action(), action);
}

/// The COOKIE ECHO of packet `echo` returns the cookie of INIT ACK packet
/// `ack` byte for byte, and both are slices of their datagrams.
fn assert_cookie_echoed(packets: &[Decoded], ack: usize, echo: usize) {
    let cookie = state_cookie(init_of(&packets[ack]));
    let Chunk::CookieEcho(echoed) = packets[echo].only() else {
        panic!("packet [{echo}] is a COOKIE ECHO");
    };
    assert_eq!(echoed.cookie, cookie);
    // COOKIE ECHO: common header, chunk header, then the cookie.
    assert_slice_of(&echoed.cookie, &packets[echo].cap.datagram, 16);
    // INIT ACK: the cookie is the value of a parameter inside the chunk.
    let ack_wire = &packets[ack].cap.datagram;
    let at = cookie.as_ptr() as usize - ack_wire.as_ptr() as usize;
    assert_slice_of(cookie, ack_wire, at);
    assert_eq!(
        &ack_wire[at - 4..at - 2],
        &[0, 7],
        "preceded by a type 7 header"
    );
}

/// Every HEARTBEAT ACK echoes the Heartbeat Info of a HEARTBEAT sent the
/// other way; returns how many were matched.
fn assert_heartbeats_echoed(packets: &[Decoded]) -> usize {
    let mut matched = 0;
    for ack in packets {
        let Chunk::HeartbeatAck(hb_ack) = ack.only() else {
            continue;
        };
        let request = packets
            .iter()
            .find(|d| matches!(d.only(), Chunk::Heartbeat(hb) if hb.info == hb_ack.info))
            .unwrap_or_else(|| panic!("packet [{}] acks no HEARTBEAT", ack.cap.index));
        assert_ne!(request.cap.from_client, ack.cap.from_client);
        assert!(request.cap.index < ack.cap.index);
        // HEARTBEAT ACK: header, chunk header, Heartbeat Info header, info.
        assert_slice_of(&hb_ack.info, &ack.cap.datagram, 20);
        matched += 1;
    }
    matched
}

fn data(d: &Decoded) -> &sctp_wire::DataChunk {
    match d.only() {
        Chunk::Data(data) => data,
        other => panic!("packet [{}] is {other}, not DATA", d.cap.index),
    }
}

fn sack(d: &Decoded) -> &sctp_wire::Sack {
    match d.only() {
        Chunk::Sack(s) => s,
        other => panic!("packet [{}] is {other}, not a SACK", d.cap.index),
    }
}

// ---------------------------------------------------------------------------
// Every capture

#[test]
fn every_captured_packet_decodes_with_its_crc32c_and_matches_tshark() {
    for (name, text) in ALL {
        let packets = decode_all(text);
        for d in &packets {
            assert_matches_tshark(d);
        }
        assert_verification_tags(&packets);
        eprintln!("{name}: {} packets", packets.len());
    }
}

#[test]
fn every_captured_packet_re_encodes_to_the_same_bytes() {
    for (_, text) in ALL {
        for d in decode_all(text) {
            assert_round_trip(&d);
        }
    }
}

#[test]
fn a_flipped_bit_fails_the_crc32c() {
    for (_, text) in ALL {
        for cap in load(text) {
            let mut bytes = cap.datagram.to_vec();
            let last = bytes.len() - 1;
            bytes[last] ^= 0x01;
            let err = Packet::decode(Bytes::from(bytes), ChecksumCheck::Required).unwrap_err();
            assert!(
                matches!(err, sctp_wire::WireError::ChecksumMismatch { .. }),
                "packet [{}]: {err}",
                cap.index
            );
        }
    }
}

// ---------------------------------------------------------------------------
// usrsctp: echo_server and client, "hello\n" and back

/// usrsctp's AUTH parameters (RFC 4895), which this crate keeps unknown;
/// their type's upper bits `10` say "skip, don't report".
fn assert_usrsctp_auth_params(params: &[Param], random: &[u8]) {
    assert_unknown(
        &params[0],
        ParamType::RANDOM,
        random,
        UnrecognizedAction::Skip,
    );
    // HMAC-ALGO: SHA-1 (1).
    assert_unknown(
        &params[1],
        ParamType::HMAC_ALGORITHM,
        &[0, 1],
        UnrecognizedAction::Skip,
    );
    // CHUNKS: ASCONF-ACK and ASCONF must be authenticated.
    assert_unknown(
        &params[2],
        ParamType::CHUNK_LIST,
        &[0x80, 0xc1],
        UnrecognizedAction::Skip,
    );
}

/// The parameters both usrsctp INIT and INIT ACK open with.
fn assert_usrsctp_extensions(params: &[Param]) {
    // ECN Capable (0x8000), unknown to this crate: skip, don't report.
    assert_unknown(
        &params[0],
        ParamType::ECN_CAPABLE,
        &[],
        UnrecognizedAction::Skip,
    );
    assert_eq!(params[1], Param::ForwardTsnSupported);
    // Its type 0xC000 would say "skip and report" to a stack without PR-SCTP.
    assert_eq!(
        ParamType::FORWARD_TSN_SUPPORTED.unrecognized_action(),
        UnrecognizedAction::SkipAndReport
    );
    let Param::SupportedExtensions(ext) = &params[2] else {
        panic!("Supported Extensions expected, got {:?}", params[2]);
    };
    assert_eq!(
        ext.iter().collect::<Vec<_>>(),
        [
            ChunkType::FORWARD_TSN,
            ChunkType::AUTH,
            ChunkType::ASCONF,
            ChunkType::ASCONF_ACK,
            ChunkType::RE_CONFIG
        ]
    );
    // Five bytes of chunk types: the Length is 9 and three bytes of padding
    // follow before the next parameter.
    assert_eq!(params[2].encoded_len(), 9);
}

/// The address parameters usrsctp lists: every local address of the
/// capture machine (eth0 has 192.0.2.2 and fd00::2).
fn assert_echo_addresses(params: &[Param]) {
    assert_eq!(
        params,
        [
            Param::Ipv6Address("fd00::2".parse::<Ipv6Addr>().unwrap()),
            Param::Ipv4Address(Ipv4Addr::new(192, 0, 2, 2)),
            Param::Ipv6Address(Ipv6Addr::LOCALHOST),
            Param::Ipv4Address(Ipv4Addr::LOCALHOST),
        ]
    );
}

#[test]
fn usrsctp_echo_handshake() {
    let p = decode_all(USRSCTP_ECHO);
    assert_eq!(p.len(), 23);

    // [0] INIT, client (SCTP port 5001) -> echo_server (port 7).
    assert_eq!(
        *p[0].header(),
        CommonHeader {
            src_port: 5001,
            dst_port: 7,
            verification_tag: 0,
            checksum: tshark_crc32c(0x3f2a_5b48),
        }
    );
    assert_eq!(&p[0].cap.datagram[8..12], &[0x3f, 0x2a, 0x5b, 0x48]);
    let init = init_of(&p[0]);
    assert!(matches!(p[0].only(), Chunk::Init(_)));
    assert_eq!(init.initiate_tag, 0xbe29_e69e);
    assert_eq!(init.a_rwnd, 131_072);
    assert_eq!(init.outbound_streams, 10);
    assert_eq!(init.inbound_streams, 2048);
    assert_eq!(init.initial_tsn, Tsn(502_205_795));
    assert_eq!(init.params.len(), 11);
    assert_usrsctp_extensions(&init.params[0..3]);
    assert_usrsctp_auth_params(
        &init.params[3..6],
        &from_hex("3a5f58ad69df07b9e81c6d70b999ca9a7dff1e1273cd9a06434e360cf0e0c358"),
    );
    assert_eq!(
        init.params[6],
        Param::SupportedAddressTypes([ParamType::IPV4_ADDRESS, ParamType::IPV6_ADDRESS].into())
    );
    assert_echo_addresses(&init.params[7..11]);
    // tshark: INIT chunk length 156, which is the whole packet after the header.
    assert_eq!(p[0].only().encoded_len(), 156);

    // [1] INIT ACK: the same offer back, no Supported Address Types, then
    // a 436-byte cookie.
    assert!(matches!(p[1].only(), Chunk::InitAck(_)));
    assert_eq!(p[1].header().src_port, 7);
    assert_eq!(p[1].header().dst_port, 5001);
    assert_eq!(p[1].header().verification_tag, init.initiate_tag);
    let ack = init_of(&p[1]);
    assert_eq!(ack.initiate_tag, 0xa23c_b28d);
    assert_eq!(ack.a_rwnd, 131_072);
    assert_eq!(ack.outbound_streams, 10);
    assert_eq!(ack.inbound_streams, 2048);
    assert_eq!(ack.initial_tsn, Tsn(1_706_630_119));
    assert_eq!(ack.params.len(), 11);
    assert_usrsctp_extensions(&ack.params[0..3]);
    assert_usrsctp_auth_params(
        &ack.params[3..6],
        &from_hex("87a0000ea4671905ffacb57e6e253abf2e76ad869200d45c6e8c096af182eff8"),
    );
    assert_echo_addresses(&ack.params[6..10]);
    let cookie = state_cookie(ack);
    assert_eq!(cookie.len(), 436);
    // usrsctp's cookie opens with its KAME identification string.
    assert!(cookie.starts_with(b"KAME-BSD 1.1\0"));
    assert_eq!(p[1].only().encoded_len(), 588);

    // [2] COOKIE ECHO returns it; [3] COOKIE ACK.
    assert_cookie_echoed(&p, 1, 2);
    assert_eq!(p[2].only().encoded_len(), 440);
    assert_eq!(*p[3].only(), Chunk::CookieAck);
}

#[test]
fn usrsctp_echo_heartbeats_to_every_address_are_answered() {
    let p = decode_all(USRSCTP_ECHO);
    // [4..16]: each side probes the three addresses of the other that the
    // handshake did not use (fd00::2, 192.0.2.2, ::1), and each probe is
    // answered; all over the same UDP flow.
    let beats: Vec<&Decoded> = p[4..16]
        .iter()
        .filter(|d| matches!(d.only(), Chunk::Heartbeat(_)))
        .collect();
    assert_eq!(beats.len(), 6);
    assert_eq!(beats.iter().filter(|d| d.cap.from_client).count(), 3);
    for hb in &beats {
        let Chunk::Heartbeat(h) = hb.only() else {
            unreachable!()
        };
        // tshark: Heartbeat info parameter of length 40, 36 bytes of info.
        assert_eq!(h.info.len(), 36);
        assert_eq!(hb.only().encoded_len(), 44);
    }
    assert_eq!(assert_heartbeats_echoed(&p), 6);

    // [15]: tshark printed this Heartbeat Information for the server's
    // HEARTBEAT ACK to the client's probe of 192.0.2.2.
    let Chunk::HeartbeatAck(h) = p[15].only() else {
        panic!("[15] is a HEARTBEAT ACK")
    };
    assert!(!p[15].cap.from_client);
    assert_eq!(
        h.info,
        from_hex("f3fc076b28eb0e0089231fbdf69b08bc02100000c0000202000000000000000000000000")
    );
}

#[test]
fn usrsctp_echo_data_sack_and_shutdown() {
    let p = decode_all(USRSCTP_ECHO);
    let init = init_of(&p[0]);
    let ack = init_of(&p[1]);

    // [16] DATA "hello\n" from the client: the first TSN is the INIT's Initial TSN.
    let hello = data(&p[16]);
    assert!(p[16].cap.from_client);
    assert_eq!(hello.tsn, init.initial_tsn);
    assert_eq!(hello.tsn, Tsn(502_205_795));
    assert_eq!(hello.stream_id, StreamId(0));
    assert_eq!(hello.ssn, Ssn(0));
    assert_eq!(hello.ppid, Ppid(0));
    assert!(hello.beginning && hello.ending);
    assert!(!hello.unordered && !hello.immediate_sack);
    assert_eq!(&hello.payload[..], b"hello\n");
    // Zero copy: the payload sits in the datagram after the 12-byte common
    // header and the 16-byte DATA header.
    assert_slice_of(&hello.payload, &p[16].cap.datagram, 28);
    // Length 22: the two bytes of padding are not counted.
    assert_eq!(p[16].only().encoded_len(), 22);
    assert_eq!(p[16].cap.datagram.len(), 12 + 24);

    // [17] SACK of it: a_rwnd 130810, no gaps, no duplicates.
    let s = sack(&p[17]);
    assert_eq!(s.cum_tsn_ack, hello.tsn);
    assert_eq!(s.a_rwnd, 130_810);
    assert!(s.gap_blocks.is_empty() && s.duplicate_tsns.is_empty());

    // [18] The echo, [19] its SACK.
    let echo = data(&p[18]);
    assert!(!p[18].cap.from_client);
    assert_eq!(echo.tsn, ack.initial_tsn);
    assert_eq!(&echo.payload[..], b"hello\n");
    assert_slice_of(&echo.payload, &p[18].cap.datagram, 28);
    let s = sack(&p[19]);
    assert_eq!(s.cum_tsn_ack, echo.tsn);
    assert_eq!(s.a_rwnd, 131_072);

    // [20] SHUTDOWN acks what the client received: the echo.
    let Chunk::Shutdown(shutdown) = p[20].only() else {
        panic!("[20] is a SHUTDOWN")
    };
    assert!(p[20].cap.from_client);
    assert_eq!(shutdown.cum_tsn_ack, echo.tsn);
    assert_eq!(shutdown.cum_tsn_ack, Tsn(1_706_630_119));
    // [21] SHUTDOWN ACK, [22] SHUTDOWN COMPLETE without the T bit.
    assert_eq!(*p[21].only(), Chunk::ShutdownAck);
    assert!(!p[21].cap.from_client);
    match p[22].only() {
        Chunk::ShutdownComplete(c) => assert!(!c.tag_reflected),
        other => panic!("[22] is {other}"),
    }
    assert_eq!(p[22].header().verification_tag, ack.initiate_tag);
}

// ---------------------------------------------------------------------------
// usrsctp: tsctp with PR-SCTP through relay.py (one DATA duplicated, one lost)

#[test]
fn usrsctp_relay_init_carries_adaptation_layer_indication_and_ipv4_only() {
    let p = decode_all(USRSCTP_RELAY);
    assert_eq!(p.len(), 20);
    assert_eq!(p[0].header().src_port, 52310);
    assert_eq!(p[0].header().dst_port, 5001);

    let init = init_of(&p[0]);
    assert_eq!(init.initiate_tag, 0x28c0_364b);
    assert_eq!(init.a_rwnd, 131_072);
    assert_eq!(init.outbound_streams, 10);
    assert_eq!(init.inbound_streams, 2048);
    assert_eq!(init.initial_tsn, Tsn(4_040_109_561));
    assert_eq!(init.params.len(), 10);
    // tsctp sets an Adaptation Layer Indication (0xC006, indication 0),
    // which this crate keeps unknown: "skip and report".
    assert_unknown(
        &init.params[0],
        ParamType::ADAPTATION_LAYER_INDICATION,
        &[0, 0, 0, 0],
        UnrecognizedAction::SkipAndReport,
    );
    assert_usrsctp_extensions(&init.params[1..4]);
    assert_usrsctp_auth_params(
        &init.params[4..7],
        &from_hex("c184b20da9788b8d16d6ffa8511db515e5f2280ef85cf1b8720a0a50af407bc1"),
    );
    // An IPv4 socket: one address type, so Length 6 and two bytes of
    // padding before the next parameter.
    assert_eq!(
        init.params[7],
        Param::SupportedAddressTypes([ParamType::IPV4_ADDRESS].into())
    );
    assert_eq!(init.params[7].encoded_len(), 6);
    assert_eq!(
        init.params[8..],
        [
            Param::Ipv4Address(Ipv4Addr::new(192, 0, 2, 2)),
            Param::Ipv4Address(Ipv4Addr::LOCALHOST),
        ]
    );
    assert_eq!(p[0].only().encoded_len(), 124);

    let ack = init_of(&p[1]);
    assert_eq!(ack.initiate_tag, 0xdccb_7c7f);
    assert_eq!(ack.initial_tsn, Tsn(1_943_812_418));
    assert_eq!(state_cookie(ack).len(), 372);
    assert_cookie_echoed(&p, 1, 2);
    assert_eq!(*p[3].only(), Chunk::CookieAck);

    // [4] The receiver's HEARTBEAT to 192.0.2.2 goes unanswered: the relay
    // only listens on 127.0.0.1.
    assert!(matches!(p[4].only(), Chunk::Heartbeat(_)));
    assert_eq!(assert_heartbeats_echoed(&p), 0);
}

#[test]
fn usrsctp_relay_sacks_report_the_duplicate_and_the_gap_then_forward_tsn_skips_it() {
    let p = decode_all(USRSCTP_RELAY);
    let first = Tsn(4_040_109_561);
    let tsn = |n: u32| Tsn(first.0 + n);

    // Six 100-byte messages on stream 0, SSN 0..5, TSN first+0..5. The relay
    // sent the 2nd DATA datagram twice ([6], [7]) and dropped the 4th (TSN
    // first+3, SSN 3), which therefore is not in the capture.
    let sent: [(usize, u32, u16); 6] = [
        (5, 0, 0),
        (6, 1, 1),
        (7, 1, 1),
        (8, 2, 2),
        (9, 4, 4),
        (13, 5, 5),
    ];
    for (i, n, ssn) in sent {
        let d = data(&p[i]);
        assert!(p[i].cap.from_client);
        assert_eq!(d.tsn, tsn(n), "packet [{i}]");
        assert_eq!(d.ssn, Ssn(ssn), "packet [{i}]");
        assert_eq!(d.stream_id, StreamId(0));
        assert_eq!(d.ppid, Ppid(0));
        assert!(d.beginning && d.ending && !d.unordered);
        // tsctp fills its messages with 'b'.
        assert_eq!(d.payload, Bytes::from(vec![b'b'; 100]));
        assert_slice_of(&d.payload, &p[i].cap.datagram, 28);
        assert_eq!(p[i].only().encoded_len(), 116);
    }
    assert_eq!(p[6].cap.datagram, p[7].cap.datagram);
    // The last message, sent as tsctp closes, asks for an immediate SACK
    // (I bit, RFC 9260 §3.3.1): flags 0x0b.
    assert!(data(&p[13]).immediate_sack);
    assert_eq!(p[13].only().flags(), 0x0b);
    assert!(!data(&p[9]).immediate_sack);

    // [10] cum ack first+0.
    let s = sack(&p[10]);
    assert_eq!((s.cum_tsn_ack, s.a_rwnd), (tsn(0), 130_716));
    assert!(s.gap_blocks.is_empty() && s.duplicate_tsns.is_empty());
    // [11] cum ack first+1 and the duplicate of first+1.
    let s = sack(&p[11]);
    assert_eq!((s.cum_tsn_ack, s.a_rwnd), (tsn(1), 130_360));
    assert!(s.gap_blocks.is_empty());
    assert_eq!(s.duplicate_tsns.iter().collect::<Vec<_>>(), [tsn(1)]);
    assert_eq!(p[11].only().encoded_len(), 20);
    // [12] cum ack first+2 and a gap: first+4 arrived, first+3 did not.
    let s = sack(&p[12]);
    assert_eq!((s.cum_tsn_ack, s.a_rwnd), (tsn(2), 129_648));
    assert_eq!(
        s.gap_blocks.iter().collect::<Vec<_>>(),
        [GapAckBlock { start: 2, end: 2 }]
    );
    assert!(s.duplicate_tsns.is_empty());
    // [14] The gap block grows over first+5.
    let s = sack(&p[14]);
    assert_eq!((s.cum_tsn_ack, s.a_rwnd), (tsn(2), 130_360));
    assert_eq!(
        s.gap_blocks.iter().collect::<Vec<_>>(),
        [GapAckBlock { start: 2, end: 3 }]
    );

    // [15] PR-SCTP with no retransmissions: the sender abandons first+3
    // (stream 0, SSN 3) with a FORWARD TSN (RFC 3758 §3.2).
    let Chunk::ForwardTsn(fwd) = p[15].only() else {
        panic!("[15] is a FORWARD TSN")
    };
    assert!(p[15].cap.from_client);
    assert_eq!(fwd.new_cum_tsn, tsn(3));
    assert_eq!(
        fwd.streams.iter().collect::<Vec<_>>(),
        [ForwardTsnStream {
            stream_id: StreamId(0),
            ssn: Ssn(3)
        }]
    );
    assert_eq!(p[15].only().encoded_len(), 12);
    // Type 192: a stack without PR-SCTP would skip it and report it.
    assert_eq!(
        ChunkType::FORWARD_TSN.unrecognized_action(),
        UnrecognizedAction::SkipAndReport
    );

    // [16] Now everything is acknowledged.
    let s = sack(&p[16]);
    assert_eq!((s.cum_tsn_ack, s.a_rwnd), (tsn(5), 130_360));
    assert!(s.gap_blocks.is_empty() && s.duplicate_tsns.is_empty());

    // [17] SHUTDOWN: the sender received no DATA, so its cumulative TSN
    // ack is the peer's Initial TSN - 1 (RFC 9260 §6.2).
    let Chunk::Shutdown(shutdown) = p[17].only() else {
        panic!("[17] is a SHUTDOWN")
    };
    assert_eq!(shutdown.cum_tsn_ack, Tsn(init_of(&p[1]).initial_tsn.0 - 1));
    assert_eq!(shutdown.cum_tsn_ack, Tsn(1_943_812_417));
    assert_eq!(*p[18].only(), Chunk::ShutdownAck);
    assert!(matches!(p[19].only(), Chunk::ShutdownComplete(c) if !c.tag_reflected));
}

// ---------------------------------------------------------------------------
// pion/sctp: goldenpion association 1

/// pion's INIT and INIT ACK offer RE-CONFIG and FORWARD TSN in a Supported
/// Extensions parameter, and no Forward-TSN-Supported parameter.
#[track_caller]
fn assert_pion_extensions(param: &Param) {
    assert_eq!(
        *param,
        Param::SupportedExtensions([ChunkType::RE_CONFIG, ChunkType::FORWARD_TSN].into())
    );
}

#[test]
fn pion_handshake() {
    for (text, tags, tsns, cookie) in [
        (
            PION_RECONFIG,
            (0xf978_d442, 0xdcab_fb8a),
            (2_672_320_047, 965_259_931),
            "1ac319c70b7b7b486eb40256ae7478da4097d8af109ed1cd52dabe2404a13f1e",
        ),
        (
            PION_ABORT,
            (0x5d3d_5d20, 0xbe9b_5130),
            (789_725_019, 218_740_134),
            "ebc87da84deb9c075c72b1dc761d079183ce0b8cc4e66f4d74472b804cfe1609",
        ),
    ] {
        let p = decode_all(text);
        for d in &p {
            assert_eq!(d.header().src_port, 5000);
            assert_eq!(d.header().dst_port, 5000);
        }
        let init = init_of(&p[0]);
        assert!(matches!(p[0].only(), Chunk::Init(_)));
        assert_eq!(init.initiate_tag, tags.0);
        assert_eq!(init.a_rwnd, 1_048_576);
        assert_eq!(init.outbound_streams, 65_535);
        assert_eq!(init.inbound_streams, 65_535);
        assert_eq!(init.initial_tsn, Tsn(tsns.0));
        assert_eq!(init.params.len(), 1);
        assert_pion_extensions(&init.params[0]);
        // Length 26: two chunk types make a 6-byte parameter, and the chunk's
        // two bytes of padding are left out of its Length.
        assert_eq!(p[0].only().encoded_len(), 26);
        assert_eq!(p[0].cap.datagram.len(), 12 + 28);

        let ack = init_of(&p[1]);
        assert!(matches!(p[1].only(), Chunk::InitAck(_)));
        assert_eq!(ack.initiate_tag, tags.1);
        assert_eq!(ack.a_rwnd, 1_048_576);
        assert_eq!(ack.outbound_streams, 65_535);
        assert_eq!(ack.inbound_streams, 65_535);
        assert_eq!(ack.initial_tsn, Tsn(tsns.1));
        // pion puts the cookie first.
        assert_eq!(ack.params.len(), 2);
        assert_eq!(
            ack.params[0],
            Param::StateCookie(Bytes::from(from_hex(cookie)))
        );
        assert_pion_extensions(&ack.params[1]);
        assert_eq!(p[1].only().encoded_len(), 62);

        assert_cookie_echoed(&p, 1, 2);
        assert_eq!(*p[3].only(), Chunk::CookieAck);
    }
}

#[test]
fn pion_data_fragments_and_unordered() {
    let p = decode_all(PION_RECONFIG);
    let first = init_of(&p[0]).initial_tsn;
    let tsn = |n: u32| Tsn(first.0 + n);

    // [4] "hello from pion", stream 1, PPID 51 (WebRTC String).
    let d = data(&p[4]);
    assert_eq!(d.tsn, first);
    assert_eq!(
        (d.stream_id, d.ssn, d.ppid),
        (StreamId(1), Ssn(0), Ppid(51))
    );
    assert!(d.beginning && d.ending && !d.unordered);
    assert_eq!(&d.payload[..], b"hello from pion");
    assert_slice_of(&d.payload, &p[4].cap.datagram, 28);
    assert_eq!(p[4].only().encoded_len(), 31);
    let s = sack(&p[5]);
    assert_eq!((s.cum_tsn_ack, s.a_rwnd), (first, 1_048_576));

    // [6..9] One 2560-byte message, PPID 53 (WebRTC Binary), cut by pion
    // into 1200 + 1200 + 160 bytes: flags B, none, E; one SSN.
    let frags: Vec<_> = (6..9).map(|i| data(&p[i])).collect();
    let flags: Vec<_> = (6..9).map(|i| p[i].only().flags()).collect();
    assert_eq!(flags, [0x02, 0x00, 0x01]);
    let mut message = Vec::new();
    for (n, f) in frags.iter().enumerate() {
        assert_eq!(f.tsn, tsn(1 + n as u32));
        assert_eq!(
            (f.stream_id, f.ssn, f.ppid),
            (StreamId(1), Ssn(1), Ppid(53))
        );
        assert_eq!(f.beginning, n == 0);
        assert_eq!(f.ending, n == 2);
        assert_slice_of(&f.payload, &p[6 + n].cap.datagram, 28);
        message.extend_from_slice(&f.payload);
    }
    assert_eq!(
        frags.iter().map(|f| f.payload.len()).collect::<Vec<_>>(),
        [1200, 1200, 160]
    );
    assert_eq!(message, b"0123456789abcdef".repeat(160));
    assert_eq!(sack(&p[9]).cum_tsn_ack, tsn(3));

    // [10] Unordered (U bit, flags 0x07) on stream 3.
    let d = data(&p[10]);
    assert_eq!(p[10].only().flags(), 0x07);
    assert!(d.unordered && d.beginning && d.ending);
    assert_eq!(
        (d.tsn, d.stream_id, d.ssn, d.ppid),
        (tsn(4), StreamId(3), Ssn(0), Ppid(51))
    );
    assert_eq!(&d.payload[..], b"unordered message");
    assert_eq!(sack(&p[11]).cum_tsn_ack, tsn(4));
}

#[test]
fn pion_duplicate_loss_and_forward_tsn() {
    let p = decode_all(PION_RECONFIG);
    let first = init_of(&p[0]).initial_tsn;
    let tsn = |n: u32| Tsn(first.0 + n);

    // [12], [13] The same DATA twice: goldenpion's conn wrote it twice.
    assert_eq!(p[12].cap.datagram, p[13].cap.datagram);
    let d = data(&p[12]);
    assert_eq!((d.tsn, d.stream_id, d.ssn), (tsn(5), StreamId(1), Ssn(2)));
    assert_eq!(&d.payload[..], b"duplicated message");
    // [14] pion 1.8.6 never fills the duplicate TSN list: its receiver
    // drops a duplicate before recording it.
    let s = sack(&p[14]);
    assert_eq!((s.cum_tsn_ack, s.a_rwnd), (tsn(5), 1_048_558));
    assert!(s.duplicate_tsns.is_empty() && s.gap_blocks.is_empty());

    // tsn(6), "lost message" on stream 2 SSN 0, never reached the wire.
    // [15] The next message on stream 2 (partial reliability, no
    // retransmissions) makes a gap.
    let d = data(&p[15]);
    assert_eq!((d.tsn, d.stream_id, d.ssn), (tsn(7), StreamId(2), Ssn(1)));
    assert_eq!(&d.payload[..], b"after the lost one");
    let s = sack(&p[16]);
    assert_eq!((s.cum_tsn_ack, s.a_rwnd), (tsn(5), 1_048_558));
    assert_eq!(
        s.gap_blocks.iter().collect::<Vec<_>>(),
        [GapAckBlock { start: 2, end: 2 }]
    );
    assert!(s.duplicate_tsns.is_empty());

    // [17] FORWARD TSN past both stream 2 messages: pion marks a message
    // with zero retransmissions allowed as abandoned as soon as it is sent,
    // delivered or not, so the new cumulative TSN covers tsn(7) and the
    // stream entry names SSN 1.
    let Chunk::ForwardTsn(fwd) = p[17].only() else {
        panic!("[17] is a FORWARD TSN")
    };
    assert_eq!(fwd.new_cum_tsn, tsn(7));
    assert_eq!(
        fwd.streams.iter().collect::<Vec<_>>(),
        [ForwardTsnStream {
            stream_id: StreamId(2),
            ssn: Ssn(1)
        }]
    );
    let s = sack(&p[18]);
    assert_eq!((s.cum_tsn_ack, s.a_rwnd), (tsn(7), 1_048_576));
}

#[test]
fn pion_stream_reset_requests_and_responses() {
    let p = decode_all(PION_RECONFIG);
    let client_tsn = init_of(&p[0]).initial_tsn;
    let server_tsn = init_of(&p[1]).initial_tsn;

    let params = |i: usize| match p[i].only() {
        Chunk::Reconfig(r) => r.params.clone(),
        other => panic!("[{i}] is {other}, not a RE-CONFIG"),
    };

    // [19] The client's Stream.Close(): an Outgoing SSN Reset Request for
    // stream 1. pion numbers requests from its Initial TSN; its last
    // assigned TSN is tsn(7).
    assert!(p[19].cap.from_client);
    let request = params(19);
    assert_eq!(
        request,
        [Param::OutgoingSsnResetRequest {
            request_seq: client_tsn.0,
            response_seq: 0,
            sender_last_tsn: Tsn(client_tsn.0 + 7),
            streams: [StreamId(1)].into(),
        }]
    );
    // One stream: parameter Length 18, chunk Length 22, 2 bytes of padding.
    assert_eq!(request[0].encoded_len(), 18);
    assert_eq!(p[19].only().encoded_len(), 22);
    assert_eq!(p[19].cap.datagram.len(), 12 + 24);
    // Type 130: skip and do not report when unknown.
    assert_eq!(
        ChunkType::RE_CONFIG.unrecognized_action(),
        UnrecognizedAction::Skip
    );

    // [20] The server's response: Success - Performed.
    assert!(!p[20].cap.from_client);
    assert_eq!(
        params(20),
        [Param::ReconfigResponse {
            response_seq: client_tsn.0,
            result: sctp_wire::param::ReconfigResult::SUCCESS_PERFORMED,
            next_tsns: None,
        }]
    );
    assert_eq!(p[20].only().encoded_len(), 16);

    // [21] The server resets its own stream 1 in turn; it sent no DATA, so
    // its last assigned TSN is its Initial TSN - 1. [22] The client agrees.
    assert!(!p[21].cap.from_client);
    assert_eq!(
        params(21),
        [Param::OutgoingSsnResetRequest {
            request_seq: server_tsn.0,
            response_seq: 0,
            sender_last_tsn: Tsn(server_tsn.0 - 1),
            streams: [StreamId(1)].into(),
        }]
    );
    assert!(p[22].cap.from_client);
    assert_eq!(
        params(22),
        [Param::ReconfigResponse {
            response_seq: server_tsn.0,
            result: sctp_wire::param::ReconfigResult::SUCCESS_PERFORMED,
            next_tsns: None,
        }]
    );
    assert_eq!(request_seq_values(&p), [2_672_320_047, 965_259_931]);
}

/// The request sequence numbers of the capture's reset requests, as tshark
/// printed them.
fn request_seq_values(p: &[Decoded]) -> Vec<u32> {
    p.iter()
        .flat_map(|d| &d.chunks)
        .filter_map(|c| match c {
            Chunk::Reconfig(r) => Some(&r.params),
            _ => None,
        })
        .flatten()
        .filter_map(|param| match param {
            Param::OutgoingSsnResetRequest { request_seq, .. } => Some(*request_seq),
            _ => None,
        })
        .collect()
}

#[test]
fn pion_shutdown() {
    let p = decode_all(PION_RECONFIG);
    let client_tsn = init_of(&p[0]).initial_tsn;
    let server_tsn = init_of(&p[1]).initial_tsn;

    // [23] pion 1.8.6 fills the SHUTDOWN's Cumulative TSN Ack with the
    // highest TSN the *peer* acknowledged to it (its own last TSN, tsn(7)),
    // where RFC 9260 §3.3.8 asks for the last TSN it received in sequence
    // (server_tsn - 1 here, as the server sent no DATA). The codec
    // decodes what is on the wire.
    let Chunk::Shutdown(shutdown) = p[23].only() else {
        panic!("[23] is a SHUTDOWN")
    };
    assert!(p[23].cap.from_client);
    assert_eq!(shutdown.cum_tsn_ack, Tsn(client_tsn.0 + 7));
    assert_eq!(shutdown.cum_tsn_ack, Tsn(2_672_320_054));
    assert_ne!(shutdown.cum_tsn_ack, Tsn(server_tsn.0 - 1));

    assert_eq!(*p[24].only(), Chunk::ShutdownAck);
    assert!(!p[24].cap.from_client);
    assert!(matches!(p[25].only(), Chunk::ShutdownComplete(c) if !c.tag_reflected));
    assert_eq!(p.len(), 26);
}

// ---------------------------------------------------------------------------
// pion/sctp: goldenpion association 2, Abort("golden abort")

#[test]
fn pion_abort_with_user_initiated_abort_cause() {
    let p = decode_all(PION_ABORT);
    assert_eq!(p.len(), 7);
    let first = init_of(&p[0]).initial_tsn;

    let d = data(&p[4]);
    assert_eq!(
        (d.tsn, d.stream_id, d.ssn, d.ppid),
        (first, StreamId(0), Ssn(0), Ppid(51))
    );
    assert_eq!(&d.payload[..], b"about to abort");
    let s = sack(&p[5]);
    assert_eq!((s.cum_tsn_ack, s.a_rwnd), (first, 1_048_576));

    // [6] ABORT, T bit clear (so it carries the server's tag, checked by
    // the verification tag test), one User-Initiated Abort cause whose
    // reason is the string given to Abort().
    assert!(p[6].cap.from_client);
    assert_eq!(p[6].header().verification_tag, 0xbe9b_5130);
    let Chunk::Abort(abort) = p[6].only() else {
        panic!("[6] is an ABORT")
    };
    assert!(!abort.tag_reflected);
    assert_eq!(
        abort.causes,
        [ErrorCause::UserInitiatedAbort(Bytes::from_static(
            b"golden abort"
        ))]
    );
    assert_eq!(
        abort.causes[0],
        ErrorCause::user_initiated_abort("golden abort")
    );
    assert_eq!(abort.causes[0].reason_text(), Some("golden abort"));
    // Cause length 16 (4 + 12), chunk length 20.
    assert_eq!(abort.causes[0].encoded_len(), 16);
    assert_eq!(p[6].only().encoded_len(), 20);
    let ErrorCause::UserInitiatedAbort(reason) = &abort.causes[0] else {
        unreachable!()
    };
    // Header 12, chunk header 4, cause header 4.
    assert_slice_of(reason, &p[6].cap.datagram, 20);
}

//! The codec faces the network: malformed input is a typed error naming
//! the element and its offset, never a panic.

mod common;

use bytes::{BufMut, Bytes, BytesMut};
use common::chunks::bundleable_chunk;
use proptest::collection::vec;
use proptest::prelude::*;
use sctp_wire::*;

/// A datagram with the given chunk bytes after a common header and a
/// correct CRC32c.
fn datagram(body: &[u8]) -> Bytes {
    let mut buf = BytesMut::new();
    buf.put_u16(5000);
    buf.put_u16(5000);
    buf.put_u32(1);
    buf.put_u32(0);
    buf.put_slice(body);
    let crc = crc32c(&buf);
    buf[8..12].copy_from_slice(&crc.to_le_bytes());
    buf.freeze()
}

fn first_chunk(body: &[u8]) -> Result<Chunk, WireError> {
    let packet = Packet::decode(datagram(body), ChecksumCheck::Required)?;
    let first = packet.chunks().next().expect("one chunk");
    first
}

#[test]
fn a_datagram_shorter_than_the_common_header_is_rejected() {
    // RFC 9260 §3.1: the common header is 12 bytes.
    let err = Packet::decode(Bytes::from_static(&[0; 11]), ChecksumCheck::Skip).unwrap_err();
    assert_eq!(err, WireError::PacketTooShort { len: 11 });
}

#[test]
fn a_packet_without_chunks_is_rejected() {
    let err = Packet::decode(datagram(&[]), ChecksumCheck::Required).unwrap_err();
    assert_eq!(err, WireError::NoChunks);
}

#[test]
fn a_corrupted_byte_fails_the_checksum() {
    // RFC 9260 §6.8: a packet with an invalid CRC32c is discarded.
    let good = datagram(&[11, 0, 0, 4]);
    let mut bad = BytesMut::from(&good[..]);
    bad[13] ^= 0x40;
    let err = Packet::decode(bad.freeze(), ChecksumCheck::Required).unwrap_err();
    assert!(matches!(err, WireError::ChecksumMismatch { .. }), "{err}");
    assert!(Packet::decode(good, ChecksumCheck::Required).is_ok());
}

#[test]
fn zero_checksum_is_accepted_only_when_negotiated() {
    // RFC 9653 §5.2: a zero checksum is valid only once zero checksum was
    // negotiated; a correct CRC32c stays valid either way.
    let mut builder = PacketBuilder::new(CommonHeader::new(1, 2, 3), 1200).unwrap();
    builder.push(&Chunk::CookieAck).unwrap();
    let zero = builder.finish(ChecksumMode::Zero);
    assert_eq!(&zero[8..12], &[0, 0, 0, 0]);
    assert_eq!(
        Packet::decode(zero.clone(), ChecksumCheck::Required).unwrap_err(),
        WireError::ZeroChecksumNotAllowed
    );
    assert!(Packet::decode(zero, ChecksumCheck::ZeroAllowed).is_ok());
    assert!(Packet::decode(datagram(&[11, 0, 0, 4]), ChecksumCheck::ZeroAllowed).is_ok());
}

#[test]
fn a_packet_with_an_init_always_carries_a_crc32c() {
    // RFC 9653 §5.1: zero checksum never applies to an INIT.
    let mut builder = PacketBuilder::new(CommonHeader::new(1, 2, 0), 1200).unwrap();
    builder
        .push(&Chunk::Init(Init {
            initiate_tag: 1,
            a_rwnd: 2,
            outbound_streams: 3,
            inbound_streams: 4,
            initial_tsn: Tsn(5),
            params: vec![],
        }))
        .unwrap();
    let datagram = builder.finish(ChecksumMode::Zero);
    assert!(Packet::decode(datagram, ChecksumCheck::Required).is_ok());
}

#[test]
fn a_chunk_length_below_four_names_the_chunk_and_offset() {
    // RFC 9260 §3.2: Chunk Length includes the 4-byte header.
    let err = Packet::decode(datagram(&[0, 3, 0, 3]), ChecksumCheck::Required).unwrap_err();
    assert_eq!(
        err,
        WireError::TooShort {
            element: Element::Chunk(ChunkType::DATA),
            offset: 12,
            length: 3,
            min: 4
        }
    );
    assert_eq!(
        err.to_string(),
        "DATA (0) chunk at byte 12: length 3 is below its minimum of 4"
    );
}

#[test]
fn a_chunk_length_past_the_end_is_truncation() {
    let body = [11, 0, 0, 4, 3, 0, 0, 40, 0, 0, 0, 0];
    let err = Packet::decode(datagram(&body), ChecksumCheck::Required).unwrap_err();
    assert_eq!(
        err,
        WireError::Truncated {
            element: Element::Chunk(ChunkType::SACK),
            offset: 16,
            length: 40,
            available: 8
        }
    );
}

#[test]
fn trailing_bytes_too_short_for_a_chunk_header_are_rejected() {
    let err = Packet::decode(datagram(&[11, 0, 0, 4, 0, 0]), ChecksumCheck::Required).unwrap_err();
    assert!(
        matches!(
            err,
            WireError::Truncated {
                offset: 16,
                available: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_last_chunk_may_omit_its_padding() {
    // RFC 9260 §3.2: receivers accept a chunk whether or not its final
    // padding is present; here the packet ends right after a 17-byte DATA.
    let mut body = vec![0, 3, 0, 17, 0, 0, 0, 9, 0, 1, 0, 2, 0, 0, 0, 51, b'z'];
    let Chunk::Data(d) = first_chunk(&body).unwrap() else {
        panic!()
    };
    assert_eq!((d.tsn, &d.payload[..]), (Tsn(9), &b"z"[..]));
    // ... and with the padding present, the same chunk decodes the same.
    body.extend_from_slice(&[0, 0, 0]);
    assert_eq!(first_chunk(&body).unwrap(), Chunk::Data(d));
}

#[test]
fn a_data_chunk_shorter_than_its_fixed_fields_is_rejected() {
    // RFC 9260 §3.3.1: DATA has 12 bytes of fields after the chunk header.
    let err = first_chunk(&[0, 3, 0, 15, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
    assert!(
        matches!(
            err,
            WireError::TooShort {
                length: 15,
                min: 16,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_data_chunk_without_user_data_decodes_for_the_core_to_judge() {
    // RFC 9260 §6.2: the association answers an empty DATA chunk with an
    // ABORT carrying "No User Data"; the codec hands it over intact.
    let Chunk::Data(d) = first_chunk(&[0, 3, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap()
    else {
        panic!()
    };
    assert!(d.payload.is_empty());
}

#[test]
fn sack_counts_must_match_its_length() {
    // RFC 9260 §3.3.4: N gap blocks and M duplicate TSNs follow, 4 bytes each.
    let body = [3, 0, 0, 20, 0, 0, 0, 1, 0, 0, 1, 0, 0, 5, 0, 0, 0, 1, 0, 2];
    let err = first_chunk(&body).unwrap_err();
    assert!(
        matches!(err, WireError::BadLength { length: 20, .. }),
        "{err}"
    );
}

#[test]
fn chunks_without_a_value_must_be_four_bytes() {
    // RFC 9260 §3.3.9, §3.3.12, §3.3.13: fixed length 4.
    for kind in [8u8, 11, 14] {
        let err = first_chunk(&[kind, 0, 0, 8, 0, 0, 0, 0]).unwrap_err();
        assert!(
            matches!(err, WireError::BadLength { length: 8, .. }),
            "{err}"
        );
    }
}

#[test]
fn shutdown_must_be_eight_bytes() {
    // RFC 9260 §3.3.8: Length = 8.
    let err = first_chunk(&[7, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0]).unwrap_err();
    assert!(matches!(err, WireError::BadLength { .. }), "{err}");
}

#[test]
fn forward_tsn_entries_must_be_whole() {
    // RFC 3758 §3.2: 4 bytes per stream entry; RFC 8260 §2.3.1: 8 for I-FORWARD TSN.
    let err = first_chunk(&[192, 0, 0, 10, 0, 0, 0, 1, 0, 1]).unwrap_err();
    assert!(matches!(err, WireError::BadLength { .. }), "{err}");
    let err = first_chunk(&[194, 0, 0, 12, 0, 0, 0, 1, 0, 1, 0, 0]).unwrap_err();
    assert!(matches!(err, WireError::BadLength { .. }), "{err}");
}

#[test]
fn a_bad_chunk_does_not_hide_the_chunks_after_it() {
    // One malformed chunk yields an error; the caller may still look at the next.
    let body = [7, 0, 0, 4, 11, 0, 0, 4];
    let packet = Packet::decode(datagram(&body), ChecksumCheck::Required).unwrap();
    let results: Vec<_> = packet.chunks().collect();
    assert!(results[0].is_err());
    assert_eq!(results[1], Ok(Chunk::CookieAck));
}

#[test]
fn a_parameter_overrunning_its_chunk_names_the_parameter() {
    // INIT with a parameter whose length runs past the chunk.
    let mut body = vec![1, 0, 0, 28];
    body.extend_from_slice(&[0, 0, 0, 1, 0, 0, 16, 0, 0, 1, 0, 1, 0, 0, 0, 1]);
    body.extend_from_slice(&[0xc0, 0, 0, 40, 0, 0, 0, 0]);
    let err = first_chunk(&body).unwrap_err();
    assert_eq!(
        err,
        WireError::Truncated {
            element: Element::Param(ParamType::FORWARD_TSN_SUPPORTED),
            offset: 32,
            length: 40,
            available: 8
        }
    );
}

#[test]
fn heartbeat_must_carry_heartbeat_info() {
    // RFC 9260 §3.3.5: the value is one Heartbeat Information TLV (type 1).
    let err = first_chunk(&[4, 0, 0, 12, 0, 2, 0, 8, 1, 2, 3, 4]).unwrap_err();
    assert!(matches!(err, WireError::Invalid { .. }), "{err}");
    let Chunk::Heartbeat(hb) = first_chunk(&[4, 0, 0, 12, 0, 1, 0, 8, 1, 2, 3, 4]).unwrap() else {
        panic!()
    };
    assert_eq!(&hb.info[..], &[1, 2, 3, 4]);
}

#[test]
fn unknown_chunks_are_kept_with_their_action_bits() {
    // RFC 9260 §3.2: the two high bits of the type say what to do.
    let cases = [
        (0x3e, UnrecognizedAction::Stop),
        (0x7e, UnrecognizedAction::StopAndReport),
        (0xbe, UnrecognizedAction::Skip),
        (0xfe, UnrecognizedAction::SkipAndReport),
    ];
    for (kind, action) in cases {
        let chunk = first_chunk(&[kind, 0x5a, 0, 6, 0xaa, 0xbb, 0, 0]).unwrap();
        assert_eq!(
            chunk,
            Chunk::Unknown {
                kind: ChunkType(kind),
                flags: 0x5a,
                value: Bytes::from_static(&[0xaa, 0xbb])
            }
        );
        assert_eq!(ChunkType(kind).unrecognized_action(), action);
        assert_eq!(action.skips(), kind & 0x80 != 0);
        assert_eq!(action.reports(), kind & 0x40 != 0);
    }
}

#[test]
fn unknown_parameters_keep_their_action_bits() {
    // RFC 9260 §3.2.1: the two high bits of a parameter type say what to do.
    let cases = [
        (0x3fffu16, UnrecognizedAction::Stop),
        (0x7fff, UnrecognizedAction::StopAndReport),
        (0xbfff, UnrecognizedAction::Skip),
        (0xffff, UnrecognizedAction::SkipAndReport),
    ];
    for (kind, action) in cases {
        assert_eq!(ParamType(kind).unrecognized_action(), action);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_datagrams_never_panic(bytes in vec(any::<u8>(), 0..400)) {
        if let Ok(packet) = Packet::decode(Bytes::from(bytes), ChecksumCheck::Skip) {
            for chunk in packet.chunks().flatten() {
                prop_assert_eq!(chunk.to_bytes().len(), chunk.encoded_len());
            }
        }
    }

    #[test]
    fn mutated_valid_packets_never_panic(
        chunks in vec(bundleable_chunk(), 1..4),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut builder = PacketBuilder::new(CommonHeader::new(1, 2, 3), 1 << 16).unwrap();
        for chunk in &chunks {
            builder.push(chunk).unwrap();
        }
        let mut bytes = BytesMut::from(&builder.finish(ChecksumMode::Crc32c)[..]);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let keep = 12 + cut.index(bytes.len() - 11);
        bytes.truncate(keep);
        if let Ok(packet) = Packet::decode(bytes.freeze(), ChecksumCheck::Skip) {
            for chunk in packet.chunks().flatten() {
                // Whatever decodes must encode again without panicking.
                let _ = chunk.to_bytes();
            }
            // Taking the packet changes where the last value lives, not
            // what the chunks or their errors are.
            let borrowed: Vec<_> = packet.raw_chunks().collect();
            let owned: Vec<_> = packet.clone().into_raw_chunks().collect();
            prop_assert_eq!(owned, borrowed);
            let borrowed: Vec<_> = packet.chunks().collect();
            let owned: Vec<_> = packet.into_chunks().collect();
            prop_assert_eq!(owned, borrowed);
        }
    }
}

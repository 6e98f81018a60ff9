//! Parameters (RFC 9260 §3.2.1 and the extensions' parameters) and error
//! causes (RFC 9260 §3.3.10): round trips for every variant, canonical
//! bytes re-encoded unchanged, padded lists, one unit test per length rule,
//! and decoding of random bytes that never panics.

mod common;

use bytes::{BufMut, Bytes, BytesMut};
use common::causes::{any_cause, canonical_cause_bytes, RECOGNIZED_CAUSE_CODES};
use common::params::{any_param, canonical_param_bytes, tlv, RECOGNIZED_PARAM_TYPES};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use sctp_wire::param::{ReconfigResult, EDMID_DTLS};
use sctp_wire::{
    padded, CauseCode, ChunkType, Element, Encode, ErrorCause, PackedList, Param, ParamType,
    RawChunk, RawTlv, StreamId, Tsn, UnrecognizedAction, WireError,
};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Encodes `items` the way chunks lay them out: padded between elements,
/// not after the last (RFC 9260 §3.2).
fn encode_list<T: Encode>(items: &[T]) -> Bytes {
    let mut buf = BytesMut::new();
    for (i, item) in items.iter().enumerate() {
        item.encode(&mut buf);
        if i + 1 < items.len() {
            buf.put_bytes(0, item.padded_len() - item.encoded_len());
        }
    }
    buf.freeze()
}

/// Concatenates wire TLVs, zero-padding each to four bytes except the last.
fn join_padded(tlvs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, t) in tlvs.iter().enumerate() {
        out.extend_from_slice(t);
        if i + 1 < tlvs.len() {
            out.resize(padded(out.len()), 0);
        }
    }
    out
}

/// Checks `encode` against `encoded_len`, the header against the element,
/// and returns the encoding. Encodes after some bytes already in the
/// buffer, to catch an encoder that writes relative to the start.
fn encode_checked<T: Encode>(item: &T, kind: u16) -> Bytes {
    let mut buf = BytesMut::from(&b"xyz"[..]);
    item.encode(&mut buf);
    assert_eq!(
        buf.len() - 3,
        item.encoded_len(),
        "encode wrote a different length"
    );
    let bytes = buf.freeze().slice(3..);
    assert_eq!(
        u16::from_be_bytes([bytes[0], bytes[1]]),
        kind,
        "type in header"
    );
    assert_eq!(
        usize::from(u16::from_be_bytes([bytes[2], bytes[3]])),
        item.encoded_len(),
        "length in header"
    );
    assert_eq!(item.padded_len(), padded(item.encoded_len()));
    assert_eq!(item.to_bytes(), bytes);
    bytes
}

fn decode_param(bytes: &[u8]) -> Result<Vec<Param>, WireError> {
    Param::decode_list(Bytes::copy_from_slice(bytes), 0)
}

fn decode_cause(bytes: &[u8]) -> Result<Vec<ErrorCause>, WireError> {
    ErrorCause::decode_list(Bytes::copy_from_slice(bytes), 0)
}

/// The one parameter `bytes` holds, which must decode.
fn one_param(bytes: &[u8]) -> Param {
    let mut list = decode_param(bytes).expect("decodes");
    assert_eq!(list.len(), 1);
    list.pop().unwrap()
}

/// The one cause `bytes` holds, which must decode.
fn one_cause(bytes: &[u8]) -> ErrorCause {
    let mut list = decode_cause(bytes).expect("decodes");
    assert_eq!(list.len(), 1);
    list.pop().unwrap()
}

/// A key telling variants apart: recognized variants by type, every
/// `Unknown` as one.
fn param_variant(p: &Param) -> Option<u16> {
    match p {
        Param::Unknown { .. } => None,
        other => Some(other.param_type().0),
    }
}

fn cause_variant(c: &ErrorCause) -> Option<u16> {
    match c {
        ErrorCause::Unknown { .. } => None,
        other => Some(other.code().0),
    }
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Every variant survives encode → decode, and `encoded_len` is what
    /// `encode` writes.
    #[test]
    fn every_param_round_trips(param in any_param()) {
        let bytes = encode_checked(&param, param.param_type().0);
        let decoded = Param::decode_list(bytes.clone(), 0).unwrap();
        prop_assert_eq!(&decoded, &vec![param.clone()]);
        // The single-TLV entry point agrees with the list one.
        let raw = RawTlv { kind: param.param_type().0, value: bytes.slice(4..), offset: 0 };
        prop_assert_eq!(Param::decode(raw).unwrap(), param);
    }

    #[test]
    fn every_cause_round_trips(cause in any_cause()) {
        let bytes = encode_checked(&cause, cause.code().0);
        let decoded = ErrorCause::decode_list(bytes.clone(), 0).unwrap();
        prop_assert_eq!(&decoded, &vec![cause.clone()]);
        let raw = RawTlv { kind: cause.code().0, value: bytes.slice(4..), offset: 0 };
        prop_assert_eq!(ErrorCause::decode(raw).unwrap(), cause);
    }

    /// Parse → serialise gives back the very bytes for canonical input.
    #[test]
    fn canonical_param_bytes_reencode_identically(wire in canonical_param_bytes()) {
        let param = one_param(&wire);
        prop_assert_eq!(&param.to_bytes()[..], &wire[..]);
    }

    #[test]
    fn canonical_cause_bytes_reencode_identically(wire in canonical_cause_bytes()) {
        let cause = one_cause(&wire);
        prop_assert_eq!(&cause.to_bytes()[..], &wire[..]);
    }

    /// RFC 9260 §3.2: elements are padded to four bytes between each other;
    /// the Length never counts the padding.
    #[test]
    fn param_lists_with_odd_lengths_round_trip(
        params in vec(any_param(), 1..8),
        base in 0usize..64,
    ) {
        let bytes = encode_list(&params);
        prop_assert_eq!(Param::decode_list(bytes, base).unwrap(), params);
    }

    #[test]
    fn cause_lists_with_odd_lengths_round_trip(
        causes in vec(any_cause(), 1..8),
        base in 0usize..64,
    ) {
        let bytes = encode_list(&causes);
        prop_assert_eq!(ErrorCause::decode_list(bytes, base).unwrap(), causes);
    }

    /// Lists of canonical bytes come back byte for byte; the last element
    /// may carry its padding or not (RFC 9260 §3.2).
    #[test]
    fn canonical_param_lists_reencode_identically(
        tlvs in vec(canonical_param_bytes(), 1..6),
        final_padding in any::<bool>(),
    ) {
        let wire = join_padded(&tlvs);
        let mut input = wire.clone();
        if final_padding {
            input.resize(padded(input.len()), 0);
        }
        let params = decode_param(&input).unwrap();
        prop_assert_eq!(params.len(), tlvs.len());
        prop_assert_eq!(&encode_list(&params)[..], &wire[..]);
    }

    #[test]
    fn canonical_cause_lists_reencode_identically(
        tlvs in vec(canonical_cause_bytes(), 1..6),
        final_padding in any::<bool>(),
    ) {
        let wire = join_padded(&tlvs);
        let mut input = wire.clone();
        if final_padding {
            input.resize(padded(input.len()), 0);
        }
        let causes = decode_cause(&input).unwrap();
        prop_assert_eq!(causes.len(), tlvs.len());
        prop_assert_eq!(&encode_list(&causes)[..], &wire[..]);
    }

    /// The contract of the crate: decoding never panics, whatever the input.
    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..200), base in 0usize..1500) {
        let bytes = Bytes::from(bytes);
        let _ = Param::decode_list(bytes.clone(), base);
        let _ = ErrorCause::decode_list(bytes, base);
    }

    /// Random values under every recognised type never panic, and whatever
    /// decodes re-encodes to something that decodes to the same value.
    #[test]
    fn random_values_of_known_types_decode_or_fail_cleanly(
        kind in prop::sample::select(RECOGNIZED_PARAM_TYPES.to_vec()),
        code in RECOGNIZED_CAUSE_CODES,
        value in vec(any::<u8>(), 0..40),
        offset in any::<u16>(),
    ) {
        let value = Bytes::from(value);
        let offset = usize::from(offset);
        match Param::decode(RawTlv { kind, value: value.clone(), offset }) {
            Ok(p) => prop_assert_eq!(one_param(&p.to_bytes()), p),
            Err(e) => prop_assert!(
                matches!(
                    e,
                    WireError::BadLength { element: Element::Param(k), offset: o, .. }
                    | WireError::TooShort { element: Element::Param(k), offset: o, .. }
                        if k == ParamType(kind) && o == offset
                ),
                "{e:?}"
            ),
        }
        match ErrorCause::decode(RawTlv { kind: code, value, offset }) {
            Ok(c) => prop_assert_eq!(one_cause(&c.to_bytes()), c),
            Err(e) => prop_assert!(
                matches!(
                    e,
                    WireError::BadLength { element: Element::Cause(k), offset: o, .. }
                    | WireError::TooShort { element: Element::Cause(k), offset: o, .. }
                        if k == CauseCode(code) && o == offset
                ),
                "{e:?}"
            ),
        }
    }

    /// Flipping bytes of a valid list never panics either.
    #[test]
    fn mutated_canonical_lists_never_panic(
        tlvs in vec(canonical_param_bytes(), 1..5),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut wire = join_padded(&tlvs);
        for (at, byte) in flips {
            let i = at.index(wire.len());
            wire[i] ^= byte;
        }
        let _ = decode_param(&wire);
        let _ = decode_cause(&wire);
    }
}

/// The strategies reach every variant, so the round trips above test them all.
#[test]
fn strategies_cover_every_variant() {
    let mut runner = TestRunner::deterministic();
    let params = any_param();
    let causes = any_cause();
    let mut seen_params = BTreeSet::new();
    let mut seen_causes = BTreeSet::new();
    for _ in 0..5000 {
        seen_params.insert(param_variant(
            &params.new_tree(&mut runner).unwrap().current(),
        ));
        seen_causes.insert(cause_variant(
            &causes.new_tree(&mut runner).unwrap().current(),
        ));
    }
    let want_params: BTreeSet<_> = RECOGNIZED_PARAM_TYPES
        .iter()
        .map(|&k| Some(k))
        .chain([None])
        .collect();
    let want_causes: BTreeSet<_> = RECOGNIZED_CAUSE_CODES.map(Some).chain([None]).collect();
    assert_eq!(seen_params, want_params);
    assert_eq!(seen_causes, want_causes);
}

// ---------------------------------------------------------------------------
// Which types are recognised
// ---------------------------------------------------------------------------

#[test]
fn recognizes_agrees_with_decode_for_every_type() {
    for kind in 0..=u16::MAX {
        let value = Bytes::new();
        let param = Param::decode(RawTlv {
            kind,
            value: value.clone(),
            offset: 0,
        });
        let param_unknown = matches!(param, Ok(Param::Unknown { .. }));
        assert_eq!(
            Param::recognizes(ParamType(kind)),
            !param_unknown,
            "type {kind:#x}"
        );
        assert_eq!(
            RECOGNIZED_PARAM_TYPES.contains(&kind),
            !param_unknown,
            "type {kind:#x}"
        );

        let cause = ErrorCause::decode(RawTlv {
            kind,
            value,
            offset: 0,
        });
        let cause_unknown = matches!(cause, Ok(ErrorCause::Unknown { .. }));
        assert_eq!(
            ErrorCause::recognizes(CauseCode(kind)),
            !cause_unknown,
            "code {kind:#x}"
        );
        assert_eq!(
            RECOGNIZED_CAUSE_CODES.contains(&kind),
            !cause_unknown,
            "code {kind:#x}"
        );
    }
}

// ---------------------------------------------------------------------------
// Parameters, one rule each
// ---------------------------------------------------------------------------

#[test]
fn ipv4_address_with_length_7_is_a_bad_length() {
    // RFC 9260 §3.3.2.1: IPv4 Address, Length = 8.
    let err = decode_param(&[0, 5, 0, 7, 192, 0, 2, 0]).unwrap_err();
    assert!(
        matches!(
            err,
            WireError::BadLength {
                element: Element::Param(ParamType::IPV4_ADDRESS),
                offset: 0,
                length: 7,
                ..
            }
        ),
        "{err:?}"
    );
    // Too long is as wrong as too short.
    let err = decode_param(&tlv(5, &[192, 0, 2, 1, 0, 0, 0, 0])).unwrap_err();
    assert!(
        matches!(err, WireError::BadLength { length: 12, .. }),
        "{err:?}"
    );
    assert_eq!(
        one_param(&tlv(5, &[192, 0, 2, 1])),
        Param::Ipv4Address(Ipv4Addr::new(192, 0, 2, 1))
    );
}

#[test]
fn ipv6_address_must_be_20_bytes() {
    // RFC 9260 §3.3.2.1: IPv6 Address, Length = 20.
    let err = decode_param(&tlv(6, &[0; 4])).unwrap_err();
    assert!(
        matches!(err, WireError::BadLength { length: 8, .. }),
        "{err:?}"
    );
    let addr = "2001:db8::1".parse().unwrap();
    assert_eq!(
        one_param(&Param::Ipv6Address(addr).to_bytes()),
        Param::Ipv6Address(addr)
    );
}

#[test]
fn errors_name_the_parameter_at_its_offset_in_the_packet() {
    // A 5-byte Heartbeat Info (padded to 8), then a bad Cookie Preservative:
    // its header sits 8 bytes into the list, the list 20 bytes into the packet.
    let wire = join_padded(&[tlv(1, &[7]), tlv(9, &[0, 0])]);
    let err = Param::decode_list(Bytes::from(wire), 20).unwrap_err();
    assert_eq!(
        err,
        WireError::BadLength {
            element: Element::Param(ParamType::COOKIE_PRESERVATIVE),
            offset: 28,
            length: 6,
            reason: "must be 8 (a 32-bit increment)",
        }
    );
}

#[test]
fn cookie_preservative_carries_a_32_bit_increment() {
    // RFC 9260 §3.3.2.1: Cookie Preservative, Length = 8.
    assert_eq!(
        one_param(&tlv(9, &[0, 0, 0x03, 0xe8])),
        Param::CookiePreservative {
            lifespan_increment_ms: 1000
        }
    );
}

#[test]
fn host_name_address_is_recognised_so_it_can_be_refused() {
    // RFC 9260 §3.3.2.1: no longer supported, answered with an ABORT
    // carrying Unresolvable Address (§3.3.10.5) holding the parameter.
    let wire = tlv(11, b"example.org\0");
    let param = one_param(&wire);
    assert_eq!(
        param,
        Param::HostNameAddress(Bytes::from_static(b"example.org\0"))
    );
    let cause = ErrorCause::unresolvable_address(&param);
    assert_eq!(
        cause,
        ErrorCause::UnresolvableAddress(Bytes::from(wire.clone()))
    );
    let ErrorCause::UnresolvableAddress(inner) = &cause else {
        unreachable!()
    };
    assert_eq!(Param::decode_list(inner.clone(), 0).unwrap(), vec![param]);
}

#[test]
fn supported_address_types_with_an_odd_count_is_followed_by_padding() {
    // RFC 9260 §3.3.2.1: a list of 16-bit types; three of them make a
    // 10-byte parameter padded to 12, and the next parameter follows.
    let wire = join_padded(&[tlv(12, &[0, 5, 0, 6, 0, 11]), tlv(0xC000, &[])]);
    assert_eq!(wire.len(), 16);
    let params = decode_param(&wire).unwrap();
    let Param::SupportedAddressTypes(types) = &params[0] else {
        panic!("{params:?}")
    };
    assert_eq!(
        types.iter().collect::<Vec<_>>(),
        [
            ParamType::IPV4_ADDRESS,
            ParamType::IPV6_ADDRESS,
            ParamType::HOST_NAME_ADDRESS
        ]
    );
    assert_eq!(params[1], Param::ForwardTsnSupported);
    assert_eq!(&encode_list(&params)[..], &wire[..]);
    // Half an entry is a bad length.
    let err = decode_param(&tlv(12, &[0, 5, 0])).unwrap_err();
    assert!(
        matches!(err, WireError::BadLength { length: 7, .. }),
        "{err:?}"
    );
}

#[test]
fn unrecognized_parameter_carries_the_whole_tlv() {
    // RFC 9260 §3.3.3.1: the unrecognised parameter "complete with Parameter
    // Type, Length, and Value fields".
    let unknown = Param::Unknown {
        kind: ParamType(0xC123),
        value: Bytes::from_static(&[1, 2, 3]),
    };
    let report = Param::unrecognized_parameter(&unknown);
    assert_eq!(
        report,
        Param::UnrecognizedParameter(Bytes::from_static(&[0xC1, 0x23, 0, 7, 1, 2, 3]))
    );
    let Param::UnrecognizedParameter(inner) = one_param(&report.to_bytes()) else {
        unreachable!()
    };
    assert_eq!(Param::decode_list(inner, 0).unwrap(), vec![unknown]);
}

#[test]
fn outgoing_reset_request_with_an_odd_stream_count_is_padded() {
    // RFC 6525 §4.1: Parameter Length = 16 + 2 * N, padding not counted.
    let mut value = vec![0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    value.extend_from_slice(&[0, 7]);
    let wire = join_padded(&[tlv(13, &value), tlv(15, &[0, 0, 0, 9])]);
    let params = decode_param(&wire).unwrap();
    assert_eq!(
        params,
        vec![
            Param::OutgoingSsnResetRequest {
                request_seq: 1,
                response_seq: 2,
                sender_last_tsn: Tsn(3),
                streams: PackedList::from([StreamId(7)]),
            },
            Param::SsnTsnResetRequest { request_seq: 9 },
        ]
    );
    // Fewer than the fixed 12 bytes is too short; a half entry is a bad length.
    let err = decode_param(&tlv(13, &[0; 8])).unwrap_err();
    assert!(
        matches!(
            err,
            WireError::TooShort {
                length: 12,
                min: 16,
                ..
            }
        ),
        "{err:?}"
    );
    let err = decode_param(&tlv(13, &[0; 13])).unwrap_err();
    assert!(
        matches!(err, WireError::BadLength { length: 17, .. }),
        "{err:?}"
    );
}

#[test]
fn incoming_reset_request_with_no_stream_means_all_streams() {
    // RFC 6525 §4.2: Parameter Length = 8 + 2 * N; N may be 0.
    assert_eq!(
        one_param(&tlv(14, &[0, 0, 0, 5])),
        Param::IncomingSsnResetRequest {
            request_seq: 5,
            streams: PackedList::new()
        }
    );
    let err = decode_param(&tlv(14, &[0, 0, 0])).unwrap_err();
    assert!(matches!(err, WireError::TooShort { min: 8, .. }), "{err:?}");
}

#[test]
fn ssn_tsn_reset_request_is_exactly_8_bytes() {
    // RFC 6525 §4.3: Parameter Length = 8.
    let err = decode_param(&tlv(15, &[0; 8])).unwrap_err();
    assert!(
        matches!(err, WireError::BadLength { length: 12, .. }),
        "{err:?}"
    );
}

#[test]
fn reconfig_response_with_a_12_byte_value_is_an_error() {
    // RFC 6525 §4.4: the two next TSNs are optional but go together, so
    // the parameter is 12 or 20 bytes; a 16-byte one has half of them.
    let err = decode_param(&tlv(16, &[0; 12])).unwrap_err();
    assert!(
        matches!(
            err,
            WireError::BadLength {
                element: Element::Param(ParamType::RECONFIGURATION_RESPONSE),
                length: 16,
                ..
            }
        ),
        "{err:?}"
    );
    let err = decode_param(&tlv(16, &[0; 4])).unwrap_err();
    assert!(
        matches!(err, WireError::TooShort { min: 12, .. }),
        "{err:?}"
    );
    assert_eq!(
        one_param(&tlv(16, &[0, 0, 0, 4, 0, 0, 0, 1])),
        Param::ReconfigResponse {
            response_seq: 4,
            result: ReconfigResult::SUCCESS_PERFORMED,
            next_tsns: None
        }
    );
    assert_eq!(
        one_param(&tlv(16, &[0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 1, 0, 0, 0, 2, 0])),
        Param::ReconfigResponse {
            response_seq: 4,
            result: ReconfigResult::IN_PROGRESS,
            next_tsns: Some((Tsn(256), Tsn(512)))
        }
    );
}

#[test]
fn reconfig_results_name_rfc_6525_codes_and_keep_others() {
    // RFC 6525 §4.4: seven result codes.
    let names = [
        (
            ReconfigResult::SUCCESS_NOTHING_TO_DO,
            "Success - Nothing to do",
        ),
        (ReconfigResult::SUCCESS_PERFORMED, "Success - Performed"),
        (ReconfigResult::DENIED, "Denied"),
        (ReconfigResult::ERROR_WRONG_SSN, "Error - Wrong SSN"),
        (
            ReconfigResult::ERROR_REQUEST_ALREADY_IN_PROGRESS,
            "Error - Request already in progress",
        ),
        (
            ReconfigResult::ERROR_BAD_SEQUENCE_NUMBER,
            "Error - Bad Sequence Number",
        ),
        (ReconfigResult::IN_PROGRESS, "In progress"),
    ];
    for (i, (result, name)) in names.into_iter().enumerate() {
        assert_eq!(result.0, i as u32);
        assert_eq!(result.name(), Some(name));
        assert_eq!(result.is_success(), i < 2);
    }
    assert_eq!(ReconfigResult(7).name(), None);
    assert_eq!(ReconfigResult(7).to_string(), "result 7");
    let response = Param::ReconfigResponse {
        response_seq: 1,
        result: ReconfigResult(0xdead_beef),
        next_tsns: None,
    };
    assert_eq!(one_param(&response.to_bytes()), response);
}

#[test]
fn add_streams_requests_ignore_the_reserved_field() {
    // RFC 6525 §4.5, §4.6: Parameter Length = 12; Reserved ignored on
    // receipt and sent as 0.
    for (kind, outgoing) in [(17u16, true), (18, false)] {
        let param = one_param(&tlv(kind, &[0, 0, 0, 3, 0, 16, 0xff, 0xff]));
        let want = if outgoing {
            Param::AddOutgoingStreams {
                request_seq: 3,
                new_streams: 16,
            }
        } else {
            Param::AddIncomingStreams {
                request_seq: 3,
                new_streams: 16,
            }
        };
        assert_eq!(param, want);
        assert_eq!(
            &param.to_bytes()[..],
            &tlv(kind, &[0, 0, 0, 3, 0, 16, 0, 0])[..]
        );
        let err = decode_param(&tlv(kind, &[0; 6])).unwrap_err();
        assert!(
            matches!(err, WireError::BadLength { length: 10, .. }),
            "{err:?}"
        );
    }
}

#[test]
fn zero_checksum_acceptable_names_dtls_as_edmid_1() {
    // RFC 9653 §4: Length = 8, a 32-bit EDMID; 1 is SCTP over DTLS.
    assert_eq!(EDMID_DTLS, 1);
    let wire = [0x80, 0x01, 0x00, 0x08, 0, 0, 0, 1];
    assert_eq!(
        one_param(&wire),
        Param::ZeroChecksumAcceptable { edmid: EDMID_DTLS }
    );
    let err = decode_param(&[0x80, 0x01, 0x00, 0x06, 0, 1]).unwrap_err();
    assert!(
        matches!(err, WireError::BadLength { length: 6, .. }),
        "{err:?}"
    );
}

#[test]
fn supported_extensions_lists_chunk_types_one_byte_each() {
    // RFC 5061 §4.2.7: RE-CONFIG, FORWARD TSN and I-DATA as WebRTC stacks
    // announce them; 7 bytes of parameter padded to 8.
    let wire = [0x80, 0x08, 0x00, 0x07, 130, 192, 64, 0];
    let param = one_param(&wire);
    let Param::SupportedExtensions(types) = &param else {
        panic!("{param:?}")
    };
    assert_eq!(
        types.iter().collect::<Vec<_>>(),
        [
            ChunkType::RE_CONFIG,
            ChunkType::FORWARD_TSN,
            ChunkType::I_DATA
        ]
    );
    assert_eq!(&param.to_bytes()[..], &wire[..7]);
}

#[test]
fn forward_tsn_supported_has_no_value() {
    // RFC 3758 §3.1: Parameter Length = 4.
    assert_eq!(one_param(&[0xC0, 0, 0, 4]), Param::ForwardTsnSupported);
    let err = decode_param(&tlv(0xC000, &[0, 0, 0, 0])).unwrap_err();
    assert!(
        matches!(
            err,
            WireError::BadLength {
                element: Element::Param(ParamType::FORWARD_TSN_SUPPORTED),
                length: 8,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn padding_parameter_keeps_its_bytes() {
    // RFC 4820 §4: the receiver ignores the Padding Data; the codec keeps it.
    assert_eq!(
        one_param(&tlv(0x8005, &[0; 5])),
        Param::Padding(Bytes::from_static(&[0; 5]))
    );
}

#[test]
fn unknown_params_keep_type_value_and_action_bits() {
    // RFC 9260 §3.2.1: the two upper bits of the type say what to do.
    let cases = [
        (0x3ffeu16, UnrecognizedAction::Stop),
        (0x7ffe, UnrecognizedAction::StopAndReport),
        (0xbffe, UnrecognizedAction::Skip),
        (0xfffe, UnrecognizedAction::SkipAndReport),
        // Named by ParamType but not interpreted: ECN Capable, AUTH Random,
        // Adaptation Layer Indication.
        (0x8000, UnrecognizedAction::Skip),
        (0x8002, UnrecognizedAction::Skip),
        (0xC006, UnrecognizedAction::SkipAndReport),
    ];
    for (kind, action) in cases {
        let param = one_param(&[(kind >> 8) as u8, kind as u8, 0, 7, 0xaa, 0xbb, 0xcc, 0]);
        assert_eq!(
            param,
            Param::Unknown {
                kind: ParamType(kind),
                value: Bytes::from_static(&[0xaa, 0xbb, 0xcc])
            }
        );
        assert_eq!(param.unrecognized_action(), Some(action));
        assert_eq!(ParamType(kind).unrecognized_action(), action);
        assert_eq!(action.skips(), kind & 0x8000 != 0);
        assert_eq!(action.reports(), kind & 0x4000 != 0);
    }
    // A recognised parameter asks for no action.
    assert_eq!(Param::ForwardTsnSupported.unrecognized_action(), None);
}

#[test]
fn opaque_values_are_slices_of_the_input() {
    // DESIGN §2: cookies and other opaque values are never copied.
    let wire = Bytes::from(tlv(7, &[9; 32]));
    let Param::StateCookie(cookie) = Param::decode_list(wire.clone(), 0).unwrap().remove(0) else {
        unreachable!()
    };
    assert_eq!(cookie.as_ptr(), wire[4..].as_ptr());
}

// ---------------------------------------------------------------------------
// Error causes, one rule each
// ---------------------------------------------------------------------------

#[test]
fn missing_mandatory_parameter_count_must_match_its_entries() {
    // RFC 9260 §3.3.10.2: Cause Length = 8 + N * 2. A count of 1000 with
    // two entries is refused, without allocating for 1000.
    let err = decode_cause(&tlv(2, &[0, 0, 0x03, 0xe8, 0, 7, 0, 9])).unwrap_err();
    assert!(
        matches!(
            err,
            WireError::BadLength {
                element: Element::Cause(CauseCode::MISSING_MANDATORY_PARAMETER),
                offset: 0,
                length: 12,
                ..
            }
        ),
        "{err:?}"
    );
    // A count that would overflow 32-bit arithmetic, and one that is too small.
    let err = decode_cause(&tlv(2, &[0xff, 0xff, 0xff, 0xff, 0, 7])).unwrap_err();
    assert!(matches!(err, WireError::BadLength { .. }), "{err:?}");
    let err = decode_cause(&tlv(2, &[0, 0, 0, 0, 0, 7])).unwrap_err();
    assert!(matches!(err, WireError::BadLength { .. }), "{err:?}");
    // No count at all.
    let err = decode_cause(&tlv(2, &[0, 0])).unwrap_err();
    assert!(matches!(err, WireError::TooShort { min: 8, .. }), "{err:?}");
    // One missing State Cookie: 10 bytes, padded to 12 before the next cause.
    let wire = join_padded(&[tlv(2, &[0, 0, 0, 1, 0, 7]), tlv(4, &[])]);
    let causes = decode_cause(&wire).unwrap();
    assert_eq!(
        causes,
        vec![
            ErrorCause::MissingMandatoryParameter {
                missing: PackedList::from([ParamType::STATE_COOKIE])
            },
            ErrorCause::OutOfResource,
        ]
    );
    assert_eq!(&encode_list(&causes)[..], &wire[..]);
}

#[test]
fn invalid_stream_identifier_ignores_the_reserved_field() {
    // RFC 9260 §3.3.10.1: Cause Length = 8; Reserved sent as 0.
    let cause = one_cause(&tlv(1, &[0, 42, 0xff, 0xff]));
    assert_eq!(
        cause,
        ErrorCause::InvalidStreamIdentifier {
            stream_id: StreamId(42)
        }
    );
    assert_eq!(&cause.to_bytes()[..], &tlv(1, &[0, 42, 0, 0])[..]);
    let err = decode_cause(&tlv(1, &[0, 42])).unwrap_err();
    assert!(
        matches!(err, WireError::BadLength { length: 6, .. }),
        "{err:?}"
    );
}

#[test]
fn stale_cookie_and_no_user_data_carry_one_32_bit_field() {
    // RFC 9260 §3.3.10.3 and §3.3.10.9: Cause Length = 8.
    assert_eq!(
        one_cause(&tlv(3, &[0, 0, 0x27, 0x10])),
        ErrorCause::StaleCookie {
            staleness_us: 10_000
        }
    );
    assert_eq!(
        one_cause(&tlv(9, &[0, 0, 0, 99])),
        ErrorCause::NoUserData { tsn: Tsn(99) }
    );
    for code in [3u16, 9] {
        let err = decode_cause(&tlv(code, &[0; 5])).unwrap_err();
        assert!(
            matches!(err, WireError::BadLength { length: 9, .. }),
            "{err:?}"
        );
    }
}

#[test]
fn causes_without_a_value_refuse_one() {
    // RFC 9260 §3.3.10.4, §3.3.10.7, §3.3.10.10: Cause Length = 4.
    for code in [4u16, 7, 10] {
        let err = decode_cause(&tlv(code, &[0; 4])).unwrap_err();
        assert!(
            matches!(
                err,
                WireError::BadLength { element: Element::Cause(c), length: 8, .. }
                    if c == CauseCode(code)
            ),
            "{err:?}"
        );
    }
}

#[test]
fn user_initiated_abort_and_protocol_violation_carry_text() {
    // RFC 9260 §3.3.10.12, §3.3.10.13: the reason is opaque to SCTP.
    let abort = ErrorCause::user_initiated_abort("bye");
    assert_eq!(&abort.to_bytes()[..], &[0, 12, 0, 7, b'b', b'y', b'e'][..]);
    assert_eq!(abort.reason_text(), Some("bye"));
    assert_eq!(abort.to_string(), "User-Initiated Abort (12): \"bye\"");
    let violation = ErrorCause::protocol_violation("I-DATA not negotiated");
    assert_eq!(violation.code(), CauseCode::PROTOCOL_VIOLATION);
    assert_eq!(one_cause(&violation.to_bytes()), violation);
    assert_eq!(violation.reason_text(), Some("I-DATA not negotiated"));
    assert_eq!(ErrorCause::OutOfResource.reason_text(), None);
}

#[test]
fn unrecognized_chunk_type_carries_the_chunk_as_received() {
    // RFC 9260 §3.3.10.6: the chunk "complete with Chunk Type, Chunk Flags,
    // and Chunk Length".
    let chunk = RawChunk {
        kind: ChunkType(0x7e),
        flags: 0x5a,
        value: Bytes::from_static(&[1, 2, 3]),
        offset: 12,
    };
    let cause = ErrorCause::unrecognized_chunk(&chunk);
    assert_eq!(
        cause,
        ErrorCause::UnrecognizedChunkType(Bytes::from_static(&[0x7e, 0x5a, 0, 7, 1, 2, 3]))
    );
    assert_eq!(one_cause(&cause.to_bytes()), cause);
}

#[test]
fn unrecognized_parameters_carries_the_parameters_padded_between() {
    // RFC 9260 §3.2.2, §3.3.10.8: the unrecognised parameters, whole.
    let params = vec![
        Param::Unknown {
            kind: ParamType(0x4001),
            value: Bytes::from_static(&[1]),
        },
        Param::Unknown {
            kind: ParamType(0xC010),
            value: Bytes::from_static(&[2, 3]),
        },
    ];
    let cause = ErrorCause::unrecognized_parameters(&params);
    let ErrorCause::UnrecognizedParameters(inner) = &cause else {
        unreachable!()
    };
    assert_eq!(inner.len(), 8 + 6);
    assert_eq!(Param::decode_list(inner.clone(), 0).unwrap(), params);
    assert_eq!(one_cause(&cause.to_bytes()), cause);
}

#[test]
fn restart_with_new_addresses_carries_address_parameters() {
    // RFC 9260 §3.3.10.11: the new address TLVs, whole.
    let addresses = vec![
        Param::Ipv4Address(Ipv4Addr::new(192, 0, 2, 7)),
        Param::Ipv6Address("2001:db8::7".parse().unwrap()),
    ];
    let cause = ErrorCause::restart_with_new_addresses(&addresses);
    let ErrorCause::RestartWithNewAddresses(inner) = &cause else {
        unreachable!()
    };
    assert_eq!(Param::decode_list(inner.clone(), 0).unwrap(), addresses);
}

#[test]
fn unknown_causes_keep_code_and_value() {
    // RFC 5061's "Request to Delete Last Remaining IP Address" (0xA0) is not
    // decoded: it comes back whole.
    let cause = one_cause(&[0, 0xA0, 0, 6, 0xde, 0xad, 0, 0]);
    assert_eq!(
        cause,
        ErrorCause::Unknown {
            code: CauseCode(0xA0),
            value: Bytes::from_static(&[0xde, 0xad])
        }
    );
    assert_eq!(cause.to_string(), "type 0xa0: 2 bytes");
}

#[test]
fn cause_lists_report_framing_errors_with_offsets() {
    // A cause header cut short, after one good cause, 16 bytes into a packet.
    let mut wire = tlv(4, &[]);
    wire.extend_from_slice(&[0, 12, 0]);
    let err = ErrorCause::decode_list(Bytes::from(wire), 16).unwrap_err();
    assert!(
        matches!(
            err,
            WireError::Truncated {
                element: Element::Cause(_),
                offset: 20,
                ..
            }
        ),
        "{err:?}"
    );
    // A Cause Length below the header.
    let err = decode_cause(&[0, 12, 0, 2]).unwrap_err();
    assert!(matches!(err, WireError::TooShort { min: 4, .. }), "{err:?}");
}

#[test]
fn display_names_the_cause() {
    assert_eq!(ErrorCause::OutOfResource.to_string(), "Out of Resource (4)");
    assert_eq!(
        ErrorCause::InvalidStreamIdentifier {
            stream_id: StreamId(3)
        }
        .to_string(),
        "Invalid Stream Identifier (1): stream 3"
    );
}

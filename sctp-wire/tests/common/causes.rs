//! proptest strategies for error causes: typed values for every
//! `ErrorCause` variant, and canonical wire bytes written by hand,
//! independent of the encoder.
#![allow(unreachable_pub)] // shared by test crates through a private `mod common`

use super::params::{any_param, tlv};
use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use sctp_wire::{CauseCode, ErrorCause, PackedList, ParamType, StreamId, Tsn};

/// The cause codes the codec decodes to a variant of their own (RFC 9260
/// §3.3.10.1–13), listed by hand.
pub const RECOGNIZED_CAUSE_CODES: std::ops::RangeInclusive<u16> = 1..=13;

/// Arbitrary bytes of up to `max` length.
fn opaque(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

/// A cause code the codec keeps as `ErrorCause::Unknown`: codes of other
/// extensions (RFC 5061's 0xA0–0xA4, RFC 4895's 0x105) and random ones.
pub fn unknown_cause_code() -> impl Strategy<Value = CauseCode> {
    prop_oneof![
        prop::sample::select(vec![0u16, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0x105]),
        any::<u16>().prop_filter("a recognized code", |c| !RECOGNIZED_CAUSE_CODES.contains(c)),
    ]
    .prop_map(CauseCode)
}

/// Any error cause, every variant included.
pub fn any_cause() -> impl Strategy<Value = ErrorCause> {
    prop_oneof![
        any::<u16>().prop_map(|sid| ErrorCause::InvalidStreamIdentifier {
            stream_id: StreamId(sid)
        }),
        vec(any::<u16>().prop_map(ParamType), 0..6).prop_map(|missing| {
            ErrorCause::MissingMandatoryParameter {
                missing: PackedList::from(missing),
            }
        }),
        any::<u32>().prop_map(|staleness_us| ErrorCause::StaleCookie { staleness_us }),
        Just(ErrorCause::OutOfResource),
        prop_oneof![
            opaque(32).prop_map(ErrorCause::UnresolvableAddress),
            any_param().prop_map(|p| ErrorCause::unresolvable_address(&p)),
        ],
        opaque(48).prop_map(ErrorCause::UnrecognizedChunkType),
        Just(ErrorCause::InvalidMandatoryParameter),
        prop_oneof![
            opaque(48).prop_map(ErrorCause::UnrecognizedParameters),
            vec(any_param(), 1..3).prop_map(|ps| ErrorCause::unrecognized_parameters(&ps)),
        ],
        any::<u32>().prop_map(|tsn| ErrorCause::NoUserData { tsn: Tsn(tsn) }),
        Just(ErrorCause::CookieReceivedWhileShuttingDown),
        opaque(48).prop_map(ErrorCause::RestartWithNewAddresses),
        prop_oneof![
            opaque(48).prop_map(ErrorCause::UserInitiatedAbort),
            "[a-z ]{0,20}".prop_map(|s| ErrorCause::user_initiated_abort(&s)),
        ],
        prop_oneof![
            opaque(48).prop_map(ErrorCause::ProtocolViolation),
            "[a-z ]{0,20}".prop_map(|s| ErrorCause::protocol_violation(&s)),
        ],
        (unknown_cause_code(), opaque(32))
            .prop_map(|(code, value)| ErrorCause::Unknown { code, value }),
    ]
}

/// The canonical bytes of one error cause of any code, written from the
/// RFC 9260 layouts without the crate's encoder: every length and count
/// right, every reserved field zero, no trailing padding.
pub fn canonical_cause_bytes() -> impl Strategy<Value = Vec<u8>> {
    let raw = |len: std::ops::Range<usize>| vec(any::<u8>(), len);
    prop_oneof![
        // 1: stream identifier and a zero reserved field.
        any::<u16>().prop_map(|sid| {
            let mut v = sid.to_be_bytes().to_vec();
            v.extend_from_slice(&[0, 0]);
            tlv(1, &v)
        }),
        // 2: a count that matches the entries.
        vec(any::<u16>(), 0..7).prop_map(|types| {
            let mut v = (types.len() as u32).to_be_bytes().to_vec();
            for t in types {
                v.extend_from_slice(&t.to_be_bytes());
            }
            tlv(2, &v)
        }),
        // 3 and 9: one 32-bit field.
        (prop::sample::select(vec![3u16, 9]), raw(4..5)).prop_map(|(c, v)| tlv(c, &v)),
        // 4, 7 and 10: no value.
        prop::sample::select(vec![4u16, 7, 10]).prop_map(|c| tlv(c, &[])),
        // 5, 6, 8, 11, 12 and 13: opaque values.
        (
            prop::sample::select(vec![5u16, 6, 8, 11, 12, 13]),
            raw(0..40)
        )
            .prop_map(|(c, v)| tlv(c, &v)),
        (unknown_cause_code(), raw(0..40)).prop_map(|(c, v)| tlv(c.0, &v)),
    ]
}

//! proptest strategies for parameters: typed values for every `Param`
//! variant, and canonical wire bytes written by hand, independent of the
//! encoder.
#![allow(unreachable_pub)] // shared by test crates through a private `mod common`

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use sctp_wire::param::{ReconfigResult, EDMID_DTLS};
use sctp_wire::{ChunkType, PackedList, Param, ParamType, StreamId, Tsn};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The parameter types the codec decodes to a variant of their own, listed
/// here by hand so the tests do not trust the crate's own list.
pub const RECOGNIZED_PARAM_TYPES: [u16; 18] = [
    1, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 0x8001, 0x8005, 0x8008, 0xC000,
];

/// Arbitrary bytes of up to `max` length.
fn opaque(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

/// A parameter type the codec keeps as `Param::Unknown`: the ones
/// `ParamType` names without decoding them, and random unassigned ones
/// spread over the four action-bit patterns.
pub fn unknown_param_type() -> impl Strategy<Value = ParamType> {
    prop_oneof![
        prop::sample::select(vec![0x8000u16, 0x8002, 0x8003, 0x8004, 0xC006]),
        any::<u16>().prop_filter("a recognized type", |k| !RECOGNIZED_PARAM_TYPES.contains(k)),
    ]
    .prop_map(ParamType)
}

fn stream_ids() -> impl Strategy<Value = PackedList<StreamId>> {
    vec(any::<u16>().prop_map(StreamId), 0..8).prop_map(PackedList::from)
}

fn reconfig_result() -> impl Strategy<Value = ReconfigResult> {
    prop_oneof![(0u32..=6), any::<u32>()].prop_map(ReconfigResult)
}

/// Any parameter, every variant included.
pub fn any_param() -> impl Strategy<Value = Param> {
    prop_oneof![
        opaque(64).prop_map(Param::HeartbeatInfo),
        any::<[u8; 4]>().prop_map(|a| Param::Ipv4Address(Ipv4Addr::from(a))),
        any::<[u8; 16]>().prop_map(|a| Param::Ipv6Address(Ipv6Addr::from(a))),
        opaque(64).prop_map(Param::StateCookie),
        opaque(32).prop_map(Param::UnrecognizedParameter),
        any::<u32>().prop_map(|lifespan_increment_ms| Param::CookiePreservative {
            lifespan_increment_ms
        }),
        opaque(32).prop_map(Param::HostNameAddress),
        vec(
            prop_oneof![prop::sample::select(vec![5u16, 6, 11]), any::<u16>()].prop_map(ParamType),
            0..5
        )
        .prop_map(|types| Param::SupportedAddressTypes(PackedList::from(types))),
        (any::<u32>(), any::<u32>(), any::<u32>(), stream_ids()).prop_map(
            |(request_seq, response_seq, last_tsn, streams)| Param::OutgoingSsnResetRequest {
                request_seq,
                response_seq,
                sender_last_tsn: Tsn(last_tsn),
                streams,
            }
        ),
        (any::<u32>(), stream_ids()).prop_map(|(request_seq, streams)| {
            Param::IncomingSsnResetRequest {
                request_seq,
                streams,
            }
        }),
        any::<u32>().prop_map(|request_seq| Param::SsnTsnResetRequest { request_seq }),
        (
            any::<u32>(),
            reconfig_result(),
            proptest::option::of(any::<(u32, u32)>())
        )
            .prop_map(|(response_seq, result, next)| Param::ReconfigResponse {
                response_seq,
                result,
                next_tsns: next.map(|(s, r)| (Tsn(s), Tsn(r))),
            }),
        (any::<u32>(), any::<u16>()).prop_map(|(request_seq, new_streams)| {
            Param::AddOutgoingStreams {
                request_seq,
                new_streams,
            }
        }),
        (any::<u32>(), any::<u16>()).prop_map(|(request_seq, new_streams)| {
            Param::AddIncomingStreams {
                request_seq,
                new_streams,
            }
        }),
        prop_oneof![Just(EDMID_DTLS), any::<u32>()]
            .prop_map(|edmid| Param::ZeroChecksumAcceptable { edmid }),
        opaque(64).prop_map(Param::Padding),
        vec(any::<u8>().prop_map(ChunkType), 0..9)
            .prop_map(|types| Param::SupportedExtensions(PackedList::from(types))),
        Just(Param::ForwardTsnSupported),
        (unknown_param_type(), opaque(32)).prop_map(|(kind, value)| Param::Unknown { kind, value }),
    ]
}

/// A TLV as it appears on the wire: type, length (header plus value), value;
/// no padding.
pub fn tlv(kind: u16, value: &[u8]) -> Vec<u8> {
    let length = u16::try_from(4 + value.len()).expect("test TLV too long");
    let mut out = Vec::with_capacity(4 + value.len());
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(value);
    out
}

fn raw(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), len)
}

/// `fixed` random bytes followed by a run of `0..max` random 16-bit entries.
fn fixed_then_u16s(fixed: usize, max: usize) -> impl Strategy<Value = Vec<u8>> {
    (raw(fixed..fixed + 1), vec(any::<u16>(), 0..max)).prop_map(|(mut head, entries)| {
        for e in entries {
            head.extend_from_slice(&e.to_be_bytes());
        }
        head
    })
}

/// The canonical bytes of one parameter of any type, written from the RFC
/// layouts without the crate's encoder: every length right, every reserved
/// field zero, no trailing padding.
pub fn canonical_param_bytes() -> impl Strategy<Value = Vec<u8>> {
    let variable = prop::sample::select(vec![1u16, 7, 8, 11, 0x8005]);
    let exact4 = prop::sample::select(vec![9u16, 15, 0x8001]);
    prop_oneof![
        (variable, raw(0..40)).prop_map(|(k, v)| tlv(k, &v)),
        raw(4..5).prop_map(|v| tlv(5, &v)),
        raw(16..17).prop_map(|v| tlv(6, &v)),
        (exact4, raw(4..5)).prop_map(|(k, v)| tlv(k, &v)),
        fixed_then_u16s(0, 6).prop_map(|v| tlv(12, &v)),
        fixed_then_u16s(12, 9).prop_map(|v| tlv(13, &v)),
        fixed_then_u16s(4, 9).prop_map(|v| tlv(14, &v)),
        prop_oneof![raw(8..9), raw(16..17)].prop_map(|v| tlv(16, &v)),
        (prop::sample::select(vec![17u16, 18]), raw(6..7)).prop_map(|(k, mut v)| {
            v.extend_from_slice(&[0, 0]);
            tlv(k, &v)
        }),
        raw(0..12).prop_map(|v| tlv(0x8008, &v)),
        Just(tlv(0xC000, &[])),
        (unknown_param_type(), raw(0..40)).prop_map(|(k, v)| tlv(k.0, &v)),
    ]
}

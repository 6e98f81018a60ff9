//! proptest strategies for every chunk the codec decodes.

use super::causes::any_cause;
use super::params::any_param;
use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use sctp_wire::*;

/// Arbitrary bytes of up to `max` length.
pub fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

pub fn data() -> impl Strategy<Value = DataChunk> {
    (
        any::<u32>(),
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        any::<[bool; 4]>(),
        bytes(300),
    )
        .prop_map(|(tsn, sid, ssn, ppid, [u, b, e, i], payload)| DataChunk {
            tsn: Tsn(tsn),
            stream_id: StreamId(sid),
            ssn: Ssn(ssn),
            ppid: Ppid(ppid),
            unordered: u,
            beginning: b,
            ending: e,
            immediate_sack: i,
            payload,
        })
}

pub fn idata() -> impl Strategy<Value = IDataChunk> {
    let fragment = prop_oneof![
        any::<u32>().prop_map(|p| IDataFragment::First { ppid: Ppid(p) }),
        any::<u32>().prop_map(|f| IDataFragment::Later { fsn: Fsn(f) }),
    ];
    (
        any::<u32>(),
        any::<u16>(),
        any::<u32>(),
        fragment,
        any::<[bool; 3]>(),
        bytes(300),
    )
        .prop_map(|(tsn, sid, mid, fragment, [u, e, i], payload)| IDataChunk {
            tsn: Tsn(tsn),
            stream_id: StreamId(sid),
            mid: Mid(mid),
            fragment,
            unordered: u,
            ending: e,
            immediate_sack: i,
            payload,
        })
}

pub fn init() -> impl Strategy<Value = Init> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        vec(any_param(), 0..6),
    )
        .prop_map(|(tag, a_rwnd, os, mis, tsn, params)| Init {
            initiate_tag: tag,
            a_rwnd,
            outbound_streams: os,
            inbound_streams: mis,
            initial_tsn: Tsn(tsn),
            params,
        })
}

pub fn sack() -> impl Strategy<Value = Sack> {
    (
        any::<u32>(),
        any::<u32>(),
        vec(any::<(u16, u16)>(), 0..70),
        vec(any::<u32>(), 0..20),
    )
        .prop_map(|(cum, a_rwnd, gaps, dups)| Sack {
            cum_tsn_ack: Tsn(cum),
            a_rwnd,
            gap_blocks: gaps
                .into_iter()
                .map(|(start, end)| GapAckBlock { start, end })
                .collect(),
            duplicate_tsns: dups.into_iter().map(Tsn).collect(),
        })
}

pub fn forward_tsn() -> impl Strategy<Value = ForwardTsn> {
    (any::<u32>(), vec(any::<(u16, u16)>(), 0..20)).prop_map(|(tsn, streams)| ForwardTsn {
        new_cum_tsn: Tsn(tsn),
        streams: streams
            .into_iter()
            .map(|(sid, ssn)| ForwardTsnStream {
                stream_id: StreamId(sid),
                ssn: Ssn(ssn),
            })
            .collect(),
    })
}

pub fn iforward_tsn() -> impl Strategy<Value = IForwardTsn> {
    (any::<u32>(), vec(any::<(u16, bool, u32)>(), 0..20)).prop_map(|(tsn, streams)| IForwardTsn {
        new_cum_tsn: Tsn(tsn),
        streams: streams
            .into_iter()
            .map(|(sid, unordered, mid)| IForwardTsnStream {
                stream_id: StreamId(sid),
                unordered,
                mid: Mid(mid),
            })
            .collect(),
    })
}

/// Chunk types the codec decodes into a typed variant.
pub const DECODED_TYPES: [u8; 18] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 64, 130, 132, 192, 194,
];

pub fn unknown() -> impl Strategy<Value = Chunk> {
    (
        any::<u8>().prop_filter("type must be one the codec does not decode", |t| {
            !DECODED_TYPES.contains(t)
        }),
        any::<u8>(),
        bytes(100),
    )
        .prop_map(|(kind, flags, value)| Chunk::Unknown {
            kind: ChunkType(kind),
            flags,
            value,
        })
}

/// Any chunk that may share a packet with others (RFC 9260 §6.10).
pub fn bundleable_chunk() -> impl Strategy<Value = Chunk> {
    prop_oneof![
        data().prop_map(Chunk::Data),
        idata().prop_map(Chunk::IData),
        sack().prop_map(Chunk::Sack),
        bytes(64).prop_map(|info| Chunk::Heartbeat(Heartbeat { info })),
        bytes(64).prop_map(|info| Chunk::HeartbeatAck(Heartbeat { info })),
        (any::<bool>(), vec(any_cause(), 0..4)).prop_map(|(t, causes)| Chunk::Abort(Abort {
            tag_reflected: t,
            causes
        })),
        any::<u32>().prop_map(|t| Chunk::Shutdown(Shutdown {
            cum_tsn_ack: Tsn(t)
        })),
        Just(Chunk::ShutdownAck),
        vec(any_cause(), 0..4).prop_map(|causes| Chunk::Error(OperationError { causes })),
        bytes(200).prop_map(|cookie| Chunk::CookieEcho(CookieEcho { cookie })),
        Just(Chunk::CookieAck),
        forward_tsn().prop_map(Chunk::ForwardTsn),
        vec(any_param(), 1..=2).prop_map(|params| Chunk::Reconfig(Reconfig { params })),
        iforward_tsn().prop_map(Chunk::IForwardTsn),
        bytes(64).prop_map(|padding| Chunk::Pad(Pad { padding })),
        unknown(),
    ]
}

/// Any chunk at all.
pub fn any_chunk() -> impl Strategy<Value = Chunk> {
    prop_oneof![
        4 => bundleable_chunk(),
        1 => init().prop_map(Chunk::Init),
        1 => init().prop_map(Chunk::InitAck),
        1 => any::<bool>().prop_map(|t| Chunk::ShutdownComplete(ShutdownComplete { tag_reflected: t })),
    ]
}

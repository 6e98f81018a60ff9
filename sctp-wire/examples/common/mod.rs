//! Sample packets shared by the `pcap` and `decode` examples: one packet per
//! chunk kind `sctp-wire` supports, built with its public API only.

use bytes::Bytes;
use sctp_wire::param::ReconfigResult;
use sctp_wire::{
    Abort, ChecksumMode, Chunk, CommonHeader, CookieEcho, DataChunk, ErrorCause, ForwardTsn,
    ForwardTsnStream, Fsn, GapAckBlock, Heartbeat, IDataChunk, IDataFragment, IForwardTsn,
    IForwardTsnStream, Init, Mid, OperationError, PacketBuilder, Pad, Param, Ppid, Reconfig, Sack,
    Shutdown, ShutdownComplete, Ssn, StreamId, Tsn,
};
use sctp_wire::{ChunkType, ParamType};
use std::net::Ipv4Addr;

/// SCTP port of both ends (DESIGN.md §7).
const PORT: u16 = 5000;
/// The verification tag every packet but the INIT carries.
const TAG: u32 = 0x1234_5678;
/// The initiator's tag, announced in the INIT.
const INITIATE_TAG: u32 = 0x9abc_def0;
/// MTU of the built packets (DESIGN.md §7).
const MTU: usize = 1191;

/// One sample packet: a name for people and the chunks it bundles.
pub(crate) struct Sample {
    /// What the packet shows.
    pub(crate) name: &'static str,
    /// Verification tag of the common header.
    pub(crate) tag: u32,
    /// The chunks, in wire order.
    pub(crate) chunks: Vec<Chunk>,
}

impl Sample {
    fn new(name: &'static str, chunks: Vec<Chunk>) -> Self {
        Sample {
            name,
            tag: TAG,
            chunks,
        }
    }

    /// The chunk types of the packet, in wire order.
    pub(crate) fn chunk_types(&self) -> Vec<ChunkType> {
        self.chunks.iter().map(Chunk::chunk_type).collect()
    }

    /// The datagram: common header, chunks, CRC32c.
    pub(crate) fn build(&self) -> Bytes {
        let header = CommonHeader::new(PORT, PORT, self.tag);
        let mut builder = PacketBuilder::new(header, MTU).expect("MTU above the minimum");
        for chunk in &self.chunks {
            builder
                .push(chunk)
                .unwrap_or_else(|e| panic!("sample {:?}: {e}", self.name));
        }
        builder.finish(ChecksumMode::Crc32c)
    }
}

fn data(tsn: u32, ssn: u16, payload: &'static [u8]) -> Chunk {
    Chunk::Data(DataChunk {
        tsn: Tsn(tsn),
        stream_id: StreamId(1),
        ssn: Ssn(ssn),
        ppid: Ppid::STRING,
        unordered: false,
        beginning: true,
        ending: true,
        immediate_sack: false,
        payload: Bytes::from_static(payload),
    })
}

/// The parameters both INIT and INIT ACK announce: what a WebRTC stack
/// supports.
fn capability_params() -> Vec<Param> {
    vec![
        // RFC 5061 §4.2.7.
        Param::SupportedExtensions(
            [
                ChunkType::FORWARD_TSN,
                ChunkType::RE_CONFIG,
                ChunkType::I_DATA,
                ChunkType::I_FORWARD_TSN,
            ]
            .into(),
        ),
        // RFC 3758 §3.1.
        Param::ForwardTsnSupported,
    ]
}

const COOKIE: &[u8] = b"state cookie: opaque to the peer, authenticated by its maker";

fn init() -> Chunk {
    let mut params = vec![
        // RFC 9260 §3.3.2.1.
        Param::Ipv4Address(Ipv4Addr::LOCALHOST),
        // RFC 9260 §3.3.2.1: IPv4 only, a 6-byte parameter, padded.
        Param::SupportedAddressTypes([ParamType::IPV4_ADDRESS].into()),
        // RFC 9260 Appendix A: a type sctp-wire does not interpret, so
        // built (and decoded) as an unknown parameter.
        Param::Unknown {
            kind: ParamType::ECN_CAPABLE,
            value: Bytes::new(),
        },
    ];
    params.extend(capability_params());
    Chunk::Init(Init {
        initiate_tag: INITIATE_TAG,
        a_rwnd: 1 << 20,
        outbound_streams: 1024,
        inbound_streams: 1024,
        initial_tsn: Tsn(100),
        params,
    })
}

fn init_ack() -> Chunk {
    let mut params = vec![Param::StateCookie(Bytes::from_static(COOKIE))];
    params.extend(capability_params());
    Chunk::InitAck(Init {
        initiate_tag: TAG,
        a_rwnd: 1 << 20,
        outbound_streams: 1024,
        inbound_streams: 1024,
        initial_tsn: Tsn(500),
        params,
    })
}

/// RFC 6525 §4.1: request 1 resets outgoing streams 1 and 2 after TSN 104.
fn outgoing_ssn_reset_request() -> Param {
    Param::OutgoingSsnResetRequest {
        request_seq: 1,
        response_seq: 0,
        sender_last_tsn: Tsn(104),
        streams: [StreamId(1), StreamId(2)].into(),
    }
}

fn heartbeat_info() -> Bytes {
    // Sender-specific: here a path id and a send time, as a stack might.
    Bytes::from_static(b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x0f\x42\x40")
}

/// One packet per chunk kind, in the order of an association's life.
pub(crate) fn samples() -> Vec<Sample> {
    vec![
        Sample {
            // RFC 9260 §8.5.1: an INIT carries verification tag 0.
            tag: 0,
            ..Sample::new("INIT with addresses and capabilities", vec![init()])
        },
        Sample::new("INIT ACK with a state cookie", vec![init_ack()]),
        Sample::new(
            "COOKIE ECHO",
            vec![Chunk::CookieEcho(CookieEcho {
                cookie: Bytes::from_static(COOKIE),
            })],
        ),
        Sample::new("COOKIE ACK", vec![Chunk::CookieAck]),
        Sample::new("DATA", vec![data(100, 0, b"hello, sctp")]),
        Sample::new(
            "I-DATA, a message in two fragments",
            vec![
                Chunk::IData(IDataChunk {
                    tsn: Tsn(101),
                    stream_id: StreamId(2),
                    mid: Mid(0),
                    fragment: IDataFragment::First { ppid: Ppid::BINARY },
                    unordered: false,
                    ending: false,
                    immediate_sack: false,
                    payload: Bytes::from_static(b"first half, "),
                }),
                Chunk::IData(IDataChunk {
                    tsn: Tsn(102),
                    stream_id: StreamId(2),
                    mid: Mid(0),
                    fragment: IDataFragment::Later { fsn: Fsn(1) },
                    unordered: false,
                    ending: true,
                    immediate_sack: true,
                    payload: Bytes::from_static(b"second half"),
                }),
            ],
        ),
        Sample::new(
            "SACK with gap blocks and duplicate TSNs",
            vec![Chunk::Sack(Sack {
                cum_tsn_ack: Tsn(500),
                a_rwnd: 1 << 20,
                gap_blocks: [
                    GapAckBlock { start: 2, end: 3 },
                    GapAckBlock { start: 5, end: 5 },
                ]
                .into(),
                duplicate_tsns: [Tsn(499), Tsn(500)].into(),
            })],
        ),
        Sample::new(
            "SACK bundled with two DATA",
            vec![
                Chunk::Sack(Sack {
                    cum_tsn_ack: Tsn(505),
                    a_rwnd: 1 << 20,
                    gap_blocks: Default::default(),
                    duplicate_tsns: Default::default(),
                }),
                data(103, 1, b"second message"),
                data(104, 2, b"third message"),
            ],
        ),
        Sample::new(
            "HEARTBEAT",
            vec![Chunk::Heartbeat(Heartbeat {
                info: heartbeat_info(),
            })],
        ),
        Sample::new(
            "HEARTBEAT ACK",
            vec![Chunk::HeartbeatAck(Heartbeat {
                info: heartbeat_info(),
            })],
        ),
        Sample::new(
            "PAD with a HEARTBEAT, a path MTU probe",
            vec![
                Chunk::Heartbeat(Heartbeat {
                    info: heartbeat_info(),
                }),
                Chunk::Pad(Pad::with_chunk_len(200)),
            ],
        ),
        Sample::new(
            "FORWARD TSN",
            vec![Chunk::ForwardTsn(ForwardTsn {
                new_cum_tsn: Tsn(106),
                streams: [ForwardTsnStream {
                    stream_id: StreamId(1),
                    ssn: Ssn(3),
                }]
                .into(),
            })],
        ),
        Sample::new(
            "I-FORWARD TSN",
            vec![Chunk::IForwardTsn(IForwardTsn {
                new_cum_tsn: Tsn(108),
                streams: [
                    IForwardTsnStream {
                        stream_id: StreamId(2),
                        unordered: false,
                        mid: Mid(1),
                    },
                    IForwardTsnStream {
                        stream_id: StreamId(3),
                        unordered: true,
                        mid: Mid(0),
                    },
                ]
                .into(),
            })],
        ),
        Sample::new(
            "RE-CONFIG with an outgoing SSN reset request",
            vec![Chunk::Reconfig(Reconfig {
                params: vec![outgoing_ssn_reset_request()],
            })],
        ),
        Sample::new(
            "RE-CONFIG with a re-configuration response",
            vec![Chunk::Reconfig(Reconfig {
                // RFC 6525 §4.4: request 1 was performed.
                params: vec![Param::ReconfigResponse {
                    response_seq: 1,
                    result: ReconfigResult::SUCCESS_PERFORMED,
                    next_tsns: None,
                }],
            })],
        ),
        Sample::new(
            "RE-CONFIG adding outgoing and incoming streams",
            vec![Chunk::Reconfig(Reconfig {
                // RFC 6525 §4.5 and §4.6, together in one chunk.
                params: vec![
                    Param::AddOutgoingStreams {
                        request_seq: 2,
                        new_streams: 16,
                    },
                    Param::AddIncomingStreams {
                        request_seq: 3,
                        new_streams: 16,
                    },
                ],
            })],
        ),
        Sample::new(
            "ERROR",
            vec![Chunk::Error(OperationError {
                causes: vec![
                    ErrorCause::InvalidStreamIdentifier {
                        stream_id: StreamId(7),
                    },
                    ErrorCause::StaleCookie {
                        staleness_us: 250_000,
                    },
                    ErrorCause::OutOfResource,
                ],
            })],
        ),
        Sample::new(
            "SHUTDOWN",
            vec![Chunk::Shutdown(Shutdown {
                cum_tsn_ack: Tsn(510),
            })],
        ),
        Sample::new("SHUTDOWN ACK", vec![Chunk::ShutdownAck]),
        Sample::new(
            "SHUTDOWN COMPLETE",
            vec![Chunk::ShutdownComplete(ShutdownComplete {
                tag_reflected: false,
            })],
        ),
        Sample::new(
            "ABORT with a user-initiated abort cause",
            vec![Chunk::Abort(Abort {
                tag_reflected: false,
                causes: vec![ErrorCause::UserInitiatedAbort(Bytes::from_static(
                    b"application closed",
                ))],
            })],
        ),
    ]
}

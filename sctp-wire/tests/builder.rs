//! The packet builder: bundling up to the MTU with padded sizes, and the
//! chunks that travel alone (RFC 9260 §6.10).

mod common;

use bytes::Bytes;
use common::chunks::bundleable_chunk;
use proptest::collection::vec;
use proptest::prelude::*;
use sctp_wire::*;

fn data(len: usize) -> DataChunk {
    DataChunk {
        tsn: Tsn(1),
        stream_id: StreamId(0),
        ssn: Ssn(0),
        ppid: Ppid::BINARY,
        unordered: false,
        beginning: true,
        ending: true,
        immediate_sack: false,
        payload: Bytes::from(vec![7; len]),
    }
}

fn init() -> Chunk {
    Chunk::Init(Init {
        initiate_tag: 1,
        a_rwnd: 1 << 20,
        outbound_streams: 1,
        inbound_streams: 1,
        initial_tsn: Tsn(1),
        params: vec![],
    })
}

fn builder(mtu: usize) -> PacketBuilder {
    PacketBuilder::new(CommonHeader::new(5000, 5000, 9), mtu).unwrap()
}

#[test]
fn bundler_counts_padded_chunk_sizes_against_the_mtu() {
    // Regression for bundlers that counted unpadded sizes and overshot the
    // MTU (pion, webrtc-rs). A DATA chunk with 1 byte of user data is 17
    // bytes long and takes 20 on the wire: 12 + 2 × 20 = 52 bytes fit an
    // MTU of 52, and a third chunk does not fit in an MTU of 71 (3 short).
    let chunk = data(1);
    assert_eq!((chunk.encoded_len(), chunk.padded_len()), (17, 20));
    let mut b = builder(52);
    b.push(&chunk).unwrap();
    b.push(&chunk).unwrap();
    assert_eq!(b.remaining(), 0);
    assert_eq!(b.finish(ChecksumMode::Crc32c).len(), 52);

    let mut b = builder(71);
    b.push(&chunk).unwrap();
    b.push(&chunk).unwrap();
    assert_eq!(
        b.push(&chunk).unwrap_err(),
        BuildError::PacketFull {
            chunk: ChunkType::DATA,
            needed: 20,
            remaining: 19
        }
    );
    assert_eq!(b.finish(ChecksumMode::Crc32c).len(), 52);
}

#[test]
fn a_chunk_too_long_for_its_length_field_is_refused() {
    // RFC 9260 §3.2: Chunk Length is a 16-bit field.
    let err = builder(1 << 20).push(&data(65_535 - 16 + 1)).unwrap_err();
    assert_eq!(
        err,
        BuildError::ChunkTooLong {
            chunk: ChunkType::DATA,
            length: 65_536
        }
    );
    assert!(builder(1 << 20).push(&data(65_535 - 16)).is_ok());
}

#[test]
fn a_chunk_larger_than_the_mtu_is_refused_outright() {
    let err = builder(100).push(&data(100)).unwrap_err();
    assert_eq!(
        err,
        BuildError::ChunkTooLarge {
            chunk: ChunkType::DATA,
            needed: 128,
            mtu: 100
        }
    );
}

#[test]
fn init_init_ack_and_shutdown_complete_travel_alone() {
    // RFC 9260 §6.10: INIT, INIT ACK and SHUTDOWN COMPLETE are not bundled.
    let alone = [
        init(),
        match init() {
            Chunk::Init(i) => Chunk::InitAck(i),
            _ => unreachable!(),
        },
        Chunk::ShutdownComplete(ShutdownComplete::default()),
    ];
    for chunk in alone {
        let kind = chunk.chunk_type();
        let mut b = builder(1200);
        b.push(&Chunk::CookieAck).unwrap();
        assert_eq!(
            b.push(&chunk).unwrap_err(),
            BuildError::MustBeAlone { chunk: kind }
        );
        let mut b = builder(1200);
        b.push(&chunk).unwrap();
        assert_eq!(
            b.push(&Chunk::CookieAck).unwrap_err(),
            BuildError::MustBeAlone { chunk: kind }
        );
        assert_eq!(b.chunk_count(), 1);
    }
}

#[test]
fn the_mtu_must_hold_a_header_and_a_chunk_header() {
    assert_eq!(
        PacketBuilder::new(CommonHeader::default(), 15).unwrap_err(),
        BuildError::MtuTooSmall { mtu: 15, min: 16 }
    );
    assert!(PacketBuilder::new(CommonHeader::default(), 16).is_ok());
}

#[test]
fn the_checksum_is_crc32c_little_endian_at_offset_8() {
    // RFC 9260 §6.8 and Appendix B.
    let mut b = builder(1200);
    b.push(&Chunk::CookieAck).unwrap();
    let datagram = b.finish(ChecksumMode::Crc32c);
    let mut zeroed = datagram.to_vec();
    zeroed[8..12].fill(0);
    assert_eq!(&datagram[8..12], &crc32c_software(&zeroed).to_le_bytes());
}

#[test]
fn a_reused_buffer_builds_the_same_packet() {
    let mut b = builder(1200);
    b.push(&data(10)).unwrap();
    let first = b.finish(ChecksumMode::Crc32c);
    let buf = bytes::BytesMut::with_capacity(2000);
    let mut b = PacketBuilder::with_buffer(CommonHeader::new(5000, 5000, 9), 1200, buf).unwrap();
    b.push(&data(10)).unwrap();
    assert_eq!(b.finish(ChecksumMode::Crc32c), first);
}

proptest! {
    #[test]
    fn a_built_packet_never_exceeds_its_mtu(
        chunks in vec(bundleable_chunk(), 1..20),
        mtu in 16usize..1500,
    ) {
        let mut b = builder(mtu);
        let mut pushed = Vec::new();
        for chunk in chunks {
            match b.push(&chunk) {
                Ok(()) => pushed.push(chunk),
                Err(BuildError::PacketFull { remaining, needed, .. }) => {
                    prop_assert!(needed > remaining);
                }
                Err(BuildError::ChunkTooLarge { needed, .. }) => prop_assert!(needed > mtu),
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }
        let empty = b.is_empty();
        let datagram = b.finish(ChecksumMode::Crc32c);
        prop_assert!(datagram.len() <= mtu);
        if !empty {
            let packet = Packet::decode(datagram, ChecksumCheck::Required).unwrap();
            let decoded: Vec<Chunk> = packet.chunks().collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(decoded, pushed);
        }
    }
}

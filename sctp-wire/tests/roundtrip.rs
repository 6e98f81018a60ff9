//! Round trips through the whole codec: value → packet bytes → value, and
//! canonical bytes → value → the same bytes, for every chunk type.

mod common;

use bytes::Bytes;
use common::chunks::{any_chunk, bundleable_chunk};
use proptest::collection::vec;
use proptest::prelude::*;
use sctp_wire::*;

/// Builds a one-chunk packet large enough for any generated chunk.
fn packet_of(chunks: &[Chunk]) -> Bytes {
    let mut builder = PacketBuilder::new(CommonHeader::new(5000, 5001, 0xdead_beef), 1 << 20)
        .expect("MTU is valid");
    for chunk in chunks {
        builder.push(chunk).expect("chunk fits");
    }
    builder.finish(ChecksumMode::Crc32c)
}

fn decode_all(datagram: Bytes) -> Vec<Chunk> {
    let packet = Packet::decode(datagram, ChecksumCheck::Required).expect("packet decodes");
    packet
        .chunks()
        .collect::<Result<_, _>>()
        .expect("chunks decode")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_chunk_survives_encode_then_decode(chunk in any_chunk()) {
        let datagram = packet_of(std::slice::from_ref(&chunk));
        prop_assert_eq!(decode_all(datagram), vec![chunk]);
    }

    #[test]
    fn encoded_len_matches_the_bytes_written(chunk in any_chunk()) {
        let bytes = chunk.to_bytes();
        prop_assert_eq!(bytes.len(), chunk.encoded_len());
        // RFC 9260 §3.2: the Length field counts header and value, not the padding.
        prop_assert_eq!(u16::from_be_bytes([bytes[2], bytes[3]]) as usize, bytes.len());
        prop_assert_eq!(chunk.padded_len() % 4, 0);
    }

    #[test]
    fn canonical_bytes_survive_decode_then_encode(chunks in vec(bundleable_chunk(), 1..6)) {
        let datagram = packet_of(&chunks);
        let decoded = decode_all(datagram.clone());
        prop_assert_eq!(&decoded, &chunks);
        let again = packet_of(&decoded);
        prop_assert_eq!(again, datagram);
    }

    #[test]
    fn bundled_chunks_are_padded_to_four_bytes(chunks in vec(bundleable_chunk(), 1..6)) {
        let datagram = packet_of(&chunks);
        let packet = Packet::decode(datagram.clone(), ChecksumCheck::Required).unwrap();
        for raw in packet.raw_chunks() {
            // RFC 9260 §3.2: every chunk starts on a 4-byte boundary.
            prop_assert_eq!(raw.unwrap().offset % 4, 0);
        }
        prop_assert_eq!(datagram.len() % 4, 0);
    }
}

/// An unfragmented DATA chunk carrying `payload`.
fn whole_message(payload: Bytes) -> DataChunk {
    DataChunk {
        tsn: Tsn(7),
        stream_id: StreamId(1),
        ssn: Ssn(2),
        ppid: Ppid::BINARY,
        unordered: false,
        beginning: true,
        ending: true,
        immediate_sack: false,
        payload,
    }
}

#[test]
fn data_payload_is_a_slice_of_the_datagram() {
    let chunk = whole_message(Bytes::from(vec![0xab; 1000]));
    let datagram = packet_of(&[Chunk::Data(chunk)]);
    let range = datagram.as_ptr() as usize..datagram.as_ptr() as usize + datagram.len();
    for chunk in decode_all(datagram.clone()) {
        let Chunk::Data(d) = chunk else {
            panic!("expected DATA")
        };
        let p = d.payload.as_ptr() as usize;
        assert!(range.contains(&p), "payload was copied out of the datagram");
        assert!(range.contains(&(p + d.payload.len() - 1)));
    }
}

#[test]
fn a_taken_packet_hands_its_datagram_to_the_last_chunk() {
    // A DATA chunk whose value needs padding, and a SACK, in both orders.
    let data = Chunk::Data(whole_message(Bytes::from_static(b"odd")));
    let sack = Chunk::Sack(Sack {
        cum_tsn_ack: Tsn(6),
        a_rwnd: 1000,
        gap_blocks: PackedList::default(),
        duplicate_tsns: PackedList::default(),
    });
    for chunks in [
        vec![data.clone()],
        vec![data.clone(), sack.clone()],
        vec![sack, data],
    ] {
        let datagram = packet_of(&chunks);
        let start = datagram.as_ptr() as usize;
        let packet = Packet::decode(datagram, ChecksumCheck::Required).unwrap();
        let borrowed: Vec<RawChunk> = packet.raw_chunks().map(Result::unwrap).collect();
        let owned: Vec<RawChunk> = packet
            .clone()
            .into_raw_chunks()
            .map(Result::unwrap)
            .collect();
        assert_eq!(owned, borrowed);
        let last = owned.last().unwrap();
        assert_eq!(last.value.as_ptr() as usize, start + last.offset + 4);
        assert_eq!(
            packet
                .clone()
                .into_chunks()
                .collect::<Result<Vec<_>, _>>()
                .unwrap(),
            chunks
        );
        drop((borrowed, owned));
        // With the iterator still alive and the earlier values gone, the
        // last value is the only reference to the datagram: it was moved
        // out of the packet, not sliced.
        let mut walk = packet.into_raw_chunks();
        for _ in 1..chunks.len() {
            walk.next().unwrap().unwrap();
        }
        let last = walk.next().unwrap().unwrap().value;
        assert!(last.is_unique());
        assert!(walk.next().is_none());
    }
}

#[test]
fn idata_first_fragment_carries_the_ppid_and_later_ones_the_fsn() {
    // RFC 8260 §2.1: the PPID/FSN word is the PPID when B is set, the FSN otherwise.
    let first = IDataChunk {
        tsn: Tsn(1),
        stream_id: StreamId(3),
        mid: Mid(9),
        fragment: IDataFragment::First {
            ppid: Ppid(0x0102_0304),
        },
        unordered: false,
        ending: false,
        immediate_sack: false,
        payload: Bytes::from_static(b"abc"),
    };
    let bytes = first.to_bytes();
    assert_eq!(bytes[1] & 0x02, 0x02, "B bit set");
    assert_eq!(&bytes[16..20], &[1, 2, 3, 4]);
    let later = IDataChunk {
        fragment: IDataFragment::Later { fsn: Fsn(5) },
        ending: true,
        ..first
    };
    let bytes = later.to_bytes();
    assert_eq!(bytes[1] & 0x03, 0x01, "B clear, E set");
    assert_eq!(&bytes[16..20], &[0, 0, 0, 5]);
    assert_eq!(later.fragment.fsn(), Fsn(5));
}

#[test]
fn data_flags_sit_where_rfc_9260_puts_them() {
    // RFC 9260 §3.3.1: flags byte is | Res(4) | I | U | B | E |.
    let chunk = DataChunk {
        tsn: Tsn(1),
        stream_id: StreamId(0),
        ssn: Ssn(0),
        ppid: Ppid(0),
        unordered: true,
        beginning: false,
        ending: true,
        immediate_sack: true,
        payload: Bytes::from_static(b"x"),
    };
    assert_eq!(chunk.to_bytes()[1], 0b0000_1101);
    assert_eq!(chunk.encoded_len(), 17);
    assert_eq!(chunk.padded_len(), 20);
}

//! One chunk outside a packet: SNAP carries an INIT in SDP
//! (draft-hancke-tsvwg-snap).

use bytes::Bytes;
use sctp_wire::{Chunk, ChunkType, Init, Param, Tsn, WireError};

fn init() -> Chunk {
    Chunk::Init(Init {
        initiate_tag: 0x1234_5678,
        a_rwnd: 1 << 20,
        outbound_streams: 1024,
        inbound_streams: 1024,
        initial_tsn: Tsn(42),
        params: vec![
            Param::ForwardTsnSupported,
            Param::SupportedExtensions([ChunkType::RE_CONFIG].into()),
        ],
    })
}

#[test]
fn a_chunk_survives_the_standalone_form() {
    let bytes = init().to_standalone();
    assert_eq!(bytes.len() % 4, 0, "padded like in a packet");
    assert_eq!(bytes[0], ChunkType::INIT.0);
    assert_eq!(Chunk::decode_standalone(bytes), Ok(init()));
}

#[test]
fn nothing_is_no_chunk() {
    assert_eq!(
        Chunk::decode_standalone(Bytes::new()),
        Err(WireError::NoChunks)
    );
}

#[test]
fn bytes_after_the_chunk_are_refused() {
    let mut bytes = init().to_standalone().to_vec();
    bytes.extend_from_slice(&[0x0b, 0, 0, 4]); // a COOKIE ACK
    assert!(matches!(
        Chunk::decode_standalone(Bytes::from(bytes)),
        Err(WireError::Invalid { .. })
    ));
}

#[test]
fn a_cut_chunk_is_refused() {
    let bytes = init().to_standalone();
    let cut = bytes.slice(..bytes.len() - 8);
    assert!(matches!(
        Chunk::decode_standalone(cut),
        Err(WireError::Truncated { .. })
    ));
}

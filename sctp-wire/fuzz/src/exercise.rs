/// Feeds `data` to every decoding entry point of sctp-wire and re-encodes
/// whatever decodes. Panics only if the codec breaks its contract: decoding
/// must never panic, and a decoded chunk must encode to bytes that decode
/// to the same chunk.
pub fn exercise(data: &[u8]) {
    use bytes::Bytes;
    use sctp_wire::{ChecksumCheck, ChecksumMode, Encode, Packet, PacketBuilder};

    let datagram = Bytes::copy_from_slice(data);
    // The checksum path on the input as is.
    let _ = Packet::decode(datagram.clone(), ChecksumCheck::Required);
    let _ = Packet::decode(datagram.clone(), ChecksumCheck::ZeroAllowed);
    // Skipping the checksum lets the fuzzer reach the chunk decoders.
    let Ok(packet) = Packet::decode(datagram, ChecksumCheck::Skip) else {
        return;
    };
    for chunk in packet.chunks().flatten() {
        let encoded = chunk.to_bytes();
        assert_eq!(encoded.len(), chunk.encoded_len());
        let mut builder = PacketBuilder::new(*packet.header(), 1 << 17).expect("valid MTU");
        builder
            .push(&chunk)
            .expect("a decoded chunk fits in 128 KiB");
        let again = Packet::decode(
            builder.finish(ChecksumMode::Crc32c),
            ChecksumCheck::Required,
        )
        .expect("a re-encoded chunk decodes");
        let mut chunks = again.chunks();
        assert_eq!(chunks.next(), Some(Ok(chunk)));
        assert_eq!(chunks.next(), None);
    }
}

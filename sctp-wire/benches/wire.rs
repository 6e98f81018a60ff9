//! Codec benchmarks: a full 1200-byte DATA packet parsed (checksum
//! included) and serialised, a SACK with 64 gap blocks, and CRC32c over
//! 1200 bytes and 64 KiB with every candidate implementation side by side.
//!
//! Run with `cargo xtask bench` (or `cargo bench -p sctp-wire`).
#![allow(missing_docs)] // criterion_group! generates undocumented items

use bytes::{Bytes, BytesMut};
use crc::{Crc, Table, CRC_32_ISCSI};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sctp_wire::*;

const MTU: usize = 1200;

fn data_chunk() -> DataChunk {
    // 12 (common header) + 16 (DATA header) + 1172 = 1200 bytes.
    DataChunk {
        tsn: Tsn(0x1000_0000),
        stream_id: StreamId(1),
        ssn: Ssn(42),
        ppid: Ppid::BINARY,
        unordered: false,
        beginning: true,
        ending: true,
        immediate_sack: false,
        payload: Bytes::from(vec![0x5a; MTU - 28]),
    }
}

fn sack() -> Sack {
    Sack {
        cum_tsn_ack: Tsn(1000),
        a_rwnd: 1 << 20,
        gap_blocks: (0..64u16)
            .map(|i| GapAckBlock {
                start: 2 + 4 * i,
                end: 3 + 4 * i,
            })
            .collect(),
        duplicate_tsns: PackedList::new(),
    }
}

fn build<C: ChunkEncode>(chunk: &C, buf: BytesMut) -> Bytes {
    let mut b = PacketBuilder::with_buffer(CommonHeader::new(5000, 5000, 0xabcd), MTU, buf)
        .expect("valid MTU");
    b.push(chunk).expect("fits");
    b.finish(ChecksumMode::Crc32c)
}

fn consume(packet: &Packet) -> usize {
    let mut n = 0;
    for chunk in packet.chunks() {
        match chunk.expect("valid chunk") {
            Chunk::Data(d) => n += d.payload.len(),
            Chunk::Sack(s) => n += s.gap_blocks.iter().map(|g| g.end as usize).sum::<usize>(),
            _ => n += 1,
        }
    }
    n
}

fn packets(c: &mut Criterion) {
    let data = data_chunk();
    let datagram = build(&data, BytesMut::new());
    assert_eq!(datagram.len(), MTU);
    let mut g = c.benchmark_group("data_packet_1200");
    g.throughput(Throughput::Bytes(MTU as u64));
    g.bench_function("parse_with_crc", |b| {
        b.iter(|| {
            let p = Packet::decode(black_box(datagram.clone()), ChecksumCheck::Required).unwrap();
            consume(&p)
        })
    });
    g.bench_function("parse_without_crc", |b| {
        b.iter(|| {
            let p = Packet::decode(black_box(datagram.clone()), ChecksumCheck::Skip).unwrap();
            consume(&p)
        })
    });
    g.bench_function("serialise_with_crc", |b| {
        b.iter_batched(
            || BytesMut::with_capacity(MTU),
            |buf| build(black_box(&data), buf),
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let sack = sack();
    let datagram = build(&sack, BytesMut::new());
    let mut g = c.benchmark_group("sack_64_gaps");
    g.throughput(Throughput::Bytes(datagram.len() as u64));
    g.bench_function("parse_with_crc", |b| {
        b.iter(|| {
            let p = Packet::decode(black_box(datagram.clone()), ChecksumCheck::Required).unwrap();
            consume(&p)
        })
    });
    g.bench_function("serialise_with_crc", |b| {
        b.iter_batched(
            || BytesMut::with_capacity(MTU),
            |buf| build(black_box(&sack), buf),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

static CRC_TABLE16: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);
static CRC_TABLE1: Crc<u32, Table<1>> = Crc::<u32, Table<1>>::new(&CRC_32_ISCSI);

fn checksums(c: &mut Criterion) {
    for len in [1052usize, 1200, 64 * 1024] {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let expected = CRC_TABLE16.checksum(&data);
        assert_eq!(crc32c::crc32c(&data), expected);
        assert_eq!(crc_fast::crc32_iscsi(&data), expected);
        assert_eq!(sctp_wire::crc32c(&data), expected);
        let mut g = c.benchmark_group(format!("crc32c_{len}"));
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function("crc_table1", |b| {
            b.iter(|| CRC_TABLE1.checksum(black_box(&data)))
        });
        g.bench_function("crc_table16", |b| {
            b.iter(|| CRC_TABLE16.checksum(black_box(&data)))
        });
        g.bench_function("crc32c_sse42", |b| {
            b.iter(|| crc32c::crc32c(black_box(&data)))
        });
        g.bench_function("crc_fast", |b| {
            b.iter(|| crc_fast::crc32_iscsi(black_box(&data)))
        });
        g.bench_function("sctp_wire_dispatch", |b| {
            b.iter(|| sctp_wire::crc32c(black_box(&data)))
        });
        g.finish();
    }
}

criterion_group!(benches, packets, checksums);
criterion_main!(benches);

//! The first decoding stage: cutting type-length-value elements out of a
//! buffer after checking their lengths, and the shared encoding helpers.
//!
//! Chunks (RFC 9260 §3.2), parameters (§3.2.1) and error causes (§3.3.10)
//! share one layout: a type, a 16-bit length that counts the header and
//! the value but not the padding, and padding to a multiple of four bytes.

use crate::error::{Element, WireError};
use crate::types::{CauseCode, ChunkType, ParamType};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

/// `len` rounded up to a multiple of four (RFC 9260 §3.2: chunks and
/// parameters are padded to 4-byte boundaries).
#[inline]
pub const fn padded(len: usize) -> usize {
    (len + 3) & !3
}

/// Serialisation shared by chunks, parameters and error causes.
///
/// `encoded_len` is the value the element's Length field carries: header
/// and value, without the padding that follows it. `encode` appends exactly
/// that many bytes; containers pad between elements and the packet builder
/// pads every chunk.
///
/// Length fields are 16 bits wide: an element longer than 65 535 bytes has
/// no valid encoding. [`crate::PacketBuilder::push`] refuses such a chunk
/// with a typed error; calling `encode` on one directly writes a wrong
/// Length field (and trips a debug assertion).
pub trait Encode {
    /// The element's Length field: header plus value, padding excluded.
    fn encoded_len(&self) -> usize;

    /// Appends the element, without trailing padding, to `buf`.
    fn encode(&self, buf: &mut BytesMut);

    /// The element's size on the wire including padding to 4 bytes.
    fn padded_len(&self) -> usize {
        padded(self.encoded_len())
    }

    /// The element serialised into a fresh buffer, without trailing padding.
    fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode(&mut buf);
        buf.freeze()
    }
}

/// Appends `n` zero bytes of padding.
#[inline]
pub(crate) fn put_padding(buf: &mut BytesMut, n: usize) {
    // At most 3 bytes, mostly none: a slice copy, not a memset call.
    debug_assert!(n < 4, "padding of {n} bytes");
    if n > 0 {
        buf.put_slice(&[0; 3][..n.min(3)]);
    }
}

/// A chunk cut out of a packet but not yet decoded: its type, flags and
/// value (the bytes after the 4-byte chunk header, padding excluded).
///
/// `value` is a slice of the received datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawChunk {
    /// The chunk type.
    pub kind: ChunkType,
    /// The chunk flags.
    pub flags: u8,
    /// The chunk value, a slice of the datagram.
    pub value: Bytes,
    /// Offset of the chunk header from the start of the packet.
    pub offset: usize,
}

impl RawChunk {
    /// The chunk whose header starts with `head` (type, flags).
    #[inline]
    fn cut(head: [u8; 2], value: Bytes, offset: usize) -> Self {
        RawChunk {
            kind: ChunkType(head[0]),
            flags: head[1],
            value,
            offset,
        }
    }
}

/// A parameter or error cause cut out of a chunk but not yet decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTlv {
    /// The 16-bit type or cause code.
    pub kind: u16,
    /// The value after the 4-byte header, padding excluded.
    pub value: Bytes,
    /// Offset of the TLV header from the start of the packet.
    pub offset: usize,
}

/// One element found by [`TlvWalker`]: the first two header bytes (type,
/// or type and flags), where its value lies in the walked buffer, and the
/// element's offset in the packet.
type Cut = ([u8; 2], Range<usize>, usize);

/// Walks a buffer of padded TLVs with 4-byte headers, checking every length.
/// It holds only positions, so checking a packet's framing touches no
/// reference count.
///
/// The last element may omit its padding: RFC 9260 §3.2 asks receivers to
/// accept a chunk whether or not its final padding is counted.
#[derive(Clone, Debug)]
struct TlvWalker {
    pos: usize,
    end: usize,
    base: usize,
}

impl TlvWalker {
    /// Walks `buf[start..]`, whose first byte sits at `base` in the packet.
    fn new(start: usize, end: usize, base: usize) -> Self {
        TlvWalker {
            pos: start,
            end,
            base: base.wrapping_sub(start),
        }
    }

    /// The next element of `buf` (the buffer given to every call).
    /// Inlined: every packet walks its chunks twice (checking, then
    /// reading), and the call cost as much as the walk.
    #[inline(always)]
    fn next_in<E: Fn([u8; 2]) -> Element>(
        &mut self,
        buf: &[u8],
        element: E,
    ) -> Option<Result<Cut, WireError>> {
        let at = self.pos;
        let rest = self.end - at;
        if rest == 0 {
            return None;
        }
        let offset = self.base.wrapping_add(at);
        if rest < 4 {
            self.pos = self.end;
            let head = [buf[at], if rest > 1 { buf[at + 1] } else { 0 }];
            return Some(Err(WireError::Truncated {
                element: element(head),
                offset,
                length: 4,
                available: rest,
            }));
        }
        // One bounds check for the four header bytes. `end` never passes
        // the buffer, so the `else` is for a caller that broke that.
        let Some(&[t0, t1, l0, l1]) = buf.get(at..).and_then(<[u8]>::first_chunk::<4>) else {
            self.pos = self.end;
            return None;
        };
        let head = [t0, t1];
        let length = usize::from(u16::from_be_bytes([l0, l1]));
        if length < 4 {
            self.pos = self.end;
            return Some(Err(WireError::TooShort {
                element: element(head),
                offset,
                length,
                min: 4,
            }));
        }
        if length > rest {
            self.pos = self.end;
            return Some(Err(WireError::Truncated {
                element: element(head),
                offset,
                length,
                available: rest,
            }));
        }
        self.pos = (at + padded(length)).min(self.end);
        Some(Ok((head, at + 4..at + length, offset)))
    }
}

/// What [`check_chunks`] learnt about a packet's chunks on the way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ChunkSummary {
    /// How many chunks the packet holds.
    pub(crate) count: usize,
    /// Whether one is a chunk that must travel alone (RFC 9260 §6.10).
    pub(crate) has_lone_kind: bool,
}

/// Checks the framing of the chunks in `datagram[start..]` without
/// allocating or slicing, and counts them.
pub(crate) fn check_chunks(datagram: &[u8], start: usize) -> Result<ChunkSummary, WireError> {
    let mut walker = TlvWalker::new(start, datagram.len(), start);
    let mut summary = ChunkSummary::default();
    while let Some(cut) = walker.next_in(datagram, chunk_element) {
        let (head, _, _) = cut?;
        summary.count += 1;
        summary.has_lone_kind |= must_be_alone(ChunkType(head[0]));
    }
    Ok(summary)
}

/// RFC 9260 §6.10: INIT, INIT ACK and SHUTDOWN COMPLETE are never bundled
/// with other chunks.
pub(crate) fn must_be_alone(kind: ChunkType) -> bool {
    matches!(
        kind,
        ChunkType::INIT | ChunkType::INIT_ACK | ChunkType::SHUTDOWN_COMPLETE
    )
}

fn chunk_element(head: [u8; 2]) -> Element {
    Element::Chunk(ChunkType(head[0]))
}

/// Iterator over the chunks of a packet; see [`crate::Packet::raw_chunks`].
#[derive(Clone, Debug)]
pub struct RawChunks<'a> {
    datagram: &'a Bytes,
    walker: TlvWalker,
}

impl<'a> RawChunks<'a> {
    /// The chunks of `datagram` from byte `start` on.
    pub(crate) fn new(datagram: &'a Bytes, start: usize) -> Self {
        RawChunks {
            datagram,
            walker: TlvWalker::new(start, datagram.len(), start),
        }
    }
}

impl Iterator for RawChunks<'_> {
    type Item = Result<RawChunk, WireError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let item = self.walker.next_in(self.datagram, chunk_element)?;
        Some(
            item.map(|(head, range, offset)| {
                RawChunk::cut(head, self.datagram.slice(range), offset)
            }),
        )
    }
}

/// Iterator over the chunks of a packet it owns; see
/// [`crate::Packet::into_raw_chunks`].
///
/// Each chunk's value is a slice of the datagram, except the last one's:
/// that one is the datagram itself, cut down, so the packet's usual single
/// chunk costs no reference count raised and dropped.
#[derive(Clone, Debug)]
pub struct IntoRawChunks {
    datagram: Bytes,
    walker: TlvWalker,
}

impl IntoRawChunks {
    /// The chunks of `datagram` from byte `start` on.
    pub(crate) fn new(datagram: Bytes, start: usize) -> Self {
        IntoRawChunks {
            walker: TlvWalker::new(start, datagram.len(), start),
            datagram,
        }
    }
}

impl Iterator for IntoRawChunks {
    type Item = Result<RawChunk, WireError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let item = self.walker.next_in(&self.datagram, chunk_element)?;
        Some(item.map(|(head, range, offset)| {
            let value = if self.walker.pos == self.walker.end {
                // Nothing follows: the walker never reads the buffer again.
                let mut last = std::mem::take(&mut self.datagram);
                last.truncate(range.end);
                last.advance(range.start);
                last
            } else {
                self.datagram.slice(range)
            };
            RawChunk::cut(head, value, offset)
        }))
    }
}

/// Iterator over a run of parameters or error causes.
#[derive(Clone, Debug)]
pub(crate) struct RawTlvs {
    buf: Bytes,
    walker: TlvWalker,
    is_cause: bool,
}

impl RawTlvs {
    /// Parameters in `buf`, whose first byte sits at `base` in the packet.
    pub(crate) fn params(buf: Bytes, base: usize) -> Self {
        RawTlvs {
            walker: TlvWalker::new(0, buf.len(), base),
            buf,
            is_cause: false,
        }
    }

    /// Error causes in `buf`, whose first byte sits at `base` in the packet.
    pub(crate) fn causes(buf: Bytes, base: usize) -> Self {
        RawTlvs {
            walker: TlvWalker::new(0, buf.len(), base),
            buf,
            is_cause: true,
        }
    }
}

impl Iterator for RawTlvs {
    type Item = Result<RawTlv, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        let is_cause = self.is_cause;
        let item = self.walker.next_in(&self.buf, |head| {
            let kind = u16::from_be_bytes(head);
            if is_cause {
                Element::Cause(CauseCode(kind))
            } else {
                Element::Param(ParamType(kind))
            }
        })?;
        Some(item.map(|(head, range, offset)| RawTlv {
            kind: u16::from_be_bytes(head),
            value: self.buf.slice(range),
            offset,
        }))
    }
}

/// Encoded length of a list of TLVs laid end to end: every element but the
/// last padded (RFC 9260 §3.2: the length counts padding of all but the
/// last parameter).
pub(crate) fn list_len<T: Encode>(items: &[T]) -> usize {
    match items.split_last() {
        None => 0,
        Some((last, rest)) => {
            rest.iter().map(Encode::padded_len).sum::<usize>() + last.encoded_len()
        }
    }
}

/// Appends a list of TLVs, padding between elements but not after the last.
pub(crate) fn encode_list<T: Encode>(items: &[T], buf: &mut BytesMut) {
    let n = items.len();
    for (i, item) in items.iter().enumerate() {
        item.encode(buf);
        if i + 1 < n {
            put_padding(buf, item.padded_len() - item.encoded_len());
        }
    }
}

/// Writes a TLV header (16-bit type, 16-bit length).
#[inline]
pub(crate) fn put_tlv_header(buf: &mut BytesMut, kind: u16, length: usize) {
    debug_assert!(length <= u16::MAX as usize, "TLV length {length} overflows");
    buf.put_u16(kind);
    buf.put_u16(length as u16);
}

/// Writes a chunk header (8-bit type, 8-bit flags, 16-bit length).
#[inline]
pub(crate) fn put_chunk_header(buf: &mut BytesMut, kind: ChunkType, flags: u8, length: usize) {
    debug_assert!(
        length <= u16::MAX as usize,
        "chunk length {length} overflows"
    );
    let [hi, lo] = (length as u16).to_be_bytes();
    buf.put_slice(&[kind.0, flags, hi, lo]);
}

/// Reads a big-endian `u16` at `at`; the caller has checked the length.
#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Reads a big-endian `u32` at `at`; the caller has checked the length.
#[inline]
pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A fixed-size item of a [`PackedList`].
pub trait Packed: Copy {
    /// Bytes each item takes on the wire.
    const SIZE: usize;
    /// Reads one item from exactly `SIZE` bytes.
    fn read(b: &[u8]) -> Self;
    /// Appends one item.
    fn write(&self, buf: &mut BytesMut);
}

impl Packed for u16 {
    const SIZE: usize = 2;
    fn read(b: &[u8]) -> Self {
        be16(b, 0)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u16(*self);
    }
}

impl Packed for u32 {
    const SIZE: usize = 4;
    fn read(b: &[u8]) -> Self {
        be32(b, 0)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u32(*self);
    }
}

macro_rules! packed_newtype {
    ($($ty:ident($int:ty)),*) => {$(
        impl Packed for crate::$ty {
            const SIZE: usize = <$int as Packed>::SIZE;
            fn read(b: &[u8]) -> Self {
                crate::$ty(<$int as Packed>::read(b))
            }
            fn write(&self, buf: &mut BytesMut) {
                self.0.write(buf);
            }
        }
    )*};
}

impl Packed for u8 {
    const SIZE: usize = 1;
    fn read(b: &[u8]) -> Self {
        b[0]
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u8(*self);
    }
}

packed_newtype!(Tsn(u32), StreamId(u16), ChunkType(u8), ParamType(u16));

/// A list of fixed-size items kept as the bytes they arrived in, so that
/// decoding a SACK's gap blocks or a FORWARD TSN's stream entries never
/// allocates. Items are read on iteration.
pub struct PackedList<T> {
    bytes: Bytes,
    _item: PhantomData<T>,
}

impl<T: Packed> PackedList<T> {
    /// The empty list.
    pub fn new() -> Self {
        PackedList {
            bytes: Bytes::new(),
            _item: PhantomData,
        }
    }

    /// Wraps `bytes` if its length is a whole number of items.
    pub fn from_bytes(bytes: Bytes) -> Option<Self> {
        bytes.len().is_multiple_of(T::SIZE).then_some(PackedList {
            bytes,
            _item: PhantomData,
        })
    }

    /// Wraps `bytes` whose length the caller checked to be a whole number
    /// of items (a remainder would be ignored by iteration, never read).
    pub(crate) fn from_exact_bytes(bytes: Bytes) -> Self {
        debug_assert_eq!(bytes.len() % T::SIZE, 0);
        PackedList {
            bytes,
            _item: PhantomData,
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.bytes.len() / T::SIZE
    }

    /// Whether the list has no item.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The item at `index`, if any.
    pub fn get(&self, index: usize) -> Option<T> {
        let at = index.checked_mul(T::SIZE)?;
        self.bytes.get(at..at + T::SIZE).map(T::read)
    }

    /// The items in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = T> + '_ {
        self.bytes.chunks_exact(T::SIZE).map(T::read)
    }

    /// The wire bytes of the list.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Size of the list on the wire.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }
}

impl<T: Packed> Default for PackedList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for PackedList<T> {
    fn clone(&self) -> Self {
        PackedList {
            bytes: self.bytes.clone(),
            _item: PhantomData,
        }
    }
}

impl<T> PartialEq for PackedList<T> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<T> Eq for PackedList<T> {}

impl<T: Packed + fmt::Debug> fmt::Debug for PackedList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Packed> FromIterator<T> for PackedList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut iter = iter.into_iter();
        // An empty list (a SACK's usual gap blocks and duplicates) is the
        // static empty `Bytes`: no allocation to make and free.
        let Some(first) = iter.next() else {
            return PackedList {
                bytes: Bytes::new(),
                _item: PhantomData,
            };
        };
        let mut buf = BytesMut::with_capacity((iter.size_hint().0 + 1) * T::SIZE);
        first.write(&mut buf);
        for item in iter {
            item.write(&mut buf);
        }
        PackedList {
            bytes: buf.freeze(),
            _item: PhantomData,
        }
    }
}

impl<T: Packed> From<&[T]> for PackedList<T> {
    fn from(items: &[T]) -> Self {
        items.iter().copied().collect()
    }
}

impl<T: Packed> From<Vec<T>> for PackedList<T> {
    fn from(items: Vec<T>) -> Self {
        items.into_iter().collect()
    }
}

impl<T: Packed, const N: usize> From<[T; N]> for PackedList<T> {
    fn from(items: [T; N]) -> Self {
        items.into_iter().collect()
    }
}

//! Chunks (RFC 9260 §3.2 and the extensions a WebRTC stack meets), one
//! module per chunk type, decoded from a [`RawChunk`] and encoded back.

mod abort;
mod cookie;
mod data;
mod error;
mod forward_tsn;
mod heartbeat;
mod idata;
mod iforward_tsn;
mod init;
mod pad;
mod reconfig;
mod sack;
mod shutdown;

pub use abort::Abort;
pub use cookie::CookieEcho;
pub use data::DataChunk;
pub use error::OperationError;
pub use forward_tsn::{ForwardTsn, ForwardTsnChunk, ForwardTsnEntry, ForwardTsnStream};
pub use heartbeat::Heartbeat;
pub use idata::{IDataChunk, IDataFragment};
pub use iforward_tsn::{IForwardTsn, IForwardTsnStream};
pub use init::Init;
pub use pad::Pad;
pub use reconfig::Reconfig;
pub use sack::{GapAckBlock, Sack};
pub use shutdown::{Shutdown, ShutdownComplete};

use crate::error::{Element, WireError};
use crate::tlv::{put_chunk_header, Encode, RawChunk, RawChunks};
use crate::types::ChunkType;
use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;

/// Something the packet builder can append as one chunk.
pub trait ChunkEncode: Encode {
    /// The chunk type, which decides the bundling rules.
    fn chunk_type(&self) -> ChunkType;
}

/// A decoded chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Chunk {
    /// DATA (RFC 9260 §3.3.1).
    Data(DataChunk),
    /// INIT (RFC 9260 §3.3.2).
    Init(Init),
    /// INIT ACK (RFC 9260 §3.3.3); same layout as INIT.
    InitAck(Init),
    /// SACK (RFC 9260 §3.3.4).
    Sack(Sack),
    /// HEARTBEAT (RFC 9260 §3.3.5).
    Heartbeat(Heartbeat),
    /// HEARTBEAT ACK (RFC 9260 §3.3.6); same layout as HEARTBEAT.
    HeartbeatAck(Heartbeat),
    /// ABORT (RFC 9260 §3.3.7).
    Abort(Abort),
    /// SHUTDOWN (RFC 9260 §3.3.8).
    Shutdown(Shutdown),
    /// SHUTDOWN ACK (RFC 9260 §3.3.9); no value.
    ShutdownAck,
    /// ERROR (RFC 9260 §3.3.10).
    Error(OperationError),
    /// COOKIE ECHO (RFC 9260 §3.3.11).
    CookieEcho(CookieEcho),
    /// COOKIE ACK (RFC 9260 §3.3.12); no value.
    CookieAck,
    /// SHUTDOWN COMPLETE (RFC 9260 §3.3.13).
    ShutdownComplete(ShutdownComplete),
    /// FORWARD TSN (RFC 3758 §3.2).
    ForwardTsn(ForwardTsn),
    /// RE-CONFIG (RFC 6525 §3.1).
    Reconfig(Reconfig),
    /// I-DATA (RFC 8260 §2.1).
    IData(IDataChunk),
    /// I-FORWARD TSN (RFC 8260 §2.3.1).
    IForwardTsn(IForwardTsn),
    /// PAD (RFC 4820 §3).
    Pad(Pad),
    /// A chunk of a type this crate does not decode, kept whole so that the
    /// association can apply [`ChunkType::unrecognized_action`] and report it.
    Unknown {
        /// The chunk type.
        kind: ChunkType,
        /// The chunk flags.
        flags: u8,
        /// The value after the 4-byte chunk header.
        value: Bytes,
    },
}

/// Checks that a chunk value holds at least `min` bytes.
pub(crate) fn need(
    kind: ChunkType,
    raw_len: usize,
    offset: usize,
    min: usize,
) -> Result<(), WireError> {
    if raw_len < min {
        return Err(WireError::TooShort {
            element: Element::Chunk(kind),
            offset,
            length: raw_len + 4,
            min: min + 4,
        });
    }
    Ok(())
}

/// Checks that a chunk value is empty (SHUTDOWN ACK, COOKIE ACK, SHUTDOWN COMPLETE).
fn empty(kind: ChunkType, value: &Bytes, offset: usize) -> Result<(), WireError> {
    if !value.is_empty() {
        return Err(WireError::BadLength {
            element: Element::Chunk(kind),
            offset,
            length: value.len() + 4,
            reason: "this chunk has no value, so its length must be 4",
        });
    }
    Ok(())
}

impl Chunk {
    /// Decodes a chunk cut out by the TLV stage. Types this crate does not
    /// know become [`Chunk::Unknown`]; a known type with a bad layout is an
    /// error.
    pub fn decode(raw: RawChunk) -> Result<Chunk, WireError> {
        let RawChunk {
            kind,
            flags,
            value,
            offset,
        } = raw;
        Ok(match kind {
            // User data moves into the chunk, sliced without a reference count touch.
            ChunkType::DATA => Chunk::Data(DataChunk::decode(flags, value, offset)?),
            ChunkType::INIT => Chunk::Init(Init::decode(kind, &value, offset)?),
            ChunkType::INIT_ACK => Chunk::InitAck(Init::decode(kind, &value, offset)?),
            ChunkType::SACK => Chunk::Sack(Sack::decode(&value, offset)?),
            ChunkType::HEARTBEAT => Chunk::Heartbeat(Heartbeat::decode(kind, &value, offset)?),
            ChunkType::HEARTBEAT_ACK => {
                Chunk::HeartbeatAck(Heartbeat::decode(kind, &value, offset)?)
            }
            ChunkType::ABORT => Chunk::Abort(Abort::decode(flags, &value, offset)?),
            ChunkType::SHUTDOWN => Chunk::Shutdown(Shutdown::decode(&value, offset)?),
            ChunkType::SHUTDOWN_ACK => {
                empty(kind, &value, offset)?;
                Chunk::ShutdownAck
            }
            ChunkType::ERROR => Chunk::Error(OperationError::decode(&value, offset)?),
            ChunkType::COOKIE_ECHO => Chunk::CookieEcho(CookieEcho::decode(value)),
            ChunkType::COOKIE_ACK => {
                empty(kind, &value, offset)?;
                Chunk::CookieAck
            }
            ChunkType::SHUTDOWN_COMPLETE => {
                empty(kind, &value, offset)?;
                Chunk::ShutdownComplete(ShutdownComplete::from_flags(flags))
            }
            ChunkType::FORWARD_TSN => Chunk::ForwardTsn(ForwardTsn::decode(&value, offset)?),
            ChunkType::RE_CONFIG => Chunk::Reconfig(Reconfig::decode(&value, offset)?),
            ChunkType::I_DATA => Chunk::IData(IDataChunk::decode(flags, value, offset)?),
            ChunkType::I_FORWARD_TSN => Chunk::IForwardTsn(IForwardTsn::decode(&value, offset)?),
            ChunkType::PAD => Chunk::Pad(Pad::decode(value)),
            _ => Chunk::Unknown { kind, flags, value },
        })
    }

    /// Decodes one chunk carried outside a packet, alone in `bytes`
    /// (header, value, padding): the INIT a SNAP endpoint signals in SDP
    /// (draft-hancke-tsvwg-snap). Offsets in errors count from its first
    /// byte; bytes after the chunk are an error.
    pub fn decode_standalone(bytes: Bytes) -> Result<Chunk, WireError> {
        let mut chunks = RawChunks::new(&bytes, 0);
        let raw = chunks.next().ok_or(WireError::NoChunks)??;
        if let Some(next) = chunks.next() {
            let offset = next.map_or(0, |c| c.offset);
            return Err(WireError::Invalid {
                element: Element::Chunk(raw.kind),
                offset,
                reason: "bytes follow the chunk",
            });
        }
        Chunk::decode(raw)
    }

    /// The chunk's bytes as they go in a packet, padding included: what
    /// [`decode_standalone`](Self::decode_standalone) reads.
    pub fn to_standalone(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.padded_len());
        self.encode(&mut buf);
        buf.resize(self.padded_len(), 0);
        buf.freeze()
    }

    /// The chunk type.
    pub fn chunk_type(&self) -> ChunkType {
        match self {
            Chunk::Data(_) => ChunkType::DATA,
            Chunk::Init(_) => ChunkType::INIT,
            Chunk::InitAck(_) => ChunkType::INIT_ACK,
            Chunk::Sack(_) => ChunkType::SACK,
            Chunk::Heartbeat(_) => ChunkType::HEARTBEAT,
            Chunk::HeartbeatAck(_) => ChunkType::HEARTBEAT_ACK,
            Chunk::Abort(_) => ChunkType::ABORT,
            Chunk::Shutdown(_) => ChunkType::SHUTDOWN,
            Chunk::ShutdownAck => ChunkType::SHUTDOWN_ACK,
            Chunk::Error(_) => ChunkType::ERROR,
            Chunk::CookieEcho(_) => ChunkType::COOKIE_ECHO,
            Chunk::CookieAck => ChunkType::COOKIE_ACK,
            Chunk::ShutdownComplete(_) => ChunkType::SHUTDOWN_COMPLETE,
            Chunk::ForwardTsn(_) => ChunkType::FORWARD_TSN,
            Chunk::Reconfig(_) => ChunkType::RE_CONFIG,
            Chunk::IData(_) => ChunkType::I_DATA,
            Chunk::IForwardTsn(_) => ChunkType::I_FORWARD_TSN,
            Chunk::Pad(_) => ChunkType::PAD,
            Chunk::Unknown { kind, .. } => *kind,
        }
    }

    /// The flags byte of the chunk header.
    pub fn flags(&self) -> u8 {
        match self {
            Chunk::Data(c) => c.flags(),
            Chunk::IData(c) => c.flags(),
            Chunk::Abort(c) => c.flags(),
            Chunk::ShutdownComplete(c) => c.flags(),
            Chunk::Unknown { flags, .. } => *flags,
            _ => 0,
        }
    }

    fn value_len(&self) -> usize {
        match self {
            Chunk::Data(c) => c.value_len(),
            Chunk::Init(c) | Chunk::InitAck(c) => c.value_len(),
            Chunk::Sack(c) => c.value_len(),
            Chunk::Heartbeat(c) | Chunk::HeartbeatAck(c) => c.value_len(),
            Chunk::Abort(c) => c.value_len(),
            Chunk::Shutdown(c) => c.value_len(),
            Chunk::Error(c) => c.value_len(),
            Chunk::CookieEcho(c) => c.value_len(),
            Chunk::ForwardTsn(c) => c.value_len(),
            Chunk::Reconfig(c) => c.value_len(),
            Chunk::IData(c) => c.value_len(),
            Chunk::IForwardTsn(c) => c.value_len(),
            Chunk::Pad(c) => c.value_len(),
            Chunk::Unknown { value, .. } => value.len(),
            Chunk::ShutdownAck | Chunk::CookieAck | Chunk::ShutdownComplete(_) => 0,
        }
    }

    fn encode_value(&self, buf: &mut BytesMut) {
        match self {
            Chunk::Data(c) => c.encode_value(buf),
            Chunk::Init(c) | Chunk::InitAck(c) => c.encode_value(buf),
            Chunk::Sack(c) => c.encode_value(buf),
            Chunk::Heartbeat(c) | Chunk::HeartbeatAck(c) => c.encode_value(buf),
            Chunk::Abort(c) => c.encode_value(buf),
            Chunk::Shutdown(c) => c.encode_value(buf),
            Chunk::Error(c) => c.encode_value(buf),
            Chunk::CookieEcho(c) => c.encode_value(buf),
            Chunk::ForwardTsn(c) => c.encode_value(buf),
            Chunk::Reconfig(c) => c.encode_value(buf),
            Chunk::IData(c) => c.encode_value(buf),
            Chunk::IForwardTsn(c) => c.encode_value(buf),
            Chunk::Pad(c) => c.encode_value(buf),
            Chunk::Unknown { value, .. } => buf.put_slice(value),
            Chunk::ShutdownAck | Chunk::CookieAck | Chunk::ShutdownComplete(_) => {}
        }
    }
}

impl Encode for Chunk {
    fn encoded_len(&self) -> usize {
        4 + self.value_len()
    }

    fn encode(&self, buf: &mut BytesMut) {
        put_chunk_header(buf, self.chunk_type(), self.flags(), self.encoded_len());
        self.encode_value(buf);
    }
}

impl ChunkEncode for Chunk {
    fn chunk_type(&self) -> ChunkType {
        Chunk::chunk_type(self)
    }
}

/// Implements [`Encode`] and [`ChunkEncode`] for a typed chunk, so the hot
/// path can push one into a packet without wrapping it in [`Chunk`].
macro_rules! standalone_chunk {
    ($ty:ty, $kind:expr) => {
        impl $crate::tlv::Encode for $ty {
            fn encoded_len(&self) -> usize {
                4 + self.value_len()
            }

            fn encode(&self, buf: &mut bytes::BytesMut) {
                $crate::tlv::put_chunk_header(buf, $kind, self.flags(), self.encoded_len());
                self.encode_value(buf);
            }
        }

        impl $crate::chunk::ChunkEncode for $ty {
            fn chunk_type(&self) -> $crate::types::ChunkType {
                $kind
            }
        }
    };
}
pub(crate) use standalone_chunk;

impl fmt::Display for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.chunk_type();
        match self {
            Chunk::Data(c) => write!(
                f,
                "DATA tsn={} sid={} ssn={} ppid={} flags={:#x} len={}",
                c.tsn,
                c.stream_id,
                c.ssn,
                c.ppid,
                c.flags(),
                c.payload.len()
            ),
            Chunk::IData(c) => write!(
                f,
                "I-DATA tsn={} sid={} mid={} {:?} flags={:#x} len={}",
                c.tsn,
                c.stream_id,
                c.mid.0,
                c.fragment,
                c.flags(),
                c.payload.len()
            ),
            Chunk::Sack(c) => write!(
                f,
                "SACK cum_tsn_ack={} a_rwnd={} gaps={} dups={}",
                c.cum_tsn_ack,
                c.a_rwnd,
                c.gap_blocks.len(),
                c.duplicate_tsns.len()
            ),
            Chunk::Init(c) | Chunk::InitAck(c) => write!(
                f,
                "{} tag={:#x} a_rwnd={} os={} mis={} tsn={} params={}",
                kind.name().unwrap_or("INIT"),
                c.initiate_tag,
                c.a_rwnd,
                c.outbound_streams,
                c.inbound_streams,
                c.initial_tsn,
                c.params.len()
            ),
            Chunk::Shutdown(c) => write!(f, "SHUTDOWN cum_tsn_ack={}", c.cum_tsn_ack),
            Chunk::ForwardTsn(c) => write!(
                f,
                "FORWARD TSN new_cum_tsn={} streams={}",
                c.new_cum_tsn,
                c.streams.len()
            ),
            Chunk::IForwardTsn(c) => write!(
                f,
                "I-FORWARD TSN new_cum_tsn={} streams={}",
                c.new_cum_tsn,
                c.streams.len()
            ),
            Chunk::Abort(c) => write!(f, "ABORT causes={:?}", c.causes),
            Chunk::Error(c) => write!(f, "ERROR causes={:?}", c.causes),
            _ => write!(f, "{kind} len={}", self.encoded_len()),
        }
    }
}

//! Error causes reporting what the sender did not recognise: Unrecognized
//! Chunk Type (RFC 9260 §3.3.10.6,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10.6>) and
//! Unrecognized Parameters (§3.3.10.8,
//! <https://www.rfc-editor.org/rfc/rfc9260#section-3.3.10.8>).
//!
//! Unrecognized Chunk Type (cause 6) carries the chunk as received,
//! "complete with Chunk Type, Chunk Flags, and Chunk Length"; it answers a
//! chunk whose type's upper bits ask for a report (RFC 9260 §3.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Cause Code = 6         |         Cause Length          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                      Unrecognized Chunk                       /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Unrecognized Parameters (cause 8) carries the unrecognised parameters of
//! an INIT ACK, whole, laid end to end (RFC 9260 §3.2.2); read them with
//! [`Param::decode_list`].
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Cause Code = 8         |         Cause Length          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! /                    Unrecognized Parameters                    /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::ErrorCause;
use crate::param::Param;
use crate::tlv::{encode_list, list_len, put_chunk_header, RawChunk};
use bytes::{BufMut, BytesMut};

impl ErrorCause {
    /// An Unrecognized Chunk Type cause carrying `chunk` rebuilt as it was
    /// received: type, flags, length and value (RFC 9260 §3.3.10.6). Copies
    /// the chunk.
    pub fn unrecognized_chunk(chunk: &RawChunk) -> ErrorCause {
        let length = 4 + chunk.value.len();
        let mut buf = BytesMut::with_capacity(length);
        put_chunk_header(&mut buf, chunk.kind, chunk.flags, length);
        buf.put_slice(&chunk.value);
        ErrorCause::UnrecognizedChunkType(buf.freeze())
    }

    /// An Unrecognized Parameters cause carrying `params` whole, padded
    /// between each other (RFC 9260 §3.2.2, §3.3.10.8). Copies them.
    pub fn unrecognized_parameters(params: &[Param]) -> ErrorCause {
        let mut buf = BytesMut::with_capacity(list_len(params));
        encode_list(params, &mut buf);
        ErrorCause::UnrecognizedParameters(buf.freeze())
    }
}

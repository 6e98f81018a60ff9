//! The errors of the async API, one enum for every operation.

use sctp_core::{CloseReason, SendError};
use sctp_wire::{ErrorCause, ReconfigResult};
use std::{fmt, io};

/// Why an operation on an [`Association`](crate::Association) or a
/// [`Stream`](crate::Stream) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The association was shut down gracefully (RFC 9260 §9.2), by
    /// either side, or aborted by this side.
    #[error("the association is closed")]
    Closed,
    /// The peer aborted the association (RFC 9260 §9.1) with these
    /// causes; a User-Initiated Abort carries the peer's reason.
    #[error("the peer aborted the association: {}", Causes(causes))]
    Aborted {
        /// The error causes of the peer's ABORT.
        causes: Vec<ErrorCause>,
    },
    /// The peer broke the protocol and was sent an ABORT with this cause.
    #[error("protocol error: {0:?}")]
    ProtocolError(ErrorCause),
    /// The peer did not answer in time: the handshake
    /// (Max.Init.Retransmits, RFC 9260 §5.1), retransmissions
    /// (Association.Max.Retrans, §8.1) or the shutdown (§9.2) gave up.
    #[error("timed out: {0}")]
    Timeout(CloseReason),
    /// The message is larger than `Config::max_message_size`.
    #[error("message of {len} bytes exceeds the maximum of {max}")]
    MessageTooLarge {
        /// Its length.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// SCTP cannot carry an empty user message (RFC 9260 §6.2); only the
    /// WebRTC String and Binary PPIDs (51, 53, and their Empty forms 56,
    /// 57) have an empty form (RFC 8831 §6.6).
    #[error("an SCTP message cannot be empty (except with a WebRTC String or Binary PPID)")]
    EmptyMessage,
    /// The stream id is not below the negotiated outbound stream count
    /// (RFC 9260 §5.1.1).
    #[error("stream {stream} is not open: the association has {outbound} outbound streams")]
    InvalidStream {
        /// The stream asked for.
        stream: u16,
        /// Outbound streams negotiated.
        outbound: u16,
    },
    /// [`open_stream`](crate::Association::open_stream) or
    /// [`accept_stream`](crate::Association::accept_stream) already
    /// handed out a live [`Stream`](crate::Stream) for this id.
    #[error("stream {0} is already open")]
    StreamAlreadyOpen(u16),
    /// The next message does not fit the buffer given to `read`; it stays
    /// queued, so a read with a buffer of `len` bytes gets it.
    #[error("the next message has {len} bytes, the buffer only {capacity}")]
    BufferTooSmall {
        /// The message's length.
        len: usize,
        /// The buffer's length.
        capacity: usize,
    },
    /// The peer closed the stream (a stream reset, RFC 6525 §5.2.2) and
    /// every message it sent before was read: nothing more comes on it.
    /// Reads keep returning this, as Go's `io.EOF` (what pion/sctp
    /// returns); [`StreamIo`](crate::StreamIo) reads it as the end of the
    /// byte stream, `Ok(0)`.
    #[error("the peer closed the stream")]
    EndOfStream,
    /// [`Stream::close`](crate::Stream::close) was called on this stream:
    /// it takes no more writes.
    #[error("stream {0} is closed for writing")]
    StreamClosed(u16),
    /// The peer did not announce RE-CONFIG (RFC 6525 §5), so a stream
    /// cannot be closed on its own; the stream stays open, and closing
    /// the association is the way to end it.
    #[error("the peer does not support stream reset (RFC 6525)")]
    ResetNotSupported,
    /// The peer refused to reset the stream (RFC 6525 §4.4); it stays open
    /// for writing.
    #[error("the peer refused to reset stream {stream}: {result}")]
    ResetRefused {
        /// The stream.
        stream: u16,
        /// The peer's answer.
        result: ReconfigResult,
    },
    /// A SNAP token from the peer was refused (see
    /// [`Snap::connect`](crate::Snap::connect)).
    #[error("SNAP: {0}")]
    Snap(sctp_core::SnapError),
}

/// A shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The error every later operation gets once the association closed
    /// for `reason`.
    pub(crate) fn from_close(reason: &CloseReason) -> Error {
        match reason {
            CloseReason::Shutdown | CloseReason::LocalAbort(_) => Error::Closed,
            CloseReason::PeerAbort(causes) => Error::Aborted {
                causes: causes.clone(),
            },
            CloseReason::ProtocolError(cause) => Error::ProtocolError(cause.clone()),
            other => Error::Timeout(other.clone()),
        }
    }

    /// The error for a message `Association::send` refused for another
    /// reason than a full buffer.
    pub(crate) fn from_send(e: SendError) -> Error {
        match e {
            SendError::MessageTooLarge { len, max } => Error::MessageTooLarge { len, max },
            SendError::EmptyMessage => Error::EmptyMessage,
            SendError::InvalidStream { stream, outbound } => {
                Error::InvalidStream { stream, outbound }
            }
            SendError::StreamResetting { stream } => Error::StreamClosed(stream),
            // Not established (any more): the driver reports how it
            // closed; before the handshake the API does not let a write in.
            _ => Error::Closed,
        }
    }
}

/// For byte-stream users ([`StreamIo`](crate::StreamIo), `?` in functions
/// returning [`io::Result`]): each error with the [`io::ErrorKind`] that
/// fits it, the error itself as the source.
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        let kind = match &e {
            Error::Closed | Error::StreamClosed(_) => io::ErrorKind::BrokenPipe,
            Error::Aborted { .. } | Error::ProtocolError(_) => io::ErrorKind::ConnectionAborted,
            Error::Timeout(_) => io::ErrorKind::TimedOut,
            Error::EndOfStream => io::ErrorKind::UnexpectedEof,
            Error::MessageTooLarge { .. }
            | Error::EmptyMessage
            | Error::InvalidStream { .. }
            | Error::StreamAlreadyOpen(_)
            | Error::BufferTooSmall { .. } => io::ErrorKind::InvalidInput,
            Error::Snap(_) => io::ErrorKind::InvalidData,
            Error::ResetNotSupported | Error::ResetRefused { .. } => io::ErrorKind::Unsupported,
        };
        io::Error::new(kind, e)
    }
}

/// Error causes shown by their reason text when they have one.
struct Causes<'a>(&'a [ErrorCause]);

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no cause given");
        }
        for (i, cause) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match cause.reason_text() {
                Some(text) => write!(f, "{text:?}")?,
                None => write!(f, "{cause:?}")?,
            }
        }
        Ok(())
    }
}

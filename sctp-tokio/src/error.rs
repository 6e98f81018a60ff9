//! The errors of the async API, one enum for every operation.

use sctp_core::{CloseReason, SendError};
use sctp_wire::ErrorCause;
use std::fmt;

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
    /// SCTP cannot carry an empty user message (RFC 9260 §6.2).
    #[error("an SCTP message cannot be empty")]
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
    /// The feature needs sctp-core support that is not there yet.
    #[error("not supported yet: {0}")]
    Unsupported(&'static str),
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
            // Not established (any more): the driver reports how it
            // closed; before the handshake the API does not let a write in.
            _ => Error::Closed,
        }
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

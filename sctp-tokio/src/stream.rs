//! A stream of an association: message-oriented reads and writes on one
//! stream id, as pion/sctp's `Stream`.

use crate::association::wait_for;
use crate::driver::{self, Handle};
use crate::error::{Error, Result};
use bytes::{Buf, Bytes};
use sctp_core::{ReceivedMessage, SendError};
use sctp_wire::Ppid;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use tracing::debug;

/// How messages written on a stream are retransmitted (pion's
/// `ReliabilityType`; RFC 3758 for the partially reliable ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReliabilityType {
    /// Retransmitted until acknowledged.
    Reliable,
    /// Abandoned after this many retransmissions (RFC 3758 §3.1).
    Rexmit,
    /// Abandoned after this many milliseconds (RFC 3758 §3.1).
    Timed,
}

/// One stream of an [`Association`](crate::Association): from
/// [`open_stream`](crate::Association::open_stream) or
/// [`accept_stream`](crate::Association::accept_stream).
///
/// Reads and writes move whole messages (RFC 9260 §6.9 fragments and
/// reassembles them). The methods take `&self`, so one task may read
/// while another writes.
///
/// Dropping the stream discards what it had received and not read; a
/// later message on its id is announced by `accept_stream` again. (Closing
/// it with a stream reset, RFC 6525, waits for sctp-core to support it.)
pub struct Stream {
    handle: Handle,
    id: u16,
    default_ppid: AtomicU32,
    unordered: AtomicBool,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").field("id", &self.id).finish()
    }
}

impl Stream {
    pub(crate) fn new(handle: Handle, id: u16, default_ppid: Ppid) -> Stream {
        Stream {
            handle,
            id,
            default_ppid: AtomicU32::new(default_ppid.0),
            unordered: AtomicBool::new(false),
        }
    }

    /// The stream id.
    pub fn stream_identifier(&self) -> u16 {
        self.id
    }

    /// Sets the PPID that [`write`](Self::write) sends with.
    pub fn set_default_payload_type(&self, ppid: Ppid) {
        self.default_ppid.store(ppid.0, Ordering::Relaxed);
    }

    /// Chooses how later writes are delivered: `unordered` messages may
    /// overtake others on the stream (RFC 9260 §6.6). Only
    /// [`ReliabilityType::Reliable`] is supported: partial reliability
    /// (RFC 3758) fails with [`Error::Unsupported`] until sctp-core sends
    /// FORWARD TSN, and `rel_val` is then unused.
    pub fn set_reliability_params(
        &self,
        unordered: bool,
        rel_type: ReliabilityType,
        rel_val: u32,
    ) -> Result<()> {
        if rel_type != ReliabilityType::Reliable {
            debug!(?rel_type, rel_val, "partial reliability refused");
            return Err(Error::Unsupported(
                "partial reliability (RFC 3758): sctp-core does not abandon messages yet",
            ));
        }
        self.unordered.store(unordered, Ordering::Relaxed);
        Ok(())
    }

    /// Reads the next message into `buf` and returns its length (see
    /// [`read_sctp`](Self::read_sctp)).
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.read_sctp(buf).await.map(|(n, _)| n)
    }

    /// Reads the next message on this stream into `buf`, returning its
    /// length and PPID: one whole message per call. A message longer than
    /// `buf` fails with [`Error::BufferTooSmall`] and stays queued. Once
    /// the association has closed, the messages received before are
    /// still read, then the close is reported as an error
    /// ([`Error::Closed`] after a graceful shutdown).
    pub async fn read_sctp(&self, buf: &mut [u8]) -> Result<(usize, Ppid)> {
        let mut message = self.read_message(buf.len()).await?;
        let len = message.payload.len();
        message.payload.copy_to_slice(&mut buf[..len]);
        Ok((len, message.ppid))
    }

    /// Takes the next message, if it fits `capacity` bytes.
    async fn read_message(&self, capacity: usize) -> Result<ReceivedMessage> {
        let limit = self.handle.receive_limit;
        let mut pulled = false;
        let result = wait_for(&self.handle, &mut |inner| {
            let queue = inner.streams.get_mut(&self.id)?;
            let Some(front) = queue.messages.front() else {
                return inner.closed_error().map(Err);
            };
            let len = front.payload.len();
            if len > capacity {
                return Some(Err(Error::BufferTooSmall { len, capacity }));
            }
            let message = queue.messages.pop_front()?;
            inner.queued_bytes -= len;
            pulled = inner.pull_messages(limit) > 0;
            Some(Ok(message))
        })
        .await;
        if pulled {
            // The core's receive window opened: a SACK may be owed.
            self.handle.wake_driver.notify_one();
        }
        result
    }

    /// Writes `data` as one message with the default PPID (see
    /// [`write_sctp`](Self::write_sctp)).
    pub async fn write(&self, data: &[u8]) -> Result<usize> {
        let ppid = Ppid(self.default_ppid.load(Ordering::Relaxed));
        self.write_sctp(data, ppid).await
    }

    /// Writes `data` as one message with `ppid`, waiting while the send
    /// buffer (`Config::send_buffer_size`) is full: back-pressure instead
    /// of growing memory. Returns once the message is queued, with its
    /// length.
    pub async fn write_sctp(&self, data: &[u8], ppid: Ppid) -> Result<usize> {
        self.write_bytes(Bytes::copy_from_slice(data), ppid).await
    }

    /// [`write_sctp`](Self::write_sctp) for data already in [`Bytes`]:
    /// queued without a copy.
    pub async fn write_bytes(&self, data: Bytes, ppid: Ppid) -> Result<usize> {
        let len = data.len();
        let unordered = self.unordered.load(Ordering::Relaxed);
        let limit = self.handle.send_limit;
        wait_for(&self.handle, &mut |inner| {
            if let Some(e) = inner.closed_error() {
                return Some(Err(e));
            }
            match inner
                .assoc
                .send(driver::now(), self.id, ppid, unordered, data.clone())
            {
                Ok(()) => Some(Ok(len)),
                // Larger than the whole buffer: it would wait for ever.
                Err(SendError::BufferFull { buffered: 0, .. }) => {
                    Some(Err(Error::MessageTooLarge { len, max: limit }))
                }
                Err(SendError::BufferFull { .. }) => None,
                Err(e) => Some(Err(Error::from_send(e))),
            }
        })
        .await?;
        self.handle.wake_driver.notify_one();
        Ok(len)
    }

    /// Bytes written and not yet acknowledged by the peer: queued plus in
    /// flight. sctp-core does not account per stream yet, so this is the
    /// whole association's figure, shared by all its streams.
    pub fn buffered_amount(&self) -> usize {
        self.handle
            .lock()
            .assoc
            .transfer_stats()
            .map_or(0, |stats| stats.buffered + stats.flight)
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let mut inner = self.handle.lock();
        if let Some(queue) = inner.streams.remove(&self.id) {
            inner.queued_bytes -= queue.bytes();
            if inner.pull_messages(self.handle.receive_limit) > 0 {
                self.handle.wake_driver.notify_one();
            }
        }
    }
}

//! A stream of an association: message-oriented reads and writes on one
//! stream id, as pion/sctp's `Stream`, and [`StreamIo`] for byte-stream
//! users.

use crate::driver::{self, Handle, Item, Outgoing, Status};
use crate::error::{Error, Result};
use bytes::{Buf, Bytes};
use sctp_core::{Payload, ReceivedMessage, Reliability, ResetError, SendError};
use sctp_wire::Ppid;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tracing::debug;

/// How messages written on a stream are retransmitted (pion's
/// `ReliabilityType`; RFC 3758 for the partially reliable ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReliabilityType {
    /// Retransmitted until acknowledged.
    Reliable,
    /// Abandoned after `rel_val` retransmissions (RFC 3758 §3.1; 0: sent
    /// once).
    Rexmit,
    /// Abandoned `rel_val` milliseconds after it was written, sent or not
    /// (RFC 3758 §3.1).
    Timed,
}

/// How the next writes go: [`Stream::set_reliability_params`].
#[derive(Clone, Copy, Debug, Default)]
struct SendParams {
    unordered: bool,
    reliability: Reliability,
}

/// One stream of an [`Association`](crate::Association): from
/// [`open_stream`](crate::Association::open_stream) or
/// [`accept_stream`](crate::Association::accept_stream).
///
/// Reads and writes move whole messages (RFC 9260 §6.9 fragments and
/// reassembles them). The methods take `&self`, so one task may read
/// while another writes. [`into_io`](Self::into_io) turns it into a byte
/// stream for [`tokio::io`].
///
/// ## Closing
///
/// The two directions of a stream end separately, as RFC 6525 resets
/// them:
/// - [`close`](Self::close) ends ours: the messages written before are
///   delivered, then the peer's reader gets the end of the stream
///   ([`Error::EndOfStream`]; pion/sctp's reader gets `io.EOF`). Reading
///   goes on until the peer closes its direction too.
/// - When the peer closes its direction, [`read_sctp`](Self::read_sctp)
///   returns every message it sent before, then [`Error::EndOfStream`]
///   for good. WebRTC peers close theirs in turn (RFC 8831 §6.7); so does
///   [`close`](Self::close) called then.
///
/// Dropping a stream closes our direction as `close` does, without
/// waiting for the peer's answer, and discards what it had received and
/// not read. Its id can then be opened again: writes on the new stream
/// wait until the old one's reset is done, and start again from SSN 0. A
/// message the peer sends on the id after its own reset is announced by
/// `accept_stream` again once the old stream is dropped.
pub struct Stream {
    handle: Handle,
    id: u16,
    default_ppid: AtomicU32,
    params: Mutex<SendParams>,
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
            params: Mutex::new(SendParams::default()),
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

    /// Chooses how later writes are delivered, as pion/sctp's
    /// `SetReliabilityParams`: `unordered` messages may overtake others on
    /// the stream (RFC 9260 §6.6); with [`ReliabilityType::Rexmit`] a
    /// message is given up after `rel_val` retransmissions, with
    /// [`ReliabilityType::Timed`] `rel_val` milliseconds after it was
    /// written, and the peer skips it (RFC 3758 §3.5; `rel_val` is unused
    /// for [`ReliabilityType::Reliable`]).
    ///
    /// A peer that did not announce FORWARD TSN (RFC 3758 §3.1) gets every
    /// message reliably; so do data-channel control messages (PPID 50,
    /// RFC 8832 §6).
    pub fn set_reliability_params(&self, unordered: bool, rel_type: ReliabilityType, rel_val: u32) {
        let reliability = match rel_type {
            ReliabilityType::Reliable => Reliability::Reliable,
            ReliabilityType::Rexmit => Reliability::Rexmit(rel_val),
            ReliabilityType::Timed => Reliability::Timed(Duration::from_millis(rel_val.into())),
        };
        debug!(stream = self.id, unordered, ?reliability, "reliability set");
        *self.params.lock().unwrap_or_else(|e| e.into_inner()) = SendParams {
            unordered,
            reliability,
        };
    }

    /// Reads the next message into `buf` and returns its length (see
    /// [`read_sctp`](Self::read_sctp)).
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.read_sctp(buf).await.map(|(n, _)| n)
    }

    /// Reads the next message on this stream into `buf`, returning its
    /// length and PPID: one whole message per call. A message longer than
    /// `buf` fails with [`Error::BufferTooSmall`] and stays queued.
    ///
    /// Once the peer closed the stream, the messages it sent before are
    /// read, then every read fails with [`Error::EndOfStream`]. Once the
    /// association has closed, the messages received before are still
    /// read, then the close is reported ([`Error::Closed`] after a
    /// graceful shutdown).
    pub async fn read_sctp(&self, buf: &mut [u8]) -> Result<(usize, Ppid)> {
        let mut message = self.read_message(buf.len()).await?;
        let len = message.payload.len();
        message.payload.copy_to_slice(&mut buf[..len]);
        Ok((len, message.ppid))
    }

    /// Takes the next message, if it fits `capacity` bytes.
    async fn read_message(&self, capacity: usize) -> Result<ReceivedMessage> {
        poll_fn(|cx| self.poll_message(cx, capacity)).await
    }

    /// Takes the next message if one is there and fits `capacity` bytes;
    /// otherwise the task is woken when something changed.
    fn poll_message(&self, cx: &Context<'_>, capacity: usize) -> Poll<Result<ReceivedMessage>> {
        let limit = self.handle.receive_limit;
        let mut guard = self.handle.lock();
        let inner = &mut *guard;
        let Some(queue) = inner.streams.get_mut(&self.id) else {
            // A live stream always has its queue.
            return Poll::Ready(Err(inner.closed_error().unwrap_or(Error::Closed)));
        };
        let message = match queue.items.pop_front() {
            Some(Item::Message(message)) if message.payload.len() <= capacity => message,
            Some(item) => {
                let e = match &item {
                    Item::Message(m) => Error::BufferTooSmall {
                        len: m.payload.len(),
                        capacity,
                    },
                    // RFC 6525 §5.2.2: the end stays, so every later read
                    // sees it too.
                    Item::End => Error::EndOfStream,
                };
                queue.items.push_front(item);
                return Poll::Ready(Err(e));
            }
            None => {
                if let Some(e) = inner.closed_error() {
                    return Poll::Ready(Err(e));
                }
                inner.wake_on_change(cx);
                return Poll::Pending;
            }
        };
        inner.queued_bytes -= message.payload.len();
        let pulled = inner.pull_messages(limit) > 0;
        drop(guard);
        if pulled {
            // The core's receive window opened: a SACK may be owed.
            self.handle.wake_driver.notify_one();
        }
        Poll::Ready(Ok(message))
    }

    /// Writes `data` as one message with the default PPID (see
    /// [`write_sctp`](Self::write_sctp)).
    pub async fn write(&self, data: &[u8]) -> Result<usize> {
        self.write_sctp(data, self.default_payload_type()).await
    }

    /// Writes `data` as one message with `ppid`, waiting while the send
    /// buffer (`Config::send_buffer_size`) is full: back-pressure instead
    /// of growing memory. Returns once the message is queued, with its
    /// length. It goes as [`set_reliability_params`](Self::set_reliability_params)
    /// last chose.
    ///
    /// Empty `data` is WebRTC's empty message with PPID 51 or 53 (sent as
    /// one byte with PPID 56 or 57, RFC 8831 §6.6, which the peer reads as
    /// an empty message with that PPID) and [`Error::EmptyMessage`] with
    /// any other. After [`close`](Self::close) it fails with
    /// [`Error::StreamClosed`].
    pub async fn write_sctp(&self, data: &[u8], ppid: Ppid) -> Result<usize> {
        self.write_bytes(Bytes::copy_from_slice(data), ppid).await
    }

    /// [`write_sctp`](Self::write_sctp) for data already in [`Bytes`]:
    /// queued without a copy.
    pub async fn write_bytes(&self, data: Bytes, ppid: Ppid) -> Result<usize> {
        let len = data.len();
        poll_fn(|cx| self.poll_send(cx, len, || data.clone(), ppid)).await
    }

    fn default_payload_type(&self) -> Ppid {
        Ppid(self.default_ppid.load(Ordering::Relaxed))
    }

    /// Queues a message of `len` bytes, made by `data`, if the send
    /// buffer has room; otherwise the task is woken when something
    /// changed.
    fn poll_send(
        &self,
        cx: &Context<'_>,
        len: usize,
        data: impl Fn() -> Bytes,
        ppid: Ppid,
    ) -> Poll<Result<usize>> {
        let params = *self.params.lock().unwrap_or_else(|e| e.into_inner());
        let mut inner = self.handle.lock();
        if let Some(e) = inner.closed_error() {
            return Poll::Ready(Err(e));
        }
        let outgoing = inner.streams.get(&self.id).map(|q| q.outgoing);
        if matches!(outgoing, Some(Outgoing::Closing | Outgoing::Closed)) {
            return Poll::Ready(Err(Error::StreamClosed(self.id)));
        }
        // Wait for room before copying the data (a message too large for
        // any room is refused by `send_with` at once).
        let buffered = inner.assoc.transfer_stats().map_or(0, |s| s.buffered);
        if len <= self.handle.max_message && buffered + len > self.handle.send_limit {
            inner.wake_on_change(cx);
            return Poll::Pending;
        }
        match inner.assoc.send_with(
            driver::now(),
            self.id,
            ppid,
            params.unordered,
            params.reliability,
            data(),
        ) {
            Ok(()) => {
                drop(inner);
                self.handle.wake_driver.notify_one();
                Poll::Ready(Ok(len))
            }
            // RFC 6525 §5.1.2: the reset of a dropped stream with this id
            // is still under way; its SSNs start again from 0 once done.
            Err(SendError::BufferFull { .. } | SendError::StreamResetting { .. }) => {
                inner.wake_on_change(cx);
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(Error::from_send(e))),
        }
    }

    /// Closes our direction of the stream with a stream reset (RFC 6525
    /// §5.1.2), as pion/sctp's `Stream.Close` and WebRTC's data channel
    /// close do: the messages written before are sent first, then the
    /// reset; the peer's reader gets them all, then
    /// [`Error::EndOfStream`]. Later writes fail with
    /// [`Error::StreamClosed`]; reading goes on.
    ///
    /// Returns once the peer has performed the reset; calling it again
    /// then returns `Ok` at once. Fails, the stream staying open for
    /// writing, with [`Error::ResetNotSupported`] if the peer did not
    /// announce stream reset, [`Error::ResetRefused`] if it refused, and
    /// with the association's error if it closes first (or is shutting
    /// down: then the shutdown ends the stream).
    pub async fn close(&self) -> Result<()> {
        poll_fn(|cx| self.poll_close(cx)).await
    }

    fn poll_close(&self, cx: &Context<'_>) -> Poll<Result<()>> {
        let mut guard = self.handle.lock();
        let inner = &mut *guard;
        let closed = inner.closed_error();
        let Some(queue) = inner.streams.get_mut(&self.id) else {
            return Poll::Ready(Err(closed.unwrap_or(Error::Closed)));
        };
        match queue.outgoing {
            Outgoing::Closed => return Poll::Ready(Ok(())),
            Outgoing::Refused(result) => {
                queue.outgoing = Outgoing::Open;
                return Poll::Ready(Err(Error::ResetRefused {
                    stream: self.id,
                    result,
                }));
            }
            Outgoing::Closing => {}
            Outgoing::Open => {
                if let Some(e) = closed {
                    return Poll::Ready(Err(e));
                }
                match inner.assoc.reset_streams(driver::now(), &[self.id]) {
                    Ok(()) => {
                        debug!(stream = self.id, "closing: stream reset requested");
                        queue.outgoing = Outgoing::Closing;
                        self.handle.wake_driver.notify_one();
                    }
                    Err(ResetError::NotSupported) => {
                        return Poll::Ready(Err(Error::ResetNotSupported))
                    }
                    Err(ResetError::InvalidStream { stream, outbound }) => {
                        return Poll::Ready(Err(Error::InvalidStream { stream, outbound }))
                    }
                    // Shutting down: the shutdown ends every stream.
                    Err(_) => return Poll::Ready(Err(Error::Closed)),
                }
            }
        }
        if let Some(e) = closed {
            return Poll::Ready(Err(e));
        }
        inner.wake_on_change(cx);
        Poll::Pending
    }

    /// The bytes of this stream's messages written and not yet
    /// acknowledged by the peer, queued or in flight (pion's
    /// `BufferedAmount`; a message given up under partial reliability
    /// leaves it at once, an empty message counts as its one byte).
    pub fn buffered_amount(&self) -> usize {
        self.handle.lock().assoc.buffered_amount(self.id)
    }

    /// The threshold of [`on_buffered_amount_low`](Self::on_buffered_amount_low)
    /// and [`buffered_amount_low`](Self::buffered_amount_low); 0 until set.
    pub fn buffered_amount_low_threshold(&self) -> usize {
        self.handle
            .lock()
            .assoc
            .buffered_amount_low_threshold(self.id)
    }

    /// Sets the threshold the buffered amount is compared with (pion's
    /// `SetBufferedAmountLowThreshold`). Does nothing once the association
    /// has closed.
    pub fn set_buffered_amount_low_threshold(&self, bytes: usize) {
        // Fails only once the association is closed: nothing to do then.
        let _ = self
            .handle
            .lock()
            .assoc
            .set_buffered_amount_low_threshold(self.id, bytes);
    }

    /// Sets this stream's weight under the weighted-fair-queueing stream
    /// scheduler (`Config::scheduler = Scheduler::WeightedFair`, RFC 8260
    /// §3.6): streams with data share the bytes sent in proportion to
    /// their weights, 1 unless set. The other schedulers ignore it.
    pub fn set_weight(&self, weight: std::num::NonZeroU16) -> Result<()> {
        let mut inner = self.handle.lock();
        if let Some(e) = inner.closed_error() {
            return Err(e);
        }
        inner
            .assoc
            .set_stream_weight(self.id, weight)
            .map_err(Error::from_send)
    }

    /// This stream's weight for the weighted-fair-queueing scheduler.
    pub fn weight(&self) -> std::num::NonZeroU16 {
        self.handle.lock().assoc.stream_weight(self.id)
    }

    /// Calls `callback` each time the buffered amount falls from above the
    /// threshold to at or below it (pion's `OnBufferedAmountLow`, WebRTC's
    /// `bufferedamountlow`), replacing any callback set before.
    ///
    /// It runs on a Tokio task of its own, outside the association's lock:
    /// it may use this stream (`buffered_amount`, or spawn a write), and a
    /// slow one holds nothing up. Holding the stream itself in the
    /// callback (an `Arc`) would keep it alive for ever: hold a `Weak`,
    /// or signal another task.
    pub fn on_buffered_amount_low(&self, callback: impl Fn() + Send + Sync + 'static) {
        if let Some(queue) = self.handle.lock().streams.get_mut(&self.id) {
            queue.on_buffered_amount_low = Some(Arc::new(callback));
        }
    }

    /// Waits until the buffered amount is at or below the threshold; at
    /// once if it already is. The awaitable form of
    /// [`on_buffered_amount_low`](Self::on_buffered_amount_low), for a
    /// writer that keeps some data queued without queuing all of it:
    ///
    /// ```no_run
    /// # async fn send_all(stream: &sctp_tokio::Stream, chunks: Vec<Vec<u8>>) -> sctp_tokio::Result<()> {
    /// stream.set_buffered_amount_low_threshold(256 * 1024);
    /// for chunk in chunks {
    ///     stream.buffered_amount_low().await?;
    ///     stream.write(&chunk).await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Fails with the association's error once it has closed.
    pub async fn buffered_amount_low(&self) -> Result<()> {
        poll_fn(|cx| {
            let mut inner = self.handle.lock();
            // Closed, the stream takes no more writes: there is nothing to
            // wait for room for.
            if let Some(e) = inner.closed_error() {
                return Poll::Ready(Err(e));
            }
            let amount = inner.assoc.buffered_amount(self.id);
            if amount <= inner.assoc.buffered_amount_low_threshold(self.id) {
                return Poll::Ready(Ok(()));
            }
            inner.wake_on_change(cx);
            Poll::Pending
        })
        .await
    }

    /// This stream as a byte stream, for [`tokio::io`]: see [`StreamIo`].
    pub fn into_io(self) -> StreamIo {
        StreamIo {
            stream: self,
            leftover: Payload::default(),
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let mut guard = self.handle.lock();
        let inner = &mut *guard;
        let Some(mut queue) = inner.streams.remove(&self.id) else {
            return;
        };
        // The threshold belongs to this stream, not to the next one on the
        // id (it fails only on a closed association).
        let _ = inner.assoc.set_buffered_amount_low_threshold(self.id, 0);
        let mut wake = false;
        // Dropping closes our direction as `close` does (RFC 6525 §5.1.2),
        // without waiting for the answer; a shutting-down association
        // ends the stream anyway.
        if queue.outgoing == Outgoing::Open && matches!(inner.status, Status::Connected) {
            wake |= inner.assoc.reset_streams(driver::now(), &[self.id]).is_ok();
        }
        // Unread messages are discarded up to the peer's end of the
        // stream; what it sent after, reusing the id, is a new stream.
        let mut discarded = 0;
        while let Some(item) = queue.items.pop_front() {
            discarded += driver::item_bytes(&item);
            if matches!(item, Item::End) {
                break;
            }
        }
        inner.queued_bytes -= discarded;
        if !queue.items.is_empty() {
            inner.streams.insert(
                self.id,
                driver::StreamQueue {
                    items: queue.items,
                    ..Default::default()
                },
            );
            inner.unaccepted.push_back(self.id);
        }
        wake |= inner.pull_messages(self.handle.receive_limit) > 0;
        drop(guard);
        if wake {
            self.handle.wake_driver.notify_one();
        }
    }
}

/// A [`Stream`] as a byte stream: [`AsyncRead`] and [`AsyncWrite`], for
/// [`tokio::io::copy`], codecs and the like. From [`Stream::into_io`].
///
/// - Reading returns the bytes of the messages in order, without their
///   boundaries; the end of the stream (the peer's
///   [`close`](Stream::close), or a graceful shutdown of the association)
///   reads as `Ok(0)`, any other end as an error.
/// - Writing cuts the bytes into messages of at most the maximum message
///   size (`Config::max_message_size`) with the stream's default PPID, and
///   waits while the send buffer is full: nothing is buffered beyond it.
///   `poll_flush` has nothing to do (written bytes are queued in the
///   association, which sends them as the windows allow);
///   `poll_shutdown` is [`Stream::close`], so it returns once the peer has
///   all the bytes.
///
/// Errors are [`Error`]s inside [`io::Error`]s (see its
/// `From<Error>`).
#[derive(Debug)]
pub struct StreamIo {
    stream: Stream,
    /// The unread rest of the message being read.
    leftover: Payload,
}

impl StreamIo {
    /// The stream, for its message API (PPIDs, reliability, close).
    pub fn get_ref(&self) -> &Stream {
        &self.stream
    }

    /// The stream back. Bytes of a message read partly are lost.
    pub fn into_inner(self) -> Stream {
        self.stream
    }
}

impl AsyncRead for StreamIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // An empty message carries no byte: read on past it, since
        // returning nothing would mean the end.
        while !this.leftover.has_remaining() {
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            match ready!(this.stream.poll_message(cx, usize::MAX)) {
                Ok(message) => this.leftover = message.payload,
                Err(Error::EndOfStream | Error::Closed) => return Poll::Ready(Ok(())),
                Err(e) => return Poll::Ready(Err(e.into())),
            }
        }
        while buf.remaining() > 0 && this.leftover.has_remaining() {
            let chunk = this.leftover.chunk();
            let n = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..n]);
            this.leftover.advance(n);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for StreamIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let stream = &self.stream;
        let data = &buf[..buf.len().min(stream.handle.max_message)];
        let ppid = stream.default_payload_type();
        stream
            .poll_send(cx, data.len(), || Bytes::copy_from_slice(data), ppid)
            .map_err(io::Error::from)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.poll_close(cx).map_err(io::Error::from)
    }
}

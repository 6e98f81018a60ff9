//! The async association: connect, streams, statistics, close.

use crate::driver::{self, Handle, Status};
use crate::error::{Error, Result};
use crate::random::OsRandom;
use crate::stream::Stream;
use crate::transport::Transport;
use sctp_core::{CloseReason, Config, Stats, TransferStats};
use sctp_wire::Ppid;
use std::pin::pin;
use std::sync::Arc;

/// An SCTP association driven by its own Tokio task, with the API of
/// pion/sctp's `Association` in Rust form.
///
/// Dropping the association and all its [`Stream`]s shuts it down
/// gracefully, as [`close`](Self::close) does without waiting.
pub struct Association {
    handle: Handle,
}

impl std::fmt::Debug for Association {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Association").finish_non_exhaustive()
    }
}

impl Association {
    /// Connects to the peer at the other end of `transport` (it sends the
    /// INIT, RFC 9260 §5.1) and waits until the association is
    /// established. Fails with [`Error::Timeout`] after
    /// `config.max_init_retransmits` unanswered INITs or COOKIE ECHOs, or
    /// with [`Error::Aborted`] if the peer refuses.
    pub async fn client(transport: impl Transport, config: Config) -> Result<Association> {
        let core =
            sctp_core::Association::client(config.clone(), driver::now(), Box::new(OsRandom));
        Association::start(core, &config, Arc::new(transport)).await
    }

    /// Waits for a peer at the other end of `transport` to connect, and
    /// until the association is established. It waits for ever: bound it
    /// with [`tokio::time::timeout`] if needed.
    pub async fn server(transport: impl Transport, config: Config) -> Result<Association> {
        Association::server_on(Arc::new(transport), &config).await
    }

    pub(crate) async fn server_on(
        transport: Arc<dyn Transport>,
        config: &Config,
    ) -> Result<Association> {
        let core =
            sctp_core::Association::server(config.clone(), driver::now(), Box::new(OsRandom));
        Association::start(core, config, transport).await
    }

    pub(crate) async fn start(
        core: sctp_core::Association,
        config: &Config,
        transport: Arc<dyn Transport>,
    ) -> Result<Association> {
        let association = Association {
            handle: driver::spawn(core, config, transport),
        };
        association
            .wait(|inner| match &inner.status {
                Status::Connecting => None,
                Status::Connected => Some(Ok(())),
                Status::Closed(reason) => Some(Err(Error::from_close(reason))),
            })
            .await?;
        Ok(association)
    }

    /// Waits until `check`, run under the lock each time something
    /// changes, returns a value.
    async fn wait<T>(&self, mut check: impl FnMut(&mut driver::Inner) -> Option<T>) -> T {
        wait_for(&self.handle, &mut check).await
    }

    /// A stream to send on with this id and default PPID; it also
    /// receives what the peer sends on that id. Fails with
    /// [`Error::InvalidStream`] when the id is not below the negotiated
    /// outbound stream count, [`Error::StreamAlreadyOpen`] when a
    /// [`Stream`] for it is alive.
    ///
    /// SCTP has no stream opening on the wire (WebRTC's DCEP does it
    /// above): the peer learns of the stream from its first message.
    pub fn open_stream(&self, stream_id: u16, default_ppid: Ppid) -> Result<Stream> {
        let mut inner = self.handle.lock();
        if let Some(e) = inner.closed_error() {
            return Err(e);
        }
        let outbound = inner.assoc.streams().map_or(0, |(outbound, _)| outbound);
        if stream_id >= outbound {
            return Err(Error::InvalidStream {
                stream: stream_id,
                outbound,
            });
        }
        let queue = inner.streams.entry(stream_id).or_default();
        if queue.has_handle {
            return Err(Error::StreamAlreadyOpen(stream_id));
        }
        queue.has_handle = true;
        inner.unaccepted.retain(|&id| id != stream_id);
        drop(inner);
        Ok(Stream::new(self.handle.clone(), stream_id, default_ppid))
    }

    /// Waits for the next stream the peer sends on that no [`Stream`] was
    /// opened or accepted for: a message on a stream id not seen before
    /// announces it. Its default PPID for writing is that of its first
    /// message. Fails once the association is closed.
    pub async fn accept_stream(&self) -> Result<Stream> {
        let (id, ppid) = self
            .wait(|inner| {
                while let Some(id) = inner.unaccepted.pop_front() {
                    let Some(queue) = inner.streams.get_mut(&id) else {
                        continue;
                    };
                    queue.has_handle = true;
                    let ppid = queue.first_ppid().unwrap_or(Ppid(0));
                    return Some(Ok((id, ppid)));
                }
                inner.closed_error().map(Err)
            })
            .await?;
        Ok(Stream::new(self.handle.clone(), id, ppid))
    }

    /// User bytes accepted for sending so far (pion's `BytesSent`).
    pub fn bytes_sent(&self) -> u64 {
        self.transfer_stats()
            .map_or(0, |stats| stats.counters.bytes_sent)
    }

    /// User bytes received in whole messages so far (pion's
    /// `BytesReceived`).
    pub fn bytes_received(&self) -> u64 {
        self.transfer_stats()
            .map_or(0, |stats| stats.counters.bytes_received)
    }

    /// Data-transfer figures (flight, windows, SRTT, retransmissions);
    /// `None` before the handshake. Readable at any time, also after
    /// close.
    pub fn transfer_stats(&self) -> Option<TransferStats> {
        self.handle.lock().assoc.transfer_stats()
    }

    /// Packet counters: received, sent, dropped and why.
    pub fn stats(&self) -> Stats {
        self.handle.lock().assoc.stats()
    }

    /// The negotiated (outbound, inbound) stream counts (RFC 9260 §5.1.1).
    pub fn streams(&self) -> Option<(u16, u16)> {
        self.handle.lock().assoc.streams()
    }

    /// Whether messages go as I-DATA, interleaved (RFC 8260): both sides
    /// listed I-DATA in INIT and INIT ACK and
    /// [`Config::interleaving`] is on. False before the handshake, and
    /// with a peer that lacks it (pion/sctp 1.8), which then gets DATA.
    pub fn interleaving(&self) -> bool {
        self.handle.lock().assoc.interleaving()
    }

    /// Shuts the association down gracefully (RFC 9260 §9.2): what was
    /// written is delivered and acknowledged first, then SHUTDOWN,
    /// SHUTDOWN ACK and SHUTDOWN COMPLETE cross. Returns once the
    /// association is closed: `Ok` for a completed shutdown, the error
    /// otherwise (the peer aborted, or did not answer).
    pub async fn close(&self) -> Result<()> {
        self.handle.lock().assoc.shutdown(driver::now());
        self.handle.wake_driver.notify_one();
        match self.closed().await {
            CloseReason::Shutdown => Ok(()),
            reason => Err(Error::from_close(&reason)),
        }
    }

    /// Aborts the association at once (RFC 9260 §9.1): the peer gets an
    /// ABORT with a User-Initiated Abort cause carrying `reason`, and
    /// data not yet delivered is lost.
    pub fn abort(&self, reason: &str) {
        self.handle.lock().assoc.abort(reason);
        self.handle.wake_driver.notify_one();
    }

    /// Waits until the association is closed, for whatever reason, and
    /// its last packet was sent; returns why it closed.
    pub async fn closed(&self) -> CloseReason {
        self.wait(|inner| match &inner.status {
            Status::Closed(reason) if inner.final_sent => Some(reason.clone()),
            _ => None,
        })
        .await
    }
}

/// Waits until `check`, run under the lock now and each time the driver
/// reports a change, returns a value. The wake-up is registered before the
/// check, so a change between the check and the wait is not missed.
pub(crate) async fn wait_for<T>(
    handle: &Handle,
    check: &mut impl FnMut(&mut driver::Inner) -> Option<T>,
) -> T {
    loop {
        let mut notified = pin!(handle.changed.notified());
        notified.as_mut().enable();
        if let Some(value) = check(&mut handle.lock()) {
            return value;
        }
        notified.await;
    }
}

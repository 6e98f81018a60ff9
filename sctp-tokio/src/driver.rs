//! The task that drives one sans-IO association (DESIGN.md §6): under a
//! short-held lock it feeds the input in and drains packets, events and
//! the next timeout; with the lock released it sends, then waits for the
//! next datagram, the timer or a wake-up from an API call.

use crate::error::Error;
use crate::transport::Transport;
use bytes::Bytes;
use sctp_core::{CloseReason, Event, ReceivedMessage};
use sctp_wire::{Ppid, ReconfigResult};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Waker};
use std::time::Instant;
use tokio::sync::Notify;
use tracing::{debug, trace, Instrument};

/// The adapter's clock: Tokio's, so a paused test clock applies too.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Where the association is, as the API sees it.
#[derive(Clone, Debug)]
pub(crate) enum Status {
    /// The handshake is under way.
    Connecting,
    /// Established (or shutting down, with data still flowing).
    Connected,
    /// Closed for this reason.
    Closed(CloseReason),
}

/// What waits to be read on a stream.
pub(crate) enum Item {
    /// A message.
    Message(ReceivedMessage),
    /// The peer reset the stream here (RFC 6525 §5.2.2): the messages
    /// before were all it sent on it; what follows, it sent after reusing
    /// the id.
    End,
}

/// Our side of a stream's outgoing direction, as
/// [`Stream::close`](crate::Stream::close) moves it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Outgoing {
    /// Open for writing.
    #[default]
    Open,
    /// Closed by the user; the reset waits for the stream's queued
    /// messages or for the peer's answer (RFC 6525 §5.1.2).
    Closing,
    /// The peer performed the reset.
    Closed,
    /// The peer refused the reset: the stream is open again, and the
    /// closer is yet to learn why.
    Refused(ReconfigResult),
}

/// A user callback: [`Stream::on_buffered_amount_low`](crate::Stream::on_buffered_amount_low).
pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;

/// One stream id's state: the messages received on it and not yet read,
/// and our outgoing direction.
#[derive(Default)]
pub(crate) struct StreamQueue {
    pub(crate) items: VecDeque<Item>,
    /// A [`Stream`](crate::Stream) for this id is alive.
    pub(crate) has_handle: bool,
    pub(crate) outgoing: Outgoing,
    /// Called when the stream's buffered amount falls to its threshold.
    pub(crate) on_buffered_amount_low: Option<Callback>,
}

impl StreamQueue {
    /// The PPID of the first message, which an accepted stream writes with.
    pub(crate) fn first_ppid(&self) -> Option<Ppid> {
        self.items.iter().find_map(|item| match item {
            Item::Message(m) => Some(m.ppid),
            Item::End => None,
        })
    }
}

/// The user bytes of an item.
pub(crate) fn item_bytes(item: &Item) -> usize {
    match item {
        Item::Message(m) => m.payload.len(),
        Item::End => 0,
    }
}

/// Everything behind the lock.
pub(crate) struct Inner {
    pub(crate) assoc: sctp_core::Association,
    pub(crate) status: Status,
    /// Per-stream queues of received messages: the core delivers the
    /// messages of all streams in one sequence, which is split here.
    pub(crate) streams: HashMap<u16, StreamQueue>,
    /// Streams the peer sent on that nobody has taken yet, in order of
    /// their first message.
    pub(crate) unaccepted: VecDeque<u16>,
    /// Bytes in the stream queues. Messages are taken from the core only
    /// while this is below the receive buffer, so a slow reader closes
    /// the receive window (RFC 9260 §6.2) instead of growing memory.
    pub(crate) queued_bytes: usize,
    /// The association closed and its last packets were handed to the
    /// transport (the driver may linger to answer retransmissions).
    pub(crate) final_sent: bool,
    /// Every API handle is gone.
    abandoned: bool,
    /// Tasks polling a stream ([`Stream`](crate::Stream)'s poll methods),
    /// woken after each step of the driver as `changed` wakes the async
    /// waiters.
    wakers: Vec<Waker>,
}

impl Inner {
    /// Moves received messages from the core into the stream queues, up
    /// to the receive buffer's worth (all of them once closed, when no
    /// window is left to protect). A message on a stream id without a
    /// queue opens one and is announced to `accept_stream`. Returns how
    /// many messages it took.
    pub(crate) fn pull_messages(&mut self, limit: usize) -> usize {
        let mut pulled = 0;
        while self.queued_bytes < limit || matches!(self.status, Status::Closed(_)) {
            let Some(message) = self.assoc.read() else {
                break;
            };
            self.queued_bytes += message.payload.len();
            let id = message.stream_id.0;
            let queue = self.streams.entry(id).or_insert_with(|| {
                trace!(stream = id, "new stream from the peer");
                self.unaccepted.push_back(id);
                StreamQueue::default()
            });
            queue.items.push_back(Item::Message(message));
            pulled += 1;
        }
        pulled
    }

    /// Wakes the task of `cx` after the driver's next step: a poll method
    /// registers it, under the lock, when it found nothing to do.
    pub(crate) fn wake_on_change(&mut self, cx: &Context<'_>) {
        if !self.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            self.wakers.push(cx.waker().clone());
        }
    }

    /// The peer reset these incoming streams (RFC 6525 §5.2.2): the core
    /// has made every message sent before the reset readable, so all of
    /// them are taken, whatever the receive buffer (they are in memory
    /// already; the reset is rare), and an end marked after them.
    fn end_streams(&mut self, streams: &[u16]) {
        self.pull_messages(usize::MAX);
        for id in streams {
            // A stream nobody reads, or that never carried a message, has
            // no reader to tell.
            if let Some(queue) = self.streams.get_mut(id) {
                queue.items.push_back(Item::End);
            }
        }
    }

    /// Our reset of these outgoing streams finished with `outcome`.
    fn outgoing_reset(&mut self, streams: &[u16], outcome: Outgoing) {
        for id in streams {
            if let Some(queue) = self.streams.get_mut(id) {
                if queue.outgoing == Outgoing::Closing {
                    queue.outgoing = outcome;
                }
            }
        }
    }

    /// The error an operation gets once the association is closed, if it is.
    pub(crate) fn closed_error(&self) -> Option<Error> {
        match &self.status {
            Status::Closed(reason) => Some(Error::from_close(reason)),
            _ => None,
        }
    }
}

/// What the driver and the API handles share.
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// Wakes the driver: an API call changed what the association owes
    /// the network (a message queued, a window reopened, a shutdown).
    pub(crate) wake_driver: Notify,
    /// Wakes API calls: messages arrived, buffer space was freed, the
    /// association connected or closed. Waiters check their condition
    /// again.
    pub(crate) changed: Notify,
    /// Live API handles; at zero the association is shut down.
    handles: AtomicUsize,
    /// The core's receive buffer, the bound of the stream queues.
    pub(crate) receive_limit: usize,
    /// The core's send buffer size.
    pub(crate) send_limit: usize,
    /// The largest message the core takes: `Config::max_message_size`,
    /// or the send buffer if smaller.
    pub(crate) max_message: usize,
    pub(crate) span: tracing::Span,
}

impl Shared {
    /// Takes the lock; a panic elsewhere while it was held does not stop
    /// the others (the state is still consistent between core calls).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An API handle: counts itself, so that dropping the last one shuts
/// the association down gracefully, as closing the last descriptor of a
/// socket does.
pub(crate) struct Handle(Arc<Shared>);

impl Handle {
    pub(crate) fn new(shared: &Arc<Shared>) -> Handle {
        shared.handles.fetch_add(1, Ordering::Relaxed);
        Handle(Arc::clone(shared))
    }
}

impl Clone for Handle {
    fn clone(&self) -> Handle {
        Handle::new(&self.0)
    }
}

impl std::ops::Deref for Handle {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.0.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _entered = self.0.span.enter();
            let mut inner = self.0.lock();
            inner.abandoned = true;
            if matches!(inner.status, Status::Connecting) {
                debug!("last handle dropped during the handshake, aborting");
                inner.assoc.abort(ABANDONED);
            } else {
                debug!("last handle dropped, shutting down");
                inner.assoc.shutdown(now());
            }
            drop(inner);
            self.0.wake_driver.notify_one();
        }
    }
}

/// The reason of an association given up before it was established.
const ABANDONED: &str = "dropped before the handshake completed";

/// Starts the driver task of `assoc` on the current Tokio runtime and
/// returns the first handle.
pub(crate) fn spawn(
    assoc: sctp_core::Association,
    config: &sctp_core::Config,
    transport: Arc<dyn Transport>,
) -> Handle {
    let span = tracing::debug_span!("sctp", role = ?assoc.role());
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            assoc,
            status: Status::Connecting,
            streams: HashMap::new(),
            unaccepted: VecDeque::new(),
            queued_bytes: 0,
            final_sent: false,
            abandoned: false,
            wakers: Vec::new(),
        }),
        wake_driver: Notify::new(),
        changed: Notify::new(),
        handles: AtomicUsize::new(0),
        receive_limit: config.max_receive_buffer as usize,
        send_limit: config.send_buffer_size,
        max_message: config.max_message_size.min(config.send_buffer_size),
        span: span.clone(),
    });
    let handle = Handle::new(&shared);
    tokio::spawn(drive(shared, transport).instrument(span));
    handle
}

/// The most datagrams one step takes in: enough for a GRO batch or a
/// full receive from the socket, few enough that timers and API calls
/// are not kept waiting behind a flood.
const RECV_BATCH: usize = 256;

async fn drive(shared: Arc<Shared>, transport: Arc<dyn Transport>) {
    let mut outgoing: Vec<Bytes> = Vec::new();
    let mut incoming: Vec<Bytes> = Vec::new();
    let mut receiving = true;
    let sleep = tokio::time::sleep(std::time::Duration::ZERO);
    tokio::pin!(sleep);
    let mut armed: Option<Instant> = None;
    let mut linger_until: Option<Instant> = None;
    let mut callbacks: Vec<Callback> = Vec::new();
    loop {
        let (mut deadline, closed, wakers) = {
            let mut inner = shared.lock();
            let (deadline, closed) = step(
                &mut inner,
                &mut incoming,
                &mut outgoing,
                &mut callbacks,
                shared.receive_limit,
            );
            (deadline, closed, std::mem::take(&mut inner.wakers))
        };
        shared.changed.notify_waiters();
        wakers.into_iter().for_each(Waker::wake);
        if !callbacks.is_empty() {
            // Outside the lock, so a callback may use the stream; in a task
            // of their own, so a slow one does not hold up the driver.
            let due = std::mem::take(&mut callbacks);
            tokio::spawn(async move { due.iter().for_each(|callback| callback()) });
        }
        if !outgoing.is_empty() {
            if let Err(e) = transport.send_batch(&outgoing).await {
                // A lost datagram, as on any network; SCTP retransmits.
                debug!(%e, "send failed");
            }
            outgoing.clear();
        }
        if closed && linger_until.is_none() {
            let linger = {
                let mut inner = shared.lock();
                inner.final_sent = true;
                linger(&inner)
            };
            shared.changed.notify_waiters();
            let Some(linger) = linger else {
                break;
            };
            trace!(?linger, "closed, lingering");
            linger_until = Some(now() + linger);
        }
        if let Some(end) = linger_until {
            if now() >= end {
                break;
            }
            deadline = Some(deadline.map_or(end, |at| at.min(end)));
        }
        if deadline != armed {
            if let Some(at) = deadline {
                sleep.as_mut().reset(tokio::time::Instant::from_std(at));
            }
            armed = deadline;
        }
        tokio::select! {
            received = transport.recv_batch(&mut incoming, RECV_BATCH), if receiving => match received {
                Ok(()) => {}
                Err(e) if is_transient(&e) => trace!(%e, "receive error passed over"),
                Err(e) => {
                    debug!(%e, "transport closed: receiving no more");
                    receiving = false;
                }
            },
            () = &mut sleep, if armed.is_some() => armed = None,
            () = shared.wake_driver.notified() => {}
        }
    }
    debug!("driver stopped");
}

/// How long a closed association keeps answering, like TCP's TIME-WAIT:
/// after a graceful shutdown our SHUTDOWN COMPLETE may be lost, and the
/// peer's retransmitted SHUTDOWN ACK must then be answered with another
/// (RFC 9260 §8.4 rule 5, §9.2) or the peer only closes when T2-shutdown
/// gives up. Three RTOs cover two retransmissions. An aborted association
/// has nothing to answer.
fn linger(inner: &Inner) -> Option<std::time::Duration> {
    match inner.status {
        Status::Closed(CloseReason::Shutdown) => {
            let rto_us = inner.assoc.transfer_stats()?.rto_us;
            Some(std::time::Duration::from_micros(rto_us.saturating_mul(3)))
        }
        _ => None,
    }
}

/// ICMP errors reported on a UDP socket: the peer may come back.
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// One step under the lock: the `incoming` datagrams in (the core builds
/// the packets each calls for as it handles it, so a batch is answered as
/// its packets one by one would be: RFC 9260 §6.2's SACK for every second
/// packet), due timers run, packets and events out, received messages
/// into the stream queues, user callbacks due into `callbacks`. Returns
/// the next deadline and whether the association has closed.
fn step(
    inner: &mut Inner,
    incoming: &mut Vec<Bytes>,
    outgoing: &mut Vec<Bytes>,
    callbacks: &mut Vec<Callback>,
    receive_limit: usize,
) -> (Option<Instant>, bool) {
    let now = now();
    for datagram in incoming.drain(..) {
        inner.assoc.handle_datagram(now, datagram);
    }
    if inner.assoc.poll_timeout().is_some_and(|at| at <= now) {
        inner.assoc.handle_timeout(now);
    }
    while let Some(datagram) = inner.assoc.poll_transmit(now) {
        outgoing.push(datagram);
    }
    while let Some(event) = inner.assoc.poll_event() {
        match event {
            Event::Connected => {
                debug!("connected");
                inner.status = Status::Connected;
            }
            Event::Readable => {}
            Event::PeerRestarted => debug!("the peer restarted; data in flight is lost"),
            Event::Closed(reason) => {
                debug!(%reason, "closed");
                inner.status = Status::Closed(reason);
            }
            // RFC 6525 §5.2.2: the peer's reset of its outgoing streams
            // ends our incoming ones after the messages sent before it.
            Event::IncomingStreamsReset(streams) => {
                debug!(?streams, "peer reset streams");
                inner.end_streams(&streams);
            }
            // RFC 6525 §5.2.7: the peer's answer to our Outgoing SSN Reset
            // Request, for `Stream::close`.
            Event::OutgoingStreamsReset(streams) => {
                debug!(?streams, "streams reset");
                inner.outgoing_reset(&streams, Outgoing::Closed);
            }
            Event::OutgoingStreamsResetFailed { streams, result } => {
                debug!(?streams, %result, "stream reset refused");
                inner.outgoing_reset(&streams, Outgoing::Refused(result));
            }
            Event::BufferedAmountLow(id) => {
                trace!(stream = id, "buffered amount low");
                let queue = inner.streams.get(&id);
                callbacks.extend(queue.and_then(|q| q.on_buffered_amount_low.clone()));
            }
            // Events of later versions of the core: nothing the API shows.
            _ => {}
        }
    }
    if inner.abandoned && matches!(inner.status, Status::Connecting) {
        // A server that never saw a valid COOKIE ECHO has no association
        // to abort: it just stops.
        inner.status = Status::Closed(CloseReason::LocalAbort(ABANDONED.to_owned()));
    }
    inner.pull_messages(receive_limit);
    // Taking messages may have reopened the window: a SACK may be owed.
    while let Some(datagram) = inner.assoc.poll_transmit(now) {
        outgoing.push(datagram);
    }
    let closed = matches!(inner.status, Status::Closed(_));
    (inner.assoc.poll_timeout(), closed)
}

//! Graceful shutdown (RFC 9260 §9.2): SHUTDOWN once all outstanding data
//! is acknowledged, SHUTDOWN ACK, SHUTDOWN COMPLETE, with T2-shutdown and
//! the shutdown guard timer.

use super::{Association, CloseReason, Phase};
use crate::timer::{BackoffTimer, Expiry};
use sctp_wire::{Abort, Chunk, ErrorCause, Shutdown, ShutdownComplete};
use std::time::Instant;
use tracing::debug;

impl Association {
    /// Starts a graceful shutdown (RFC 9260 §9.2): no new data is
    /// accepted, what is queued and in flight is delivered, then the
    /// association closes with [`CloseReason::Shutdown`]. Before the
    /// handshake completes it aborts instead. Does nothing once closed or
    /// already shutting down.
    pub fn shutdown(&mut self, now: Instant) {
        let _entered = self.enter_span();
        match self.phase {
            Phase::Established => {
                debug!("shutdown requested, SHUTDOWN-PENDING");
                self.phase = Phase::ShutdownPending;
                self.flush(now);
                self.shutdown_progress(now);
            }
            Phase::CookieWait { .. } | Phase::CookieEchoed { .. } => {
                self.abort("shutdown before the association was established");
            }
            _ => {}
        }
    }

    fn shutdown_chunk(&self) -> Chunk {
        Chunk::Shutdown(Shutdown {
            cum_tsn_ack: self.received_cum_tsn().unwrap_or_default(),
        })
    }

    fn start_t2(&mut self, now: Instant) {
        let mut t2 = BackoffTimer::new(
            self.current_rto(),
            self.config.rto_max,
            self.config.association_max_retrans,
        );
        t2.start(now);
        self.t2 = Some(t2);
    }

    /// Moves the shutdown on once all our data is acknowledged.
    #[inline]
    pub(super) fn shutdown_progress(&mut self, now: Instant) {
        // Runs after every packet: the phase test is inlined at the call,
        // the rest is not.
        if matches!(self.phase, Phase::ShutdownPending | Phase::ShutdownReceived) {
            self.shutdown_progress_pending(now);
        }
    }

    fn shutdown_progress_pending(&mut self, now: Instant) {
        if !self.all_data_acknowledged() {
            return;
        }
        match self.phase {
            // RFC 9260 §9.2: with no data outstanding, send SHUTDOWN with
            // the last TSN received in sequence, start T2-shutdown and the
            // guard timer.
            Phase::ShutdownPending => {
                let shutdown = self.shutdown_chunk();
                self.send_to_peer(&[shutdown]);
                self.phase = Phase::ShutdownSent;
                self.start_t2(now);
                self.shutdown_guard = Some(now + self.config.rto_max * 5);
                debug!("SHUTDOWN sent");
            }
            // RFC 9260 §9.2: after a SHUTDOWN, once our data is
            // acknowledged, answer with SHUTDOWN ACK and start T2.
            Phase::ShutdownReceived => {
                self.send_to_peer(&[Chunk::ShutdownAck]);
                self.phase = Phase::ShutdownAckSent;
                self.start_t2(now);
                debug!("SHUTDOWN ACK sent");
            }
            _ => {}
        }
    }

    /// RFC 9260 §9.2: DATA received in SHUTDOWN-SENT is answered with a
    /// fresh SHUTDOWN and T2 restarts.
    pub(super) fn data_during_shutdown(&mut self, now: Instant) {
        if matches!(self.phase, Phase::ShutdownSent) {
            let shutdown = self.shutdown_chunk();
            self.send_to_peer(&[shutdown]);
            self.start_t2(now);
        }
    }

    pub(super) fn on_shutdown(&mut self, now: Instant, shutdown: Shutdown) {
        match self.phase {
            Phase::Established | Phase::ShutdownPending => {
                // RFC 9260 §9.2: its Cumulative TSN Ack acknowledges our
                // data; no new data is accepted from the user any more.
                self.on_shutdown_cum_ack(now, shutdown.cum_tsn_ack);
                self.phase = Phase::ShutdownReceived;
                debug!("SHUTDOWN received, SHUTDOWN-RECEIVED");
            }
            Phase::ShutdownReceived => self.on_shutdown_cum_ack(now, shutdown.cum_tsn_ack),
            Phase::ShutdownSent => {
                // RFC 9260 §9.2: both sides shut down at once; answer with
                // SHUTDOWN ACK and wait for SHUTDOWN COMPLETE.
                self.send_to_peer(&[Chunk::ShutdownAck]);
                self.phase = Phase::ShutdownAckSent;
                self.start_t2(now);
            }
            _ => self.stats.dropped_unexpected += 1,
        }
    }

    pub(super) fn on_shutdown_ack(&mut self, tag: u32) {
        match self.phase {
            // RFC 9260 §9.2: stop T2, send SHUTDOWN COMPLETE, close.
            Phase::ShutdownSent | Phase::ShutdownAckSent => {
                self.send_to_peer(&[Chunk::ShutdownComplete(ShutdownComplete {
                    tag_reflected: false,
                })]);
                debug!("SHUTDOWN ACK received, closed");
                self.close(CloseReason::Shutdown);
            }
            // RFC 9260 §8.4 rule 5: a SHUTDOWN ACK for an association that
            // is gone (our SHUTDOWN COMPLETE was lost) is answered with a
            // SHUTDOWN COMPLETE carrying its own tag, with the T bit set.
            Phase::Closed if self.peer.is_some() => {
                self.send_packet(
                    tag,
                    &[Chunk::ShutdownComplete(ShutdownComplete {
                        tag_reflected: true,
                    })],
                );
            }
            _ => self.stats.dropped_unexpected += 1,
        }
    }

    pub(super) fn on_shutdown_complete(&mut self) {
        // RFC 9260 §9.2: SHUTDOWN COMPLETE in SHUTDOWN-ACK-SENT closes the
        // association; anywhere else it is discarded.
        if matches!(self.phase, Phase::ShutdownAckSent) {
            debug!("SHUTDOWN COMPLETE received, closed");
            self.close(CloseReason::Shutdown);
        } else {
            self.stats.dropped_unexpected += 1;
        }
    }

    pub(super) fn shutdown_timeout(&self) -> Option<Instant> {
        [
            self.t2.as_ref().and_then(BackoffTimer::deadline),
            self.shutdown_guard,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub(super) fn shutdown_handle_timeout(&mut self, now: Instant) {
        // RFC 9260 §9.2: when the guard timer expires the association is
        // aborted.
        if self.shutdown_guard.is_some_and(|g| now >= g) {
            self.send_to_peer(&[Chunk::Abort(Abort {
                tag_reflected: false,
                causes: vec![ErrorCause::user_initiated_abort(
                    "shutdown guard timer expired",
                )],
            })]);
            self.close(CloseReason::ShutdownTimeout);
            return;
        }
        let Some(expiry) = self.t2.as_mut().and_then(|t2| t2.expire(now)) else {
            return;
        };
        match expiry {
            // RFC 9260 §9.2: T2 expiries count as retransmissions against
            // Association.Max.Retrans.
            Expiry::GiveUp => {
                self.send_to_peer(&[Chunk::Abort(Abort::default())]);
                self.close(CloseReason::PeerUnreachable);
            }
            Expiry::Retransmit => match self.phase {
                Phase::ShutdownSent => {
                    let shutdown = self.shutdown_chunk();
                    self.send_to_peer(&[shutdown]);
                }
                Phase::ShutdownAckSent => self.send_to_peer(&[Chunk::ShutdownAck]),
                _ => self.t2 = None,
            },
        }
    }
}

//! Heartbeats (RFC 9260 §8.3): an idle association probes its peer,
//! measures the RTT from the answer, and declares the peer unreachable
//! after Association.Max.Retrans unanswered probes.

use super::{Association, CloseReason};
use crate::random::any_u32;
use bytes::Bytes;
use sctp_wire::{Chunk, Heartbeat};
use std::time::Instant;
use tracing::debug;

impl Association {
    /// Schedules the next HEARTBEAT one interval plus one RTO from `now`,
    /// unless one is outstanding.
    pub(super) fn defer_heartbeat(&mut self, now: Instant) {
        let interval = self.config.heartbeat_interval;
        let rto = self.current_rto();
        if let Some(t) = self.transfer.as_mut() {
            if t.heartbeat_outstanding.is_none() {
                // RFC 9260 §8.3: HEARTBEATs go to an idle destination every
                // RTO + HB.interval.
                t.heartbeat_at = interval.map(|i| now + i + rto);
            }
        }
    }

    pub(super) fn heartbeat_timeout(&self) -> Option<Instant> {
        if !self.phase.transferring() {
            return None;
        }
        self.transfer.as_ref()?.heartbeat_at
    }

    pub(super) fn heartbeat_handle_timeout(&mut self, now: Instant) {
        if !self.phase.transferring() {
            return;
        }
        let max = self.config.association_max_retrans;
        let rto = self.current_rto();
        let nonce = u64::from(any_u32(self.random.as_mut())) << 32
            | u64::from(any_u32(self.random.as_mut()));
        let Some(t) = self.transfer.as_mut() else {
            return;
        };
        if t.heartbeat_at.is_none_or(|at| now < at) {
            return;
        }
        // RFC 9260 §8.3: the timer runs only on an idle path; an idle
        // association keeps no spare memory.
        t.release_idle_memory();
        // The transmit queue keeps a few slots (a burst may have grown it
        // to dozens).
        self.transmits.shrink_to(4);
        if t.heartbeat_outstanding.take().is_some() {
            // RFC 9260 §8.3: a HEARTBEAT unanswered within an RTO counts as
            // an error; past Association.Max.Retrans the peer is unreachable.
            t.heartbeat_errors += 1;
            if t.heartbeat_errors > max {
                debug!("HEARTBEATs unanswered, peer unreachable");
                self.close(CloseReason::PeerUnreachable);
                return;
            }
        }
        // The information is a nonce only this side knows, so an answer
        // cannot be forged or replayed into an RTT sample.
        t.heartbeat_outstanding = Some((nonce, now));
        t.heartbeat_at = Some(now + rto);
        let hb = Chunk::Heartbeat(Heartbeat {
            info: Bytes::copy_from_slice(&nonce.to_be_bytes()),
        });
        self.send_to_peer(&[hb]);
    }

    pub(super) fn on_heartbeat_ack(&mut self, now: Instant, info: &Bytes) {
        let Some(t) = self.transfer.as_mut() else {
            return;
        };
        match t.heartbeat_outstanding {
            Some((nonce, sent)) if info[..] == nonce.to_be_bytes() => {
                // RFC 9260 §8.3: the answer clears the error count and
                // gives an RTT measurement.
                t.heartbeat_outstanding = None;
                t.heartbeat_errors = 0;
                t.rto.on_rtt_sample(now.saturating_duration_since(sent));
                self.defer_heartbeat(now);
            }
            _ => self.stats.dropped_unexpected += 1,
        }
    }
}

//! Heartbeats (RFC 9260 §8.3): an idle association probes its peer,
//! measures the RTT from the answer, and declares the peer unreachable
//! after Association.Max.Retrans unanswered probes.

use super::{Association, CloseReason};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sctp_wire::{Chunk, Heartbeat};
use sha2::Sha256;
use std::time::{Duration, Instant};
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
        let info = self.heartbeat_info(now);
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
            // an error, and the RTO backs off before the next; past
            // Association.Max.Retrans the peer is unreachable.
            t.heartbeat_errors += 1;
            if t.heartbeat_errors > max {
                debug!("HEARTBEATs unanswered, peer unreachable");
                self.close(CloseReason::PeerUnreachable);
                return;
            }
            t.rto.back_off();
        }
        t.heartbeat_outstanding = Some(now);
        t.heartbeat_at = Some(now + t.rto.rto());
        self.send_to_peer(&[Chunk::Heartbeat(Heartbeat { info })]);
    }

    /// The Heartbeat Information of a HEARTBEAT sent at `now`: the time,
    /// as RFC 9260 §8.3 suggests, and a MAC over it under the
    /// association's secret, so an answer cannot be forged into an RTT
    /// sample and an answer to an earlier HEARTBEAT still counts.
    fn heartbeat_info(&self, now: Instant) -> Bytes {
        let micros = u64::try_from(now.saturating_duration_since(self.epoch).as_micros())
            .unwrap_or(u64::MAX)
            .to_be_bytes();
        let mut info = Vec::with_capacity(HEARTBEAT_INFO_LEN);
        info.extend_from_slice(&micros);
        info.extend_from_slice(&heartbeat_mac(&self.secret, &micros));
        Bytes::from(info)
    }

    pub(super) fn on_heartbeat_ack(&mut self, now: Instant, info: &Bytes) {
        let sent = (info.len() == HEARTBEAT_INFO_LEN)
            .then(|| {
                let (micros, mac) = info.split_at(8);
                let mut at = [0u8; 8];
                at.copy_from_slice(micros);
                // Constant-time comparison, so the MAC cannot be found
                // byte by byte.
                let ok = heartbeat_hmac(&self.secret, &at)
                    .verify_truncated_left(mac)
                    .is_ok();
                ok.then(|| self.epoch + Duration::from_micros(u64::from_be_bytes(at)))
            })
            .flatten()
            .filter(|&sent| sent <= now);
        let Some(sent) = sent else {
            self.stats.dropped_unexpected += 1;
            return;
        };
        let Some(t) = self.transfer.as_mut() else {
            return;
        };
        // RFC 9260 §8.3: the answer, even to an earlier HEARTBEAT, clears
        // the error count and measures the RTT.
        t.heartbeat_outstanding = None;
        t.heartbeat_errors = 0;
        t.rto.on_rtt_sample(now.saturating_duration_since(sent));
        self.defer_heartbeat(now);
    }
}

/// Bytes of our Heartbeat Information: a timestamp and its MAC.
const HEARTBEAT_INFO_LEN: usize = 16;

/// HMAC-SHA256 over a HEARTBEAT's timestamp, told apart from the cookie's
/// MAC under the same secret by a label.
fn heartbeat_hmac(secret: &[u8; 32], micros: &[u8; 8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"heartbeat");
    mac.update(micros);
    mac
}

/// The first 8 bytes of [`heartbeat_hmac`]: the MAC a HEARTBEAT carries.
fn heartbeat_mac(secret: &[u8; 32], micros: &[u8; 8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(&heartbeat_hmac(secret, micros).finalize().into_bytes()[..8]);
    out
}

//! Per-stream buffered amounts and their low-water thresholds (pion's
//! `BufferedAmount` / `SetBufferedAmountLowThreshold`, the W3C data
//! channel's `bufferedAmount` / `bufferedamountlow`).
//!
//! A stream's buffered amount is the bytes of its messages queued or sent
//! and not yet acknowledged cumulatively, abandoned (RFC 3758) or lost
//! with a peer restart. When it falls from above the stream's threshold
//! to at or below it, the stream is noted for an
//! [`Event::BufferedAmountLow`](crate::Event::BufferedAmountLow).
//!
//! Only streams with bytes buffered or a threshold set have an entry, so
//! the map is bounded by what the user queued and configured, never by
//! the network; an association that never sent holds no allocation.

use crate::stream_hash::StreamIdHasher;
use sctp_wire::StreamId;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasherDefault;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Entry {
    amount: usize,
    threshold: usize,
}

/// The buffered amounts of an association's outbound streams.
#[derive(Debug, Default)]
pub(crate) struct StreamBuffers {
    /// Allocated on first use, freed when idle.
    inner: Option<Box<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    streams: HashMap<StreamId, Entry, BuildHasherDefault<StreamIdHasher>>,
    /// Streams whose amount fell to their threshold, in that order, for
    /// the user to hear of.
    low: VecDeque<u16>,
}

impl StreamBuffers {
    /// The bytes buffered on `stream`.
    pub(crate) fn amount(&self, stream: StreamId) -> usize {
        self.entry(stream).amount
    }

    /// The low-water threshold of `stream` (0 unless set).
    pub(crate) fn threshold(&self, stream: StreamId) -> usize {
        self.entry(stream).threshold
    }

    fn entry(&self, stream: StreamId) -> Entry {
        self.inner
            .as_ref()
            .and_then(|i| i.streams.get(&stream).copied())
            .unwrap_or_default()
    }

    /// A message of `bytes` was queued on `stream`.
    pub(crate) fn add(&mut self, stream: StreamId, bytes: usize) {
        let inner = self.inner.get_or_insert_with(Box::default);
        inner.streams.entry(stream).or_default().amount += bytes;
    }

    pub(crate) fn set_threshold(&mut self, stream: StreamId, threshold: usize) {
        let inner = self.inner.get_or_insert_with(Box::default);
        let entry = inner.streams.entry(stream).or_default();
        entry.threshold = threshold;
        if *entry == Entry::default() {
            inner.streams.remove(&stream);
        }
    }

    /// `bytes` of `stream` left the buffer: acknowledged, abandoned or
    /// dropped.
    pub(crate) fn release(&mut self, stream: StreamId, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let Some(inner) = self.inner.as_mut() else {
            return;
        };
        let Some(entry) = inner.streams.get_mut(&stream) else {
            return;
        };
        let before = entry.amount;
        entry.amount = before.saturating_sub(bytes);
        if before > entry.threshold && entry.amount <= entry.threshold {
            inner.low.push_back(stream.0);
        }
        if *entry == Entry::default() {
            inner.streams.remove(&stream);
        }
    }

    /// Every stream's buffer emptied at once (a peer restart lost the
    /// data); thresholds stay.
    pub(crate) fn release_all(&mut self) {
        let Some(inner) = self.inner.as_mut() else {
            return;
        };
        for (stream, entry) in inner.streams.iter_mut() {
            if entry.amount > entry.threshold {
                inner.low.push_back(stream.0);
            }
            entry.amount = 0;
        }
        inner.streams.retain(|_, e| e.threshold > 0);
    }

    /// The next stream whose amount fell to its threshold.
    pub(crate) fn pop_low(&mut self) -> Option<u16> {
        self.inner.as_mut()?.low.pop_front()
    }

    /// Frees the map when nothing is buffered, no threshold is set and no
    /// notification waits.
    pub(crate) fn shrink(&mut self) {
        if self
            .inner
            .as_ref()
            .is_some_and(|i| i.streams.is_empty() && i.low.is_empty())
        {
            self.inner = None;
        }
    }
}

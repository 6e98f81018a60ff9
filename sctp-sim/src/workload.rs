//! What the applications on a flow do: bulk transfer, message streams,
//! request/response; and when they close.
//!
//! A [`Workload`] plans messages; the engine turns each into a payload
//! the invariant checker can verify, sends it, and retries after acks
//! when the association's send buffer is full.

use crate::error::{check_range, FieldError};
use crate::rng::Rng;
use crate::Side;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Bytes every message starts with: its id and the id it answers.
pub const HEADER_LEN: usize = 16;

/// A random quantity: message sizes in bytes, gaps between messages in ms.
/// In a scenario file: `{ fixed = 1000 }`, `{ uniform = { min = 100,
/// max = 1200 } }` or `{ exponential = { mean = 500 } }`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// Always this value.
    Fixed(f64),
    /// Uniform between the bounds, inclusive.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Exponential with this mean (Poisson arrivals, for gaps).
    Exponential {
        /// The mean.
        mean: f64,
    },
}

impl Dist {
    fn sample(&self, rng: &mut Rng) -> f64 {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, max } => min + (max - min) * rng.unit(),
            Dist::Exponential { mean } => rng.exponential(mean),
        }
    }

    /// The least and greatest value it can take.
    fn bounds(&self) -> (f64, f64) {
        match *self {
            Dist::Fixed(v) => (v, v),
            Dist::Uniform { min, max } => (min, max),
            // Samples are clamped to the allowed range; the mean must lie in it.
            Dist::Exponential { mean } => (mean, mean),
        }
    }

    fn validate(&self, field: &str, lo: f64, hi: f64) -> Result<(), FieldError> {
        let (min, max) = self.bounds();
        check_range(field, min, lo, hi)?;
        check_range(field, max, lo, hi)?;
        if min > max {
            return Err(FieldError::new(field, "min is above max"));
        }
        Ok(())
    }
}

/// How hard SCTP tries to deliver a stream's messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Reliability {
    /// Retransmitted until acknowledged (RFC 9260).
    #[default]
    Reliable,
    /// PR-SCTP with a retransmission limit (RFC 7496).
    Rexmit {
        /// Retransmissions before the message is abandoned.
        max_retransmits: u32,
    },
    /// PR-SCTP with a lifetime (RFC 3758).
    Timed {
        /// Lifetime in ms.
        lifetime_ms: f64,
    },
}

/// A flow's workload, as a scenario file gives it (`kind = "bulk"` …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkloadSpec {
    /// `bytes` of user data as fast as the association takes them.
    Bulk {
        /// Total user bytes.
        bytes: u64,
        /// Bytes per message (the last may be shorter, but not below 16).
        #[serde(default = "default_message_size")]
        message_size: usize,
        /// Which side sends.
        #[serde(default)]
        from: Side,
        /// Streams used, round-robin.
        #[serde(default = "one_stream")]
        streams: u16,
        /// Send unordered.
        #[serde(default)]
        unordered: bool,
        /// Reliability of every message.
        #[serde(default)]
        reliability: Reliability,
    },
    /// `count` messages with random sizes and gaps on random streams.
    Messages {
        /// Number of messages.
        count: u64,
        /// Message size in bytes (at least 16).
        size: Dist,
        /// Gap between messages in ms; none sends as fast as possible.
        #[serde(default)]
        interval_ms: Option<Dist>,
        /// Streams used, chosen at random.
        #[serde(default = "one_stream")]
        streams: u16,
        /// Share of messages sent unordered.
        #[serde(default)]
        unordered_share: f64,
        /// Which side sends.
        #[serde(default)]
        from: Side,
        /// Reliability of every message.
        #[serde(default)]
        reliability: Reliability,
    },
    /// The client sends requests, the server answers each with a response.
    RequestResponse {
        /// Number of requests.
        requests: u64,
        /// Request size in bytes.
        request_size: Dist,
        /// Response size in bytes.
        response_size: Dist,
        /// Requests outstanding at once.
        #[serde(default = "one")]
        concurrency: u32,
    },
}

fn default_message_size() -> usize {
    1024
}

fn one_stream() -> u16 {
    1
}

fn one() -> u32 {
    1
}

impl WorkloadSpec {
    /// Checks the fields against the association's limits; `field` is the
    /// workload's path for errors.
    pub fn validate(
        &self,
        field: &str,
        max_message: usize,
        streams_available: u16,
    ) -> Result<(), FieldError> {
        let max = max_message as f64;
        let min = HEADER_LEN as f64;
        let check_streams = |streams: u16| {
            if streams == 0 || streams > streams_available {
                Err(FieldError::new(
                    format!("{field}.streams"),
                    format!("{streams} is outside 1..={streams_available}"),
                ))
            } else {
                Ok(())
            }
        };
        let check_reliability = |r: &Reliability| match r {
            Reliability::Timed { lifetime_ms } => check_range(
                &format!("{field}.reliability.timed.lifetime_ms"),
                *lifetime_ms,
                0.001,
                3_600_000.0,
            )
            .map(|_| ()),
            Reliability::Reliable | Reliability::Rexmit { .. } => Ok(()),
        };
        match self {
            WorkloadSpec::Bulk {
                bytes,
                message_size,
                streams,
                reliability,
                ..
            } => {
                check_range(
                    &format!("{field}.message_size"),
                    *message_size as f64,
                    min,
                    max,
                )?;
                if *bytes == 0 {
                    return Err(FieldError::new(
                        format!("{field}.bytes"),
                        "must be positive",
                    ));
                }
                check_streams(*streams)?;
                check_reliability(reliability)
            }
            WorkloadSpec::Messages {
                count,
                size,
                interval_ms,
                streams,
                unordered_share,
                reliability,
                ..
            } => {
                if *count == 0 {
                    return Err(FieldError::new(
                        format!("{field}.count"),
                        "must be positive",
                    ));
                }
                size.validate(&format!("{field}.size"), min, max)?;
                if let Some(gap) = interval_ms {
                    gap.validate(&format!("{field}.interval_ms"), 0.0, 3_600_000.0)?;
                }
                check_range(
                    &format!("{field}.unordered_share"),
                    *unordered_share,
                    0.0,
                    1.0,
                )?;
                check_streams(*streams)?;
                check_reliability(reliability)
            }
            WorkloadSpec::RequestResponse {
                requests,
                request_size,
                response_size,
                concurrency,
            } => {
                if *requests == 0 {
                    return Err(FieldError::new(
                        format!("{field}.requests"),
                        "must be positive",
                    ));
                }
                request_size.validate(&format!("{field}.request_size"), min, max)?;
                response_size.validate(&format!("{field}.response_size"), min, max)?;
                if *concurrency == 0 {
                    return Err(FieldError::new(
                        format!("{field}.concurrency"),
                        "must be positive",
                    ));
                }
                Ok(())
            }
        }
    }

    /// The largest message the workload can send, in bytes, when the
    /// association takes messages up to `max_message`.
    pub fn largest_message(&self, max_message: usize) -> usize {
        let largest = |d: &Dist| match *d {
            Dist::Exponential { .. } => max_message,
            _ => (d.bounds().1.round() as usize).min(max_message),
        };
        let len = match self {
            WorkloadSpec::Bulk { message_size, .. } => *message_size,
            WorkloadSpec::Messages { size, .. } => largest(size),
            WorkloadSpec::RequestResponse {
                request_size,
                response_size,
                ..
            } => largest(request_size).max(largest(response_size)),
        };
        len.max(HEADER_LEN)
    }

    /// The side whose work ends the flow: the bulk or message sender, or
    /// the client of request/response. It closes when its work is done.
    pub fn closer(&self) -> Side {
        match self {
            WorkloadSpec::Bulk { from, .. } | WorkloadSpec::Messages { from, .. } => *from,
            WorkloadSpec::RequestResponse { .. } => Side::Client,
        }
    }
}

/// A message to send.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Planned {
    /// Stream id.
    pub stream: u16,
    /// Unordered delivery.
    pub unordered: bool,
    /// Payload length, header included.
    pub len: usize,
    /// The request this message answers.
    pub reply_to: Option<u64>,
    /// How hard SCTP tries: a partially reliable message may be given up
    /// (RFC 3758), never delivered damaged.
    pub reliability: Reliability,
}

impl Reliability {
    /// The policy to hand to sctp-core.
    pub fn to_core(self) -> sctp_core::Reliability {
        match self {
            Reliability::Reliable => sctp_core::Reliability::Reliable,
            Reliability::Rexmit { max_retransmits } => {
                sctp_core::Reliability::Rexmit(max_retransmits)
            }
            Reliability::Timed { lifetime_ms } => sctp_core::Reliability::Timed(
                std::time::Duration::from_secs_f64(lifetime_ms / 1000.0),
            ),
        }
    }
}

/// What a side's application wants to do next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// Send this message now.
    Send(Planned),
    /// Nothing before this time (ns).
    At(u64),
    /// Nothing until something is received.
    Waiting,
    /// Nothing more, ever.
    Done,
}

/// A workload in progress.
#[derive(Debug)]
pub struct Workload {
    spec: WorkloadSpec,
    rng: Rng,
    /// Messages planned so far, per side.
    planned: [u64; 2],
    /// When the next message of the message stream is due, ns.
    next_due: Option<u64>,
    /// Responses owed by the server: (request id).
    responses: VecDeque<u64>,
    /// Responses received by the client.
    answered: u64,
}

impl Workload {
    /// Starts `spec`, drawing sizes, gaps and streams from `rng`.
    pub fn new(spec: WorkloadSpec, rng: Rng) -> Self {
        Workload {
            spec,
            rng,
            planned: [0; 2],
            next_due: None,
            responses: VecDeque::new(),
            answered: 0,
        }
    }

    /// The specification.
    pub fn spec(&self) -> &WorkloadSpec {
        &self.spec
    }

    fn size(&mut self, dist: Dist) -> usize {
        (dist.sample(&mut self.rng).round() as usize).max(HEADER_LEN)
    }

    /// The next message `side` should send at `now`; the caller sends it
    /// (or keeps it until the send buffer has room) before asking again.
    pub fn next(&mut self, side: Side, now: u64, max_message: usize) -> Next {
        let i = side as usize;
        match self.spec {
            WorkloadSpec::Bulk {
                bytes,
                message_size,
                from,
                streams,
                unordered,
                reliability,
            } => {
                if side != from {
                    return Next::Done;
                }
                let sent = self.planned[i] * message_size as u64;
                if sent >= bytes {
                    return Next::Done;
                }
                let len = ((bytes - sent).min(message_size as u64) as usize).max(HEADER_LEN);
                let stream = (self.planned[i] % u64::from(streams)) as u16;
                self.planned[i] += 1;
                Next::Send(Planned {
                    stream,
                    unordered,
                    len,
                    reply_to: None,
                    reliability,
                })
            }
            WorkloadSpec::Messages {
                count,
                size,
                interval_ms,
                streams,
                unordered_share,
                from,
                reliability,
            } => {
                if side != from {
                    return Next::Done;
                }
                if self.planned[i] >= count {
                    return Next::Done;
                }
                let due = *self.next_due.get_or_insert(now);
                if due > now {
                    return Next::At(due);
                }
                if let Some(gap) = interval_ms {
                    let gap_ns = (gap.sample(&mut self.rng) * 1e6).round() as u64;
                    self.next_due = Some(due + gap_ns);
                }
                self.planned[i] += 1;
                let len = self.size(size).min(max_message);
                let stream = self.rng.below(u64::from(streams)) as u16;
                let unordered = self.rng.chance(unordered_share);
                Next::Send(Planned {
                    stream,
                    unordered,
                    len,
                    reply_to: None,
                    reliability,
                })
            }
            WorkloadSpec::RequestResponse {
                requests,
                request_size,
                response_size,
                concurrency,
            } => match side {
                Side::Client => {
                    if self.answered >= requests {
                        return Next::Done;
                    }
                    let outstanding = self.planned[i] - self.answered;
                    if self.planned[i] >= requests || outstanding >= u64::from(concurrency) {
                        return Next::Waiting;
                    }
                    self.planned[i] += 1;
                    let len = self.size(request_size).min(max_message);
                    Next::Send(Planned {
                        stream: 0,
                        unordered: false,
                        len,
                        reply_to: None,
                        reliability: Reliability::Reliable,
                    })
                }
                Side::Server => match self.responses.pop_front() {
                    Some(request) => {
                        self.planned[i] += 1;
                        let len = self.size(response_size).min(max_message);
                        Next::Send(Planned {
                            stream: 0,
                            unordered: false,
                            len,
                            reply_to: Some(request),
                            reliability: Reliability::Reliable,
                        })
                    }
                    None if self.planned[i] >= requests => Next::Done,
                    None => Next::Waiting,
                },
            },
        }
    }

    /// Whether `side` has nothing more to send, ever.
    pub fn is_done(&self, side: Side) -> bool {
        let planned = self.planned[side as usize];
        match self.spec {
            WorkloadSpec::Bulk {
                bytes,
                message_size,
                from,
                ..
            } => side != from || planned * message_size as u64 >= bytes,
            WorkloadSpec::Messages { count, from, .. } => side != from || planned >= count,
            WorkloadSpec::RequestResponse { requests, .. } => match side {
                Side::Client => self.answered >= requests,
                Side::Server => planned >= requests && self.responses.is_empty(),
            },
        }
    }

    /// `side` received message `id` (answering `reply_to`). Returns whether
    /// the application now has something to send.
    pub fn on_received(&mut self, side: Side, id: u64, reply_to: Option<u64>) -> bool {
        match (&self.spec, side, reply_to) {
            (WorkloadSpec::RequestResponse { .. }, Side::Server, None) => {
                self.responses.push_back(id);
                true
            }
            (WorkloadSpec::RequestResponse { .. }, Side::Client, Some(_)) => {
                self.answered += 1;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(w: &mut Workload, side: Side) -> Vec<Planned> {
        let mut out = Vec::new();
        while let Next::Send(p) = w.next(side, 0, 65_536) {
            out.push(p);
        }
        out
    }

    #[test]
    fn bulk_cuts_the_bytes_into_messages_round_robin() {
        let spec = WorkloadSpec::Bulk {
            bytes: 2500,
            message_size: 1000,
            from: Side::Client,
            streams: 2,
            unordered: false,
            reliability: Reliability::Reliable,
        };
        let mut w = Workload::new(spec, Rng::new(1));
        let m = drain(&mut w, Side::Client);
        let lens: Vec<usize> = m.iter().map(|p| p.len).collect();
        let streams: Vec<u16> = m.iter().map(|p| p.stream).collect();
        assert_eq!(lens, [1000, 1000, 500]);
        assert_eq!(streams, [0, 1, 0]);
        assert_eq!(w.next(Side::Client, 0, 65_536), Next::Done);
        assert_eq!(w.next(Side::Server, 0, 65_536), Next::Done);
    }

    #[test]
    fn message_stream_waits_for_its_interval() {
        let spec = WorkloadSpec::Messages {
            count: 3,
            size: Dist::Fixed(100.0),
            interval_ms: Some(Dist::Fixed(10.0)),
            streams: 4,
            unordered_share: 0.0,
            from: Side::Server,
            reliability: Reliability::Reliable,
        };
        let mut w = Workload::new(spec, Rng::new(1));
        assert!(matches!(w.next(Side::Server, 5, 65_536), Next::Send(_)));
        assert_eq!(w.next(Side::Server, 6, 65_536), Next::At(10_000_005));
        assert!(matches!(
            w.next(Side::Server, 10_000_005, 65_536),
            Next::Send(_)
        ));
        assert!(matches!(
            w.next(Side::Server, 30_000_000, 65_536),
            Next::Send(_)
        ));
        assert_eq!(w.next(Side::Server, 40_000_000, 65_536), Next::Done);
    }

    #[test]
    fn request_response_keeps_the_concurrency_window() {
        let spec = WorkloadSpec::RequestResponse {
            requests: 3,
            request_size: Dist::Fixed(50.0),
            response_size: Dist::Fixed(500.0),
            concurrency: 2,
        };
        let mut w = Workload::new(spec, Rng::new(1));
        assert_eq!(drain(&mut w, Side::Client).len(), 2);
        assert_eq!(w.next(Side::Client, 0, 65_536), Next::Waiting);
        assert_eq!(w.next(Side::Server, 0, 65_536), Next::Waiting);
        assert!(w.on_received(Side::Server, 0, None));
        let r = drain(&mut w, Side::Server);
        assert_eq!((r[0].len, r[0].reply_to), (500, Some(0)));
        assert!(w.on_received(Side::Client, 0, Some(0)));
        assert_eq!(drain(&mut w, Side::Client).len(), 1);
    }

    #[test]
    fn a_timed_reliability_needs_a_positive_lifetime() {
        let spec = |reliability| WorkloadSpec::Bulk {
            bytes: 10,
            message_size: 100,
            from: Side::Client,
            streams: 1,
            unordered: false,
            reliability,
        };
        let check = |r| spec(r).validate("associations[0].workload", 65_536, 16);
        assert!(check(Reliability::Rexmit { max_retransmits: 0 }).is_ok());
        assert!(check(Reliability::Timed { lifetime_ms: 50.0 }).is_ok());
        assert_eq!(
            check(Reliability::Timed { lifetime_ms: 0.0 }).map_err(|e| e.field),
            Err("associations[0].workload.reliability.timed.lifetime_ms".to_owned())
        );
    }
}

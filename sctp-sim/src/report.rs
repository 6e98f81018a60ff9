//! What a run produces: per-flow and per-link figures, time series, the
//! trace hash and the first failure; a terminal table and CSV files.

use crate::invariants::Violation;
use crate::link::LinkStats;
use crate::trace::TraceRecord;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::path::Path;

/// 50th, 95th and 99th percentiles, in ms.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

impl Percentiles {
    /// Percentiles of `samples_us` (microseconds), reported in ms; none
    /// for no samples.
    pub fn of_micros(samples_us: &[u32]) -> Option<Self> {
        if samples_us.is_empty() {
            return None;
        }
        // Three selections in linear time rather than a sort.
        let mut v = samples_us.to_vec();
        let last = v.len() - 1;
        let mut at = |q: f64| {
            let i = (last as f64 * q).round() as usize;
            let (_, nth, _) = v.select_nth_unstable(i.min(last));
            f64::from(*nth) / 1000.0
        };
        Some(Percentiles {
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
        })
    }
}

/// One sample of a flow's time series (the data sender's view).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SamplePoint {
    /// Time, s.
    pub t: f64,
    /// Congestion window, bytes.
    pub cwnd: u64,
    /// Bytes in flight.
    pub flight: u64,
    /// User bytes delivered to the receiver over the last interval, Mbit/s.
    pub delivery_mbps: f64,
    /// Smoothed RTT, ms (0 before the first measurement).
    pub srtt_ms: f64,
    /// Bytes in the bottleneck queue of the data direction.
    pub queue_bytes: u64,
}

/// The figures of one flow (an association pair and its workload).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowReport {
    /// Flow name.
    pub name: String,
    /// Congestion controller name.
    pub cc: String,
    /// Name of the link it uses.
    pub link: String,
    /// Bandwidth of the data direction, bit/s (none: infinite).
    pub capacity_bps: Option<u64>,
    /// Messages accepted by `send`, both directions.
    pub messages_sent: u64,
    /// Messages delivered, both directions.
    pub messages_delivered: u64,
    /// User bytes delivered, both directions.
    pub bytes_delivered: u64,
    /// First message sent, s.
    pub first_send_s: Option<f64>,
    /// Last message delivered, s.
    pub completion_s: Option<f64>,
    /// User bytes delivered per second between the two, bit/s.
    pub goodput_bps: Option<f64>,
    /// Smoothed RTT sampled over the run.
    pub srtt_ms: Option<Percentiles>,
    /// Time data packets waited in the bottleneck queue.
    pub queue_delay_ms: Option<Percentiles>,
    /// Message send-to-delivery latency.
    pub latency_ms: Option<Percentiles>,
    /// Messages the senders gave up under their partial-reliability
    /// policy (RFC 3758), both sides.
    pub abandoned: u64,
    /// DATA chunks retransmitted (both sides).
    pub retransmissions: u64,
    /// Fast retransmissions (both sides).
    pub fast_retransmits: u64,
    /// T3-rtx expiries (both sides).
    pub t3_expiries: u64,
    /// DATA chunks received more than once (both sides).
    pub duplicate_tsns: u64,
    /// Corrupted packets delivered and caught by the CRC32c.
    pub corrupted_caught: u64,
    /// Association events (connected, closed …).
    pub events: u64,
    /// How each side closed: (time s, reason), client first.
    pub closed: [Option<(f64, String)>; 2],
    /// Time series.
    pub series: Vec<SamplePoint>,
}

impl FlowReport {
    /// Goodput as a share of the link capacity, if both are known.
    pub fn utilisation(&self) -> Option<f64> {
        Some(self.goodput_bps? / self.capacity_bps? as f64)
    }
}

/// What one link did, per direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkReport {
    /// Link name.
    pub name: String,
    /// Client-to-server direction.
    pub forward: LinkStats,
    /// Server-to-client direction.
    pub reverse: LinkStats,
}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunFailure {
    /// An invariant broke.
    Violation(Violation),
    /// The simulation stopped making progress.
    Stall {
        /// When, ns.
        at: u64,
        /// What was seen.
        reason: String,
        /// The last trace records.
        latest: Vec<TraceRecord>,
    },
}

impl fmt::Display for RunFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunFailure::Violation(v) => write!(f, "invariant violated {v}"),
            RunFailure::Stall { at, reason, latest } => {
                writeln!(
                    f,
                    "stalled at {:.6} s: {reason}; last trace records:",
                    *at as f64 / 1e9
                )?;
                for r in latest {
                    writeln!(f, "  {r}")?;
                }
                Ok(())
            }
        }
    }
}

/// The result of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Hash of the whole trace: equal for equal scenario and seed.
    pub trace_hash: u64,
    /// Trace records.
    pub trace_records: u64,
    /// Simulated time at the end, s.
    pub sim_time_s: f64,
    /// Per flow.
    pub flows: Vec<FlowReport>,
    /// Per link.
    pub links: Vec<LinkReport>,
    /// The first failure, if any.
    pub failure: Option<RunFailure>,
}

impl RunReport {
    /// Whether every invariant held.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// Writes the time series as CSV, one row per flow and sample.
    pub fn write_csv(&self, mut w: impl Write) -> io::Result<()> {
        writeln!(
            w,
            "scenario,flow,cc,t_s,cwnd_bytes,flight_bytes,delivery_mbps,srtt_ms,queue_bytes"
        )?;
        for f in &self.flows {
            for p in &f.series {
                writeln!(
                    w,
                    "{},{},{},{:.6},{},{},{:.4},{:.3},{}",
                    self.scenario,
                    f.name,
                    f.cc,
                    p.t,
                    p.cwnd,
                    p.flight,
                    p.delivery_mbps,
                    p.srtt_ms,
                    p.queue_bytes
                )?;
            }
        }
        Ok(())
    }

    /// Writes the CSV to `path`.
    pub fn save_csv(&self, path: &Path) -> io::Result<()> {
        let file = std::fs::File::create(path)?;
        self.write_csv(io::BufWriter::new(file))
    }
}

fn mbps(bps: Option<f64>) -> String {
    bps.map_or_else(|| "-".to_owned(), |b| format!("{:.2}", b / 1e6))
}

fn pct(p: Option<Percentiles>) -> String {
    p.map_or_else(|| "-".to_owned(), |p| format!("{:.1}/{:.1}", p.p50, p.p99))
}

/// A close reason in a word or two.
fn short_reason(why: &str) -> &str {
    if why == "shut down" {
        "shutdown"
    } else if why.starts_with("aborted locally") {
        "abort"
    } else if why.starts_with("aborted by the peer") {
        "peer abort"
    } else {
        why
    }
}

/// A terminal table of every flow of every report.
pub fn table(reports: &[RunReport]) -> String {
    let header = [
        "scenario",
        "flow",
        "cc",
        "msgs",
        "MB",
        "done s",
        "goodput",
        "capacity",
        "util",
        "srtt p50/p99 ms",
        "queue p50/p99 ms",
        "rtx (fast/T3)",
        "abandoned",
        "drops",
        "crc caught",
        "closed (client/server)",
        "result",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for r in reports {
        let drops: u64 = r
            .links
            .iter()
            .flat_map(|l| [l.forward, l.reverse])
            .map(|s| s.lost + s.queue_drops + s.aqm_drops + s.outage_drops + s.mtu_drops)
            .sum();
        for (i, f) in r.flows.iter().enumerate() {
            rows.push(vec![
                if i == 0 {
                    r.scenario.clone()
                } else {
                    String::new()
                },
                f.name.clone(),
                f.cc.clone(),
                format!("{}/{}", f.messages_delivered, f.messages_sent),
                format!("{:.2}", f.bytes_delivered as f64 / 1e6),
                f.completion_s
                    .map_or_else(|| "-".to_owned(), |s| format!("{s:.2}")),
                mbps(f.goodput_bps),
                f.capacity_bps
                    .map_or_else(|| "inf".to_owned(), |c| format!("{:.2}", c as f64 / 1e6)),
                f.utilisation()
                    .map_or_else(|| "-".to_owned(), |u| format!("{:.0}%", u * 100.0)),
                pct(f.srtt_ms),
                pct(f.queue_delay_ms),
                format!(
                    "{} ({}/{})",
                    f.retransmissions, f.fast_retransmits, f.t3_expiries
                ),
                f.abandoned.to_string(),
                if i == 0 {
                    drops.to_string()
                } else {
                    String::new()
                },
                f.corrupted_caught.to_string(),
                f.closed
                    .iter()
                    .map(|c| c.as_ref().map_or("open", |(_, why)| short_reason(why)))
                    .collect::<Vec<_>>()
                    .join("/"),
                if r.passed() { "ok" } else { "FAILED" }.to_owned(),
            ]);
        }
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        out.push('|');
        for (cell, w) in cells.iter().zip(&widths) {
            let _ = write!(out, " {cell:<w$} |");
        }
        out.push('\n');
    };
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    line(&mut out, &header);
    out.push('|');
    for w in &widths {
        out.push_str(&"-".repeat(w + 2));
        out.push('|');
    }
    out.push('\n');
    for row in &rows {
        line(&mut out, row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_right_ranks() {
        let samples: Vec<u32> = (1..=100).map(|x| x * 1000).collect();
        let p = Percentiles::of_micros(&samples).expect("samples");
        assert_eq!((p.p50, p.p95, p.p99), (51.0, 95.0, 99.0));
        // In any order.
        let shuffled: Vec<u32> = (0..100).map(|i| (i * 37 % 100 + 1) * 1000).collect();
        assert_eq!(Percentiles::of_micros(&shuffled), Some(p));
        assert_eq!(Percentiles::of_micros(&[]), None);
    }

    #[test]
    fn table_and_csv_show_each_flow() {
        let report = RunReport {
            scenario: "s".to_owned(),
            flows: vec![FlowReport {
                name: "bulk".to_owned(),
                cc: "rfc9260".to_owned(),
                capacity_bps: Some(10_000_000),
                goodput_bps: Some(9_000_000.0),
                series: vec![SamplePoint {
                    t: 0.5,
                    cwnd: 4380,
                    ..SamplePoint::default()
                }],
                ..FlowReport::default()
            }],
            ..RunReport::default()
        };
        let cells = |t: &str| -> Vec<String> {
            t.lines()
                .nth(2)
                .unwrap_or_default()
                .split('|')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect()
        };
        let t = table(std::slice::from_ref(&report));
        let header: Vec<String> = t
            .lines()
            .next()
            .unwrap_or_default()
            .split('|')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        let row = cells(&t);
        assert_eq!(header.len(), row.len(), "{t}");
        assert_eq!(row[0], "s");
        assert_eq!(row[6..9], ["9.00", "10.00", "90%"]);
        assert_eq!(row[row.len() - 2..], ["open/open", "ok"]);
        let mut closed = report.clone();
        closed.flows[0].closed = [
            Some((1.0, "shut down".to_owned())),
            Some((1.0, "aborted by the peer: []".to_owned())),
        ];
        assert_eq!(cells(&table(&[closed]))[15], "shutdown/peer abort");
        let mut csv = Vec::new();
        report.write_csv(&mut csv).expect("in memory");
        let csv = String::from_utf8(csv).expect("utf-8");
        assert_eq!(
            csv.lines().nth(1),
            Some("s,bulk,rfc9260,0.500000,4380,0,0.0000,0.000,0")
        );
    }
}

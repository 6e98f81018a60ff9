//! The built-in scenarios, the soak, parameter sweeps, and writing a set
//! of runs to a report folder.

use crate::engine::Simulation;
use crate::error::ScenarioError;
use crate::link::{LinkParams, Outage, Reorder};
use crate::loss::LossModel;
use crate::plot;
use crate::report::{self, RunReport};
use crate::scenario::{AssociationConfig, AssociationSpec, CcChoice, LinkSpec, Scenario};
use crate::workload::{Dist, Reliability, WorkloadSpec};
use crate::Side;
use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

/// The built-in scenarios: (name, TOML text), shipped in `scenarios/`.
pub const BUILTINS: [(&str, &str); 11] = [
    ("clean-lan", include_str!("../scenarios/clean-lan.toml")),
    (
        "lossy-wifi-bursts",
        include_str!("../scenarios/lossy-wifi-bursts.toml"),
    ),
    (
        "satellite-600ms",
        include_str!("../scenarios/satellite-600ms.toml"),
    ),
    (
        "bufferbloat-dsl",
        include_str!("../scenarios/bufferbloat-dsl.toml"),
    ),
    (
        "mobile-handover-outage",
        include_str!("../scenarios/mobile-handover-outage.toml"),
    ),
    (
        "reordering-path",
        include_str!("../scenarios/reordering-path.toml"),
    ),
    (
        "two-flows-shared-bottleneck",
        include_str!("../scenarios/two-flows-shared-bottleneck.toml"),
    ),
    (
        "close-and-abort-midway",
        include_str!("../scenarios/close-and-abort-midway.toml"),
    ),
    (
        "bandwidth-drop",
        include_str!("../scenarios/bandwidth-drop.toml"),
    ),
    (
        "webrtc-mixed-reliability",
        include_str!("../scenarios/webrtc-mixed-reliability.toml"),
    ),
    (
        "reordering-rack",
        include_str!("../scenarios/reordering-rack.toml"),
    ),
];

/// The built-in scenario named `name`.
pub fn builtin(name: &str) -> Result<Scenario, ScenarioError> {
    let (_, text) = BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| ScenarioError::UnknownBuiltin(name.to_owned()))?;
    Scenario::from_toml(name, text)
}

/// Every built-in scenario, in the order of [`BUILTINS`].
pub fn builtins() -> Result<Vec<Scenario>, ScenarioError> {
    BUILTINS.iter().map(|(name, _)| builtin(name)).collect()
}

/// Compiles and runs `scenario`; `progress` sees the virtual time in ns.
pub fn run(
    scenario: &Scenario,
    base: Instant,
    progress: &mut dyn FnMut(u64),
) -> Result<RunReport, ScenarioError> {
    Ok(Simulation::new(scenario.compile()?, base).run(progress))
}

/// The soak: `messages` messages of 16 to 300 bytes on 8 streams, a
/// quarter unordered, through a hostile link in both directions — 10 %
/// loss in Gilbert-Elliott bursts of 3 packets on average, 10 %
/// reordering, 1 % duplication, 0.1 % corruption and one 5-second outage.
pub fn soak(messages: u64, seed: u64) -> Scenario {
    let hostile = LinkParams {
        bandwidth_mbps: Some(50.0),
        delay_ms: 10.0,
        jitter_ms: 1.0,
        queue_bytes: Some(200_000),
        loss: Some(LossModel::bursts(0.10, 3.0)),
        reorder: Some(Reorder {
            probability: 0.10,
            extra_delay_ms: 5.0,
            max_extra_delay_ms: None,
        }),
        duplicate: 0.01,
        corrupt: 0.001,
        outages: vec![Outage {
            start_ms: 1000.0,
            end_ms: 6000.0,
        }],
        ..LinkParams::default()
    };
    Scenario {
        name: "soak".to_owned(),
        description: format!("{messages} messages through a hostile link"),
        seed,
        // Generous: the run ends as soon as the flow has finished.
        duration_ms: 120_000.0 + messages as f64 * 5.0,
        sample_interval_ms: 100.0,
        links: vec![LinkSpec {
            name: "hostile".to_owned(),
            forward: hostile,
            reverse: None,
            changes: Vec::new(),
        }],
        associations: vec![AssociationSpec {
            name: "messages".to_owned(),
            link: "hostile".to_owned(),
            cc: CcChoice::Rfc9260.to_string(),
            start_ms: 0.0,
            extra_delay_ms: 0.0,
            config: AssociationConfig {
                rto_initial_ms: Some(300.0),
                rto_min_ms: Some(100.0),
                rto_max_ms: Some(2000.0),
                max_retrans: Some(30),
                ..AssociationConfig::default()
            },
            workload: WorkloadSpec::Messages {
                count: messages,
                size: Dist::Uniform {
                    min: 16.0,
                    max: 300.0,
                },
                interval_ms: None,
                streams: 8,
                unordered_share: 0.25,
                from: Side::Client,
                reliability: Reliability::Reliable,
            },
            actions: Vec::new(),
            close_when_done: true,
        }],
    }
}

/// A parameter a sweep varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepParam {
    /// Bernoulli loss rate, percent, both directions.
    Loss,
    /// Round-trip propagation delay, ms.
    Rtt,
    /// Bottleneck queue, kB.
    Buffer,
}

impl FromStr for SweepParam {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "loss" => Ok(SweepParam::Loss),
            "rtt" => Ok(SweepParam::Rtt),
            "buffer" => Ok(SweepParam::Buffer),
            _ => Err(format!(
                "unknown sweep parameter `{s}`: use loss, rtt or buffer"
            )),
        }
    }
}

impl SweepParam {
    /// The values swept by default.
    pub fn default_values(self) -> Vec<f64> {
        match self {
            SweepParam::Loss => vec![0.0, 0.5, 1.0, 2.0, 5.0],
            SweepParam::Rtt => vec![10.0, 40.0, 100.0, 200.0, 400.0],
            SweepParam::Buffer => vec![10.0, 30.0, 100.0, 300.0, 1000.0],
        }
    }

    /// The axis label.
    pub fn label(self) -> &'static str {
        match self {
            SweepParam::Loss => "loss (%)",
            SweepParam::Rtt => "RTT (ms)",
            SweepParam::Buffer => "bottleneck queue (kB)",
        }
    }

    /// The sweep's base scenario (10 Mbit/s, 40 ms RTT, 100 kB queue, a
    /// 2 MB bulk transfer) with this parameter set to `value`.
    pub fn scenario(self, value: f64, cc: CcChoice, seed: u64) -> Scenario {
        let mut link = LinkParams {
            bandwidth_mbps: Some(10.0),
            delay_ms: 20.0,
            queue_bytes: Some(100_000),
            ..LinkParams::default()
        };
        match self {
            SweepParam::Loss => link.loss = Some(LossModel::Bernoulli { p: value / 100.0 }),
            SweepParam::Rtt => link.delay_ms = value / 2.0,
            SweepParam::Buffer => link.queue_bytes = Some((value * 1000.0) as u64),
        }
        let mut s = Scenario {
            name: format!("sweep-{}", self.label()),
            description: String::new(),
            seed,
            duration_ms: 300_000.0,
            sample_interval_ms: 50.0,
            links: vec![LinkSpec {
                name: "path".to_owned(),
                forward: link,
                reverse: None,
                changes: Vec::new(),
            }],
            associations: vec![AssociationSpec {
                name: "bulk".to_owned(),
                link: "path".to_owned(),
                cc: String::new(),
                start_ms: 0.0,
                extra_delay_ms: 0.0,
                config: AssociationConfig {
                    rto_initial_ms: Some(1000.0),
                    rto_min_ms: Some(200.0),
                    ..AssociationConfig::default()
                },
                workload: WorkloadSpec::Bulk {
                    bytes: 2_000_000,
                    message_size: 1100,
                    from: Side::Client,
                    streams: 1,
                    unordered: false,
                    reliability: Reliability::Reliable,
                },
                actions: Vec::new(),
                close_when_done: true,
            }],
        };
        s.set_cc(cc);
        s
    }
}

/// One point of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// Controller.
    pub cc: String,
    /// Parameter value.
    pub value: f64,
    /// The run.
    pub report: RunReport,
}

/// Runs `param` over `values` for every available controller.
pub fn sweep(
    param: SweepParam,
    values: &[f64],
    seed: u64,
    base: Instant,
    on_point: &mut dyn FnMut(&SweepPoint),
) -> Result<Vec<SweepPoint>, ScenarioError> {
    let mut points = Vec::new();
    for cc in CcChoice::available() {
        for &value in values {
            let report = run(&param.scenario(value, cc, seed), base, &mut |_| {})?;
            let point = SweepPoint {
                cc: cc.to_string(),
                value,
                report,
            };
            on_point(&point);
            points.push(point);
        }
    }
    Ok(points)
}

/// Writes the sweep's comparison plot and CSV into `dir`.
pub fn write_sweep(dir: &Path, param: SweepParam, points: &[SweepPoint]) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut csv = String::from("cc,value,goodput_mbps,passed\n");
    let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for p in points {
        let goodput = p
            .report
            .flows
            .first()
            .and_then(|f| f.goodput_bps)
            .unwrap_or(0.0)
            / 1e6;
        let _ = writeln!(
            csv,
            "{},{},{goodput:.4},{}",
            p.cc,
            p.value,
            p.report.passed()
        );
        match lines.iter_mut().find(|(cc, _)| *cc == p.cc) {
            Some((_, pts)) => pts.push((p.value, goodput)),
            None => lines.push((p.cc.clone(), vec![(p.value, goodput)])),
        }
    }
    std::fs::write(dir.join("sweep.csv"), csv)?;
    plot::sweep_svg(
        &dir.join("sweep.svg"),
        &format!("goodput against {}", param.label()),
        param.label(),
        &lines,
    )
    .map_err(io::Error::other)
}

fn file_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes `reports` into `dir`: `summary.txt` (the table), a CSV of time
/// series and one SVG per flow for each run.
pub fn write_reports(dir: &Path, reports: &[RunReport]) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut summary = report::table(reports);
    for r in reports {
        let _ = writeln!(
            summary,
            "{}: seed {}, trace hash {:016x}, {} trace records, {:.3} s simulated{}",
            r.scenario,
            r.seed,
            r.trace_hash,
            r.trace_records,
            r.sim_time_s,
            r.failure
                .as_ref()
                .map_or_else(String::new, |f| format!("\n  FAILED: {f}"))
        );
        let name = file_name(&r.scenario);
        r.save_csv(&dir.join(format!("{name}.csv")))?;
        for f in &r.flows {
            let path = dir.join(format!("{name}-{}.svg", file_name(&f.name)));
            plot::flow_svg(&path, &r.scenario, f).map_err(io::Error::other)?;
        }
    }
    std::fs::write(dir.join("summary.txt"), summary)
}

/// Runs `scenario`'s first flow under every available controller and
/// plots them together into `path`.
pub fn compare_controllers(
    scenario: &Scenario,
    base: Instant,
    path: &Path,
) -> Result<Vec<RunReport>, Box<dyn std::error::Error>> {
    let mut reports = Vec::new();
    for cc in CcChoice::available() {
        let mut s = scenario.clone();
        s.set_cc(cc);
        reports.push(run(&s, base, &mut |_| {})?);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let runs: Vec<(String, &report::FlowReport)> = reports
        .iter()
        .filter_map(|r| Some((r.flows.first()?.cc.clone(), r.flows.first()?)))
        .collect();
    plot::compare_svg(path, &scenario.name, &runs)?;
    Ok(reports)
}

//! Scenario files: TOML describing links, associations, workloads,
//! controllers, duration and seed. See `scenarios/*.toml` for examples.
//!
//! ```toml
//! name = "example"
//! seed = 1
//! duration_ms = 20000
//!
//! [[links]]
//! name = "path"
//! forward = { bandwidth_mbps = 10, delay_ms = 20, queue_bytes = 60000 }
//! # reverse defaults to the same as forward
//!
//! [[associations]]
//! name = "bulk"
//! link = "path"
//! cc = "rfc9260"
//! workload = { kind = "bulk", bytes = 1000000 }
//! ```

use crate::engine::{Action, ActionKind, FlowSetup, LinkSetup, SimSetup};
use crate::error::{check_range, ms_to_ns, FieldError, ScenarioError};
use crate::link::LinkParams;
use crate::rng::splitmix64;
use crate::workload::WorkloadSpec;
use crate::Side;
use sctp_cc::{BbrConfig, FixedWindow, Rfc9260Config};
use sctp_core::{Config, LossDetection, Scheduler};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A congestion controller the simulator can give an association.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CcChoice {
    /// RFC 9260 §7.2: slow start, congestion avoidance, fast recovery.
    Rfc9260,
    /// A constant window of this many bytes.
    Fixed(usize),
    /// The BBR model (sctp-cc's `Bbr`): paced at the estimated bottleneck
    /// rate, cwnd from the bandwidth-delay product.
    Bbr,
}

/// Window of `fixed` when none is given.
pub const DEFAULT_FIXED_WINDOW: usize = 64 * 1024;

impl CcChoice {
    /// Every controller available, for comparisons and sweeps.
    pub fn available() -> [CcChoice; 3] {
        [
            CcChoice::Rfc9260,
            CcChoice::Bbr,
            CcChoice::Fixed(DEFAULT_FIXED_WINDOW),
        ]
    }

    /// Gives `config` this controller; `seed` decides its random choices
    /// (BBR's first ProbeBW phase), one per association.
    fn apply(self, config: &mut Config, seed: u64) {
        config.congestion = match self {
            CcChoice::Rfc9260 => Arc::new(Rfc9260Config::default()),
            CcChoice::Fixed(window) => Arc::new(FixedWindow::new(window)),
            CcChoice::Bbr => Arc::new(BbrConfig {
                seed,
                ..BbrConfig::default()
            }),
        };
    }
}

impl fmt::Display for CcChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CcChoice::Rfc9260 => f.write_str("rfc9260"),
            CcChoice::Bbr => f.write_str("bbr"),
            CcChoice::Fixed(w) if *w == DEFAULT_FIXED_WINDOW => f.write_str("fixed"),
            CcChoice::Fixed(w) => write!(f, "fixed:{w}"),
        }
    }
}

/// Why a controller name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CcError {
    /// Not a controller name.
    #[error("unknown controller `{0}`: available controllers are rfc9260, bbr and fixed[:BYTES]")]
    Unknown(String),
}

impl FromStr for CcChoice {
    type Err = CcError;

    fn from_str(s: &str) -> Result<Self, CcError> {
        match s {
            "rfc9260" | "reno" => Ok(CcChoice::Rfc9260),
            "fixed" => Ok(CcChoice::Fixed(DEFAULT_FIXED_WINDOW)),
            "bbr" => Ok(CcChoice::Bbr),
            _ => match s.strip_prefix("fixed:").map(str::parse::<usize>) {
                Some(Ok(w)) if w > 0 => Ok(CcChoice::Fixed(w)),
                _ => Err(CcError::Unknown(s.to_owned())),
            },
        }
    }
}

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name, shown in reports.
    pub name: String,
    /// What it shows.
    #[serde(default)]
    pub description: String,
    /// The seed of every random choice.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time allowed, ms: every flow must finish within it.
    pub duration_ms: f64,
    /// Time-series sampling interval, ms.
    #[serde(default = "default_sample_interval")]
    pub sample_interval_ms: f64,
    /// The links.
    pub links: Vec<LinkSpec>,
    /// The associations (flows).
    pub associations: Vec<AssociationSpec>,
}

fn default_seed() -> u64 {
    1
}

fn default_sample_interval() -> f64 {
    10.0
}

fn yes() -> bool {
    true
}

/// A link: the client-to-server direction and the way back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Name, referred to by associations.
    pub name: String,
    /// Client-to-server direction.
    #[serde(default)]
    pub forward: LinkParams,
    /// Server-to-client direction; the same as `forward` when absent.
    pub reverse: Option<LinkParams>,
    /// Scripted changes of parameters, e.g. a bandwidth drop.
    #[serde(default)]
    pub changes: Vec<LinkChange>,
}

/// `changes = [{ at_ms = 5000, forward = { bandwidth_mbps = 2 } }]`: from
/// `at_ms` on, a direction takes the parameters given — all of them: a
/// field left out takes its default, as in `forward` itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkChange {
    /// When, ms.
    pub at_ms: f64,
    /// New client-to-server parameters, if they change.
    pub forward: Option<LinkParams>,
    /// New server-to-client parameters, if they change.
    pub reverse: Option<LinkParams>,
}

/// A scripted command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionName {
    /// Graceful shutdown (RFC 9260 §9.2).
    Shutdown,
    /// ABORT (RFC 9260 §9.1).
    Abort,
}

/// `[[associations.actions]]`: a command at a time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    /// When, ms.
    pub at_ms: f64,
    /// Whose association.
    pub side: Side,
    /// What.
    pub action: ActionName,
}

/// Overrides of sctp-core's `Config` defaults, applied to both sides.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssociationConfig {
    /// Largest SCTP packet, bytes.
    pub mtu: Option<usize>,
    /// RTO.Initial, ms.
    pub rto_initial_ms: Option<f64>,
    /// RTO.Min, ms.
    pub rto_min_ms: Option<f64>,
    /// RTO.Max, ms.
    pub rto_max_ms: Option<f64>,
    /// Receive buffer (a_rwnd), bytes.
    pub receive_buffer: Option<u32>,
    /// Send buffer, bytes.
    pub send_buffer: Option<usize>,
    /// Delayed SACK, ms.
    pub delayed_ack_ms: Option<f64>,
    /// Largest message, bytes.
    pub max_message_size: Option<usize>,
    /// Association.Max.Retrans.
    pub max_retrans: Option<u32>,
    /// HB.interval, ms (RFC 9260 §8.3); 0 sends no HEARTBEAT.
    pub heartbeat_interval_ms: Option<f64>,
    /// Loss detection: `three-misses` (RFC 9260 §7.2.4, the default) or
    /// `rack` (RACK-TLP, RFC 8985).
    pub loss_detection: Option<String>,
    /// Message interleaving with I-DATA (RFC 8260).
    pub interleaving: Option<bool>,
    /// Stream scheduler: `fcfs`, `round-robin` or `wfq` (RFC 8260 §3).
    pub scheduler: Option<String>,
}

impl AssociationConfig {
    fn apply(&self, field: &str, config: &mut Config) -> Result<(), FieldError> {
        let ms = |name: &str, v: f64| -> Result<Duration, FieldError> {
            Ok(Duration::from_nanos(ms_to_ns(
                &format!("{field}.{name}"),
                v,
            )?))
        };
        if let Some(mtu) = self.mtu {
            check_range(&format!("{field}.mtu"), mtu as f64, 128.0, 65_535.0)?;
            config.mtu = mtu;
        }
        if let Some(v) = self.rto_initial_ms {
            config.rto_initial = ms("rto_initial_ms", v)?;
        }
        if let Some(v) = self.rto_min_ms {
            config.rto_min = ms("rto_min_ms", v)?;
        }
        if let Some(v) = self.rto_max_ms {
            config.rto_max = ms("rto_max_ms", v)?;
        }
        if config.rto_min.is_zero() || config.rto_min > config.rto_max {
            return Err(FieldError::new(
                format!("{field}.rto_min_ms"),
                "must be positive and at most rto_max_ms",
            ));
        }
        if let Some(v) = self.delayed_ack_ms {
            // RFC 9260 §6.2: the delay must not exceed 500 ms.
            check_range(&format!("{field}.delayed_ack_ms"), v, 0.0, 500.0)?;
            config.delayed_ack = ms("delayed_ack_ms", v)?;
        }
        if let Some(v) = self.receive_buffer {
            check_range(
                &format!("{field}.receive_buffer"),
                f64::from(v),
                1500.0,
                1e9,
            )?;
            config.max_receive_buffer = v;
        }
        if let Some(v) = self.send_buffer {
            check_range(&format!("{field}.send_buffer"), v as f64, 1500.0, 1e10)?;
            config.send_buffer_size = v;
        }
        if let Some(v) = self.max_message_size {
            check_range(&format!("{field}.max_message_size"), v as f64, 16.0, 1e9)?;
            config.max_message_size = v;
        }
        if let Some(v) = self.max_retrans {
            config.association_max_retrans = v;
        }
        if let Some(v) = self.heartbeat_interval_ms {
            let interval = ms("heartbeat_interval_ms", v)?;
            config.heartbeat_interval = (!interval.is_zero()).then_some(interval);
        }
        if let Some(v) = &self.loss_detection {
            config.loss_detection = match v.as_str() {
                "three-misses" => LossDetection::ThreeMisses,
                "rack" | "rack-tlp" => LossDetection::RackTlp,
                _ => {
                    return Err(FieldError::new(
                        format!("{field}.loss_detection"),
                        format!("`{v}`: expected three-misses or rack"),
                    ))
                }
            };
        }
        if let Some(v) = self.interleaving {
            config.interleaving = v;
        }
        if let Some(v) = &self.scheduler {
            config.scheduler = match v.as_str() {
                "fcfs" => Scheduler::Fcfs,
                "round-robin" => Scheduler::RoundRobin,
                "wfq" => Scheduler::WeightedFair,
                _ => {
                    return Err(FieldError::new(
                        format!("{field}.scheduler"),
                        format!("`{v}`: expected fcfs, round-robin or wfq"),
                    ))
                }
            };
        }
        Ok(())
    }
}

/// `[[associations]]`: a client and a server over a link, with a workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationSpec {
    /// Name, shown in reports.
    pub name: String,
    /// The link it uses.
    pub link: String,
    /// Congestion controller: `rfc9260`, `bbr` or `fixed[:BYTES]`.
    #[serde(default = "default_cc")]
    pub cc: String,
    /// When the client starts, ms.
    #[serde(default)]
    pub start_ms: f64,
    /// One-way delay of this flow's own access path, ms, on top of the link.
    #[serde(default)]
    pub extra_delay_ms: f64,
    /// sctp-core settings.
    #[serde(default)]
    pub config: AssociationConfig,
    /// What the applications do.
    pub workload: WorkloadSpec,
    /// Scripted shutdowns and aborts.
    #[serde(default)]
    pub actions: Vec<ActionSpec>,
    /// Whether the sender (request/response: the client) shuts down when
    /// its work is done.
    #[serde(default = "yes")]
    pub close_when_done: bool,
}

fn default_cc() -> String {
    "rfc9260".to_owned()
}

impl Scenario {
    /// Parses a scenario; `origin` names it in errors.
    pub fn from_toml(origin: &str, text: &str) -> Result<Self, ScenarioError> {
        toml::from_str(text).map_err(|e| ScenarioError::Parse {
            scenario: origin.to_owned(),
            source: Box::new(e),
        })
    }

    /// Reads and parses a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_owned(),
            source,
        })?;
        Scenario::from_toml(&path.display().to_string(), &text)
    }

    /// Gives every association the controller `cc`.
    pub fn set_cc(&mut self, cc: CcChoice) {
        for a in &mut self.associations {
            a.cc = cc.to_string();
        }
    }

    /// Checks every field and builds the engine's setup.
    pub fn compile(&self) -> Result<SimSetup, ScenarioError> {
        self.compile_fields()
            .map_err(|source| ScenarioError::Invalid {
                scenario: self.name.clone(),
                source,
            })
    }

    fn compile_fields(&self) -> Result<SimSetup, FieldError> {
        let duration = ms_to_ns("duration_ms", self.duration_ms)?;
        if duration == 0 {
            return Err(FieldError::new("duration_ms", "must be positive"));
        }
        let sample_interval = ms_to_ns("sample_interval_ms", self.sample_interval_ms)?;
        if sample_interval < 100_000 {
            return Err(FieldError::new(
                "sample_interval_ms",
                "must be at least 0.1 ms",
            ));
        }
        if self.links.is_empty() {
            return Err(FieldError::new(
                "links",
                "a scenario needs at least one link",
            ));
        }
        if self.associations.is_empty() {
            return Err(FieldError::new(
                "associations",
                "a scenario needs at least one association",
            ));
        }
        let mut links = Vec::with_capacity(self.links.len());
        for (i, l) in self.links.iter().enumerate() {
            if self.links[..i].iter().any(|o| o.name == l.name) {
                return Err(FieldError::new(
                    format!("links[{i}].name"),
                    format!("`{}` is used twice", l.name),
                ));
            }
            let forward = l.forward.compile(&format!("links[{i}].forward"))?;
            let reverse = match &l.reverse {
                Some(r) => r.compile(&format!("links[{i}].reverse"))?,
                None => forward.clone(),
            };
            let mut changes = Vec::new();
            for (j, c) in l.changes.iter().enumerate() {
                let field = format!("links[{i}].changes[{j}]");
                let at = ms_to_ns(&format!("{field}.at_ms"), c.at_ms)?;
                if c.forward.is_none() && c.reverse.is_none() {
                    return Err(FieldError::new(
                        field,
                        "changes neither forward nor reverse",
                    ));
                }
                if let Some(p) = &c.forward {
                    changes.push((at, Side::Client, p.compile(&format!("{field}.forward"))?));
                }
                if let Some(p) = &c.reverse {
                    changes.push((at, Side::Server, p.compile(&format!("{field}.reverse"))?));
                }
            }
            links.push(LinkSetup {
                name: l.name.clone(),
                forward,
                reverse,
                changes,
            });
        }
        let mut flows = Vec::with_capacity(self.associations.len());
        for (i, a) in self.associations.iter().enumerate() {
            let field = format!("associations[{i}]");
            let link = self
                .links
                .iter()
                .position(|l| l.name == a.link)
                .ok_or_else(|| {
                    FieldError::new(
                        format!("{field}.link"),
                        format!("no link is named `{}`", a.link),
                    )
                })?;
            let cc: CcChoice =
                a.cc.parse()
                    .map_err(|e: CcError| FieldError::new(format!("{field}.cc"), e.to_string()))?;
            let mut config = Config::default();
            a.config.apply(&format!("{field}.config"), &mut config)?;
            cc.apply(&mut config, splitmix64(self.seed ^ i as u64));
            a.workload.validate(
                &format!("{field}.workload"),
                config.max_message_size,
                config.outbound_streams.min(config.inbound_streams),
            )?;
            // A message larger than either buffer could never be sent
            // whole (`send` refuses it for ever) or reassembled (sctp-core
            // has no partial delivery): the run could only stall.
            let largest = a.workload.largest_message(config.max_message_size);
            for (name, limit) in [
                ("send_buffer", config.send_buffer_size),
                ("receive_buffer", config.max_receive_buffer as usize),
            ] {
                if largest > limit {
                    return Err(FieldError::new(
                        format!("{field}.config.{name}"),
                        format!(
                            "{limit} bytes cannot hold the workload's largest message of {largest} bytes"
                        ),
                    ));
                }
            }
            let start = ms_to_ns(&format!("{field}.start_ms"), a.start_ms)?;
            let mut actions = Vec::with_capacity(a.actions.len());
            for (j, act) in a.actions.iter().enumerate() {
                let at_field = format!("{field}.actions[{j}].at_ms");
                let at = ms_to_ns(&at_field, act.at_ms)?;
                if at < start {
                    return Err(FieldError::new(
                        at_field,
                        "comes before the association starts (start_ms)",
                    ));
                }
                actions.push(Action {
                    at,
                    side: act.side,
                    kind: match act.action {
                        ActionName::Shutdown => ActionKind::Shutdown,
                        ActionName::Abort => ActionKind::Abort,
                    },
                });
            }
            flows.push(FlowSetup {
                name: a.name.clone(),
                link,
                extra_delay: ms_to_ns(&format!("{field}.extra_delay_ms"), a.extra_delay_ms)?,
                start,
                client: config.clone(),
                server: config,
                cc_name: cc.to_string(),
                workload: a.workload.clone(),
                actions,
                close_when_done: a.close_when_done,
            });
        }
        Ok(SimSetup {
            name: self.name.clone(),
            seed: self.seed,
            duration,
            sample_interval,
            links,
            flows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        name = "t"
        duration_ms = 1000
        [[links]]
        name = "l"
        forward = { bandwidth_mbps = 10, delay_ms = 5 }
        [[associations]]
        name = "a"
        link = "l"
        workload = { kind = "bulk", bytes = 1000 }
    "#;

    fn invalid_field(text: &str) -> String {
        match Scenario::from_toml("test", text).and_then(|s| s.compile()) {
            Err(ScenarioError::Invalid { source, .. }) => source.field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_scenario_compiles_with_defaults() {
        let setup = Scenario::from_toml("t", MINIMAL)
            .and_then(|s| s.compile())
            .expect("valid");
        assert_eq!(setup.seed, 1);
        assert_eq!(setup.duration, 1_000_000_000);
        assert_eq!(setup.links[0].reverse, setup.links[0].forward);
        assert_eq!(setup.links[0].forward.bandwidth_bps, 10_000_000);
        assert_eq!(setup.flows[0].cc_name, "rfc9260");
        assert!(setup.flows[0].close_when_done);
    }

    #[test]
    fn bad_files_name_the_field() {
        assert_eq!(
            invalid_field(&MINIMAL.replace("link = \"l\"", "link = \"nope\"")),
            "associations[0].link"
        );
        assert_eq!(
            invalid_field(&MINIMAL.replace("link = \"l\"", "link = \"l\"\ncc = \"cubic\"")),
            "associations[0].cc"
        );
        assert_eq!(
            invalid_field(&MINIMAL.replace("delay_ms = 5", "delay_ms = -5")),
            "links[0].forward.delay_ms"
        );
        assert_eq!(
            invalid_field(&MINIMAL.replace("bytes = 1000", "bytes = 1000, streams = 0")),
            "associations[0].workload.streams"
        );
        assert_eq!(
            invalid_field(&MINIMAL.replace(
                "bytes = 1000 }",
                "bytes = 100000, message_size = 4000 }\nconfig = { receive_buffer = 3000 }"
            )),
            "associations[0].config.receive_buffer"
        );
        assert_eq!(
            invalid_field(&MINIMAL.replace(
                "link = \"l\"",
                "link = \"l\"\nstart_ms = 100\nactions = [{ at_ms = 50, side = \"client\", action = \"abort\" }]"
            )),
            "associations[0].actions[0].at_ms"
        );
        // Unknown fields and wrong types are refused by the parser, with
        // the field's name in the message.
        let err = Scenario::from_toml("t", &MINIMAL.replace("delay_ms", "dely_ms"))
            .expect_err("unknown field");
        assert!(err.to_string().contains("dely_ms"), "{err}");
        let err = Scenario::from_toml("t", &MINIMAL.replace("bytes = 1000", "bytes = \"x\""))
            .expect_err("wrong type");
        assert!(err.to_string().contains("bytes"), "{err}");
    }

    #[test]
    fn controller_names_parse() {
        assert_eq!("rfc9260".parse(), Ok(CcChoice::Rfc9260));
        assert_eq!("fixed:3000".parse(), Ok(CcChoice::Fixed(3000)));
        assert_eq!("bbr".parse(), Ok(CcChoice::Bbr));
        assert_eq!(CcChoice::Bbr.to_string(), "bbr");
        assert!(matches!(
            "cubic".parse::<CcChoice>(),
            Err(CcError::Unknown(_))
        ));
        assert_eq!(CcChoice::Fixed(3000).to_string(), "fixed:3000");
    }
}

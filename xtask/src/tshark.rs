//! `cargo xtask tshark`: Wireshark's dissector as a second opinion on the
//! sctp-wire encoder.
//!
//! The `pcap` example of sctp-wire writes one packet per chunk kind to
//! `target/tshark/ours.pcap`, and beside it `ours.pcap.chunks`: for each
//! packet, its chunk types and the Length fields of its chunks, parameters
//! and error causes. tshark then dissects the capture, verifying the CRC32c
//! (`-o sctp.checksum:CRC-32C`) and the IPv4 header checksum, and the check
//! fails on any sign of a broken packet ([`BAD_MARKERS`]), on a packet whose
//! checksums tshark did not find good, or on chunk types or lengths that
//! differ from what the example built ([`FIELDS`]).

use crate::util::{self, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Options of `cargo xtask tshark`.
#[derive(clap::Args, Default)]
pub(crate) struct Args {
    /// Check this capture, with its chunk list `FILE.chunks`, instead of
    /// writing target/tshark/ours.pcap with the pcap example.
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
}

/// tshark preferences: verify SCTP's CRC32c and the IPv4 header checksum
/// (both are off by default, which would hide a bad checksum).
const PREFS: [&str; 4] = [
    "-o",
    "sctp.checksum:CRC-32C",
    "-o",
    "ip.check_checksum:TRUE",
];

/// Text in `tshark -V` output that marks a broken packet, and what it means.
const BAD_MARKERS: &[(&str, &str)] = &[
    ("[Malformed Packet", "malformed packet"),
    (
        "Expert Info (Error/",
        "expert info of severity Error (bad checksum, malformed, bad length)",
    ),
    ("Expert Info (Warning/", "expert info of severity Warning"),
    ("[Checksum Status: Bad]", "bad SCTP checksum"),
    ("[Header checksum status: Bad]", "bad IPv4 header checksum"),
    ("incorrect, should be", "incorrect checksum"),
    ("Chunk type: Unknown", "chunk type tshark does not know"),
    (
        "Parameter type: Unknown",
        "parameter type tshark does not know",
    ),
    ("Cause code: Unknown", "error cause tshark does not know"),
];

/// The keys of the `.chunks` file the pcap example writes, and the tshark
/// field each must equal, packet by packet: chunk types, then the Length
/// fields of chunks, parameters and error causes.
const FIELDS: [(&str, &str); 4] = [
    ("types", "sctp.chunk_type"),
    ("lengths", "sctp.chunk_length"),
    ("params", "sctp.parameter_length"),
    ("causes", "sctp.cause_length"),
];

/// What the pcap example built, for one packet.
struct Expected {
    /// The packet's name, from the comment.
    name: String,
    /// The value of each of [`FIELDS`], as a comma-separated list.
    values: [String; FIELDS.len()],
    /// The chunk types, parsed from the `types` value.
    chunk_types: Vec<u8>,
}

fn parse_expected(line: &str) -> std::result::Result<Option<Expected>, String> {
    let (data, name) = line.split_once('#').unwrap_or((line, ""));
    if data.trim().is_empty() {
        return Ok(None);
    }
    let mut values: [Option<String>; FIELDS.len()] = Default::default();
    for word in data.split_whitespace() {
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| format!("`{word}` is not key=value"))?;
        let i = FIELDS
            .iter()
            .position(|(k, _)| *k == key)
            .ok_or_else(|| format!("unknown key `{key}`"))?;
        values[i] = Some(value.to_string());
    }
    let values = values
        .into_iter()
        .zip(FIELDS)
        .map(|(value, (key, _))| value.ok_or_else(|| format!("no `{key}=`")))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let chunk_types = values[0]
        .split(',')
        .map(|t| t.parse::<u8>().map_err(|e| format!("types: `{t}`: {e}")))
        .collect::<std::result::Result<_, _>>()?;
    Ok(Some(Expected {
        name: name.trim().to_string(),
        values: values.try_into().expect("one value per field"),
        chunk_types,
    }))
}

fn read_expected(path: &Path) -> Result<Vec<Expected>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut packets = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(expected) =
            parse_expected(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?
        {
            packets.push(expected);
        }
    }
    Ok(packets)
}

/// One frame of `tshark -V` output.
#[derive(Default)]
struct Frame {
    lines: Vec<String>,
}

impl Frame {
    /// The `(name, number)` of each `Chunk type: NAME (N)` line.
    fn chunk_types(&self) -> Vec<(String, Option<u8>)> {
        self.lines
            .iter()
            .filter_map(|l| l.trim_start().strip_prefix("Chunk type: "))
            .map(|rest| match rest.rsplit_once(" (") {
                Some((name, n)) => (name.to_string(), n.trim_end_matches(')').parse().ok()),
                None => (rest.to_string(), None),
            })
            .collect()
    }

    fn count(&self, text: &str) -> usize {
        self.lines.iter().filter(|l| l.contains(text)).count()
    }
}

/// Splits `tshark -V` output into frames: each starts at a `Frame N:` line.
fn split_frames(text: &str) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    for line in text.lines() {
        if line.starts_with("Frame ") || frames.is_empty() {
            frames.push(Frame::default());
        }
        frames
            .last_mut()
            .expect("pushed above")
            .lines
            .push(line.to_string());
    }
    frames
}

fn tshark(pcap: &Path) -> Command {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(pcap).args(PREFS);
    cmd
}

/// Checks `pcap` against the chunk list beside it; returns the problems found.
fn check(pcap: &Path, expected: &[Expected]) -> Result<Vec<String>> {
    let mut problems = Vec::new();

    // The full dissection: markers of broken packets, checksum verdicts, chunk names.
    let verbose = util::output(tshark(pcap).arg("-V"))?;
    let frames = split_frames(&verbose);
    if frames.len() != expected.len() {
        problems.push(format!(
            "tshark dissected {} frames, the example wrote {} packets",
            frames.len(),
            expected.len()
        ));
    }
    println!("\n  #  chunks as tshark names them             packet");
    for (i, frame) in frames.iter().enumerate() {
        let n = i + 1;
        for line in &frame.lines {
            if let Some((_, meaning)) = BAD_MARKERS.iter().find(|(m, _)| line.contains(m)) {
                problems.push(format!("frame {n}: {meaning}: `{}`", line.trim()));
            }
        }
        if frame.count("[Checksum Status: Good]") != 1 {
            problems.push(format!(
                "frame {n}: tshark did not find its SCTP checksum good"
            ));
        }
        if frame.count("[Header checksum status: Good]") != 1 {
            problems.push(format!(
                "frame {n}: tshark did not find its IPv4 header checksum good"
            ));
        }
        let seen = frame.chunk_types();
        let names: Vec<&str> = seen.iter().map(|(name, _)| name.as_str()).collect();
        let numbers: Vec<Option<u8>> = seen.iter().map(|(_, number)| *number).collect();
        let Some(want) = expected.get(i) else {
            continue;
        };
        println!("{n:>3}  {:<40} {}", names.join(", "), want.name);
        let want_numbers: Vec<Option<u8>> = want.chunk_types.iter().copied().map(Some).collect();
        if numbers != want_numbers {
            problems.push(format!(
                "frame {n} ({}): tshark sees chunk types {numbers:?}, the example built {:?}",
                want.name, want.chunk_types
            ));
        }
    }

    // The same verdicts as fields, which do not depend on the text layout,
    // and the Length fields of every chunk, parameter and error cause.
    let mut cmd = tshark(pcap);
    cmd.args(["-T", "fields", "-E", "separator=/t", "-e", "frame.number"]);
    for (_, field) in FIELDS {
        cmd.args(["-e", field]);
    }
    cmd.args(["-e", "sctp.checksum.status"]);
    let fields = util::output(&mut cmd)?;
    let rows: Vec<&str> = fields.lines().filter(|l| !l.trim().is_empty()).collect();
    if rows.len() != expected.len() {
        problems.push(format!(
            "tshark listed {} packets as fields, the example wrote {}",
            rows.len(),
            expected.len()
        ));
    }
    for (row, want) in rows.iter().zip(expected) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() != FIELDS.len() + 2 {
            problems.push(format!("unexpected tshark fields row `{row}`"));
            continue;
        }
        let frame = cols[0];
        for ((key, field), (got, want_value)) in
            FIELDS.iter().zip(cols[1..].iter().zip(&want.values))
        {
            if got != want_value {
                problems.push(format!(
                    "frame {frame} ({}): {field} is `{got}`, the example's {key} are `{want_value}`",
                    want.name
                ));
            }
        }
        // 1 = Good; 0 = Bad, 2 = Unverified (the preference did not apply).
        let status = cols[FIELDS.len() + 1];
        if status != "1" {
            problems.push(format!(
                "frame {frame} ({}): sctp.checksum.status is `{status}`, expected 1 (good)",
                want.name
            ));
        }
    }
    Ok(problems)
}

pub(crate) fn run(args: &Args) -> Result {
    if !util::succeeds(Command::new("tshark").arg("--version")) {
        return Err(
            "tshark is not installed: `cargo xtask ci` installs it, or `apt-get install tshark`"
                .into(),
        );
    }
    let pcap = match &args.pcap {
        Some(pcap) => pcap.clone(),
        None => {
            let dir = util::target_dir().join("tshark");
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let pcap = dir.join("ours.pcap");
            util::run(util::wire_example("pcap").arg(&pcap))?;
            pcap
        }
    };
    let mut sidecar = pcap.clone().into_os_string();
    sidecar.push(".chunks");
    let expected = read_expected(Path::new(&sidecar))?;
    if expected.is_empty() {
        return Err(format!("{}: lists no packet", Path::new(&sidecar).display()).into());
    }
    let problems = check(&pcap, &expected)?;
    if problems.is_empty() {
        let chunks: usize = expected.iter().map(|e| e.chunk_types.len()).sum();
        println!(
            "\ntshark: {} packets, {chunks} chunks, all dissected cleanly with good checksums",
            expected.len()
        );
        return Ok(());
    }
    let mut report = format!(
        "tshark found {} problem(s) in {}:",
        problems.len(),
        pcap.display()
    );
    for problem in &problems {
        let _ = write!(report, "\n  - {problem}");
    }
    let _ = write!(
        report,
        "\n(see `tshark -r {} {} -V`)",
        pcap.display(),
        PREFS.join(" ")
    );
    Err(report.into())
}

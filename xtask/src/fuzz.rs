//! `cargo xtask fuzz wire --seconds N`: runs the cargo-fuzz target on
//! sctp-wire's packet decoding, seeded with the golden captures.
//!
//! cargo-fuzz needs nightly flags; the stable toolchain accepts them with
//! `RUSTC_BOOTSTRAP=1`. The corpus the fuzzer grows stays in
//! `sctp-wire/fuzz/corpus/` (ignored by git) from one run to the next.

use crate::util::{self, Result};
use std::fs;
use std::path::Path;

/// The cargo-fuzz release installed when it is missing.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// What to fuzz.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Target {
    /// sctp-wire packet decoding and re-encoding (fuzz target `packet`).
    Wire,
}

/// Arguments of `cargo xtask fuzz`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The fuzz target.
    #[arg(value_enum)]
    pub(crate) target: Target,
    /// How long to fuzz, in seconds.
    #[arg(long, default_value_t = 60)]
    pub(crate) seconds: u64,
}

pub(crate) fn run(args: &Args) -> Result {
    let Target::Wire = args.target;
    ensure_cargo_fuzz()?;
    let fuzz_dir = util::root().join("sctp-wire/fuzz");
    let corpus = fuzz_dir.join("corpus/packet");
    let seeds = seed_corpus(&util::root().join("sctp-wire/tests/golden"), &corpus)?;
    println!("fuzz: {seeds} seed packets from the golden captures");
    util::run(
        util::cargo()
            .current_dir(&fuzz_dir)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", "packet", "corpus/packet", "--"])
            .arg(format!("-max_total_time={}", args.seconds))
            .arg("-print_final_stats=1"),
    )
}

fn ensure_cargo_fuzz() -> Result {
    if util::succeeds(util::cargo().args(["fuzz", "--version"])) {
        return Ok(());
    }
    println!("cargo-fuzz: missing, installing it");
    util::run(util::cargo().args([
        "install",
        "cargo-fuzz",
        "--locked",
        "--version",
        CARGO_FUZZ_VERSION,
    ]))
}

/// Writes every packet of the golden `.hex` files into `corpus` as one file
/// each, named by content; returns how many there were.
fn seed_corpus(golden: &Path, corpus: &Path) -> Result<usize> {
    fs::create_dir_all(corpus)?;
    let mut count = 0;
    for entry in fs::read_dir(golden)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "hex") {
            continue;
        }
        for line in fs::read_to_string(&path)?.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let packet = from_hex(line).ok_or_else(|| format!("bad hex in {}", path.display()))?;
            fs::write(
                corpus.join(format!("golden-{:016x}", fnv1a(&packet))),
                &packet,
            )?;
            count += 1;
        }
    }
    Ok(count)
}

fn from_hex(line: &str) -> Option<Vec<u8>> {
    if !line.len().is_multiple_of(2) {
        return None;
    }
    (0..line.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(line.get(i..i + 2)?, 16).ok())
        .collect()
}

/// FNV-1a, to name seed files by their content.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

//! `cargo xtask demo`: the project's main job for now. Runs the `decode`
//! example of sctp-wire over the golden captures (`sctp-wire/tests/golden/*.hex`,
//! if any) and over the packets the example builds itself.

use crate::util::{self, Result};
use std::path::PathBuf;

/// The golden capture files, sorted; none if the folder is missing.
fn golden_files() -> Result<Vec<PathBuf>> {
    let dir = util::root().join("sctp-wire/tests/golden");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display()).into()),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "hex") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

pub(crate) fn run() -> Result {
    let files = golden_files()?;
    if files.is_empty() {
        println!(
            "demo: no golden captures in sctp-wire/tests/golden/*.hex yet; built-in packets only"
        );
    } else {
        println!(
            "demo: {} golden capture file(s) and the built-in packets",
            files.len()
        );
    }
    let relative: Vec<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(util::root()).unwrap_or(f).to_path_buf())
        .collect();
    util::run(
        util::wire_example("decode")
            .args(["--verbose", "--builtin"])
            .args(relative),
    )
}

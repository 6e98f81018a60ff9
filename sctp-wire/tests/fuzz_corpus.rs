//! Runs the body of the `packet` fuzz target over the golden captures (the
//! fuzzer's seed corpus) and every truncation of them, so every CI run
//! exercises it even without cargo-fuzz (`cargo xtask fuzz wire` runs the
//! real fuzzer).

#[allow(unreachable_pub)]
#[path = "../fuzz/src/exercise.rs"]
mod exercise;

use std::fs;
use std::path::Path;

fn hex_packets(path: &Path) -> Vec<Vec<u8>> {
    let text = fs::read_to_string(path).expect("readable golden file");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            (0..l.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&l[i..i + 2], 16).expect("hex"))
                .collect()
        })
        .collect()
}

#[test]
fn the_fuzz_target_accepts_the_golden_captures_and_their_truncations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for entry in fs::read_dir(root.join("tests/golden")).expect("golden captures present") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "hex") {
            inputs.extend(hex_packets(&path));
        }
    }
    assert!(inputs.len() >= 50, "only {} inputs", inputs.len());
    for input in &inputs {
        exercise::exercise(input);
        // Every truncation too: the decoder meets partial packets.
        for cut in 0..input.len().min(64) {
            exercise::exercise(&input[..cut]);
        }
    }
}

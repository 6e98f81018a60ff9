//! The `sctp-sim` binary: its exit status tells a broken invariant (1)
//! from a bad scenario file (2), and its messages name what failed.

use std::path::PathBuf;
use std::process::{Command, Output};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sctp-sim-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sctp-sim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

const SHORT: &str = r#"
name = "too-short"
duration_ms = 300
[[links]]
name = "l"
forward = { bandwidth_mbps = 1, delay_ms = 5 }
[[associations]]
name = "bulk"
link = "l"
workload = { kind = "bulk", bytes = 1000000 }
"#;

#[test]
fn list_names_every_builtin() {
    let out = sim(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for (name, _) in sctp_sim::suite::BUILTINS {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
}

#[test]
fn a_run_writes_its_report_and_a_violation_exits_with_1() {
    let dir = temp_dir("violation");
    let file = dir.join("short.toml");
    std::fs::write(&file, SHORT).expect("written");
    let out_dir = dir.join("out");
    let out = sim(&[
        "run",
        file.to_str().expect("utf-8 path"),
        "--out",
        out_dir.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("flow `bulk`") && err.contains("never delivered"),
        "{err}"
    );
    assert!(out_dir.join("summary.txt").is_file());
    assert!(out_dir.join("too-short-bulk.svg").is_file());
    assert!(out_dir.join("too-short.csv").is_file());
    std::fs::remove_dir_all(&dir).expect("cleaned");
}

#[test]
fn a_bad_field_or_controller_exits_with_2_and_says_why() {
    let dir = temp_dir("bad");
    let file = dir.join("bad.toml");
    std::fs::write(&file, SHORT.replace("delay_ms = 5", "delay_ms = -5")).expect("written");
    let out = sim(&["run", file.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("links[0].forward.delay_ms"), "{err}");
    let out = sim(&["run", "clean-lan", "--cc", "cubic"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cubic") && err.contains("rfc9260, bbr"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).expect("cleaned");
}

//! `cargo xtask ci`: every check CI runs, in order, failing fast.
//! `.ci/run` calls it on a fresh Debian machine, as root.

use crate::util::{self, Result};
use std::process::Command;
use std::time::{Duration, Instant};

/// One CI step: a name for the banner and the timing table, and its work.
struct Step {
    name: &'static str,
    run: fn() -> Result,
}

/// The steps, in order. Add a step by adding a line here.
const STEPS: &[Step] = &[
    Step {
        name: "setup",
        run: setup,
    },
    Step {
        name: "fmt",
        run: fmt,
    },
    Step {
        name: "clippy",
        run: clippy,
    },
    Step {
        name: "test",
        run: test,
    },
    Step {
        name: "interop",
        run: interop,
    },
    Step {
        name: "perf-soak-smoke",
        run: perf_soak_smoke,
    },
    Step {
        name: "instructions",
        run: instructions,
    },
    Step {
        name: "idle-10k",
        run: idle_10k,
    },
    Step {
        name: "doc",
        run: doc,
    },
    Step {
        name: "tshark",
        run: tshark,
    },
    Step {
        name: "fuzz-smoke",
        run: fuzz_smoke,
    },
];

pub(crate) fn run() -> Result {
    let started = Instant::now();
    let mut timings: Vec<(&str, Duration)> = Vec::new();
    for (i, step) in STEPS.iter().enumerate() {
        util::banner(&format!("ci step {}/{}: {}", i + 1, STEPS.len(), step.name));
        let t = Instant::now();
        let result = (step.run)();
        timings.push((step.name, t.elapsed()));
        if let Err(e) = result {
            print_timings(&timings, started.elapsed());
            return Err(format!("ci step `{}` failed: {e}", step.name).into());
        }
    }
    print_timings(&timings, started.elapsed());
    println!("ci: all {} steps passed", STEPS.len());
    Ok(())
}

fn print_timings(timings: &[(&str, Duration)], total: Duration) {
    util::banner("ci timings");
    for (name, elapsed) in timings {
        println!("{:>8.1}s  {name}", elapsed.as_secs_f64());
    }
    println!("{:>8.1}s  total", total.as_secs_f64());
}

/// Installs what CI needs on a fresh Debian machine (tshark with apt-get,
/// rustfmt and clippy with rustup); does nothing when it is there already.
fn setup() -> Result {
    ensure_tshark()?;
    ensure_rustup_component(&["fmt", "--version"], "rustfmt")?;
    ensure_rustup_component(&["clippy", "--version"], "clippy")?;
    Ok(())
}

fn ensure_tshark() -> Result {
    if util::succeeds(Command::new("tshark").arg("--version")) {
        println!("tshark: already installed");
        return Ok(());
    }
    println!("tshark: missing, installing it with apt-get");
    // Answer the question wireshark-common asks (may non-root users
    // capture?) before it is asked, so the install never waits for input.
    let mut debconf = util::privileged("debconf-set-selections")?;
    debconf.stdin(std::process::Stdio::piped());
    println!(
        "$ {} <<< 'wireshark-common wireshark-common/install-setuid boolean false'",
        util::display(&debconf)
    );
    let mut child = debconf
        .spawn()
        .map_err(|e| format!("cannot start debconf-set-selections: {e}"))?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped");
        stdin.write_all(b"wireshark-common wireshark-common/install-setuid boolean false\n")?;
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("debconf-set-selections failed ({status})").into());
    }
    util::apt_install(&["tshark"])?;
    if !util::succeeds(Command::new("tshark").arg("--version")) {
        return Err("tshark still does not run after apt-get install".into());
    }
    Ok(())
}

fn ensure_rustup_component(cargo_args: &[&str], component: &str) -> Result {
    if util::succeeds(util::cargo().args(cargo_args)) {
        println!("{component}: already installed");
        return Ok(());
    }
    util::run(Command::new("rustup").args(["component", "add", component]))
}

fn fmt() -> Result {
    util::run(util::cargo().args(["fmt", "--all", "--check"]))
}

fn clippy() -> Result {
    util::run(util::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn test() -> Result {
    util::run(util::cargo().args(["test", "--workspace"]))
}

/// sctp-perf against pion/sctp and usrsctp (installs them when missing).
fn interop() -> Result {
    crate::interop::run(None)
}

/// Concurrent sctp-perf clients echoing through one server, every byte
/// checked; `cargo xtask soak --only perf` runs it at full size.
fn perf_soak_smoke() -> Result {
    crate::soak::perf_smoke()
}

/// The per-packet cost of the pair and engine benches' work, counted by
/// callgrind, under the ceilings of `cargo xtask bench instructions`
/// (issue 4's and 5's throughput, guarded where seconds cannot be).
fn instructions() -> Result {
    crate::bench::instructions(true)
}

/// 10 000 idle associations on one endpoint in under 100 MiB of RSS
/// (issue 6), with the example the test step built.
fn idle_10k() -> Result {
    util::run(util::cargo().args(["build", "-p", "sctp-tokio", "--example", "idle_endpoint"]))?;
    crate::bench::idle_endpoint(&util::target_dir().join("debug/examples/idle_endpoint"))
}

/// Rustdoc with warnings denied: broken intra-doc links fail CI.
fn doc() -> Result {
    util::run(util::cargo().env("RUSTDOCFLAGS", "-D warnings").args([
        "doc",
        "--workspace",
        "--no-deps",
    ]))
}

fn tshark() -> Result {
    crate::tshark::run(&crate::tshark::Args::default())
}

/// A short cargo-fuzz run of the packet decoder, so the fuzz target keeps
/// building and its seed corpus keeps passing; `cargo xtask fuzz wire
/// --seconds N` runs it for longer.
fn fuzz_smoke() -> Result {
    crate::fuzz::run(&crate::fuzz::Args {
        target: crate::fuzz::Target::Wire,
        seconds: 30,
    })
}

//! Helpers shared by the subcommands: paths, running commands, banners.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The error of a subcommand: a message for people.
pub(crate) type Error = Box<dyn std::error::Error>;
/// The result of a subcommand step.
pub(crate) type Result<T = ()> = std::result::Result<T, Error>;

/// The workspace root (the parent of `xtask/`).
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR`.
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// A `cargo` command (the one running us, if known) in the workspace root.
pub(crate) fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root());
    cmd
}

/// `cargo run` of one of sctp-wire's examples; the caller adds its arguments.
pub(crate) fn wire_example(name: &str) -> Command {
    let mut cmd = cargo();
    cmd.args(["run", "--quiet", "-p", "sctp-wire", "--example", name, "--"]);
    cmd
}

/// The command line of `cmd`, for messages.
pub(crate) fn display(cmd: &Command) -> String {
    let mut words: Vec<String> = cmd
        .get_envs()
        .filter_map(|(key, value)| Some(format!("{}={}", key.to_string_lossy(), quote(value?))))
        .collect();
    words.push(cmd.get_program().to_string_lossy().into_owned());
    words.extend(cmd.get_args().map(quote));
    words.join(" ")
}

fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Runs `cmd` with inherited output; fails unless it exits with 0.
pub(crate) fn run(cmd: &mut Command) -> Result {
    println!("$ {}", display(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", display(cmd)))?;
    if !status.success() {
        return Err(format!("`{}` failed ({status})", display(cmd)).into());
    }
    Ok(())
}

/// Runs `cmd` and returns its standard output; fails unless it exits with
/// 0, showing its standard error.
pub(crate) fn output(cmd: &mut Command) -> Result<String> {
    println!("$ {}", display(cmd));
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start `{}`: {e}", display(cmd)))?;
    if !out.status.success() {
        return Err(format!(
            "`{}` failed ({}):\n{}",
            display(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `cmd` can be started and exits with 0; its output is discarded.
pub(crate) fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Prints a banner that stands out in a long CI log.
pub(crate) fn banner(title: &str) {
    let line = "=".repeat(72);
    println!("\n{line}\n== {title}\n{line}");
}

/// `program` run as root: directly when we are root, else through sudo.
pub(crate) fn privileged(program: &str) -> Result<Command> {
    if output(Command::new("id").arg("-u"))?.trim() == "0" {
        Ok(Command::new(program))
    } else {
        let mut cmd = Command::new("sudo");
        cmd.arg(program);
        Ok(cmd)
    }
}

/// Installs Debian `packages` with apt-get, after refreshing the package
/// lists, without asking questions.
pub(crate) fn apt_install(packages: &[&str]) -> Result {
    run(privileged("apt-get")?.arg("update"))?;
    run(privileged("apt-get")?
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y"])
        .args(packages))
}

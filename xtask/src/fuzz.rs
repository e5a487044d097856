//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs each cargo-fuzz target for a set time.
//!
//! Targets live in `fuzz/` (outside the workspace; nightly toolchain, `cargo install
//! cargo-fuzz`); their corpora in `fuzz/corpus/<target>` are kept in the repository and grow
//! with every run. Prints the executions and crashes per target; a crash fails the task and
//! leaves its input under `fuzz/artifacts/`, to be turned into a regression test.

use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::cmd::{self, root};

/// Every target, in `fuzz/fuzz_targets/`.
const TARGETS: &[&str] = &["sse_decoder", "provider_stream", "chat_request", "markdown"];

pub(crate) fn run(flags: &[&str]) -> anyhow::Result<()> {
    let mut seconds = 180u64;
    let mut targets: Vec<&str> = Vec::new();
    let mut args = flags.iter();
    while let Some(arg) = args.next() {
        match *arg {
            "--seconds" => seconds = args.next().context("--seconds needs a number")?.parse()?,
            target if TARGETS.contains(&target) => targets.push(target),
            other => bail!("unknown fuzz argument {other:?}; targets: {TARGETS:?}"),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    if cmd::output(Command::new("cargo").args(["+nightly", "fuzz", "--version"])).is_none() {
        bail!(
            "cargo-fuzz on the nightly toolchain is required:\n    rustup toolchain install nightly\n    cargo install cargo-fuzz"
        );
    }
    let mut report = Vec::new();
    for target in targets {
        eprintln!("fuzz: {target} for {seconds} s");
        let corpus = root().join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        let out = Command::new("cargo")
            .current_dir(root().join("fuzz"))
            .args(["+nightly", "fuzz", "run", target])
            .arg(&corpus)
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-print_final_stats=1",
                "-max_len=8192",
            ])
            .stdout(Stdio::inherit())
            .output()
            .with_context(|| format!("running fuzz target {target}"))?;
        let log = String::from_utf8_lossy(&out.stderr);
        let executions = log
            .lines()
            .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
            .map(|n| n.trim().to_owned())
            .unwrap_or_else(|| "?".to_owned());
        let crashed = !out.status.success();
        if crashed {
            eprintln!("{log}");
        }
        report.push((target, executions, crashed));
    }
    println!("\n| target | executions | crashes |\n|---|---|---|");
    for (target, executions, crashed) in &report {
        println!("| {target} | {executions} | {} |", u8::from(*crashed));
    }
    if report.iter().any(|(_, _, crashed)| *crashed) {
        bail!("a fuzz target crashed: see fuzz/artifacts/");
    }
    Ok(())
}

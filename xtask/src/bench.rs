//! `cargo xtask bench [--quick] [--only SUITE,...]`: builds what the benchmarks need, then runs
//! `pchat-bench` (the `bench/` crate), which prints a table and writes
//! `target/bench/results.json`.
//!
//! Like `test`, it finds or installs the runtime, checks for Chromium, and builds the
//! artifacts (`dist`); the load generator and northwind-mcp are built with the `measure`
//! profile (optimised, quick to link), so the figures are those of optimised binaries, and the
//! relay floor (`bench/relay-floor`) for the streams suite. Flags
//! go through to `pchat-bench` unchanged. After a full run (no flags) the figures become
//! `bench/results.json` and README's Performance tables (`perf_readme`).

use std::process::Command;

use crate::cmd;
use crate::{dist, perf_readme, tools};

pub(crate) fn run(flags: &[&str]) -> anyhow::Result<()> {
    if flags == ["--readme"] {
        return perf_readme::regenerate();
    }
    let wasmtime = tools::wasmtime()?;
    let (chromium, chromedriver) = tools::chromium()?;
    let dist = dist::run()?;
    cmd::run(cmd::cargo().args([
        "build",
        "--profile",
        "measure",
        "-p",
        "bench",
        "-p",
        "northwind-mcp",
    ]))?;
    // The relay floor: what the runtime alone costs per relayed event (bench/relay-floor).
    let floor = dist::build_component("relay-floor")?;
    let bin = dist::target_dir().join("measure");
    let results = dist::target_dir().join("bench/results.json");
    cmd::run(
        Command::new(bin.join("pchat-bench"))
            .arg("--out")
            .arg(&results)
            .args(flags)
            .env("PCHAT_DIST", &dist.dir)
            .env("PCHAT_EDGE_WASM", &dist.edge_wasm)
            .env("PCHAT_RELAY_FLOOR_WASM", &floor)
            .env("PCHAT_NORTHWIND_BIN", bin.join("northwind-mcp"))
            .env("WASMTIME", &wasmtime)
            .env("CHROMIUM", &chromium)
            .env("CHROMEDRIVER", &chromedriver),
    )?;
    if flags.is_empty() {
        perf_readme::update(&results)?;
    } else {
        eprintln!("bench: a partial run; README's Performance figures are left as they are");
    }
    Ok(())
}

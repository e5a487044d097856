//! `cargo xtask bench [--quick] [--only SUITE,...]`: builds what the benchmarks need, then runs
//! `pchat-bench` (the `bench/` crate), which prints a table and writes
//! `target/bench/results.json`.
//!
//! Like `test`, it finds or installs the runtime, checks for Chromium, and builds the
//! artifacts (`dist`); the load generator and northwind-mcp are built with the `measure`
//! profile (optimised, quick to link), so the figures are those of optimised binaries. Flags
//! go through to `pchat-bench` unchanged.

use std::process::Command;

use crate::cmd;
use crate::{dist, tools};

pub(crate) fn run(flags: &[&str]) -> anyhow::Result<()> {
    let wasmtime = tools::wasmtime(true)?;
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
    let bin = dist::target_dir().join("measure");
    cmd::run(
        Command::new(bin.join("pchat-bench"))
            .args(flags)
            .env("PCHAT_DIST", &dist.dir)
            .env("PCHAT_EDGE_WASM", &dist.edge_wasm)
            .env("PCHAT_NORTHWIND_BIN", bin.join("northwind-mcp"))
            .env("WASMTIME", &wasmtime)
            .env("CHROMIUM", &chromium)
            .env("CHROMEDRIVER", &chromedriver),
    )
}

//! `cargo xtask test`: every check and test, in the order that fails fastest.
//!
//! 0. installs what is missing (see `tools`): the wasm targets, clippy and rustfmt,
//!    wasm-bindgen-cli, wasmtime, Chromium and ChromeDriver, wac;
//! 1. `cargo fmt --check`; clippy for the host, for the edge on `wasm32-wasip2` and for the
//!    widget on `wasm32-unknown-unknown`, all with `-D warnings`;
//! 2. `cargo xtask dist` (which must keep the widget bundle within its gzipped budget) and the
//!    host binaries (northwind-mcp, the testkit fakes);
//! 3. native tests of every host crate, including the edge's modules, the doctests, the
//!    tests of the fakes (testkit/tests), the system tests: the component under `wasmtime
//!    serve` and the end-to-end tests in headless Chromium (system-tests/tests, with axe-core
//!    for the accessibility audit); the widget's pure modules (markdown, state, ...) natively;
//! 4. the black-box edge suites again, against the Spin artifact composed with the variables
//!    adapter (`dist::compose_spin`): what `spin.toml` runs; and [`PRECOMPILED_SUITES`]
//!    against the precompiled edge (`target/dist/edge.cwasm`, `--allow-precompiled`): what
//!    `cargo xtask demo` runs;
//! 5. the widget's tests in headless Chromium (wasm-bindgen-test).

use anyhow::Context;
use std::path::Path;
use std::process::Command;

use crate::cmd::{self, root};
use crate::{dist, precompile, tools};

/// The system-test modules that test the edge as a black box: run once more against the
/// composed Spin artifact.
const SPIN_SUITES: &[&str] = &[
    "edge::",
    "edge_api::",
    "edge_input::",
    "tool_mode::",
    "tool_bounds::",
    "approvals::",
    "chaos::",
    "e2e_edge_mode::",
];

/// The black-box edge suites run once more against the precompiled edge.
const PRECOMPILED_SUITES: &[&str] = &["edge::", "edge_api::", "edge_input::"];

pub(crate) fn run(_flags: &[&str]) -> anyhow::Result<()> {
    // Every tool first, so that a missing one is installed (or named) before any build.
    tools::rust_targets()?;
    tools::rust_components()?;
    tools::wasm_bindgen()?;
    let wasmtime = tools::wasmtime()?;
    let (chromium, chromedriver) = tools::chromium()?;
    let axe = tools::axe_core()?;
    let mcp_everything = tools::mcp_everything()?;
    let mcp_python = tools::mcp_python()?;
    tools::npm()?;
    tools::wac()?;

    cmd::run(cmd::cargo().args(["fmt", "--all", "--", "--check"]))?;
    clippy(&["--workspace", "--exclude", "widget", "--all-targets"])?;
    clippy(&[
        "-p",
        "edge",
        "-p",
        "relay-floor",
        "--target",
        "wasm32-wasip2",
        "--all-targets",
    ])?;
    clippy(&[
        "-p",
        "edge",
        "--target",
        "wasm32-wasip2",
        "--features",
        "spin",
    ])?;
    clippy(&[
        "-p",
        "spin-variables-adapter",
        "--target",
        "wasm32-wasip2",
        "--all-targets",
    ])?;
    clippy(&[
        "-p",
        "widget",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
    ])?;

    let dist = dist::run()?;
    anyhow::ensure!(
        dist.widget_gz <= dist::WIDGET_BUDGET_GZ,
        "the widget bundle is {} bytes gzipped, over its budget of {} bytes",
        dist.widget_gz,
        dist::WIDGET_BUDGET_GZ
    );
    let composed = dist::compose_spin(&dist)?;
    cmd::run(cmd::cargo().args(["build", "-p", "northwind-mcp", "-p", "testkit", "--bins"]))?;

    let with_artifacts = |command: &mut Command, edge_wasm: &Path| {
        command
            .env("PCHAT_DIST", &dist.dir)
            .env("PCHAT_EDGE_WASM", edge_wasm)
            .env(
                "PCHAT_NORTHWIND_BIN",
                dist::target_dir().join("debug/northwind-mcp"),
            )
            .env("WASMTIME", &wasmtime)
            .env("CHROMIUM", &chromium)
            .env("CHROMEDRIVER", &chromedriver)
            .env("PCHAT_AXE", &axe)
            .env("PCHAT_MCP_EVERYTHING", &mcp_everything)
            .env("PCHAT_MCP_PYTHON", &mcp_python);
    };
    let mut all = cmd::cargo();
    all.args(["test", "--workspace", "--exclude", "widget"]);
    with_artifacts(&mut all, &dist.edge_wasm);
    cmd::run(&mut all)?;
    eprintln!(
        "xtask test: the edge suites again, against {}",
        composed.display()
    );
    let mut spin = cmd::cargo();
    spin.args(["test", "-p", "system-tests", "--test", "main", "--"])
        .args(SPIN_SUITES);
    with_artifacts(&mut spin, &composed);
    cmd::run(&mut spin)?;
    let cwasm = dist.dir.join(precompile::CWASM);
    eprintln!(
        "xtask test: the edge suites again, against {}",
        cwasm.display()
    );
    let mut precompiled = cmd::cargo();
    precompiled
        .args(["test", "-p", "system-tests", "--test", "main", "--"])
        .args(PRECOMPILED_SUITES);
    with_artifacts(&mut precompiled, &cwasm);
    cmd::run(&mut precompiled)?;
    // The widget's pure modules (markdown, state, storage cap, JSON pretty-printer) natively.
    cmd::run(cmd::cargo().args(["test", "-p", "widget", "--lib"]))?;
    widget_browser_tests(&chromedriver)?;
    let screenshots = dist::target_dir().join("screenshots");
    if let Ok(entries) = std::fs::read_dir(&screenshots) {
        let mut shots: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        shots.sort();
        for shot in shots {
            eprintln!("xtask test: screenshot {}", shot.display());
        }
    }
    eprintln!("xtask test: all checks and tests passed");
    Ok(())
}

/// What `wasm-bindgen-test-runner` says when the browser never ran a test binary: the test
/// page never finished loading, so no test ran at all, let alone failed. Chromedriver's log
/// shows the navigation never reaching `DOMContentLoaded`: the page's module graph (the
/// runner's script, the bindings, each `inline_js` snippet as a module of its own) never
/// finished loading from the runner's server. It began when the MCP Apps bridge brought a second
/// snippet module and hung about half of the starts (8 of 13 measured); with the widget's JS
/// in one module again (`widget/src/snippet.rs`) 21 of 21 starts ran. The restart stays as the
/// safety net for a hang that is the runner's, not the widget's.
const BROWSER_NEVER_RAN: &str = "Failed to detect test as having been run";
/// How many more times the widget's browser tests start after [`BROWSER_NEVER_RAN`].
const BROWSER_RETRIES: usize = 4;

/// The widget's tests in headless Chromium. A run in which the browser never ran the tests
/// ([`BROWSER_NEVER_RAN`]) is started again, at most [`BROWSER_RETRIES`] times; any failing
/// test fails at once.
fn widget_browser_tests(chromedriver: &Path) -> anyhow::Result<()> {
    for attempt in 0..=BROWSER_RETRIES {
        let mut command = cmd::cargo();
        command
            .args(["test", "--target", "wasm32-unknown-unknown", "-p", "widget"])
            .env("CHROMEDRIVER", chromedriver)
            // The runner's default 20 s per binary turns several slow failures into one opaque
            // one; the suite takes about 10 s, and a start that never runs it is seen in 60.
            .env("WASM_BINDGEN_TEST_TIMEOUT", "60")
            .current_dir(root());
        eprintln!("$ cargo test --target wasm32-unknown-unknown -p widget");
        let out = command
            .output()
            .context("failed to start the widget's browser tests")?;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        print!("{stdout}");
        eprint!("{stderr}");
        if out.status.success() {
            return Ok(());
        }
        let never_ran = stdout.contains(BROWSER_NEVER_RAN) || stderr.contains(BROWSER_NEVER_RAN);
        if !never_ran || attempt == BROWSER_RETRIES {
            anyhow::bail!("the widget's browser tests failed with {}", out.status);
        }
        eprintln!(
            "xtask test: Chromium never ran the widget's tests (its tab did not come up); \
             starting them again ({} of {BROWSER_RETRIES})",
            attempt + 1
        );
    }
    Ok(())
}

/// `cargo clippy <args> -- -D warnings`.
fn clippy(args: &[&str]) -> anyhow::Result<()> {
    cmd::run(
        cmd::cargo()
            .arg("clippy")
            .args(args)
            .args(["--", "-D", "warnings"]),
    )
}

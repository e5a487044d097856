//! `cargo xtask dist`: builds the deployable artifacts into `target/dist` (emptied first).
//!
//! - `target/dist/widget/`: `pomerium-chat.js` (the loader), `widget.js` and `widget_bg.wasm`;
//! - `target/dist/site/`: the demo intranet page;
//! - `target/dist/edge.wasm`: the edge component reading its configuration from the environment
//!   (for `wasmtime serve`);
//! - `target/dist/edge-spin.wasm`: the same, reading Spin variables (for `spin up`, `spin.toml`).
//!
//! The edge serves `site/` and `widget/` from the directory mounted at its static root.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::cmd::{self, root};
use crate::tools;

/// Where the artifacts are.
pub(crate) struct Dist {
    /// `target/dist`: mount it as the edge's static root.
    pub(crate) dir: PathBuf,
    /// The edge component.
    pub(crate) edge_wasm: PathBuf,
}

/// The cargo target directory.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

pub(crate) fn run() -> anyhow::Result<Dist> {
    tools::require_wasm_bindgen()?;
    let target = target_dir();
    let dir = target.join("dist");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;

    cmd::run(cmd::cargo().args([
        "build",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "widget",
        "-p",
        "widget",
    ]))?;
    cmd::run(
        Command::new("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--remove-name-section",
                "--remove-producers-section",
                "--out-dir",
            ])
            .arg(dir.join("widget"))
            .arg(target.join("wasm32-unknown-unknown/widget/widget.wasm")),
    )?;
    std::fs::copy(
        root().join("widget/js/pomerium-chat.js"),
        dir.join("widget/pomerium-chat.js"),
    )
    .context("copying the widget loader")?;
    copy_dir(&root().join("demo-site"), &dir.join("site"))?;

    // Two builds of the edge: configuration from the environment (wasmtime serve) and from
    // Spin variables (spin up). The second has its own target directory so that neither
    // rebuild undoes the other.
    let edge_build = [
        "build",
        "--target",
        "wasm32-wasip2",
        "--release",
        "-p",
        "edge",
    ];
    cmd::run(cmd::cargo().args(edge_build))?;
    let edge_wasm = dir.join("edge.wasm");
    std::fs::copy(target.join("wasm32-wasip2/release/edge.wasm"), &edge_wasm)
        .context("copying the edge component")?;
    let spin_target = target.join("edge-spin");
    cmd::run(
        cmd::cargo()
            .args(edge_build)
            .args(["--features", "spin", "--target-dir"])
            .arg(&spin_target),
    )?;
    std::fs::copy(
        spin_target.join("wasm32-wasip2/release/edge.wasm"),
        dir.join("edge-spin.wasm"),
    )
    .context("copying the Spin edge component")?;

    for file in [
        "widget/widget_bg.wasm",
        "widget/widget.js",
        "edge.wasm",
        "edge-spin.wasm",
    ] {
        let size = std::fs::metadata(dir.join(file))
            .map(|m| m.len())
            .unwrap_or(0);
        eprintln!("dist: {file}: {} KB", size / 1024);
    }
    Ok(Dist { dir, edge_wasm })
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

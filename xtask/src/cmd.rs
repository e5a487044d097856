//! Running programs (argument lists, never shell strings) and the workspace's well-known paths.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

/// The workspace root: from the `CARGO_MANIFEST_DIR` that `cargo run` gives us, and only
/// without it from the path this binary was built at. A target directory shared between
/// clones (CI's cache) can hand a clone a binary built in another clone, which must not then
/// read or build that other clone's files.
pub(crate) fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The cargo that runs us, with the installed tools first on its `PATH` (cargo runs the
/// widget's browser tests through `wasm-bindgen-test-runner`).
pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(root())
        .env("PATH", crate::tools::path_with_tools());
    command
}

/// Runs a command to completion, failing on a non-zero exit.
pub(crate) fn run(command: &mut Command) -> anyhow::Result<()> {
    eprintln!("$ {}", describe(command));
    let status = command
        .status()
        .with_context(|| format!("failed to start {}", describe(command)))?;
    if !status.success() {
        bail!("{} failed with {status}", describe(command));
    }
    Ok(())
}

/// Runs a command and returns its standard output, or `None` if it could not run or failed.
pub(crate) fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

//! npm packages that browser tests serve as static files, installed once into a cache outside
//! the clone.
//!
//! [`package`] runs `npm install` (no scripts, no audit) into
//! `$PCHAT_TOOLS_DIR/npm/<name>-<version>/` the first time and reuses that folder afterwards,
//! so a test needs the registry once and works offline after. The folder appears only when the
//! install succeeded: npm works in a scratch folder that is renamed into place.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;

/// The installed package's folder (`.../node_modules/<name>`), installing it when missing.
pub fn package(name: &str, version: &str) -> anyhow::Result<PathBuf> {
    let home = tools_dir().join("npm").join(format!("{name}-{version}"));
    let installed = home.join("node_modules").join(name);
    if installed.join("package.json").exists() {
        return Ok(installed);
    }
    let parent = home.parent().context("the npm cache has a parent")?;
    std::fs::create_dir_all(parent)?;
    let scratch = parent.join(format!(".{name}-{version}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    eprintln!(
        "npm: installing {name}@{version} into {} (a few seconds)",
        home.display()
    );
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--prefix",
        ])
        .arg(&scratch)
        .arg(format!("{name}@{version}"))
        .status()
        .context("running npm (install Node.js and npm, e.g. apt-get install nodejs npm)")?;
    anyhow::ensure!(
        status.success(),
        "npm install {name}@{version} failed: {status}"
    );
    match std::fs::rename(&scratch, &home) {
        Ok(()) => {}
        // Another test process got there first: use its copy.
        Err(_) if installed.join("package.json").exists() => {
            let _ = std::fs::remove_dir_all(&scratch);
        }
        Err(err) => return Err(err).context("moving the npm install into place"),
    }
    Ok(installed)
}

/// `$PCHAT_TOOLS_DIR`, or `.tools/` in the checkout (as `cargo xtask` decides).
fn tools_dir() -> PathBuf {
    std::env::var_os("PCHAT_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .map_or_else(|| PathBuf::from(".tools"), |root| root.join(".tools"))
        })
}

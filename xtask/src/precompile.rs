//! The precompiled edge: `target/dist/edge.cwasm`, `wasmtime compile` of `edge.wasm` with the
//! wasmtime the demo and the tests run, so `wasmtime serve --allow-precompiled` starts without
//! compiling (README, "Cold start").
//!
//! Next to it, `edge.cwasm.source-sha256` holds the SHA-256 of the `edge.wasm` it was compiled
//! from: [`fresh`] serves the precompiled file only while that is still the edge next to it, so
//! a rebuilt edge is never shadowed by stale machine code (`dist` empties `target/dist` and
//! compiles again on every run).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::cmd;

/// The precompiled file's name, next to `edge.wasm`.
pub(crate) const CWASM: &str = "edge.cwasm";
/// The file holding the hex SHA-256 of the `edge.wasm` the precompiled file came from.
pub(crate) const SOURCE_DIGEST: &str = "edge.cwasm.source-sha256";

/// Compiles `dir/edge.wasm` into `dir/`[`CWASM`] with `wasmtime` and records its source's
/// digest; returns the precompiled file.
pub(crate) fn compile(wasmtime: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let wasm = dir.join("edge.wasm");
    let cwasm = dir.join(CWASM);
    cmd::run(
        Command::new(wasmtime)
            .arg("compile")
            .arg("-o")
            .arg(&cwasm)
            .arg(&wasm),
    )?;
    std::fs::write(dir.join(SOURCE_DIGEST), digest(&wasm)?)
        .context("recording the precompiled edge's source")?;
    Ok(cwasm)
}

/// `dir/`[`CWASM`] if it was compiled from the `dir/edge.wasm` there now, else `None` (no
/// precompiled file, no digest, or an edge rebuilt since).
pub(crate) fn fresh(dir: &Path) -> anyhow::Result<Option<PathBuf>> {
    let cwasm = dir.join(CWASM);
    let Ok(recorded) = std::fs::read_to_string(dir.join(SOURCE_DIGEST)) else {
        return Ok(None);
    };
    let current = digest(&dir.join("edge.wasm"))?;
    Ok((cwasm.exists() && recorded.trim() == current).then_some(cwasm))
}

/// The hex SHA-256 of a file.
fn digest(file: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch `dist` holding `edge.wasm` with these bytes.
    fn dist_with_edge(name: &str, bytes: &[u8]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("xtask-precompile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("edge.wasm"), bytes).unwrap();
        dir
    }

    /// What [`compile`] leaves, without running wasmtime.
    fn precompile_fake(dir: &Path) {
        std::fs::write(dir.join(CWASM), b"machine code").unwrap();
        std::fs::write(
            dir.join(SOURCE_DIGEST),
            digest(&dir.join("edge.wasm")).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn the_precompiled_edge_is_served_while_it_matches_the_edge() {
        let dir = dist_with_edge("match", b"\0asm edge v1");
        precompile_fake(&dir);
        assert_eq!(fresh(&dir).unwrap(), Some(dir.join(CWASM)));
    }

    #[test]
    fn a_rebuilt_edge_is_not_shadowed_by_its_stale_precompiled_file() {
        let dir = dist_with_edge("stale", b"\0asm edge v1");
        precompile_fake(&dir);
        std::fs::write(dir.join("edge.wasm"), b"\0asm edge v2").unwrap();
        assert_eq!(fresh(&dir).unwrap(), None);
        // dist compiles again: served again.
        precompile_fake(&dir);
        assert_eq!(fresh(&dir).unwrap(), Some(dir.join(CWASM)));
    }

    #[test]
    fn without_a_recorded_source_nothing_precompiled_is_served() {
        let dir = dist_with_edge("bare", b"\0asm edge v1");
        std::fs::write(dir.join(CWASM), b"machine code").unwrap();
        assert_eq!(fresh(&dir).unwrap(), None);
        std::fs::remove_file(dir.join(CWASM)).unwrap();
        std::fs::write(
            dir.join(SOURCE_DIGEST),
            digest(&dir.join("edge.wasm")).unwrap(),
        )
        .unwrap();
        assert_eq!(fresh(&dir).unwrap(), None);
    }
}

//! The precompiled edge `cargo xtask dist` ships (`target/dist/edge.cwasm`, see xtask's
//! `precompile`): made from the `edge.wasm` next to it, and served by `wasmtime serve
//! --allow-precompiled` as the edge.

use sha2::{Digest, Sha256};
use testkit::process::{Artifacts, EdgeProcess};

use crate::support::client;

#[tokio::test]
async fn dist_precompiles_the_edge_it_built_and_wasmtime_serves_it() -> anyhow::Result<()> {
    let artifacts = Artifacts::from_env()?;
    let cwasm = artifacts.dist.join("edge.cwasm");
    assert!(
        cwasm.exists(),
        "{} is missing: `cargo xtask dist` makes it",
        cwasm.display()
    );
    // Compiled from this very edge.wasm, not from an earlier build.
    let wasm = std::fs::read(artifacts.dist.join("edge.wasm"))?;
    let current: String = Sha256::digest(&wasm)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let recorded = std::fs::read_to_string(artifacts.dist.join("edge.cwasm.source-sha256"))?;
    assert_eq!(recorded.trim(), current, "edge.cwasm is stale");
    // Machine code, not a component: wasmtime loads it only with --allow-precompiled.
    assert_ne!(std::fs::read(&cwasm)?.get(..4), Some(&b"\0asm"[..]));

    let precompiled = Artifacts {
        edge_wasm: cwasm,
        ..artifacts
    };
    let edge = EdgeProcess::start(
        &precompiled,
        &[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")],
    )?;
    let health = client()
        .get(format!("{}/api/health", edge.base_url))
        .send()
        .await?;
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await?;
    assert_eq!(body["status"], "ok");
    let loader = client()
        .get(format!("{}/widget/pomerium-chat.js", edge.base_url))
        .send()
        .await?;
    assert_eq!(loader.status(), 200);
    assert_eq!(
        loader.bytes().await?,
        std::fs::read(precompiled.dist.join("widget/pomerium-chat.js"))?
    );
    Ok(())
}

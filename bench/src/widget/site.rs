//! [`BenchSite`]: the chain the widget benchmarks load, as in the end-to-end test: a page and
//! the widget bundle served by the edge behind the fake Pomerium, the fake provider playing
//! whatever transcript the bench sets.
//!
//! The page is the bench's own (`bench/page/`): the demo site's strict CSP would be fine, but
//! the probe must run before the widget, so it is a script of its own. The static root is a
//! fresh folder holding a copy of `target/dist/widget/` and the page as `site/`.

use std::path::PathBuf;

use testkit::chain::{Chain, ChainConfig, Northwind};
use testkit::process::{copy_dir, scratch_dir};
use testkit::provider::{FakeProvider, Script};

use crate::runtime::Context;
use crate::transcript::Transcript;

const PAGE: &str = include_str!("../../page/bench.html");
const PROBE: &str = include_str!("../../page/bench.js");

/// The running chain.
pub(crate) struct BenchSite {
    provider: FakeProvider,
    chain: Chain,
    root: PathBuf,
}

impl BenchSite {
    pub(crate) async fn start(ctx: &Context) -> anyhow::Result<Self> {
        let root = scratch_dir("bench-site")?;
        copy_dir(&ctx.artifacts.dist.join("widget"), &root.join("widget"))?;
        std::fs::create_dir_all(root.join("site"))?;
        std::fs::write(root.join("site/bench.html"), PAGE)?;
        std::fs::write(root.join("site/bench.js"), PROBE)?;
        let provider = FakeProvider::start(Script::Transcript(Vec::new())).await?;
        let chain = Chain::start(
            &provider.base_url(),
            ChainConfig {
                northwind: Northwind::None,
                dist: Some(root.clone()),
                ..ChainConfig::new("bench-widget", &[("OPENAI_API_KEY", "sk-bench-widget")])
            },
        )
        .await?;
        Ok(Self {
            provider,
            chain,
            root,
        })
    }

    /// The bench page, through the fake Pomerium.
    pub(crate) fn page_url(&self) -> String {
        format!("{}/bench.html", self.chain.pomerium.base_url())
    }

    /// Plays `transcript` for the following chats.
    pub(crate) fn play(&self, transcript: &Transcript) {
        self.provider
            .set_script(Script::Transcript(transcript.entries.clone()));
    }
}

impl Drop for BenchSite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

//! [`BenchSite`]: the chain the widget benchmarks load, as in the end-to-end test: a page and
//! the widget bundle served by the edge behind the fake Pomerium, the fake provider playing
//! whatever transcript the bench sets.
//!
//! The page is the bench's own (`bench/page/`): the demo site's strict CSP would be fine, but
//! the probe must run before the widget, so it is a script of its own. The edge serves
//! `target/dist` as usual, with `bench/page/` mounted over its `site/`.

use std::path::Path;

use testkit::chain::{Chain, ChainConfig, Northwind};
use testkit::provider::{FakeProvider, Script};

use crate::runtime::Context;
use crate::transcript::Transcript;

/// The running chain.
pub(crate) struct BenchSite {
    provider: FakeProvider,
    chain: Chain,
}

impl BenchSite {
    /// Starts the chain (`_ctx`: the artifacts are the environment's, as for every chain).
    pub(crate) async fn start(_ctx: &Context) -> anyhow::Result<Self> {
        let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("page");
        let provider = FakeProvider::start(Script::Transcript(Vec::new())).await?;
        let chain = Chain::start(
            &provider.base_url(),
            ChainConfig {
                northwind: Northwind::None,
                // The component's paths resolve against the longest preopened prefix.
                edge_runtime: vec!["--dir".to_owned(), format!("{}::/site", page.display())],
                ..ChainConfig::new("bench-widget", &[("OPENAI_API_KEY", "sk-bench-widget")])
            },
        )
        .await?;
        Ok(Self { provider, chain })
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

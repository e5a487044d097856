//! End to end in headless Chromium with the edge running the tools (edge tool mode) and a Chat
//! Completions provider, the way a site with Ollama or vLLM would run it: the widget asks "What
//! were our sales by year?" through the fake Pomerium; the edge lists and calls northwind-mcp
//! through Pomerium's MCP route with the TE of that chat, and the answer carries the real
//! totals. Shares the page driving of [`crate::e2e`].

use testkit::browser::Browser;
use testkit::chain::{Chain, ChainConfig};
use testkit::provider::{FakeProvider, Script};

use crate::e2e::{ROOT, drive, yearly_sales};

#[tokio::test]
async fn sales_by_year_with_the_edge_running_the_tools() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = Chain::start(
        &provider.base_url(),
        ChainConfig::new(
            "e2e_edge_mode",
            &[
                ("OPENAI_MODEL", "llama3.1"),
                ("PROVIDER", "chat_completions"),
            ],
        ),
    )
    .await?;
    let pomerium = &chain.pomerium;
    let expected = yearly_sales(&chain.db())?;

    let browser = Browser::start().await?;
    let result = drive(&browser, pomerium).await;
    let page_html: String = browser
        .eval(
            &format!(
                "{ROOT} return document.documentElement.outerHTML + (root ? root.innerHTML : '');"
            ),
            vec![],
        )
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    browser.close().await?;
    let (final_text, _snapshots) = result?;

    for (year, total) in &expected {
        assert!(
            final_text.contains(year) && final_text.contains(total),
            "answer lacks {year}: {total}:\n{final_text}"
        );
    }
    // The provider spoke Chat Completions with functions, in two rounds.
    let requests = provider.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.body["messages"].is_array()));
    assert!(
        requests[1].body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["role"] == "tool")
    );
    // The edge called the MCP route with the TE injected for the chat request.
    let chat_tokens: Vec<String> = pomerium
        .issued()
        .into_iter()
        .filter(|t| t.method == "POST" && t.path == "/api/chat")
        .map(|t| t.te)
        .collect();
    assert_eq!(chat_tokens.len(), 1);
    let hits = pomerium.mcp_hits(0);
    assert!(hits.len() >= 4, "{} MCP requests", hits.len());
    for hit in &hits {
        assert_eq!(hit.te.as_deref(), Some(chat_tokens[0].as_str()));
        assert!(hit.accepted);
    }
    for te in pomerium.issued().into_iter().map(|t| t.te) {
        assert!(!page_html.contains(&te), "a token reached the page");
    }
    Ok(())
}

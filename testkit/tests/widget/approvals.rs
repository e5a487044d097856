//! The approval round trip in the browser, through the real edge: a server whose policy asks
//! for approval shows the call with its full arguments; Allow continues the same answer, which
//! runs the real tool through Pomerium and ends with the real totals.

use crate::widget::chain::{APPROVE_EVERY_CALL, Chain, ChainConfig};

#[tokio::test]
async fn allow_runs_the_tool_and_the_answer_continues() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig {
        edge_env: vec![APPROVE_EVERY_CALL],
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain.ask("What were our sales by year?", true).await?;
            let card = chain
                .wait(
                    "the approval card",
                    "const card = root.querySelector('[data-role=\"approval\"][data-state=\"open\"]');
                     return card && { server: card.dataset.server, tool: card.dataset.tool,
                                      arguments: card.querySelector('[data-role=\"arguments\"]')?.textContent ?? '' };",
                    30,
                )
                .await?;
            anyhow::ensure!(card["tool"] == "read_query" && card["server"] == "northwind", "{card}");
            anyhow::ensure!(card["arguments"].as_str().is_some_and(|a| a.contains("SELECT")), "the full arguments: {card}");
            let calls_before = chain.provider.request_count();
            chain.screenshot("approval").await?;
            chain.click("[data-role=\"approval\"] button[data-action=\"allow\"]").await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            anyhow::ensure!(end["text"].as_str().is_some_and(|t| t.contains("208083.97")), "{end}");
            anyhow::ensure!(chain.provider.request_count() == calls_before + 1, "one continuation request");
            let continuation = &chain.provider.requests()[calls_before].body;
            anyhow::ensure!(continuation["input"][0]["type"] == "mcp_approval_response", "{continuation}");
            anyhow::ensure!(continuation["input"][0]["approve"] == true, "{continuation}");
            let state = chain
                .eval("return root.querySelector('[data-role=\"approval\"]')?.dataset.state;", vec![])
                .await?;
            anyhow::ensure!(state == "allowed", "the card shows the decision: {state}");
            Ok(())
        })
        .await
}

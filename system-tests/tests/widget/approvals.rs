//! The approval round trip in the browser, through the real edge: a server whose policy asks
//! for approval shows the call with its full arguments; Allow continues the same answer, which
//! runs the real tool through Pomerium and ends with the real totals. In hosted mode the
//! provider asks; in edge mode the edge's own tool loop pauses, hands the browser its sealed
//! state and resumes with the decision.

use crate::widget::chain::{APPROVE_EVERY_CALL, Chain, ChainConfig};

/// Waits for the open approval card of Northwind's `read_query`, with its full arguments.
async fn wait_for_the_read_query_card(chain: &Chain) -> anyhow::Result<()> {
    let card = chain
        .wait(
            "the approval card",
            "const card = root.querySelector('[data-role=\"approval\"][data-state=\"open\"]');
             return card && { server: card.dataset.server, tool: card.dataset.tool,
                              arguments: card.querySelector('[data-role=\"arguments\"]')?.textContent ?? '' };",
            30,
        )
        .await?;
    anyhow::ensure!(
        card["tool"] == "read_query" && card["server"] == "northwind",
        "{card}"
    );
    anyhow::ensure!(
        card["arguments"]
            .as_str()
            .is_some_and(|a| a.contains("SELECT")),
        "the full arguments: {card}"
    );
    Ok(())
}

/// The card shows the decision once the answer went on.
async fn assert_the_card_shows_allowed(chain: &Chain) -> anyhow::Result<()> {
    let state = chain
        .eval(
            "return root.querySelector('[data-role=\"approval\"]')?.dataset.state;",
            vec![],
        )
        .await?;
    anyhow::ensure!(state == "allowed", "the card shows the decision: {state}");
    Ok(())
}

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
            wait_for_the_read_query_card(chain).await?;
            let calls_before = chain.provider.request_count();
            chain.screenshot("approval").await?;
            chain
                .click("[data-role=\"approval\"] button[data-action=\"allow\"]")
                .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            anyhow::ensure!(
                end["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("208083.97")),
                "{end}"
            );
            anyhow::ensure!(
                chain.provider.request_count() == calls_before + 1,
                "one continuation request"
            );
            let continuation = &chain.provider.requests()[calls_before].body;
            anyhow::ensure!(
                continuation["input"][0]["type"] == "mcp_approval_response",
                "{continuation}"
            );
            anyhow::ensure!(
                continuation["input"][0]["approve"] == true,
                "{continuation}"
            );
            assert_the_card_shows_allowed(chain).await?;
            Ok(())
        })
        .await
}

#[tokio::test]
async fn allow_in_edge_mode_resumes_the_edges_loop_with_the_real_totals() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig {
        edge_env: vec![
            ("TOOL_MODE", "edge"),
            ("PROVIDER", "chat_completions"),
            (
                "MCP_POLICIES",
                r#"{"northwind":{"require_approval":"always"}}"#,
            ),
        ],
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain.ask("What were our sales by year?", true).await?;
            wait_for_the_read_query_card(chain).await?;
            // The edge paused: one round asked, nothing ran yet.
            anyhow::ensure!(
                chain.provider.request_count() == 1,
                "one round before the pause"
            );
            chain
                .click("[data-role=\"approval\"] button[data-action=\"allow\"]")
                .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            let text = end["text"].as_str().unwrap_or_default();
            for total in ["208083.97", "617085.2", "440623.87"] {
                anyhow::ensure!(text.contains(total), "{total} missing: {end}");
            }
            anyhow::ensure!(
                end["tools"] == serde_json::json!(["done"]),
                "the call ran once: {end}"
            );
            // The continuation replayed the round with the call and its real result.
            let requests = chain.provider.requests();
            anyhow::ensure!(requests.len() == 2, "{} provider requests", requests.len());
            let replayed = requests[1].body["messages"].to_string();
            anyhow::ensure!(
                replayed.contains("208083.97") && replayed.contains("tool_calls"),
                "{replayed}"
            );
            assert_the_card_shows_allowed(chain).await?;
            Ok(())
        })
        .await
}

//! End to end in headless Chromium with the edge running the tools (edge tool mode) and a Chat
//! Completions provider, the way a site with Ollama or vLLM would run it: the widget asks "What
//! were our sales by year?" through the fake Pomerium; the edge lists and calls northwind-mcp
//! through Pomerium's MCP route with the TE of that chat, and the answer carries the real
//! totals. Shares the page driving of [`crate::e2e`].

use std::time::Duration;

use serde_json::Value;
use testkit::browser::Browser;
use testkit::chain::{Chain, ChainConfig};
use testkit::provider::{FakeProvider, Script};

use crate::e2e::{ROOT, ask_in_page, drive, yearly_sales};
use crate::widget::chain::eventually;

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

/// While `slow_query` runs, its card shows a progress bar that fills up (accessible: a
/// `<progress>` with `aria-valuenow`); once the result is in, the bar is gone.
#[tokio::test]
async fn a_slow_tool_shows_its_progress_bar_while_it_runs() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = Chain::start(
        &provider.base_url(),
        ChainConfig::new("e2e_progress", &[("TOOL_MODE", "edge")]),
    )
    .await?;
    let pomerium = &chain.pomerium;
    let browser = Browser::start().await?;
    let result = watch_progress(&browser, pomerium).await;
    browser.close().await?;
    let (snapshots, end) = result?;

    let bars: Vec<&Value> = snapshots
        .iter()
        .filter(|s| s["status"] == "running" && s["tag"] == "PROGRESS")
        .collect();
    assert!(!bars.is_empty(), "no bar while running: {snapshots:?}");
    let values: Vec<i64> = bars
        .iter()
        .filter_map(|s| s["valuenow"].as_str()?.parse().ok())
        .collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
    assert!(
        values.iter().any(|v| *v > 0),
        "the bar never moved: {values:?}"
    );
    for bar in &bars {
        assert_eq!(bar["value"], bar["valuenow"], "{bar}");
        assert!(
            !bar["label"].as_str().unwrap_or_default().is_empty(),
            "{bar}"
        );
        assert!(
            bar["live"].is_null() || bar["live"] == "off",
            "ticks are not announced: {bar}"
        );
    }
    assert_eq!(end["status"], "done", "{end}");
    assert_eq!(
        end["tag"],
        Value::Null,
        "the bar stays after the call: {end}"
    );
    Ok(())
}

/// Asks for the slow count with Northwind ticked, recording the `slow_query` card's progress
/// element at every DOM change; returns the records and the card once the answer completed.
async fn watch_progress(
    browser: &Browser,
    pomerium: &testkit::pomerium::FakePomerium,
) -> anyhow::Result<(Vec<Value>, Value)> {
    let card = "const card = () => {
            const c = root.querySelector('[data-role=\"tool-call\"][data-tool=\"slow_query\"]');
            if (!c) return null;
            const p = c.querySelector('[data-role=\"progress\"]');
            return { status: c.dataset.status, tag: p ? p.tagName : null,
                     value: p ? p.getAttribute('value') : null,
                     valuenow: p ? p.getAttribute('aria-valuenow') : null,
                     label: p ? p.getAttribute('aria-label') : null,
                     live: p ? p.closest('[aria-live]')?.getAttribute('aria-live') ?? null : null };
        };";
    let observe = format!(
        "{card}
        window.__progress = [];
        new MutationObserver(() => {{ const c = card(); if (c) window.__progress.push(c); }})
            .observe(root, {{ subtree: true, childList: true, characterData: true, attributes: true }});"
    );
    ask_in_page(
        browser,
        pomerium,
        "Count the orders slowly, please",
        &observe,
    )
    .await?;
    let end = browser
        .wait_for(
            "the answer to complete",
            &format!(
                "{ROOT} {card}
                const msgs = root.querySelectorAll('[data-role=\"message\"][data-author=\"assistant\"]');
                const last = msgs[msgs.length - 1];
                if (!last || !last.dataset.complete) return null;
                return card() ?? {{ missing: true }};"
            ),
            Duration::from_secs(60),
        )
        .await?;
    let snapshots = browser.eval("return window.__progress;", vec![]).await?;
    let snapshots = snapshots.as_array().cloned().unwrap_or_default();
    Ok((snapshots, end))
}

/// Stop while `slow_query` runs: the widget aborts its stream, and the edge cancels the call
/// (`notifications/cancelled` reaches the MCP route after the call's own request).
#[tokio::test]
async fn stop_cancels_a_running_tool() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = Chain::start(
        &provider.base_url(),
        ChainConfig::new("e2e_stop_tool", &[("TOOL_MODE", "edge")]),
    )
    .await?;
    let browser = Browser::start().await?;
    let result = stop_while_running(&browser, &chain.pomerium).await;
    browser.close().await?;
    result
}

/// Asks for the slow count, clicks Stop once the progress bar shows, and waits for the cancel.
async fn stop_while_running(
    browser: &Browser,
    pomerium: &testkit::pomerium::FakePomerium,
) -> anyhow::Result<()> {
    ask_in_page(browser, pomerium, "Count the orders slowly, please", "").await?;
    browser
        .wait_for(
            "the progress bar",
            &format!("{ROOT} return !!root.querySelector('[data-tool=\"slow_query\"] [data-role=\"progress\"]');"),
            Duration::from_secs(30),
        )
        .await?;
    let during_call = pomerium.mcp_requests(0);
    browser
        .eval(
            &format!(
                "{ROOT} root.querySelector('button[data-role=\"stop\"]').click(); return true;"
            ),
            vec![],
        )
        .await?;
    eventually("the cancel to reach the MCP route", 20, || {
        pomerium.mcp_requests(0) > during_call
    })
    .await
}

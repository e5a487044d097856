//! End to end in headless Chromium: the demo page served by the edge behind the fake Pomerium,
//! the widget loaded from the edge's origin, the fake provider calling the real northwind-mcp
//! through the fake Pomerium's MCP route.
//!
//! Asks "What were our sales by year?" and checks that the tool call shows while the answer
//! streams, that the answer carries the totals the real database gives, that the MCP route saw
//! exactly the token Pomerium injected for that chat (and the MCP server only the internal
//! token), and that the text arrived in several renders. Breaking any link fails it.

use std::time::Duration;

use serde_json::{Value, json};
use testkit::browser::Browser;
use testkit::chain::{Chain, ChainConfig};
use testkit::pomerium::FakePomerium;
use testkit::provider::{FakeProvider, Script};

const QUESTION: &str = "What were our sales by year?";

/// The widget's shadow root, in page scripts.
pub(crate) const ROOT: &str = "const root = document.querySelector('pomerium-chat')?.shadowRoot;";

/// Yearly sales as the database computes them, formatted as the answer shows numbers.
pub(crate) fn yearly_sales(db: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare(
        "SELECT strftime('%Y', o.OrderDate), ROUND(SUM(d.UnitPrice * d.Quantity * (1 - d.Discount)), 2) \
         FROM \"Order Details\" d JOIN Orders o ON o.OrderID = d.OrderID GROUP BY 1 ORDER BY 1",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, f64>(1)?))
    })?;
    Ok(rows
        .map(|r| r.map(|(year, total)| (year, total.to_string())))
        .collect::<Result<_, _>>()?)
}

#[tokio::test]
async fn sales_by_year_through_the_whole_chain() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = Chain::start(
        &provider.base_url(),
        ChainConfig::new(
            "e2e",
            &[
                ("OPENAI_API_KEY", "sk-test-e2e"),
                // The provider runs the tools (OpenAI's hosted `mcp` tool), as in production.
                ("TOOL_MODE", "hosted"),
            ],
        ),
    )
    .await?;
    let (edge, pomerium) = (&chain.edge, &chain.pomerium);
    let expected = yearly_sales(&chain.db())?;
    assert_eq!(expected.len(), 3, "the database has three years of orders");

    let browser = Browser::start().await?;
    let result = drive(&browser, pomerium).await;
    let page_html: String = browser
        .eval(&format!("{ROOT} return document.documentElement.outerHTML + (root ? root.innerHTML : '') + JSON.stringify(localStorage);"), vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    browser.close().await?;
    let (final_text, snapshots) = result?;

    // (b) The answer carries the real totals.
    for (year, total) in &expected {
        assert!(
            final_text.contains(year) && final_text.contains(total),
            "answer lacks {year}: {total}:\n{final_text}"
        );
    }

    // (a) The read_query call was on screen before the answer was complete.
    let tool_first_seen = snapshots
        .iter()
        .position(|s| s["tool"].as_bool() == Some(true))
        .expect("the read_query card appeared");
    let text_then = snapshots[tool_first_seen]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text_then.len() < final_text.len(),
        "the tool card appeared only after the answer was complete"
    );

    // (d) The text arrived in several distinct partial renders.
    let mut partials: Vec<&str> = snapshots
        .iter()
        .filter_map(|s| s["text"].as_str())
        .filter(|t| !t.is_empty() && *t != final_text)
        .collect();
    partials.dedup();
    assert!(
        partials.len() >= 3,
        "the answer arrived in {} partial renders: {partials:?}",
        partials.len()
    );

    // (c) The MCP route saw exactly the token injected for the chat request; the server only the TI.
    let chat_tokens: Vec<String> = pomerium
        .issued()
        .into_iter()
        .filter(|t| t.method == "POST" && t.path == "/api/chat")
        .map(|t| t.te)
        .collect();
    assert_eq!(
        chat_tokens.len(),
        1,
        "one chat request went through Pomerium"
    );
    let hits = pomerium.mcp_hits(0);
    assert!(
        hits.len() >= 3,
        "the provider spoke MCP through the route ({} requests)",
        hits.len()
    );
    for hit in &hits {
        assert_eq!(
            hit.te.as_deref(),
            Some(chat_tokens[0].as_str()),
            "the MCP route got another token"
        );
        assert!(hit.accepted);
    }
    let northwind_log = chain
        .northwind
        .as_ref()
        .expect("northwind")
        .process
        .output();
    assert!(
        !northwind_log.iter().any(|l| l.contains("rejected")),
        "northwind-mcp rejected a token: {northwind_log:?}"
    );

    // The TE never reached the browser or a log line.
    let issued: Vec<String> = pomerium.issued().into_iter().map(|t| t.te).collect();
    assert!(!issued.is_empty());
    for te in &issued {
        assert!(!page_html.contains(te.as_str()), "a token reached the page");
        for line in edge.process.output() {
            assert!(
                !line.contains(te.as_str()) && !line.contains("sk-test-e2e"),
                "the edge logged a secret: {line}"
            );
        }
    }
    Ok(())
}

/// Loads the page, asks [`QUESTION`], and returns the final answer text and the snapshots
/// taken at each DOM change while it streamed.
pub(crate) async fn drive(
    browser: &Browser,
    pomerium: &FakePomerium,
) -> anyhow::Result<(String, Vec<Value>)> {
    drive_question(browser, pomerium, QUESTION).await
}

/// Opens the page, waits for the widget to list Northwind, runs the script `observe` (with
/// `root`, the widget's shadow root, in scope), then ticks Northwind and sends `question`.
pub(crate) async fn ask_in_page(
    browser: &Browser,
    pomerium: &FakePomerium,
    question: &str,
    observe: &str,
) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/", pomerium.base_url()))
        .await?;
    browser
        .wait_for(
            "the widget to list the Northwind server",
            &format!("{ROOT} return !!root && document.querySelector('pomerium-chat').dataset.ready === 'true' && !!root.querySelector('input[data-server-id=\"northwind\"]');"),
            Duration::from_secs(30),
        )
        .await?;
    let script = format!(
        "{ROOT}
        {observe}
        const box = root.querySelector('input[data-server-id=\"northwind\"]');
        if (!box.checked) box.click();
        const input = root.querySelector('textarea[data-role=\"input\"]');
        input.value = arguments[0];
        input.dispatchEvent(new Event('input', {{ bubbles: true }}));
        root.querySelector('button[data-role=\"send\"]').click();
        return true;"
    );
    browser.eval(&script, vec![json!(question)]).await?;
    Ok(())
}

/// The same for `question`, whose answer must call `read_query`.
pub(crate) async fn drive_question(
    browser: &Browser,
    pomerium: &FakePomerium,
    question: &str,
) -> anyhow::Result<(String, Vec<Value>)> {
    let observe = "window.__snapshots = [];
        const snap = () => {
            const msgs = root.querySelectorAll('[data-role=\"message\"][data-author=\"assistant\"]');
            const last = msgs[msgs.length - 1];
            const text = last ? (last.querySelector('[data-role=\"text\"]')?.textContent ?? '') : '';
            const tool = !!root.querySelector('[data-role=\"tool-call\"][data-tool=\"read_query\"]');
            window.__snapshots.push({ text, tool });
        };
        new MutationObserver(snap).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });";
    ask_in_page(browser, pomerium, question, observe).await?;
    let state = browser
        .wait_for(
            "the answer to complete",
            &format!(
                "{ROOT} const msgs = root.querySelectorAll('[data-role=\"message\"][data-author=\"assistant\"]');
                const last = msgs[msgs.length - 1];
                if (!last || !last.dataset.complete) return null;
                const error = root.querySelector('[data-role=\"error\"]');
                return {{ complete: last.dataset.complete, text: last.querySelector('[data-role=\"text\"]')?.textContent ?? '',
                         error: error ? error.dataset.code + ': ' + error.textContent : null,
                         status: root.querySelector('[data-role=\"tool-call\"][data-tool=\"read_query\"]')?.dataset.status ?? null }};"
            ),
            Duration::from_secs(60),
        )
        .await?;
    anyhow::ensure!(
        state["complete"] == "true",
        "the answer did not complete: {state}"
    );
    anyhow::ensure!(
        state["status"] == "done",
        "the read_query card is not done: {state}"
    );
    // A picture of the finished answer, for people reading a failed or suspicious run.
    let shot = std::env::temp_dir().join("pomerium-chat-e2e.png");
    if let Ok(png) = browser.client.screenshot().await {
        let _ = std::fs::write(&shot, png);
        eprintln!("e2e: screenshot at {}", shot.display());
    }
    let snapshots = browser.eval("return window.__snapshots;", vec![]).await?;
    let snapshots = snapshots.as_array().cloned().unwrap_or_default();
    Ok((
        state["text"].as_str().unwrap_or_default().to_owned(),
        snapshots,
    ))
}

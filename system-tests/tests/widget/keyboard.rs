//! Keyboard and screen reader paths (issue 18), with no mouse and no clicks from scripts: the
//! launcher is reached with Tab and opened with Enter; every control of the panel is reached
//! with Tab and Shift+Tab; a question is typed and sent with Enter and stopped with Escape; a
//! tool card is opened, a tool call allowed and a failed question retried, all from the
//! keyboard; Escape closes the launcher and gives the focus back to its button. Meanwhile the
//! live region is watched: it must announce each finished answer once (its changes are
//! recorded), and the accessibility tree must expose it as a polite status holding the last
//! answer (read back through the DevTools protocol).

use std::time::Duration;

use fantoccini::key::Key;
use serde_json::{Value, json};
use testkit::provider::{ModelOptions, Script};

use crate::widget::accessibility::FAIL_NEXT_CHAT;
use crate::widget::chain::{APPROVE_EVERY_CALL, Chain, ChainConfig};

/// What has the keyboard focus, named by its role in the widget: `launcher`, `close`,
/// `server:<id>`, `refresh`, `log`, `input`, `send`, `allow`, `retry`, `summary:tool-call`, ...;
/// `outside` when the focus is not in the widget.
const FOCUSED: &str = "if (document.activeElement !== host) return 'outside';
    const el = root.activeElement;
    if (!el) return 'host';
    if (el.dataset.serverId) return 'server:' + el.dataset.serverId;
    if (el.tagName === 'SUMMARY') return 'summary:' + (el.parentElement.dataset.role || '');
    return el.dataset.role || el.dataset.action || el.tagName.toLowerCase();";

/// Records every text the live region takes, in `window.__spoken`.
const RECORD_ANNOUNCEMENTS: &str = "window.__spoken = [];
    const announcer = root.querySelector('[data-role=\"announcer\"]');
    new MutationObserver(() => window.__spoken.push(announcer.textContent))
      .observe(announcer, { childList: true, characterData: true, subtree: true });
    return true;";

fn key(key: Key) -> String {
    char::from(key).to_string()
}

#[tokio::test]
async fn keyboard_only_and_one_announcement_per_answer() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig {
        // Slow enough to press Escape while an answer streams.
        script: Script::Model(ModelOptions {
            delta_delay: Duration::from_millis(80),
            ..ModelOptions::default()
        }),
        edge_env: vec![APPROVE_EVERY_CALL],
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/launcher.html").await?;
            chain.eval(RECORD_ANNOUNCEMENTS, vec![]).await?;
            let tab = key(Key::Tab);
            let shift = Some(char::from(Key::Shift));

            // Tab through the page to the launcher; Enter opens it and focuses the composer.
            tab_until(chain, None, "launcher", 40).await?;
            chain.press(None, &key(Key::Enter)).await?;
            let now = focused(chain).await?;
            anyhow::ensure!(now == "input", "the focus after opening: {now}");

            // Every control, backwards to the launcher and forwards again; Space ticks
            // Northwind on the way.
            let back = tab_until(chain, shift, "launcher", 15).await?;
            for control in ["log", "refresh", "server:northwind", "model", "close"] {
                anyhow::ensure!(back.iter().any(|c| c == control), "{control} not reached: {back:?}");
            }
            tab_until(chain, None, "server:northwind", 10).await?;
            chain.press(None, " ").await?;
            tab_until(chain, None, "input", 10).await?;
            chain.press(None, &tab).await?;
            anyhow::ensure!(focused(chain).await? == "send", "Send follows the composer");
            chain.press(shift, &tab).await?;
            let ticked = chain
                .eval("return root.querySelector('input[data-server-id=\"northwind\"]').checked;", vec![])
                .await?;
            anyhow::ensure!(ticked == json!(true), "Space did not tick Northwind");

            // Enter sends; Escape stops.
            let long = "Tell me everything about our customers and their orders. ".repeat(12);
            chain.press(None, long.trim()).await?;
            chain.press(None, &key(Key::Enter)).await?;
            chain.partial_answer().await?;
            chain.press(None, &key(Key::Escape)).await?;
            let end = chain.answer(15).await?;
            anyhow::ensure!(end["complete"] == "stopped", "Escape did not stop: {end}");

            // An approval, allowed from the keyboard; then the tool card opened.
            anyhow::ensure!(focused(chain).await? == "input", "the focus stays in the composer");
            chain.press(None, "What were our sales by year?").await?;
            chain.press(None, &key(Key::Enter)).await?;
            chain.approval_card().await?;
            tab_until(chain, shift, "allow", 30).await?;
            chain.press(None, &key(Key::Enter)).await?;
            let now = focused(chain).await?;
            anyhow::ensure!(now == "input", "the focus after Allow: {now}");
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            anyhow::ensure!(end["text"].as_str().is_some_and(|t| t.contains("208083.97")), "{end}");
            let sales_answer = chain.answer_text().await?;
            tab_until(chain, shift, "summary:tool-call", 30).await?;
            chain.press(None, &key(Key::Enter)).await?;
            let open = chain
                .eval("return root.querySelector('details[data-role=\"tool-call\"]').open;", vec![])
                .await?;
            anyhow::ensure!(open == json!(true), "Enter did not open the tool card");

            // A question that fails, retried from the keyboard.
            tab_until(chain, None, "input", 40).await?;
            chain.browser.eval(FAIL_NEXT_CHAT, vec![]).await?;
            chain.press(None, "Hello again").await?;
            chain.press(None, &key(Key::Enter)).await?;
            let end = chain.answer(30).await?;
            anyhow::ensure!(end["error"] == "network_error", "{end}");
            tab_until(chain, shift, "retry", 30).await?;
            chain.press(None, &key(Key::Enter)).await?;
            let now = focused(chain).await?;
            anyhow::ensure!(now == "input", "the focus after Retry: {now}");
            chain
                .wait(
                    "the retried answer",
                    "const msgs = root.querySelectorAll('[data-author=\"assistant\"]'); return msgs[msgs.length - 1].dataset.complete === 'true';",
                    60,
                )
                .await?;
            let retried_answer = chain.answer_text().await?;
            anyhow::ensure!(retried_answer.contains("Hello again"), "{retried_answer}");

            // Each finished answer was announced once; the stopped one and the error were not.
            let spoken = chain.browser.eval("return window.__spoken;", vec![]).await?;
            anyhow::ensure!(
                spoken == json!([sales_answer, retried_answer]),
                "the live region said: {spoken}"
            );
            let exposed = live_region_in_ax_tree(chain).await?;
            anyhow::ensure!(
                exposed.contains(&retried_answer),
                "the accessibility tree's live region holds {exposed:?}"
            );

            // New chat is enabled now, and reachable too.
            tab_until(chain, shift, "new-chat", 40).await?;

            // Escape closes the launcher and the focus goes back to its button.
            chain.press(None, &key(Key::Escape)).await?;
            chain.panel_closed().await?;
            anyhow::ensure!(focused(chain).await? == "launcher", "the focus is not back on the launcher");
            Ok(())
        })
        .await
}

/// What has the focus (see [`FOCUSED`]).
async fn focused(chain: &Chain) -> anyhow::Result<String> {
    let value: Value = chain.eval(FOCUSED, vec![]).await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// Presses Tab (Shift+Tab with `modifier`) until `want` has the focus, at most `max` times;
/// returns what had the focus on the way.
async fn tab_until(
    chain: &Chain,
    modifier: Option<char>,
    want: &str,
    max: usize,
) -> anyhow::Result<Vec<String>> {
    let mut path = Vec::new();
    for _ in 0..max {
        chain.press(modifier, &key(Key::Tab)).await?;
        let now = focused(chain).await?;
        let done = now == want;
        path.push(now);
        if done {
            return Ok(path);
        }
    }
    anyhow::bail!("{want} never got the focus; the focus went {path:?}")
}

/// The text of the widget's polite live region as the accessibility tree exposes it (the
/// DevTools protocol's full AX tree: the `status` node with `live: polite`, and the static text
/// under it).
async fn live_region_in_ax_tree(chain: &Chain) -> anyhow::Result<String> {
    let tree = chain
        .browser
        .cdp("Accessibility.getFullAXTree", json!({}))
        .await?;
    let nodes = tree["nodes"].as_array().cloned().unwrap_or_default();
    let by_id = |id: &Value| nodes.iter().find(|n| &n["nodeId"] == id);
    let polite = |node: &Value| {
        node["properties"].as_array().is_some_and(|props| {
            props
                .iter()
                .any(|p| p["name"] == "live" && p["value"]["value"] == "polite")
        })
    };
    let region = nodes
        .iter()
        .find(|n| n["role"]["value"] == "status" && polite(n))
        .ok_or_else(|| anyhow::anyhow!("no polite status region in the accessibility tree"))?;
    let mut text = String::new();
    let mut stack = vec![region.clone()];
    while let Some(node) = stack.pop() {
        if node["role"]["value"] == "StaticText" {
            text.push_str(node["name"]["value"].as_str().unwrap_or_default());
        }
        for child in node["childIds"].as_array().into_iter().flatten().rev() {
            if let Some(child) = by_id(child) {
                stack.push(child.clone());
            }
        }
    }
    Ok(text)
}

//! Attachments and hosted tools in Chromium through the real edge: files come in through the
//! file input (the Attach button opens it), a paste and a drop; each shows as a chip with its
//! name and size, a refused one says why and changes nothing, a chip can be removed; the sent
//! question shows its chips and the provider receives the image as an `input_image` part and
//! the text file as text, and the files come back with the thread after a reload. A hosted
//! tool's toggle is offered as the edge configures it, and its call appears as a tool card.

use serde_json::{Value, json};
use testkit::provider::parts_of_type;

use crate::widget::chain::{Chain, ChainConfig};

/// A PNG's signature and header, enough for the edge's check.
const PNG_BYTES: [u8; 16] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52,
];

/// Hands `files` (`[name, type, bytes]`) to the widget by `how`: `input`, `paste` or `drop`.
async fn hand_over(chain: &Chain, how: &str, files: Value) -> anyhow::Result<()> {
    chain
        .eval(
            "const dt = new DataTransfer();
             for (const [name, type, bytes] of arguments[1]) {
               dt.items.add(new File([new Uint8Array(bytes)], name, { type }));
             }
             if (arguments[0] === 'input') {
               const input = root.querySelector('input[type=\"file\"][data-role=\"file\"]');
               input.files = dt.files;
               input.dispatchEvent(new Event('change', { bubbles: true }));
             } else if (arguments[0] === 'paste') {
               root.querySelector('textarea[data-role=\"input\"]').dispatchEvent(
                 new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
             } else {
               root.querySelector('[data-role=\"log\"]').dispatchEvent(
                 new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
             }
             return true;",
            vec![json!(how), files],
        )
        .await?;
    Ok(())
}

/// Waits until the draft shows `n` read chips; gives their texts.
async fn chips(chain: &Chain, n: usize) -> anyhow::Result<Value> {
    let script = format!(
        "const chips = [...root.querySelectorAll('[data-role=\"attachments\"] [data-role=\"attachment\"]')];
         if (chips.length !== {n} || chips.some(c => c.dataset.reading)) return null;
         return chips.map(c => c.textContent);"
    );
    chain.wait("the draft's chips", &script, 20).await
}

#[tokio::test]
async fn files_are_attached_by_picker_paste_and_drop_and_reach_the_provider() -> anyhow::Result<()>
{
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain.wait_ready().await?;
            // The Attach button opens the hidden file input.
            let picked = chain
                .eval(
                    "const input = root.querySelector('input[type=\"file\"][data-role=\"file\"]');
                     window.__picked = false;
                     input.click = () => { window.__picked = true; };
                     root.querySelector('button[data-role=\"attach\"]').click();
                     return window.__picked && input.hidden && input.multiple;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(picked == true, "the Attach button opens the file input");

            hand_over(chain, "input", json!([["dot.png", "image/png", PNG_BYTES]])).await?;
            chips(chain, 1).await?;
            let notes: Vec<u8> = b"# Notes\nregion west: 42\n".to_vec();
            hand_over(chain, "paste", json!([["notes.md", "", notes]])).await?;
            chips(chain, 2).await?;
            hand_over(chain, "drop", json!([["extra.csv", "text/csv", b"a,b\n".to_vec()]])).await?;
            let shown = chips(chain, 3).await?;
            anyhow::ensure!(shown[0].as_str().is_some_and(|c| c.starts_with("dot.png · 16 B")), "{shown}");
            // A refused file changes nothing and says why.
            hand_over(chain, "drop", json!([["tool.exe", "application/x-msdownload", [77, 90]]])).await?;
            let refused = chain
                .wait(
                    "the refusal",
                    "const e = root.querySelector('[data-role=\"attach-error\"]');
                     return e && !e.hidden && e.textContent;",
                    10,
                )
                .await?;
            anyhow::ensure!(refused.as_str().is_some_and(|t| t.starts_with("tool.exe: ")), "{refused}");
            chips(chain, 3).await?;
            // Remove the CSV.
            chain
                .click("[data-role=\"attachments\"] [data-role=\"attachment\"]:nth-child(3) button[data-action=\"remove-attachment\"]")
                .await?;
            chips(chain, 2).await?;

            chain.ask("what is in the picture?", false).await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true" || end["error"].is_null(), "{end}");
            let sent = chain
                .eval(
                    "return [...root.querySelectorAll('[data-role=\"question-attachments\"] [data-role=\"attachment\"]')].map(c => c.textContent);",
                    vec![],
                )
                .await?;
            anyhow::ensure!(sent.as_array().is_some_and(|a| a.len() == 2), "{sent}");
            let drafted = chain
                .eval("return root.querySelectorAll('[data-role=\"attachments\"] [data-role=\"attachment\"]').length;", vec![])
                .await?;
            anyhow::ensure!(drafted == 0, "the draft's chips went with the question");

            let requests = chain.provider.requests();
            let body = &requests.last().expect("the provider was asked").body;
            let images = parts_of_type(body, "input_image");
            anyhow::ensure!(images.len() == 1, "{body}");
            anyhow::ensure!(
                images[0]["image_url"] == "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==",
                "{}",
                images[0]
            );
            let texts: Vec<&str> = parts_of_type(body, "input_text")
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect();
            anyhow::ensure!(
                texts.iter().any(|t| t.contains("notes.md") && t.contains("region west: 42")),
                "{texts:?}"
            );
            anyhow::ensure!(!texts.iter().any(|t| t.contains("extra.csv")), "the removed file stayed home");
            // Kept with the thread: after a reload the question shows its files again.
            chain.open("/").await?;
            chain.wait_ready().await?;
            chain
                .wait(
                    "the stored question's chips",
                    "return root.querySelectorAll('[data-role=\"question-attachments\"] [data-role=\"attachment\"]').length === 2;",
                    20,
                )
                .await?;
            Ok(())
        })
        .await
}

#[tokio::test]
async fn a_hosted_tool_toggle_sends_the_tool_and_its_call_is_a_tool_card() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig {
        edge_env: vec![("HOSTED_TOOLS", r#"{"web_search":"*"}"#)],
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain.wait_ready().await?;
            chain
                .wait(
                    "the web search toggle",
                    "return !!root.querySelector('[data-role=\"hosted-tools\"]:not([hidden]) input[data-hosted-tool=\"web_search\"]');",
                    20,
                )
                .await?;
            chain.click("input[data-hosted-tool=\"web_search\"]").await?;
            chain.ask("Please search the web for Pomerium", false).await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["tools"] == json!(["done"]), "{end}");
            let card = chain
                .eval(
                    "const card = root.querySelector('[data-author=\"assistant\"] [data-role=\"tool-call\"]');
                     return card && card.textContent;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(card.as_str().is_some_and(|t| t.contains("web_search")), "{card}");
            let requests = chain.provider.requests();
            let tools = &requests.last().expect("asked").body["tools"];
            anyhow::ensure!(
                tools.as_array().is_some_and(|t| t.contains(&json!({"type": "web_search"}))),
                "{tools}"
            );
            Ok(())
        })
        .await
}

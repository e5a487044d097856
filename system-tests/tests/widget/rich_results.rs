//! A rich tool result in the browser, through the real edge (edge tool mode) and the official
//! reference server (`@modelcontextprotocol/server-everything`): `get-tiny-image`'s PNG is
//! drawn inside the call's card from a `data:` URL (decoded by the browser, so really an image),
//! the text parts around it are shown, and the answer goes on with the model's note.

use serde_json::json;
use testkit::pomerium::McpRoute;

use crate::third_party_mcp::everything;
use crate::widget::chain::{Chain, ChainConfig};

#[tokio::test]
async fn the_reference_servers_image_is_drawn_in_the_tool_card() -> anyhow::Result<()> {
    let (_server, url) = everything()?;
    let chain = Chain::start(ChainConfig {
        edge_env: vec![("TOOL_MODE", "edge")],
        mcp_routes: vec![McpRoute {
            name: "Everything".into(),
            upstream: url.trim_end_matches("/mcp").to_owned(),
            connected: true,
            ..McpRoute::default()
        }],
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain
                .wait(
                    "the reference server in the list",
                    "return !!root.querySelector('input[data-server-id=\"everything\"]');",
                    30,
                )
                .await?;
            chain
                .eval(
                    "for (const box of root.querySelectorAll('input[data-server-id]')) {
                       if (box.checked !== (box.dataset.serverId === 'everything')) box.click();
                     }
                     const input = root.querySelector('textarea[data-role=\"input\"]');
                     input.value = arguments[0];
                     input.dispatchEvent(new Event('input', { bubbles: true }));
                     root.querySelector('button[data-role=\"send\"]').click();
                     return true;",
                    vec![json!("Please call the tool everything__get-tiny-image")],
                )
                .await?;
            let answer = chain.answer(60).await?;
            anyhow::ensure!(answer["complete"] == "true", "{answer}");
            let image = chain
                .wait(
                    "the image in the tool card, decoded",
                    "const card = root.querySelector('[data-role=\"tool-call\"][data-tool=\"get-tiny-image\"]');
                     const img = card?.querySelector('img[data-role=\"part-image\"]');
                     return img && img.complete && img.naturalWidth > 0 && {
                       src: img.getAttribute('src').slice(0, 22), width: img.naturalWidth,
                       alt: img.alt, text: card.textContent };",
                    30,
                )
                .await?;
            anyhow::ensure!(image["src"] == "data:image/png;base64,", "{image}");
            anyhow::ensure!(image["width"].as_u64().is_some_and(|w| w > 0), "{image}");
            anyhow::ensure!(
                image["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("image you requested")),
                "{image}"
            );
            chain.screenshot("rich-result-image").await?;
            Ok(())
        })
        .await
}

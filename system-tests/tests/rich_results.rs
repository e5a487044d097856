//! Rich tool results in edge tool mode, through the real edge, against the official reference
//! server (`@modelcontextprotocol/server-everything`): its image comes to the client as an
//! inline image part (and to the model as a short note), its resource links as references
//! (their `demo://` URIs are not web links).

use protocol::{ResultPart, StreamEvent};
use serde_json::json;
use testkit::chain::{Chain, ChainConfig, Northwind};
use testkit::pomerium::{FakePomeriumConfig, McpRoute};
use testkit::provider::{FakeProvider, Script};

use crate::third_party_mcp::everything;
use crate::tool_mode::{ask, text_of};

/// Asks the edge (edge tool mode, the reference server as the user's one server "everything")
/// to `call the tool <function>`; the answer's events.
async fn call_tool(name: &str, function: &str) -> anyhow::Result<Vec<StreamEvent>> {
    let (_server, url) = everything()?;
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = Chain::start(
        &provider.base_url(),
        ChainConfig {
            northwind: Northwind::None,
            edge_env: vec![
                ("OPENAI_API_KEY".into(), "sk-test".into()),
                ("TOOL_MODE".into(), "edge".into()),
            ],
            pomerium: FakePomeriumConfig {
                mcp_routes: vec![McpRoute {
                    name: "Everything".into(),
                    upstream: url.trim_end_matches("/mcp").to_owned(),
                    ..McpRoute::default()
                }],
                ..FakePomeriumConfig::default()
            },
            ..ChainConfig::new(name, &[])
        },
    )
    .await?;
    let body = json!({
        "messages": [{"role": "user", "content": format!("Please call the tool {function}")}],
        "servers": ["everything"],
    });
    ask(&format!("{}/api/chat", chain.pomerium.base_url()), body).await
}

fn result(events: &[StreamEvent]) -> (&str, &[ResultPart]) {
    events
        .iter()
        .find_map(|e| match e {
            StreamEvent::ToolCallResult { output, parts, .. } => {
                Some((output.as_str(), parts.as_slice()))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no result: {events:?}"))
}

#[tokio::test]
async fn an_image_result_reaches_the_client_inline_and_the_model_as_a_note() -> anyhow::Result<()> {
    let events = call_tool("rich_image", "everything__get-tiny-image").await?;
    let (output, parts) = result(&events);
    assert!(
        matches!(parts, [
            ResultPart::Text { text: before },
            ResultPart::Image { mime_type, data },
            ResultPart::Text { .. },
        ] if before.contains("image you requested") && mime_type == "image/png" && data.starts_with("iVBORw0KGgo")),
        "{parts:?}"
    );
    assert!(
        output.contains("[image image/png, ") && output.contains("shown to the user]"),
        "{output}"
    );
    assert!(
        !output.contains("iVBORw0KGgo"),
        "no image data to the model"
    );
    assert!(text_of(&events).contains("shown to the user"), "{events:?}");
    assert!(matches!(events.last(), Some(StreamEvent::Done { .. })));
    Ok(())
}

#[tokio::test]
async fn resource_links_that_are_not_web_links_are_references() -> anyhow::Result<()> {
    let events = call_tool("rich_links", "everything__get-resource-links").await?;
    let (output, parts) = result(&events);
    let references: Vec<&str> = parts
        .iter()
        .filter_map(|p| match p {
            ResultPart::Reference { uri, .. } => Some(uri.as_str()),
            _ => None,
        })
        .collect();
    assert!(references.len() >= 3, "{parts:?}");
    assert!(
        references.iter().all(|u| u.starts_with("demo://")),
        "{parts:?}"
    );
    assert!(!parts.iter().any(|p| matches!(p, ResultPart::Link { .. })));
    assert!(output.contains("[resource: "), "{output}");
    Ok(())
}

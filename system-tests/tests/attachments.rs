//! Attachments and hosted tools through the real edge and the fake provider: a question's
//! image and text file reach the provider as its input parts (Responses `input_image`, Chat
//! Completions `image_url`, the text file as text) in hosted mode and in edge mode with either
//! API; hosted tools are offered as the edge's `hosted_tools` setting says, go to the provider
//! as its own tools, and their calls come back as tool cards; a setting that does not parse
//! offers nothing and refuses.

use protocol::{ModelList, StreamEvent};
use serde_json::{Value, json};
use testkit::provider::{FakeProvider, Script, parts_of_type};

use crate::support::{client, northwind_chain};
use crate::tool_mode::{QUESTION, ask};

/// The smallest PNG signature as a `data:` URL.
const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==";
/// `region,total\nwest,42\n` as a CSV `data:` URL.
const CSV: &str = "data:text/csv;base64,cmVnaW9uLHRvdGFsCndlc3QsNDIK";

fn with_files() -> Value {
    json!({"messages":[{"role":"user","content":QUESTION,"attachments":[
        {"name":"chart.png","data":PNG},{"name":"regions.csv","data":CSV}]}],
        "servers":["northwind"]})
}

#[tokio::test]
async fn attachments_reach_the_provider_as_its_input_parts_in_every_mode() -> anyhow::Result<()> {
    for (name, env, image_kind) in [
        (
            "attach_hosted",
            vec![("TOOL_MODE", "hosted")],
            "input_image",
        ),
        (
            "attach_edge_resp",
            vec![("TOOL_MODE", "edge")],
            "input_image",
        ),
        (
            "attach_edge_chat",
            vec![("TOOL_MODE", "edge"), ("PROVIDER", "chat_completions")],
            "image_url",
        ),
    ] {
        let provider = FakeProvider::start(Script::default()).await?;
        let chain = northwind_chain(&provider, name, &env).await?;
        let events = ask(
            &format!("{}/api/chat", chain.pomerium.base_url()),
            with_files(),
        )
        .await?;
        assert!(
            matches!(events.last(), Some(StreamEvent::Done { .. })),
            "{name}: {events:?}"
        );
        let requests = provider.requests();
        let body = &requests.first().expect("the provider was asked").body;
        let images = parts_of_type(body, image_kind);
        assert_eq!(images.len(), 1, "{name}: {body}");
        let url = images[0]["image_url"]
            .as_str()
            .or(images[0]["image_url"]["url"].as_str());
        assert_eq!(url, Some(PNG), "{name}");
        let text_kind = if image_kind == "image_url" {
            "text"
        } else {
            "input_text"
        };
        let texts: Vec<&str> = parts_of_type(body, text_kind)
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect();
        assert!(
            texts
                .iter()
                .any(|t| t.contains("regions.csv") && t.contains("west,42")),
            "{name}: the CSV goes as text: {texts:?}"
        );
    }
    Ok(())
}

async fn models(chain: &testkit::chain::Chain) -> anyhow::Result<ModelList> {
    let url = format!("{}/api/models", chain.pomerium.base_url());
    Ok(client().get(url).send().await?.json().await?)
}

#[tokio::test]
async fn hosted_tools_are_offered_as_configured_and_their_calls_are_tool_cards()
-> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let setting = r#"{"web_search":"*","code_interpreter":["gpt-4.1"]}"#;
    let env = [("TOOL_MODE", "hosted"), ("HOSTED_TOOLS", setting)];
    let chain = northwind_chain(&provider, "hosted_tools", &env).await?;
    let list = models(&chain).await?;
    let offer = |name: &str| list.hosted_tools.iter().find(|o| o.name == name).cloned();
    assert_eq!(
        offer("web_search").map(|o| o.models),
        Some(list.models.clone())
    );
    assert_eq!(
        offer("code_interpreter").map(|o| o.models),
        Some(vec!["gpt-4.1".to_owned()])
    );

    let chat_url = format!("{}/api/chat", chain.pomerium.base_url());
    let body = json!({"messages":[{"role":"user","content":"Please search the web for Pomerium"}],
                      "hosted_tools":["web_search"]});
    let events = ask(&chat_url, body).await?;
    let sent = &provider.requests()[0].body;
    assert!(
        sent["tools"]
            .as_array()
            .is_some_and(|t| t.contains(&json!({"type":"web_search"}))),
        "{sent}"
    );
    let started = events.iter().find_map(|e| match e {
        StreamEvent::ToolCallStarted {
            call_id,
            server,
            tool,
        } => Some((call_id, server, tool)),
        _ => None,
    });
    let (call_id, server, tool) = started.expect("a tool card for the search");
    assert_eq!((server.as_str(), tool.as_str()), ("provider", "web_search"));
    assert!(events.iter().any(|e| matches!(e,
        StreamEvent::ToolCallResult { call_id: id, output, .. } if id == call_id && output.contains("pomerium.com"))));
    assert!(matches!(events.last(), Some(StreamEvent::Done { .. })));

    // Not enabled for the default model: refused before the provider is asked.
    let before = provider.request_count();
    let body = json!({"messages":[{"role":"user","content":"compute it"}],"hosted_tools":["code_interpreter"]});
    let res = client().post(&chat_url).json(&body).send().await?;
    assert_eq!(res.status(), 400);
    let refusal: Value = res.json().await?;
    assert_eq!(refusal["error"]["code"], "hosted_tool_not_enabled");
    assert_eq!(provider.request_count(), before);
    Ok(())
}

#[tokio::test]
async fn a_hosted_tools_setting_that_does_not_parse_offers_nothing_and_refuses()
-> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let env = [("HOSTED_TOOLS", r#"{"web_search":true}"#)];
    let chain = northwind_chain(&provider, "hosted_tools_bad", &env).await?;
    assert!(models(&chain).await?.hosted_tools.is_empty());
    let body = json!({"messages":[{"role":"user","content":"hi"}],"hosted_tools":["web_search"]});
    let res = client()
        .post(format!("{}/api/chat", chain.pomerium.base_url()))
        .json(&body)
        .send()
        .await?;
    assert_eq!(res.status(), 503);
    let refusal: Value = res.json().await?;
    assert_eq!(refusal["error"]["code"], "invalid_configuration");
    assert_eq!(provider.request_count(), 0);
    Ok(())
}

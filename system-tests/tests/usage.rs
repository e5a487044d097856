//! Usage and timing per answer through the real edge: the `done` event carries the provider's
//! token usage (summed over edge mode's rounds) and the edge's timings, in hosted mode and in
//! edge mode with either provider API. The fake provider counts one token per word of the
//! user's message (input) and of what it produced (output); half the input (rounded down) is
//! cached, a third of the output (rounded down) reasoning.

use protocol::{StreamEvent, Usage};
use serde_json::json;
use testkit::provider::{FakeProvider, Script};

use crate::support::northwind_chain;
use crate::tool_mode::{QUESTION, ask, text_of};

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

fn arguments_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCallArgumentsDelta { delta, .. } => Some(delta.as_str()),
            _ => None,
        })
        .collect()
}

/// Asks the sales question of an edge with `env`; gives the events and the `done`'s usage.
async fn answer(name: &str, env: &[(&str, &str)]) -> anyhow::Result<(Vec<StreamEvent>, Usage)> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = northwind_chain(&provider, name, env).await?;
    let body = json!({"messages":[{"role":"user","content":QUESTION}],"servers":["northwind"]});
    let events = ask(&format!("{}/api/chat", chain.pomerium.base_url()), body).await?;
    let usage = match events.last() {
        Some(StreamEvent::Done {
            usage: Some(usage), ..
        }) => *usage,
        other => anyhow::bail!("the answer should end with a done with usage: {other:?}"),
    };
    // The edge's own clocks: a first token, and tools inside the whole.
    assert!(
        usage
            .first_token_ms
            .is_some_and(|first| first <= usage.total_ms),
        "{usage:?}"
    );
    assert!(usage.tool_ms <= usage.total_ms, "{usage:?}");
    Ok((events, usage))
}

fn tokens(usage: &Usage) -> [u64; 4] {
    [
        usage.input_tokens,
        usage.output_tokens,
        usage.reasoning_tokens,
        usage.cached_tokens,
    ]
}

#[tokio::test]
async fn hosted_mode_passes_on_the_providers_usage() -> anyhow::Result<()> {
    let (events, usage) = answer("usage_hosted", &[("TOOL_MODE", "hosted")]).await?;
    let (q, out) = (words(QUESTION), words(&text_of(&events)));
    assert_eq!(tokens(&usage), [q, out, out / 3, q / 2], "{usage:?}");
    Ok(())
}

#[tokio::test]
async fn edge_mode_sums_the_rounds_usage_with_either_api() -> anyhow::Result<()> {
    for (name, env) in [
        ("usage_edge_resp", vec![("TOOL_MODE", "edge")]),
        (
            "usage_edge_chat",
            vec![("TOOL_MODE", "edge"), ("PROVIDER", "chat_completions")],
        ),
    ] {
        let (events, usage) = answer(name, &env).await?;
        // Round one: the question in, the call's arguments out; round two: the answer's text.
        let q = words(QUESTION);
        let (call, text) = (words(&arguments_of(&events)), words(&text_of(&events)));
        assert_eq!(
            tokens(&usage),
            [2 * q, call + text, call / 3 + text / 3, 2 * (q / 2)],
            "{name}: {usage:?}"
        );
    }
    Ok(())
}

//! Issue 17: past its instance pool the runtime refuses a chat before the edge runs (a bare
//! 5xx); the widget shows "the chat is busy, retrying", keeps the question, and sends it again
//! with backoff until capacity frees up and the answer arrives.
//!
//! The edge runs with a deliberately tiny pool ([`POOL`] answers); the test fills it with chats
//! the provider holds open, checks that one more is refused with a 5xx that is not the edge's
//! JSON, then asks in Chromium and waits for the answer once the held chats end.

use std::time::Duration;

use futures_util::StreamExt;
use testkit::provider::Script;

use crate::widget::chain::{Chain, ChainConfig, eventually};

/// Answers the tiny pool holds at once (more than the browser's parallel page loads).
const POOL: usize = 8;
/// How long the provider holds each answer open after its first words.
const HOLD: Duration = Duration::from_secs(8);

/// `wasmtime serve` flags for a pool of [`POOL`] instances of the edge: component instances
/// are the limit; core instances, memories and tables get room to spare.
const TINY_POOL: &[&str] = &[
    "-O",
    "pooling-allocator=y",
    "-O",
    "pooling-total-component-instances=8",
    "-O",
    "pooling-total-core-instances=64",
    "-O",
    "pooling-total-memories=64",
    "-O",
    "pooling-total-tables=64",
    "-O",
    "pooling-total-stacks=8",
];

fn held_answer() -> Script {
    use testkit::frames::event as frame;
    Script::Transcript(vec![
        (
            Duration::ZERO,
            frame(&serde_json::json!({"type":"response.created","response":{"id":"resp_held"}})),
        ),
        (
            Duration::ZERO,
            frame(&serde_json::json!({"type":"response.output_text.delta","delta":"Held answer."})),
        ),
        (
            HOLD,
            frame(&serde_json::json!({"type":"response.completed","response":{"id":"resp_held"}})),
        ),
    ])
}

#[tokio::test]
async fn a_full_runtime_is_retried_by_the_widget_until_capacity_frees() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig {
        script: held_answer(),
        edge_runtime: TINY_POOL.to_vec(),
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            let http = reqwest::Client::builder().no_proxy().build()?;
            let url = chain.url("/api/chat");
            let chat = |content: &str| {
                http.post(&url)
                    .header("content-type", "application/json")
                    .header("accept", "text/event-stream")
                    .body(format!(
                        r#"{{"messages":[{{"role":"user","content":"{content}"}}]}}"#
                    ))
                    .send()
            };
            // Fill the pool with answers the provider holds open.
            let held: Vec<_> = (0..POOL)
                .map(|i| {
                    let request = chat(&format!("held {i}"));
                    tokio::spawn(async move {
                        let response = request.await?;
                        anyhow::ensure!(
                            response.status() == 200,
                            "held chat: {}",
                            response.status()
                        );
                        let mut body = response.bytes_stream();
                        let mut text = Vec::new();
                        while let Some(chunk) = body.next().await {
                            text.extend_from_slice(&chunk?);
                        }
                        Ok(String::from_utf8_lossy(&text).into_owned())
                    })
                })
                .collect();
            eventually("the pool to be full", 30, || {
                chain.provider.open_streams() == POOL
            })
            .await?;

            // One more is refused by the runtime itself: a 5xx without the edge's JSON.
            let refused = chat("one too many").await?;
            let status = refused.status().as_u16();
            let body = refused.text().await?;
            anyhow::ensure!(
                (500..600).contains(&status) && !body.contains("\"error\""),
                "past the pool: {status} {body:?}"
            );

            // The widget's chat is refused too, says so, and waits.
            chain.ask("Is anyone there?", false).await?;
            let note = chain
                .wait(
                    "the busy note",
                    "return root.querySelector('[data-role=\"busy\"]')?.textContent;",
                    HOLD.as_secs(),
                )
                .await?;
            anyhow::ensure!(
                note.as_str().unwrap_or_default().contains("busy, retrying"),
                "{note}"
            );
            anyhow::ensure!(
                chain.provider.request_count() == POOL,
                "no refused chat reached the provider"
            );

            // The held answers end, capacity frees up, the retry gets the answer.
            for task in held {
                let text = task.await??;
                anyhow::ensure!(
                    text.contains("event: done"),
                    "a held chat did not end: {text}"
                );
            }
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            anyhow::ensure!(end["text"] == "Held answer.", "{end}");
            anyhow::ensure!(chain.last_question().await? == "Is anyone there?");
            let busy_left = chain
                .eval(
                    "return !!root.querySelector('[data-role=\"busy\"]');",
                    vec![],
                )
                .await?;
            anyhow::ensure!(busy_left == false, "the busy note went away");
            anyhow::ensure!(
                chain.provider.request_count() == POOL + 1,
                "the question reached the provider once ({} requests)",
                chain.provider.request_count()
            );
            Ok(())
        })
        .await
}

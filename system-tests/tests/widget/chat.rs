//! Conversation controls end to end: Stop reaches the provider, so does leaving the page, Retry
//! recovers from a provider error, and a reload brings the conversation (and the draft) back.

use serde_json::json;
use testkit::provider::Script;

use crate::widget::chain::{Chain, ChainConfig, eventually};

/// The provider's body for a 503, as OpenAI words it.
const OVERLOADED: &str = r#"{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}"#;

#[tokio::test]
async fn stop_mid_answer_cancels_the_provider_stream() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::slow_model(120)).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            // The stand-in model echoes the question, 12 characters every 120 ms.
            let question = "Tell me everything about our customers. ".repeat(8);
            chain.ask(&question, false).await?;
            chain.partial_answer().await?;
            chain.click("button[data-role=\"stop\"]").await?;
            let end = chain.answer(10).await?;
            anyhow::ensure!(end["complete"] == "stopped", "not stopped: {end}");
            let partial = end["text"].as_str().unwrap_or_default().to_owned();
            anyhow::ensure!(partial.starts_with("You said: Tell me"), "{partial}");
            anyhow::ensure!(
                partial.len() < question.len(),
                "the whole answer came: {partial}"
            );

            // The cancel travels browser -> Pomerium -> edge -> provider.
            eventually("the provider to see the client go", 15, || {
                chain.provider.abandoned_streams() == 1
            })
            .await?;
            anyhow::ensure!(chain.provider.open_streams() == 0);
            anyhow::ensure!(
                chain.answer_text().await? == partial,
                "the partial answer stays as it was"
            );
            Ok(())
        })
        .await
}

#[tokio::test]
async fn leaving_the_page_mid_answer_stops_the_provider() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::slow_model(120)).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            let question = "Tell me everything about our orders. ".repeat(8);
            chain.ask(&question, false).await?;
            chain.partial_answer().await?;

            // The user goes elsewhere: `pagehide` aborts the request, and the abort travels
            // browser -> Pomerium -> edge -> provider.
            chain.browser.client.goto("about:blank").await?;
            eventually("the provider to see the page go", 15, || {
                chain.provider.abandoned_streams() == 1
            })
            .await?;
            anyhow::ensure!(chain.provider.open_streams() == 0);

            // Back on the page: the question and the answer so far, interrupted, retryable.
            chain.open("/").await?;
            let end = chain.answer(10).await?;
            anyhow::ensure!(end["error"] == "stream_interrupted", "{end}");
            let partial = end["text"].as_str().unwrap_or_default();
            anyhow::ensure!(partial.starts_with("You said: Tell me"), "{partial}");
            anyhow::ensure!(chain.last_question().await? == question.trim());
            chain
                .click("[data-role=\"error\"] button[data-role=\"retry\"]")
                .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            anyhow::ensure!(chain.provider.request_count() == 2);
            Ok(())
        })
        .await
}

#[tokio::test]
async fn retry_after_a_provider_error_gets_the_answer() -> anyhow::Result<()> {
    let failing = Script::Status {
        status: 503,
        body: OVERLOADED.to_owned(),
        retry_after: None,
    };
    let chain = Chain::start(ChainConfig {
        script: failing,
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain.ask("What were our sales by year?", true).await?;
            let end = chain.answer(30).await?;
            anyhow::ensure!(end["complete"] == "error", "{end}");
            anyhow::ensure!(end["error"] == "provider_unavailable", "{end}");
            let shown = chain
                .eval(
                    "return root.querySelector('[data-role=\"error\"]').textContent;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(
                shown.as_str().unwrap_or_default().contains("Try again"),
                "a clear message: {shown}"
            );

            chain.provider.set_script(Script::default());
            chain
                .click("[data-role=\"error\"] button[data-role=\"retry\"]")
                .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            anyhow::ensure!(end["tools"] == json!(["done"]), "{end}");
            anyhow::ensure!(
                end["text"].as_str().unwrap_or_default().contains("1997"),
                "{end}"
            );
            anyhow::ensure!(chain.provider.request_count() == 2);
            let shown = chain
                .eval(
                    "return root.querySelectorAll('[data-role=\"message\"]').length;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(shown == json!(2), "one question, one answer: {shown}");
            Ok(())
        })
        .await
}

#[tokio::test]
async fn a_reload_keeps_the_conversation_and_the_draft() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain.ask("What were our sales by year?", true).await?;
            let before = chain.answer(60).await?;
            anyhow::ensure!(before["complete"] == "true", "{before}");
            chain
                .eval(
                    "const input = root.querySelector('textarea[data-role=\"input\"]');
                     input.value = 'And by country?';
                     input.dispatchEvent(new Event('input', { bubbles: true }));
                     return true;",
                    vec![],
                )
                .await?;

            chain.browser.client.refresh().await?;
            chain.wait_ready().await?;
            let after = chain.answer(10).await?;
            anyhow::ensure!(after == before, "restored {after} differs from {before}");
            let restored = chain
                .eval(
                    "return { question: root.querySelector('[data-author=\"user\"]').textContent,
                              draft: root.querySelector('textarea[data-role=\"input\"]').value,
                              ticked: root.querySelector('input[data-server-id=\"northwind\"]').checked };",
                    vec![],
                )
                .await?;
            anyhow::ensure!(
                restored
                    == json!({"question": "What were our sales by year?", "draft": "And by country?", "ticked": true}),
                "{restored}"
            );
            let chats = chain
                .pomerium
                .issued()
                .iter()
                .filter(|t| t.path == "/api/chat")
                .count();
            anyhow::ensure!(chats == 1, "the reload asked nothing again ({chats} chats)");
            Ok(())
        })
        .await
}

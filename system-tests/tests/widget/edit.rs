//! Edit and regenerate end to end: an edited question replaces it and the answers after it (the
//! provider sees the history up to it only), Regenerate asks the last question again, and the
//! host API's `copy(index)` hands over the answer's markdown.

use serde_json::json;

use crate::widget::chain::{Chain, ChainConfig, eventually};

/// The user messages of the provider's request `index`, in order.
pub(crate) fn user_turns(chain: &Chain, index: usize) -> Vec<String> {
    let requests = chain.provider.requests();
    let body = &requests[index].body;
    let input = body["input"].as_array().cloned().unwrap_or_default();
    input
        .iter()
        .filter(|item| item["role"] == "user")
        .map(|item| match &item["content"] {
            serde_json::Value::String(text) => text.clone(),
            parts => parts[0]["text"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn edit_and_regenerate_replace_answers_through_the_real_edge() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain.ask("first question", false).await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["text"] == "You said: first question", "{end}");
            chain.ask("second question", false).await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["text"] == "You said: second question", "{end}");

            // Edit the first question: the second exchange goes, the provider sees one turn.
            chain
                .click("button[data-role=\"edit\"][data-index=\"0\"]")
                .await?;
            let draft = chain
                .eval(
                    "return root.querySelector('textarea[data-role=\"input\"]').value;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(draft == json!("first question"), "{draft}");
            chain.ask("edited question", false).await?;
            chain
                .wait(
                    "one exchange",
                    "return root.querySelectorAll('[data-author=\"user\"]').length === 1;",
                    30,
                )
                .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["text"] == "You said: edited question", "{end}");
            anyhow::ensure!(chain.provider.request_count() == 3);
            anyhow::ensure!(
                user_turns(chain, 2) == ["edited question"],
                "the history up to the edited question: {:?}",
                user_turns(chain, 2)
            );
            anyhow::ensure!(chain.last_question().await? == "edited question");

            // Regenerate: the same question again, in place.
            chain
                .click("button[data-role=\"regenerate\"][data-index=\"0\"]")
                .await?;
            eventually("the provider to be asked again", 30, || {
                chain.provider.request_count() == 4
            })
            .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["text"] == "You said: edited question", "{end}");
            anyhow::ensure!(user_turns(chain, 3) == ["edited question"]);
            let shown = chain
                .eval(
                    "return root.querySelectorAll('[data-role=\"message\"]').length;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(shown == json!(2), "one question, one answer: {shown}");

            // The host API copies the markdown source and says so.
            let copied = chain
                .eval(
                    "const chat = document.querySelector('pomerium-chat');
                     let seen = null;
                     chat.addEventListener('pomerium-chat:copy', (e) => { seen = e.detail; });
                     const taken = chat.copy(0);
                     return { taken, seen };",
                    vec![],
                )
                .await?;
            anyhow::ensure!(
                copied
                    == json!({"taken": true, "seen": {"index": 0, "content": "You said: edited question"}}),
                "{copied}"
            );
            Ok(())
        })
        .await
}

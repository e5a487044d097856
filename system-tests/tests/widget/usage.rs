//! Usage and timing per answer in Chromium through the real edge: the answer offers a collapsed
//! usage disclosure with the provider's tokens and the edge's timings, and the host page's
//! `pomerium-chat:message` event carries the same numbers.

use serde_json::json;

use crate::widget::chain::{Chain, ChainConfig};

#[tokio::test]
async fn an_answer_shows_its_usage_on_demand_and_tells_the_page() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain
                .eval(
                    "window.__usage = undefined;
                     document.querySelector('pomerium-chat').addEventListener(
                       'pomerium-chat:message',
                       (e) => { if (e.detail.role === 'assistant') window.__usage = e.detail.usage; });
                     return true;",
                    vec![],
                )
                .await?;
            chain.ask("usage question please", false).await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["text"] == "You said: usage question please", "{end}");
            // The fake counts a token per word: 3 in (1 cached), 5 out (1 reasoning).
            let shown = chain
                .eval(
                    "const box = root.querySelector('[data-author=\"assistant\"] details[data-role=\"usage\"]');
                     if (!box) return null;
                     const closed = !box.open;
                     box.querySelector('summary').click();
                     return { closed, open: box.open,
                              summary: box.querySelector('summary').textContent,
                              line: box.querySelector('p').textContent,
                              visible: box.querySelector('p').getBoundingClientRect().height > 0 };",
                    vec![],
                )
                .await?;
            anyhow::ensure!(shown["closed"] == true && shown["open"] == true, "{shown}");
            anyhow::ensure!(shown["summary"] == "Usage" && shown["visible"] == true, "{shown}");
            let line = shown["line"].as_str().unwrap_or_default();
            anyhow::ensure!(
                line.starts_with("Tokens: 3 in (1 cached), 5 out (1 reasoning). First token "),
                "{line}"
            );
            let usage = chain.eval("return window.__usage;", vec![]).await?;
            anyhow::ensure!(
                usage["input_tokens"] == json!(3)
                    && usage["cached_tokens"] == json!(1)
                    && usage["output_tokens"] == json!(5)
                    && usage["reasoning_tokens"] == json!(1)
                    && usage["tool_ms"] == json!(0),
                "{usage}"
            );
            let (first, total) = (usage["first_token_ms"].as_u64(), usage["total_ms"].as_u64());
            anyhow::ensure!(
                first.zip(total).is_some_and(|(f, t)| f <= t),
                "timings: {usage}"
            );
            anyhow::ensure!(
                line.contains(&format!("total {} ms", total.unwrap_or_default())),
                "{line}"
            );
            Ok(())
        })
        .await
}

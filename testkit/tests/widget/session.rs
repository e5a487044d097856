//! The 401 path end to end: the session ends, the widget says "sign in", the user signs in in a
//! popup on the edge's origin, and the refused question goes through without being asked again.

use fantoccini::Locator;

use crate::widget::chain::{Chain, ChainConfig};

#[tokio::test]
async fn signing_in_in_a_popup_sends_the_refused_question() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig {
        sign_in: true,
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            // Loading the page signs in (the stand-in identity provider answers at once).
            chain.open("/").await?;
            let main = chain.browser.client.window().await?;

            // The session ends: the next question gets 401.
            chain.browser.client.delete_all_cookies().await?;
            chain.ask("What were our sales by year?", true).await?;
            let end = chain.answer(30).await?;
            anyhow::ensure!(end["error"] == "unauthorized", "{end}");
            anyhow::ensure!(
                chain.pomerium.refused().iter().any(|p| p == "/api/chat"),
                "Pomerium refused the chat"
            );
            anyhow::ensure!(chain.provider.request_count() == 0);

            // A real click (user activation) on the sign-in link opens the popup.
            let host = chain
                .browser
                .client
                .find(Locator::Css("pomerium-chat"))
                .await?;
            let link = host
                .shadow_root()
                .await?
                .find(Locator::Css("a[data-role=\"sign-in\"]"))
                .await?;
            link.click().await?;
            let client = &chain.browser.client;
            let mut windows = client.windows().await?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while windows.len() < 2 && std::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                windows = client.windows().await?;
            }
            anyhow::ensure!(windows.len() == 2, "a popup opened ({} windows)", windows.len());

            // Once the popup has signed in, the widget asks again by itself.
            let text = chain
                .wait(
                    "the retried answer",
                    "const msgs = root.querySelectorAll('[data-author=\"assistant\"]');
                     const last = msgs[msgs.length - 1];
                     return last.dataset.complete === 'true' ? last.querySelector('[data-role=\"text\"]').textContent : null;",
                    60,
                )
                .await?;
            anyhow::ensure!(
                text.as_str().unwrap_or_default().contains("1997"),
                "the answer: {text}"
            );
            anyhow::ensure!(chain.provider.request_count() == 1);
            let questions = chain
                .eval(
                    "return root.querySelectorAll('[data-author=\"user\"]').length;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(questions == 1, "asked once: {questions}");

            for window in windows {
                if window != main {
                    chain.browser.client.switch_to_window(window).await?;
                    chain.browser.client.close_window().await?;
                }
            }
            chain.browser.client.switch_to_window(main).await?;
            Ok(())
        })
        .await
}

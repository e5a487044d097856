//! The 401 path end to end: the session ends, the widget says "sign in", the user signs in in a
//! popup on the edge's origin that lands on "Signed in, you can close this window" and closes
//! itself, and the refused question goes through without being asked again.

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

            // A real click (user activation) on the sign-in link opens the popup; the page
            // keeps a handle on it to see it close.
            chain
                .browser
                .eval(
                    "window.__popups = [];
                     const open = window.open;
                     window.open = function (...args) {
                       const popup = open.apply(this, args);
                       window.__popups.push(popup);
                       return popup;
                     };
                     return true;",
                    vec![],
                )
                .await?;
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

            // Pomerium signs the popup in and sends it back to the edge's "signed in" page,
            // which closes its window.
            chain
                .browser
                .wait_for(
                    "the popup to close itself",
                    "return window.__popups.length === 1 && window.__popups[0].closed;",
                    std::time::Duration::from_secs(20),
                )
                .await?;
            anyhow::ensure!(
                chain
                    .pomerium
                    .issued()
                    .iter()
                    .any(|t| t.path == "/signed-in.html"),
                "the popup landed on the signed-in page"
            );
            anyhow::ensure!(chain.browser.client.windows().await?.len() == 1);

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

            // Opened by hand (not by a script), the page cannot close itself and says why.
            chain.browser.client.goto(&chain.url("/signed-in.html")).await?;
            let said = chain
                .browser
                .wait_for(
                    "the signed-in page",
                    "return document.querySelector('[data-role=\"signed-in\"]')?.textContent;",
                    std::time::Duration::from_secs(10),
                )
                .await?;
            anyhow::ensure!(said == "Signed in, you can close this window", "{said}");
            anyhow::ensure!(chain.browser.client.window().await? == main);
            Ok(())
        })
        .await
}

//! Storage per signed-in user, end to end (issue 11, item 8): the real edge names the user
//! Pomerium's assertion names (`GET /api/me`), the widget shows them, and when the fake
//! Pomerium switches to another user, the first user's conversation is gone from the page and
//! from `localStorage`, after a reload and in an open page alike.

use serde_json::json;
use testkit::pomerium::User;

use crate::widget::chain::{Chain, ChainConfig};

/// Everything in the page's `localStorage`, keys and values.
const STORED: &str = "return JSON.stringify(Object.entries(localStorage));";

#[tokio::test]
async fn another_users_sign_in_leaves_nothing_of_the_first() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.pomerium.set_user(User::named("ann"));
            chain.open("/").await?;
            wait_user(chain, "Signed in as Test User ann").await?;
            chain.ask("Remember the word pelican", false).await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            let stored = chain.browser.eval(STORED, vec![]).await?;
            anyhow::ensure!(
                stored.to_string().contains("pelican"),
                "Ann's chat is stored: {stored}"
            );

            // Bob signs in on the same browser and loads the page.
            chain.pomerium.set_user(User::named("bob"));
            chain.open("/").await?;
            wait_user(chain, "Signed in as Test User bob").await?;
            nothing_left_of(chain, "pelican").await?;

            // In an open page: Bob's chat, then Carol is signed in; a refresh finds out.
            chain.ask("Remember the word flamingo", false).await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            chain.pomerium.set_user(User::named("carol"));
            chain.click("button[data-role=\"refresh\"]").await?;
            wait_user(chain, "Signed in as Test User carol").await?;
            nothing_left_of(chain, "flamingo").await?;
            Ok(())
        })
        .await
}

/// Fails unless the log is empty and `word` (from the previous user's chat) is nowhere in
/// `localStorage`.
async fn nothing_left_of(chain: &Chain, word: &str) -> anyhow::Result<()> {
    let messages = chain
        .eval(
            "return root.querySelectorAll('[data-role=\"message\"]').length;",
            vec![],
        )
        .await?;
    anyhow::ensure!(
        messages == json!(0),
        "{messages} messages of the previous user are shown"
    );
    let stored = chain.browser.eval(STORED, vec![]).await?;
    anyhow::ensure!(
        !stored.to_string().contains(word),
        "the previous user's chat is still stored: {stored}"
    );
    Ok(())
}

/// Waits until the header says `want` about who is signed in.
async fn wait_user(chain: &Chain, want: &str) -> anyhow::Result<()> {
    chain
        .wait(
            want,
            &format!(
                "return root.querySelector('[data-role=\"user-name\"]')?.textContent === {};",
                json!(want)
            ),
            30,
        )
        .await?;
    Ok(())
}

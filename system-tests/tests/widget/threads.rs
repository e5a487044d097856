//! Threads end to end, in launcher mode on a 360 px screen: New chat keeps the conversation,
//! the list (opened by keyboard) switches back to it, the next question there carries its
//! history only, a reload keeps both, and axe finds nothing wrong with the open list.

use serde_json::json;

use crate::widget::accessibility::{audit, axe_script};
use crate::widget::chain::{Chain, ChainConfig, eventually};
use crate::widget::edit::user_turns;

/// The listed threads' titles, `*` on the current one, in page scripts.
const LISTED: &str =
    "return [...root.querySelectorAll('[data-role=\"threads\"] button[data-role=\"thread\"]')]
    .map(b => b.textContent + (b.getAttribute('aria-current') === 'true' ? '*' : ''));";

#[tokio::test]
async fn threads_switch_and_survive_a_reload_in_a_small_launcher() -> anyhow::Result<()> {
    let axe = axe_script()?;
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.browser.client.set_window_size(360, 740).await?;
            chain.open("/launcher.html").await?;
            chain
                .eval("host.open(); host.send('alpha question'); return true;", vec![])
                .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["text"] == "You said: alpha question", "{end}");
            chain.click("button[data-role=\"new-chat\"]").await?;
            chain.eval("host.send('beta question'); return true;", vec![]).await?;
            chain
                .wait(
                    "the second thread's answer",
                    "const a = root.querySelector('[data-author=\"assistant\"]');
                     return !!a && a.dataset.complete === 'true';",
                    60,
                )
                .await?;

            // The keyboard opens the list and picks the first thread.
            chain
                .eval(
                    "root.querySelector('button[data-role=\"threads-toggle\"]').focus(); return true;",
                    vec![],
                )
                .await?;
            chain.press(None, "\u{e007}").await?; // Enter
            chain
                .wait(
                    "the list",
                    "return !root.querySelector('[data-role=\"threads\"]').hidden;",
                    10,
                )
                .await?;
            let listed = chain.eval(LISTED, vec![]).await?;
            anyhow::ensure!(listed == json!(["beta question*", "alpha question"]), "{listed}");
            let fits = chain
                .eval(
                    "const list = root.querySelector('[data-role=\"threads\"]');
                     const panel = root.querySelector('[data-role=\"panel\"]').getBoundingClientRect();
                     return list.scrollWidth <= list.clientWidth && Math.round(panel.width) === innerWidth
                         && document.documentElement.scrollWidth <= innerWidth;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(fits == json!(true), "the list does not fit 360 px");
            audit(chain, &axe, "the list of chats, launcher at 360 px").await?;
            chain
                .eval(
                    "root.querySelector('button[data-role=\"thread\"][data-thread-id=\"t1\"]').focus(); return true;",
                    vec![],
                )
                .await?;
            chain.press(None, "\u{e007}").await?;
            chain
                .wait(
                    "the first thread",
                    "const q = [...root.querySelectorAll('[data-author=\"user\"]')].map(m => m.textContent);
                     return q.length === 1 && q[0] === 'alpha question';",
                    10,
                )
                .await?;

            // The next question there carries that thread's history only.
            chain.eval("host.send('alpha follow-up'); return true;", vec![]).await?;
            eventually("the provider to be asked", 30, || {
                chain.provider.request_count() == 3
            })
            .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["text"] == "You said: alpha follow-up", "{end}");
            let turns = user_turns(chain, 2);
            anyhow::ensure!(
                turns == ["alpha question", "alpha follow-up"],
                "{turns:?}"
            );

            // A reload keeps both threads, the current one shown.
            chain.browser.client.refresh().await?;
            chain.wait_ready().await?;
            chain.eval("host.open(); return true;", vec![]).await?;
            chain.click("button[data-role=\"threads-toggle\"]").await?;
            let listed = chain.eval(LISTED, vec![]).await?;
            anyhow::ensure!(listed == json!(["alpha question*", "beta question"]), "{listed}");
            anyhow::ensure!(chain.last_question().await? == "alpha follow-up");

            // Escape closes the list (not the launcher) and gives the focus back to its button.
            chain.press(None, "\u{e00c}").await?; // Escape
            chain
                .wait(
                    "the list closed, the focus on its button, the launcher still open",
                    "return root.querySelector('[data-role=\"threads\"]').hidden
                         && root.activeElement === root.querySelector('button[data-role=\"threads-toggle\"]')
                         && !root.querySelector('[data-role=\"panel\"]').hidden;",
                    10,
                )
                .await?;
            Ok(())
        })
        .await
}

//! Embedding end to end: the loader's hand-over, launcher mode on a page that drives the widget
//! through its host API and lists its events, and screenshots a person can look at (light, dark, 360 px wide).

use serde_json::{Value, json};

use crate::widget::chain::{Chain, ChainConfig};

/// Starts recording the widget's events in `window.__events`.
const RECORD_EVENTS: &str = "window.__events = [];
    for (const name of ['message', 'error', 'open', 'close']) {
      document.addEventListener('pomerium-chat:' + name, (e) =>
        window.__events.push([name, e.detail.role ?? null, e.detail.status ?? null]));
    }
    return true;";

/// The loader defines the element before the wasm runs and sends the widget's first GETs while
/// it loads; the widget uses those answers instead of asking again (issue 15).
#[tokio::test]
async fn the_loader_starts_the_first_requests_and_hands_over() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            let seen = chain
                .eval(
                    "const count = (path) => performance.getEntriesByType('resource')
                       .filter((e) => new URL(e.name).pathname === path).length;
                     const running = performance.getEntriesByName('pomerium-chat:running')[0];
                     const first = (path) => performance.getEntriesByType('resource')
                       .find((e) => new URL(e.name).pathname === path);
                     return { me: count('/api/me'), servers: count('/api/servers'),
                              models: count('/api/models'),
                              shell: typeof customElements.get('pomerium-chat').attach,
                              early: first('/api/servers').startTime < running.startTime };",
                    vec![],
                )
                .await?;
            anyhow::ensure!(
                seen == json!({"me": 1, "servers": 1, "models": 1, "shell": "function", "early": true}),
                "{seen}"
            );
            Ok(())
        })
        .await
}

#[tokio::test]
async fn launcher_mode_and_the_host_api() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.open("/launcher.html").await?;
            chain.eval(RECORD_EVENTS, vec![]).await?;
            let closed = chain
                .eval(
                    "return { panel: root.querySelector('[data-role=\"panel\"]').hidden,
                              bubble: !root.querySelector('[data-role=\"launcher\"]').hidden,
                              fixed: getComputedStyle(host).position };",
                    vec![],
                )
                .await?;
            anyhow::ensure!(
                closed == json!({"panel": true, "bubble": true, "fixed": "fixed"}),
                "{closed}"
            );

            // The page's button calls open() and send(text).
            chain
                .browser
                .eval(
                    "document.querySelector('[data-ask]').click(); return true;",
                    vec![],
                )
                .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            let open = chain
                .eval(
                    "return !root.querySelector('[data-role=\"panel\"]').hidden;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(open == json!(true), "send() opened the panel");

            // close() from the page, then the events the page saw.
            chain
                .browser
                .eval(
                    "document.querySelector('[data-chat=\"close\"]').click(); return true;",
                    vec![],
                )
                .await?;
            chain.panel_closed().await?;
            let events = chain.browser.eval("return window.__events;", vec![]).await?;
            anyhow::ensure!(
                events
                    == json!([
                        ["open", null, null],
                        ["message", "user", null],
                        ["message", "assistant", "complete"],
                        ["close", null, null]
                    ]),
                "{events}"
            );
            let listed = chain
                .browser
                .eval(
                    "return [...document.querySelectorAll('[data-role=\"events\"] li')].map(li => li.textContent.split(' · ')[0]);",
                    vec![],
                )
                .await?;
            anyhow::ensure!(
                listed == json!(["open", "message", "message", "close"]),
                "the demo page's list: {listed}"
            );

            // clear() starts a new chat.
            chain
                .browser
                .eval(
                    "document.querySelector('[data-chat=\"clear\"]').click(); return true;",
                    vec![],
                )
                .await?;
            chain
                .wait(
                    "an empty conversation",
                    "return root.querySelectorAll('[data-role=\"message\"]').length === 0;",
                    10,
                )
                .await?;
            Ok(())
        })
        .await
}

#[tokio::test]
async fn screenshots_light_dark_launcher_and_360px() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            // Light: the demo page with a finished answer (tool cards, a table).
            chain.open("/").await?;
            chain.ask("What were our sales by year?", true).await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            chain.screenshot("light").await?;

            // Dark: the same conversation in a dark page.
            chain
                .eval(
                    "document.documentElement.dataset.theme = 'dark'; host.setAttribute('theme', 'dark'); return true;",
                    vec![],
                )
                .await?;
            let background = chain
                .eval(
                    "return getComputedStyle(root.querySelector('[data-role=\"panel\"]')).backgroundColor;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(background == json!("rgb(30, 30, 36)"), "{background}");
            chain.screenshot("dark").await?;

            // The launcher on a wide page: the bubble in the corner, the panel above it.
            chain.open("/launcher.html").await?;
            chain.eval("host.open(); return true;", vec![]).await?;
            let corner = chain
                .eval(
                    "const panel = root.querySelector('[data-role=\"panel\"]').getBoundingClientRect();
                     const bubble = root.querySelector('[data-role=\"launcher\"]').getBoundingClientRect();
                     const ok = panel.bottom <= bubble.top && Math.abs(panel.right - bubble.right) < 1
                         && innerWidth - bubble.right < 40 && innerHeight - bubble.bottom < 40;
                     return ok || JSON.stringify({ panel, bubble, w: innerWidth, h: innerHeight });",
                    vec![],
                )
                .await?;
            anyhow::ensure!(corner == json!(true), "the launcher is not in the corner: {corner}");
            chain.screenshot("launcher").await?;

            // 360 px wide: the launcher panel takes the whole screen, the composer in view.
            chain.browser.client.set_window_size(360, 740).await?;
            chain.open("/launcher.html").await?;
            chain
                .eval(
                    "host.clear(); host.open(); host.send('What were our sales by year?'); return true;",
                    vec![],
                )
                .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            let layout: Value = chain
                .eval(
                    "const panel = root.querySelector('[data-role=\"panel\"]').getBoundingClientRect();
                     const input = root.querySelector('textarea[data-role=\"input\"]');
                     const box = input.getBoundingClientRect();
                     return { viewport: innerWidth, panel: Math.round(panel.width),
                              composer_in_view: box.bottom <= innerHeight && box.top >= 0,
                              font: getComputedStyle(input).fontSize,
                              overflow: document.documentElement.scrollWidth > innerWidth };",
                    vec![],
                )
                .await?;
            anyhow::ensure!(layout["panel"] == layout["viewport"], "{layout}");
            anyhow::ensure!(layout["composer_in_view"] == json!(true), "{layout}");
            anyhow::ensure!(layout["font"] == json!("16px"), "{layout}");
            anyhow::ensure!(layout["overflow"] == json!(false), "{layout}");
            chain.screenshot("mobile-360").await?;
            Ok(())
        })
        .await
}

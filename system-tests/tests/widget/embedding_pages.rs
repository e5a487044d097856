//! Embedding in real pages, unlike the demo: a page with aggressive global CSS, a page rendered
//! by Vue that re-renders the element's parent, and a right-to-left page.
//!
//! Each page lives on an intranet origin of its own ([`StaticSite`], serving `pages/` and the
//! widget bundle) and calls the edge cross-origin, as README's "Embed it in a page" says. In each,
//! the chat renders, sends, streams, and keeps its conversation through the parent's re-render
//! mid-answer; the computed styles of the widget's insides match those on a plain page (nothing
//! leaks in), and the page's own elements compute the same styles with and without the widget
//! (nothing leaks out). Screenshots go to `target/screenshots/embed-*.png`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use testkit::npm;
use testkit::process::Artifacts;
use testkit::site::{Mount, StaticSite};

use crate::widget::chain::{Chain, ChainConfig, eventually};

/// The Vue release the page is built with (runtime-only ESM browser build, from npm).
const VUE_VERSION: &str = "3.5.45";

/// The question every page asks; its answer has a tool call and a table.
const QUESTION: &str = "What were our sales by year?";

/// Collects computed styles: `read(el)` gives the properties that would show a style leaking
/// through the shadow boundary (everything inherited, plus the box properties a reset touches).
const STYLES: &str = "const PROPS = ['font-family', 'font-size', 'font-weight', 'font-style',
       'font-variant-caps', 'line-height', 'color', '-webkit-text-fill-color', 'background-color',
       'letter-spacing', 'word-spacing', 'text-transform', 'text-align', 'text-indent',
       'text-shadow', 'white-space', 'word-break', 'cursor', 'visibility', 'list-style-type',
       'border-collapse', 'border-spacing', 'box-sizing', 'display', 'padding-top',
       'padding-inline-start', 'margin-top', 'border-top-width', 'border-top-style',
       'border-top-left-radius', 'outline-style', 'direction'];
     const read = (el) => {
       const cs = getComputedStyle(el);
       return Object.fromEntries(PROPS.map((p) => [p, cs.getPropertyValue(p)]));
     };";

/// The widget's insides after an answer, by selector.
const INSIDE: &str = "const parts = ['[data-role=\"panel\"]', '.title', '[data-role=\"log\"]',
       '[data-author=\"user\"]', '[data-author=\"assistant\"] [data-role=\"text\"]',
       '[data-author=\"assistant\"] [data-role=\"text\"] p', 'th', 'td',
       '[data-role=\"tool-call\"]', 'textarea[data-role=\"input\"]',
       'button[data-role=\"send\"]', 'label[data-role=\"server\"]'];
     return Object.fromEntries(parts.map((s) => {
       const el = root.querySelector(s);
       return [s, el ? read(el) : null];
     }));";

/// The page's own elements (`data-probe`), by name.
const PAGE: &str = "return Object.fromEntries([...document.querySelectorAll('[data-probe]')]
       .map((el) => [el.dataset.probe, read(el)]));";

#[tokio::test]
async fn a_page_with_hostile_global_css() -> anyhow::Result<()> {
    let (site, chain) = start(false).await?;
    chain
        .run(async |chain| {
            let (hostile, inside, baseline) =
                beside_the_plain_page(chain, &site, "/article.html", "&hostile").await?;
            same("the widget's insides, hostile page vs plain", &inside, &baseline)?;
            let sizes = chain
                .eval(
                    "const launcher = document.querySelector('pomerium-chat[mode=\"launcher\"]');
                     const bubble = launcher.shadowRoot.querySelector('[data-role=\"launcher\"]')
                         .getBoundingClientRect();
                     return { root: getComputedStyle(document.documentElement).fontSize,
                              transformed: getComputedStyle(document.querySelector('.frame')).transform !== 'none',
                              input: getComputedStyle(root.querySelector('textarea')).fontSize,
                              launcher_in_the_corner: getComputedStyle(launcher).position === 'fixed'
                                  && innerWidth - bubble.right < 40 && innerHeight - bubble.bottom < 40
                                  && bubble.width === 56 };",
                    vec![],
                )
                .await?;
            anyhow::ensure!(
                sizes
                    == json!({"root": "10px", "transformed": true, "input": "16px",
                              "launcher_in_the_corner": true}),
                "the hostile page applies, the widget holds: {sizes}"
            );
            // Tall enough to show the page's reset text and the chat below it.
            chain.browser.client.set_window_size(1280, 1700).await?;
            chain.eval("window.scrollTo(0, 0); return true;", vec![]).await?;
            chain.screenshot("embed-hostile-css").await?;
            page_unchanged(chain, &hostile).await
        })
        .await
}

#[tokio::test]
async fn a_right_to_left_page() -> anyhow::Result<()> {
    let (site, chain) = start(false).await?;
    chain
        .run(async |chain| {
            let (rtl, inside, baseline) =
                beside_the_plain_page(chain, &site, "/rtl.html", "").await?;
            // The one thing the page must pass in: its direction.
            same(
                "the widget's insides, right-to-left page vs plain",
                &without_direction(&inside),
                &without_direction(&baseline),
            )?;
            let mirrored = chain
                .eval(
                    "const log = root.querySelector('[data-role=\"log\"]').getBoundingClientRect();
                     const user = root.querySelector('[data-author=\"user\"]').getBoundingClientRect();
                     const input = root.querySelector('textarea[data-role=\"input\"]').getBoundingClientRect();
                     const send = root.querySelector('button[data-role=\"send\"]').getBoundingClientRect();
                     const question = root.querySelector('[data-author=\"user\"]');
                     return { direction: getComputedStyle(root.querySelector('[data-role=\"panel\"]')).direction,
                              question_on_the_left: user.left - log.left < log.right - user.right,
                              english_reads_left_to_right: getComputedStyle(question).direction,
                              send_left_of_input: send.right <= input.left + 1 };",
                    vec![],
                )
                .await?;
            anyhow::ensure!(
                mirrored
                    == json!({"direction": "rtl", "question_on_the_left": true,
                              "english_reads_left_to_right": "ltr", "send_left_of_input": true}),
                "the chat mirrors: {mirrored}"
            );
            chain.screenshot("embed-rtl").await?;
            page_unchanged(chain, &rtl).await
        })
        .await
}

#[tokio::test]
async fn a_vue_page_that_re_renders_the_chats_parent() -> anyhow::Result<()> {
    let (site, chain) = start(true).await?;
    chain
        .run(async |chain| {
            let url = page_url(chain, &site, "/vue.html", "");
            // Vue re-renders the chat's parent and moves the chat's section (to the end: Vue
            // moves its DOM node) while the answer streams: the same element, the same stream.
            let rerender = "return (async () => {
                   const before = document.querySelector('pomerium-chat');
                   await window.vueApp.tick();
                   await window.vueApp.rotate();
                   await window.vueApp.tick();
                   const after = document.querySelector('pomerium-chat');
                   return after === before && after.isConnected
                       && document.querySelector('main').lastElementChild.classList.contains('chat');
                 })();";
            converse(chain, &url, rerender).await?;
            let first = chain.answer(10).await?;

            // A new generation replaces the section and the element: the conversation is back.
            chain
                .eval(
                    "window.__old = host; return window.vueApp.remount().then(() => true);",
                    vec![],
                )
                .await?;
            chain.wait_ready().await?;
            let replaced = chain
                .eval(
                    "return host !== window.__old && !window.__old.isConnected
                        && document.querySelectorAll('pomerium-chat').length === 1;",
                    vec![],
                )
                .await?;
            anyhow::ensure!(replaced == json!(true), "Vue made a new element");
            anyhow::ensure!(chain.answer(10).await? == first, "the answer is back");
            anyhow::ensure!(chain.last_question().await? == QUESTION);

            // The new element asks once per question (nothing registered twice).
            let asked = chain.provider.request_count();
            chain.ask("Which tables are in the Northwind database?", true).await?;
            let end = chain.answer(90).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            anyhow::ensure!(chain.provider.request_count() == asked + 1);
            ensure_messages(chain, 4).await?;

            // Replaced mid-answer: the new element shows the answer as far as it had come,
            // interrupted and retryable; the old element's request ends, so the provider stops.
            chain.ask(QUESTION, true).await?;
            chain.partial_answer().await?;
            let cut = chain
                .eval(
                    "const text = () => [...document.querySelector('pomerium-chat').shadowRoot
                         .querySelectorAll('[data-author=\"assistant\"] [data-role=\"text\"]')].pop().textContent;
                     const before = text();
                     return window.vueApp.remount().then(() => [before, text()]);",
                    vec![],
                )
                .await?;
            anyhow::ensure!(cut[0] == cut[1] && cut[0] != "", "kept as it was: {cut}");
            let end = chain.answer(10).await?;
            anyhow::ensure!(end["error"] == "stream_interrupted", "{end}");
            eventually("the provider to see the old request go", 20, || {
                chain.provider.abandoned_streams() == 1
            })
            .await?;
            chain.wait_ready().await?;
            chain
                .click("[data-role=\"error\"] button[data-role=\"retry\"]")
                .await?;
            let end = chain.answer(90).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            ensure_messages(chain, 6).await?;
            chain.screenshot("embed-vue").await?;
            page_unchanged(chain, &url).await
        })
        .await
}

/// Starts the intranet site (with Vue under `/vendor/vue/` when `vue`), then the chain with the
/// site's origin allowed and a model slow enough to re-render mid-answer.
async fn start(vue: bool) -> anyhow::Result<(StaticSite, Chain)> {
    let artifacts = Artifacts::from_env()?;
    let pages = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/widget/pages");
    let mut mounts = vec![Mount {
        prefix: "/widget/".into(),
        dir: artifacts.dist.join("widget"),
    }];
    if vue {
        mounts.push(Mount {
            prefix: "/vendor/vue/".into(),
            dir: npm::package("vue", VUE_VERSION)?.join("dist"),
        });
    }
    mounts.push(Mount {
        prefix: "/".into(),
        dir: pages,
    });
    let site = StaticSite::start(mounts).await?;
    let chain = Chain::start(ChainConfig {
        allowed_origin: Some(site.origin()),
        ..ChainConfig::slow_model(100)
    })
    .await?;
    Ok((site, chain))
}

/// `path` on the site, its widget pointed at the chain's Pomerium, with `more` query.
fn page_url(chain: &Chain, site: &StaticSite, path: &str, more: &str) -> String {
    format!(
        "{}{path}?endpoint={}{more}",
        site.origin(),
        chain.pomerium.base_url()
    )
}

/// Converses on the plain article page, then on `path` (with `more` query); both re-render the
/// chat's parent mid-answer. Returns `path`'s URL and the widget's insides there and on the
/// plain page.
async fn beside_the_plain_page(
    chain: &Chain,
    site: &StaticSite,
    path: &str,
    more: &str,
) -> anyhow::Result<(String, Value, Value)> {
    let rerender = "return window.rerenderParent();";
    let plain = page_url(chain, site, "/article.html", "");
    let baseline = converse(chain, &plain, rerender).await?;
    let url = page_url(chain, site, path, more);
    let inside = converse(chain, &url, rerender).await?;
    Ok((url, inside, baseline))
}

/// Opens `url`, starts a new chat, asks [`QUESTION`], runs `rerender` (page script that answers
/// `true` when the parent re-rendered) while the answer streams, and waits for the whole answer.
/// Returns the computed styles of the widget's insides.
async fn converse(chain: &Chain, url: &str, rerender: &str) -> anyhow::Result<Value> {
    chain.open_url(url).await?;
    chain.eval("host.clear(); return true;", vec![]).await?;
    let asked = chain.provider.request_count();
    chain.ask(QUESTION, true).await?;
    chain.partial_answer().await?;
    let rerendered = chain.eval(rerender, vec![]).await?;
    anyhow::ensure!(
        rerendered == json!(true),
        "the page re-rendered: {rerendered}"
    );
    let end = chain.answer(90).await?;
    anyhow::ensure!(end["complete"] == "true", "{end}");
    anyhow::ensure!(end["tools"] == json!(["done"]), "{end}");
    anyhow::ensure!(
        end["text"].as_str().unwrap_or_default().contains("1997"),
        "{end}"
    );
    anyhow::ensure!(
        chain.provider.request_count() == asked + 1,
        "asked once through the re-render"
    );
    ensure_messages(chain, 2).await?;
    chain.eval(&format!("{STYLES}\n{INSIDE}"), vec![]).await
}

async fn ensure_messages(chain: &Chain, n: u64) -> anyhow::Result<()> {
    let shown = chain
        .eval(
            "return root.querySelectorAll('[data-role=\"message\"]').length;",
            vec![],
        )
        .await?;
    anyhow::ensure!(shown == json!(n), "{n} messages, not {shown}");
    Ok(())
}

/// The page's own elements compute the same styles with the widget (as loaded now) and
/// without it (`bare`).
async fn page_unchanged(chain: &Chain, url: &str) -> anyhow::Result<()> {
    let script = format!("{STYLES}\n{PAGE}");
    let with = chain.browser.eval(&script, vec![]).await?;
    chain.browser.client.goto(&format!("{url}&bare")).await?;
    chain
        .browser
        .wait_for(
            "the bare page",
            "return document.querySelectorAll('[data-probe]').length > 0
                && !customElements.get('pomerium-chat');",
            Duration::from_secs(20),
        )
        .await?;
    let without = chain.browser.eval(&script, vec![]).await?;
    anyhow::ensure!(with.as_object().is_some_and(|o| !o.is_empty()), "no probes");
    same(
        "the page's own styles, with vs without the widget",
        &with,
        &without,
    )
}

/// Fails with every property that differs between `got` and `want` (objects of objects).
fn same(what: &str, got: &Value, want: &Value) -> anyhow::Result<()> {
    let mut differences = Vec::new();
    let empty = serde_json::Map::new();
    let parts = want.as_object().unwrap_or(&empty);
    for (part, want_props) in parts {
        let got_props = &got[part];
        if want_props.is_null() || got_props.is_null() {
            differences.push(format!("{part}: {got_props} vs {want_props}"));
            continue;
        }
        for (prop, want_value) in want_props.as_object().unwrap_or(&empty) {
            let got_value = &got_props[prop];
            if got_value != want_value {
                differences.push(format!("{part} {prop}: {got_value} vs {want_value}"));
            }
        }
    }
    anyhow::ensure!(
        differences.is_empty() && got.as_object().map(|o| o.len()) == Some(parts.len()),
        "{what} differ:\n{}",
        differences.join("\n")
    );
    Ok(())
}

fn without_direction(styles: &Value) -> Value {
    let mut styles = styles.clone();
    if let Some(parts) = styles.as_object_mut() {
        for props in parts.values_mut() {
            if let Some(props) = props.as_object_mut() {
                props.remove("direction");
            }
        }
    }
    styles
}

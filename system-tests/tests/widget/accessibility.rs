//! The accessibility audit (issue 18): axe-core 4.x, injected into Chromium and run over the
//! widget (its open shadow root included) in every way a page shows it: inline light, inline
//! dark, the OS in dark mode on the light demo page, right to left, German, 360 px wide, and the
//! launcher closed and open; the conversation holds an approval card, a tool card (opened), a
//! table, a code block and an error card.
//!
//! The audit runs the WCAG 2.1 A and AA rules (axe's tags `wcag2a`, `wcag2aa`, `wcag21a`,
//! `wcag21aa`) and wants zero violations. No rule is disabled. `cargo xtask test` installs
//! axe-core from the npm registry outside the checkout and names its script in `PCHAT_AXE`;
//! without it the test fails (it never passes by skipping).

use serde_json::{Value, json};

use crate::widget::chain::{APPROVE_EVERY_CALL, Chain, ChainConfig};

/// The WCAG 2.1 A and AA rules, as axe tags them.
const WCAG21_AA: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// axe-core's browser script, from `PCHAT_AXE`.
pub(crate) fn axe_script() -> anyhow::Result<String> {
    let path = std::env::var_os("PCHAT_AXE").ok_or_else(|| {
        anyhow::anyhow!(
            "PCHAT_AXE must name axe-core's axe.min.js (cargo xtask test installs it: npm install axe-core@4)"
        )
    })?;
    std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("reading axe-core at {}: {e}", path.to_string_lossy()))
}

/// Runs axe over the widget on the current page (injecting it first when the page has none)
/// and fails with every violation, described, when there is one.
pub(crate) async fn audit(chain: &Chain, axe: &str, what: &str) -> anyhow::Result<()> {
    // WebDriver scripts are not subject to the page's CSP, so axe goes in as one.
    chain
        .browser
        .eval(
            &format!("if (!window.axe) {{\n{axe}\n}}\nreturn typeof window.axe;"),
            vec![],
        )
        .await?;
    let result = chain
        .browser
        .eval(
            "return axe.run({ include: ['pomerium-chat'] },
                            { runOnly: { type: 'tag', values: arguments[0] } })
               .then((r) => ({
                 violations: r.violations.map((v) => ({
                   rule: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 4).map((n) => ({ target: n.target, why: n.failureSummary })),
                 })),
                 // Nodes axe checked inside the shadow root: their target is a path of selectors.
                 shadow_nodes: r.passes.reduce((n, p) => n + p.nodes.filter((x) => Array.isArray(x.target[0])).length, 0),
               }));",
            vec![json!(WCAG21_AA)],
        )
        .await?;
    let shadow_nodes = result["shadow_nodes"].as_u64().unwrap_or_default();
    anyhow::ensure!(
        shadow_nodes > 5,
        "{what}: axe checked only {shadow_nodes} nodes in the shadow root"
    );
    let violations = &result["violations"];
    anyhow::ensure!(
        violations.as_array().is_some_and(Vec::is_empty),
        "{what}: WCAG 2.1 A/AA violations:\n{}",
        serde_json::to_string_pretty(violations)?
    );
    println!("axe: {what}: no violations ({shadow_nodes} shadow nodes passed checks)");
    Ok(())
}

/// Fails the next chat request, and the widget's retries of it, as if the network were down (the
/// widget looks `fetch` up on each call and retries a lost connection twice, see
/// `widget/src/api/busy.rs`, `MAX_UNREACHABLE_RETRIES`).
pub(crate) const FAIL_NEXT_CHAT: &str = "const real = window.fetch;
    let left = 3;
    window.fetch = function (request, init) {
      if (String(request && request.url || request).includes('/api/chat')) {
        if (--left === 0) window.fetch = real;
        return Promise.reject(new TypeError('Failed to fetch'));
      }
      return real.apply(this, arguments);
    };
    return true;";

#[tokio::test]
async fn axe_finds_no_wcag_violations_in_any_view() -> anyhow::Result<()> {
    let axe = axe_script()?;
    let chain = Chain::start(ChainConfig {
        edge_env: vec![APPROVE_EVERY_CALL],
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            audit(chain, &axe, "inline light, empty").await?;

            // An approval card, waiting.
            chain.ask("What were our sales by year?", true).await?;
            chain.approval_card().await?;
            audit(chain, &axe, "inline light, an approval card").await?;
            chain.click("[data-role=\"approval\"] button[data-action=\"allow\"]").await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            // The tool card opened, a code block, then an error card.
            chain.click("[data-role=\"tool-call\"] summary").await?;
            chain
                .ask("Show it as code:\n```sql\nSELECT 1;\n```", false)
                .await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            chain.browser.eval(FAIL_NEXT_CHAT, vec![]).await?;
            chain.ask("Hello?", false).await?;
            let end = chain.answer(30).await?;
            anyhow::ensure!(end["error"] == "network_error", "{end}");
            let shown = chain
                .eval(
                    "return { table: !!root.querySelector('table'), code: !!root.querySelector('pre code, .codeblock pre'),
                              tool: !!root.querySelector('[data-role=\"tool-call\"] details[open], details[data-role=\"tool-call\"][open]'),
                              approval: !!root.querySelector('[data-role=\"approval\"]'),
                              error: !!root.querySelector('[data-role=\"error\"]') };",
                    vec![],
                )
                .await?;
            anyhow::ensure!(
                shown == json!({"table": true, "code": true, "tool": true, "approval": true, "error": true}),
                "the conversation lacks a part: {shown}"
            );
            audit(chain, &axe, "inline light, a full conversation").await?;

            set_host(chain, "theme", Some("dark")).await?;
            chain
                .browser
                .eval("document.documentElement.dataset.theme = 'dark'; return true;", vec![])
                .await?;
            audit(chain, &axe, "inline dark").await?;
            chain
                .browser
                .eval("delete document.documentElement.dataset.theme; return true;", vec![])
                .await?;
            set_host(chain, "theme", None).await?;

            // The OS in dark mode, the page light: the widget follows the OS.
            chain
                .browser
                .cdp(
                    "Emulation.setEmulatedMedia",
                    json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] }),
                )
                .await?;
            let background = panel_background(chain).await?;
            anyhow::ensure!(background == "rgb(30, 30, 36)", "not dark: {background}");
            audit(chain, &axe, "OS dark mode on a light page").await?;
            chain
                .browser
                .cdp("Emulation.setEmulatedMedia", json!({ "features": [] }))
                .await?;

            set_host(chain, "dir", Some("rtl")).await?;
            audit(chain, &axe, "right to left").await?;
            set_host(chain, "dir", None).await?;

            set_host(chain, "locale", Some("de")).await?;
            let send = chain
                .eval("return root.querySelector('button[data-role=\"send\"]').textContent;", vec![])
                .await?;
            anyhow::ensure!(send == "Senden", "not German: {send}");
            audit(chain, &axe, "German").await?;
            set_host(chain, "locale", None).await?;

            chain.browser.client.set_window_size(360, 740).await?;
            audit(chain, &axe, "360 px wide").await?;
            chain.browser.client.set_window_size(1280, 900).await?;

            chain.open("/launcher.html").await?;
            audit(chain, &axe, "launcher closed").await?;
            chain.eval("host.open(); return true;", vec![]).await?;
            chain
                .wait(
                    "the launcher's panel",
                    "return !root.querySelector('[data-role=\"panel\"]').hidden;",
                    10,
                )
                .await?;
            audit(chain, &axe, "launcher open").await?;
            Ok(())
        })
        .await
}

/// Sets (or removes) an attribute of the widget's host element.
async fn set_host(chain: &Chain, name: &str, value: Option<&str>) -> anyhow::Result<()> {
    chain
        .eval(
            "if (arguments[1] === null) host.removeAttribute(arguments[0]);
             else host.setAttribute(arguments[0], arguments[1]);
             return true;",
            vec![json!(name), json!(value)],
        )
        .await?;
    Ok(())
}

/// The computed background colour of the widget's panel.
async fn panel_background(chain: &Chain) -> anyhow::Result<String> {
    let value: Value = chain
        .eval(
            "return getComputedStyle(root.querySelector('[data-role=\"panel\"]')).backgroundColor;",
            vec![],
        )
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

//! The Northwind MCP App in a real browser: the edge's MCP client core reads the `ui://` view
//! from the real northwind-mcp (linked from `chart_query`), a minimal host page renders it in a
//! sandboxed iframe (`srcdoc`, `sandbox="allow-scripts"`, a CSP that allows nothing outside)
//! and speaks the MCP Apps bridge; the view draws one bar per row of the tool's result.
//!
//! The widget's own app host comes with issue 14's wiring; this proves the view works under the
//! constraints that host will impose.

use std::time::Duration;

use edge::mcp::client::{self as mcp, Session, apps};
use fantoccini::Locator;
use serde_json::{Value, json};
use testkit::browser::Browser;
use testkit::process::{Artifacts, NorthwindProcess, scratch_dir};

use crate::third_party_mcp::Conn;

/// The host: an iframe of the view with a strict CSP, and the host side of the bridge
/// (answers `ui/initialize`, then sends the tool input and result). Every message from the view
/// lands in `window.fromApp`.
const HOST: &str = r#"
const [html, input, result] = arguments;
const csp = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`;
window.fromApp = [];
const frame = document.createElement('iframe');
frame.setAttribute('sandbox', 'allow-scripts');
frame.style.width = '600px';
frame.style.height = '300px';
window.addEventListener('message', (event) => {
  if (event.source !== frame.contentWindow) return;
  const m = event.data;
  window.fromApp.push(m);
  const reply = (msg) => frame.contentWindow.postMessage(msg, '*');
  if (m.method === 'ui/initialize') {
    reply({jsonrpc: '2.0', id: m.id, result: {protocolVersion: '2026-01-26',
      hostInfo: {name: 'test-host', version: '0'}, hostCapabilities: {}, hostContext: {}}});
  } else if (m.method === 'ui/notifications/initialized') {
    reply({jsonrpc: '2.0', method: 'ui/notifications/tool-input', params: {arguments: input}});
    reply({jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: result});
  }
});
frame.srcdoc = html.replace('<head>', '<head>' + csp);
document.body.appendChild(frame);
"#;

#[tokio::test]
async fn the_chart_view_draws_a_query_result_in_a_sandbox() -> anyhow::Result<()> {
    let artifacts = Artifacts::from_env()?;
    let dir = scratch_dir("northwind-app")?;
    let northwind = NorthwindProcess::start(&artifacts, None, &dir.join("northwind.db"))?;
    let mut conn = Conn::new(&format!("{}/mcp", northwind.base_url), Session::default());
    conn.open().await?;

    let id = conn.session.next_id();
    let listed = conn.call(id, mcp::list_tools(id, None)).await?;
    let (tools, _) = apps::parse_tool_entries(&listed.result?)?;
    let chart = tools
        .iter()
        .find(|t| t.def.name == "chart_query")
        .expect("chart_query");
    let ui = chart.ui.clone().expect("chart_query links a view");
    assert!(ui.for_model && ui.for_app);

    let id = conn.session.next_id();
    let read = conn
        .call(id, apps::read_resource(id, &ui.resource_uri))
        .await?;
    let view = apps::parse_app_view(&read.result?, &ui.resource_uri, 256 << 10)?;

    let input = json!({"query": "SELECT strftime('%Y', OrderDate) AS year, COUNT(*) AS orders FROM Orders GROUP BY year ORDER BY year", "title": "Orders per year"});
    let id = conn.session.next_id();
    let called = conn
        .call(id, mcp::call_tool(id, "chart_query", &input.to_string())?)
        .await?;
    let result = called.result?;
    assert!(mcp::call_output(&result).is_ok_and(|t| t.contains("1997")));

    let browser = Browser::start().await?;
    browser.client.goto("about:blank").await?;
    browser
        .eval(HOST, vec![json!(view.html), input, result])
        .await?;
    let size = browser
        .wait_for(
            "the view to draw and report its size",
            "return (window.fromApp || []).find(m => m.method === 'ui/notifications/size-changed') || null;",
            Duration::from_secs(20),
        )
        .await?;
    assert!(
        size["params"]["height"].as_f64().is_some_and(|h| h > 60.0),
        "{size}"
    );
    let methods: Value = browser
        .eval("return window.fromApp.map(m => m.method);", vec![])
        .await?;
    assert_eq!(methods[0], "ui/initialize", "{methods}");
    assert_eq!(methods[1], "ui/notifications/initialized", "{methods}");

    // Inside the sandbox: three bars (1996, 1997, 1998) and the title from the tool input.
    browser.client.enter_frame(0).await?;
    let bars = browser
        .client
        .find_all(Locator::Css("svg rect.bar"))
        .await?;
    assert_eq!(bars.len(), 3);
    let title = browser
        .client
        .find(Locator::Css("#title"))
        .await?
        .text()
        .await?;
    assert_eq!(title, "Orders per year");
    let note = browser
        .client
        .find(Locator::Css("#note"))
        .await?
        .text()
        .await?;
    assert_eq!(note, "orders by year");
    browser.client.enter_parent_frame().await?;
    // The view is opaque to the page: no same-origin access.
    let opaque: Value = browser
        .eval("try { return document.querySelector('iframe').contentDocument === null; } catch (e) { return true; }", vec![])
        .await?;
    assert_eq!(opaque, true);
    browser.close().await
}

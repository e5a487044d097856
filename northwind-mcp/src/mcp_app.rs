//! The Northwind MCP App: a chart view of a query result, served as the `ui://` resource
//! [`CHART_URI`] and linked from the `chart_query` tool through `_meta.ui.resourceUri`.
//!
//! The view is one self-contained HTML document (inline script and SVG, no external script,
//! style, font or fetch), so it runs under the strictest CSP a host applies to an app that
//! declares no domains. It talks to its host only through the MCP Apps postMessage JSON-RPC
//! (`ui/initialize`, then it waits for `ui/notifications/tool-result`).

use rmcp::model::{MetaObject, ReadResourceResult, Resource, ResourceContents};
use serde_json::json;

/// The view's URI.
pub const CHART_URI: &str = "ui://northwind/chart";

/// The MIME type of an MCP App view.
pub const APP_MIME_TYPE: &str = "text/html;profile=mcp-app";

/// The view's HTML.
pub const CHART_HTML: &str = include_str!("mcp_app/chart.html");

/// `_meta` of the `chart_query` tool: its view.
pub fn chart_tool_meta() -> MetaObject {
    let mut meta = MetaObject::new();
    meta.insert("ui".to_owned(), json!({ "resourceUri": CHART_URI }));
    meta
}

/// The view as `resources/list` shows it.
pub fn chart_resource() -> Resource {
    Resource::new(CHART_URI, "northwind-chart")
        .with_title("Northwind chart")
        .with_description("A bar chart of a chart_query result (MCP App view).")
        .with_mime_type(APP_MIME_TYPE)
}

/// The `resources/read` answer for `uri`, or `None` for an unknown one.
pub fn read(uri: &str) -> Option<ReadResourceResult> {
    if uri != CHART_URI {
        return None;
    }
    let mut ui = MetaObject::new();
    ui.insert(
        "ui".to_owned(),
        json!({ "csp": { "connectDomains": [], "resourceDomains": [] }, "prefersBorder": true }),
    );
    let contents = ResourceContents::text(CHART_HTML, CHART_URI)
        .with_mime_type(APP_MIME_TYPE)
        .with_meta(ui);
    Some(ReadResourceResult::new(vec![contents]))
}

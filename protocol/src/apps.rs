//! MCP Apps between the widget and the edge: a view's call of one of its server's tools
//! (`POST /api/app/tool-call`), and the bounds of views, arguments and results.
//!
//! A view is announced by a [`crate::StreamEvent::AppView`] with a sealed `handle`; the widget
//! frames `GET /api/app/view?handle=…` and hands the handle back with each call the view makes,
//! so the edge knows the user, server and view without trusting the browser to name a URL.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest view (HTML) the edge reads and serves, in bytes.
pub const MAX_APP_VIEW_BYTES: usize = 256 * 1024;
/// Largest JSON `arguments` of one call from a view, in bytes.
pub const MAX_APP_ARGUMENT_BYTES: usize = 64 * 1024;
/// Largest tool result the edge gives back to a view, in bytes of JSON.
pub const MAX_APP_RESULT_BYTES: usize = 256 * 1024;

/// The body of `POST /api/app/tool-call`. Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppToolCall {
    /// The `handle` of the view's `app_view` event.
    pub handle: String,
    /// The tool to call, on the view's server.
    pub name: String,
    /// Its arguments: a JSON object (absent means `{}`).
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// The answer to an [`AppToolCall`]: the MCP `CallToolResult` as the server sent it (a tool
/// that failed has `isError: true`; the edge's refusals are error bodies instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppToolResult {
    /// The `CallToolResult`.
    pub result: Value,
}

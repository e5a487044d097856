//! MCP Apps (`shared/protocols-next.md` §6): a tool's `_meta.ui.resourceUri` naming a `ui://`
//! view, and the `resources/read` that fetches it.
//!
//! The edge reads the view through the same authenticated session as the tool call, and keeps
//! only an HTML document of type [`APP_MIME_TYPE`] within a size limit: anything else is refused,
//! so the widget never renders another kind of content in the app's sandbox. The view's
//! declared CSP domains and border preference come along for the widget to apply (an absent
//! `csp` means the strict default: nothing outside).

use base64::Engine as _;
use serde_json::{Value, json};

use super::{McpError, ToolDef};

/// The MIME type of an MCP App view.
pub const APP_MIME_TYPE: &str = "text/html;profile=mcp-app";

/// A tool's link to its view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolUi {
    /// The `ui://` resource.
    pub resource_uri: String,
    /// Whether the model may call the tool (`visibility` has `"model"`; default yes). A tool
    /// without it MUST be left out of the model's tool list.
    pub for_model: bool,
    /// Whether the view may call the tool (`visibility` has `"app"`; default yes).
    pub for_app: bool,
}

/// A tool as listed, with what [`ToolDef`] does not carry (yet): its display title and view.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolEntry {
    /// The tool as the tool loop uses it.
    pub def: ToolDef,
    /// `title`, else `annotations.title`, else the name.
    pub title: String,
    /// Its MCP App view, when it links one.
    pub ui: Option<ToolUi>,
}

/// A fetched view.
#[derive(Debug, Clone, PartialEq)]
pub struct AppView {
    /// The `ui://` URI it was read from.
    pub uri: String,
    /// The HTML document.
    pub html: String,
    /// `_meta.ui.csp` of the content (`null` when absent: the strict default applies).
    pub csp: Value,
    /// `_meta.ui.prefersBorder`, when said.
    pub prefers_border: Option<bool>,
}

/// A tool's `_meta.ui` (or the deprecated `_meta["ui/resourceUri"]`); `None` without a `ui://`
/// URI.
pub fn tool_ui(tool: &Value) -> Option<ToolUi> {
    let meta = &tool["_meta"];
    let uri = meta["ui"]["resourceUri"]
        .as_str()
        .or(meta["ui/resourceUri"].as_str())?;
    if !uri.starts_with("ui://") || uri.len() <= "ui://".len() {
        return None;
    }
    let visibility = meta["ui"]["visibility"].as_array();
    let has = |who: &str| visibility.is_none_or(|v| v.iter().any(|x| x == who));
    Some(ToolUi {
        resource_uri: uri.to_owned(),
        for_model: has("model"),
        for_app: has("app"),
    })
}

/// A `tools/list` result with titles and views: the same tools as [`super::parse_tools`].
pub fn parse_tool_entries(result: &Value) -> Result<(Vec<ToolEntry>, Option<String>), McpError> {
    let (defs, cursor) = super::parse_tools(result)?;
    let raw = result["tools"].as_array().into_iter().flatten();
    let entries = defs
        .into_iter()
        .map(|def| {
            let tool = raw
                .clone()
                .find(|t| t["name"] == def.name.as_str())
                .unwrap_or(&Value::Null);
            let title = tool["title"]
                .as_str()
                .or(tool["annotations"]["title"].as_str())
                .unwrap_or(&def.name)
                .to_owned();
            ToolEntry {
                ui: tool_ui(tool),
                title,
                def,
            }
        })
        .collect();
    Ok((entries, cursor))
}

/// A `resources/read` request for `uri`.
pub fn read_resource(id: u64, uri: &str) -> String {
    super::request(id, "resources/read", json!({ "uri": uri }))
}

/// Whether a `mimeType` is [`APP_MIME_TYPE`] (case and spaces around `;` ignored).
pub fn is_app_mime_type(mime_type: &str) -> bool {
    let normalized: String = mime_type
        .split(';')
        .map(|p| p.trim().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(";");
    normalized == APP_MIME_TYPE
}

/// The view in a `resources/read` result for `uri`: the content with that URI and
/// [`APP_MIME_TYPE`], from `text` or base64 `blob` (UTF-8), at most `max_bytes`.
pub fn parse_app_view(result: &Value, uri: &str, max_bytes: usize) -> Result<AppView, McpError> {
    let bad = |why: &str| McpError::Protocol(format!("the app view {why}"));
    let content = result["contents"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["uri"] == uri)
        .ok_or_else(|| bad("is not in the result"))?;
    if !content["mimeType"].as_str().is_some_and(is_app_mime_type) {
        return Err(bad("is not text/html;profile=mcp-app"));
    }
    let html = if let Some(text) = content["text"].as_str() {
        text.to_owned()
    } else if let Some(blob) = content["blob"].as_str() {
        if blob.len() / 4 * 3 > max_bytes + 3 {
            return Err(McpError::TooLarge(max_bytes));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(blob)
            .map_err(|_| bad("blob is not base64"))?;
        String::from_utf8(bytes).map_err(|_| bad("is not UTF-8"))?
    } else {
        return Err(bad("has no content"));
    };
    if html.len() > max_bytes {
        return Err(McpError::TooLarge(max_bytes));
    }
    let ui = &content["_meta"]["ui"];
    Ok(AppView {
        uri: uri.to_owned(),
        html,
        csp: ui.get("csp").cloned().unwrap_or(Value::Null),
        prefers_border: ui["prefersBorder"].as_bool(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_link_their_views() {
        let (entries, _) = parse_tool_entries(&json!({"tools":[
            {"name":"chart_query","title":"Chart","_meta":{"ui":{"resourceUri":"ui://northwind/chart"}}},
            {"name":"app_only","annotations":{"title":"Refresh"},"_meta":{"ui":{"resourceUri":"ui://x/v","visibility":["app"]}}},
            {"name":"old","_meta":{"ui/resourceUri":"ui://x/old"}},
            {"name":"web","_meta":{"ui":{"resourceUri":"https://evil.example/app.html"}}},
            {"name":"plain"}
        ]}))
        .unwrap();
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[0].title, "Chart");
        assert_eq!(
            entries[0].ui,
            Some(ToolUi {
                resource_uri: "ui://northwind/chart".into(),
                for_model: true,
                for_app: true
            })
        );
        assert_eq!(entries[1].title, "Refresh");
        assert_eq!(
            entries[1].ui.as_ref().map(|u| (u.for_model, u.for_app)),
            Some((false, true))
        );
        assert_eq!(
            entries[2].ui.as_ref().map(|u| u.resource_uri.as_str()),
            Some("ui://x/old")
        );
        assert_eq!(entries[3].ui, None);
        assert_eq!(
            (entries[4].title.as_str(), &entries[4].ui),
            ("plain", &None)
        );
    }

    #[test]
    fn only_app_html_is_read() {
        let read: Value = serde_json::from_str(&read_resource(3, "ui://northwind/chart")).unwrap();
        assert_eq!(read["method"], "resources/read");
        assert_eq!(read["params"], json!({"uri":"ui://northwind/chart"}));

        let uri = "ui://northwind/chart";
        let view = parse_app_view(
            &json!({"contents":[{"uri":uri,"mimeType":"text/html; profile=mcp-app","text":"<p>hi</p>",
                "_meta":{"ui":{"csp":{"connectDomains":[]},"prefersBorder":true}}}]}),
            uri,
            1000,
        )
        .unwrap();
        assert_eq!(view.html, "<p>hi</p>");
        assert_eq!(view.csp, json!({"connectDomains":[]}));
        assert_eq!(view.prefers_border, Some(true));
        let blob = parse_app_view(
            &json!({"contents":[{"uri":uri,"mimeType":"text/html;profile=mcp-app","blob":"PGI+eDwvYj4="}]}),
            uri,
            1000,
        )
        .unwrap();
        assert_eq!((blob.html.as_str(), &blob.csp), ("<b>x</b>", &Value::Null));

        for (result, max) in [
            (
                json!({"contents":[{"uri":uri,"mimeType":"text/html","text":"<p>"}]}),
                1000,
            ),
            (
                json!({"contents":[{"uri":uri,"mimeType":"image/svg+xml","text":"<svg/>"}]}),
                1000,
            ),
            (
                json!({"contents":[{"uri":"ui://other","mimeType":APP_MIME_TYPE,"text":"<p>"}]}),
                1000,
            ),
            (
                json!({"contents":[{"uri":uri,"mimeType":APP_MIME_TYPE}]}),
                1000,
            ),
            (
                json!({"contents":[{"uri":uri,"mimeType":APP_MIME_TYPE,"blob":"//79"}]}),
                1000,
            ),
            (
                json!({"contents":[{"uri":uri,"mimeType":APP_MIME_TYPE,"text":"0123456789"}]}),
                5,
            ),
            (json!({}), 1000),
        ] {
            assert!(parse_app_view(&result, uri, max).is_err(), "{result}");
        }
        assert_eq!(
            parse_app_view(
                &json!({"contents":[{"uri":uri,"mimeType":APP_MIME_TYPE,"text":"0123456789"}]}),
                uri,
                5
            ),
            Err(McpError::TooLarge(5))
        );
    }
}

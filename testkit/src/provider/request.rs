//! Reading a Responses API request body: the last user message and the `mcp` tools.
//!
//! Tolerant like the real API's parser is of what we do not use: unknown fields and tool types
//! are ignored. `input` is either a string or a list of items; an item's `content` is either a
//! string or a list of parts with `text`.

use serde_json::Value;

/// One `{"type":"mcp", ...}` tool of the request.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct McpTool {
    pub(crate) server_label: String,
    pub(crate) server_url: String,
    /// `headers`, sent verbatim to the server.
    pub(crate) headers: Vec<(String, String)>,
    /// `allowed_tools` as a list of names (either accepted form); `None` allows all.
    pub(crate) allowed_tools: Option<Vec<String>>,
    /// `require_approval: "always"` (other forms count as never).
    pub(crate) require_approval: bool,
}

/// The `approve` of the first `mcp_approval_response` item of `input`, if any.
pub(crate) fn approval_response(body: &Value) -> Option<bool> {
    body["input"]
        .as_array()?
        .iter()
        .find(|item| item["type"] == "mcp_approval_response")
        .and_then(|item| item["approve"].as_bool())
}

/// The text of the last `user` item of `input` (or `input` itself when it is a string); empty
/// when there is none.
pub(crate) fn last_user_message(body: &Value) -> String {
    match &body["input"] {
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .rev()
            .find(|item| item["role"] == "user")
            .map(|item| content_text(&item["content"]))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Every `mcp` tool of the request, in order.
pub(crate) fn mcp_tools(body: &Value) -> Vec<McpTool> {
    let Some(tools) = body["tools"].as_array() else {
        return Vec::new();
    };
    tools
        .iter()
        .filter(|tool| tool["type"] == "mcp")
        .map(|tool| McpTool {
            server_label: str_of(&tool["server_label"]),
            server_url: str_of(&tool["server_url"]),
            headers: tool["headers"]
                .as_object()
                .map(|h| h.iter().map(|(k, v)| (k.clone(), str_of(v))).collect())
                .unwrap_or_default(),
            allowed_tools: allowed_tools(&tool["allowed_tools"]),
            require_approval: tool["require_approval"] == "always",
        })
        .collect()
}

/// `allowed_tools`: `["a","b"]` or `{"tool_names":["a","b"]}`.
fn allowed_tools(value: &Value) -> Option<Vec<String>> {
    let names = match value {
        Value::Array(names) => names,
        Value::Object(filter) => filter.get("tool_names")?.as_array()?,
        _ => return None,
    };
    Some(
        names
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn last_user_message_handles_every_input_form() {
        let check = |input: Value, want: &str| {
            assert_eq!(last_user_message(&json!({ "input": input })), want);
        };
        check(json!("hello"), "hello");
        check(
            json!([{"role":"user","content":"first"},{"role":"assistant","content":"ok"},
                   {"role":"user","content":"second"},{"role":"assistant","content":"done"}]),
            "second",
        );
        check(
            json!([{"type":"message","role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_text","text":"b"}]}]),
            "ab",
        );
        check(json!([{"role":"assistant","content":"only me"}]), "");
        check(Value::Null, "");
    }

    #[test]
    fn mcp_tools_are_read_with_headers_and_filters() {
        let body = json!({"tools": [
            {"type":"function","name":"f"},
            {"type":"mcp","server_label":"northwind","server_url":"http://h/mcp",
             "headers":{"Authorization":"Bearer te"},"require_approval":"never",
             "allowed_tools":["read_query"]},
            {"type":"mcp","server_label":"crm","server_url":"http://c/mcp",
             "allowed_tools":{"tool_names":["find"]}},
        ]});
        let tools = mcp_tools(&body);
        assert_eq!(tools.len(), 2);
        assert_eq!(tools[0].server_label, "northwind");
        assert_eq!(tools[0].server_url, "http://h/mcp");
        assert_eq!(
            tools[0].headers,
            vec![("Authorization".to_owned(), "Bearer te".to_owned())]
        );
        assert_eq!(tools[0].allowed_tools, Some(vec!["read_query".to_owned()]));
        assert_eq!(tools[1].allowed_tools, Some(vec!["find".to_owned()]));
        assert!(tools[1].headers.is_empty());
    }
}

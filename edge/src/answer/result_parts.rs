//! A parsed MCP tool result ([`ToolResult`]) as the two things the edge hands on: the model's
//! text ([`ToolResult::model_text`]) and, when the result holds more than text, the typed parts
//! the widget shows in the tool card ([`ResultPart`]).
//!
//! Parts are sent only for a rich result (an image, audio, link, reference, embedded resource,
//! omitted block or `structuredContent`); a text-only result keeps today's shape (`output`
//! alone). `structuredContent` becomes a [`ResultPart::Table`] when it is a list of flat objects
//! (or an object holding exactly one such list), else [`ResultPart::Json`]; a text part that is
//! the same JSON as `structuredContent` (servers SHOULD send both) is not shown twice. Every text
//! of a part is scrubbed of the answer's secrets, as the output is; at most [`MAX_PARTS`] parts
//! and [`MAX_TABLE_ROWS`] rows go out. Media sizes are capped when the result is parsed
//! ([`crate::mcp::client::results::Limits`]) and the whole reply by `max_mcp_reply_bytes`.

use protocol::ResultPart;
use serde_json::Value;

use crate::mcp::client::results::{PartKind, ToolResult};
use crate::redact::Secrets;

/// Most parts of one result sent to the widget.
pub const MAX_PARTS: usize = 32;
/// Most rows of a table (more make it JSON).
pub const MAX_TABLE_ROWS: usize = 500;
/// Most columns of a table (more make it JSON).
pub const MAX_TABLE_COLUMNS: usize = 40;

/// The model's outcome (`Err` for a tool error, so the model sees the failure; the tool loop
/// scrubs and cuts it) and the parts the user is shown (none for a text-only result or a tool
/// error), scrubbed of `secrets`.
pub fn split(result: &ToolResult, secrets: &Secrets) -> (Result<String, String>, Vec<ResultPart>) {
    let text = result.model_text();
    if result.is_error {
        return (Err(text), Vec::new());
    }
    (Ok(text), parts(result, secrets))
}

/// The parts of a rich result (none for a text-only one).
fn parts(result: &ToolResult, secrets: &Secrets) -> Vec<ResultPart> {
    let rich = result.structured.is_some()
        || result
            .parts
            .iter()
            .any(|p| !matches!(p.kind, PartKind::Text(_)));
    if !rich {
        return Vec::new();
    }
    let scrub = |text: &str| secrets.redact(text);
    let mut res: Vec<ResultPart> = result
        .parts
        .iter()
        .filter_map(|part| {
            Some(match &part.kind {
                PartKind::Text(text) => {
                    let same_as_structured = result.structured.as_ref().is_some_and(|s| {
                        serde_json::from_str::<Value>(text).is_ok_and(|t| &t == s)
                    });
                    if same_as_structured {
                        return None;
                    }
                    ResultPart::Text { text: scrub(text) }
                }
                PartKind::Image(m) => ResultPart::Image {
                    mime_type: m.mime_type.clone(),
                    data: m.data.clone(),
                },
                PartKind::Audio(m) => ResultPart::Audio {
                    mime_type: m.mime_type.clone(),
                    data: m.data.clone(),
                },
                PartKind::Link(l) => ResultPart::Link {
                    uri: scrub(&l.uri),
                    title: scrub(&l.title),
                },
                PartKind::Reference(l) => ResultPart::Reference {
                    uri: scrub(&l.uri),
                    title: scrub(&l.title),
                },
                PartKind::Resource { uri, text, .. } => ResultPart::Resource {
                    uri: scrub(uri),
                    text: scrub(text),
                },
                PartKind::Omitted { kind, reason } => ResultPart::Omitted {
                    kind: kind.clone(),
                    reason: reason.clone(),
                },
            })
        })
        .take(MAX_PARTS)
        .collect();
    if let Some(structured) = &result.structured {
        let part = match table(structured) {
            Some((columns, rows)) => ResultPart::Table {
                columns: columns.iter().map(|c| scrub(c)).collect(),
                rows: rows
                    .iter()
                    .map(|row| row.iter().map(|c| scrub(c)).collect())
                    .collect(),
            },
            None => ResultPart::Json {
                json: scrub(&structured.to_string()),
            },
        };
        res.truncate(MAX_PARTS - 1);
        res.push(part);
    }
    res
}

/// A list of flat objects (or an object whose only list field is one) as column names (sorted)
/// and rows of text cells; `None` for anything else, or past the table limits.
fn table(value: &Value) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let items = match value {
        Value::Array(items) => items,
        Value::Object(fields) => {
            let mut lists = fields.values().filter(|v| v.is_array());
            match (lists.next(), lists.next()) {
                (Some(Value::Array(items)), None) => items,
                _ => return None,
            }
        }
        _ => return None,
    };
    if items.is_empty() || items.len() > MAX_TABLE_ROWS {
        return None;
    }
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        for (key, cell) in item.as_object()? {
            if cell.is_object() || cell.is_array() {
                return None;
            }
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    if columns.is_empty() || columns.len() > MAX_TABLE_COLUMNS {
        return None;
    }
    columns.sort();
    let rows = items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|c| match &item[c.as_str()] {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    Some((columns, rows))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mcp::client::results::{Limits, parse_call_result};

    const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    fn split_json(result: Value) -> (Result<String, String>, Vec<ResultPart>) {
        let secrets = Secrets::new(["sk-secret"]);
        split(&parse_call_result(&result, Limits::default()), &secrets)
    }

    #[test]
    fn a_text_only_result_has_no_parts() {
        let (model, parts) = split_json(json!({"content":[{"type":"text","text":"[1]"}]}));
        assert_eq!(model, Ok("[1]".to_owned()));
        assert_eq!(parts, []);
    }

    #[test]
    fn a_rich_result_is_typed_for_the_user_and_noted_for_the_model() {
        let (model, parts) = split_json(json!({"content":[
            {"type":"text","text":"Here it is, sk-secret"},
            {"type":"image","data":PNG,"mimeType":"image/png"},
            {"type":"resource_link","uri":"https://wiki.example/a","name":"a","title":"Page A"},
            {"type":"resource_link","uri":"javascript:alert(1)","name":"click"},
            {"type":"resource","resource":{"uri":"note://1","text":"hello"}},
            {"type":"image","data":"PHN2Zz4=","mimeType":"image/svg+xml"}
        ]}));
        assert_eq!(
            model.unwrap(),
            "Here it is, sk-secret\n[image image/png, 70 B, shown to the user]\n\
[link: Page A <https://wiki.example/a>]\n[resource: click <javascript:alert(1)>]\n[resource note://1]\nhello\n\
[image omitted: type \"image/svg+xml\" is not shown]"
        );
        assert_eq!(
            parts,
            [
                ResultPart::Text {
                    text: "Here it is, [redacted]".into()
                },
                ResultPart::Image {
                    mime_type: "image/png".into(),
                    data: PNG.into()
                },
                ResultPart::Link {
                    uri: "https://wiki.example/a".into(),
                    title: "Page A".into()
                },
                ResultPart::Reference {
                    uri: "javascript:alert(1)".into(),
                    title: "click".into()
                },
                ResultPart::Resource {
                    uri: "note://1".into(),
                    text: "hello".into()
                },
                ResultPart::Omitted {
                    kind: "image".into(),
                    reason: "type \"image/svg+xml\" is not shown".into()
                },
            ]
        );
    }

    #[test]
    fn structured_content_is_a_table_when_flat_and_json_otherwise() {
        let rows = json!({"rows":[{"name":"Chai","price":18,"gone":null},{"name":"Tofu","price":23.25,"gone":true}],"count":2});
        let (model, parts) = split_json(json!({
            "content":[{"type":"text","text":rows.to_string()}],
            "structuredContent":rows
        }));
        assert_eq!(model.unwrap(), rows.to_string(), "the model reads the text");
        assert_eq!(
            parts,
            [ResultPart::Table {
                columns: vec!["gone".into(), "name".into(), "price".into()],
                rows: vec![
                    vec!["".into(), "Chai".into(), "18".into()],
                    vec!["true".into(), "Tofu".into(), "23.25".into()]
                ]
            }],
            "the text that repeats the structured content is not shown twice"
        );
        for nested in [
            json!({"a":{"b":1}}),
            json!([{"a":[1]}]),
            json!({"x":[{"a":1}],"y":[{"b":2}]}),
            json!([1, 2]),
            json!([]),
        ] {
            let (_, parts) = split_json(json!({"content":[],"structuredContent":nested}));
            assert_eq!(
                parts,
                [ResultPart::Json {
                    json: nested.to_string()
                }],
                "{nested}"
            );
        }
    }

    #[test]
    fn a_tool_error_has_no_parts() {
        let (model, parts) = split_json(json!({"content":[
            {"type":"text","text":"bad"},{"type":"image","data":PNG,"mimeType":"image/png"}
        ],"isError":true}));
        assert!(model.unwrap_err().starts_with("bad\n[image"));
        assert_eq!(parts, []);
    }
}

//! A `tools/call` result as typed parts ([`ToolResult`]), and what the model receives of each
//! ([`ToolResult::model_text`]).
//!
//! Tool results are data, not authority: a part that does not parse, or breaks a limit, becomes
//! [`Part::Omitted`] with a reason, never an error that loses the rest. What the widget may show:
//! - **text**: as text;
//! - **image**: inline data only (never a URL to fetch), of an allow-listed raster type
//!   (`image/png|jpeg|gif|webp`; no SVG, which can carry script), valid base64, at most
//!   [`Limits::max_media_bytes`] decoded;
//! - **audio**: the same rules, `audio/*` types (`wav`, `mpeg`, `ogg`, `webm`, `mp4`, `flac`);
//! - **resource link**: a link only when the URI is `http` or `https` ([`Part::Link`]); other
//!   schemes (`file:`, `demo:`, …) are named but not linkable ([`Part::Reference`]);
//! - **embedded resource**: its text, capped at [`Limits::max_text_bytes`]; binary blobs are
//!   omitted;
//! - **structuredContent**: kept as JSON for a table or pretty print.
//!
//! What the model receives (its only view of the result, as text):
//! - text parts verbatim, joined by newlines;
//! - an image or audio part as a short note (`[image image/png, 3 KB, shown to the user]`): the
//!   edge does not forward media to the provider yet;
//! - a link as `[link: title <uri>]`, a reference as `[resource: name <uri>]`;
//! - an embedded text resource as `[resource uri]` and its (capped) text;
//! - `structuredContent` as compact JSON when the result has no text part (servers SHOULD send
//!   both; the text wins);
//! - nothing of a part whose `annotations.audience` excludes `"assistant"`.

use base64::Engine as _;
use serde_json::Value;

/// Size limits on the parts of one result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest decoded image or audio.
    pub max_media_bytes: usize,
    /// Largest text of an embedded resource.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_media_bytes: 1 << 20,
            max_text_bytes: 64 << 10,
        }
    }
}

/// Image types shown inline, and audio types given to a player (one list for both ends).
pub use protocol::parts::{AUDIO_TYPES, IMAGE_TYPES};

/// A parsed `tools/call` result.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    /// The content blocks, in order.
    pub parts: Vec<Part>,
    /// `structuredContent`, when present and not null.
    pub structured: Option<Value>,
    /// `isError: true`: the tool failed (the model should see why).
    pub is_error: bool,
}

/// One content block of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// What it is.
    pub kind: PartKind,
    /// `false` when `annotations.audience` excludes the model (`["user"]`).
    pub for_model: bool,
}

/// The kinds of content block the edge knows.
#[derive(Debug, Clone, PartialEq)]
pub enum PartKind {
    /// Text.
    Text(String),
    /// An inline image (checked type, base64 and size).
    Image(Media),
    /// Inline audio (checked type, base64 and size).
    Audio(Media),
    /// A resource link with an `http`/`https` URI.
    Link(Link),
    /// A resource link with another scheme: named, not linkable.
    Reference(Link),
    /// An embedded text resource.
    Resource {
        /// Its URI.
        uri: String,
        /// Its MIME type, when given.
        mime_type: Option<String>,
        /// Its text, capped (see `truncated`).
        text: String,
        /// Whether the text was cut at the limit.
        truncated: bool,
    },
    /// A block the edge does not show, and why.
    Omitted {
        /// The block's `type`.
        kind: String,
        /// Why (safe to show).
        reason: String,
    },
}

/// Inline media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// The (allow-listed) MIME type.
    pub mime_type: String,
    /// The base64 data as sent (validated).
    pub data: String,
    /// The decoded size.
    pub n_bytes: usize,
}

/// A resource link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The URI.
    pub uri: String,
    /// What to show: `title`, else `name`, else the URI.
    pub title: String,
    /// The description, when given.
    pub description: Option<String>,
}

/// Parses a `tools/call` result (never fails: what cannot be shown becomes
/// [`PartKind::Omitted`]).
pub fn parse_call_result(result: &Value, limits: Limits) -> ToolResult {
    let parts = result["content"]
        .as_array()
        .map(|blocks| blocks.iter().map(|b| parse_part(b, limits)).collect())
        .unwrap_or_default();
    ToolResult {
        parts,
        structured: result
            .get("structuredContent")
            .filter(|v| !v.is_null())
            .cloned(),
        is_error: result["isError"].as_bool() == Some(true),
    }
}

/// Parses one content block (also used for prompt messages).
pub fn parse_part(block: &Value, limits: Limits) -> Part {
    let for_model = block["annotations"]["audience"]
        .as_array()
        .is_none_or(|who| who.iter().any(|w| w == "assistant"));
    let kind_name = block["type"].as_str().unwrap_or("unknown");
    let omitted = |reason: &str| PartKind::Omitted {
        kind: kind_name.chars().take(40).collect(),
        reason: reason.to_owned(),
    };
    let kind = match kind_name {
        "text" => block["text"]
            .as_str()
            .map_or_else(|| omitted("no text"), |t| PartKind::Text(t.to_owned())),
        "image" => media(block, &IMAGE_TYPES, limits).map_or_else(|r| omitted(&r), PartKind::Image),
        "audio" => media(block, &AUDIO_TYPES, limits).map_or_else(|r| omitted(&r), PartKind::Audio),
        "resource_link" => match link(block) {
            Some(l) if is_web(&l.uri) => PartKind::Link(l),
            Some(l) => PartKind::Reference(l),
            None => omitted("a resource link without a URI"),
        },
        "resource" => embedded(&block["resource"], limits).unwrap_or_else(|r| omitted(&r)),
        _ => omitted("an unknown content type"),
    };
    Part { kind, for_model }
}

impl ToolResult {
    /// A failure the edge reports in the tool's place, as a tool error the model reads.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            parts: vec![Part {
                kind: PartKind::Text(text.into()),
                for_model: true,
            }],
            structured: None,
            is_error: true,
        }
    }

    /// The model's view of the result (see the module doc).
    pub fn model_text(&self) -> String {
        let has_text = self
            .parts
            .iter()
            .any(|p| p.for_model && matches!(p.kind, PartKind::Text(_)));
        let mut lines: Vec<String> = self
            .parts
            .iter()
            .filter(|p| p.for_model)
            .map(|p| p.kind.model_text())
            .collect();
        if !has_text && let Some(structured) = &self.structured {
            lines.push(structured.to_string());
        }
        lines.join("\n")
    }
}

impl PartKind {
    /// This part as the model receives it.
    pub fn model_text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Image(m) => format!(
                "[image {}, {}, shown to the user]",
                m.mime_type,
                size(m.n_bytes)
            ),
            Self::Audio(m) => format!(
                "[audio {}, {}, playable by the user]",
                m.mime_type,
                size(m.n_bytes)
            ),
            Self::Link(l) => format!("[link: {} <{}>]", l.title, l.uri),
            Self::Reference(l) => format!("[resource: {} <{}>]", l.title, l.uri),
            Self::Resource {
                uri,
                text,
                truncated,
                ..
            } => {
                let cut = if *truncated { "\n[truncated]" } else { "" };
                format!("[resource {uri}]\n{text}{cut}")
            }
            Self::Omitted { kind, reason } => format!("[{kind} omitted: {reason}]"),
        }
    }
}

fn size(n_bytes: usize) -> String {
    if n_bytes < 1024 {
        format!("{n_bytes} B")
    } else {
        format!("{} KB", n_bytes.div_ceil(1024))
    }
}

fn media(block: &Value, allowed: &[&str], limits: Limits) -> Result<Media, String> {
    let mime_type = block["mimeType"]
        .as_str()
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !allowed.contains(&mime_type.as_str()) {
        return Err(format!(
            "type {:?} is not shown",
            truncate(&mime_type, 60).0
        ));
    }
    let data = block["data"].as_str().ok_or("no data")?;
    // Checked before decoding: base64 is 4 characters per 3 bytes.
    if data.len() / 4 * 3 > limits.max_media_bytes + 3 {
        return Err(format!("larger than {}", size(limits.max_media_bytes)));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| "the data is not base64".to_owned())?;
    if decoded.len() > limits.max_media_bytes {
        return Err(format!("larger than {}", size(limits.max_media_bytes)));
    }
    Ok(Media {
        mime_type,
        data: data.to_owned(),
        n_bytes: decoded.len(),
    })
}

fn link(block: &Value) -> Option<Link> {
    let uri = block["uri"].as_str().filter(|u| !u.is_empty())?;
    let title = block["title"]
        .as_str()
        .or(block["name"].as_str())
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(uri);
    Some(Link {
        uri: uri.to_owned(),
        title: truncate(title, 200).0.to_owned(),
        description: block["description"]
            .as_str()
            .map(|d| truncate(d, 500).0.to_owned()),
    })
}

/// Whether `uri` is an absolute `http` or `https` URL (the only links the user is offered).
pub use protocol::parts::is_web_link as is_web;

fn embedded(resource: &Value, limits: Limits) -> Result<PartKind, String> {
    let uri = resource["uri"]
        .as_str()
        .ok_or("an embedded resource without a URI")?;
    let Some(text) = resource["text"].as_str() else {
        return Err("binary resources are not shown".to_owned());
    };
    let (text, truncated) = truncate(text, limits.max_text_bytes);
    Ok(PartKind::Resource {
        uri: uri.to_owned(),
        mime_type: resource["mimeType"].as_str().map(str::to_owned),
        text: text.to_owned(),
        truncated,
    })
}

/// `text` cut to at most `max` bytes on a character boundary, and whether it was cut.
fn truncate(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A 1x1 PNG (70 bytes).
    const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    fn kinds(result: &ToolResult) -> Vec<&PartKind> {
        result.parts.iter().map(|p| &p.kind).collect()
    }

    #[test]
    fn every_block_type_is_typed() {
        let result = parse_call_result(
            &json!({"content":[
                {"type":"text","text":"Found 2 rows"},
                {"type":"image","data":PNG,"mimeType":"image/png"},
                {"type":"audio","data":"UklGRg==","mimeType":"audio/wav"},
                {"type":"resource_link","uri":"https://wiki.corp/x","name":"x","title":"The X page","description":"d"},
                {"type":"resource_link","uri":"file:///etc/passwd","name":"passwd"},
                {"type":"resource","resource":{"uri":"note://1","mimeType":"text/plain","text":"hello"}},
                {"type":"resource","resource":{"uri":"blob://1","blob":"AAAA"}}
            ],"structuredContent":{"rows":2},"isError":false}),
            Limits::default(),
        );
        let parts = kinds(&result);
        assert_eq!(parts[0], &PartKind::Text("Found 2 rows".into()));
        assert!(
            matches!(parts[1], PartKind::Image(m) if m.n_bytes == 70 && m.mime_type == "image/png")
        );
        assert!(matches!(parts[2], PartKind::Audio(m) if m.n_bytes == 4));
        assert_eq!(
            parts[3],
            &PartKind::Link(Link {
                uri: "https://wiki.corp/x".into(),
                title: "The X page".into(),
                description: Some("d".into())
            })
        );
        assert!(matches!(parts[4], PartKind::Reference(l) if l.title == "passwd"));
        assert!(
            matches!(parts[5], PartKind::Resource { text, truncated: false, .. } if text == "hello")
        );
        assert!(matches!(parts[6], PartKind::Omitted { kind, .. } if kind == "resource"));
        assert_eq!(result.structured, Some(json!({"rows":2})));
        assert!(!result.is_error);
        assert_eq!(
            result.model_text(),
            "Found 2 rows\n[image image/png, 70 B, shown to the user]\n[audio audio/wav, 4 B, playable by the user]\n\
[link: The X page <https://wiki.corp/x>]\n[resource: passwd <file:///etc/passwd>]\n[resource note://1]\nhello\n\
[resource omitted: binary resources are not shown]"
        );
    }

    #[test]
    fn unsafe_media_is_omitted() {
        let limits = Limits {
            max_media_bytes: 50,
            max_text_bytes: 4,
        };
        let result = parse_call_result(
            &json!({"content":[
                {"type":"image","data":PNG,"mimeType":"image/png"},
                {"type":"image","data":"PHN2Zz4=","mimeType":"image/svg+xml"},
                {"type":"image","data":"not base64!","mimeType":"image/gif"},
                {"type":"image","url":"https://evil.example/x.png","mimeType":"image/png"},
                {"type":"audio","data":"AAAA","mimeType":"text/html"},
                {"type":"resource","resource":{"uri":"t://1","text":"héllo wörld"}},
                {"type":"video"}
            ]}),
            limits,
        );
        let reasons: Vec<String> = kinds(&result)
            .iter()
            .map(|k| match k {
                PartKind::Omitted { reason, .. } => reason.clone(),
                PartKind::Resource {
                    text, truncated, ..
                } => format!("{text}|{truncated}"),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "larger than 50 B",
                "type \"image/svg+xml\" is not shown",
                "the data is not base64",
                "no data",
                "type \"text/html\" is not shown",
                "hél|true",
                "an unknown content type"
            ]
        );
    }

    #[test]
    fn only_web_links_are_links() {
        for uri in [
            "https://a.example/x",
            "HTTP://a.example",
            "http://a.example:8080/p?q=1",
        ] {
            assert!(is_web(uri), "{uri}");
        }
        for uri in [
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///x",
            "demo://resource/1",
            "https://",
            "https:///x",
            "https://a.example/x y",
            "//a.example",
        ] {
            assert!(!is_web(uri), "{uri}");
        }
        let parts = parse_call_result(
            &json!({"content":[{"type":"resource_link","uri":"javascript:alert(1)","name":"click"},{"type":"resource_link","name":"none"}]}),
            Limits::default(),
        );
        assert!(matches!(&parts.parts[0].kind, PartKind::Reference(_)));
        assert!(matches!(&parts.parts[1].kind, PartKind::Omitted { .. }));
    }

    #[test]
    fn the_model_sees_what_is_meant_for_it() {
        let user_only = parse_call_result(
            &json!({"content":[
                {"type":"text","text":"for you","annotations":{"audience":["user"]}},
                {"type":"text","text":"for both","annotations":{"audience":["user","assistant"]}}
            ]}),
            Limits::default(),
        );
        assert!(!user_only.parts[0].for_model);
        assert_eq!(user_only.model_text(), "for both");
        let structured = parse_call_result(
            &json!({"content":[],"structuredContent":{"n":1},"isError":true}),
            Limits::default(),
        );
        assert!(structured.is_error);
        assert_eq!(structured.model_text(), r#"{"n":1}"#);
        let both = parse_call_result(
            &json!({"content":[{"type":"text","text":"{\"n\": 1}"}],"structuredContent":{"n":1}}),
            Limits::default(),
        );
        assert_eq!(both.model_text(), "{\"n\": 1}");
        assert_eq!(parse_call_result(&json!({}), Limits::default()).parts, []);
    }
}

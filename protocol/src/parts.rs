//! The parts of a rich tool result, as the edge sends them to the widget in
//! [`crate::StreamEvent::ToolCallResult`]'s `parts` (edge tool mode only).
//!
//! The edge has already checked every part (media inline and of an allow-listed raster or audio
//! type, within its size cap; links only `http`/`https`); the widget checks again before it
//! renders. A result carries parts only when it holds more than text: then the widget shows the
//! parts instead of the `output` text, which stays what the model received.

use serde::{Deserialize, Serialize};

/// One part of a tool result, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResultPart {
    /// Text, shown as text.
    Text {
        /// The text.
        text: String,
    },
    /// An inline image (never a URL to fetch).
    Image {
        /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
        mime_type: String,
        /// The base64 data.
        data: String,
    },
    /// Inline audio, given to a player.
    Audio {
        /// An `audio/*` type.
        mime_type: String,
        /// The base64 data.
        data: String,
    },
    /// A link the user may open (`http`/`https` only).
    Link {
        /// The URL.
        uri: String,
        /// What to show.
        title: String,
    },
    /// A resource named by a URI that is not a web link (`file:`, `demo:`, ...): shown, not
    /// linked.
    Reference {
        /// The URI.
        uri: String,
        /// What to show.
        title: String,
    },
    /// An embedded text resource, shown collapsed.
    Resource {
        /// Its URI.
        uri: String,
        /// Its text (capped by the edge).
        text: String,
    },
    /// `structuredContent` that is a list of flat objects (or an object holding one such list):
    /// a table of text cells.
    Table {
        /// The column names.
        columns: Vec<String>,
        /// The rows, one cell per column.
        rows: Vec<Vec<String>>,
    },
    /// Any other `structuredContent`, as JSON text (shown pretty-printed).
    Json {
        /// The JSON text.
        json: String,
    },
    /// A part the edge does not show, and why.
    Omitted {
        /// The part's MCP `type`.
        kind: String,
        /// Why (safe to show).
        reason: String,
    },
}

/// Image types a card shows inline (raster only: SVG can carry script).
pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Audio types a card gives to a player.
pub const AUDIO_TYPES: [&str; 6] = [
    "audio/wav",
    "audio/mpeg",
    "audio/ogg",
    "audio/webm",
    "audio/mp4",
    "audio/flac",
];

/// Whether `uri` is an absolute `http` or `https` URL with a host, and no space or control
/// character: the only links a tool result may offer the user.
pub fn is_web_link(uri: &str) -> bool {
    let lower = uri.get(..8).unwrap_or(uri).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &uri[8..]
    } else if lower.starts_with("http://") {
        &uri[7..]
    } else {
        return false;
    };
    !rest.is_empty()
        && !rest.starts_with('/')
        && !uri.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_tagged_by_type() {
        let image = ResultPart::Image {
            mime_type: "image/png".into(),
            data: "AAAA".into(),
        };
        let json = serde_json::to_string(&image).unwrap();
        assert_eq!(
            json,
            r#"{"type":"image","mime_type":"image/png","data":"AAAA"}"#
        );
        assert_eq!(serde_json::from_str::<ResultPart>(&json).unwrap(), image);
        let table: ResultPart =
            serde_json::from_str(r#"{"type":"table","columns":["a"],"rows":[["1"]]}"#).unwrap();
        assert_eq!(
            table,
            ResultPart::Table {
                columns: vec!["a".into()],
                rows: vec![vec!["1".into()]]
            }
        );
    }
}

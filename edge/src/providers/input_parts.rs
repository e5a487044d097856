//! A user turn with attachments as the provider's input parts, for either API.
//!
//! Responses (`shared/protocols-next.md` §7): `input_text`, `input_image` (`image_url` holding
//! the `data:` URL, `detail: auto`), `input_file` (`filename`, `file_data` holding the `data:`
//! URL; PDFs). Chat Completions (§8): `text` and `image_url` (`{"url": data URL}`) parts.
//! Text-like files go as text in both, fenced and named, so the model reads them as the file's
//! content rather than as the user's words. A turn without attachments keeps its plain string
//! `content`. The attachments were checked by [`crate::incoming::attachments`] before.

use protocol::Turn;
use protocol::attachment::AttachmentKind;
use serde_json::{Value, json};

use crate::incoming::attachments;

/// The API whose part shapes to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// OpenAI's Responses API.
    Responses,
    /// Chat Completions.
    ChatCompletions,
}

/// The turn's `content`: its text, or the list of parts when it carries attachments.
pub fn content(turn: &Turn, api: Api) -> Value {
    if turn.attachments.is_empty() {
        return json!(turn.content);
    }
    let text = |text: &str| match api {
        Api::Responses => json!({"type": "input_text", "text": text}),
        Api::ChatCompletions => json!({"type": "text", "text": text}),
    };
    let mut parts = vec![text(&turn.content)];
    for attachment in &turn.attachments {
        let Ok((parsed, _)) = attachments::parse(attachment) else {
            continue;
        };
        let data = &attachment.data;
        parts.push(match (parsed.kind, api) {
            (AttachmentKind::Image, Api::Responses) => {
                json!({"type": "input_image", "image_url": data, "detail": "auto"})
            }
            (AttachmentKind::Image, Api::ChatCompletions) => {
                json!({"type": "image_url", "image_url": {"url": data}})
            }
            (AttachmentKind::Pdf, _) => {
                json!({"type": "input_file", "filename": attachment.name, "file_data": data})
            }
            (AttachmentKind::Text, _) => {
                let body = attachments::text(attachment).unwrap_or_default();
                text(&format!(
                    "Attached file {:?} ({}):\n````\n{body}\n````",
                    attachment.name, parsed.mime
                ))
            }
        });
    }
    Value::Array(parts)
}

/// The turn as a `{"role", "content"}` message of `api`.
pub fn message(turn: &Turn, api: Api) -> Value {
    json!({"role": turn.role.as_str(), "content": content(turn, api)})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incoming::attachments::tests::{PNG, attachment};

    fn turn() -> Turn {
        let csv = "data:text/csv;base64,YSxiCjEsMgo=";
        let pdf = "data:application/pdf;base64,JVBERi0xLjcK";
        Turn {
            role: protocol::Role::User,
            content: "what is this?".into(),
            attachments: vec![
                attachment("a.png", PNG),
                attachment("t.csv", csv),
                attachment("d.pdf", pdf),
            ],
        }
    }

    #[test]
    fn responses_parts_are_input_text_image_and_file() {
        let parts = content(&turn(), Api::Responses);
        assert_eq!(
            parts[0],
            json!({"type":"input_text","text":"what is this?"})
        );
        assert_eq!(
            parts[1],
            json!({"type":"input_image","image_url":PNG,"detail":"auto"})
        );
        assert_eq!(parts[2]["type"], "input_text");
        assert!(
            parts[2]["text"]
                .as_str()
                .unwrap()
                .contains("\"t.csv\" (text/csv):\n````\na,b\n1,2\n")
        );
        assert_eq!(
            parts[3],
            json!({"type":"input_file","filename":"d.pdf","file_data":"data:application/pdf;base64,JVBERi0xLjcK"})
        );
    }

    #[test]
    fn chat_completions_parts_are_text_and_image_url() {
        let parts = content(&turn(), Api::ChatCompletions);
        assert_eq!(parts[0], json!({"type":"text","text":"what is this?"}));
        assert_eq!(
            parts[1],
            json!({"type":"image_url","image_url":{"url":PNG}})
        );
        assert_eq!(parts[2]["type"], "text");
    }

    #[test]
    fn a_turn_without_attachments_stays_a_string() {
        let mut plain = turn();
        plain.attachments.clear();
        assert_eq!(
            message(&plain, Api::Responses),
            json!({"role":"user","content":"what is this?"})
        );
    }
}

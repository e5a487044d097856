//! The edge's check of a chat request's attachments, before anything is spent.
//!
//! The widget checks the same limits ([`protocol::attachment`]), but nothing the browser says is
//! authority: here every attachment's `data:` URL is parsed (a base64 `data:` URL of an allowed
//! type), its decoded size counted against the per-file and per-request limits, its bytes
//! checked against its type (an image's signature, a PDF's header, text that is UTF-8 without
//! NUL bytes), its name checked (no control characters, bounded), and only user turns may
//! carry any. PDFs pass only where the provider takes files (the Responses API).

use base64::Engine;
use protocol::attachment::{
    AttachmentKind, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_NAME_BYTES, MAX_ATTACHMENTS,
    MAX_ATTACHMENTS_TOTAL_BYTES, attachment_kind,
};
use protocol::{Attachment, ChatRequest, ErrorCode, Role};

/// Why an attachment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// One file over [`MAX_ATTACHMENT_BYTES`], or all over [`MAX_ATTACHMENTS_TOTAL_BYTES`].
    #[error(
        "attachment {0:?} is too large: at most {MAX_ATTACHMENT_BYTES} bytes each, {MAX_ATTACHMENTS_TOTAL_BYTES} in all"
    )]
    TooLarge(String),
    /// A type that is not allowed (here).
    #[error(
        "attachment {0:?} has a type that is not allowed: images (png, jpeg, gif, webp), text, markdown, csv, json, and pdf where the provider takes files"
    )]
    TypeNotAllowed(String),
    /// More than [`MAX_ATTACHMENTS`].
    #[error("more than {MAX_ATTACHMENTS} attachments in one request")]
    TooMany,
    /// Not a base64 `data:` URL, bytes that are not what the type says, a bad name, or on an
    /// assistant turn.
    #[error("attachment {0:?} is malformed: {1}")]
    Invalid(String, &'static str),
}

impl AttachmentError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge(_) => ErrorCode::AttachmentTooLarge,
            Self::TypeNotAllowed(_) => ErrorCode::AttachmentTypeNotAllowed,
            Self::TooMany => ErrorCode::TooManyAttachments,
            Self::Invalid(..) => ErrorCode::AttachmentInvalid,
        }
    }
}

/// A checked attachment: its type and kind, and the base64 text of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// The `data:` URL's type, lower case as sent.
    pub mime: &'a str,
    /// What the type becomes at the provider.
    pub kind: AttachmentKind,
    /// The base64 text after the comma.
    pub base64: &'a str,
}

/// Checks every attachment of `chat`; `files`: the provider takes file parts (PDF).
pub fn check(chat: &ChatRequest, files: bool) -> Result<(), AttachmentError> {
    let count: usize = chat.messages.iter().map(|t| t.attachments.len()).sum();
    if count > MAX_ATTACHMENTS {
        return Err(AttachmentError::TooMany);
    }
    let mut total = 0usize;
    for turn in &chat.messages {
        for attachment in &turn.attachments {
            if turn.role != Role::User {
                return Err(invalid(
                    attachment,
                    "only the user's messages carry attachments",
                ));
            }
            let (parsed, size) = parse(attachment)?;
            if parsed.kind == AttachmentKind::Pdf && !files {
                return Err(AttachmentError::TypeNotAllowed(attachment.name.clone()));
            }
            total += size;
            if total > MAX_ATTACHMENTS_TOTAL_BYTES {
                return Err(AttachmentError::TooLarge(attachment.name.clone()));
            }
        }
    }
    Ok(())
}

/// Parses and checks one attachment; gives it with its decoded size.
pub fn parse(attachment: &Attachment) -> Result<(Parsed<'_>, usize), AttachmentError> {
    let name = &attachment.name;
    if name.is_empty()
        || name.len() > MAX_ATTACHMENT_NAME_BYTES
        || name.chars().any(char::is_control)
    {
        return Err(invalid(
            attachment,
            "its name is empty, too long or has control characters",
        ));
    }
    let Some((head, base64)) = attachment
        .data
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(','))
    else {
        return Err(invalid(attachment, "it is not a data: URL"));
    };
    let Some(mime) = head.strip_suffix(";base64") else {
        return Err(invalid(attachment, "its data: URL is not base64"));
    };
    let Some(kind) = attachment_kind(mime) else {
        return Err(AttachmentError::TypeNotAllowed(name.clone()));
    };
    // Sizes first, from the text's length, before decoding anything.
    if base64.len() / 4 * 3 > MAX_ATTACHMENT_BYTES + 3 {
        return Err(AttachmentError::TooLarge(name.clone()));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64)
        .map_err(|_| invalid(attachment, "its data is not valid base64"))?;
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentError::TooLarge(name.clone()));
    }
    if !matches_type(mime, &bytes) {
        return Err(invalid(attachment, "its bytes are not what its type says"));
    }
    Ok((Parsed { mime, kind, base64 }, bytes.len()))
}

/// The text of a text-like attachment (checked UTF-8); `None` for any other.
pub fn text(attachment: &Attachment) -> Option<String> {
    let (parsed, _) = parse(attachment).ok()?;
    if parsed.kind != AttachmentKind::Text {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(parsed.base64)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// True when `bytes` are what `mime` says: an image's or a PDF's signature; text that is UTF-8
/// without NUL bytes.
fn matches_type(mime: &str, bytes: &[u8]) -> bool {
    match mime {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/gif" => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
        "image/webp" => bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        _ => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
    }
}

fn invalid(attachment: &Attachment, why: &'static str) -> AttachmentError {
    AttachmentError::Invalid(attachment.name.clone(), why)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The smallest PNG signature, as a data URL.
    pub(crate) const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==";

    pub(crate) fn attachment(name: &str, data: &str) -> Attachment {
        Attachment {
            name: name.into(),
            data: data.into(),
        }
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn chat(attachments: Vec<Attachment>) -> ChatRequest {
        let mut chat: ChatRequest =
            serde_json::from_str(r#"{"messages":[{"role":"user","content":"look"}]}"#).unwrap();
        chat.messages[0].attachments = attachments;
        chat
    }

    fn code(attachments: Vec<Attachment>, files: bool) -> Option<ErrorCode> {
        check(&chat(attachments), files).err().map(|e| e.code())
    }

    #[test]
    fn allowed_files_pass() {
        let text = format!("data:text/csv;base64,{}", b64(b"a,b\n1,2\n"));
        let pdf = format!("data:application/pdf;base64,{}", b64(b"%PDF-1.7\n"));
        assert_eq!(
            code(
                vec![attachment("a.png", PNG), attachment("t.csv", &text)],
                false
            ),
            None
        );
        assert_eq!(code(vec![attachment("d.pdf", &pdf)], true), None);
        assert_eq!(
            text_of(&attachment("t.csv", &text)),
            Some("a,b\n1,2\n".into())
        );
    }

    fn text_of(a: &Attachment) -> Option<String> {
        text(a)
    }

    #[test]
    fn each_limit_has_its_code() {
        let pdf = format!("data:application/pdf;base64,{}", b64(b"%PDF-1.7\n"));
        assert_eq!(
            code(vec![attachment("d.pdf", &pdf)], false),
            Some(ErrorCode::AttachmentTypeNotAllowed)
        );
        let svg = format!("data:image/svg+xml;base64,{}", b64(b"<svg/>"));
        assert_eq!(
            code(vec![attachment("x.svg", &svg)], true),
            Some(ErrorCode::AttachmentTypeNotAllowed)
        );
        let many = vec![attachment("a.png", PNG); MAX_ATTACHMENTS + 1];
        assert_eq!(code(many, true), Some(ErrorCode::TooManyAttachments));
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_ATTACHMENT_BYTES + 1, 0);
        let big = format!("data:image/png;base64,{}", b64(&big));
        assert_eq!(
            code(vec![attachment("big.png", &big)], true),
            Some(ErrorCode::AttachmentTooLarge)
        );
        let mut part = b"\x89PNG\r\n\x1a\n".to_vec();
        part.resize(MAX_ATTACHMENT_BYTES, 0);
        let part = format!("data:image/png;base64,{}", b64(&part));
        let all = vec![
            attachment("p.png", &part);
            MAX_ATTACHMENTS_TOTAL_BYTES / MAX_ATTACHMENT_BYTES + 1
        ];
        assert_eq!(code(all, true), Some(ErrorCode::AttachmentTooLarge));
    }

    #[test]
    fn forged_and_malformed_data_is_invalid() {
        let invalid = Some(ErrorCode::AttachmentInvalid);
        // A text file claiming to be a PNG.
        let forged = format!("data:image/png;base64,{}", b64(b"#!/bin/sh\n"));
        assert_eq!(code(vec![attachment("a.png", &forged)], true), invalid);
        // Binary claiming to be text.
        let binary = format!("data:text/plain;base64,{}", b64(b"\x00\xff\xfe"));
        assert_eq!(code(vec![attachment("a.txt", &binary)], true), invalid);
        assert_eq!(
            code(
                vec![attachment("a.png", "https://evil.example/a.png")],
                true
            ),
            invalid
        );
        assert_eq!(
            code(vec![attachment("a.png", "data:image/png,%89PNG")], true),
            invalid
        );
        assert_eq!(
            code(vec![attachment("a.png", "data:image/png;base64,!!!")], true),
            invalid
        );
        assert_eq!(code(vec![attachment("a\nb.png", PNG)], true), invalid);
        assert_eq!(code(vec![attachment("", PNG)], true), invalid);
        let mut on_answer = chat(vec![]);
        on_answer.messages.insert(
            0,
            protocol::Turn {
                role: Role::Assistant,
                content: "x".into(),
                attachments: vec![attachment("a.png", PNG)],
            },
        );
        assert_eq!(check(&on_answer, true).err().map(|e| e.code()), invalid);
    }
}

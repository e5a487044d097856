//! Files attached to a question: the wire shape and the limits both sides check.
//!
//! An attachment travels inside its user [`crate::Turn`] as a name and a `data:` URL
//! (`data:<type>;base64,<bytes>`): the widget reads the file in the browser, checks it against
//! these limits, and the edge checks it again (type from the URL, size, the bytes' signature)
//! before anything is sent. Nothing but the edge ever receives the bytes; the edge hands them to
//! the provider as its input parts (images and PDFs) or as text (text-like files).

use serde::{Deserialize, Serialize};

/// Largest attachment, in decoded bytes.
pub const MAX_ATTACHMENT_BYTES: usize = 2 * 1024 * 1024;
/// Most attachments one request may carry, over all its turns.
pub const MAX_ATTACHMENTS: usize = 8;
/// Most decoded bytes of all the attachments of one request.
pub const MAX_ATTACHMENTS_TOTAL_BYTES: usize = 6 * 1024 * 1024;
/// Room the attachments may take in a request body: their base64 text (4 bytes per 3), and a
/// kilobyte per attachment for its name and `data:` prefix. The edge reads chat bodies up to
/// its conversation limit plus this.
pub const MAX_ATTACHMENTS_WIRE_BYTES: usize =
    MAX_ATTACHMENTS_TOTAL_BYTES.div_ceil(3) * 4 + MAX_ATTACHMENTS * 1024;
/// Longest file name, in bytes.
pub const MAX_ATTACHMENT_NAME_BYTES: usize = 255;

/// The types an attachment may have, each with the file name endings that imply it (for a
/// browser that reports no type). `application/pdf` only where the provider accepts files.
pub const ATTACHMENT_TYPES: [(&str, &[&str]); 9] = [
    ("image/png", &["png"]),
    ("image/jpeg", &["jpg", "jpeg"]),
    ("image/gif", &["gif"]),
    ("image/webp", &["webp"]),
    ("text/plain", &["txt", "text", "log"]),
    ("text/markdown", &["md", "markdown"]),
    ("text/csv", &["csv"]),
    ("application/json", &["json"]),
    ("application/pdf", &["pdf"]),
];

/// One attached file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// The file's name, as the user's system named it (shown, and given to the provider).
    pub name: String,
    /// The bytes as a `data:<type>;base64,…` URL.
    pub data: String,
}

/// What kind of input part an attachment type becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    /// `image/png|jpeg|gif|webp`: an image part.
    Image,
    /// Text-like (`text/plain|markdown|csv`, `application/json`): sent as text.
    Text,
    /// `application/pdf`: a file part (Responses API only).
    Pdf,
}

/// The kind of an allowed attachment type; `None` for a type not allowed.
pub fn attachment_kind(mime: &str) -> Option<AttachmentKind> {
    let mime = mime.to_ascii_lowercase();
    ATTACHMENT_TYPES.iter().find(|(t, _)| *t == mime)?;
    Some(if mime.starts_with("image/") {
        AttachmentKind::Image
    } else if mime == "application/pdf" {
        AttachmentKind::Pdf
    } else {
        AttachmentKind::Text
    })
}

/// The allowed type of a file: its reported `mime` when allowed, else the one its name's
/// ending implies (browsers often report no type for `.md` or `.csv`); `None` when neither is
/// allowed.
pub fn attachment_type(name: &str, mime: &str) -> Option<&'static str> {
    let mime = mime.to_ascii_lowercase();
    if let Some((t, _)) = ATTACHMENT_TYPES.iter().find(|(t, _)| *t == mime) {
        return Some(t);
    }
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    ATTACHMENT_TYPES
        .iter()
        .find(|(_, exts)| exts.contains(&ext.as_str()))
        .map(|(t, _)| *t)
}

/// The `accept` attribute of a file input offering the allowed types.
pub fn attachment_accept(files: bool) -> String {
    ATTACHMENT_TYPES
        .iter()
        .filter(|(t, _)| files || attachment_kind(t) != Some(AttachmentKind::Pdf))
        .flat_map(|(t, exts)| {
            std::iter::once((*t).to_owned()).chain(exts.iter().map(|e| format!(".{e}")))
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_report_or_the_name() {
        assert_eq!(attachment_type("a.png", "image/png"), Some("image/png"));
        assert_eq!(attachment_type("notes.md", ""), Some("text/markdown"));
        assert_eq!(
            attachment_type("DATA.CSV", "application/vnd.ms-excel"),
            Some("text/csv")
        );
        assert_eq!(attachment_type("x.exe", "application/x-msdownload"), None);
        assert_eq!(attachment_type("noext", ""), None);
        assert_eq!(attachment_kind("image/webp"), Some(AttachmentKind::Image));
        assert_eq!(
            attachment_kind("application/json"),
            Some(AttachmentKind::Text)
        );
        assert_eq!(
            attachment_kind("application/pdf"),
            Some(AttachmentKind::Pdf)
        );
        assert_eq!(attachment_kind("image/svg+xml"), None);
    }

    #[test]
    fn accept_lists_pdf_only_with_files() {
        assert!(attachment_accept(true).contains("application/pdf"));
        assert!(!attachment_accept(false).contains("pdf"));
        assert!(attachment_accept(false).contains(".md"));
    }
}

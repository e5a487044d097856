//! Files attached to the draft and to sent questions, and the provider's own tools the user
//! turned on: the widget's checks, before the edge checks again.
//!
//! A picked, pasted or dropped file is admitted ([`admit`]) when its type is one of
//! `protocol::attachment::ATTACHMENT_TYPES` (by its reported type, else its name's ending),
//! it is at most `MAX_ATTACHMENT_BYTES`, and the draft stays within `MAX_ATTACHMENTS` and
//! `MAX_ATTACHMENTS_TOTAL_BYTES`; otherwise the user is told why (the error code's message) and
//! nothing else changes. An admitted file is a chip at once and its bytes arrive when read.
//! A stored question keeps a file's bytes only up to [`MAX_STORED_DATA`] characters: a larger
//! one is kept as its name and size, shown, and no longer sent.

use protocol::ErrorCode;
use protocol::attachment::{
    MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_ATTACHMENTS_TOTAL_BYTES, attachment_type,
};

/// The longest `data:` URL a stored question keeps (a file of about 24 KB).
pub(crate) const MAX_STORED_DATA: usize = 32_000;

/// One attached file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attached {
    /// Which read it waits for (0 once read or restored).
    pub(crate) id: u32,
    /// The file's name.
    pub(crate) name: String,
    /// Its size in bytes.
    pub(crate) size: u32,
    /// Its allowed type.
    pub(crate) mime: String,
    /// Its bytes as a `data:` URL; empty while being read, or when not stored.
    pub(crate) data: String,
}

/// A file the page handed over (picked, pasted or dropped), before it is read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FileMeta {
    /// The controller's handle on the file, for the read.
    pub(crate) id: u32,
    /// Its name.
    pub(crate) name: String,
    /// The type the browser reported (may be empty).
    pub(crate) mime: String,
    /// Its size in bytes.
    pub(crate) size: f64,
}

/// The file's allowed type, or why it is refused, given the files already in `draft`.
pub(crate) fn admit(draft: &[Attached], file: &FileMeta) -> Result<&'static str, ErrorCode> {
    let mime =
        attachment_type(&file.name, &file.mime).ok_or(ErrorCode::AttachmentTypeNotAllowed)?;
    if draft.len() >= MAX_ATTACHMENTS {
        return Err(ErrorCode::TooManyAttachments);
    }
    let total: f64 = draft.iter().map(|a| f64::from(a.size)).sum();
    if file.size > MAX_ATTACHMENT_BYTES as f64
        || total + file.size > MAX_ATTACHMENTS_TOTAL_BYTES as f64
    {
        return Err(ErrorCode::AttachmentTooLarge);
    }
    Ok(mime)
}

/// `data` (a `data:` URL as the browser read it) with the admitted type: a browser that knew no
/// type for `.md` says `application/octet-stream`.
pub(crate) fn with_type(data: &str, mime: &str) -> String {
    // After the first comma: a `data:` URL's type holds none.
    let base64 = data.find(',').map_or("", |at| &data[at + 1..]);
    format!("data:{mime};base64,{base64}")
}

/// The files to send: those whose bytes are here.
pub(crate) fn to_wire(files: &[Attached]) -> Vec<protocol::Attachment> {
    files
        .iter()
        .filter(|a| !a.data.is_empty())
        .map(|a| protocol::Attachment {
            name: a.name.clone(),
            data: a.data.clone(),
        })
        .collect()
}

/// Keeps the files of `turns` within one request's limits, newest first: an older question's
/// files that would pass `MAX_ATTACHMENTS` or `MAX_ATTACHMENTS_TOTAL_BYTES` are left out (the
/// question itself stays), so a long conversation with files is never refused for them.
pub(crate) fn fit(turns: &mut [protocol::Turn]) {
    let (mut count, mut bytes) = (0, 0);
    for turn in turns.iter_mut().rev() {
        turn.attachments.retain(|a| {
            let size = a.data.len() / 4 * 3;
            let fits = count < MAX_ATTACHMENTS && bytes + size <= MAX_ATTACHMENTS_TOTAL_BYTES;
            if fits {
                count += 1;
                bytes += size;
            }
            fits
        });
    }
}

/// A size for a chip: bytes, KB or MB.
pub(crate) fn size_label(size: u32) -> String {
    match size {
        0..1024 => format!("{size} B"),
        1024..1_048_576 => format!("{} KB", size.div_ceil(1024)),
        _ => {
            // Tenths by integers: float formatting would cost the bundle kilobytes.
            let tenths = u64::from(size) * 10 / 1_048_576;
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    }
}

/// The hosted tools offered with `model` (the edge's default when `None`), in the edge's order.
pub(crate) fn hosted_offered(
    models: Option<&protocol::ModelList>,
    model: Option<&str>,
) -> Vec<String> {
    let Some(list) = models else {
        return Vec::new();
    };
    let model = model.unwrap_or(&list.default);
    list.hosted_tools
        .iter()
        .filter(|o| o.models.iter().any(|m| m == model))
        .map(|o| o.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, mime: &str, size: f64) -> FileMeta {
        FileMeta {
            id: 1,
            name: name.into(),
            mime: mime.into(),
            size,
        }
    }

    fn attached(size: u32) -> Attached {
        Attached {
            id: 0,
            name: "a.png".into(),
            size,
            mime: "image/png".into(),
            data: "data:image/png;base64,AA==".into(),
        }
    }

    #[test]
    fn files_are_admitted_within_the_limits() {
        assert_eq!(
            admit(&[], &file("a.png", "image/png", 10.0)),
            Ok("image/png")
        );
        assert_eq!(admit(&[], &file("notes.md", "", 10.0)), Ok("text/markdown"));
        let refused = |draft: &[Attached], f: FileMeta| admit(draft, &f).unwrap_err();
        assert_eq!(
            refused(&[], file("a.exe", "application/x-msdownload", 1.0)),
            ErrorCode::AttachmentTypeNotAllowed
        );
        assert_eq!(
            refused(&[], file("a.svg", "image/svg+xml", 1.0)),
            ErrorCode::AttachmentTypeNotAllowed
        );
        let big = MAX_ATTACHMENT_BYTES as f64 + 1.0;
        assert_eq!(
            refused(&[], file("a.png", "image/png", big)),
            ErrorCode::AttachmentTooLarge
        );
        let full = vec![attached(1); MAX_ATTACHMENTS];
        assert_eq!(
            refused(&full, file("b.png", "image/png", 1.0)),
            ErrorCode::TooManyAttachments
        );
        let heavy = vec![attached(MAX_ATTACHMENT_BYTES as u32); 3];
        assert_eq!(
            refused(&heavy, file("b.png", "image/png", 1.0)),
            ErrorCode::AttachmentTooLarge
        );
    }

    #[test]
    fn data_urls_take_the_admitted_type_and_only_read_files_are_sent() {
        assert_eq!(
            with_type(
                "data:application/octet-stream;base64,IyBoaQ==",
                "text/markdown"
            ),
            "data:text/markdown;base64,IyBoaQ=="
        );
        let mut reading = attached(3);
        reading.data.clear();
        assert_eq!(to_wire(&[attached(3), reading]).len(), 1);
        assert_eq!(size_label(999), "999 B");
        assert_eq!(size_label(2048), "2 KB");
        assert_eq!(size_label(3 * 1_048_576), "3.0 MB");
    }

    #[test]
    fn older_files_beyond_the_limits_are_left_out() {
        let file = protocol::Attachment {
            name: "a.png".into(),
            data: "data:image/png;base64,AAAA".into(),
        };
        let turn = |n: usize| protocol::Turn {
            role: protocol::Role::User,
            content: "q".into(),
            attachments: vec![file.clone(); n],
        };
        let mut turns = vec![turn(5), turn(5)];
        fit(&mut turns);
        assert_eq!(
            (turns[0].attachments.len(), turns[1].attachments.len()),
            (3, 5)
        );
    }

    #[test]
    fn hosted_tools_are_offered_per_model() {
        let list = protocol::ModelList {
            models: vec!["a".into(), "b".into()],
            default: "a".into(),
            notice: None,
            hosted_tools: vec![protocol::HostedToolOffer {
                name: "web_search".into(),
                models: vec!["b".into()],
            }],
        };
        assert!(hosted_offered(Some(&list), None).is_empty());
        assert_eq!(
            hosted_offered(Some(&list), Some("b")),
            vec!["web_search".to_owned()]
        );
        assert!(hosted_offered(None, Some("b")).is_empty());
    }
}

//! Which parts of a rich tool result the widget renders: the edge checked them already, and the
//! widget checks again, so a faulty or hostile edge cannot make the card load anything.
//!
//! An image must be of a raster type (`image/png|jpeg|gif|webp`, never SVG, which can carry
//! script), audio of a listed `audio/*` type, each with plain base64 data within
//! [`MAX_MEDIA_CHARS`]: it is rendered from a `data:` URL only. A link must be an absolute
//! `http`/`https` URL, else it is shown as a reference (text, not a link). A part that fails
//! becomes [`ResultPart::Omitted`] with an empty reason; at most [`MAX_PARTS`] are kept.

use protocol::ResultPart;
use protocol::parts::{AUDIO_TYPES, IMAGE_TYPES, is_web_link};

/// The longest base64 data rendered (1 MiB decoded, the edge's default cap).
pub(crate) const MAX_MEDIA_CHARS: usize = (1 << 20) / 3 * 4 + 4;
/// Most parts kept of one result.
pub(crate) const MAX_PARTS: usize = 32;

/// The parts the card may render, in order.
pub(crate) fn shown(parts: Vec<ResultPart>) -> Vec<ResultPart> {
    parts.into_iter().take(MAX_PARTS).map(check).collect()
}

fn check(part: ResultPart) -> ResultPart {
    let omitted = |kind: &str| ResultPart::Omitted {
        kind: kind.to_owned(),
        reason: String::new(),
    };
    match part {
        ResultPart::Image { mime_type, data } => {
            if media_ok(&IMAGE_TYPES, &mime_type, &data) {
                ResultPart::Image { mime_type, data }
            } else {
                omitted("image")
            }
        }
        ResultPart::Audio { mime_type, data } => {
            if media_ok(&AUDIO_TYPES, &mime_type, &data) {
                ResultPart::Audio { mime_type, data }
            } else {
                omitted("audio")
            }
        }
        ResultPart::Link { uri, title } if !is_web_link(&uri) => {
            ResultPart::Reference { uri, title }
        }
        other => other,
    }
}

fn media_ok(types: &[&str], mime_type: &str, data: &str) -> bool {
    types.contains(&mime_type)
        && !data.is_empty()
        && data.len() <= MAX_MEDIA_CHARS
        && data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(mime_type: &str, data: &str) -> ResultPart {
        ResultPart::Image {
            mime_type: mime_type.into(),
            data: data.into(),
        }
    }

    #[test]
    fn only_inline_raster_media_within_the_cap_is_shown() {
        let ok = image("image/png", "iVBORw0KGgo=");
        assert_eq!(shown(vec![ok.clone()]), [ok]);
        let big = "A".repeat(MAX_MEDIA_CHARS + 4);
        for bad in [
            image("image/svg+xml", "PHN2Zz4="),
            image("image/png", "\" onerror=\"alert(1)"),
            image("image/png", "x,<svg>"),
            image("image/png", ""),
            image("IMAGE/PNG", "AAAA"),
            image("image/png", &big),
        ] {
            assert_eq!(
                shown(vec![bad.clone()]),
                [ResultPart::Omitted {
                    kind: "image".into(),
                    reason: String::new()
                }],
                "{bad:?}"
            );
        }
        let audio = ResultPart::Audio {
            mime_type: "audio/wav".into(),
            data: "UklGRg==".into(),
        };
        assert_eq!(shown(vec![audio.clone()]), [audio]);
        let html = ResultPart::Audio {
            mime_type: "text/html".into(),
            data: "AAAA".into(),
        };
        assert!(
            matches!(&shown(vec![html])[0], ResultPart::Omitted { kind, .. } if kind == "audio")
        );
    }

    #[test]
    fn only_web_links_stay_links() {
        let link = |uri: &str| ResultPart::Link {
            uri: uri.into(),
            title: "t".into(),
        };
        assert_eq!(
            shown(vec![link("https://a.example/x")]),
            [link("https://a.example/x")]
        );
        for uri in [
            "javascript:alert(1)",
            "data:text/html,x",
            "//a.example",
            "https:///x",
        ] {
            assert_eq!(
                shown(vec![link(uri)]),
                [ResultPart::Reference {
                    uri: uri.into(),
                    title: "t".into()
                }],
                "{uri}"
            );
        }
    }

    #[test]
    fn at_most_max_parts_are_kept() {
        let text = ResultPart::Text { text: "a".into() };
        assert_eq!(shown(vec![text; MAX_PARTS + 5]).len(), MAX_PARTS);
    }
}

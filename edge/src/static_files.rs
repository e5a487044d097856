//! The static files the edge serves: the widget bundle under `/widget/` and the demo site at `/`.
//!
//! Files come from a directory mounted into the component (Spin's `files`, or `--dir` under
//! `wasmtime serve`): `<root>/widget/` and `<root>/site/`. A request path maps to a file only
//! through plain segments, so `..`, hidden files and odd bytes never reach the file system.
//!
//! Each file carries a validator ([`etag`], from its length and modification time, as most web
//! servers make it) and stays `no-cache`: a browser asks again on every page, and an unchanged
//! file is answered `304 Not Modified` without a body ([`not_modified`]). That keeps the
//! browser's copy, and with it the wasm it compiled, so the next intranet page starts the
//! widget without downloading or compiling it again.

/// A request path resolved to a file in the mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticFile {
    /// The file's path in the component's file system.
    pub path: String,
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

/// Maps a request path to a file under `root`, or `None` when the path is not servable.
pub fn resolve(root: &str, request_path: &str) -> Option<StaticFile> {
    let root = root.trim_end_matches('/');
    let (dir, rest) = match request_path.strip_prefix("/widget/") {
        Some(rest) => ("widget", rest),
        None => ("site", request_path.trim_start_matches('/')),
    };
    let rest = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_owned()
    };
    let safe = rest.split('/').all(|seg| {
        !seg.is_empty()
            && !seg.starts_with('.')
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    if !safe {
        return None;
    }
    let extension = rest.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let content_type = match extension {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    };
    Some(StaticFile {
        path: format!("{root}/{dir}/{rest}"),
        content_type,
    })
}

/// The weak entity tag of a file `len` bytes long, last modified `modified` (time since the
/// epoch, when the file system knows it).
pub fn etag(len: u64, modified: Option<std::time::Duration>) -> String {
    let nanos = modified.map_or(0, |m| m.as_nanos());
    format!("W/\"{len:x}-{nanos:x}\"")
}

/// Whether a request's `If-None-Match` (a list of entity tags, or `*`) names `etag`, compared
/// weakly (RFC 9110, 13.1.2): then the answer is `304 Not Modified`.
pub fn not_modified(if_none_match: Option<&str>, etag: &str) -> bool {
    let Some(list) = if_none_match else {
        return false;
    };
    let opaque = |tag: &str| {
        let tag = tag.trim();
        tag.strip_prefix("W/").unwrap_or(tag).to_owned()
    };
    let ours = opaque(etag);
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || (!tag.is_empty() && opaque(tag) == ours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_not_modified_only_when_the_request_names_its_tag() {
        let tag = etag(317_802, Some(std::time::Duration::new(1_764_000_000, 5)));
        assert_eq!(tag, "W/\"4d96a-187afca767ca0005\"");
        assert!(not_modified(Some(&tag), &tag));
        // Weak comparison: a strong copy of the same tag, in a list, with spaces.
        let strong = tag.trim_start_matches("W/");
        assert!(not_modified(Some(&format!("\"x\", {strong} ")), &tag));
        assert!(not_modified(Some("*"), &tag));
        assert!(!not_modified(None, &tag));
        assert!(!not_modified(Some(""), &tag));
        assert!(!not_modified(Some("W/\"4d96a-0\""), &tag));
        // Another length or another time is another tag.
        assert_ne!(
            etag(1, Some(std::time::Duration::ZERO)),
            etag(2, Some(std::time::Duration::ZERO))
        );
        assert_ne!(
            etag(1, None),
            etag(1, Some(std::time::Duration::from_secs(1)))
        );
    }

    #[test]
    fn maps_paths_to_files() {
        let check = |path: &str, want: Option<(&str, &str)>| {
            let got = resolve("/", path);
            assert_eq!(
                got.as_ref().map(|f| (f.path.as_str(), f.content_type)),
                want,
                "{path}"
            );
        };
        check("/", Some(("/site/index.html", "text/html; charset=utf-8")));
        check(
            "/site.css",
            Some(("/site/site.css", "text/css; charset=utf-8")),
        );
        check(
            "/widget/pomerium-chat.js",
            Some(("/widget/pomerium-chat.js", "text/javascript; charset=utf-8")),
        );
        check(
            "/widget/widget_bg.wasm",
            Some(("/widget/widget_bg.wasm", "application/wasm")),
        );
        check(
            "/docs/",
            Some(("/site/docs/index.html", "text/html; charset=utf-8")),
        );
        for bad in [
            "/../etc/passwd",
            "/widget/../site/x.html",
            "/.env",
            "/a//b.html",
            "/x%2e%2e/y.html",
            "/binary",
            "/widget/",
        ] {
            assert_eq!(
                resolve("/", bad).filter(|f| !f.path.ends_with("/widget/index.html")),
                None,
                "{bad}"
            );
        }
    }
}

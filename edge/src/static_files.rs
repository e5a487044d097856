//! The static files the edge serves: the widget bundle under `/widget/` and the demo site at `/`.
//!
//! Files come from a directory mounted into the component (Spin's `files`, or `--dir` under
//! `wasmtime serve`): `<root>/widget/` and `<root>/site/`. A request path maps to a file only
//! through plain segments, so `..`, hidden files and odd bytes never reach the file system.

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

#[cfg(test)]
mod tests {
    use super::*;

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

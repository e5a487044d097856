//! [`StaticSite`]: an intranet web server for end-to-end tests, serving host pages that embed the
//! widget from an origin of their own.
//!
//! Real intranet pages live on a host other than the chat's: the page loads the widget bundle
//! from its own server (README, "Embed it in a page") and the widget calls the edge cross-origin.
//! A site is a list of mounts (a URL prefix and a folder); a request path maps to a file only
//! through plain segments, so `..` and hidden files are never served. Anything else is 404.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::serve::{Background, any_local_port};

/// A static web server, stopped when dropped.
#[derive(Debug)]
pub struct StaticSite {
    server: Background,
}

/// One folder served under a URL prefix.
#[derive(Debug, Clone)]
pub struct Mount {
    /// The URL prefix, starting and ending with `/` (`/` for the site's root).
    pub prefix: String,
    /// The folder whose files are served under it.
    pub dir: PathBuf,
}

impl StaticSite {
    /// Serves `mounts` (the first whose prefix matches wins) on a free loopback port.
    pub async fn start(mounts: Vec<Mount>) -> anyhow::Result<Self> {
        let router = Router::new().fallback(serve).with_state(mounts.into());
        let server = Background::spawn(any_local_port(), router).await?;
        Ok(Self { server })
    }

    /// The site's origin, e.g. `http://127.0.0.1:PORT` (no trailing slash).
    pub fn origin(&self) -> String {
        format!("http://{}", self.server.addr())
    }
}

async fn serve(State(mounts): State<std::sync::Arc<[Mount]>>, req: Request) -> Response {
    let path = req.uri().path();
    let Some(file) = resolve(&mounts, path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type(&file)),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The file `path` names under the first mount whose prefix it starts with.
fn resolve(mounts: &[Mount], path: &str) -> Option<PathBuf> {
    let mount = mounts.iter().find(|m| path.starts_with(&m.prefix))?;
    let rest = &path[mount.prefix.len()..];
    let rest = if rest.is_empty() { "index.html" } else { rest };
    let plain = rest.split('/').all(|segment| {
        !segment.is_empty()
            && !segment.starts_with('.')
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    plain.then(|| mount.dir.join(rest))
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_files_through_plain_segments_only() {
        let mounts = [
            Mount {
                prefix: "/widget/".into(),
                dir: "/dist/widget".into(),
            },
            Mount {
                prefix: "/".into(),
                dir: "/pages".into(),
            },
        ];
        let check = |path: &str, want: Option<&str>| {
            assert_eq!(resolve(&mounts, path), want.map(PathBuf::from), "{path}");
        };
        check("/", Some("/pages/index.html"));
        check("/rtl.html", Some("/pages/rtl.html"));
        check(
            "/widget/widget_bg.wasm",
            Some("/dist/widget/widget_bg.wasm"),
        );
        check("/widget/../secret", None);
        check("/.env", None);
        check("/a//b", None);
        check("/a%2e%2e/b", None);
    }
}

//! The security headers of every answer: `X-Content-Type-Options: nosniff` always; on HTML,
//! `Content-Security-Policy: frame-ancestors <frame_ancestors>` (default `'none'`: no page may
//! frame the chat's pages, which would invite clickjacking) and `Referrer-Policy: no-referrer`.

/// The security headers for an answer of `content_type`.
pub fn headers(content_type: &str, frame_ancestors: &str) -> Vec<(&'static str, String)> {
    let mut headers = vec![("x-content-type-options", "nosniff".to_owned())];
    let html = content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/html"));
    if html {
        headers.push((
            "content-security-policy",
            format!("frame-ancestors {frame_ancestors}"),
        ));
        headers.push(("referrer-policy", "no-referrer".to_owned()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_is_nosniff_and_html_is_unframeable() {
        let json = headers("application/json", "'none'");
        assert_eq!(json, [("x-content-type-options", "nosniff".to_owned())]);
        let html = headers("text/html; charset=utf-8", "'self' https://a.example");
        assert!(html.contains(&(
            "content-security-policy",
            "frame-ancestors 'self' https://a.example".to_owned()
        )));
        assert!(html.contains(&("referrer-policy", "no-referrer".to_owned())));
        assert!(html.contains(&("x-content-type-options", "nosniff".to_owned())));
    }
}

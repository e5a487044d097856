//! The demo intranet site's nginx template (deploy/intranet/default.conf.template): its
//! `sub_filter` rewrites must find their text in the demo page, or the page on the intranet
//! origin would call its own origin instead of the chat's, and its CSP would block the calls.

/// The `sub_filter 'from' 'to';` pairs of an nginx config.
fn rewrites(template: &str) -> Vec<(String, String)> {
    template
        .lines()
        .filter_map(|line| line.trim().strip_prefix("sub_filter "))
        .filter_map(|args| {
            let args = args.trim_end_matches(';');
            let quote = args.chars().next().filter(|c| *c == '\'' || *c == '"')?;
            let mut parts = args.split(quote).filter(|p| !p.trim().is_empty());
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .collect()
}

/// Each rewrite finds its text in the page and puts the chat origin in its place; the two the
/// embed needs (the widget's endpoint, the CSP's connect-src) are there.
pub(super) fn check_rewrites(template: &str, page: &str) -> Vec<String> {
    let rewrites = rewrites(template);
    let mut problems = Vec::new();
    for (from, to) in &rewrites {
        if !page.contains(from.as_str()) {
            problems.push(format!(
                "sub_filter {from:?} matches nothing in demo-site/index.html"
            ));
        }
        if !to.contains("${CHAT_ORIGIN}") {
            problems.push(format!(
                "sub_filter {from:?} does not bring in ${{CHAT_ORIGIN}}"
            ));
        }
    }
    for needed in ["endpoint=", "connect-src"] {
        if !rewrites.iter().any(|(from, _)| from.contains(needed)) {
            problems.push(format!("no sub_filter rewrites {needed}"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy_files::{assert_fails, assert_ok, broken, read};

    const TEMPLATE: &str = "deploy/intranet/default.conf.template";

    #[test]
    fn reads_sub_filter_pairs_in_either_quotes() {
        let pairs = rewrites(
            "  sub_filter 'a=\"\"' 'b';\n sub_filter \"c 'x'\" \"d\";\n sub_filter_once off;\n",
        );
        assert_eq!(
            pairs,
            [("a=\"\"".into(), "b".into()), ("c 'x'".into(), "d".into())]
        );
    }

    #[test]
    fn the_rewrites_point_the_demo_page_at_the_chat_origin() {
        let template = read(TEMPLATE);
        let page = read("demo-site/index.html");
        assert_ok(check_rewrites(&template, &page));
        let moved = broken(&page, "endpoint=\"\"", "endpoint=\"/\"");
        assert_fails(check_rewrites(&template, &moved), "matches nothing");
        let csp = broken(&page, "connect-src 'self'", "connect-src https:");
        assert_fails(check_rewrites(&template, &csp), "matches nothing");
        let fixed = broken(
            &template,
            "'endpoint=\"${CHAT_ORIGIN}\"'",
            "'endpoint=\"https://chat\"'",
        );
        assert_fails(check_rewrites(&fixed, &page), "does not bring in");
        let dropped = broken(
            &template,
            "    sub_filter \"connect-src",
            "    # sub_filter \"connect-src",
        );
        assert_fails(
            check_rewrites(&dropped, &page),
            "no sub_filter rewrites connect-src",
        );
    }
}

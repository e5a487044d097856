//! The fake provider's check of a request's input parts, on the documented wire shapes
//! (`shared/protocols-next.md` §7 for Responses, §8 for Chat Completions).
//!
//! A message `content` is a string or a list of parts. Responses parts: `input_text {text}`,
//! `input_image {image_url | file_id, detail?}` (`detail` one of `low|high|auto|original`),
//! `input_file {file_data + filename | file_id | file_url}`; assistant turns may also hold
//! `output_text`. Chat Completions parts: `text {text}`, `image_url {image_url: {url,
//! detail?}}`, `file {file: {file_data | file_id, filename?}}`. An inline image or file must be
//! a base64 `data:` URL. Anything else is refused with 400 `invalid_value`, naming the part,
//! as the real APIs refuse what they cannot read.

use serde_json::Value;

/// Checks every part of `body`; the error names the first bad one.
pub(crate) fn check(body: &Value) -> Result<(), String> {
    let (items, chat) = match (&body["input"], &body["messages"]) {
        (Value::Array(items), _) => (items, false),
        (_, Value::Array(messages)) => (messages, true),
        _ => return Ok(()),
    };
    let list = if chat { "messages" } else { "input" };
    for (i, item) in items.iter().enumerate() {
        let Value::Array(parts) = &item["content"] else {
            continue;
        };
        for (j, part) in parts.iter().enumerate() {
            let ok = if chat {
                chat_part(part)
            } else {
                responses_part(part)
            };
            if !ok {
                return Err(format!("Invalid value for '{list}[{i}].content[{j}]'."));
            }
        }
    }
    Ok(())
}

/// Every part of the request's user turns whose `type` is `kind`, in order.
pub fn parts_of_type<'a>(body: &'a Value, kind: &str) -> Vec<&'a Value> {
    let items = body["input"].as_array().or(body["messages"].as_array());
    items
        .into_iter()
        .flatten()
        .filter(|item| item["role"] == "user")
        .filter_map(|item| item["content"].as_array())
        .flatten()
        .filter(|part| part["type"] == kind)
        .collect()
}

fn responses_part(part: &Value) -> bool {
    let has = |key: &str| part[key].is_string();
    match part["type"].as_str() {
        Some("input_text" | "output_text") => has("text"),
        Some("input_image") => {
            let detail = part.get("detail").and_then(Value::as_str);
            let detail_ok = detail.is_none_or(|d| ["low", "high", "auto", "original"].contains(&d));
            detail_ok && (data_url(&part["image_url"], "image/") || has("file_id"))
        }
        Some("input_file") => {
            (has("filename") && data_url(&part["file_data"], ""))
                || has("file_id")
                || has("file_url")
        }
        _ => false,
    }
}

fn chat_part(part: &Value) -> bool {
    match part["type"].as_str() {
        Some("text") => part["text"].is_string(),
        Some("image_url") => data_url(&part["image_url"]["url"], "image/"),
        Some("file") => {
            data_url(&part["file"]["file_data"], "") || part["file"]["file_id"].is_string()
        }
        _ => false,
    }
}

/// A base64 `data:` URL whose type starts with `prefix` (an `https` URL passes too).
fn data_url(value: &Value, prefix: &str) -> bool {
    let Some(url) = value.as_str() else {
        return false;
    };
    if url.starts_with("https://") {
        return true;
    }
    url.strip_prefix("data:")
        .and_then(|rest| rest.split_once(";base64,"))
        .is_some_and(|(mime, data)| {
            mime.starts_with(prefix)
                && !data.is_empty()
                && data
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn documented_parts_pass_and_malformed_ones_are_named() {
        let good = json!({"input":[{"role":"user","content":[
            {"type":"input_text","text":"hi"},
            {"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo=","detail":"auto"},
            {"type":"input_file","filename":"d.pdf","file_data":"data:application/pdf;base64,JVBERi0="}]}]});
        assert_eq!(check(&good), Ok(()));
        assert_eq!(parts_of_type(&good, "input_image").len(), 1);
        let chat = json!({"messages":[{"role":"user","content":[
            {"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]});
        assert_eq!(check(&chat), Ok(()));
        let bad = |part: Value| check(&json!({"input":[{"role":"user","content":[part]}]}));
        assert!(bad(json!({"type":"input_image","image_url":"data:image/png,raw"})).is_err());
        assert!(bad(json!({"type":"input_image","image_url":"data:image/png;base64,AA==","detail":"max"})).is_err());
        assert!(
            bad(json!({"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}))
                .is_err()
        );
        assert!(
            bad(json!({"type":"input_file","file_data":"data:application/pdf;base64,AA=="}))
                .is_err()
        );
        assert_eq!(
            check(
                &json!({"messages":[{"role":"user","content":[{"type":"input_image","image_url":"x"}]}]})
            ),
            Err("Invalid value for 'messages[0].content[0]'.".to_owned())
        );
    }
}

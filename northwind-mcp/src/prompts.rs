//! The server's prompts (MCP `prompts/list` and `prompts/get`): ready-made questions a client
//! offers as `/` commands, each filled from its arguments.
//!
//! - `top_customers` (`country`, optional): the five best customers by sales, in one country or
//!   overall;
//! - `sales_review` (`year`, required, 1996 to 1998): a review of one year's sales by category
//!   and by month.
//!
//! An argument is checked before it goes into the text (a country is letters, spaces, dots and
//! hyphens, at most 40; a year is one of [`crate::tools::YEARS`]); a bad or missing one is an
//! `invalid_params` error, an unknown prompt too.

use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::{Map, Value};

use crate::tools::YEARS;

/// The prompts this server lists.
pub fn list() -> Vec<Prompt> {
    vec![
        Prompt::new(
            "top_customers",
            Some("Our five best customers by sales, in one country or overall."),
            Some(vec![
                PromptArgument::new("country")
                    .with_title("Country")
                    .with_description("A customer country, for example Germany; empty for all")
                    .with_required(false),
            ]),
        )
        .with_title("Top customers"),
        Prompt::new(
            "sales_review",
            Some("A review of one year's sales: by category and by month."),
            Some(vec![
                PromptArgument::new("year")
                    .with_title("Year")
                    .with_description("1996, 1997 or 1998")
                    .with_required(true),
            ]),
        )
        .with_title("Sales review"),
    ]
}

/// The messages of prompt `name` filled from `arguments`.
pub fn get(
    name: &str,
    arguments: Option<&Map<String, Value>>,
) -> Result<GetPromptResult, ErrorData> {
    let argument = |key: &str| {
        arguments
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let text = match name {
        "top_customers" => match argument("country") {
            None => "Who are our top 5 customers by sales? Show each one's country.".to_owned(),
            Some(country) => {
                let ok = country.chars().count() <= 40
                    && country
                        .chars()
                        .all(|c| c.is_alphabetic() || matches!(c, ' ' | '.' | '-'));
                if !ok {
                    return Err(ErrorData::invalid_params("country: letters only", None));
                }
                format!("Who are our top 5 customers by sales in {country}?")
            }
        },
        "sales_review" => {
            let year: i64 = argument("year")
                .and_then(|y| y.parse().ok())
                .filter(|y| YEARS.contains(y))
                .ok_or_else(|| ErrorData::invalid_params("year: 1996, 1997 or 1998", None))?;
            format!(
                "Review our sales of {year}: the total after discounts, the sales by category \
                 (largest first) and by month, and what stands out."
            )
        }
        _ => return Err(ErrorData::invalid_params("no such prompt", None)),
    };
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(
        Role::User,
        text,
    )]))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn text(result: &GetPromptResult) -> String {
        let v = serde_json::to_value(result).unwrap();
        v["messages"][0]["content"]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn prompts_fill_their_arguments_and_refuse_bad_ones() {
        let names: Vec<String> = list().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["top_customers", "sales_review"]);
        let germany = get("top_customers", Some(&args(json!({"country":"Germany"})))).unwrap();
        assert_eq!(
            text(&germany),
            "Who are our top 5 customers by sales in Germany?"
        );
        assert!(text(&get("top_customers", None).unwrap()).contains("top 5 customers"));
        let review = get("sales_review", Some(&args(json!({"year":"1997"})))).unwrap();
        assert!(text(&review).starts_with("Review our sales of 1997"));
        for (name, bad) in [
            ("top_customers", json!({"country":"x'; DROP TABLE Orders"})),
            ("sales_review", json!({"year":"2024"})),
            ("sales_review", json!({})),
            ("nope", json!({})),
        ] {
            assert!(get(name, Some(&args(bad.clone()))).is_err(), "{name} {bad}");
        }
    }
}

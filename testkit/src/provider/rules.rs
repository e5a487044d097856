//! The fake model's mind: which tool to call for a message, and what to answer.
//!
//! A [`RULES`] table maps phrases of the last user message (matched case-insensitively) to a tool
//! call, when a server listed that tool. The first rule that matches wins. With no match the
//! model echoes the message. Everything here is pure, so it is tested on data.

use serde_json::Value;

/// One row of the rule table.
#[derive(Debug)]
pub(crate) struct Rule {
    /// Lower-case phrase the message must contain.
    pub(crate) trigger: &'static str,
    /// The tool to call; the rule applies only when some server listed it.
    pub(crate) tool: &'static str,
    /// The call's `arguments`, as the JSON text the model streams.
    pub(crate) arguments: &'static str,
    /// The sentence that introduces the tool's result in the answer.
    pub(crate) lead: &'static str,
}

/// The rule table, first match wins.
pub(crate) const RULES: &[Rule] = &[
    Rule {
        trigger: "sales by year",
        tool: "read_query",
        arguments: r#"{"query":"SELECT strftime('%Y', o.OrderDate) AS year, ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales FROM Orders o JOIN \"Order Details\" od ON od.OrderID=o.OrderID GROUP BY year ORDER BY year"}"#,
        lead: "Here are the sales by year from the Northwind database:",
    },
    Rule {
        trigger: "tables",
        tool: "list_tables",
        arguments: "{}",
        lead: "Here are the tables of the Northwind database:",
    },
    Rule {
        trigger: "broken query",
        tool: "read_query",
        arguments: r#"{"query":"SELECT * FROM NoSuchTable"}"#,
        lead: "Here is what the query returned:",
    },
];

/// A server's label and the names of the tools it listed (after `allowed_tools`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedServer {
    pub(crate) label: String,
    pub(crate) tools: Vec<String>,
}

/// The tool call the model decided on.
#[derive(Debug)]
pub(crate) struct ToolChoice {
    /// Index of the server (in the listed order) that listed the tool.
    pub(crate) server: usize,
    pub(crate) rule: &'static Rule,
}

/// The first rule whose phrase is in `message` and whose tool some server listed.
pub(crate) fn choose_tool(message: &str, servers: &[ListedServer]) -> Option<ToolChoice> {
    let message = message.to_lowercase();
    RULES
        .iter()
        .filter(|rule| message.contains(rule.trigger))
        .find_map(|rule| {
            let server = servers
                .iter()
                .position(|s| s.tools.iter().any(|t| t == rule.tool))?;
            Some(ToolChoice { server, rule })
        })
}

/// The answer when no tool was called: the echo, plus which servers offered how many tools.
pub(crate) fn answer_without_tool(message: &str, servers: &[ListedServer]) -> String {
    let mut res = format!("You said: {message}");
    if !servers.is_empty() {
        let offered: Vec<String> = servers
            .iter()
            .map(|s| {
                let n_tools = s.tools.len();
                let noun = if n_tools == 1 { "tool" } else { "tools" };
                format!("{} ({n_tools} {noun})", s.label)
            })
            .collect();
        res.push_str(&format!("\n\nTools available: {}.", offered.join(", ")));
    }
    res
}

/// The answer after a tool call: the rule's lead sentence and the result (as a table when it is
/// one), or the failure.
pub(crate) fn answer_after_tool(rule: &Rule, outcome: &Result<String, String>) -> String {
    match outcome {
        Ok(output) => {
            let body = render_table(output).unwrap_or_else(|| output.clone());
            format!("{}\n\n{body}", rule.lead)
        }
        Err(error) => format!("The tool `{}` failed: {error}", rule.tool),
    }
}

/// `{"columns":[..],"rows":[[..],..]}` as a markdown table; `None` for anything else. Numbers use
/// `f64`'s `Display`, so `208083.97` stays `208083.97` and `1996` stays `1996`.
pub(crate) fn render_table(output: &str) -> Option<String> {
    let value: Value = serde_json::from_str(output).ok()?;
    let columns = value.get("columns")?.as_array()?;
    let rows = value.get("rows")?.as_array()?;
    let mut res = String::new();
    let header: Vec<String> = columns.iter().map(cell).collect();
    res.push_str(&format!("| {} |\n", header.join(" | ")));
    res.push_str(&format!("|{}\n", "---|".repeat(columns.len())));
    for row in rows {
        let cells: Vec<String> = row.as_array()?.iter().map(cell).collect();
        res.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    Some(res.trim_end().to_owned())
}

fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => "NULL".to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string()),
        other => other.to_string(),
    };
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(list: &[(&str, &[&str])]) -> Vec<ListedServer> {
        list.iter()
            .map(|(label, tools)| ListedServer {
                label: (*label).to_owned(),
                tools: tools.iter().map(|t| (*t).to_owned()).collect(),
            })
            .collect()
    }

    fn check_choice(message: &str, listed: &[(&str, &[&str])], want: Option<(usize, &str)>) {
        let got = choose_tool(message, &servers(listed)).map(|c| (c.server, c.rule.tool));
        assert_eq!(got, want, "{message:?}");
    }

    #[test]
    fn rule_table_picks_tools() {
        let nw: (&str, &[&str]) = ("northwind", &["list_tables", "read_query"]);
        check_choice("Show SALES BY YEAR please", &[nw], Some((0, "read_query")));
        check_choice("what tables are there?", &[nw], Some((0, "list_tables")));
        // Both phrases: the first rule wins.
        check_choice("tables and sales by year", &[nw], Some((0, "read_query")));
        check_choice("hello", &[nw], None);
        // The tool must have been listed, by the server that is named in the choice.
        check_choice("sales by year", &[("crm", &["list_tables"])], None);
        check_choice(
            "sales by year",
            &[("crm", &["find"]), ("northwind", &["read_query"])],
            Some((1, "read_query")),
        );
        check_choice("tables", &[], None);
    }

    #[test]
    fn sales_rule_sends_the_documented_query() {
        let args: Value = serde_json::from_str(RULES[0].arguments).unwrap();
        assert_eq!(
            args["query"],
            "SELECT strftime('%Y', o.OrderDate) AS year, ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales FROM Orders o JOIN \"Order Details\" od ON od.OrderID=o.OrderID GROUP BY year ORDER BY year"
        );
        let args: Value = serde_json::from_str(RULES[1].arguments).unwrap();
        assert_eq!(args, serde_json::json!({}));
    }

    #[test]
    fn echo_names_servers_and_tool_counts() {
        assert_eq!(answer_without_tool("hi", &[]), "You said: hi");
        assert_eq!(
            answer_without_tool(
                "hi",
                &servers(&[("northwind", &["a", "b"]), ("crm", &["c"]), ("x", &[])])
            ),
            "You said: hi\n\nTools available: northwind (2 tools), crm (1 tool), x (0 tools)."
        );
    }

    #[test]
    fn tables_render_as_markdown() {
        let output = r#"{"columns":["year","sales"],"rows":[["2016",208083.97],["2017",617085.2],[2018,null]]}"#;
        assert_eq!(
            render_table(output).unwrap(),
            "| year | sales |\n|---|---|\n| 2016 | 208083.97 |\n| 2017 | 617085.2 |\n| 2018 | NULL |"
        );
        assert_eq!(
            render_table(r#"{"columns":["a|b"],"rows":[["x\ny"]]}"#).unwrap(),
            "| a\\|b |\n|---|\n| x y |"
        );
        assert_eq!(render_table("not json"), None);
        assert_eq!(render_table(r#"["Orders","Customers"]"#), None);
        assert_eq!(render_table(r#"{"columns":["a"],"rows":[1]}"#), None);
    }

    #[test]
    fn tool_answers_quote_results() {
        let sales = &RULES[0];
        let table = r#"{"columns":["year","sales"],"rows":[["2016",208083.97]]}"#;
        assert_eq!(
            answer_after_tool(sales, &Ok(table.to_owned())),
            "Here are the sales by year from the Northwind database:\n\n| year | sales |\n|---|---|\n| 2016 | 208083.97 |"
        );
        assert_eq!(
            answer_after_tool(&RULES[1], &Ok("Orders, Customers".to_owned())),
            "Here are the tables of the Northwind database:\n\nOrders, Customers"
        );
        assert_eq!(
            answer_after_tool(sales, &Err("no such table: Orders".to_owned())),
            "The tool `read_query` failed: no such table: Orders"
        );
    }
}

//! The fake model's mind: which tool to call for a message, and what to answer.
//!
//! A [`RULES`] table maps words of the last user message (matched case-insensitively) to a tool
//! call, when a server listed that tool: the scripted demo model's repertoire, a few natural
//! questions about Northwind answered with real SQL, plus a test-only failing query. The first
//! rule that matches wins. With no match the model echoes the message and lists the questions it
//! answers. Everything here is pure, so it is tested on data.

use serde_json::Value;

/// One row of the rule table.
#[derive(Debug)]
pub(crate) struct Rule {
    /// Groups of lower-case word stems: the rule matches a message that holds every stem of one
    /// group.
    pub(crate) triggers: &'static [&'static [&'static str]],
    /// The tool to call; the rule applies only when some server listed it.
    pub(crate) tool: &'static str,
    /// The call's `arguments`, as the JSON text the model streams.
    pub(crate) arguments: &'static str,
    /// The sentence that introduces the tool's result in the answer.
    pub(crate) lead: &'static str,
    /// A question it answers, for the list the model gives when nothing matched (`None` for a
    /// test-only rule).
    pub(crate) example: Option<&'static str>,
}

/// The rule table, first match wins (so the rules for northwind's newer tools, whose questions
/// also hold words of the older ones, come first).
pub(crate) const RULES: &[Rule] = &[
    Rule {
        // northwind's MCP App draws the result as a bar chart (edge tool mode).
        triggers: &[&["chart"], &["plot"], &["graph"]],
        tool: "chart_query",
        arguments: r#"{"query":"SELECT c.CategoryName AS category, ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales FROM Categories c JOIN Products p ON p.CategoryID=c.CategoryID JOIN \"Order Details\" od ON od.ProductID=p.ProductID GROUP BY c.CategoryID ORDER BY sales DESC, category","title":"Sales by category"}"#,
        lead: "Here are the sales by category, charted from the Northwind database:",
        example: Some("Chart our sales by category"),
    },
    Rule {
        // The year is left out on purpose: the server asks the user (elicitation).
        triggers: &[
            &["sales for the year"],
            &["sales for a year"],
            &["sales of one year"],
        ],
        tool: "sales_for_year",
        arguments: "{}",
        lead: "Here are the sales of the year you chose, from the Northwind database:",
        example: Some("What were our sales for the year?"),
    },
    Rule {
        // northwind's `slow_query` reports progress while it runs (edge tool mode).
        triggers: &[&["slow", "report"]],
        tool: "slow_query",
        arguments: r#"{"query":"SELECT e.FirstName || ' ' || e.LastName AS employee, ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales FROM Employees e JOIN Orders o ON o.EmployeeID=e.EmployeeID JOIN \"Order Details\" od ON od.OrderID=o.OrderID GROUP BY e.EmployeeID ORDER BY sales DESC, employee"}"#,
        lead: "Here is the slow report, sales by employee, from the Northwind database:",
        example: Some("Run the slow report"),
    },
    Rule {
        triggers: &[
            &["sales", "year"],
            &["revenue", "year"],
            &["sales", "annual"],
        ],
        tool: "read_query",
        arguments: r#"{"query":"SELECT strftime('%Y', o.OrderDate) AS year, ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales FROM Orders o JOIN \"Order Details\" od ON od.OrderID=o.OrderID GROUP BY year ORDER BY year"}"#,
        lead: "Here are the sales by year from the Northwind database:",
        example: Some("What were our sales by year?"),
    },
    Rule {
        triggers: &[&["tables"], &["table"]],
        tool: "list_tables",
        arguments: "{}",
        lead: "Here are the tables of the Northwind database:",
        example: Some("Which tables are in the database?"),
    },
    Rule {
        triggers: &[
            &["customer", "top"],
            &["customer", "best"],
            &["customer", "biggest"],
            &["customer", "largest"],
            &["customer", "most"],
        ],
        tool: "read_query",
        arguments: r#"{"query":"SELECT c.CompanyName AS customer, c.Country AS country, ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales FROM Customers c JOIN Orders o ON o.CustomerID=c.CustomerID JOIN \"Order Details\" od ON od.OrderID=o.OrderID GROUP BY c.CustomerID ORDER BY sales DESC, customer LIMIT 5"}"#,
        lead: "Here are our top 5 customers by sales, from the Northwind database:",
        example: Some("Who are our top customers?"),
    },
    Rule {
        triggers: &[
            &["product", "best"],
            &["product", "top"],
            &["product", "sell"],
            &["product", "popular"],
            &["product", "most"],
        ],
        tool: "read_query",
        arguments: r#"{"query":"SELECT p.ProductName AS product, SUM(od.Quantity) AS units, ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales FROM Products p JOIN \"Order Details\" od ON od.ProductID=p.ProductID GROUP BY p.ProductID ORDER BY units DESC, product LIMIT 5"}"#,
        lead: "Here are the 5 best-selling products by units sold, from the Northwind database:",
        example: Some("What are our best-selling products?"),
    },
    Rule {
        triggers: &[&["countr"]],
        tool: "read_query",
        arguments: r#"{"query":"SELECT c.Country AS country, COUNT(*) AS orders FROM Orders o JOIN Customers c ON c.CustomerID=o.CustomerID GROUP BY c.Country ORDER BY orders DESC, country"}"#,
        lead: "Here are the orders by customer country, from the Northwind database:",
        example: Some("How many orders came from each country?"),
    },
    Rule {
        triggers: &[&["broken query"]],
        tool: "read_query",
        arguments: r#"{"query":"SELECT * FROM NoSuchTable"}"#,
        lead: "Here is what the query returned:",
        example: None,
    },
    Rule {
        // Test-only: northwind's `slow_query` reports progress while it runs (edge tool mode).
        triggers: &[&["slowly"]],
        tool: "slow_query",
        arguments: r#"{"query":"SELECT COUNT(*) AS orders FROM Orders"}"#,
        lead: "Here is the count of orders, the slow way:",
        example: None,
    },
    Rule {
        // Test-only: northwind's `sales_for_year` without a year asks the user (elicitation).
        triggers: &[&["sales", "ask me"]],
        tool: "sales_for_year",
        arguments: "{}",
        lead: "Here are the sales for the year you chose:",
        example: None,
    },
    Rule {
        // Test-only: the reference server's form elicitation.
        triggers: &[&["elicitation form"]],
        tool: "trigger-elicitation-request",
        arguments: "{}",
        lead: "Here is what the form returned:",
        example: None,
    },
    Rule {
        // Test-only: the hostile MCP App of the system tests.
        triggers: &[&["hostile"]],
        tool: "hostile_view",
        arguments: "{}",
        lead: "Here is the view:",
        example: None,
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

/// The first rule whose words are in `message` and whose tool some server listed.
pub(crate) fn choose_tool(message: &str, servers: &[ListedServer]) -> Option<ToolChoice> {
    let message = message.to_lowercase();
    RULES
        .iter()
        .filter(|rule| {
            rule.triggers
                .iter()
                .any(|group| group.iter().all(|stem| message.contains(stem)))
        })
        .find_map(|rule| {
            let server = servers
                .iter()
                .position(|s| s.tools.iter().any(|t| t == rule.tool))?;
            Some(ToolChoice { server, rule })
        })
}

/// The answer when no tool was called: the echo, plus which servers offered how many tools; for
/// the demo model, the questions it answers instead.
pub(crate) fn answer_without_tool(message: &str, servers: &[ListedServer], demo: bool) -> String {
    if demo {
        return repertoire(servers);
    }
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

/// The demo model's answer to anything else: the questions it answers, as a markdown list.
fn repertoire(servers: &[ListedServer]) -> String {
    let mut res = String::new();
    if !servers
        .iter()
        .any(|s| s.tools.iter().any(|t| t == "read_query"))
    {
        res.push_str("Tick **Northwind** under the data sources first. ");
    }
    res.push_str(
        "I am the scripted demo model, so I answer only these questions, from the Northwind \
         database:\n",
    );
    for example in RULES.iter().filter_map(|rule| rule.example) {
        res.push_str(&format!("\n- {example}"));
    }
    res.push_str("\n\nSet OPENAI_API_KEY for a real model.");
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

/// `{"columns":[..],"rows":[[..],..]}` (`read_query`) or `{"tables":[{..},..]}` (`list_tables`)
/// as a markdown table; `None` for anything else. Numbers use `f64`'s `Display`, so
/// `208083.97` stays `208083.97` and `1996` stays `1996`.
pub(crate) fn render_table(output: &str) -> Option<String> {
    let value: Value = serde_json::from_str(output).ok()?;
    if let Some(items) = value.get("tables").and_then(Value::as_array) {
        return render_objects(items);
    }
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

/// A list of objects as a table, one column per key of the first object (sorted by name).
fn render_objects(items: &[Value]) -> Option<String> {
    let mut keys: Vec<&String> = items.first()?.as_object()?.keys().collect();
    keys.sort();
    let rows: Option<Vec<Value>> = items
        .iter()
        .map(|item| {
            let object = item.as_object()?;
            Some(Value::Array(
                keys.iter()
                    .map(|k| object.get(*k).cloned().unwrap_or(Value::Null))
                    .collect(),
            ))
        })
        .collect();
    let table = serde_json::json!({"columns": keys, "rows": rows?});
    render_table(&table.to_string())
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

    /// The first rule that calls `tool`.
    fn rule_of(tool: &str) -> &'static Rule {
        RULES.iter().find(|r| r.tool == tool).unwrap()
    }

    /// The rule of "What were our sales by year?".
    fn sales_rule() -> &'static Rule {
        RULES
            .iter()
            .find(|r| r.example == Some("What were our sales by year?"))
            .unwrap()
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
        for (message, query_holds) in [
            ("Who are our biggest customers?", "c.CompanyName"),
            ("Top 5 customers please", "c.CompanyName"),
            ("Which products sell best?", "p.ProductName"),
            ("What are the most popular products?", "p.ProductName"),
            ("Orders by country", "c.Country"),
            ("Which countries order most?", "c.Country"),
            ("What was our revenue per year?", "strftime('%Y'"),
        ] {
            let choice =
                choose_tool(message, &servers(&[nw])).map(|c| (c.rule.tool, c.rule.arguments));
            assert!(
                matches!(choice, Some(("read_query", args)) if args.contains(query_holds)),
                "{message:?}: {choice:?}"
            );
        }
    }

    #[test]
    fn every_example_question_picks_its_own_rule() {
        let nw = servers(&[(
            "northwind",
            &[
                "list_tables",
                "read_query",
                "chart_query",
                "slow_query",
                "sales_for_year",
            ],
        )]);
        for rule in RULES.iter().filter(|r| r.example.is_some()) {
            let example = rule.example.unwrap();
            let chosen = choose_tool(example, &nw).unwrap_or_else(|| panic!("{example:?}"));
            assert_eq!(chosen.rule.example, rule.example, "{example:?}");
            if rule.tool == "read_query" {
                let args: Value = serde_json::from_str(rule.arguments).unwrap();
                assert!(args["query"].as_str().unwrap().starts_with("SELECT "));
            }
        }
    }

    #[test]
    fn the_newer_tools_have_their_questions_and_the_older_ones_keep_theirs() {
        let nw: (&str, &[&str]) = (
            "northwind",
            &["read_query", "chart_query", "slow_query", "sales_for_year"],
        );
        check_choice("chart sales by category", &[nw], Some((0, "chart_query")));
        check_choice("Run the slow report", &[nw], Some((0, "slow_query")));
        check_choice("Count the orders slowly", &[nw], Some((0, "slow_query")));
        check_choice("sales for the year", &[nw], Some((0, "sales_for_year")));
        check_choice(
            "What were our sales by year?",
            &[nw],
            Some((0, "read_query")),
        );
        // A server without the newer tools still answers with read_query.
        let old: (&str, &[&str]) = ("northwind", &["read_query"]);
        check_choice("sales for the year", &[old], Some((0, "read_query")));
        let args: Value = serde_json::from_str(rule_of("sales_for_year").arguments).unwrap();
        assert_eq!(
            args,
            serde_json::json!({}),
            "the user is asked for the year"
        );
        let chart: Value = serde_json::from_str(rule_of("chart_query").arguments).unwrap();
        assert!(chart["query"].as_str().unwrap().starts_with("SELECT "));
    }

    #[test]
    fn the_demo_model_lists_what_it_answers() {
        let nw = servers(&[("northwind", &["list_tables", "read_query"])]);
        let answer = answer_without_tool("What is the weather?", &nw, true);
        assert!(
            answer.starts_with("I am the scripted demo model"),
            "{answer}"
        );
        for example in RULES.iter().filter_map(|r| r.example) {
            assert!(answer.contains(&format!("\n- {example}")), "{answer}");
        }
        assert!(!answer.contains("broken"), "{answer}");
        assert!(answer.ends_with("Set OPENAI_API_KEY for a real model."));
        let unticked = answer_without_tool("hi", &[], true);
        assert!(unticked.starts_with("Tick **Northwind** under the data sources first."));
    }

    #[test]
    fn sales_rule_sends_the_documented_query() {
        let args: Value = serde_json::from_str(sales_rule().arguments).unwrap();
        assert_eq!(
            args["query"],
            "SELECT strftime('%Y', o.OrderDate) AS year, ROUND(SUM(od.UnitPrice*od.Quantity*(1-od.Discount)),2) AS sales FROM Orders o JOIN \"Order Details\" od ON od.OrderID=o.OrderID GROUP BY year ORDER BY year"
        );
        let args: Value = serde_json::from_str(rule_of("list_tables").arguments).unwrap();
        assert_eq!(args, serde_json::json!({}));
    }

    #[test]
    fn echo_names_servers_and_tool_counts() {
        assert_eq!(answer_without_tool("hi", &[], false), "You said: hi");
        assert_eq!(
            answer_without_tool(
                "hi",
                &servers(&[("northwind", &["a", "b"]), ("crm", &["c"]), ("x", &[])]),
                false
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
        assert_eq!(
            render_table(r#"{"tables":[{"name":"Orders","type":"table","rows":830},{"name":"Order Details","type":"table","rows":2155}]}"#).unwrap(),
            "| name | rows | type |\n|---|---|---|\n| Orders | 830 | table |\n| Order Details | 2155 | table |"
        );
        assert_eq!(render_table(r#"{"tables":[1]}"#), None);
    }

    #[test]
    fn tool_answers_quote_results() {
        let sales = sales_rule();
        let table = r#"{"columns":["year","sales"],"rows":[["2016",208083.97]]}"#;
        assert_eq!(
            answer_after_tool(sales, &Ok(table.to_owned())),
            "Here are the sales by year from the Northwind database:\n\n| year | sales |\n|---|---|\n| 2016 | 208083.97 |"
        );
        assert_eq!(
            answer_after_tool(rule_of("list_tables"), &Ok("Orders, Customers".to_owned())),
            "Here are the tables of the Northwind database:\n\nOrders, Customers"
        );
        assert_eq!(
            answer_after_tool(sales, &Err("no such table: Orders".to_owned())),
            "The tool `read_query` failed: no such table: Orders"
        );
    }
}

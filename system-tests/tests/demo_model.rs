//! The scripted demo model, set up as `cargo xtask demo` sets it up without a key: the fake
//! provider in demo mode behind the edge (no `OPENAI_API_KEY`, tool mode `auto`, so the edge
//! runs the tools), the fake Pomerium in front, the real northwind-mcp behind its MCP route, and
//! the edge's `model_notice` saying a demo model answers.
//!
//! Each question of the demo model's repertoire is asked through the whole chain, and its answer
//! must hold the figures this test computes from the database itself (also for northwind's
//! chart and slow report; "sales for the year" calls `sales_for_year` without a year, so the
//! server asks the user); anything else gets the list of questions. In Chromium: the notice is on screen before the first question, and a
//! question is answered with the database's figures.

use std::path::Path;

use protocol::StreamEvent;
use serde_json::json;
use testkit::browser::Browser;
use testkit::chain::{Chain, ChainConfig};
use testkit::provider::{FakeProvider, ModelOptions, Script};

use crate::e2e::{ROOT, drive_question, yearly_sales};
use crate::support::client;
use crate::tool_mode::{ask, text_of};

/// What `cargo xtask demo` sets as the edge's `model_notice` (xtask's `DEMO_NOTICE`).
const NOTICE: &str = "demo model: scripted answers; set OPENAI_API_KEY for a real one";

/// The chain of the keyless demo.
struct Demo {
    _provider: FakeProvider,
    chain: Chain,
}

async fn demo(name: &str) -> anyhow::Result<Demo> {
    let provider = FakeProvider::start(Script::Model(ModelOptions {
        demo: true,
        ..ModelOptions::default()
    }))
    .await?;
    let chain = Chain::start(
        &provider.base_url(),
        ChainConfig::new(name, &[("MODEL_NOTICE", NOTICE)]),
    )
    .await?;
    Ok(Demo {
        _provider: provider,
        chain,
    })
}

/// The rows `sql` gives, each cell as the answer prints it (numbers in `f64`'s `Display`).
fn rows(db: &Path, sql: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.column_count();
    let rows = stmt.query_map([], |row| {
        (0..n)
            .map(|i| {
                Ok(match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Integer(v) => (v as f64).to_string(),
                    rusqlite::types::ValueRef::Real(v) => v.to_string(),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    other => format!("{other:?}"),
                })
            })
            .collect::<Result<Vec<String>, rusqlite::Error>>()
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every table and view with its row count, as `list_tables` reports them.
fn tables(db: &Path) -> anyhow::Result<Vec<Vec<String>>> {
    let names = rows(
        db,
        "SELECT name, type FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'",
    )?;
    names
        .into_iter()
        .map(|row| {
            let count = rows(db, &format!("SELECT COUNT(*) FROM \"{}\"", row[0]))?;
            Ok(vec![row[0].clone(), count[0][0].clone(), row[1].clone()])
        })
        .collect()
}

/// A question, the tool its answer calls, and the rows the answer must show.
type Case = (&'static str, &'static str, Vec<Vec<String>>);

/// The questions and the rows their answers must show, from the database.
fn cases(db: &Path) -> anyhow::Result<Vec<Case>> {
    let years = yearly_sales(db)?
        .into_iter()
        .map(|(year, total)| vec![year, total])
        .collect();
    let customers = rows(
        db,
        "SELECT c.CompanyName, c.Country, ROUND(SUM(d.UnitPrice * d.Quantity * (1 - d.Discount)), 2) AS total \
         FROM \"Order Details\" d JOIN Orders o ON o.OrderID = d.OrderID JOIN Customers c ON c.CustomerID = o.CustomerID \
         GROUP BY c.CustomerID ORDER BY total DESC LIMIT 5",
    )?;
    let products = rows(
        db,
        "SELECT p.ProductName, SUM(d.Quantity) AS units, ROUND(SUM(d.UnitPrice * d.Quantity * (1 - d.Discount)), 2) \
         FROM \"Order Details\" d JOIN Products p ON p.ProductID = d.ProductID GROUP BY p.ProductID \
         ORDER BY units DESC LIMIT 5",
    )?;
    let countries = rows(
        db,
        "SELECT c.Country, COUNT(o.OrderID) FROM Customers c JOIN Orders o ON o.CustomerID = c.CustomerID \
         GROUP BY c.Country",
    )?;
    let categories = rows(
        db,
        "SELECT c.CategoryName, ROUND(SUM(d.UnitPrice * d.Quantity * (1 - d.Discount)), 2) \
         FROM \"Order Details\" d JOIN Products p ON p.ProductID = d.ProductID JOIN Categories c ON c.CategoryID = p.CategoryID \
         GROUP BY c.CategoryID",
    )?;
    let employees = rows(
        db,
        "SELECT e.FirstName || ' ' || e.LastName, ROUND(SUM(d.UnitPrice * d.Quantity * (1 - d.Discount)), 2) \
         FROM \"Order Details\" d JOIN Orders o ON o.OrderID = d.OrderID JOIN Employees e ON e.EmployeeID = o.EmployeeID \
         GROUP BY e.EmployeeID",
    )?;
    Ok(vec![
        ("Chart our sales by category", "chart_query", categories),
        ("Run the slow report", "slow_query", employees),
        ("What were our sales by year?", "read_query", years),
        ("Who are our top customers?", "read_query", customers),
        (
            "What are our best-selling products?",
            "read_query",
            products,
        ),
        (
            "How many orders came from each country?",
            "read_query",
            countries,
        ),
        (
            "Which tables are in the database?",
            "list_tables",
            tables(db)?,
        ),
    ])
}

#[tokio::test]
async fn without_a_key_the_demo_answers_each_question_from_the_database() -> anyhow::Result<()> {
    let demo = demo("demo_model").await?;
    let base = demo.chain.pomerium.base_url();
    let models: serde_json::Value = client()
        .get(format!("{base}/api/models"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(models["notice"], NOTICE, "{models}");

    let cases = cases(&demo.chain.db())?;
    assert_eq!(cases[2].2.len(), 3, "three years of orders");
    for (question, tool, expected) in &cases {
        assert!(!expected.is_empty(), "{question}: no rows to expect");
        let body = json!({"messages":[{"role":"user","content":question}],"servers":["northwind"]});
        let events = ask(&format!("{base}/api/chat"), body).await?;
        assert!(
            events.iter().any(
                |e| matches!(e, StreamEvent::ToolCallStarted { tool: t, .. } if t.as_str() == *tool)
            ),
            "{question}: no {tool} call: {events:?}"
        );
        let n_deltas = events
            .iter()
            .filter(|e| matches!(e, StreamEvent::TextDelta { .. }))
            .count();
        assert!(n_deltas >= 3, "{question}: the answer is not streamed");
        assert!(
            matches!(events.last(), Some(StreamEvent::Done { .. })),
            "{question}: {events:?}"
        );
        let text = text_of(&events);
        for row in expected {
            let line = format!("| {} |", row.join(" | "));
            assert!(
                text.contains(&line),
                "{question}: {line} missing from\n{text}"
            );
        }
    }

    // The year is the user's to choose: the model calls sales_for_year without one, and the
    // server asks (elicitation).
    let question = "What were our sales for the year?";
    let body = json!({"messages":[{"role":"user","content":question}],"servers":["northwind"]});
    let events = ask(&format!("{base}/api/chat"), body).await?;
    assert!(
        events.iter().any(
            |e| matches!(e, StreamEvent::ToolCallStarted { tool, .. } if tool == "sales_for_year")
        ),
        "{events:?}"
    );

    // Anything else: no tool runs, and the answer lists what the model answers.
    let body = json!({"messages":[{"role":"user","content":"What is the weather like?"}],"servers":["northwind"]});
    let events = ask(&format!("{base}/api/chat"), body).await?;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, StreamEvent::ToolCallStarted { .. })),
        "{events:?}"
    );
    let text = text_of(&events);
    for question in cases.iter().map(|c| c.0).chain([question]) {
        assert!(
            text.contains(&format!("- {question}")),
            "{question} not offered in\n{text}"
        );
    }
    assert!(text.contains("OPENAI_API_KEY"), "{text}");
    Ok(())
}

#[tokio::test]
async fn the_demo_page_says_a_demo_model_answers_and_it_answers() -> anyhow::Result<()> {
    let demo = demo("demo_model_browser").await?;
    let expected = cases(&demo.chain.db())?.swap_remove(3);
    let browser = Browser::start().await?;
    let result = async {
        browser
            .client
            .goto(&format!("{}/", demo.chain.pomerium.base_url()))
            .await?;
        // Before any question: the notice is on screen.
        let notice = browser
            .wait_for(
                "the demo notice",
                &format!(
                    "{ROOT} const n = root?.querySelector('[data-role=\"notice\"]');
                    return n && !n.hidden && n.getBoundingClientRect().height > 0 ? n.textContent : null;"
                ),
                std::time::Duration::from_secs(30),
            )
            .await?;
        anyhow::ensure!(notice == NOTICE, "notice: {notice}");
        drive_question(&browser, &demo.chain.pomerium, expected.0).await
    }
    .await;
    browser.close().await?;
    let (text, _) = result?;
    for row in &expected.2 {
        for cell in row {
            assert!(text.contains(cell.as_str()), "{cell} missing from\n{text}");
        }
    }
    Ok(())
}

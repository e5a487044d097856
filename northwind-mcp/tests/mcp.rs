//! The MCP conversation: initialize, tools/list, tools/call, and tool versus protocol errors.

use serde_json::{Value, json};

use crate::support::{McpClient, SALES_BY_YEAR, TestServer, is_error, tool_text, within};

#[tokio::test]
async fn initialize_accepts_both_session_revisions_and_names_the_server() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for version in ["2025-06-18", "2025-03-26"] {
        let mut client = McpClient::new(&server);
        let result = client.initialize(version).await?;
        assert_eq!(result["protocolVersion"], version);
        assert_eq!(result["serverInfo"]["name"], "northwind-mcp");
        assert_eq!(result["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(result["capabilities"]["tools"].is_object(), "{result}");
        let instructions = result["instructions"].as_str().unwrap_or_default();
        assert!(instructions.contains("Northwind"), "{instructions}");
    }
    server.stop().await
}

#[tokio::test]
async fn tools_list_shows_only_read_only_tools() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server);
    client.initialize("2025-06-18").await?;
    let result = client.request("tools/list", json!({})).await?;
    let tools = result["tools"].as_array().cloned().unwrap_or_default();
    let mut names: Vec<_> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "chart_query",
            "describe_table",
            "list_tables",
            "read_query",
            "sales_for_year",
            "slow_query"
        ]
    );
    for tool in &tools {
        assert_eq!(tool["annotations"]["readOnlyHint"], true, "{tool}");
        assert!(
            tool["description"].as_str().is_some_and(|d| d.len() > 20),
            "{tool}"
        );
    }
    let read_query = tools.iter().find(|t| t["name"] == "read_query").unwrap();
    let schema = &read_query["inputSchema"];
    assert_eq!(schema["required"], json!(["query"]), "{schema}");
    let doc = schema["properties"]["query"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(
        doc.contains("SELECT"),
        "the field doc reaches the model: {schema}"
    );
    server.stop().await
}

#[tokio::test]
async fn read_query_answers_sales_by_year() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server);
    client.initialize("2025-06-18").await?;
    let result = client
        .call_tool("read_query", json!({"query": SALES_BY_YEAR}))
        .await?;
    assert!(!is_error(&result), "{result}");
    let output: Value = serde_json::from_str(tool_text(&result)?)?;
    assert_eq!(
        output,
        json!({
            "columns": ["year", "sales"],
            "rows": [["1996", 208083.97], ["1997", 617085.2], ["1998", 440623.87]],
            "row_count": 3,
            "truncated": false
        })
    );
    server.stop().await
}

#[tokio::test]
async fn read_query_refuses_writes_as_tool_errors() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server);
    client.initialize("2025-06-18").await?;
    for (query, says) in [
        ("DELETE FROM \"Order Details\"", "DELETE"),
        ("WITH t AS (SELECT 1) DELETE FROM Orders", "DELETE"),
        ("SELECT 1; DROP TABLE Orders", "one statement"),
        ("PRAGMA writable_schema = 1", "PRAGMA"),
    ] {
        let result = client
            .call_tool("read_query", json!({"query": query}))
            .await?;
        assert!(is_error(&result), "{query}: {result}");
        let text = tool_text(&result)?;
        assert!(text.contains(says), "{query}: {text}");
    }
    // Nothing changed.
    let result = client
        .call_tool(
            "read_query",
            json!({"query": "SELECT COUNT(*) AS n FROM \"Order Details\""}),
        )
        .await?;
    assert_eq!(
        serde_json::from_str::<Value>(tool_text(&result)?)?["rows"],
        json!([[2155]])
    );
    server.stop().await
}

#[tokio::test]
async fn bad_sql_and_unknown_tables_are_tool_errors_the_model_can_read() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server);
    client.initialize("2025-06-18").await?;
    let result = client
        .call_tool("read_query", json!({"query": "SELECT Nope FROM Orders"}))
        .await?;
    assert!(is_error(&result));
    assert!(
        tool_text(&result)?.contains("no such column: Nope"),
        "{result}"
    );

    let result = client
        .call_tool("describe_table", json!({"table": "Invoices"}))
        .await?;
    assert!(is_error(&result));
    assert!(tool_text(&result)?.contains("\"Invoices\""), "{result}");
    server.stop().await
}

#[tokio::test]
async fn list_and_describe_tables_answer_json() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server);
    client.initialize("2025-06-18").await?;
    let result = client.call_tool("list_tables", json!({})).await?;
    let list: Value = serde_json::from_str(tool_text(&result)?)?;
    let orders = list["tables"]
        .as_array()
        .and_then(|tables| tables.iter().find(|t| t["name"] == "Orders"))
        .cloned();
    assert_eq!(
        orders,
        Some(json!({"name": "Orders", "type": "table", "rows": 830}))
    );

    let result = client
        .call_tool("describe_table", json!({"table": "Order Details"}))
        .await?;
    let table: Value = serde_json::from_str(tool_text(&result)?)?;
    assert_eq!(table["name"], "Order Details");
    assert_eq!(
        table["columns"][0],
        json!({"name": "OrderID", "type": "INTEGER", "not_null": true, "primary_key": true})
    );
    assert_eq!(
        table["foreign_keys"][1],
        json!({"column": "ProductID", "references_table": "Products", "references_column": "ProductID"})
    );
    server.stop().await
}

#[tokio::test]
async fn bad_arguments_are_tool_errors_and_unknown_tools_protocol_errors() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server);
    client.initialize("2025-06-18").await?;
    // rmcp reports arguments that do not fit the schema as a tool error the model can fix.
    let result = client.call_tool("read_query", json!({})).await?;
    assert!(is_error(&result), "{result}");
    assert!(
        tool_text(&result)?.contains("missing field `query`"),
        "{result}"
    );
    // A tool that does not exist is a malformed request: a JSON-RPC error.
    let answer = client
        .send(
            "tools/call",
            Some(json!({"name": "drop_tables", "arguments": {}})),
        )
        .await?;
    let message = answer.message.unwrap_or_default();
    assert!(message["error"]["code"].is_i64(), "{message}");
    assert!(message.get("result").is_none(), "{message}");
    server.stop().await
}

#[tokio::test]
async fn health_answers_ok() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let response = within("health", reqwest::get(format!("{}/health", server.base()))).await??;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await?, "ok");
    server.stop().await
}

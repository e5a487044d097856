//! MCP beyond plain tool calls: the chart view (an MCP App), progress while `slow_query` runs,
//! `sales_for_year` asking the user which year (elicitation), and the server's prompts.

use std::time::Instant;

use serde_json::{Value, json};

use crate::support::{McpClient, TestServer, is_error, tool_text};

const APP_MIME: &str = "text/html;profile=mcp-app";
const CHART: &str = "ui://northwind/chart";

#[tokio::test]
async fn chart_query_links_a_self_contained_app_view() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server);
    client.initialize("2025-11-25").await?;
    let tools = client.request("tools/list", json!({})).await?;
    let chart = tools["tools"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "chart_query"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(chart["_meta"]["ui"]["resourceUri"], CHART, "{chart}");
    assert_eq!(chart["annotations"]["readOnlyHint"], true);

    let listed = client.request("resources/list", json!({})).await?;
    assert_eq!(listed["resources"][0]["uri"], CHART, "{listed}");
    assert_eq!(listed["resources"][0]["mimeType"], APP_MIME);

    let read = client
        .request("resources/read", json!({"uri": CHART}))
        .await?;
    let content = &read["contents"][0];
    assert_eq!(
        (content["uri"].as_str(), content["mimeType"].as_str()),
        (Some(CHART), Some(APP_MIME))
    );
    let html = content["text"].as_str().unwrap_or_default();
    assert!(html.starts_with("<!doctype html>"), "{html:.80}");
    for bridge in [
        "ui/initialize",
        "ui/notifications/initialized",
        "ui/notifications/tool-result",
        "ui/notifications/size-changed",
    ] {
        assert!(html.contains(bridge), "the view speaks {bridge}");
    }
    // Self-contained: no external script, style, image or fetch; no innerHTML.
    for outside in [
        "<script src",
        "<link",
        "fetch(",
        "XMLHttpRequest",
        "https://",
        "innerHTML",
        "eval(",
    ] {
        assert!(!html.contains(outside), "the view contains {outside:?}");
    }
    assert!(
        html.matches("http://")
            .all(|_| html.contains("http://www.w3.org/2000/svg"))
    );
    assert_eq!(
        content["_meta"]["ui"]["csp"],
        json!({"connectDomains": [], "resourceDomains": []})
    );

    let unknown = client
        .send(
            "resources/read",
            Some(json!({"uri": "ui://northwind/other"})),
        )
        .await?;
    assert!(unknown.message.is_some_and(|m| m.get("error").is_some()));

    // The tool's own answer stays meaningful text (the fallback for hosts without apps).
    let result = client
        .call_tool("chart_query", json!({"query": "SELECT CategoryName, COUNT(*) AS n FROM Categories JOIN Products USING (CategoryID) GROUP BY CategoryName", "title": "Products per category"}))
        .await?;
    let table: Value = serde_json::from_str(tool_text(&result)?)?;
    assert_eq!(table["columns"], json!(["CategoryName", "n"]));
    assert_eq!(table["row_count"], 8);
    server.stop().await
}

#[tokio::test]
async fn slow_query_reports_progress_with_a_total() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server);
    client.initialize("2025-11-25").await?;
    let started = Instant::now();
    let answer = client
        .send(
            "tools/call",
            Some(json!({"name": "slow_query", "arguments": {"query": "SELECT COUNT(*) AS n FROM Orders"},
                        "_meta": {"progressToken": "slow-1"}})),
        )
        .await?;
    let progress: Vec<&Value> = answer
        .interleaved
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .map(|m| &m["params"])
        .collect();
    assert_eq!(progress.len(), 5, "{:?}", answer.interleaved);
    let steps: Vec<f64> = progress
        .iter()
        .filter_map(|p| p["progress"].as_f64())
        .collect();
    assert_eq!(steps, [0.0, 1.0, 2.0, 3.0, 4.0]);
    assert!(
        progress
            .iter()
            .all(|p| p["progressToken"] == "slow-1" && p["total"] == 4.0)
    );
    assert_eq!(progress[0]["message"], "checking the query");
    assert!(started.elapsed() >= northwind_mcp::tools::SLOW_STEP * 4);
    let result = crate::support::result_of(answer)?;
    assert_eq!(
        tool_text(&result)?,
        r#"{"columns":["n"],"rows":[[830]],"row_count":1,"truncated":false}"#
    );

    // Without a token, the same answer and no progress.
    let quiet = client
        .send(
            "tools/call",
            Some(json!({"name": "slow_query", "arguments": {"query": "SELECT 1 AS one"}})),
        )
        .await?;
    assert!(
        quiet
            .interleaved
            .iter()
            .all(|m| m["method"] != "notifications/progress")
    );
    server.stop().await
}

#[tokio::test]
async fn sales_for_year_asks_which_year() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server)
        .with_capabilities(json!({"elicitation": {"form": {}}}))
        .with_answers(|request| {
            assert_eq!(request["method"], "elicitation/create");
            let schema = &request["params"]["requestedSchema"];
            assert_eq!(schema["properties"]["year"]["type"], "integer", "{schema}");
            assert_eq!(schema["properties"]["year"]["minimum"], 1996, "{schema}");
            json!({"action": "accept", "content": {"year": 1997}})
        });
    client.initialize("2025-11-25").await?;
    let answer = client
        .send(
            "tools/call",
            Some(json!({"name": "sales_for_year", "arguments": {}})),
        )
        .await?;
    assert_eq!(
        answer.interleaved.len(),
        1,
        "one question: {:?}",
        answer.interleaved
    );
    let result = crate::support::result_of(answer)?;
    let table: Value = serde_json::from_str(tool_text(&result)?)?;
    assert_eq!(table["rows"][0][0], "1997", "{table}");
    assert_eq!(table["rows"][0][1], 408, "{table}");

    // A year given: no question.
    let direct = client
        .send(
            "tools/call",
            Some(json!({"name": "sales_for_year", "arguments": {"year": 1996}})),
        )
        .await?;
    assert!(direct.interleaved.is_empty());
    assert_eq!(
        serde_json::from_str::<Value>(tool_text(&crate::support::result_of(direct)?)?)?["rows"][0]
            [1],
        152
    );
    server.stop().await
}

#[tokio::test]
async fn sales_for_year_without_elicitation_or_answer_explains() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut plain = McpClient::new(&server);
    plain.initialize("2025-06-18").await?;
    let result = plain.call_tool("sales_for_year", json!({})).await?;
    assert!(is_error(&result));
    assert!(
        tool_text(&result)?.contains("1996, 1997 and 1998"),
        "{result}"
    );
    let result = plain
        .call_tool("sales_for_year", json!({"year": 2001}))
        .await?;
    assert!(is_error(&result) && tool_text(&result)?.contains("no orders in 2001"));

    let mut declining = McpClient::new(&server)
        .with_capabilities(json!({"elicitation": {}}))
        .with_answers(|_| json!({"action": "decline"}));
    declining.initialize("2025-06-18").await?;
    let result = declining.call_tool("sales_for_year", json!({})).await?;
    assert!(is_error(&result));
    assert_eq!(tool_text(&result)?, "the user did not choose a year");
    server.stop().await
}

#[tokio::test]
async fn prompts_are_listed_and_filled_over_http() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server);
    let init = client.initialize("2025-11-25").await?;
    assert!(init["capabilities"]["prompts"].is_object(), "{init}");
    let listed = client.request("prompts/list", json!({})).await?;
    let names: Vec<&str> = listed["prompts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["top_customers", "sales_review"], "{listed}");
    assert_eq!(listed["prompts"][1]["arguments"][0]["name"], "year");
    assert_eq!(listed["prompts"][1]["arguments"][0]["required"], true);

    let got = client
        .request(
            "prompts/get",
            json!({"name": "top_customers", "arguments": {"country": "Germany"}}),
        )
        .await?;
    assert_eq!(got["messages"][0]["role"], "user", "{got}");
    assert_eq!(
        got["messages"][0]["content"]["text"],
        "Who are our top 5 customers by sales in Germany?"
    );
    let refused = client
        .send(
            "prompts/get",
            Some(json!({"name": "sales_review", "arguments": {"year": "2031"}})),
        )
        .await?;
    let error = refused.message.unwrap_or_default();
    assert_eq!(error["error"]["code"], -32602, "{error}");
    Ok(())
}

//! The Host allow-list: loopback plus the configured names; anything else is refused.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{McpClient, TestServer};

#[tokio::test]
async fn a_disallowed_host_is_rejected() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut client = McpClient::new(&server).with_header("host", "evil.example.com");
    let answer = client.send("initialize", Some(json!({}))).await?;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text);
    server.stop().await
}

#[tokio::test]
async fn a_configured_host_is_accepted() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| {
        config.allowed_hosts = vec!["db-mcp.example.com".to_owned()];
    })
    .await?;
    let mut client = McpClient::new(&server).with_header("host", "db-mcp.example.com");
    let result = client.initialize("2025-06-18").await?;
    assert_eq!(result["serverInfo"]["name"], "northwind-mcp");
    let mut client = McpClient::new(&server).with_header("host", "other.example.com");
    let answer = client.send("initialize", Some(json!({}))).await?;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    server.stop().await
}

//! The bearer token in front of `/mcp`: 401 with a challenge unless the exact token is sent.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{McpClient, SALES_BY_YEAR, TestServer, is_error, within};

const TOKEN: &str = "test-token-0123456789";

async fn server_with_token() -> anyhow::Result<TestServer> {
    TestServer::start_with(|config| config.token = Some(TOKEN.to_owned())).await
}

/// Sends `initialize` with the given client and expects 401.
async fn expect_401(
    client: &mut McpClient,
    message: &str,
    server: &TestServer,
) -> anyhow::Result<()> {
    let answer = client.send("initialize", Some(json!({}))).await?;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let challenge = answer.headers["www-authenticate"].to_str()?;
    assert_eq!(
        challenge,
        format!(
            "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            server.base()
        )
    );
    let body: Value = serde_json::from_str(&answer.text)?;
    assert_eq!(
        body,
        json!({"error": {"code": "unauthorized", "message": message, "retryable": false}})
    );
    assert!(!answer.text.contains(TOKEN));
    Ok(())
}

#[tokio::test]
async fn no_token_gets_401_with_a_challenge() -> anyhow::Result<()> {
    let server = server_with_token().await?;
    let mut client = McpClient::new(&server);
    expect_401(&mut client, "missing bearer token", &server).await?;
    let mut client =
        McpClient::new(&server).with_header("authorization", &format!("Basic {TOKEN}"));
    expect_401(&mut client, "missing bearer token", &server).await?;
    server.stop().await
}

#[tokio::test]
async fn wrong_token_gets_401() -> anyhow::Result<()> {
    let server = server_with_token().await?;
    let mut client = McpClient::new(&server).with_header("authorization", "Bearer not-the-token");
    expect_401(&mut client, "wrong bearer token", &server).await?;
    let mut client =
        McpClient::new(&server).with_header("authorization", &format!("Bearer {TOKEN}x"));
    expect_401(&mut client, "wrong bearer token", &server).await?;
    server.stop().await
}

#[tokio::test]
async fn right_token_works_end_to_end() -> anyhow::Result<()> {
    let server = server_with_token().await?;
    let mut client =
        McpClient::new(&server).with_header("authorization", &format!("Bearer {TOKEN}"));
    client.initialize("2025-06-18").await?;
    let result = client
        .call_tool("read_query", json!({"query": SALES_BY_YEAR}))
        .await?;
    assert!(!is_error(&result), "{result}");
    server.stop().await
}

#[tokio::test]
async fn health_needs_no_token() -> anyhow::Result<()> {
    let server = server_with_token().await?;
    let response = within("health", reqwest::get(format!("{}/health", server.base()))).await??;
    assert_eq!(response.status(), StatusCode::OK);
    server.stop().await
}

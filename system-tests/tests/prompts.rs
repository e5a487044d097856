//! Server prompts through the real edge and the real northwind-mcp: `GET /api/prompts` lists
//! the prompts of the user's servers (resolved against their Pomerium list only), and
//! `POST /api/prompts/get` fills one; a request straight to the edge without an assertion,
//! an unknown server, or a missing required argument is refused before any server is asked.

use protocol::{ErrorCode, PromptList, PromptMessages};
use serde_json::json;
use testkit::provider::{FakeProvider, Script};

use crate::support::{assert_error, client, northwind_chain};

#[tokio::test]
async fn prompts_are_listed_and_filled_for_the_users_servers() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = northwind_chain(&provider, "prompts", &[("TOOL_MODE", "edge")]).await?;
    let base = chain.pomerium.base_url();

    let list: PromptList = client()
        .get(format!("{base}/api/prompts?servers=northwind"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let names: Vec<(&str, &str)> = list
        .prompts
        .iter()
        .map(|p| (p.server.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("northwind", "top_customers"),
            ("northwind", "sales_review")
        ]
    );
    let review = &list.prompts[1];
    assert_eq!(review.title, "Sales review");
    assert!(review.arguments[0].required, "{review:?}");

    let got: PromptMessages = client()
        .post(format!("{base}/api/prompts/get"))
        .json(&json!({"server":"northwind","name":"sales_review","arguments":{"year":"1997"}}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    assert!(
        got.composer_text().starts_with("Review our sales of 1997"),
        "{got:?}"
    );

    let post = |body: serde_json::Value| {
        client()
            .post(format!("{base}/api/prompts/get"))
            .json(&body)
            .send()
    };
    let missing = post(json!({"server":"northwind","name":"sales_review"})).await?;
    assert_error(missing, 400, ErrorCode::BadRequest).await?;
    let unknown = post(json!({"server":"elsewhere","name":"sales_review"})).await?;
    assert_error(unknown, 400, ErrorCode::UnknownServer).await?;
    let refused =
        post(json!({"server":"northwind","name":"sales_review","arguments":{"year":"2031"}}))
            .await?;
    assert_error(refused, 502, ErrorCode::McpServerUnreachable).await?;
    let listed_unknown = client()
        .get(format!("{base}/api/prompts?servers=northwind,elsewhere"))
        .send()
        .await?;
    assert_error(listed_unknown, 400, ErrorCode::UnknownServer).await?;

    // Straight to the edge, without Pomerium's assertion: refused.
    let direct = client()
        .get(format!(
            "{}/api/prompts?servers=northwind",
            chain.edge.base_url
        ))
        .bearer_auth("pom_mat_direct")
        .send()
        .await?;
    assert_eq!(direct.status(), 401);
    Ok(())
}

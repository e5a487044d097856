//! Zero trust at the edge, as an attacker tries it with plain HTTP against the component under
//! `wasmtime serve` (issue 11): identity before spending, continuations sealed to the user,
//! policies that fail closed, headers and hosts, `{"servers": null}`, and `/api/me`. Each
//! hostile case gets its status and stable code, and reaches neither the provider nor an MCP
//! server; nothing the component printed holds a secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use edge::seal::{self, Purpose};
use protocol::{ErrorCode, Identity, ServerList};
use serde_json::json;
use testkit::pomerium::{
    Algorithm, FakePomerium, FakePomeriumConfig, User, claims, foreign_assertion,
};
use testkit::process::{Artifacts, EdgeProcess, TEST_SEAL_SECRET, free_local_addr};
use testkit::provider::{FakeProvider, Script};

use crate::edge_input::{Assertion, Case, TOKEN, chat, plain, run, run_hostile};
use crate::support::{
    API_KEY, ASSERTION, CHAT, Chain, ROUTE_HOST, assert_error, assert_no_secrets, chain,
    chain_with, client, edge_with, events, post_chat, post_chat_to,
};

const HI: &str = r#"{"messages":[{"role":"user","content":"hi"}]"#;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// `case` without an assertion, or with this one.
fn asserting(mut case: Case, assertion: Assertion) -> Case {
    case.assertion = assertion;
    case
}

/// A chat continuing `response_id` with one approval of `approval_id`.
fn continuing(response_id: &str, approval_id: &str) -> String {
    json!({"messages":[{"role":"user","content":"go on"}],
           "previous_response_id": response_id,
           "approvals": [{"approval_request_id": approval_id, "approve": true}]})
    .to_string()
}

/// `id` sealed for `purpose` as the edge seals it, for `subject`, with `secret`, expiring at
/// `expires_at`.
fn sealed(secret: &str, purpose: Purpose, subject: &str, expires_at: u64, id: &str) -> String {
    seal::seal(
        secret.as_bytes(),
        purpose,
        subject,
        expires_at,
        id.as_bytes(),
    )
}

fn identity_cases(pomerium: &FakePomerium) -> Vec<Case> {
    let user = User::default();
    let mut future = claims(ROUTE_HOST, &user, 300);
    future["nbf"] = json!(now() + 3600);
    let mut other_issuer = claims(ROUTE_HOST, &user, 300);
    other_issuer["iss"] = json!("evil.example");
    let mut nobody = claims(ROUTE_HOST, &user, 300);
    nobody.as_object_mut().map(|c| c.remove("sub"));
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg":"none"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims(ROUTE_HOST, &user, 300).to_string())
    );
    let hmac = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(json!({"alg":"HS256","kid":"fake-pomerium-1"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims(ROUTE_HOST, &user, 300).to_string()),
        URL_SAFE_NO_PAD.encode([7u8; 32])
    );
    let body = format!("{HI}}}");
    let refused =
        |assertion: Assertion| asserting(chat(body.clone(), 401, "unauthorized"), assertion);
    vec![
        refused(Assertion::Absent),
        refused(Assertion::This("a.b.c".into())),
        refused(Assertion::This(foreign_assertion(ROUTE_HOST))),
        refused(Assertion::This(pomerium.assertion(ROUTE_HOST, -600))),
        refused(Assertion::This(pomerium.assertion("evil.example", 300))),
        refused(Assertion::This(pomerium.sign_claims(&other_issuer))),
        refused(Assertion::This(pomerium.sign_claims(&nobody))),
        refused(Assertion::This(pomerium.sign_claims(&future))),
        refused(Assertion::This(unsigned)),
        refused(Assertion::This(hmac)),
        asserting(
            plain("GET", "/api/servers", 401, "unauthorized"),
            Assertion::Absent,
        ),
        asserting(
            plain("GET", "/api/me", 401, "unauthorized"),
            Assertion::Absent,
        ),
        asserting(
            plain("GET", "/api/models", 401, "unauthorized"),
            Assertion::Absent,
        ),
        asserting(
            Case {
                method: "POST",
                path: "/api/servers/disconnect".into(),
                headers: vec![
                    ("authorization", TOKEN.into()),
                    ("content-type", "application/json".into()),
                ],
                body: br#"{"servers":["northwind"]}"#.to_vec(),
                assertion: Assertion::Valid,
                status: 401,
                code: "unauthorized",
            },
            Assertion::This(foreign_assertion(ROUTE_HOST)),
        ),
    ]
}

fn continuation_cases() -> Vec<Case> {
    let later = now() + 3000;
    let mine = |purpose, id: &str| sealed(TEST_SEAL_SECRET, purpose, "user-1", later, id);
    let response = mine(Purpose::ResponseId, "resp_1");
    let approval = mine(Purpose::ApprovalRequest, "mcpr_1");
    let mut tampered = response.clone().into_bytes();
    tampered[4] = if tampered[4] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap_or_default();
    let refused = |body: String| chat(body, 403, "invalid_continuation");
    vec![
        // The provider's own ids, as a browser could copy them from any stream.
        refused(continuing("resp_1", "mcpr_1")),
        // Another user's.
        refused(continuing(
            &sealed(
                TEST_SEAL_SECRET,
                Purpose::ResponseId,
                "user-2",
                later,
                "resp_1",
            ),
            &approval,
        )),
        refused(continuing(
            &response,
            &sealed(
                TEST_SEAL_SECRET,
                Purpose::ApprovalRequest,
                "user-2",
                later,
                "mcpr_1",
            ),
        )),
        // Sealed with another key.
        refused(continuing(
            &sealed(
                "another-secret-0123456789abcdef0123",
                Purpose::ResponseId,
                "user-1",
                later,
                "resp_1",
            ),
            &approval,
        )),
        // Expired.
        refused(continuing(
            &sealed(
                TEST_SEAL_SECRET,
                Purpose::ResponseId,
                "user-1",
                now() - 10,
                "resp_1",
            ),
            &approval,
        )),
        // Altered.
        refused(continuing(&tampered, &approval)),
        // One kind replayed as the other.
        refused(continuing(&approval, &approval)),
        refused(continuing(&response, &response)),
        // A good response with a raw or empty approval id, or an empty response id.
        refused(continuing(&response, "mcpr_1")),
        refused(continuing(&response, "")),
        refused(continuing("", &approval)),
    ]
}

fn header_cases() -> Vec<Case> {
    let mut forwarded = chat(format!("{HI}}}"), 403, "forbidden");
    forwarded.headers.extend([
        ("origin", "https://evil.example".to_owned()),
        ("x-forwarded-host", "evil.example".to_owned()),
        ("x-forwarded-proto", "https".to_owned()),
    ]);
    vec![forwarded]
}

#[tokio::test]
async fn hostile_identities_and_continuations_reach_nothing() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = chain(&provider, &[]).await?;
    let mut cases = identity_cases(&chain.pomerium);
    cases.extend(continuation_cases());
    cases.extend(header_cases());
    assert!(cases.len() >= 25, "{} cases", cases.len());
    run_hostile(&chain, &provider, &cases).await?;
    assert_no_secrets(&chain.edge, &[API_KEY, TEST_SEAL_SECRET, "pom_mat_input"]);
    // The same edge serves a real user, through Pomerium.
    let ok = post_chat_to(&chain.pomerium.base_url()).await?;
    assert_eq!(ok.status(), 200);
    events(ok).await?;
    assert_eq!(provider.request_count(), 1);
    Ok(())
}

#[tokio::test]
async fn with_assertions_off_a_chat_is_spent_only_on_a_te_pomerium_confirms() -> anyhow::Result<()>
{
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = chain(&provider, &[("JWT_ASSERTION", "off")]).await?;
    let forged = client()
        .post(format!("{}/api/chat", chain.edge.base_url))
        .bearer_auth("pom_mat_1_0000000000000000")
        .header("content-type", "application/json")
        .body(CHAT)
        .send()
        .await?;
    assert_error(forged, 401, ErrorCode::Unauthorized).await?;
    assert_eq!(
        provider.request_count(),
        0,
        "a forged bearer spent the model key"
    );
    // A TE Pomerium minted passes, and nobody is named: /api/me cannot answer.
    let through = |path: &str| format!("{}{path}", chain.pomerium.base_url());
    let ok = post_chat_to(&chain.pomerium.base_url()).await?;
    assert_eq!(ok.status(), 200);
    events(ok).await?;
    assert_eq!(provider.request_count(), 1);
    let me = client().get(through("/api/me")).send().await?;
    assert_eq!(me.status(), 401);
    Ok(())
}

#[tokio::test]
async fn rs256_assertions_verify_and_name_the_user() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let Chain { edge, pomerium, .. } = chain_with(
        &provider,
        &[],
        FakePomeriumConfig {
            algorithm: Algorithm::Rs256,
            user: User::named("rsa-user"),
            ..FakePomeriumConfig::default()
        },
    )
    .await?;
    let me: Identity = client()
        .get(format!("{}/api/me", pomerium.base_url()))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(me.subject, "rsa-user");
    let chat = post_chat_to(&pomerium.base_url()).await?;
    assert_eq!(chat.status(), 200);
    let forged = client()
        .post(format!("{}/api/chat", edge.base_url))
        .bearer_auth("pom_mat_x")
        .header(ASSERTION, foreign_assertion(ROUTE_HOST))
        .header("content-type", "application/json")
        .body(CHAT)
        .send()
        .await?;
    assert_eq!(forged.status(), 401, "an ES256 assertion from another key");
    Ok(())
}

#[tokio::test]
async fn me_names_the_verified_user_and_pomeriums_sign_out() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = chain(&provider, &[]).await?;
    let url = format!("{}/api/me", chain.pomerium.base_url());
    let res = client().get(&url).send().await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let body: serde_json::Value = res.json().await?;
    assert_eq!(
        body,
        json!({"subject":"user-1","email":"user-1@example.com","name":"Test User user-1",
               "sign_out_url": format!("{}/.pomerium/sign_out", chain.pomerium.base_url())})
    );
    chain.pomerium.set_user(User::named("user-2"));
    let me: Identity = client().get(&url).send().await?.json().await?;
    assert_eq!(me.subject, "user-2");
    assert_eq!(provider.request_count(), 0);
    Ok(())
}

#[tokio::test]
async fn servers_null_is_an_empty_list() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let Chain {
        edge: _edge,
        pomerium,
        ..
    } = chain_with(&provider, &[], FakePomeriumConfig::default()).await?;
    let res = client()
        .get(format!("{}/api/servers", pomerium.base_url()))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<ServerList>().await?,
        ServerList { servers: vec![] }
    );
    assert_eq!(
        pomerium.routes_calls().len(),
        1,
        "Pomerium answered {{\"servers\":null}}"
    );
    Ok(())
}

#[tokio::test]
async fn invalid_policies_refuse_every_chat_that_selects_a_server() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    for (setting, value) in [
        (
            "MCP_POLICIES",
            r#"{"northwind":{"require_approval":"Always"}}"#,
        ),
        ("MCP_DEFAULT_POLICY", r#"{"allowed_tool":["read_query"]}"#),
    ] {
        let chain = chain(&provider, &[(setting, value)]).await?;
        let before = provider.request_count();
        let cases = vec![chat(
            format!(r#"{HI},"servers":["northwind"]}}"#),
            503,
            "invalid_configuration",
        )];
        run(&chain.edge.base_url, &chain, &cases).await?;
        assert_eq!(provider.request_count(), before, "{setting}");
        assert!(chain.pomerium.routes_calls().is_empty(), "{setting}");
        assert!(chain.pomerium.mcp_hits(0).is_empty(), "{setting}");
        let health: serde_json::Value = client()
            .get(format!("{}/api/health", chain.edge.base_url))
            .send()
            .await?
            .json()
            .await?;
        assert_eq!(health["status"], "degraded");
        assert!(
            health["problems"]
                .to_string()
                .contains(&setting.to_lowercase()),
            "{health}"
        );
        // A chat without servers needs no policy.
        let ok = post_chat(&chain, "pom_mat_ok").await?;
        assert_eq!(ok.status(), 200, "{setting}");
        events(ok).await?;
    }
    Ok(())
}

#[tokio::test]
async fn policies_follow_the_servers_url_through_a_rename() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    // The fake Pomerium's one route is listed at a URL known only once it runs: bind it first.
    let mcp_addr = free_local_addr()?;
    let mcp_url = format!("http://{mcp_addr}/mcp");
    let by_url =
        json!({ &mcp_url: {"require_approval": "always", "allowed_tools": ["read_query"]} })
            .to_string();
    let Chain {
        edge: _edge,
        pomerium,
        ..
    } = chain_with(
        &provider,
        &[("MCP_POLICIES", &by_url)],
        FakePomeriumConfig {
            mcp_routes: vec![testkit::pomerium::McpRoute {
                name: "Northwind, renamed".into(),
                upstream: "http://127.0.0.1:9".into(),
                addr: Some(mcp_addr),
                ..testkit::pomerium::McpRoute::default()
            }],
            ..FakePomeriumConfig::default()
        },
    )
    .await?;
    assert_eq!(pomerium.mcp_url(0), mcp_url);
    let res = client()
        .post(format!("{}/api/chat", pomerium.base_url()))
        .json(&json!({"messages":[{"role":"user","content":"hi"}],"servers":["northwind-renamed"]}))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    events(res).await?;
    let sent = &provider.requests()[0].body;
    assert_eq!(sent["tools"][0]["require_approval"], "always", "{sent}");
    assert_eq!(sent["tools"][0]["allowed_tools"], json!(["read_query"]));
    Ok(())
}

#[tokio::test]
async fn answers_are_nosniff_and_pages_cannot_be_framed() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let chain = chain(&provider, &[]).await?;
    let page = client()
        .get(format!("{}/", chain.edge.base_url))
        .send()
        .await?;
    assert_eq!(page.status(), 200);
    let h = page.headers();
    assert_eq!(h["content-security-policy"], "frame-ancestors 'none'");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let stream = post_chat(&chain, "pom_mat_h").await?;
    assert_eq!(stream.headers()["x-content-type-options"], "nosniff");
    events(stream).await?;
    for path in ["/api/health", "/widget/pomerium-chat.js", "/nope.html"] {
        let res = client()
            .get(format!("{}{path}", chain.edge.base_url))
            .send()
            .await?;
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    // The setting widens frame-ancestors for pages that embed the chat in a frame.
    let framed = edge_with_frames(&provider)?;
    let page = client().get(format!("{}/", framed.base_url)).send().await?;
    assert_eq!(
        page.headers()["content-security-policy"],
        "frame-ancestors https://intranet.example.com"
    );
    Ok(())
}

fn edge_with_frames(provider: &FakeProvider) -> anyhow::Result<EdgeProcess> {
    edge_with(
        provider,
        "http://127.0.0.1:9",
        &[("FRAME_ANCESTORS", "https://intranet.example.com")],
    )
}

#[tokio::test]
async fn local_mode_answers_loopback_hosts_only() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::default()).await?;
    let base = provider.base_url();
    let servers = json!([{"name":"Tiny","url":"http://127.0.0.1:9/mcp","token":"local-mcp-token"}])
        .to_string();
    let edge = EdgeProcess::start(
        &Artifacts::from_env()?,
        &[
            ("OPENAI_BASE_URL", base.as_str()),
            ("OPENAI_API_KEY", API_KEY),
            ("MCP_SERVERS", servers.as_str()),
        ],
    )?;
    let port = edge
        .base_url
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    // A rebinding page reaches this port under its own name.
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("localhost.evil.example:{port}"),
        "evil.example".to_owned(),
    ] {
        for (method, path, body) in [
            ("GET", "/api/servers", ""),
            ("GET", "/api/me", ""),
            ("POST", "/api/chat", CHAT),
            ("GET", "/", ""),
        ] {
            let res = client()
                .request(method.parse()?, format!("{}{path}", edge.base_url))
                .header("host", &host)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            assert_error(res, 403, ErrorCode::Forbidden).await?;
        }
    }
    assert_eq!(provider.request_count(), 0);
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let res = client()
            .get(format!("{}/api/me", edge.base_url))
            .header("host", &host)
            .send()
            .await?;
        assert_eq!(res.status(), 200, "Host: {host}");
        let me: Identity = res.json().await?;
        assert_eq!((me.subject.as_str(), me.sign_out_url), ("local", None));
    }
    assert_no_secrets(&edge, &["local-mcp-token", API_KEY]);
    Ok(())
}

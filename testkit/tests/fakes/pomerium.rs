//! The fake Pomerium: TE injection and live streaming on the client route, and its routes
//! endpoint.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request};
use axum::routing::{get, post};
use futures_util::StreamExt;
use serde_json::{Value, json};
use testkit::pomerium::{FakePomerium, FakePomeriumConfig, McpRoute};
use tokio::sync::{mpsc, oneshot};

use crate::fakes::support::{client, next_chunk, spawn};

/// What the stand-in edge saw on one request.
#[derive(Clone, Debug)]
struct EdgeSeen {
    authorization: Option<String>,
    forwarded_host: Option<String>,
    forwarded_proto: Option<String>,
    path_and_query: String,
    body: String,
}

/// A stand-in edge: `POST /echo` records and echoes; `GET /stream` writes one frame, waits for the
/// test's signal, then writes a second.
struct Edge {
    base_url: String,
    seen: Arc<Mutex<Vec<EdgeSeen>>>,
    release: Mutex<Option<oneshot::Sender<()>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Edge {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn edge() -> anyhow::Result<Edge> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let release_rx = Arc::new(Mutex::new(Some(release_rx)));
    let record = {
        let seen = seen.clone();
        move |req: Request<Body>| {
            let seen = seen.clone();
            async move {
                let headers: HeaderMap = req.headers().clone();
                let text = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let path_and_query = req.uri().path_and_query().unwrap().to_string();
                let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
                    .await
                    .unwrap();
                let body = String::from_utf8(bytes.to_vec()).unwrap();
                seen.lock().unwrap().push(EdgeSeen {
                    authorization: text("authorization"),
                    forwarded_host: text("x-forwarded-host"),
                    forwarded_proto: text("x-forwarded-proto"),
                    path_and_query,
                    body: body.clone(),
                });
                ([("x-edge", "yes")], format!("echo:{body}"))
            }
        }
    };
    let stream = move || {
        let release_rx = release_rx.lock().unwrap().take();
        async move {
            let (tx, rx) = mpsc::channel::<Result<Bytes, std::convert::Infallible>>(1);
            tokio::spawn(async move {
                tx.send(Ok(Bytes::from("event: one\ndata: 1\n\n")))
                    .await
                    .unwrap();
                if let Some(release_rx) = release_rx {
                    let _ = release_rx.await;
                }
                let _ = tx.send(Ok(Bytes::from("event: two\ndata: 2\n\n"))).await;
            });
            let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|chunk| (chunk, rx))
            });
            (
                [("content-type", "text/event-stream")],
                Body::from_stream(chunks),
            )
        }
    };
    let router = Router::new()
        .route("/echo", post(record))
        .route("/stream", get(stream));
    let (addr, task) = spawn(router).await?;
    Ok(Edge {
        base_url: format!("http://{addr}"),
        seen,
        release: Mutex::new(Some(release_tx)),
        task,
    })
}

async fn pomerium(edge: &Edge, routes: Vec<McpRoute>) -> anyhow::Result<FakePomerium> {
    FakePomerium::start(FakePomeriumConfig {
        edge_upstream: edge.base_url.clone(),
        mcp_routes: routes,
        client_addr: None,
        sign_in: false,
        ..FakePomeriumConfig::default()
    })
    .await
}

#[tokio::test]
async fn client_route_replaces_authorization_with_a_fresh_te() -> anyhow::Result<()> {
    let edge = edge().await?;
    let pomerium = pomerium(&edge, Vec::new()).await?;
    for body in ["first", "second"] {
        let res = client()
            .post(format!("{}/echo?x=1", pomerium.base_url()))
            .header("authorization", "Bearer from-the-browser")
            .body(body)
            .send()
            .await?;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-edge"], "yes");
        assert_eq!(res.text().await?, format!("echo:{body}"));
    }
    let issued = pomerium.issued();
    let seen = edge.seen.lock().unwrap().clone();
    assert_eq!(issued.len(), 2);
    assert_ne!(issued[0].te, issued[1].te);
    let host = pomerium.base_url().trim_start_matches("http://").to_owned();
    for (issued, seen) in issued.iter().zip(&seen) {
        assert!(issued.te.starts_with("pom_mat_"));
        assert_eq!(issued.method, "POST");
        assert_eq!(issued.path, "/echo");
        assert_eq!(seen.authorization, Some(format!("Bearer {}", issued.te)));
        assert_eq!(seen.forwarded_host.as_deref(), Some(host.as_str()));
        assert_eq!(seen.forwarded_proto.as_deref(), Some("http"));
        assert_eq!(seen.path_and_query, "/echo?x=1");
    }
    assert_eq!(seen[1].body, "second");
    Ok(())
}

#[tokio::test]
async fn client_route_streams_without_buffering() -> anyhow::Result<()> {
    let edge = edge().await?;
    let pomerium = pomerium(&edge, Vec::new()).await?;
    let res = client()
        .get(format!("{}/stream", pomerium.base_url()))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut body = res.bytes_stream();
    // The upstream holds its second frame until released: the first must arrive before that.
    let first = next_chunk(&mut body).await?.expect("a first chunk");
    assert_eq!(first.as_ref(), b"event: one\ndata: 1\n\n");
    let release = edge.release.lock().unwrap().take().unwrap();
    release
        .send(())
        .map_err(|()| anyhow::anyhow!("edge gone"))?;
    let mut rest = Vec::new();
    while let Some(chunk) = next_chunk(&mut body).await? {
        rest.extend_from_slice(&chunk);
    }
    assert_eq!(rest, b"event: two\ndata: 2\n\n");
    Ok(())
}

#[tokio::test]
async fn client_route_streams_request_bodies() -> anyhow::Result<()> {
    let edge = edge().await?;
    let pomerium = pomerium(&edge, Vec::new()).await?;
    let parts = futures_util::stream::iter(["a", "b", "c"])
        .map(|p| Ok::<_, std::convert::Infallible>(Bytes::from(p)));
    let res = client()
        .post(format!("{}/echo", pomerium.base_url()))
        .body(reqwest::Body::wrap_stream(parts))
        .send()
        .await?;
    assert_eq!(res.text().await?, "echo:abc");
    Ok(())
}

#[tokio::test]
async fn routes_endpoint_lists_mcp_routes_for_issued_tes_only() -> anyhow::Result<()> {
    let edge = edge().await?;
    let routes = vec![
        McpRoute {
            name: "Northwind".to_owned(),
            description: Some("Orders and customers".to_owned()),
            logo_url: Some("https://example.com/logo.svg".to_owned()),
            upstream: "http://127.0.0.1:9".to_owned(),
            internal_token: "ti".to_owned(),
            connected: true,
            ..McpRoute::default()
        },
        McpRoute {
            name: "CRM".to_owned(),
            upstream: "http://127.0.0.1:9".to_owned(),
            needs_oauth: true,
            ..McpRoute::default()
        },
    ];
    let pomerium = pomerium(&edge, routes).await?;
    let url = format!("{}/.pomerium/mcp/routes", pomerium.base_url());

    let res = client().get(&url).send().await?;
    assert_eq!(res.status(), 401);
    let res = client()
        .get(&url)
        .bearer_auth("pom_mat_1_forged0000000000")
        .send()
        .await?;
    assert_eq!(res.status(), 401);

    // A TE from the client route opens it; the call is not proxied to the edge.
    client()
        .post(format!("{}/echo", pomerium.base_url()))
        .body("x")
        .send()
        .await?;
    let te = pomerium.issued()[0].te.clone();
    let res = client().get(&url).bearer_auth(&te).send().await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let listing: Value = res.json().await?;
    assert_eq!(
        listing,
        json!({"servers": [
            {"name": "Northwind", "description": "Orders and customers",
             "logo_url": "https://example.com/logo.svg", "url": pomerium.mcp_url(0),
             "connected": true, "needs_oauth": false},
            {"name": "CRM", "url": pomerium.mcp_url(1), "connected": false, "needs_oauth": true},
        ]})
    );
    assert!(pomerium.mcp_url(0).ends_with("/mcp"));
    assert_ne!(pomerium.mcp_url(0), pomerium.mcp_url(1));
    assert_eq!(
        pomerium.routes_calls(),
        vec![
            None,
            Some("pom_mat_1_forged0000000000".to_owned()),
            Some(te)
        ]
    );
    assert_eq!(edge.seen.lock().unwrap().len(), 1);
    assert_eq!(pomerium.issued().len(), 1);
    Ok(())
}

#[tokio::test]
async fn mcp_route_without_internal_token_forwards_no_authorization() -> anyhow::Result<()> {
    let edge = edge().await?;
    let pomerium = pomerium(
        &edge,
        vec![McpRoute {
            name: "Plain".to_owned(),
            upstream: edge.base_url.clone(),
            ..McpRoute::default()
        }],
    )
    .await?;
    client().get(pomerium.base_url()).send().await?;
    let te = pomerium.issued()[0].te.clone();
    // The route forwards any path; the stand-in edge's /echo records what arrived.
    let mcp_base = pomerium.mcp_url(0).trim_end_matches("/mcp").to_owned();
    let res = client()
        .post(format!("{mcp_base}/echo"))
        .bearer_auth(&te)
        .body("hello")
        .send()
        .await?;
    assert_eq!(res.text().await?, "echo:hello");
    let seen = edge.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].authorization, None);
    let hits = pomerium.mcp_hits(0);
    assert_eq!(hits.len(), 1);
    assert!(hits[0].accepted);
    assert_eq!(hits[0].path, "/echo");
    Ok(())
}

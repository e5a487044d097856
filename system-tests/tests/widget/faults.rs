//! Faults end to end, as a person sees them: for each provider, Pomerium or MCP fault the widget
//! shows the right coded message, keeps the question and any partial answer, and Retry gets the answer
//! once the fault is gone. The edge runs under `wasmtime serve` (its output is checked for
//! leaked tokens when the chain ends).

use std::time::Duration;

use serde_json::json;
use testkit::frames::event as frame;
use testkit::pomerium::Fault as PomeriumFault;
use testkit::provider::Script;

use crate::widget::chain::{Chain, ChainConfig};

fn delta(text: &str) -> (Duration, String) {
    (
        Duration::from_millis(50),
        frame(&json!({"type":"response.output_text.delta","delta":text})),
    )
}

fn status(status: u16, code: &str, retry_after: Option<u32>) -> Script {
    let body = json!({"error":{"message":format!("Error retrieving tool list from MCP server: 'northwind'. ({code})"),"type":"fault","param":null,"code":code}});
    Script::Status {
        status,
        body: body.to_string(),
        retry_after,
    }
}

/// A fault, what the answer must show, and the partial text it must keep.
struct Fault {
    name: &'static str,
    script: Script,
    complete: &'static str,
    code: Option<&'static str>,
    text: &'static str,
}

fn faults() -> Vec<Fault> {
    let completed = (
        Duration::from_millis(50),
        frame(&json!({"type":"response.completed","response":{"id":"resp_f"}})),
    );
    vec![
        Fault {
            name: "500",
            script: status(500, "server_error", None),
            complete: "error",
            code: Some("provider_unavailable"),
            text: "",
        },
        Fault {
            name: "503",
            script: status(503, "overloaded", None),
            complete: "error",
            code: Some("provider_unavailable"),
            text: "",
        },
        Fault {
            name: "429",
            script: status(429, "rate_limit_exceeded", Some(2)),
            complete: "error",
            code: Some("provider_rate_limited"),
            text: "",
        },
        Fault {
            name: "424",
            script: status(424, "http_error", None),
            complete: "error",
            code: Some("mcp_server_unreachable"),
            text: "",
        },
        Fault {
            name: "dropped mid-stream",
            script: Script::Transcript(vec![delta("partial one "), delta("two")]),
            complete: "error",
            code: Some("stream_interrupted"),
            text: "partial one two",
        },
        Fault {
            name: "malformed event",
            script: Script::Transcript(vec![
                delta("good "),
                (
                    Duration::from_millis(50),
                    "event: response.output_text.delta\ndata: {\"type\":\"response.out\n\n"
                        .to_owned(),
                ),
                delta("still good"),
                completed,
            ]),
            complete: "true",
            code: None,
            text: "good still good",
        },
        Fault {
            name: "silent past the idle limit",
            script: Script::Transcript(vec![
                delta("slow start "),
                (
                    Duration::from_secs(30),
                    frame(&json!({"type":"response.completed","response":{"id":"r"}})),
                ),
            ]),
            complete: "error",
            code: Some("provider_timeout"),
            text: "slow start ",
        },
    ]
}

#[tokio::test]
async fn every_provider_fault_is_shown_loses_nothing_and_retry_recovers() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig {
        edge_env: vec![("IDLE_TIMEOUT_MS", "1500"), ("KEEPALIVE_MS", "200")],
        ..ChainConfig::default()
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            for (i, fault) in faults().into_iter().enumerate() {
                chain.provider.set_script(fault.script);
                let question = format!("Question {i} under fault {}", fault.name);
                chain.ask(&question, false).await?;
                let end = chain.answer(30).await?;
                let name = fault.name;
                anyhow::ensure!(end["complete"] == fault.complete, "{name}: {end}");
                anyhow::ensure!(end["error"] == json!(fault.code), "{name}: {end}");
                anyhow::ensure!(end["text"].as_str().map(str::trim) == Some(fault.text.trim()), "{name}: the partial answer changed: {end}");
                let asked = chain.last_question().await?;
                anyhow::ensure!(asked.contains(&question), "{name}: the question is gone: {asked}");
                if fault.code.is_none() {
                    continue;
                }
                let message = chain.eval("return root.querySelector('[data-role=\"error\"]:last-of-type')?.textContent ?? '';", vec![]).await?;
                anyhow::ensure!(!message.as_str().unwrap_or_default().trim().is_empty(), "{name}: no message shown");
                chain.screenshot(&format!("fault-{}", name.replace(' ', "-"))).await?;
                chain.provider.set_script(Script::default());
                chain.click("[data-role=\"error\"] button[data-role=\"retry\"]").await?;
                let retried = chain.answer(30).await?;
                anyhow::ensure!(retried["complete"] == "true", "{name}: retry did not recover: {retried}");
                anyhow::ensure!(
                    retried["text"].as_str().is_some_and(|t| t.contains(&question)),
                    "{name}: retry answered something else: {retried}"
                );
            }
            Ok(())
        })
        .await
}

#[tokio::test]
async fn pomerium_and_mcp_faults_are_shown_and_recoverable() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            let cases = [
                (PomeriumFault::RoutesDown, "pomerium_unavailable"),
                (PomeriumFault::RoutesMalformed, "pomerium_unavailable"),
                // The session ended mid-conversation: the MCP route refuses the token, the
                // provider cannot list the tools and answers 424.
                (PomeriumFault::McpTokensRejected, "mcp_server_unreachable"),
            ];
            for (i, (fault, code)) in cases.into_iter().enumerate() {
                chain.pomerium.set_fault(Some(fault));
                let question = format!("Question {i} while Pomerium shows {fault:?}");
                chain.ask(&question, true).await?;
                let end = chain.answer(30).await?;
                anyhow::ensure!(
                    end["complete"] == "error" && end["error"] == code,
                    "{fault:?}: {end}"
                );
                let asked = chain.last_question().await?;
                anyhow::ensure!(
                    asked.contains(&question),
                    "{fault:?}: the question is gone: {asked}"
                );
                chain.pomerium.set_fault(None);
                chain
                    .click("[data-role=\"error\"] button[data-role=\"retry\"]")
                    .await?;
                let retried = chain.answer(30).await?;
                anyhow::ensure!(
                    retried["complete"] == "true",
                    "{fault:?}: retry did not recover: {retried}"
                );
            }
            Ok(())
        })
        .await
}

#[tokio::test]
async fn slow_pomerium_and_slow_mcp_server_still_answer() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            for fault in [PomeriumFault::RoutesSlow, PomeriumFault::McpSlow] {
                chain.pomerium.set_fault(Some(fault));
                chain.ask("What were our sales by year?", true).await?;
                let end = chain.answer(60).await?;
                anyhow::ensure!(end["complete"] == "true", "{fault:?}: {end}");
                anyhow::ensure!(
                    end["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("208083.97")),
                    "{fault:?}: {end}"
                );
            }
            chain.pomerium.set_fault(None);
            Ok(())
        })
        .await
}

#[tokio::test]
async fn closing_the_tab_mid_answer_closes_the_provider_stream() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::slow_model(150)).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain
                .ask(
                    &"Tell me a long story about our customers. ".repeat(40),
                    false,
                )
                .await?;
            chain.partial_answer().await?;
            // Close the tab (after opening another, so the browser session lives on).
            let other = chain.browser.client.new_window(true).await?;
            chain.browser.client.close_window().await?;
            chain.browser.client.switch_to_window(other.handle).await?;
            crate::widget::chain::eventually("the provider to see the tab close", 15, || {
                chain.provider.abandoned_streams() == 1
            })
            .await?;
            anyhow::ensure!(chain.provider.open_streams() == 0);
            Ok(())
        })
        .await
}

#[tokio::test]
async fn a_tool_call_that_fails_is_shown_and_the_answer_still_ends() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig::default()).await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            // northwind-mcp answers this SQL with `isError: true` (no such table).
            chain.ask("Please run a broken query", true).await?;
            let end = chain.answer(60).await?;
            anyhow::ensure!(end["complete"] == "true", "{end}");
            anyhow::ensure!(end["tools"] == json!(["failed"]), "the call is shown failed: {end}");
            anyhow::ensure!(end["text"].as_str().is_some_and(|t| t.contains("failed")), "{end}");
            let failure = chain
                .eval("return root.querySelector('[data-role=\"tool-call\"] [data-role=\"failure\"]')?.textContent ?? '';", vec![])
                .await?;
            anyhow::ensure!(failure.as_str().is_some_and(|t| t.contains("NoSuchTable")), "the error text: {failure}");
            Ok(())
        })
        .await
}

//! The `northwind-mcp` executable: the one stdout line, the log lines, and shutdown on SIGTERM.

use std::process::{ExitStatus, Stdio};

use anyhow::Context;
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

use crate::support::{TempDir, within};

const PREFIX: &str = "northwind-mcp listening on http://";

/// The running executable, killed on drop if a test fails before it exits.
struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
    base: String,
    _dir: TempDir,
}

impl Running {
    /// Starts the binary on `127.0.0.1:0` with `env` and waits for its listening line.
    async fn start(env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let dir = TempDir::new()?;
        let mut command = Command::new(env!("CARGO_BIN_EXE_northwind-mcp"));
        command
            .args(["--addr", "127.0.0.1:0", "--db"])
            .arg(dir.db_path())
            .env_remove("NORTHWIND_ADDR")
            .env_remove("NORTHWIND_DB")
            .env_remove("NORTHWIND_TOKEN")
            .env_remove("NORTHWIND_ALLOWED_HOSTS")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        let mut stdout = BufReader::new(child.stdout.take().context("stdout piped")?);
        let mut line = String::new();
        within("listening line", stdout.read_line(&mut line)).await??;
        let addr = line
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.strip_suffix("/mcp\n"))
            .with_context(|| format!("unexpected first line {line:?}"))?;
        assert!(
            addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
            "{line:?}"
        );
        Ok(Self {
            child,
            stdout,
            base: format!("http://{addr}"),
            _dir: dir,
        })
    }

    /// Sends SIGTERM and returns the exit status, what else went to stdout, and stderr.
    async fn terminate(mut self) -> anyhow::Result<(ExitStatus, String, String)> {
        let pid = self.child.id().context("child still running")?;
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()?;
        assert!(kill.success(), "kill -TERM {pid}");
        let status = within("exit after SIGTERM", self.child.wait()).await??;
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).await?;
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_string(&mut stderr).await?;
        }
        Ok((status, rest, stderr))
    }
}

#[tokio::test]
async fn prints_one_line_serves_and_stops_on_sigterm() -> anyhow::Result<()> {
    let running = Running::start(&[]).await?;
    let response = within("health", reqwest::get(format!("{}/health", running.base))).await??;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, rest, stderr) = running.terminate().await?;
    assert!(status.success(), "{status}; stderr: {stderr}");
    assert_eq!(rest, "", "stdout carries only the listening line");
    assert!(stderr.contains("no token set"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn logs_rejections_without_the_token() -> anyhow::Result<()> {
    let token = "binary-test-token-5f2c";
    let running = Running::start(&[("NORTHWIND_TOKEN", token)]).await?;
    let http = reqwest::Client::new();
    for authorization in [None, Some("Bearer wrong-token-91ab")] {
        let mut request = http
            .post(format!("{}/mcp", running.base))
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = within("rejected request", request.send()).await??;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let (status, _, stderr) = running.terminate().await?;
    assert!(status.success(), "{status}; stderr: {stderr}");
    assert!(
        stderr.contains("northwind-mcp: rejected request: missing bearer token"),
        "{stderr}"
    );
    assert!(
        stderr.contains("northwind-mcp: rejected request: wrong bearer token"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(token) && !stderr.contains("wrong-token-91ab"),
        "{stderr}"
    );
    Ok(())
}

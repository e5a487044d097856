//! Headless Chromium driven through ChromeDriver (WebDriver), for end-to-end tests.
//!
//! [`Browser::start`] launches ChromeDriver on a port it picks, opens a session with the flags
//! this machine needs (no sandbox as root, no background networking) and a fresh profile, and
//! hands back a `fantoccini` client. [`Browser::wait_for`] polls a script until it returns a
//! truthy value or a deadline passes; that is the only way tests wait. [`Browser::cdp`] sends a
//! Chrome DevTools Protocol command through ChromeDriver (media emulation, the accessibility
//! tree).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::process::{ChildProcess, scratch_dir};

/// A browser session.
pub struct Browser {
    /// The WebDriver client.
    pub client: fantoccini::Client,
    /// ChromeDriver's base URL.
    driver_url: String,
    _driver: ChildProcess,
}

/// Starts ChromeDriver on a port of its choosing and returns it with its "started" line.
///
/// With `--port=0` ChromeDriver picks a port for IPv6 and then binds IPv4 to the same number,
/// which another process may hold ("bind() failed: Address already in use ... Exiting"): a few
/// tries, each with a port of ChromeDriver's new choosing, make that race harmless.
fn start_driver(driver_path: &std::path::Path) -> anyhow::Result<(ChildProcess, String)> {
    const TRIES: usize = 4;
    let mut last = None;
    for _ in 0..TRIES {
        let mut command = Command::new(driver_path);
        command.arg("--port=0");
        match ChildProcess::start(
            "chromedriver",
            command,
            "started successfully on port",
            Duration::from_secs(30),
        ) {
            Ok(started) => return Ok(started),
            Err(err) if format!("{err:#}").contains("Address already in use") => last = Some(err),
            Err(err) => return Err(err),
        }
    }
    Err(last
        .unwrap_or_else(|| anyhow::anyhow!("chromedriver did not start"))
        .context(format!("chromedriver found no free port in {TRIES} tries")))
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium session.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with_args(&[]).await
    }

    /// Like [`Browser::start`], with more Chromium flags (e.g. `--enable-precise-memory-info`).
    pub async fn start_with_args(extra_args: &[&str]) -> anyhow::Result<Self> {
        let driver_path = std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| "/usr/bin/chromedriver".into());
        let chromium = std::env::var_os("CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| "/usr/bin/chromium".into());
        if !driver_path.exists() || !chromium.exists() {
            bail!(
                "chromium and chromedriver are required (apt-get install chromium chromium-driver)"
            );
        }
        let (driver, line) = start_driver(&driver_path)?;
        let port: u16 = line
            .split("port ")
            .nth(1)
            .and_then(|rest| rest.trim_end_matches('.').split_whitespace().next())
            .and_then(|p| p.trim_end_matches('.').parse().ok())
            .with_context(|| format!("no port in chromedriver's line {line:?}"))?;
        let profile = scratch_dir("chromium-profile")?;
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        args.extend(extra_args.iter().map(|a| (*a).to_owned()));
        let capabilities = json!({
            "goog:chromeOptions": { "binary": chromium, "args": args }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let driver_url = format!("http://127.0.0.1:{port}");
        let client = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(capabilities)
        .connect(&driver_url)
        .await
        .context("opening a WebDriver session")?;
        Ok(Self {
            client,
            driver_url,
            _driver: driver,
        })
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.client
            .execute(script, args)
            .await
            .with_context(|| format!("running script {script:?}"))
    }

    /// Sends the DevTools command `method` with `params` to the current page and returns its
    /// result (ChromeDriver's `goog/cdp/execute`).
    pub async fn cdp(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        let session = self
            .client
            .session_id()
            .await?
            .context("the WebDriver session has no id")?;
        let url = format!("{}/session/{session}/goog/cdp/execute", self.driver_url);
        let reply: Value = reqwest::Client::builder()
            .no_proxy()
            .build()?
            .post(&url)
            .json(&json!({ "cmd": method, "params": params }))
            .send()
            .await
            .with_context(|| format!("sending {method}"))?
            .json()
            .await
            .with_context(|| format!("reading the answer to {method}"))?;
        match reply.get("value") {
            Some(value) if value.get("error").is_none() => Ok(value.clone()),
            _ => bail!("{method} failed: {reply}"),
        }
    }

    /// Re-runs `script` until it returns something other than `null`, `false` or `""`.
    pub async fn wait_for(
        &self,
        what: &str,
        script: &str,
        timeout: Duration,
    ) -> anyhow::Result<Value> {
        let deadline = Instant::now() + timeout;
        let mut last = Value::Null;
        while Instant::now() < deadline {
            last = self.eval(script, vec![]).await?;
            let truthy = !matches!(&last, Value::Null | Value::Bool(false))
                && last != Value::String(String::new());
            if truthy {
                return Ok(last);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("timed out after {timeout:?} waiting for {what} (last value: {last})")
    }

    /// Ends the session (closes Chromium).
    pub async fn close(self) -> anyhow::Result<()> {
        self.client.close().await.context("closing the browser")?;
        Ok(())
    }
}

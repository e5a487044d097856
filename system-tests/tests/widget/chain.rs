//! The fixture of the widget's end-to-end tests: the whole chain and a browser on the demo site.
//!
//! [`Chain::start`] starts the fake provider and testkit's chain (northwind-mcp, the edge, the
//! fake Pomerium with one MCP route to northwind), then Chromium; [`Chain::run`] runs a scenario and closes
//! the browser whatever the scenario's outcome. The page helpers reach into the widget's open
//! shadow root with small scripts and wait on conditions with deadlines, never on sleeps.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use serde_json::{Value, json};
use testkit::browser::Browser;
use testkit::pomerium::{FakePomerium, FakePomeriumConfig};
use testkit::process::{Artifacts, EdgeProcess, NorthwindProcess};
use testkit::provider::{FakeProvider, ModelOptions, Script};

/// The widget's shadow root, at the start of page scripts.
pub(crate) const ROOT: &str =
    "const host = document.querySelector('pomerium-chat'); const root = host && host.shadowRoot;";

/// Edge configuration under which every Northwind tool call waits for the user's approval.
pub(crate) const APPROVE_EVERY_CALL: (&str, &str) = (
    "MCP_POLICIES",
    r#"{"northwind":{"require_approval":"always"}}"#,
);

/// One browser at a time.
static BROWSER_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How a chain starts.
#[derive(Default)]
pub(crate) struct ChainConfig {
    /// The provider's script (the stand-in model by default).
    pub(crate) script: Script,
    /// Pomerium wants a session cookie.
    pub(crate) sign_in: bool,
    /// More edge configuration (e.g. a short idle limit).
    pub(crate) edge_env: Vec<(&'static str, &'static str)>,
    /// A page origin that embeds the widget cross-origin (the edge's `allowed_origins`).
    pub(crate) allowed_origin: Option<String>,
    /// `wasmtime serve` options for the edge (e.g. a tiny instance pool).
    pub(crate) edge_runtime: Vec<&'static str>,
    /// More MCP routes in the fake Pomerium, after Northwind's.
    pub(crate) mcp_routes: Vec<testkit::pomerium::McpRoute>,
}

impl ChainConfig {
    /// The stand-in model pausing `millis` between text deltas: slow enough to act mid-answer.
    pub(crate) fn slow_model(millis: u64) -> Self {
        Self {
            script: Script::Model(ModelOptions {
                delta_delay: Duration::from_millis(millis),
                ..ModelOptions::default()
            }),
            ..Self::default()
        }
    }
}

/// Everything one end-to-end test runs against.
pub(crate) struct Chain {
    pub(crate) browser: Browser,
    pub(crate) provider: FakeProvider,
    pub(crate) pomerium: FakePomerium,
    pub(crate) screenshots: PathBuf,
    _edge: EdgeProcess,
    _northwind: Option<NorthwindProcess>,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Chain {
    /// Starts every process and fake, then the browser.
    pub(crate) async fn start(cfg: ChainConfig) -> anyhow::Result<Chain> {
        let turn = BROWSER_TURN.lock().await;
        let provider = FakeProvider::start(cfg.script).await?;
        let mut env = vec![
            ("OPENAI_API_KEY", "sk-test-widget"),
            // OpenAI's shape: the provider runs the tools (the fake Pomerium is on loopback,
            // which `auto` would hand to the edge).
            ("TOOL_MODE", "hosted"),
        ];
        // A key given in `edge_env` replaces the default above.
        env.retain(|(k, _)| !cfg.edge_env.iter().any(|(key, _)| key == k));
        env.extend(cfg.edge_env.iter().copied());
        if let Some(origin) = &cfg.allowed_origin {
            env.push(("ALLOWED_ORIGINS", origin.as_str()));
        }
        let testkit::chain::Chain {
            edge,
            pomerium,
            northwind,
            ..
        } = testkit::chain::Chain::start(
            &provider.base_url(),
            testkit::chain::ChainConfig {
                edge_runtime: cfg.edge_runtime.iter().map(|f| (*f).to_owned()).collect(),
                pomerium: FakePomeriumConfig {
                    sign_in: cfg.sign_in,
                    mcp_routes: cfg.mcp_routes,
                    ..FakePomeriumConfig::default()
                },
                ..testkit::chain::ChainConfig::new("widget-e2e", &env)
            },
        )
        .await?;
        let artifacts = Artifacts::from_env()?;
        let browser = Browser::start().await?;
        let screenshots = artifacts
            .dist
            .parent()
            .map_or_else(|| PathBuf::from("target"), PathBuf::from)
            .join("screenshots");
        Ok(Chain {
            browser,
            provider,
            pomerium,
            screenshots,
            _edge: edge,
            _northwind: northwind,
            _turn: turn,
        })
    }

    /// Runs `scenario`, then closes the browser; the scenario's error wins.
    pub(crate) async fn run(
        self,
        scenario: impl AsyncFnOnce(&Chain) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let res = scenario(&self).await;
        let closed = self.browser.close().await;
        res?;
        closed
    }

    /// The URL of `path` through the fake Pomerium.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.pomerium.base_url())
    }

    /// Loads `path` and waits until the widget is ready and lists Northwind.
    pub(crate) async fn open(&self, path: &str) -> anyhow::Result<()> {
        self.open_url(&self.url(path)).await
    }

    /// Loads `url` (a page anywhere) and waits until the widget is ready and lists Northwind.
    pub(crate) async fn open_url(&self, url: &str) -> anyhow::Result<()> {
        self.browser.client.goto(url).await?;
        self.wait_ready().await
    }

    /// Waits until the widget is ready and lists Northwind.
    pub(crate) async fn wait_ready(&self) -> anyhow::Result<()> {
        self.wait(
            "the widget to list the Northwind server",
            "return !!root && host.dataset.ready === 'true' && !!root.querySelector('input[data-server-id=\"northwind\"]');",
            30,
        )
        .await?;
        Ok(())
    }

    /// Runs `body` (after [`ROOT`]) in the page with `args`.
    pub(crate) async fn eval(&self, body: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.browser.eval(&format!("{ROOT}\n{body}"), args).await
    }

    /// Waits up to `seconds` until `body` (after [`ROOT`]) returns something truthy.
    pub(crate) async fn wait(&self, what: &str, body: &str, seconds: u64) -> anyhow::Result<Value> {
        self.browser
            .wait_for(
                what,
                &format!("{ROOT}\n{body}"),
                Duration::from_secs(seconds),
            )
            .await
    }

    /// Ticks Northwind (when `northwind`), types `question` and presses Send.
    pub(crate) async fn ask(&self, question: &str, northwind: bool) -> anyhow::Result<()> {
        self.eval(
            "const box = root.querySelector('input[data-server-id=\"northwind\"]');
             if (box.checked !== arguments[1]) box.click();
             const input = root.querySelector('textarea[data-role=\"input\"]');
             input.value = arguments[0];
             input.dispatchEvent(new Event('input', { bubbles: true }));
             root.querySelector('button[data-role=\"send\"]').click();
             return true;",
            vec![json!(question), json!(northwind)],
        )
        .await?;
        Ok(())
    }

    /// Waits until the last answer shows some text while it still streams, and the provider
    /// has one stream open.
    pub(crate) async fn partial_answer(&self) -> anyhow::Result<()> {
        self.wait(
            "a partial answer",
            "const last = [...root.querySelectorAll('[data-author=\"assistant\"]')].pop();
             return !!last && !last.dataset.complete
                 && last.querySelector('[data-role=\"text\"]').textContent.length > 20;",
            60,
        )
        .await?;
        anyhow::ensure!(self.provider.open_streams() == 1, "the answer streams");
        Ok(())
    }

    /// Waits until the last answer ends (`data-complete` set) and returns how: `complete`,
    /// `text`, `error` (code) and `tools` (the status of each tool card).
    pub(crate) async fn answer(&self, seconds: u64) -> anyhow::Result<Value> {
        self.wait(
            "the answer to end",
            "const msgs = root.querySelectorAll('[data-role=\"message\"][data-author=\"assistant\"]');
             const last = msgs[msgs.length - 1];
             if (!last || !last.dataset.complete) return null;
             const error = last.querySelector('[data-role=\"error\"]');
             return { complete: last.dataset.complete,
                      text: last.querySelector('[data-role=\"text\"]')?.textContent ?? '',
                      error: error ? error.dataset.code : null,
                      tools: [...last.querySelectorAll('[data-role=\"tool-call\"]')].map(c => c.dataset.status) };",
            seconds,
        )
        .await
    }

    /// Waits until an approval card asks, with its Allow button.
    pub(crate) async fn approval_card(&self) -> anyhow::Result<()> {
        self.wait(
            "the approval card",
            "return !!root.querySelector('[data-role=\"approval\"][data-state=\"open\"] button[data-action=\"allow\"]');",
            60,
        )
        .await?;
        Ok(())
    }

    /// Waits until the launcher's panel is closed.
    pub(crate) async fn panel_closed(&self) -> anyhow::Result<()> {
        self.wait(
            "the panel to close",
            "return root.querySelector('[data-role=\"panel\"]').hidden;",
            10,
        )
        .await?;
        Ok(())
    }

    /// The last question as shown in the log.
    pub(crate) async fn last_question(&self) -> anyhow::Result<String> {
        let text = self
            .eval(
                "const users = root.querySelectorAll('[data-role=\"message\"][data-author=\"user\"]');
                 return users[users.length - 1]?.textContent ?? '';",
                vec![],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// The last answer's text as shown.
    pub(crate) async fn answer_text(&self) -> anyhow::Result<String> {
        let text = self
            .eval(
                "const msgs = root.querySelectorAll('[data-role=\"message\"][data-author=\"assistant\"]');
                 const last = msgs[msgs.length - 1];
                 return last ? (last.querySelector('[data-role=\"text\"]')?.textContent ?? '') : '';",
                vec![],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Clicks the first element matching `selector` in the widget.
    pub(crate) async fn click(&self, selector: &str) -> anyhow::Result<()> {
        let clicked = self
            .eval(
                "const el = root.querySelector(arguments[0]); if (!el) return false; el.click(); return true;",
                vec![json!(selector)],
            )
            .await?;
        anyhow::ensure!(clicked == json!(true), "nothing to click at {selector}");
        Ok(())
    }

    /// Presses each key of `keys` in turn on whatever has the focus, as a keyboard does
    /// (WebDriver key actions; special keys as in `fantoccini::key::Key`), holding `modifier`
    /// (e.g. Shift) throughout when given.
    pub(crate) async fn press(&self, modifier: Option<char>, keys: &str) -> anyhow::Result<()> {
        let mut actions = KeyActions::new("keyboard".to_owned());
        if let Some(value) = modifier {
            actions = actions.then(KeyAction::Down { value });
        }
        for value in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        if let Some(value) = modifier {
            actions = actions.then(KeyAction::Up { value });
        }
        self.browser.client.perform_actions(actions).await?;
        Ok(())
    }

    /// Saves a screenshot of the window as `target/screenshots/<name>.png` and returns its path.
    pub(crate) async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&self.screenshots)?;
        let path = self.screenshots.join(format!("{name}.png"));
        let png = self.browser.client.screenshot().await?;
        anyhow::ensure!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(&path, png)?;
        println!("screenshot: {}", path.display());
        Ok(path)
    }
}

/// Polls `check` until it holds or `seconds` pass.
pub(crate) async fn eventually(
    what: &str,
    seconds: u64,
    check: impl Fn() -> bool,
) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if check() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    anyhow::bail!("timed out after {seconds} s waiting for {what}")
}

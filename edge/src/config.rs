//! The edge's configuration, read at each request from one of two sources.
//!
//! The same keys (lower_snake, as Spin application variables want them) come from:
//! - Spin's variables interface when the crate is built with the `spin` feature (the artifact
//!   `spin.toml` runs: `target/dist/edge-spin.wasm`); values from `SPIN_VARIABLE_<KEY>` or
//!   `spin up --variable key=value`, secrets never in `spin.toml`;
//! - the process environment, as `<KEY>` in upper case, otherwise (the artifact
//!   `wasmtime serve` runs: `target/dist/edge.wasm`, with `--env KEY=value`).
//!
//! Secrets are held in types that never print.

mod bounds;
mod tools;

use serde::Deserialize;

use crate::servers::policy::Policies;
pub use bounds::Bounds;

pub use tools::{
    DEFAULT_MAX_TOOL_RESULT_BYTES, DEFAULT_MAX_TOOL_ROUNDS, DEFAULT_TOOL_TIMEOUT_MS, LocalServer,
    ProviderKind, ToolConfig, ToolMode,
};

/// Default provider base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Default model.
pub const DEFAULT_MODEL: &str = "gpt-4.1-mini";
/// Default model allow-list.
pub const DEFAULT_MODELS: &str = "gpt-4.1-mini,gpt-4.1,o4-mini";
/// Default system prompt, sent as `instructions` on every turn.
pub const DEFAULT_INSTRUCTIONS: &str = "You are Pomerium Chat, an assistant embedded in a company intranet. \
Use the connected tools to answer from company data; say which tool you used. \
Answer in concise markdown.";
/// Default keep-alive interval while the provider is silent.
pub const DEFAULT_KEEPALIVE_MS: u64 = 15_000;
/// Default limit on provider silence before the answer fails.
pub const DEFAULT_IDLE_TIMEOUT_MS: u64 = 300_000;

/// Every configuration key the edge reads (the Spin variable names; upper case in the
/// environment). `spin.toml` must declare each one.
pub const KEYS: &[&str] = &[
    "openai_api_key",
    "openai_base_url",
    "openai_model",
    "models",
    "chat_instructions",
    "pomerium_url",
    "allowed_origins",
    "mcp_policies",
    "static_root",
    "keepalive_ms",
    "idle_timeout_ms",
    "jwt_assertion",
    "jwt_audience",
    "jwt_issuer",
    "mcp_default_policy",
    "trust_forwarded_headers",
    "frame_ancestors",
    // Tool mode (see `ToolConfig`).
    "tool_mode",
    "provider",
    "max_tool_rounds",
    "tool_timeout_ms",
    "max_tool_result_bytes",
    "mcp_servers",
    // The answer's bounds (see `Bounds`).
    "max_tool_calls_per_round",
    "max_tool_calls",
    "max_tool_output_bytes",
    "max_tool_argument_bytes",
    "max_mcp_reply_bytes",
    "max_upstream_event_bytes",
    "answer_timeout_ms",
    // Sealing of continuations (see `crate::incoming::seal`): a Spin secret, at least 32 bytes.
    "seal_secret",
    // A line the chat shows under its greeting (see `Config::model_notice`).
    "model_notice",
    // The provider's own tools, per model (see `crate::servers::hosted_tools`).
    "hosted_tools",
    // Hosted answers in the provider's background mode, resumable (see `Config::background_answers`).
    "background_answers",
];

/// The longest `model_notice` shown; a longer one is a configuration problem and is not shown.
pub const MAX_MODEL_NOTICE_CHARS: usize = 200;

/// Everything the edge needs to know about its surroundings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The provider's key; `None` for local servers that need none.
    pub api_key: Option<ApiKey>,
    /// The provider's base URL, without a trailing slash (`.../v1`).
    pub base_url: String,
    /// True when an API key is set, or a base URL other than OpenAI's.
    pub provider_configured: bool,
    /// The model used when the request names none.
    pub model: String,
    /// The models a request may name (always includes [`Config::model`]).
    pub models: Vec<String>,
    /// The system prompt.
    pub instructions: String,
    /// A line the chat shows under its greeting before the first question (`GET /api/models`),
    /// e.g. that a scripted demo model answers; at most [`MAX_MODEL_NOTICE_CHARS`].
    pub model_notice: Option<String>,
    /// Pomerium's origin, where `/.pomerium/mcp/routes` is served.
    pub pomerium_url: Option<String>,
    /// Page origins allowed to call the API cross-origin (exact match).
    pub allowed_origins: Vec<String>,
    /// Per-server tool policy, by server URL (see [`crate::servers::policy`]).
    pub policies: Policies,
    /// Where the static files are mounted in the component's file system.
    pub static_root: String,
    /// Keep-alive interval while the provider is silent, in milliseconds.
    pub keepalive_ms: u64,
    /// Provider silence after which the answer fails, in milliseconds.
    pub idle_timeout_ms: u64,
    /// Refuse API requests without a valid `X-Pomerium-Jwt-Assertion`: `jwt_assertion =
    /// required`, the default whenever `pomerium_url` is set.
    pub jwt_required: bool,
    /// The audience the assertion must name: `jwt_audience`, else the host of `pomerium_url`.
    pub jwt_audience: Option<String>,
    /// The issuer (host) the assertion must name: `jwt_issuer`, else the audience.
    pub jwt_issuer: Option<String>,
    /// Believe `X-Forwarded-Host`/`-Proto` (`trust_forwarded_headers = true`: only behind a
    /// proxy that sets them itself); off by default.
    pub trust_forwarded: bool,
    /// The `frame-ancestors` sources of HTML answers (`frame_ancestors`, default `'none'`).
    pub frame_ancestors: String,
    /// Who runs the MCP tools, and the bounds of the edge's tool loop.
    pub tools: ToolConfig,
    /// The bounds of one answer (tool calls, bytes, time).
    pub bounds: Bounds,
    /// The key that seals continuations to their user (`seal_secret`); `None` when unset or
    /// shorter than [`crate::incoming::seal::MIN_SECRET_BYTES`], and then nothing is sealed or opened.
    pub seal_secret: Option<SealSecret>,
    /// The provider's own tools the edge enables, per model (`hosted_tools`).
    pub hosted_tools: crate::servers::hosted_tools::HostedTools,
    /// Hosted answers run in the Responses API's background mode (`background_answers = on`),
    /// so a dropped stream can be resumed (`crate::answer::resume`). The provider then stores
    /// each answer for about ten minutes, which zero-data-retention organisations cannot allow:
    /// off by default, and any value other than `on`/`off` is a problem and counts as off.
    pub background_answers: bool,
    /// Problems found while reading the configuration (bad JSON, bad numbers), safe to show.
    pub problems: Vec<String>,
}

/// What the provider may do with one server's tools.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerPolicy {
    /// When the user is asked before a call (default [`Approval::Annotations`]).
    #[serde(default, deserialize_with = "approval_mode")]
    pub require_approval: Approval,
    /// Only these tools may be used; all when absent.
    #[serde(default)]
    pub allowed_tools: Option<Vec<String>>,
}

/// When a server's tool calls wait for the user's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Approval {
    /// Before every call (`"always"` or `true`).
    Always,
    /// Never (`"never"` or `false`).
    Never,
    /// As the tool's MCP annotations suggest (`"annotations"`, the default): see
    /// [`crate::mcp::client::ToolHints::needs_approval`]. In hosted mode the provider lists the
    /// tools, so the edge cannot read them when it sends the request: there this means `never`.
    #[default]
    Annotations,
}

impl Approval {
    /// True when the user is asked before every call.
    pub fn always(self) -> bool {
        self == Self::Always
    }
}

/// Accepts `"always"` / `"never"` (the provider's words), `"annotations"`, or a boolean.
fn approval_mode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Approval, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Word(String),
    }
    match Flag::deserialize(d)? {
        Flag::Bool(true) => Ok(Approval::Always),
        Flag::Bool(false) => Ok(Approval::Never),
        Flag::Word(w) if w == "always" => Ok(Approval::Always),
        Flag::Word(w) if w == "never" => Ok(Approval::Never),
        Flag::Word(w) if w == "annotations" => Ok(Approval::Annotations),
        Flag::Word(w) => Err(serde::de::Error::custom(format!(
            "require_approval must be \"always\", \"never\" or \"annotations\", not {w:?}"
        ))),
    }
}

/// The provider's API key; its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl ApiKey {
    /// The `Authorization` header value.
    pub fn header_value(&self) -> String {
        format!("Bearer {}", self.0)
    }

    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

/// The sealing key; its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SealSecret(String);

impl std::fmt::Debug for SealSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealSecret(<redacted>)")
    }
}

impl SealSecret {
    /// The key's bytes, for [`crate::incoming::seal`].
    pub fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Config {
    /// 200 when the edge can answer a chat, else 503, for health checks that read only the
    /// status (compose, Kubernetes readiness): a provider is configured and every setting
    /// parsed.
    pub fn health_status(&self) -> u16 {
        if self.provider_configured && self.problems.is_empty() {
            200
        } else {
            503
        }
    }

    /// The body of `GET /api/health`: the status in words, the version, what is configured, and
    /// the problems (safe to show: they name settings, never their values).
    pub fn health(&self) -> serde_json::Value {
        serde_json::json!({
            "status": if self.health_status() == 200 { "ok" } else { "degraded" },
            "version": env!("CARGO_PKG_VERSION"),
            "provider_configured": self.provider_configured,
            "pomerium_configured": self.pomerium_url.is_some(),
            "tool_mode": self.tools.mode.as_str(),
            "provider_api": self.tools.provider.as_str(),
            "problems": self.problems,
        })
    }

    /// Reads the configuration from this build's source (see the module docs).
    pub fn load() -> Self {
        Self::from_lookup(source::lookup)
    }

    /// Builds the configuration from a lookup by key; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut problems = Vec::new();
        let api_key = get("openai_api_key").map(ApiKey);
        let base_url = get("openai_base_url");
        let model = get("openai_model").unwrap_or_else(|| DEFAULT_MODEL.to_owned());
        let mut models = list(&get("models").unwrap_or_else(|| DEFAULT_MODELS.to_owned()));
        if !models.contains(&model) {
            models.insert(0, model.clone());
        }
        let policies = Policies::read(
            get("mcp_policies").as_deref(),
            get("mcp_default_policy").as_deref(),
            &mut problems,
        );
        let mut number = |name: &str, default: u64| match get(name) {
            Some(text) => text.parse().unwrap_or_else(|_| {
                problems.push(format!("{name} is not a whole number of milliseconds"));
                default
            }),
            None => default,
        };
        let keepalive_ms = number("keepalive_ms", DEFAULT_KEEPALIVE_MS).max(10);
        let idle_timeout_ms = number("idle_timeout_ms", DEFAULT_IDLE_TIMEOUT_MS).max(10);
        let pomerium_url = get("pomerium_url").map(|u| u.trim_end_matches('/').to_owned());
        let jwt_required = match get("jwt_assertion").as_deref() {
            None => pomerium_url.is_some(),
            Some("off") => false,
            Some("required") => true,
            Some(other) => {
                problems.push(format!(
                    "jwt_assertion must be \"off\" or \"required\", not {other:?}; requiring it"
                ));
                true
            }
        };
        let jwt_audience = get("jwt_audience").or_else(|| {
            pomerium_url
                .as_deref()
                .and_then(crate::incoming::urls::host)
                .map(str::to_owned)
        });
        let jwt_issuer = get("jwt_issuer").or_else(|| jwt_audience.clone());
        let trust_forwarded = match get("trust_forwarded_headers").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                problems.push(format!(
                    "trust_forwarded_headers must be \"true\" or \"false\", not {other:?}; not trusting them"
                ));
                false
            }
        };
        let frame_ancestors = match get("frame_ancestors") {
            None => DEFAULT_FRAME_ANCESTORS.to_owned(),
            Some(sources) if valid_sources(&sources) => sources,
            Some(_) => {
                problems.push(format!(
                    "frame_ancestors must be CSP sources separated by spaces; using {DEFAULT_FRAME_ANCESTORS}"
                ));
                DEFAULT_FRAME_ANCESTORS.to_owned()
            }
        };
        let tools = ToolConfig::read(&get, &mut problems);
        let bounds = Bounds::read(&get, &mut problems);
        let seal_secret = match get("seal_secret") {
            Some(secret) if crate::incoming::seal::secret_is_usable(secret.as_bytes()) => {
                Some(SealSecret(secret))
            }
            Some(_) => {
                problems.push(format!(
                    "seal_secret is shorter than {} bytes; continuations are refused",
                    crate::incoming::seal::MIN_SECRET_BYTES
                ));
                None
            }
            None => {
                problems.push("seal_secret is not set; continuations are refused".to_owned());
                None
            }
        };
        let background_answers = match get("background_answers").as_deref() {
            None | Some("off") => false,
            Some("on") => true,
            Some(other) => {
                problems.push(format!(
                    "background_answers must be \"on\" or \"off\", not {other:?}; answers are not kept at the provider"
                ));
                false
            }
        };
        let model_notice = get("model_notice").filter(|notice| {
            let fits = notice.chars().count() <= MAX_MODEL_NOTICE_CHARS;
            if !fits {
                problems.push(format!(
                    "model_notice is longer than {MAX_MODEL_NOTICE_CHARS} characters; not shown"
                ));
            }
            fits
        });
        let hosted_tools = crate::servers::hosted_tools::HostedTools::read(
            get("hosted_tools").as_deref(),
            &mut problems,
        );
        Self {
            // OpenAI itself needs a key; any other base URL may be a keyless local server.
            provider_configured: api_key.is_some()
                || base_url
                    .as_deref()
                    .is_some_and(|u| u.trim_end_matches('/') != DEFAULT_BASE_URL),
            api_key,
            base_url: base_url
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned())
                .trim_end_matches('/')
                .to_owned(),
            model,
            models,
            instructions: get("chat_instructions")
                .unwrap_or_else(|| DEFAULT_INSTRUCTIONS.to_owned()),
            model_notice,
            pomerium_url,
            jwt_required,
            jwt_audience,
            jwt_issuer,
            trust_forwarded,
            frame_ancestors,
            allowed_origins: list(&get("allowed_origins").unwrap_or_default())
                .into_iter()
                .map(|o| o.trim_end_matches('/').to_owned())
                .collect(),
            policies,
            static_root: get("static_root").unwrap_or_else(|| "/".to_owned()),
            keepalive_ms,
            idle_timeout_ms,
            tools,
            bounds,
            seal_secret,
            hosted_tools,
            background_answers,
            problems,
        }
    }

    /// Local mode: no Pomerium; the servers come from `mcp_servers` (see [`ToolConfig`]), the
    /// edge serves loopback `Host`s only and needs no token.
    pub fn is_local(&self) -> bool {
        self.pomerium_url.is_none()
    }

    /// The hosted tools offered with each model (`GET /api/models`).
    pub fn hosted_tool_offers(&self) -> Vec<protocol::HostedToolOffer> {
        let responses = self.tools.provider == ProviderKind::Responses;
        self.hosted_tools.offers(&self.models, responses)
    }

    /// The tool policy of a server (see [`Policies::get`]).
    pub fn policy(&self, server: &protocol::ServerInfo) -> ServerPolicy {
        self.policies.get(server)
    }
}

/// Default `frame-ancestors`: no page may frame the chat's own pages.
pub const DEFAULT_FRAME_ANCESTORS: &str = "'none'";

/// CSP source expressions separated by spaces: no `;`, `,` or control characters that would
/// end the directive or the header.
fn valid_sources(text: &str) -> bool {
    text.split_ascii_whitespace().next().is_some()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b';' && b != b',' || b == b' ')
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Spin's variables interface (feature `spin`, wasm32 only).
#[cfg(all(feature = "spin", target_arch = "wasm32"))]
mod source {
    pub(super) fn lookup(key: &str) -> Option<String> {
        spin_sdk::variables::get(key).ok()
    }
}

/// The process environment, keys in upper case.
#[cfg(not(all(feature = "spin", target_arch = "wasm32")))]
mod source {
    pub(super) fn lookup(key: &str) -> Option<String> {
        std::env::var(key.to_ascii_uppercase()).ok()
    }
}

/// The configuration of exactly these settings, for tests.
#[cfg(test)]
pub(crate) fn of(vars: &[(&str, &str)]) -> Config {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEAL: &str = "a test seal secret of 32 bytes..";

    /// The configuration from `vars`, with a usable `seal_secret` unless `vars` sets one.
    fn config(vars: &[(&str, &str)]) -> Config {
        let mut vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !vars.iter().any(|(k, _)| k == "seal_secret") {
            vars.push(("seal_secret".to_owned(), SEAL.to_owned()));
        }
        Config::from_lookup(move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn a_model_notice_is_shown_only_when_short_enough() {
        let c = config(&[("model_notice", "  demo model  ")]);
        assert_eq!(c.model_notice.as_deref(), Some("demo model"));
        assert!(c.problems.is_empty());
        assert_eq!(config(&[]).model_notice, None);
        let long = "é".repeat(MAX_MODEL_NOTICE_CHARS + 1);
        let c = config(&[("model_notice", &long)]);
        assert_eq!(c.model_notice, None);
        assert!(c.problems[0].contains("model_notice"), "{:?}", c.problems);
        let fits = "é".repeat(MAX_MODEL_NOTICE_CHARS);
        assert_eq!(config(&[("model_notice", &fits)]).model_notice, Some(fits));
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let c = config(&[]);
        assert!(!c.provider_configured);
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert_eq!(c.model, DEFAULT_MODEL);
        assert_eq!(c.models, ["gpt-4.1-mini", "gpt-4.1", "o4-mini"]);
        assert_eq!(c.pomerium_url, None);
        assert_eq!(c.static_root, "/");
        assert_eq!(
            (c.keepalive_ms, c.idle_timeout_ms),
            (DEFAULT_KEEPALIVE_MS, DEFAULT_IDLE_TIMEOUT_MS)
        );
        assert!(c.problems.is_empty());
    }

    #[test]
    fn base_url_alone_configures_a_keyless_provider() {
        let c = config(&[
            ("openai_base_url", "http://127.0.0.1:11434/v1/"),
            ("openai_api_key", " "),
        ]);
        assert!(c.provider_configured);
        assert_eq!(c.api_key, None);
        assert_eq!(c.base_url, "http://127.0.0.1:11434/v1");
    }

    #[test]
    fn api_key_never_prints() {
        let c = config(&[("openai_api_key", "sk-test-123")]);
        assert!(c.provider_configured);
        assert!(!format!("{c:?}").contains("sk-test-123"));
    }

    #[test]
    fn lists_policies_and_the_default_model() {
        let c = config(&[
            ("openai_model", "llama3"),
            ("models", " a, b ,,"),
            (
                "allowed_origins",
                "https://intranet.example.com/, http://localhost:8080",
            ),
            (
                "mcp_policies",
                r#"{"northwind":{"require_approval":"always","allowed_tools":["read_query"]},"gh":{"require_approval":false}}"#,
            ),
        ]);
        assert_eq!(c.models, ["llama3", "a", "b"]);
        assert_eq!(
            c.allowed_origins,
            ["https://intranet.example.com", "http://localhost:8080"]
        );
        let server = |id: &str| protocol::ServerInfo {
            id: id.into(),
            name: id.into(),
            description: None,
            logo_url: None,
            url: format!("https://{id}.example/mcp"),
            connected: true,
            needs_oauth: false,
            connect_url: None,
        };
        assert_eq!(
            c.policy(&server("northwind")).require_approval,
            Approval::Always
        );
        assert_eq!(c.policy(&server("gh")).require_approval, Approval::Never);
        assert_eq!(
            c.policy(&server("other")).require_approval,
            Approval::Annotations
        );
        assert_eq!(
            c.policy(&server("northwind")).allowed_tools,
            Some(vec!["read_query".to_owned()])
        );
        assert_eq!(c.policy(&server("unknown")), ServerPolicy::default());
    }

    #[test]
    fn assertion_audience_defaults_to_pomeriums_host() {
        let c = config(&[
            ("jwt_assertion", "required"),
            ("pomerium_url", "https://chat.example.com"),
        ]);
        assert!(c.jwt_required);
        assert_eq!(c.jwt_audience.as_deref(), Some("chat.example.com"));
        assert_eq!(c.jwt_issuer.as_deref(), Some("chat.example.com"));
        let c = config(&[("jwt_assertion", "maybe")]);
        assert!(c.jwt_required, "an unknown value fails closed");
        assert_eq!(c.problems.len(), 1);
        let c = config(&[("pomerium_url", "https://chat.example.com")]);
        assert!(c.jwt_required, "required by default behind Pomerium");
        let c = config(&[
            ("pomerium_url", "https://chat.example.com"),
            ("jwt_assertion", "off"),
        ]);
        assert!(!c.jwt_required);
        assert!(!config(&[]).jwt_required, "local mode has no Pomerium");
    }

    #[test]
    fn headers_settings_fail_closed() {
        let c = config(&[]);
        assert_eq!(
            (c.trust_forwarded, c.frame_ancestors.as_str()),
            (false, "'none'")
        );
        let c = config(&[
            ("trust_forwarded_headers", "true"),
            ("frame_ancestors", "'self' https://intranet.example.com"),
        ]);
        assert_eq!(
            (c.trust_forwarded, c.frame_ancestors.as_str()),
            (true, "'self' https://intranet.example.com")
        );
        for bad in ["'self'; script-src *", "a\r\nx: y", "a,b"] {
            let c = config(&[("frame_ancestors", bad), ("trust_forwarded_headers", "yes")]);
            assert_eq!(
                (c.trust_forwarded, c.frame_ancestors.as_str()),
                (false, "'none'"),
                "{bad:?}"
            );
            assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
        }
    }

    #[test]
    fn bad_values_are_reported_not_fatal() {
        let c = config(&[
            ("mcp_policies", r#"{"x":{"require_approval":"sometimes"}}"#),
            ("keepalive_ms", "soon"),
        ]);
        assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
        assert_eq!(c.keepalive_ms, DEFAULT_KEEPALIVE_MS);
    }

    #[test]
    fn seal_secret_is_required_and_never_printed() {
        let c = config(&[]);
        assert_eq!(
            c.seal_secret.as_ref().map(SealSecret::bytes),
            Some(SEAL.as_bytes())
        );
        assert!(!format!("{c:?}").contains(SEAL));
        for (value, problem) in [("", "not set"), ("  ", "not set"), ("short", "shorter")] {
            let c = config(&[("seal_secret", value)]);
            assert_eq!(c.seal_secret, None, "{value:?}");
            assert!(
                c.problems
                    .iter()
                    .any(|p| p.contains("seal_secret") && p.contains(problem)),
                "{value:?}: {:?}",
                c.problems
            );
        }
    }

    #[test]
    fn health_is_ok_only_with_a_provider_and_no_problems() {
        let ok = config(&[("openai_api_key", "sk-x")]);
        assert_eq!(
            (ok.health_status(), &ok.health()["status"]),
            (200, &"ok".into())
        );
        let missing = config(&[]);
        assert_eq!(missing.health_status(), 503);
        assert_eq!(missing.health()["provider_configured"], false);
        let broken = config(&[("openai_api_key", "sk-x"), ("mcp_policies", "{not json")]);
        assert_eq!(
            (broken.health_status(), &broken.health()["status"]),
            (503, &"degraded".into())
        );
        let problems = broken.health()["problems"].to_string();
        assert!(
            problems.contains("mcp_policies") && !problems.contains("sk-x"),
            "{problems}"
        );
    }
}

//! The edge's configuration, read from the environment at each request.
//!
//! Under Spin the variables come from `spin.toml`'s `environment` (fed by `SPIN_VARIABLE_*` or
//! `--env`); under `wasmtime serve` from `--env`. The API key is held in a type that never prints.

/// Default provider base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Default model.
pub const DEFAULT_MODEL: &str = "gpt-4.1-mini";
/// Default system prompt, sent as `instructions` on every turn.
pub const DEFAULT_INSTRUCTIONS: &str = "You are Pomerium Chat, an assistant embedded in a company intranet. \
Use the connected tools to answer from company data; say which tool you used. \
Answer in concise markdown.";

/// Everything the edge needs to know about its surroundings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The provider's key; `None` for local servers that need none.
    pub api_key: Option<ApiKey>,
    /// The provider's base URL, without a trailing slash (`.../v1`).
    pub base_url: String,
    /// True when `OPENAI_API_KEY` or `OPENAI_BASE_URL` was set.
    pub provider_configured: bool,
    /// The model used when the request names none.
    pub model: String,
    /// The system prompt.
    pub instructions: String,
    /// Pomerium's base URL, where `/.pomerium/mcp/routes` is served.
    pub pomerium_url: Option<String>,
    /// Where the static files are mounted in the component's file system.
    pub static_root: String,
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

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from a variable lookup; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let api_key = get("OPENAI_API_KEY").map(ApiKey);
        let base_url = get("OPENAI_BASE_URL");
        Self {
            provider_configured: api_key.is_some() || base_url.is_some(),
            api_key,
            base_url: base_url
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned())
                .trim_end_matches('/')
                .to_owned(),
            model: get("OPENAI_MODEL").unwrap_or_else(|| DEFAULT_MODEL.to_owned()),
            instructions: get("CHAT_INSTRUCTIONS")
                .unwrap_or_else(|| DEFAULT_INSTRUCTIONS.to_owned()),
            pomerium_url: get("POMERIUM_URL").map(|u| u.trim_end_matches('/').to_owned()),
            static_root: get("STATIC_ROOT").unwrap_or_else(|| "/".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Config {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let c = config(&[]);
        assert!(!c.provider_configured);
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert_eq!(c.model, DEFAULT_MODEL);
        assert_eq!(c.pomerium_url, None);
        assert_eq!(c.static_root, "/");
    }

    #[test]
    fn base_url_alone_configures_a_keyless_provider() {
        let c = config(&[
            ("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1/"),
            ("OPENAI_API_KEY", " "),
        ]);
        assert!(c.provider_configured);
        assert_eq!(c.api_key, None);
        assert_eq!(c.base_url, "http://127.0.0.1:11434/v1");
    }

    #[test]
    fn api_key_never_prints() {
        let c = config(&[("OPENAI_API_KEY", "sk-test-123")]);
        assert!(c.provider_configured);
        assert!(!format!("{c:?}").contains("sk-test-123"));
    }
}

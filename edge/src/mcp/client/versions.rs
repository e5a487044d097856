//! Protocol currency: the MCP revisions the edge implements, how one is agreed with a server,
//! and what a session needs over its life (its renewal after expiry, its end).
//!
//! Two eras (`shared/protocols-next.md` §1):
//! - **handshake** (2025-06-18, 2025-11-25): `initialize` proposes [`super::PROTOCOL_VERSION`];
//!   the server echoes it or answers another revision, which the edge accepts only if it is in
//!   [`SUPPORTED_VERSIONS`] ([`Session::accept_initialize`]). The session may carry an
//!   `Mcp-Session-Id`; a `404` on a request that carried one means the session expired: the
//!   edge initializes again, once ([`Session::recover`]). `DELETE` ends it
//!   ([`Session::end_headers`]).
//! - **stateless** (2026-07-28): no `initialize` and no session; every request carries the
//!   revision and the client's capabilities in `params._meta` and the `Mcp-Method` (and
//!   `Mcp-Name`) headers ([`Session::stamp`], [`Session::headers_for`]). A server that does
//!   not speak the requested revision answers `-32022` with the ones it does
//!   ([`modern_versions_offered`]).
//!
//! Which era a server speaks is learnt with a probe: a `server/discover` sent with a
//! [`Session::modern`] ([`discover`]). A modern server answers it ([`era_of_discover`]) or refuses
//! the revision with `-32022` naming the ones it speaks; anything else (a legacy server's
//! "no session" 400, `-32601`, an empty body) means the `initialize` handshake
//! ([`era_of_refusal`]). Callers cache the outcome per server.
//!
//! A reply may be JSON or SSE in both eras; [`super::ReplyReader`] reads either.

use base64::Engine as _;
use serde_json::{Value, json};

use super::{McpError, Session, client_info};

/// Every revision the edge implements, newest first.
pub const SUPPORTED_VERSIONS: [&str; 3] = [MODERN_VERSION, "2025-11-25", "2025-06-18"];

/// The stateless revision: no `initialize`, every request self-describing.
pub const MODERN_VERSION: &str = "2026-07-28";

/// The JSON-RPC error a 2026-07-28 server answers to a revision it does not speak.
pub const UNSUPPORTED_VERSION_CODE: i64 = -32022;

/// What the edge tells servers it can do. Declare only what the edge really handles: a server
/// MUST NOT use a capability the client did not declare, and that is the edge's protection
/// against requests it cannot answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Form-mode elicitation (`elicitation.form`).
    pub elicitation_form: bool,
    /// URL-mode elicitation (`elicitation.url`, from 2025-11-25).
    pub elicitation_url: bool,
    /// MCP Apps views (`extensions["io.modelcontextprotocol/ui"]`).
    pub apps: bool,
}

impl Capabilities {
    /// The `capabilities` object of `initialize` (and of the 2026 `_meta`).
    pub fn to_json(self) -> Value {
        let mut caps = json!({});
        if self.elicitation_form || self.elicitation_url {
            let mut modes = json!({});
            if self.elicitation_form {
                modes["form"] = json!({});
            }
            if self.elicitation_url {
                modes["url"] = json!({});
            }
            caps["elicitation"] = modes;
        }
        if self.apps {
            caps["extensions"] = json!({"io.modelcontextprotocol/ui":
                {"mimeTypes": [super::apps::APP_MIME_TYPE]}});
        }
        caps
    }
}

/// What to do after a failed status on a request in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The session expired: send `initialize` again (the session was reset) and then the
    /// request, with a new id.
    Reinitialize,
    /// Give up with this error.
    Fail(McpError),
}

/// The `initialize` request, declaring `capabilities`.
pub fn initialize_with(id: u64, capabilities: &Capabilities) -> String {
    super::request(
        id,
        "initialize",
        json!({
            "protocolVersion": super::PROTOCOL_VERSION,
            "capabilities": capabilities.to_json(),
            "clientInfo": client_info(),
        }),
    )
}

/// How to talk to a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// Stateless requests at this revision ([`Session::modern`]).
    Modern(&'static str),
    /// The `initialize` handshake.
    Handshake,
}

/// The `server/discover` probe (send it stamped by a [`Session::modern`]).
pub fn discover(id: u64) -> String {
    super::request(id, "server/discover", json!({}))
}

/// The era of a server that answered the probe: modern when its `supportedVersions` hold one
/// the edge implements, else the handshake.
pub fn era_of_discover(result: &Value) -> Era {
    let offered: Vec<String> = result["supportedVersions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    match choose(&offered) {
        Some(version) if version == MODERN_VERSION => Era::Modern(version),
        _ => Era::Handshake,
    }
}

/// The era of a server that refused the probe with `body` (any status).
pub fn era_of_refusal(body: &[u8]) -> Era {
    match modern_versions_offered(body).as_deref().and_then(choose) {
        Some(version) if version == MODERN_VERSION => Era::Modern(version),
        _ => Era::Handshake,
    }
}

/// Whether the edge implements `version`.
pub fn is_supported(version: &str) -> bool {
    SUPPORTED_VERSIONS.contains(&version)
}

/// The revisions a 2026-07-28 server offers in a `-32022` error body (`data.supported`), or
/// `None` when `body` is not that error (a legacy server's answer, or another error).
pub fn modern_versions_offered(body: &[u8]) -> Option<Vec<String>> {
    let message: Value = serde_json::from_slice(body).ok()?;
    let error = message.get("error")?;
    if error["code"].as_i64() != Some(UNSUPPORTED_VERSION_CODE) {
        return None;
    }
    Some(
        error["data"]["supported"]
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

/// The newest revision in `offered` that the edge implements.
pub fn choose(offered: &[String]) -> Option<&'static str> {
    SUPPORTED_VERSIONS
        .into_iter()
        .find(|ours| offered.iter().any(|theirs| theirs == ours))
}

impl Session {
    /// A session for a server that answered 2026-07-28 requests: stateless, no `initialize`.
    pub fn modern(capabilities: Capabilities) -> Self {
        Self {
            protocol_version: Some(MODERN_VERSION.to_owned()),
            capabilities,
            ..Self::default()
        }
    }

    /// A session that will declare `capabilities` (use [`Session::initialize`] to start it).
    pub fn with_capabilities(capabilities: Capabilities) -> Self {
        Self {
            capabilities,
            ..Self::default()
        }
    }

    /// The `initialize` request of this session (its capabilities), with a new id.
    pub fn initialize(&mut self) -> (u64, String) {
        let id = self.next_id();
        (id, initialize_with(id, &self.capabilities))
    }

    /// Whether this session speaks the stateless revision.
    pub fn is_modern(&self) -> bool {
        self.protocol_version.as_deref() == Some(MODERN_VERSION)
    }

    /// Takes in the `initialize` answer, checking the revision: the server's choice must be one
    /// the edge implements (and one reached by `initialize`), else
    /// [`McpError::UnsupportedVersion`] and the session stays unusable.
    pub fn accept_initialize(
        &mut self,
        session_id: Option<String>,
        result: &Value,
    ) -> Result<(), McpError> {
        let version = result["protocolVersion"]
            .as_str()
            .ok_or_else(|| McpError::Protocol("initialize result has no protocolVersion".into()))?;
        if !is_supported(version) || version == MODERN_VERSION {
            return Err(McpError::UnsupportedVersion(
                version.chars().take(40).collect(),
            ));
        }
        self.initialized(session_id, result);
        Ok(())
    }

    /// Adds what the stateless revision needs to a JSON-RPC request built by this module's
    /// builders (`params._meta` with the revision, capabilities and client info); other
    /// revisions get `request` back unchanged. Notifications and responses pass unchanged.
    pub fn stamp(&self, request: String) -> String {
        if !self.is_modern() {
            return request;
        }
        let Ok(mut message) = serde_json::from_str::<Value>(&request) else {
            return request;
        };
        if message.get("method").is_none() || message.get("id").is_none() {
            return request;
        }
        if !message["params"].is_object() {
            message["params"] = json!({});
        }
        let params = &mut message["params"];
        if !params["_meta"].is_object() {
            params["_meta"] = json!({});
        }
        let meta = &mut params["_meta"];
        meta["io.modelcontextprotocol/protocolVersion"] = json!(MODERN_VERSION);
        meta["io.modelcontextprotocol/clientCapabilities"] = self.capabilities.to_json();
        meta["io.modelcontextprotocol/clientInfo"] = client_info();
        message.to_string()
    }

    /// The headers of the POST that carries `request`: [`Session::headers`], plus, in the
    /// stateless revision, `Mcp-Method` and (for `tools/call`, `resources/read`, `prompts/get`)
    /// `Mcp-Name`, encoded as `=?base64?…?=` when the value is not plain visible ASCII.
    pub fn headers_for(
        &self,
        request: &str,
        authorization: Option<&str>,
    ) -> Vec<(&'static str, String)> {
        let mut headers = self.headers(authorization);
        if !self.is_modern() {
            return headers;
        }
        let Ok(message) = serde_json::from_str::<Value>(request) else {
            return headers;
        };
        let Some(method) = message["method"].as_str() else {
            return headers;
        };
        headers.push(("mcp-method", header_value(method)));
        let name = match method {
            "tools/call" | "prompts/get" => message["params"]["name"].as_str(),
            "resources/read" => message["params"]["uri"].as_str(),
            _ => None,
        };
        if let Some(name) = name {
            headers.push(("mcp-name", header_value(name)));
        }
        headers
    }

    /// What to do after `status` on a request of this session whose body was `body`.
    ///
    /// On a request that carried a session id, the session expired when the answer is `404`
    /// (the specification's signal; the TypeScript SDK adds a `-32001` "Session not found"
    /// body), or `400` with a JSON-RPC error that names the session (what the official reference
    /// server answers for a session it no longer knows). Then the session is reset (no id, no
    /// revision) and the answer is [`Recovery::Reinitialize`], once per session: a second expiry
    /// fails. A `404` whose body is a `-32601` error (a 2026 server's "unknown method") is not
    /// an expiry.
    pub fn recover(&mut self, status: u16, body: &[u8]) -> Recovery {
        if self.expired(status, body) && self.renew() {
            return Recovery::Reinitialize;
        }
        Recovery::Fail(super::status_error(status))
    }

    /// Whether `status` and `body`, the answer to a request of this session, say that the
    /// server no longer knows the session (see [`Session::recover`]).
    pub fn expired(&self, status: u16, body: &[u8]) -> bool {
        if self.session_id.is_none() {
            return false;
        }
        let error = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|message| message.get("error").cloned());
        match (status, &error) {
            (404, Some(error)) => error["code"].as_i64() != Some(-32601),
            (404, None) => true,
            (400, Some(error)) => error["message"]
                .as_str()
                .is_some_and(|m| m.to_ascii_lowercase().contains("session")),
            _ => false,
        }
    }

    /// Forgets an expired session so that it can be initialized again; `false` when it was
    /// renewed once already (a second expiry fails).
    pub fn renew(&mut self) -> bool {
        if self.renewed {
            return false;
        }
        self.session_id = None;
        self.protocol_version = None;
        self.renewed = true;
        true
    }

    /// The headers of the `DELETE` that ends this session, or `None` when there is nothing to
    /// end (no session id: a stateless server). A `405` answer means the server does not let
    /// clients end sessions; it is not an error.
    pub fn end_headers(&self, authorization: Option<&str>) -> Option<Vec<(&'static str, String)>> {
        self.session_id.as_ref()?;
        let mut headers = self.headers(authorization);
        headers.retain(|(name, _)| *name != "content-type" && *name != "accept");
        Some(headers)
    }

    /// Whether cancelling a running call means closing its stream (2026-07-28) rather than
    /// posting [`super::messages::cancelled`].
    pub fn cancels_by_closing(&self) -> bool {
        self.is_modern()
    }
}

/// A header value as the 2026 transport wants it: plain when it is visible ASCII without
/// surrounding spaces, else `=?base64?<standard base64 of the UTF-8>?=`.
fn header_value(value: &str) -> String {
    let plain = !value.is_empty()
        && value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !value.starts_with(' ')
        && !value.ends_with(' ')
        && !value.starts_with("=?");
    if plain {
        value.to_owned()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(value)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn negotiation_accepts_only_implemented_handshake_revisions() {
        let init: Value = serde_json::from_str(&crate::mcp::client::initialize(1)).unwrap();
        assert_eq!(init["params"]["protocolVersion"], "2025-11-25");
        assert_eq!(init["params"]["capabilities"], json!({}));
        for version in ["2025-11-25", "2025-06-18"] {
            let mut session = Session::default();
            session
                .accept_initialize(Some("s".into()), &json!({"protocolVersion": version}))
                .unwrap();
            assert_eq!(session.protocol_version.as_deref(), Some(version));
        }
        for version in ["2024-11-05", "2025-03-26", "2099-01-01", MODERN_VERSION] {
            let mut session = Session::default();
            let err = session
                .accept_initialize(None, &json!({"protocolVersion": version}))
                .unwrap_err();
            assert_eq!(err, McpError::UnsupportedVersion(version.into()));
            assert!(err.to_string().contains(version), "{err}");
            assert_eq!(session.protocol_version, None);
        }
        assert!(
            Session::default()
                .accept_initialize(None, &json!({}))
                .is_err()
        );
    }

    #[test]
    fn capabilities_declare_only_what_is_asked() {
        assert_eq!(Capabilities::default().to_json(), json!({}));
        let all = Capabilities {
            elicitation_form: true,
            elicitation_url: true,
            apps: true,
        };
        let mut session = Session::with_capabilities(all);
        let (id, init) = session.initialize();
        let init: Value = serde_json::from_str(&init).unwrap();
        assert_eq!(init["id"], id);
        assert_eq!(
            init["params"]["capabilities"],
            json!({"elicitation":{"form":{},"url":{}},
                   "extensions":{"io.modelcontextprotocol/ui":{"mimeTypes":["text/html;profile=mcp-app"]}}})
        );
        let form_only = Capabilities {
            elicitation_form: true,
            ..Capabilities::default()
        };
        assert_eq!(form_only.to_json(), json!({"elicitation":{"form":{}}}));
    }

    #[test]
    fn modern_requests_describe_themselves() {
        let mut session = Session::modern(Capabilities {
            elicitation_form: true,
            ..Capabilities::default()
        });
        let id = session.next_id();
        let call = session.stamp(crate::mcp::client::call_tool(id, "add", r#"{"a":1}"#).unwrap());
        let message: Value = serde_json::from_str(&call).unwrap();
        let meta = &message["params"]["_meta"];
        assert_eq!(
            meta["io.modelcontextprotocol/protocolVersion"],
            MODERN_VERSION
        );
        assert_eq!(
            meta["io.modelcontextprotocol/clientCapabilities"],
            json!({"elicitation":{"form":{}}})
        );
        assert_eq!(
            meta["io.modelcontextprotocol/clientInfo"]["name"],
            "pomerium-chat-edge"
        );
        assert_eq!(message["params"]["arguments"], json!({"a":1}));
        let headers = session.headers_for(&call, None);
        assert_eq!(
            header(&headers, "mcp-protocol-version"),
            Some(MODERN_VERSION)
        );
        assert_eq!(header(&headers, "mcp-method"), Some("tools/call"));
        assert_eq!(header(&headers, "mcp-name"), Some("add"));
        assert_eq!(header(&headers, "mcp-session-id"), None);

        // Progress tokens survive the stamp; lists get no Mcp-Name.
        let progress = session
            .stamp(crate::mcp::client::call_tool_with_progress(2, "slow", "", "p-2").unwrap());
        let progress: Value = serde_json::from_str(&progress).unwrap();
        assert_eq!(progress["params"]["_meta"]["progressToken"], "p-2");
        let list = session.stamp(crate::mcp::client::list_tools(3, None));
        assert_eq!(header(&session.headers_for(&list, None), "mcp-name"), None);

        // Unsafe names are base64-encoded; notifications pass unchanged.
        let odd = session.stamp(crate::mcp::client::call_tool(4, "häus\n", "").unwrap());
        assert_eq!(
            header(&session.headers_for(&odd, None), "mcp-name"),
            Some("=?base64?aMOkdXMK?=")
        );
        let note = crate::mcp::client::initialized();
        assert_eq!(session.stamp(note.clone()), note);

        // A handshake session leaves requests alone.
        let legacy = Session::default();
        let plain = crate::mcp::client::list_tools(1, None);
        assert_eq!(legacy.stamp(plain.clone()), plain);
        assert_eq!(
            header(&legacy.headers_for(&plain, None), "mcp-method"),
            None
        );
    }

    #[test]
    fn unsupported_modern_version_lists_the_alternatives() {
        let body = br#"{"jsonrpc":"2.0","id":3,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2026-07-28","2027-01-01"],"requested":"2027-02-02"}}}"#;
        let offered = modern_versions_offered(body).unwrap();
        assert_eq!(offered, ["2026-07-28", "2027-01-01"]);
        assert_eq!(choose(&offered), Some(MODERN_VERSION));
        assert_eq!(choose(&["2027-01-01".to_owned()]), None);
        assert_eq!(
            choose(&["2025-06-18".to_owned(), "2025-11-25".to_owned()]),
            Some("2025-11-25")
        );
        assert_eq!(modern_versions_offered(b"Bad Request"), None);
        assert_eq!(
            modern_versions_offered(
                br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"x"}}"#
            ),
            None
        );
    }

    #[test]
    fn the_probe_tells_the_era() {
        let mut session = Session::modern(Capabilities::default());
        let probe: Value = serde_json::from_str(&session.stamp(discover(1))).unwrap();
        assert_eq!(probe["method"], "server/discover");
        assert_eq!(
            probe["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
            MODERN_VERSION
        );
        assert_eq!(session.next_id(), 1);
        assert_eq!(
            era_of_discover(&json!({"supportedVersions":["2026-07-28"],"resultType":"complete"})),
            Era::Modern(MODERN_VERSION)
        );
        assert_eq!(
            era_of_discover(&json!({"supportedVersions":["2027-01-01"]})),
            Era::Handshake
        );
        assert_eq!(era_of_discover(&json!({})), Era::Handshake);
        let refused = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"x","data":{"supported":["2026-07-28"],"requested":"2026-07-28"}}}"#;
        assert_eq!(era_of_refusal(refused), Era::Modern(MODERN_VERSION));
        for body in [
            &br#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#[..],
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#,
            b"",
        ] {
            assert_eq!(era_of_refusal(body), Era::Handshake);
        }
    }

    #[test]
    fn an_expired_session_is_initialized_again_once() {
        let mut session = Session::default();
        session
            .accept_initialize(Some("s1".into()), &json!({"protocolVersion":"2025-11-25"}))
            .unwrap();
        assert_eq!(session.recover(404, b"Not Found"), Recovery::Reinitialize);
        assert_eq!(session.session_id, None);
        assert_eq!(session.protocol_version, None);
        session
            .accept_initialize(Some("s2".into()), &json!({"protocolVersion":"2025-11-25"}))
            .unwrap();
        assert_eq!(
            session.recover(404, b""),
            Recovery::Fail(McpError::Status(404))
        );

        // Without a session id, or with an "unknown method" body, a 404 is not an expiry.
        let mut stateless = Session::default();
        stateless.initialized(None, &json!({"protocolVersion":"2025-11-25"}));
        assert_eq!(
            stateless.recover(404, b""),
            Recovery::Fail(McpError::Status(404))
        );
        let mut unknown = Session::default();
        unknown.initialized(Some("s".into()), &json!({"protocolVersion":"2025-11-25"}));
        let body =
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#;
        assert_eq!(
            unknown.recover(404, body),
            Recovery::Fail(McpError::Status(404))
        );
        assert_eq!(
            unknown.recover(401, b""),
            Recovery::Fail(McpError::Unauthorized)
        );
    }

    #[test]
    fn ending_a_session_needs_its_id() {
        let mut session = Session::default();
        assert_eq!(session.end_headers(Some("Bearer te")), None);
        session.initialized(Some("s9".into()), &json!({"protocolVersion":"2025-06-18"}));
        let headers = session.end_headers(Some("Bearer te")).unwrap();
        assert_eq!(header(&headers, "mcp-session-id"), Some("s9"));
        assert_eq!(header(&headers, "mcp-protocol-version"), Some("2025-06-18"));
        assert_eq!(header(&headers, "authorization"), Some("Bearer te"));
        assert_eq!(header(&headers, "content-type"), None);
        assert!(!session.cancels_by_closing());
        assert!(Session::modern(Capabilities::default()).cancels_by_closing());
    }
}

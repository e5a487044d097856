//! The requests that keep an instance's lists and session current.
//!
//! The server list (with the chat origin as `redirect_url` for Connect, when it is https), the
//! model list, Disconnect, and the sign-in watch: after the user opens the sign-in popup, the
//! instance asks `GET /api/servers` every [`SIGN_IN_POLL_MS`] until the answer is not 401, then
//! shows the list and sends again the question the 401 refused.

use protocol::{ApiError, DisconnectRequest, ErrorCode, ServerList};

use crate::api;
use crate::controller::tasks::{Interval, Slot, now, send, shown};
use crate::controller::{Controller, Msg};
use crate::dom;
use crate::state::{AnswerStatus, Servers};

/// How often a signed-out widget checks whether the user has signed in (in the popup).
const SIGN_IN_POLL_MS: i32 = 1500;
/// How long it keeps checking.
const SIGN_IN_WATCH_MS: f64 = 5.0 * 60.0 * 1000.0;

impl Controller {
    /// (Re)loads the server list.
    pub(crate) fn load_servers(&self) {
        self.state.borrow_mut().servers = Servers::Loading;
        let endpoint = self.endpoint();
        let redirect = redirect_url(&endpoint);
        let me = self.me.clone();
        self.spawn(Slot::Servers, move |id, signal| async move {
            let result = api::fetch_servers(&endpoint, redirect.as_deref(), &signal).await;
            send(&me, Msg::ServersLoaded(id, shown(result)));
        });
    }

    /// Loads the model list; an edge without one means no picker.
    pub(crate) fn load_models(&self) {
        let endpoint = self.endpoint();
        let me = self.me.clone();
        self.spawn(Slot::Models, move |id, signal| async move {
            let result = api::fetch_models(&endpoint, &signal).await;
            send(&me, Msg::ModelsLoaded(id, shown(result)));
        });
    }

    /// Disconnects `server` (its upstream sign-in); the answer is the new list.
    pub(crate) fn disconnect(&self, server: String) {
        let endpoint = self.endpoint();
        let me = self.me.clone();
        let request = DisconnectRequest {
            servers: vec![server],
        };
        self.spawn(Slot::Disconnect, move |id, signal| async move {
            let result = api::disconnect(&endpoint, &request, &signal).await;
            send(&me, Msg::Disconnected(id, shown(result)));
        });
    }

    /// The server list arrived (or failed); the host is ready either way.
    pub(crate) fn servers_arrived(&self, result: Result<ServerList, ApiError>) {
        self.state.borrow_mut().servers = match result {
            Ok(list) => Servers::Loaded(list.servers),
            Err(error) => {
                if error.code == ErrorCode::Unauthorized {
                    self.signed_out_now();
                }
                self.emit_error(&error, None);
                Servers::Failed(error)
            }
        };
        self.mark_ready();
    }

    /// Sets the host's `data-ready` once the server list and the signed-in user are both
    /// settled (loaded or failed): what can be restored is then shown.
    pub(crate) fn mark_ready(&self) {
        let settled = !matches!(self.state.borrow().servers, Servers::Loading)
            && self.tasks.borrow()[Slot::Me as usize].is_none();
        if settled {
            dom::set(&self.host, "data-ready", "true");
        }
    }

    /// After the sign-in link was opened: check every so often until the session exists.
    pub(crate) fn watch_sign_in(&self) {
        let me = self.me.clone();
        let interval = Interval::new(SIGN_IN_POLL_MS, move || send(&me, Msg::SignInCheck));
        *self.sign_in_watch.borrow_mut() = interval.map(|i| (i, now()));
    }

    /// Asks whether the session exists now (at most one check in flight).
    pub(crate) fn check_session(&self) {
        let expired = self
            .sign_in_watch
            .borrow()
            .as_ref()
            .is_some_and(|(_, since)| now() - since > SIGN_IN_WATCH_MS);
        if expired {
            self.sign_in_watch.borrow_mut().take();
        }
        if self.tasks.borrow()[Slot::Session as usize].is_some() {
            return;
        }
        let endpoint = self.endpoint();
        let redirect = redirect_url(&endpoint);
        let me = self.me.clone();
        self.spawn(Slot::Session, move |id, signal| async move {
            let result = api::fetch_servers(&endpoint, redirect.as_deref(), &signal).await;
            send(&me, Msg::SessionChecked(id, shown(result)));
        });
    }

    /// Any answer but 401 means the session exists: show the list, ask who signed in, and
    /// (when it is the same user) send the question the 401 refused again.
    pub(crate) fn session_checked(&self, result: Result<ServerList, ApiError>) {
        if matches!(&result, Err(e) if e.code == ErrorCode::Unauthorized) {
            return;
        }
        self.sign_in_watch.borrow_mut().take();
        self.servers_arrived(result);
        let refused = self.state.borrow().exchanges.last().is_some_and(|e| {
            matches!(&e.answer.status, AnswerStatus::Failed(error) if error.code == ErrorCode::Unauthorized)
        });
        self.retry_after_me.set(refused);
        self.load_me();
    }

    /// The last answer or the server list says "sign in".
    pub(crate) fn signed_out(&self) -> bool {
        let state = self.state.borrow();
        let unauthorized = |e: &ApiError| e.code == ErrorCode::Unauthorized;
        matches!(&state.servers, Servers::Failed(e) if unauthorized(e))
            || state.exchanges.last().is_some_and(
                |e| matches!(&e.answer.status, AnswerStatus::Failed(e) if unauthorized(e)),
            )
    }
}

/// Where a server's Connect sign-in comes back to: the chat origin's root (the endpoint's origin,
/// or this page's when the endpoint is empty), when it is https.
///
/// Pomerium 0.33 sends the user back only to an https URL on the MCP server's own host or on the
/// host of an MCP client route (`isValidRedirectURL` in `internal/mcp/handler_connect.go`), and
/// answers any other `redirect_url` with 400. The chat origin is the edge's `mcp: { client: {} }`
/// route; the embedding page's origin is not.
fn redirect_url(endpoint: &str) -> Option<String> {
    let base = match endpoint.trim() {
        "" => web_sys::window()?.location().origin().ok()?,
        endpoint => endpoint.to_owned(),
    };
    let rest = base.strip_prefix("https://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!authority.is_empty() && !authority.contains('@')).then(|| format!("https://{authority}/"))
}

//! Starting a [`Request`]: the fetch for each kind, and the message its answer becomes.
//!
//! The server list goes with the chat origin as `redirect_url` for Connect (when it is https);
//! `/api/me`'s sign-out URL is resolved against the edge here, and dropped unless it is an
//! `http(s)` URL or a path. Every answer comes back as a [`Msg`] carrying the request's id.

use crate::controller::tasks::{Task, run_chat, send, shown};
use crate::controller::{Controller, Msg};
use crate::update::Request;
use crate::{api, json};

impl Controller {
    /// Starts request `id` in its slot, aborting the one there.
    pub(crate) fn start(&self, id: u64, request: Request) {
        let slot = request.slot();
        // The previous task is dropped (aborted) before the new one starts.
        self.tasks.borrow_mut()[slot as usize] = None;
        let endpoint = self.endpoint();
        let me = self.me.clone();
        let task = match request {
            Request::Servers | Request::Session => {
                let session = matches!(request, Request::Session);
                Task::spawn(id, move |signal| async move {
                    let redirect = redirect_url(&endpoint);
                    let result = api::fetch_servers(&endpoint, redirect.as_deref(), &signal).await;
                    let result = shown(result);
                    let msg = if session {
                        Msg::SessionChecked(id, result)
                    } else {
                        Msg::ServersLoaded(id, result)
                    };
                    send(&me, msg);
                })
            }
            Request::Models => Task::spawn(id, move |signal| async move {
                let result = api::fetch_models(&endpoint, &signal).await;
                send(&me, Msg::ModelsLoaded(id, shown(result)));
            }),
            Request::Me => Task::spawn(id, move |signal| async move {
                let result = shown(api::fetch_me(&endpoint, &signal).await).map(|mut identity| {
                    identity.sign_out_url = identity
                        .sign_out_url
                        .as_deref()
                        .and_then(|url| sign_out_href(&endpoint, url));
                    identity
                });
                send(&me, Msg::MeLoaded(id, result));
            }),
            Request::Disconnect(server) => Task::spawn(id, move |signal| async move {
                let request = protocol::DisconnectRequest {
                    servers: vec![server],
                };
                let result = api::disconnect(&endpoint, &request, &signal).await;
                send(&me, Msg::Disconnected(id, shown(result)));
            }),
            Request::Prompts(servers) => Task::spawn(id, move |signal| async move {
                let result = api::fetch_prompts(&endpoint, &servers, &signal).await;
                send(&me, Msg::PromptsLoaded(id, shown(result)));
            }),
            Request::Prompt {
                server,
                name,
                values,
            } => Task::spawn(id, move |signal| async move {
                let body = json::encode_prompt_request(&server, &name, &values);
                let result = api::fetch_prompt(&endpoint, &body, &signal).await;
                send(&me, Msg::PromptFetched(id, shown(result)));
            }),
            Request::Chat(chat_request) => Task::spawn(id, move |signal| {
                run_chat(me, id, endpoint, chat_request, signal)
            }),
        };
        self.tasks.borrow_mut()[slot as usize] = Some(task);
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

/// The Sign out link's target: `url` when it is an `http(s)` URL, or a path on the edge at
/// `endpoint` (this page's origin when empty); nothing else (no `javascript:`).
fn sign_out_href(endpoint: &str, url: &str) -> Option<String> {
    if url.starts_with("https://") || url.starts_with("http://") {
        return Some(url.to_owned());
    }
    if !url.starts_with('/') || url.starts_with("//") {
        return None;
    }
    let res = match endpoint.trim_end_matches('/') {
        "" => web_sys::window()?.location().origin().ok()?,
        base => base.to_owned(),
    };
    Some(res + url)
}

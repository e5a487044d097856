//! Hosted mode's provider call when the answer may be resumed (wasi glue; the rules are
//! [`crate::answer::resume`]'s).
//!
//! [`run`] asks anew (`POST`) or replays a stored answer after the widget's mark (`GET
//! {base}/responses/{id}?stream=true&starting_after=N`), both through the one driver; when the
//! provider's stream breaks and the relay's marks allow it, it replays once from the last mark
//! itself before the answer ends as interrupted. [`cancel`] (`POST /api/chat/cancel`, the
//! user's Stop) stops the answer at the provider (`POST {base}/responses/{id}/cancel`).

use protocol::CancelRequest;
use spin_sdk::http::{IncomingRequest, IncomingResponse, Method, Request, send};

use super::driver::{self, Out};
use super::incoming;
use super::reply::Reply;
use crate::answer::deadline::Note;
use crate::answer::feed::Relay;
use crate::answer::resume::{self, Point};
use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::continuation::Sealer;
use crate::incoming::identity::Identity;
use crate::servers::pomerium::McpServer;

/// How the answer starts.
pub(super) enum Start {
    /// A new answer: this body to this URL.
    Ask {
        /// The Responses URL.
        url: String,
        /// The request body.
        body: String,
    },
    /// The widget's resume.
    Resume(Point),
}

/// Runs the answer into `relay` (see the module docs).
pub(super) async fn run(
    config: &Config,
    start: Start,
    servers: &[&McpServer],
    secrets: &[String],
    out: &mut Out,
    relay: &mut Relay,
) -> Result<(), Note> {
    let mut res = match start {
        Start::Ask { url, body } => {
            driver::drive(config, url, body, servers, secrets, out, relay).await
        }
        Start::Resume(point) => {
            let request = replay(config, &point.handle.response_id, point.after);
            driver::drive_request(request, servers, secrets, out, relay).await
        }
    };
    while let Some((id, after)) = relay.resume() {
        eprintln!("edge: the provider's stream broke; resuming it after event {after}");
        let request = replay(config, &id, after);
        res = driver::drive_request(request, servers, secrets, out, relay).await;
    }
    // A break the marks could not resume ends as interrupted (nothing when already ended).
    if out.write(relay.finish(true)).await.is_err() {
        return Err("the client went away".to_owned());
    }
    res
}

/// The `GET` that replays response `id` after event `after`.
fn replay(config: &Config, id: &str, after: u64) -> Request {
    let mut request = Request::builder();
    request
        .method(Method::Get)
        .uri(resume::resume_url(config, id, after))
        .header("accept", "text/event-stream");
    if let Some(key) = &config.api_key {
        request.header("authorization", key.header_value());
    }
    request.build()
}

/// `POST /api/chat/cancel`: the handle opened for this user, then the provider's cancel.
/// Answers `{"cancelled": true|false}` (false: the provider would not, e.g. already done).
pub(super) async fn cancel(
    config: &Config,
    identity: &Identity,
    req: IncomingRequest,
    reply: Reply,
) -> u16 {
    let res = async {
        let body = incoming::json_body(req, incoming::MAX_BODY_BYTES).await?;
        let cancel: CancelRequest =
            serde_json::from_slice(&body).map_err(|e| EdgeError::BadRequestBody(e.to_string()))?;
        let sealer = Sealer::new(config, identity, incoming::now())?;
        let handle = resume::to_cancel(config, &sealer.open_resume(&cancel.handle)?)?;
        let mut request = Request::builder();
        request
            .method(Method::Post)
            .uri(resume::cancel_url(config, &handle.response_id))
            .header("content-type", "application/json");
        if let Some(key) = &config.api_key {
            request.header("authorization", key.header_value());
        }
        let sent = send::<_, IncomingResponse>(request.body("{}").build()).await;
        Ok::<bool, EdgeError>(sent.is_ok_and(|r| (200..300).contains(&r.status())))
    }
    .await;
    match res {
        Ok(cancelled) => {
            reply
                .json(200, &serde_json::json!({ "cancelled": cancelled }))
                .await
        }
        Err(err) => reply.error(&err).await,
    }
}

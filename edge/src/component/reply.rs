//! Writing answers: status, headers (always with the CORS headers the origin check decided and
//! the security headers of [`crate::incoming::headers`]), and a body, or the start of an event stream.

use futures::SinkExt;
use spin_sdk::http::{Fields, OutgoingResponse, ResponseOutparam};

use crate::error::EdgeError;
use crate::incoming::gate::OriginCheck;
use crate::incoming::headers as security;

/// The response slot of one request, with the headers every answer carries.
pub(super) struct Reply {
    out: ResponseOutparam,
    cors: Vec<(&'static str, String)>,
    frame_ancestors: String,
}

/// An open event stream to the client.
pub(super) type EventSink =
    std::pin::Pin<Box<dyn futures::Sink<Vec<u8>, Error = wasi::io::streams::StreamError>>>;

impl Reply {
    pub(super) fn new(out: ResponseOutparam, check: &OriginCheck, frame_ancestors: &str) -> Self {
        Self {
            out,
            cors: security::cors_headers(check),
            frame_ancestors: frame_ancestors.to_owned(),
        }
    }

    /// A JSON answer.
    pub(super) async fn json(self, status: u16, body: &impl serde::Serialize) -> u16 {
        let body = serde_json::to_vec(body).unwrap_or_default();
        self.bytes(status, "application/json", body).await
    }

    /// The JSON error body of `err`, with its status.
    pub(super) async fn error(self, err: &EdgeError) -> u16 {
        self.bytes(err.status(), "application/json", err.body().into_bytes())
            .await
    }

    /// The answer to a CORS preflight from an allowed origin.
    pub(super) async fn preflight(self, check: &OriginCheck) -> u16 {
        let headers = headers(
            &security::preflight_headers(check),
            &security::headers("", &self.frame_ancestors),
        );
        let response = OutgoingResponse::new(headers);
        let _ = response.set_status_code(204);
        let _ = self.out.set_with_body(response, Vec::new()).await;
        204
    }

    /// Any body.
    pub(super) async fn bytes(self, status: u16, content_type: &str, body: Vec<u8>) -> u16 {
        self.body_with(status, content_type, None, body).await
    }

    /// A static file, with its entity tag.
    pub(super) async fn file(self, content_type: &str, etag: String, body: Vec<u8>) -> u16 {
        self.body_with(200, content_type, Some(etag), body).await
    }

    /// `304 Not Modified` for a static file the browser holds: its headers, no body.
    pub(super) async fn not_modified(self, content_type: &str, etag: String) -> u16 {
        self.body_with(304, content_type, Some(etag), Vec::new())
            .await
    }

    async fn body_with(
        self,
        status: u16,
        content_type: &str,
        etag: Option<String>,
        body: Vec<u8>,
    ) -> u16 {
        let mut more = vec![
            ("content-type", content_type.to_owned()),
            ("cache-control", "no-cache".to_owned()),
        ];
        more.extend(etag.map(|tag| ("etag", tag)));
        more.extend(security::headers(content_type, &self.frame_ancestors));
        let headers = headers(&self.cors, &more);
        let response = OutgoingResponse::new(headers);
        let _ = response.set_status_code(status);
        let _ = self.out.set_with_body(response, body).await;
        status
    }

    /// A body with exactly these headers (besides CORS): for answers whose security headers
    /// are not those of [`crate::incoming::headers::headers`].
    pub(super) async fn with_headers(
        self,
        status: u16,
        own: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> u16 {
        let response = OutgoingResponse::new(headers(&self.cors, own));
        let _ = response.set_status_code(status);
        let _ = self.out.set_with_body(response, body).await;
        status
    }

    /// Sends the headers of a `200 text/event-stream` answer and returns the body sink.
    pub(super) fn event_stream(self) -> EventSink {
        let content_type = "text/event-stream";
        let mut more = vec![
            ("content-type", content_type.to_owned()),
            ("cache-control", "no-cache".to_owned()),
            ("x-accel-buffering", "no".to_owned()),
        ];
        more.extend(security::headers(content_type, &self.frame_ancestors));
        let headers = headers(&self.cors, &more);
        let response = OutgoingResponse::new(headers);
        let _ = response.set_status_code(200);
        let sink = response.take_body();
        self.out.set(response);
        Box::pin(sink)
    }
}

/// Sends `bytes` on the stream; false when the client has gone away.
pub(super) async fn send(sink: &mut EventSink, bytes: String) -> bool {
    sink.send(bytes.into_bytes()).await.is_ok()
}

fn headers(cors: &[(&'static str, String)], more: &[(&'static str, String)]) -> Fields {
    let list: Vec<(String, Vec<u8>)> = cors
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
        .chain(
            more.iter()
                .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec())),
        )
        .collect();
    Fields::from_list(&list).unwrap_or_else(|_| Fields::new())
}

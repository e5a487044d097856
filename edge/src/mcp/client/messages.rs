//! What a server sends on a request's stream besides the response: `notifications/progress`,
//! other notifications, and requests to the client (`elicitation/create`), plus the messages
//! the edge sends back (a response to such a request, `notifications/cancelled`).
//!
//! [`super::ReplyReader`] collects them as [`ServerMessage`]s while it waits for the response;
//! the caller takes them with [`super::ReplyReader::take_messages`]. Their number is bounded
//! ([`MAX_PENDING_MESSAGES`]): past it, the oldest notification gives way to the newcomer
//! (requests are kept), so a chatty server cannot grow the edge's memory and the latest
//! progress still arrives.

use serde_json::{Value, json};

/// How many messages a reader keeps between two `take_messages` calls.
pub const MAX_PENDING_MESSAGES: usize = 64;

/// A message the server interleaved with the response to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// `notifications/progress`.
    Progress(Progress),
    /// A request to the client (e.g. `elicitation/create`); answer it with [`respond`] or
    /// [`respond_error`] using its `id`.
    Request {
        /// The JSON-RPC id, echoed in the answer.
        id: Value,
        /// The method, e.g. `elicitation/create`.
        method: String,
        /// Its params (`{}` when absent).
        params: Value,
    },
    /// Any other notification (e.g. `notifications/message`).
    Notification {
        /// The method.
        method: String,
        /// Its params (`{}` when absent).
        params: Value,
    },
}

/// One `notifications/progress`.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The token of the request it reports on (string or integer, as sent).
    pub token: Value,
    /// How far (increases with each notification).
    pub progress: f64,
    /// Out of how much, when known.
    pub total: Option<f64>,
    /// What is happening, when the server says (at most 200 characters kept).
    pub message: Option<String>,
}

impl Progress {
    /// The fraction done in `0..=1`, when a positive total is known (a bar); `None` otherwise
    /// (show the message).
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total.filter(|t| *t > 0.0 && t.is_finite())?;
        Some((self.progress / total).clamp(0.0, 1.0))
    }

    /// Whether this notification reports on the request that carried `token`.
    pub fn is_for(&self, token: &str) -> bool {
        self.token.as_str() == Some(token)
    }
}

/// Reads a JSON-RPC message that is not a response: `None` for responses and non-messages.
pub(super) fn classify(message: Value) -> Option<ServerMessage> {
    let Value::Object(mut fields) = message else {
        return None;
    };
    let method = fields.get("method")?.as_str()?.to_owned();
    let params = fields.remove("params").unwrap_or_else(|| json!({}));
    if let Some(id) = fields.remove("id") {
        return Some(ServerMessage::Request { id, method, params });
    }
    if method == "notifications/progress" {
        let progress = params["progress"].as_f64()?;
        let token = params.get("progressToken")?.clone();
        if !(token.is_string() || token.is_i64() || token.is_u64()) {
            return None;
        }
        return Some(ServerMessage::Progress(Progress {
            token,
            progress,
            total: params["total"].as_f64(),
            message: params["message"]
                .as_str()
                .map(|m| m.chars().take(200).collect()),
        }));
    }
    Some(ServerMessage::Notification { method, params })
}

/// Adds `message` to `pending`, within [`MAX_PENDING_MESSAGES`]: when full, the oldest
/// notification (progress or other) makes room; when all are requests, the newcomer is dropped.
pub(super) fn keep(pending: &mut Vec<ServerMessage>, message: ServerMessage) {
    if pending.len() >= MAX_PENDING_MESSAGES {
        let Some(at) = pending
            .iter()
            .position(|m| !matches!(m, ServerMessage::Request { .. }))
        else {
            return;
        };
        pending.remove(at);
    }
    pending.push(message);
}

/// The JSON-RPC response to a server's request `id`.
pub fn respond(id: &Value, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

/// A JSON-RPC error answer to a server's request `id` (e.g. `-32601` for a method the edge
/// does not handle).
pub fn respond_error(id: &Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

/// `notifications/cancelled` for the edge's request `request_id` (handshake revisions: post it
/// as its own message in the session; in 2026-07-28 close the stream instead, see
/// [`super::Session::cancels_by_closing`]).
pub fn cancelled(request_id: u64, reason: Option<&str>) -> String {
    let mut params = json!({ "requestId": request_id });
    if let Some(reason) = reason {
        params["reason"] = json!(reason);
    }
    json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": params}).to_string()
}

#[cfg(test)]
mod tests {
    use super::super::ReplyReader;
    use super::*;

    fn sse(messages: &[Value]) -> String {
        messages
            .iter()
            .map(|m| format!("event: message\ndata: {m}\n\n"))
            .collect()
    }

    #[test]
    fn progress_and_requests_arrive_before_the_response() {
        let stream = sse(&[
            json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p1","progress":1,"total":4}}),
            json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p1","progress":2.5,"message":"half way"}}),
            json!({"jsonrpc":"2.0","id":"srv-1","method":"elicitation/create","params":{"message":"Year?"}}),
            json!({"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}),
            json!({"jsonrpc":"2.0","id":9,"result":{"content":[]}}),
        ]);
        let mut reader = ReplyReader::new(9, "text/event-stream", 1 << 20);
        let (first, rest) = stream.as_bytes().split_at(stream.find("\n\n").unwrap() + 2);
        assert!(reader.push(first).is_none());
        let got = reader.take_messages();
        assert_eq!(got.len(), 1);
        let ServerMessage::Progress(p) = &got[0] else {
            panic!("{got:?}")
        };
        assert!(p.is_for("p1") && !p.is_for("p2"));
        assert_eq!(p.fraction(), Some(0.25));
        assert_eq!(reader.push(rest).unwrap().unwrap(), json!({"content":[]}));
        let got = reader.take_messages();
        assert_eq!(got.len(), 3, "{got:?}");
        let ServerMessage::Progress(p) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(
            (p.fraction(), p.message.as_deref()),
            (None, Some("half way"))
        );
        assert_eq!(
            got[1],
            ServerMessage::Request {
                id: json!("srv-1"),
                method: "elicitation/create".into(),
                params: json!({"message":"Year?"})
            }
        );
        assert!(
            matches!(&got[2], ServerMessage::Notification { method, .. } if method == "notifications/message")
        );
        assert!(reader.take_messages().is_empty());
    }

    #[test]
    fn pending_messages_are_bounded() {
        let mut reader = ReplyReader::new(1, "text/event-stream", 1 << 22);
        let mut stream = String::new();
        for i in 0..200 {
            stream +=
                &sse(&[json!({"jsonrpc":"2.0","method":"notifications/message","params":{"n":i}})]);
        }
        for i in 0..200 {
            stream += &sse(&[
                json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7,"progress":i,"total":200}}),
            ]);
        }
        assert!(reader.push(stream.as_bytes()).is_none());
        let got = reader.take_messages();
        assert_eq!(got.len(), MAX_PENDING_MESSAGES);
        // The newest progress is kept even though the queue filled up with other messages.
        assert!(
            matches!(got.last(), Some(ServerMessage::Progress(p)) if p.progress == 199.0 && p.token == json!(7))
        );
    }

    #[test]
    fn malformed_progress_is_not_progress() {
        for params in [
            json!({"progressToken":"p","progress":"1"}),
            json!({"progress":1}),
            json!({"progressToken":{"a":1},"progress":1}),
        ] {
            let message =
                json!({"jsonrpc":"2.0","method":"notifications/progress","params":params});
            assert_eq!(classify(message), None);
        }
        assert_eq!(classify(json!({"jsonrpc":"2.0","id":1,"result":{}})), None);
    }

    #[test]
    fn answers_and_cancellation_are_json_rpc() {
        let ok: Value =
            serde_json::from_str(&respond(&json!("srv-1"), json!({"action":"decline"}))).unwrap();
        assert_eq!(
            ok,
            json!({"jsonrpc":"2.0","id":"srv-1","result":{"action":"decline"}})
        );
        let err: Value = serde_json::from_str(&respond_error(&json!(3), -32601, "no")).unwrap();
        assert_eq!(err["error"]["code"], -32601);
        let cancel: Value =
            serde_json::from_str(&cancelled(12, Some("stopped by the user"))).unwrap();
        assert_eq!(
            cancel,
            json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":12,"reason":"stopped by the user"}})
        );
        let bare: Value = serde_json::from_str(&cancelled(1, None)).unwrap();
        assert_eq!(bare["params"], json!({"requestId":1}));
    }
}

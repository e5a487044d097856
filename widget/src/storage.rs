//! The conversation, the unsent draft and the preferences, kept in `localStorage` for the
//! signed-in user only.
//!
//! Keys are per endpoint and per user (`pomerium-chat:<endpoint>:<subject>:threads`, the list
//! of conversations and the current one; `:chat:<thread id>`, one conversation each;
//! `:draft`, `:prefs`), so two widgets talking to two edges keep two sets of conversations,
//! and one user's keys are never read for another. The single `:chat` of before threads
//! becomes the first thread when it is first read ([`Store::threads`]). One user at a time owns an endpoint's storage
//! (`pomerium-chat:<endpoint>:owner`): [`Store::claim`] for a different user first removes every
//! key of the endpoint, so after a switch from user A to user B nothing of A's is left to read.
//! [`Store::forget`] removes them all (sign-out, 401). Until the edge has said who is signed
//! in (`GET /api/me`), the store is [`Store::closed`]: it reads nothing and writes nothing.
//!
//! The conversation is capped at [`MAX_CHARS`]: the oldest exchanges are dropped first
//! ([`keep_from`]). An answer that was still streaming when the page went away comes back as
//! interrupted (retryable), with its partial text. A page where storage is disabled or full
//! simply keeps nothing: saving never fails loudly. Only what the user saw is stored:
//! questions, answers, tool activity, sealed ids, never a token.

use protocol::{ApiError, ErrorCode, ToolStatus};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Storage;

use crate::json::{self, array, flag, get, object, set, string, strings};
use crate::state::attach::{Attached, MAX_STORED_DATA};
use crate::state::threads::title_of;
use crate::state::{
    Answer, AnswerStatus, Approval, CallStatus, Exchange, Thread, Threads, ToolCall, ToolList,
};

/// Most UTF-16 units the stored conversation may take (about 400 KB of the usual 5 MB).
pub(crate) const MAX_CHARS: usize = 200_000;

/// The storage of one user at one endpoint, or none.
pub(crate) struct Store {
    /// `pomerium-chat:<endpoint>:<subject>:`; `None` while nobody is known to be signed in.
    prefix: Option<String>,
}

/// The preferences kept across conversations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Prefs {
    /// The ticked servers.
    pub(crate) selected: Vec<String>,
    /// The chosen model.
    pub(crate) model: Option<String>,
    /// Tools always allowed, as `(server, tool)`.
    pub(crate) always_allowed: Vec<(String, String)>,
}

impl Store {
    /// A store that keeps nothing (nobody is known to be signed in).
    pub(crate) fn closed() -> Self {
        Self { prefix: None }
    }

    /// The store of `subject` at the edge at `endpoint` (a base URL; empty for this page's
    /// origin). When another user owned the endpoint's storage, all of it is removed first.
    pub(crate) fn claim(endpoint: &str, subject: &str) -> Self {
        let base = endpoint_prefix(endpoint);
        let mut owner_key = base.clone();
        owner_key.push_str("owner");
        let Some(storage) = storage() else {
            return Self::closed();
        };
        let owner = storage.get_item(&owner_key).ok().flatten();
        if owner.as_deref() != Some(subject) {
            remove_with_prefix(&storage, &base);
            if storage.set_item(&owner_key, subject).is_err() {
                // Without an owner record a later claim could not tell whose keys these are.
                return Self::closed();
            }
        }
        let mut prefix = base;
        // Encoded: a subject holds no `:` that could make one user's key look like another's.
        prefix.push_str(&String::from(js_sys::encode_uri_component(subject)));
        prefix.push(':');
        Self {
            prefix: Some(prefix),
        }
    }

    /// Removes everything stored for the edge at `endpoint`, whoever it belonged to.
    pub(crate) fn forget(endpoint: &str) {
        if let Some(storage) = storage() {
            remove_with_prefix(&storage, &endpoint_prefix(endpoint));
        }
    }

    /// The list of conversations and the current one. A conversation stored before threads
    /// (`:chat`) becomes thread `t1` here.
    pub(crate) fn threads(&self) -> Threads {
        if let Some(v) = self.read("threads").and_then(|text| json::parse(&text)) {
            let list = array(&v, "threads")
                .iter()
                .filter_map(|t| {
                    Some(Thread {
                        id: string(t, "id")?,
                        title: string(t, "title")?,
                    })
                })
                .collect();
            let current = string(&v, "current").unwrap_or_default();
            return Threads { list, current };
        }
        let Some(legacy) = self.read("chat") else {
            return Threads::default();
        };
        let mut threads = Threads::default();
        if let Some(first) = decode_chat(&legacy).first() {
            threads.current = "t1".to_owned();
            threads.list.push(Thread {
                id: threads.current.clone(),
                title: title_of(&first.question),
            });
            self.write("chat:t1", Some(&legacy));
        }
        self.save_threads(&threads);
        self.write("chat", None);
        threads
    }

    /// Saves the list of conversations and the current one.
    pub(crate) fn save_threads(&self, threads: &Threads) {
        let v = object();
        set(&v, "v", 1);
        set(&v, "current", threads.current.as_str());
        let list: js_sys::Array = threads
            .list
            .iter()
            .map(|t| {
                let o = object();
                set(&o, "id", t.id.as_str());
                set(&o, "title", t.title.as_str());
                o
            })
            .collect();
        set(&v, "threads", list);
        self.write("threads", Some(&json::stringify(&v)));
    }

    /// Removes conversation `thread`.
    pub(crate) fn drop_thread(&self, thread: &str) {
        self.write(&chat_key(thread), None);
    }

    /// Conversation `thread` (oldest first).
    pub(crate) fn exchanges(&self, thread: &str) -> Vec<Exchange> {
        if thread.is_empty() {
            return Vec::new();
        }
        self.read(&chat_key(thread))
            .map(|text| decode_chat(&text))
            .unwrap_or_default()
    }

    /// Saves conversation `thread`, dropping the oldest exchanges beyond [`MAX_CHARS`] (an
    /// empty one is removed; nothing for a thread without an id: no question was asked in it).
    pub(crate) fn save_exchanges(&self, thread: &str, exchanges: &[Exchange]) {
        if thread.is_empty() {
            return;
        }
        if exchanges.is_empty() {
            return self.drop_thread(thread);
        }
        let encoded: Vec<String> = exchanges
            .iter()
            .map(|e| json::stringify(&encode_exchange(e)))
            .collect();
        let sizes: Vec<usize> = encoded
            .iter()
            .map(|e| e.encode_utf16().count() + 1)
            .collect();
        let mut text = "{\"v\":1,\"exchanges\":[".to_owned();
        for (i, exchange) in encoded[keep_from(&sizes, MAX_CHARS)..].iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(exchange);
        }
        text.push_str("]}");
        self.write(&chat_key(thread), Some(&text));
    }

    /// The unsent draft.
    pub(crate) fn draft(&self) -> String {
        self.read("draft").unwrap_or_default()
    }

    /// Saves the unsent draft (an empty one is removed).
    pub(crate) fn save_draft(&self, draft: &str) {
        self.write("draft", Some(draft).filter(|d| !d.is_empty()));
    }

    /// The saved preferences.
    pub(crate) fn prefs(&self) -> Prefs {
        let Some(v) = self.read("prefs").and_then(|text| json::parse(&text)) else {
            return Prefs::default();
        };
        Prefs {
            selected: strings(&v, "selected"),
            model: string(&v, "model"),
            always_allowed: array(&v, "always")
                .iter()
                .filter_map(|pair| {
                    let pair: js_sys::Array = pair.clone().dyn_into().ok()?;
                    Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
                })
                .collect(),
        }
    }

    /// Saves the preferences.
    pub(crate) fn save_prefs(&self, prefs: &Prefs) {
        let v = object();
        set(&v, "selected", json::string_array(&prefs.selected));
        if let Some(model) = &prefs.model {
            set(&v, "model", model.as_str());
        }
        let always: js_sys::Array = prefs
            .always_allowed
            .iter()
            .map(|(server, tool)| {
                JsValue::from(js_sys::Array::of2(
                    &JsValue::from_str(server),
                    &JsValue::from_str(tool),
                ))
            })
            .collect();
        set(&v, "always", always);
        self.write("prefs", Some(&json::stringify(&v)));
    }

    fn read(&self, name: &str) -> Option<String> {
        let mut key = self.prefix.clone()?;
        key.push_str(name);
        storage()?.get_item(&key).ok().flatten()
    }

    fn write(&self, name: &str, value: Option<&str>) {
        let (Some(mut key), Some(storage)) = (self.prefix.clone(), storage()) else {
            return;
        };
        key.push_str(name);
        // A full or disabled storage keeps nothing; the chat goes on.
        let _ = match value {
            Some(value) => storage.set_item(&key, value),
            None => storage.remove_item(&key),
        };
    }
}

/// `chat:<thread>`.
fn chat_key(thread: &str) -> String {
    let mut key = "chat:".to_owned();
    key.push_str(thread);
    key
}

/// A stored conversation's exchanges.
fn decode_chat(text: &str) -> Vec<Exchange> {
    let Some(v) = json::parse(text) else {
        return Vec::new();
    };
    array(&v, "exchanges")
        .iter()
        .filter_map(decode_exchange)
        .collect()
}

fn storage() -> Option<Storage> {
    // `localStorage` throws where storage is disabled (some sandboxed frames).
    web_sys::window()?.local_storage().ok().flatten()
}

/// `pomerium-chat:<endpoint>:`, the start of every key of the edge at `endpoint` (and of an
/// edge on another port of the same host: forgetting those too errs on the safe side).
fn endpoint_prefix(endpoint: &str) -> String {
    let base = match endpoint.trim_end_matches('/') {
        "" => web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default(),
        base => base.to_owned(),
    };
    let mut prefix = "pomerium-chat:".to_owned();
    prefix.push_str(&base);
    prefix.push(':');
    prefix
}

/// Removes every key that starts with `prefix`.
fn remove_with_prefix(storage: &Storage, prefix: &str) {
    let n_keys = storage.length().unwrap_or(0);
    let doomed: Vec<String> = (0..n_keys)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| key.starts_with(prefix))
        .collect();
    for key in doomed {
        let _ = storage.remove_item(&key);
    }
}

/// The index of the first exchange to keep so that the kept ones (sizes in `sizes`, oldest
/// first) fit in `cap`; the newest one is kept only when it fits alone.
pub(crate) fn keep_from(sizes: &[usize], cap: usize) -> usize {
    let mut total = 0;
    for (i, size) in sizes.iter().enumerate().rev() {
        total += size;
        if total > cap {
            return i + 1;
        }
    }
    0
}

fn encode_exchange(exchange: &Exchange) -> JsValue {
    let v = object();
    set(&v, "q", exchange.question.as_str());
    set(&v, "servers", json::string_array(&exchange.servers));
    if let Some(model) = &exchange.model {
        set(&v, "model", model.as_str());
    }
    if !exchange.attachments.is_empty() {
        set(&v, "files", encode_files(&exchange.attachments));
    }
    if !exchange.hosted.is_empty() {
        set(&v, "hosted", json::string_array(&exchange.hosted));
    }
    set(&v, "a", encode_answer(&exchange.answer));
    v
}

/// A question's files: name, size, type, and the bytes only when small (see
/// [`crate::state::attach::MAX_STORED_DATA`]).
fn encode_files(files: &[Attached]) -> js_sys::Array {
    files
        .iter()
        .map(|a| {
            let f = object();
            set(&f, "n", a.name.as_str());
            set(&f, "s", a.size);
            set(&f, "t", a.mime.as_str());
            if a.data.len() <= MAX_STORED_DATA {
                set(&f, "d", a.data.as_str());
            }
            f
        })
        .collect()
}

fn decode_files(v: &JsValue) -> Vec<Attached> {
    array(v, "files")
        .iter()
        .filter_map(|f| {
            Some(Attached {
                id: 0,
                name: string(f, "n")?,
                size: get(f, "s").as_f64().unwrap_or(0.0) as u32,
                mime: string(f, "t").unwrap_or_default(),
                data: string(f, "d").unwrap_or_default(),
            })
        })
        .collect()
}

fn decode_exchange(v: &JsValue) -> Option<Exchange> {
    Some(Exchange {
        question: string(v, "q")?,
        servers: strings(v, "servers"),
        model: string(v, "model"),
        attachments: decode_files(v),
        hosted: strings(v, "hosted"),
        answer: decode_answer(&get(v, "a"))?,
    })
}

fn encode_answer(answer: &Answer) -> JsValue {
    let v = object();
    let opt = |key: &str, value: &Option<String>| {
        if let Some(value) = value {
            set(&v, key, value.as_str());
        }
    };
    opt("request_id", &answer.request_id);
    opt("response_id", &answer.response_id);
    set(&v, "text", answer.text.as_str());
    set(&v, "reasoning", answer.reasoning.as_str());
    let lists: js_sys::Array = answer
        .tool_lists
        .iter()
        .map(|list| {
            let l = object();
            set(&l, "server", list.server.as_str());
            set(&l, "status", list.status.as_str());
            set(&l, "tools", json::string_array(&list.tools));
            l
        })
        .collect();
    set(&v, "lists", lists);
    let calls: js_sys::Array = answer
        .tool_calls
        .iter()
        .map(|call| {
            let c = object();
            set(&c, "id", call.call_id.as_str());
            set(&c, "server", call.server.as_str());
            set(&c, "tool", call.tool.as_str());
            set(&c, "args", call.arguments.as_str());
            let (status, out) = match &call.status {
                CallStatus::Running => ("running", ""),
                CallStatus::Done(output) => ("done", output.as_str()),
                CallStatus::Failed(error) => ("failed", error.as_str()),
            };
            set(&c, "status", status);
            set(&c, "out", out);
            c
        })
        .collect();
    set(&v, "calls", calls);
    let approvals: js_sys::Array = answer
        .approvals
        .iter()
        .map(|a| {
            let o = object();
            set(&o, "id", a.id.as_str());
            set(&o, "server", a.server.as_str());
            set(&o, "tool", a.tool.as_str());
            set(&o, "args", a.arguments.as_str());
            match a.decision {
                Some(approve) => set(&o, "decision", approve),
                None => set(&o, "decision", JsValue::NULL),
            }
            set(&o, "sent", a.sent);
            set(&o, "expired", a.expired);
            o
        })
        .collect();
    set(&v, "approvals", approvals);
    let status = match &answer.status {
        AnswerStatus::Streaming => "streaming",
        AnswerStatus::Complete => "complete",
        AnswerStatus::AwaitingApproval => "approval",
        AnswerStatus::Stopped => "stopped",
        AnswerStatus::Failed(error) => {
            let e = object();
            set(&e, "code", error.code.as_str());
            set(&e, "message", error.message.as_str());
            set(&e, "retryable", error.retryable);
            set(&v, "error", e);
            "failed"
        }
    };
    set(&v, "status", status);
    v
}

fn decode_answer(v: &JsValue) -> Option<Answer> {
    let mut answer = Answer {
        asks: Vec::new(),
        request_id: string(v, "request_id"),
        response_id: string(v, "response_id"),
        text: string(v, "text")?,
        reasoning: string(v, "reasoning").unwrap_or_default(),
        tool_lists: array(v, "lists")
            .iter()
            .filter_map(|l| {
                Some(ToolList {
                    server: string(l, "server")?,
                    status: ToolStatus::from_name(&string(l, "status")?)
                        .unwrap_or(ToolStatus::Failed),
                    tools: strings(l, "tools"),
                })
            })
            .collect(),
        tool_calls: array(v, "calls")
            .iter()
            .filter_map(|c| {
                let out = string(c, "out").unwrap_or_default();
                Some(ToolCall {
                    call_id: string(c, "id")?,
                    server: string(c, "server")?,
                    tool: string(c, "tool")?,
                    arguments: string(c, "args").unwrap_or_default(),
                    status: match string(c, "status")?.as_str() {
                        "running" => CallStatus::Running,
                        "done" => CallStatus::Done(out),
                        _ => CallStatus::Failed(out),
                    },
                    progress: None,
                    parts: Vec::new(),
                    app: None,
                })
            })
            .collect(),
        approvals: array(v, "approvals")
            .iter()
            .filter_map(|a| {
                Some(Approval {
                    id: string(a, "id")?,
                    server: string(a, "server")?,
                    tool: string(a, "tool")?,
                    arguments: string(a, "args").unwrap_or_default(),
                    decision: get(a, "decision").as_bool(),
                    sent: flag(a, "sent"),
                    expired: flag(a, "expired"),
                })
            })
            .collect(),
        status: AnswerStatus::Streaming,
        usage: None,
        resume: None,
    };
    match string(v, "status")?.as_str() {
        "complete" => answer.status = AnswerStatus::Complete,
        "approval" => answer.status = AnswerStatus::AwaitingApproval,
        "stopped" => answer.status = AnswerStatus::Stopped,
        "failed" => {
            let error = json::decode_error(&get(v, "error")).unwrap_or(ApiError {
                code: ErrorCode::Unknown,
                message: String::new(),
                retryable: true,
            });
            answer.fail(error);
        }
        // The page went away while the answer streamed.
        _ => answer.interrupt(),
    }
    Some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_exchanges_go_first() {
        assert_eq!(keep_from(&[], 10), 0);
        assert_eq!(keep_from(&[3, 3, 3], 10), 0);
        assert_eq!(keep_from(&[3, 3, 3, 3], 10), 1);
        assert_eq!(keep_from(&[9, 1, 1], 10), 1);
        assert_eq!(keep_from(&[1, 11], 10), 2, "nothing fits");
        assert_eq!(keep_from(&[5, 5], 10), 0);
    }
}

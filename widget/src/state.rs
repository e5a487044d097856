//! The plain data of one chat: servers, models, the selection, and the exchanges so far, with
//! what the instance keeps around them (the requests in flight, who is signed in, whether the
//! launcher is open, the ticked "always allow" boxes). The DOM holds none of it.
//!
//! Nothing here touches the DOM or the network, so every rule of the conversation is a plain
//! function over values and is tested natively: [`ChatState::ask`] builds the [`ChatRequest`]
//! for a new question, [`Answer::apply`] folds one stream event into the answer being streamed,
//! [`ChatState::continuation`] builds the request that continues an answer once the user has
//! decided its approvals, and the end of a stream without `done` or `error` becomes a visible
//! `stream_interrupted` failure, never a silent truncation. The view renders a [`ChatState`];
//! [`crate::update`] changes it.

pub(crate) mod answer;
pub(crate) mod app;
pub(crate) mod attach;
pub(crate) mod elicitation;
pub(crate) mod parts;
pub(crate) mod prompts;
pub(crate) mod requests;
pub(crate) mod threads;

use protocol::{
    ApiError, ApprovalDecision, ChatRequest, Identity, ModelList, Role, ServerInfo, Turn,
};

pub(crate) use answer::{
    Answer, AnswerStatus, Approval, CallProgress, CallStatus, ToolCall, ToolList,
};
pub(crate) use requests::{Requests, Slot};
pub(crate) use threads::{Thread, Threads};

/// How many of the newest exchanges the log shows; earlier ones wait behind "Show earlier".
pub(crate) const SHOWN_EXCHANGES: usize = 4;

/// How many more exchanges each "Show earlier" shows.
pub(crate) const EARLIER_PAGE: usize = 10;

/// Everything one widget instance knows about its chat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ChatState {
    /// The MCP servers offered by the edge.
    pub(crate) servers: Servers,
    /// Ids of the servers the user has ticked, in the order they were ticked.
    pub(crate) selected: Vec<String>,
    /// The models the edge offers; `None` until known (or when the edge has no model list).
    pub(crate) models: Option<ModelList>,
    /// The model the user picked; `None` for the edge's default.
    pub(crate) model: Option<String>,
    /// Tools the user always allows, as `(server, tool)`; the server by its MCP URL, the key the
    /// edge's `mcp_policies` use, which a renamed route keeps (see [`policy_key`]).
    pub(crate) always_allowed: Vec<(String, String)>,
    /// The edge can disconnect servers (false once it answered that it cannot).
    pub(crate) can_disconnect: bool,
    /// The questions asked and their answers, oldest first.
    pub(crate) exchanges: Vec<Exchange>,
    /// Exchanges shown before the newest [`SHOWN_EXCHANGES`] because the user asked to see
    /// earlier ones; a new question or another conversation shows the newest only again.
    pub(crate) earlier_shown: usize,
    /// Who the edge says is signed in; `None` until it said, or once signed out.
    pub(crate) user: Option<Identity>,
    /// The last question's request was turned away for want of capacity and is being sent
    /// again; cleared by anything that answers or ends it.
    pub(crate) busy: bool,
    /// Which requests are in flight (the controller aborts any that is no longer current).
    pub(crate) requests: Requests,
    /// The subject of the user whose conversation is shown; `None` before the edge named one.
    pub(crate) owner: Option<String>,
    /// Send the question a 401 refused again once `/api/me` names the same user.
    pub(crate) retry_after_me: bool,
    /// The user opened a server's Connect link: the window's next focus reloads the list.
    pub(crate) connecting: bool,
    /// Checks left while watching for a sign-in in the popup; `None` when not watching.
    pub(crate) sign_in_checks: Option<u32>,
    /// `mode="launcher"`: a bubble that opens the panel.
    pub(crate) launcher: bool,
    /// The launcher's panel is open.
    pub(crate) open: bool,
    /// The open approvals whose "always allow" box is ticked, by id.
    pub(crate) always_ticked: Vec<String>,
    /// The conversation changed since it was last saved.
    pub(crate) unsaved: bool,
    /// The question being edited in the composer, by index: Send replaces it and what follows.
    pub(crate) editing: Option<usize>,
    /// The user's conversations, and which one is shown.
    pub(crate) threads: Threads,
    /// The list of conversations is open.
    pub(crate) threads_open: bool,
    /// The servers' prompts as `/` commands.
    pub(crate) prompts: prompts::Prompts,
    /// The files attached to the draft (chips over the composer).
    pub(crate) attachments: Vec<attach::Attached>,
    /// Why the last file the user tried to attach was refused, and its name.
    pub(crate) attach_error: Option<(protocol::ErrorCode, String)>,
    /// The provider's own tools the user turned on (`web_search`, `code_interpreter`).
    pub(crate) hosted: Vec<String>,
    /// Resumes tried for the answer being streamed (see `update::resume`).
    pub(crate) resumes: u8,
}

/// The key "always allow" remembers a server by: its MCP URL as the edge lists it (the key of the
/// edge's `mcp_policies`, unchanged when a route is renamed), or its id while the list is not
/// known (such an entry matches nothing once the list is there: the user is asked again).
fn policy_key(servers: &Servers, server_id: &str) -> String {
    match servers {
        Servers::Loaded(list) => list
            .iter()
            .find(|s| s.id == server_id)
            .map_or_else(|| server_id.to_owned(), |s| s.url.clone()),
        _ => server_id.to_owned(),
    }
}

/// Where the server list stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Servers {
    /// `GET /api/servers` is in flight.
    #[default]
    Loading,
    /// The list arrived.
    Loaded(Vec<ServerInfo>),
    /// The list could not be had.
    Failed(ApiError),
}

/// One question and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exchange {
    /// What the user asked.
    pub(crate) question: String,
    /// The servers the question was sent with (a retry sends the same ones).
    pub(crate) servers: Vec<String>,
    /// The model the question was sent to; `None` for the edge's default.
    pub(crate) model: Option<String>,
    /// The files attached to the question.
    pub(crate) attachments: Vec<attach::Attached>,
    /// The hosted tools the question was sent with.
    pub(crate) hosted: Vec<String>,
    /// The answer, complete or not.
    pub(crate) answer: Answer,
}

impl ChatState {
    /// The state of an instance that knows nothing yet (`launcher`: its `mode`).
    pub(crate) fn fresh(launcher: bool) -> Self {
        Self {
            can_disconnect: true,
            launcher,
            ..Self::default()
        }
    }

    /// True while an answer is being requested or streamed.
    pub(crate) fn is_busy(&self) -> bool {
        self.exchanges
            .last()
            .is_some_and(|e| e.answer.status == AnswerStatus::Streaming)
    }

    /// Ticks or unticks a server.
    pub(crate) fn select(&mut self, server: &str, on: bool) {
        self.selected.retain(|s| s != server);
        if on {
            self.selected.push(server.to_owned());
        }
    }

    /// Picks a model; the edge's default (or one it does not offer) means "no choice".
    pub(crate) fn choose_model(&mut self, model: &str) {
        self.model = match &self.models {
            Some(list) if list.default != model && list.models.iter().any(|m| m == model) => {
                Some(model.to_owned())
            }
            _ => None,
        };
    }

    /// The model list arrived: a remembered choice the edge no longer offers is dropped.
    pub(crate) fn set_models(&mut self, models: Option<ModelList>) {
        self.models = models;
        if let Some(model) = self.model.take() {
            self.choose_model(&model);
        }
    }

    /// The selection, limited to the servers in the list once the list is known.
    pub(crate) fn selection(&self) -> Vec<String> {
        match &self.servers {
            Servers::Loaded(list) => self
                .selected
                .iter()
                .filter(|id| list.iter().any(|s| &s.id == *id))
                .cloned()
                .collect(),
            Servers::Loading | Servers::Failed(_) => self.selected.clone(),
        }
    }

    /// Starts a new exchange with the selected servers and returns the request to send: the
    /// structured history of the finished exchanges, then the new question.
    pub(crate) fn ask(&mut self, question: String) -> ChatRequest {
        self.busy = false;
        self.earlier_shown = 0;
        for exchange in &mut self.exchanges {
            exchange.answer.expire_approvals();
        }
        let offered = attach::hosted_offered(self.models.as_ref(), self.model.as_deref());
        self.attach_error = None;
        self.exchanges.push(Exchange {
            question,
            servers: self.selection(),
            model: self.model.clone(),
            attachments: std::mem::take(&mut self.attachments),
            hosted: self
                .hosted
                .iter()
                .filter(|t| offered.contains(t))
                .cloned()
                .collect(),
            answer: Answer::default(),
        });
        self.request_for_last()
    }

    /// Replaces question `index` by `question` (what followed it goes) and returns the request:
    /// the history up to it, fresh (no `previous_response_id`: open approvals of the dropped
    /// answers are gone with them). `None` while an answer streams or for no such question.
    pub(crate) fn edit(&mut self, index: usize, question: String) -> Option<ChatRequest> {
        self.editing = None;
        if self.is_busy() || index >= self.exchanges.len() {
            return None;
        }
        if self.attachments.is_empty() {
            // The edited question keeps its files unless others were attached.
            self.attachments = self.exchanges[index].attachments.clone();
        }
        self.exchanges.truncate(index);
        Some(self.ask(question))
    }

    /// Asks the last question again with the servers and model it was sent with, whatever
    /// became of its answer, and returns the request (fresh: an answer waiting for approvals
    /// is replaced, not continued). `None` while an answer streams or before any question.
    pub(crate) fn regenerate(&mut self) -> Option<ChatRequest> {
        if self.is_busy() {
            return None;
        }
        self.busy = false;
        self.editing = None;
        self.exchanges.last_mut()?.answer = Answer::default();
        Some(self.request_for_last())
    }

    /// The markdown source of answer `index`, when it has text and is not streaming.
    pub(crate) fn answer_markdown(&self, index: usize) -> Option<&str> {
        let answer = &self.exchanges.get(index)?.answer;
        let shown = answer.status != AnswerStatus::Streaming && !answer.text.is_empty();
        shown.then_some(answer.text.as_str())
    }

    /// The request that continues the last answer after its stream broke off, when the edge
    /// made it resumable and a mark was kept (see `protocol::resume`).
    pub(crate) fn resume_request(&self) -> Option<ChatRequest> {
        let answer = &self.exchanges.last()?.answer;
        let (handle, Some(after)) = answer.resume.clone()? else {
            return None;
        };
        if answer.status != AnswerStatus::Streaming {
            return None;
        }
        let mut request = self.request_for_last();
        request.resume = Some(protocol::ResumeFrom { handle, after });
        Some(request)
    }

    /// Restarts the last exchange when its answer failed, and returns the same request again.
    pub(crate) fn retry(&mut self) -> Option<ChatRequest> {
        self.busy = false;
        let last = self.exchanges.last_mut()?;
        if !matches!(last.answer.status, AnswerStatus::Failed(_)) {
            return None;
        }
        last.answer = Answer::default();
        Some(self.request_for_last())
    }

    /// Folds one stream event into the answer being streamed; ignored when none is. An approval
    /// for a tool the user always allows is decided on the spot.
    pub(crate) fn apply(&mut self, event: protocol::StreamEvent) {
        self.busy = false;
        let Some(exchange) = self.exchanges.last_mut() else {
            return;
        };
        exchange.answer.apply(event);
        let servers = &self.servers;
        for approval in &mut exchange.answer.approvals {
            let key = policy_key(servers, &approval.server);
            let always = self
                .always_allowed
                .iter()
                .any(|(server, tool)| *server == key && *tool == approval.tool);
            if approval.decision.is_none() && always {
                approval.decision = Some(true);
            }
        }
    }

    /// The user decided approval `id` of the last answer; with `always`, the tool is allowed
    /// from now on. Returns false when there is no such open approval.
    pub(crate) fn decide(&mut self, id: &str, approve: bool, always: bool) -> bool {
        let Some(exchange) = self.exchanges.last_mut() else {
            return false;
        };
        if exchange.answer.status != AnswerStatus::AwaitingApproval {
            return false;
        }
        let Some(approval) = exchange
            .answer
            .approvals
            .iter_mut()
            .find(|a| a.id == id && !a.sent && a.decision.is_none())
        else {
            return false;
        };
        approval.decision = Some(approve);
        if approve && always {
            let key = (
                policy_key(&self.servers, &approval.server),
                approval.tool.clone(),
            );
            if !self.always_allowed.contains(&key) {
                self.always_allowed.push(key);
            }
        }
        true
    }

    /// Once every open approval of the last answer is decided, the request that continues it
    /// (same conversation, the decisions, the response they answer); the answer streams again.
    pub(crate) fn continuation(&mut self) -> Option<ChatRequest> {
        let answer = &self.exchanges.last()?.answer;
        if answer.status != AnswerStatus::AwaitingApproval {
            return None;
        }
        let asks: Vec<_> = answer.asks.iter().filter(|a| !a.sent).collect();
        // A server's question goes first, alone: approvals of the same round stay open and
        // are sent when the answer waits for them again.
        let open: Vec<&Approval> = match asks.is_empty() {
            true => answer.approvals.iter().filter(|a| !a.sent).collect(),
            false => Vec::new(),
        };
        if (open.is_empty() && asks.is_empty())
            || open.iter().any(|a| a.decision.is_none())
            || asks.iter().any(|a| a.reply.is_none())
        {
            return None;
        }
        let approvals = open
            .iter()
            .map(|a| ApprovalDecision {
                approval_request_id: a.id.clone(),
                approve: a.decision == Some(true),
            })
            .collect();
        let elicitation = asks.first().and_then(|ask| {
            let (action, content) = ask.reply.clone()?;
            Some(protocol::ElicitationReply {
                elicitation_id: ask.id.clone(),
                action,
                content,
            })
        });
        let previous_response_id = answer.response_id.clone();
        let mut request = self.request_for_last();
        request.previous_response_id = previous_response_id;
        request.approvals = approvals;
        request.elicitation = elicitation;
        let answer = &mut self.exchanges.last_mut()?.answer;
        if request.elicitation.is_some() {
            for ask in &mut answer.asks {
                ask.sent = true;
            }
        } else {
            for approval in &mut answer.approvals {
                approval.sent = true;
            }
        }
        answer.status = AnswerStatus::Streaming;
        Some(request)
    }

    /// The request failed before any stream: the answer fails with `error`. Returns the
    /// question, so the caller can hand the draft back to the user.
    pub(crate) fn refuse(&mut self, error: ApiError) -> Option<String> {
        self.busy = false;
        let answer = self.streaming_answer()?;
        answer.fail(error);
        let last = self.exchanges.last()?;
        if self.attachments.is_empty() {
            // The files go back to the draft with the question.
            self.attachments = last.attachments.clone();
        }
        Some(last.question.clone())
    }

    /// The stream ended: an answer that saw neither `done` nor `error` was interrupted.
    pub(crate) fn end_of_stream(&mut self) {
        self.busy = false;
        if let Some(answer) = self.streaming_answer() {
            answer.interrupt();
        }
    }

    /// The user pressed Stop: the partial answer stays and counts as said.
    pub(crate) fn stop(&mut self) {
        self.busy = false;
        if let Some(answer) = self.streaming_answer() {
            answer.settle_calls();
            answer.status = AnswerStatus::Stopped;
        }
    }

    /// Forgets the conversation (New chat); the servers, models and preferences stay.
    pub(crate) fn clear(&mut self) {
        self.busy = false;
        self.editing = None;
        self.exchanges.clear();
        self.earlier_shown = 0;
    }

    /// The index of the first exchange the log shows: only the newest [`SHOWN_EXCHANGES`] (and
    /// those the user asked for) are in the DOM, so a long conversation costs the page no more
    /// elements than a short one.
    pub(crate) fn first_shown(&self) -> usize {
        self.exchanges
            .len()
            .saturating_sub(SHOWN_EXCHANGES + self.earlier_shown)
    }

    /// Shows [`EARLIER_PAGE`] more of the exchanges before the first shown one.
    pub(crate) fn show_earlier(&mut self) {
        let hidden = self.first_shown();
        self.earlier_shown += hidden.min(EARLIER_PAGE);
    }

    fn streaming_answer(&mut self) -> Option<&mut Answer> {
        self.exchanges
            .last_mut()
            .map(|e| &mut e.answer)
            .filter(|a| a.status == AnswerStatus::Streaming)
    }

    /// The request for the last exchange. Earlier exchanges count only when their answer was
    /// heard (completed, stopped, or waiting for an approval that never came); a failed one
    /// was never heard, and a retry or a new question replaces it.
    fn request_for_last(&self) -> ChatRequest {
        let (last, earlier) = self
            .exchanges
            .split_last()
            .expect("request_for_last is called after an exchange was pushed");
        let mut messages = Vec::new();
        for exchange in earlier {
            let heard = matches!(
                exchange.answer.status,
                AnswerStatus::Complete | AnswerStatus::Stopped | AnswerStatus::AwaitingApproval
            );
            if !heard {
                continue;
            }
            messages.push(question(exchange));
            if !exchange.answer.text.is_empty() {
                messages.push(turn(Role::Assistant, &exchange.answer.text));
            }
        }
        messages.push(question(last));
        attach::fit(&mut messages);
        ChatRequest {
            messages,
            servers: last.servers.clone(),
            model: last.model.clone(),
            previous_response_id: None,
            approvals: Vec::new(),
            elicitation: None,
            hosted_tools: last.hosted.clone(),
            resume: None,
        }
    }
}

fn turn(role: Role, content: &str) -> Turn {
    Turn {
        role,
        content: content.to_owned(),
        attachments: Vec::new(),
    }
}

/// An exchange's question as the user's turn, with its files whose bytes are kept.
fn question(exchange: &Exchange) -> Turn {
    Turn {
        attachments: attach::to_wire(&exchange.attachments),
        ..turn(Role::User, &exchange.question)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use protocol::{ErrorCode, StreamEvent};

    use super::*;

    pub(crate) fn text(delta: &str) -> StreamEvent {
        StreamEvent::TextDelta {
            delta: delta.into(),
        }
    }

    pub(crate) fn done(response_id: Option<&str>) -> StreamEvent {
        StreamEvent::Done {
            response_id: response_id.map(str::to_owned),
            usage: None,
        }
    }

    pub(crate) fn error(code: ErrorCode, retryable: bool) -> ApiError {
        ApiError {
            code,
            message: "boom".into(),
            retryable,
        }
    }

    /// A state whose answer started call `call_1`, got `question` and paused (`resp_paused`).
    pub(crate) fn asked(question: StreamEvent) -> ChatState {
        let mut state = ChatState::default();
        state.ask("sales?".into());
        state.apply(StreamEvent::ToolCallStarted {
            call_id: "call_1".into(),
            server: "northwind".into(),
            tool: "sales_for_year".into(),
        });
        state.apply(question);
        state.apply(done(Some("resp_paused")));
        state
    }

    fn approval(id: &str, tool: &str) -> StreamEvent {
        StreamEvent::ApprovalRequest {
            approval_request_id: id.into(),
            server: "northwind".into(),
            tool: tool.into(),
            arguments: "{}".into(),
        }
    }

    fn models() -> ModelList {
        ModelList {
            models: vec!["small".into(), "large".into()],
            default: "small".into(),
            notice: None,
            hosted_tools: vec![],
        }
    }

    #[test]
    fn busy_lasts_until_the_answer_starts_or_ends_and_keeps_the_question() {
        let mut state = ChatState::default();
        state.ask("hi".into());
        state.busy = true;
        assert!(
            state.is_busy(),
            "a busy chat is still waiting for its answer"
        );
        state.apply(text("a"));
        assert!(!state.busy);
        assert_eq!(state.exchanges[0].question, "hi");

        state.ask("again".into());
        state.busy = true;
        let busy = ApiError {
            code: protocol::ErrorCode::EdgeBusy,
            message: "HTTP 500".into(),
            retryable: true,
        };
        assert_eq!(state.refuse(busy).as_deref(), Some("again"));
        assert!(!state.busy);
        state.busy = true;
        assert!(state.retry().is_some());
        assert!(!state.busy);
        state.busy = true;
        state.stop();
        assert!(!state.busy);
    }

    #[test]
    fn state_ignores_the_end_of_a_stream_once_the_answer_ended() {
        let mut state = ChatState::default();
        state.ask("hi".into());
        state.apply(text("a"));
        state.apply(done(None));
        state.apply(text("b"));
        state.end_of_stream();
        assert_eq!(state.exchanges[0].answer.text, "a");
        assert_eq!(state.exchanges[0].answer.status, AnswerStatus::Complete);
    }

    #[test]
    fn stream_without_final_event_is_interrupted_and_keeps_partial_text() {
        let mut state = ChatState::default();
        state.ask("hi".into());
        state.apply(text("half an ans"));
        assert!(state.is_busy());
        state.end_of_stream();
        assert!(!state.is_busy());
        let answer = &state.exchanges[0].answer;
        assert_eq!(answer.text, "half an ans");
        assert!(matches!(
            &answer.status,
            AnswerStatus::Failed(ApiError {
                code: ErrorCode::StreamInterrupted,
                retryable: true,
                ..
            })
        ));
    }

    #[test]
    fn history_holds_heard_exchanges_as_structured_turns() {
        let mut state = ChatState::default();
        state.select("northwind", true);
        state.select("other", true);
        state.select("other", false);
        let first = state.ask("one".into());
        assert_eq!(first.messages, vec![turn(Role::User, "one")]);
        assert_eq!(first.servers, vec!["northwind".to_owned()]);
        state.apply(text("answer one"));
        state.apply(done(None));

        // Refused: not part of later history.
        state.ask("two".into());
        assert_eq!(
            state.refuse(error(ErrorCode::Internal, false)),
            Some("two".into())
        );

        // Stopped: the partial answer counts as said.
        state.ask("three".into());
        state.apply(text("partial three"));
        state.stop();

        // Stopped before any text: the question counts, there is no assistant turn.
        state.ask("four".into());
        state.stop();

        let fifth = state.ask("five".into());
        assert_eq!(
            fifth.messages,
            vec![
                turn(Role::User, "one"),
                turn(Role::Assistant, "answer one"),
                turn(Role::User, "three"),
                turn(Role::Assistant, "partial three"),
                turn(Role::User, "four"),
                turn(Role::User, "five"),
            ]
        );
        assert_eq!(fifth.validate(), Ok(()));
    }

    #[test]
    fn retry_resends_the_same_conversation() {
        let mut state = ChatState::default();
        state.ask("one".into());
        state.apply(done(None));
        assert_eq!(state.retry(), None, "a completed answer is not retried");
        state.select("northwind", true);
        let sent = state.ask("two".into());
        state.apply(text("par"));
        state.apply(StreamEvent::Error(error(
            ErrorCode::ProviderUnavailable,
            true,
        )));
        state.select("northwind", false);
        let again = state.retry().expect("a failed answer can be retried");
        assert_eq!(again, sent);
        assert_eq!(state.exchanges.len(), 2);
        assert_eq!(state.exchanges[1].answer, Answer::default());
        assert!(state.is_busy());
    }

    #[test]
    fn the_chosen_model_goes_with_the_question_and_must_be_offered() {
        let mut state = ChatState::default();
        state.choose_model("large");
        assert_eq!(state.model, None, "no list yet: nothing to choose from");
        state.set_models(Some(models()));
        state.choose_model("large");
        assert_eq!(state.ask("q".into()).model.as_deref(), Some("large"));
        state.choose_model("small");
        assert_eq!(state.model, None, "the default needs no name");
        state.choose_model("huge");
        assert_eq!(state.model, None);

        // A remembered model the edge no longer offers is dropped when the list arrives.
        let mut state = ChatState {
            model: Some("retired".into()),
            ..ChatState::default()
        };
        state.set_models(Some(models()));
        assert_eq!(state.model, None);
        let mut state = ChatState {
            model: Some("large".into()),
            ..ChatState::default()
        };
        state.set_models(Some(models()));
        assert_eq!(state.model.as_deref(), Some("large"));
    }

    #[test]
    fn the_selection_sent_is_limited_to_listed_servers() {
        let mut state = ChatState::default();
        state.select("gone", true);
        state.select("northwind", true);
        let info = |id: &str| ServerInfo {
            id: id.into(),
            name: id.into(),
            description: None,
            logo_url: None,
            url: String::new(),
            connected: true,
            needs_oauth: false,
            connect_url: None,
        };
        state.servers = Servers::Loaded(vec![info("northwind"), info("wiki")]);
        assert_eq!(state.ask("q".into()).servers, vec!["northwind".to_owned()]);
    }

    #[test]
    fn approvals_wait_for_every_decision_then_continue_the_response() {
        let mut state = ChatState::default();
        state.select("northwind", true);
        let first = state.ask("delete it".into());
        state.apply(text("Let me check. "));
        state.apply(approval("mcpr_1", "read_query"));
        state.apply(approval("mcpr_2", "write_query"));
        state.apply(done(Some("resp_1")));
        assert_eq!(
            state.exchanges[0].answer.status,
            AnswerStatus::AwaitingApproval
        );
        assert!(!state.is_busy());
        assert_eq!(state.continuation(), None, "two decisions are missing");
        assert!(state.decide("mcpr_1", true, false));
        assert!(!state.decide("mcpr_1", false, false), "decided once");
        assert!(!state.decide("nope", true, false));
        assert_eq!(state.continuation(), None, "one decision is missing");
        assert!(state.decide("mcpr_2", false, false));

        let next = state.continuation().expect("all decided");
        assert_eq!(next.messages, first.messages);
        assert_eq!(next.servers, first.servers);
        assert_eq!(next.previous_response_id.as_deref(), Some("resp_1"));
        assert_eq!(
            next.approvals,
            vec![
                ApprovalDecision {
                    approval_request_id: "mcpr_1".into(),
                    approve: true
                },
                ApprovalDecision {
                    approval_request_id: "mcpr_2".into(),
                    approve: false
                },
            ]
        );
        assert_eq!(next.validate(), Ok(()));
        assert!(state.is_busy());
        assert_eq!(state.continuation(), None, "sent once");

        // The continuation streams into the same answer.
        state.apply(text("Done."));
        state.apply(done(Some("resp_2")));
        let answer = &state.exchanges[0].answer;
        assert_eq!(answer.text, "Let me check. Done.");
        assert_eq!(answer.status, AnswerStatus::Complete);
        assert_eq!(answer.approvals.len(), 2);
    }

    #[test]
    fn always_allowed_tools_are_approved_without_asking() {
        let mut state = ChatState::default();
        state.ask("q".into());
        state.apply(approval("mcpr_1", "read_query"));
        state.apply(done(Some("resp_1")));
        assert!(state.decide("mcpr_1", true, true));
        assert_eq!(
            state.always_allowed,
            vec![("northwind".to_owned(), "read_query".to_owned())]
        );
        state.continuation().unwrap();
        state.apply(done(Some("resp_2")));

        state.ask("again".into());
        state.apply(approval("mcpr_3", "read_query"));
        state.apply(done(Some("resp_3")));
        let next = state
            .continuation()
            .expect("decided by the remembered rule");
        assert_eq!(next.approvals[0].approval_request_id, "mcpr_3");
        assert!(next.approvals[0].approve);

        // Deny never becomes a rule; another tool is still asked about.
        state.apply(approval("mcpr_4", "write_query"));
        state.apply(done(Some("resp_4")));
        assert!(state.decide("mcpr_4", false, true));
        assert_eq!(state.always_allowed.len(), 1);
    }

    #[test]
    fn always_allow_follows_the_servers_url_through_a_rename() {
        let listed = |id: &str| {
            Servers::Loaded(vec![ServerInfo {
                id: id.into(),
                name: id.into(),
                description: None,
                logo_url: None,
                url: "https://db.example.com/mcp".into(),
                connected: true,
                needs_oauth: false,
                connect_url: None,
            }])
        };
        let mut state = ChatState {
            servers: listed("northwind"),
            ..ChatState::default()
        };
        state.ask("q".into());
        state.apply(approval("mcpr_1", "read_query"));
        state.apply(done(Some("resp_1")));
        assert!(state.decide("mcpr_1", true, true));
        assert_eq!(
            state.always_allowed,
            vec![(
                "https://db.example.com/mcp".to_owned(),
                "read_query".to_owned()
            )],
            "remembered by the URL the edge's policies use"
        );
        state.continuation().unwrap();
        state.apply(done(Some("resp_2")));

        // The route is renamed: a new id, the same URL. The rule still holds.
        state.servers = listed("sales");
        state.ask("again".into());
        state.apply(StreamEvent::ApprovalRequest {
            approval_request_id: "mcpr_3".into(),
            server: "sales".into(),
            tool: "read_query".into(),
            arguments: "{}".into(),
        });
        state.apply(done(Some("resp_3")));
        assert!(
            state.continuation().is_some(),
            "decided by the remembered rule"
        );

        // Another server under the old name is not covered by it.
        state.servers = Servers::Loaded(vec![ServerInfo {
            url: "https://other.example.com/mcp".into(),
            ..match listed("northwind") {
                Servers::Loaded(mut list) => list.remove(0),
                _ => unreachable!(),
            }
        }]);
        state.ask("once more".into());
        state.apply(approval("mcpr_4", "read_query"));
        state.apply(done(Some("resp_4")));
        assert_eq!(state.continuation(), None, "asked again");
    }

    #[test]
    fn a_new_question_expires_open_approvals() {
        let mut state = ChatState::default();
        state.ask("q".into());
        state.apply(text("I need approval"));
        state.apply(approval("mcpr_1", "read_query"));
        state.apply(done(Some("resp_1")));
        let next = state.ask("never mind".into());
        assert_eq!(
            next.messages,
            vec![
                turn(Role::User, "q"),
                turn(Role::Assistant, "I need approval"),
                turn(Role::User, "never mind"),
            ]
        );
        assert!(state.exchanges[0].answer.approvals[0].expired);
        state.apply(done(None));
        assert!(!state.decide("mcpr_1", true, false));
    }

    #[test]
    fn edit_replaces_the_question_and_what_followed_with_the_history_before_it() {
        let mut state = ChatState::default();
        state.select("northwind", true);
        for (q, a) in [
            ("one", "answer one"),
            ("two", "answer two"),
            ("three", "a3"),
        ] {
            state.ask(q.into());
            state.apply(text(a));
            state.apply(done(Some("resp")));
        }
        state.editing = Some(1);
        let sent = state.edit(1, "TWO".into()).expect("edited");
        assert_eq!(
            sent.messages,
            vec![
                turn(Role::User, "one"),
                turn(Role::Assistant, "answer one"),
                turn(Role::User, "TWO"),
            ]
        );
        assert_eq!(sent.previous_response_id, None, "an edit starts fresh");
        assert!(sent.approvals.is_empty());
        assert_eq!(state.exchanges.len(), 2, "the third exchange went");
        assert_eq!(state.exchanges[1].question, "TWO");
        assert!(state.is_busy());
        assert_eq!(state.editing, None);
        assert_eq!(state.edit(0, "x".into()), None, "not while streaming");
        state.apply(done(None));
        assert_eq!(state.edit(2, "x".into()), None, "no such question");
        let first = state.edit(0, "ONE".into()).unwrap();
        assert_eq!(first.messages, vec![turn(Role::User, "ONE")]);
        assert_eq!(state.exchanges.len(), 1);
    }

    #[test]
    fn regenerate_asks_the_last_question_again_fresh_with_its_servers() {
        let mut state = ChatState::default();
        assert_eq!(state.regenerate(), None, "nothing asked yet");
        state.ask("one".into());
        state.apply(text("answer one"));
        state.apply(done(None));
        state.select("northwind", true);
        let sent = state.ask("two".into());
        state.apply(text("I need approval"));
        state.apply(approval("mcpr_1", "read_query"));
        assert_eq!(state.regenerate(), None, "not while streaming");
        state.apply(done(Some("resp_1")));
        state.select("northwind", false);
        let again = state.regenerate().expect("regenerated");
        assert_eq!(
            again, sent,
            "same history, servers and model; no continuation"
        );
        assert_eq!(state.exchanges.len(), 2);
        assert_eq!(state.exchanges[1].answer, Answer::default());
        assert!(state.is_busy());
        assert_eq!(
            state.continuation(),
            None,
            "the approval went with the answer"
        );
    }

    #[test]
    fn an_answer_is_copied_as_its_markdown_source_once_it_ended() {
        let mut state = ChatState::default();
        state.ask("q".into());
        state.apply(text("**bold** and `code`"));
        assert_eq!(state.answer_markdown(0), None, "still streaming");
        state.apply(done(None));
        assert_eq!(state.answer_markdown(0), Some("**bold** and `code`"));
        assert_eq!(state.answer_markdown(1), None);
        state.ask("empty".into());
        state.stop();
        assert_eq!(state.answer_markdown(1), None, "no text to copy");
    }

    #[test]
    fn clear_forgets_the_conversation_but_not_the_preferences() {
        let mut state = ChatState::default();
        state.select("northwind", true);
        state.always_allowed.push(("a".into(), "b".into()));
        state.ask("q".into());
        state.clear();
        assert!(state.exchanges.is_empty());
        assert_eq!(state.selected, vec!["northwind".to_owned()]);
        assert_eq!(state.always_allowed.len(), 1);
    }
}

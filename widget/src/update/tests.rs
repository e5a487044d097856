//! The rules of [`crate::update`], one behaviour per test, natively.

use protocol::{ApiError, ErrorCode, Identity, ModelList, ServerInfo, ServerList, StreamEvent};

use crate::state::tests::{done, text};
use crate::state::{AnswerStatus, ChatState, Servers, Slot};
use crate::storage::Prefs;
use crate::update::{
    Effect, Focus, HostEvent, Msg, Request, SIGN_IN_CHECKS, Saved, accepts_host_send, announcement,
    last_outcome, save_due, update,
};

fn error(code: ErrorCode) -> ApiError {
    crate::state::tests::error(code, true)
}

fn server(id: &str) -> ServerInfo {
    ServerInfo {
        id: id.into(),
        name: id.into(),
        description: None,
        logo_url: None,
        url: format!("https://{id}.example.com/mcp"),
        connected: true,
        needs_oauth: false,
        connect_url: None,
    }
}

fn list(ids: &[&str]) -> ServerList {
    ServerList {
        servers: ids.iter().map(|id| server(id)).collect(),
    }
}

fn user(subject: &str) -> Identity {
    Identity {
        subject: subject.into(),
        email: None,
        name: None,
        sign_out_url: None,
    }
}

/// The requests `effects` start, in order.
pub(super) fn started(effects: &[Effect]) -> Vec<Request> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Start { request, .. } => Some(request.clone()),
            _ => None,
        })
        .collect()
}

/// The id of the chat request in flight.
pub(super) fn chat(state: &ChatState) -> u64 {
    state
        .requests
        .current(Slot::Chat)
        .expect("a chat request is in flight")
}

/// A state with servers listed and a question asked, whose answer streams.
pub(super) fn asked(question: &str) -> ChatState {
    let mut state = ChatState::fresh(false);
    state.servers = Servers::Loaded(list(&["northwind"]).servers);
    update(&mut state, Msg::Send(question.into()));
    state
}

/// The last answer broke off, keeping `text`, and may be retried.
pub(super) fn assert_interrupted(state: &ChatState, text: &str) {
    let answer = &state.exchanges.last().expect("an exchange").answer;
    assert_eq!(answer.text, text);
    let AnswerStatus::Failed(error) = &answer.status else {
        panic!("not failed: {:?}", answer.status);
    };
    assert_eq!(
        (error.code, error.retryable),
        (ErrorCode::StreamInterrupted, true)
    );
}

pub(super) fn stream(state: &mut ChatState, events: Vec<StreamEvent>) -> Vec<Effect> {
    let request = chat(state);
    update(state, Msg::StreamEvents { request, events })
}

#[test]
fn send_asks_the_trimmed_draft_with_the_selection_and_empties_the_composer() {
    let mut state = ChatState::fresh(false);
    state.servers = Servers::Loaded(list(&["northwind", "wiki"]).servers);
    update(
        &mut state,
        Msg::ServerToggled {
            id: "wiki".into(),
            on: true,
        },
    );
    let fx = update(&mut state, Msg::Send("  Sales by year?  ".into()));
    assert_eq!(
        fx[..4],
        [
            Effect::SetDraft(String::new()),
            Effect::Focus(Focus::Input),
            Effect::SaveDraft(String::new()),
            Effect::Emit(HostEvent::Question("Sales by year?".into())),
        ]
    );
    let [Request::Chat(request)] = &started(&fx)[..] else {
        panic!("one chat request: {fx:?}");
    };
    assert_eq!(request.messages[0].content, "Sales by year?");
    assert_eq!(request.servers, vec!["wiki".to_owned()]);
    assert!(fx.contains(&Effect::SavePrefs));
    assert!(state.is_busy());
    assert!(state.unsaved);
}

#[test]
fn send_ignores_a_blank_draft_and_a_chat_that_is_busy() {
    let mut state = ChatState::fresh(false);
    assert_eq!(update(&mut state, Msg::Send(" \n ".into())), vec![]);
    assert!(state.exchanges.is_empty());

    let mut state = asked("one");
    assert_eq!(update(&mut state, Msg::Send("two".into())), vec![]);
    assert_eq!(update(&mut state, Msg::HostSend("two".into())).len(), 1);
    assert_eq!(state.exchanges.len(), 1);
}

#[test]
fn the_selection_is_state_and_survives_a_new_server_list() {
    let mut state = ChatState::fresh(false);
    for (id, on) in [("northwind", true), ("wiki", true), ("northwind", false)] {
        let fx = update(&mut state, Msg::ServerToggled { id: id.into(), on });
        assert_eq!(fx, vec![Effect::SavePrefs]);
    }
    let fx = update(&mut state, Msg::LoadServers);
    let id = state.requests.current(Slot::Servers).unwrap();
    assert!(started(&fx).contains(&Request::Servers));
    update(&mut state, Msg::ServersLoaded(id, Ok(list(&["wiki"]))));
    assert_eq!(state.selected, vec!["wiki".to_owned()]);
    update(&mut state, Msg::Send("q".into()));
    assert_eq!(state.exchanges[0].servers, vec!["wiki".to_owned()]);
}

#[test]
fn stop_keeps_the_partial_answer_and_drops_the_request() {
    let mut state = asked("q");
    let request = chat(&state);
    stream(&mut state, vec![text("half")]);
    let fx = update(&mut state, Msg::Stop);
    assert_eq!(fx, vec![Effect::Focus(Focus::KeepInput)]);
    assert_eq!(state.requests.current(Slot::Chat), None, "aborted");
    let answer = &state.exchanges[0].answer;
    assert_eq!(
        (answer.text.as_str(), &answer.status),
        ("half", &AnswerStatus::Stopped)
    );
    // What the aborted stream still says is dropped.
    update(
        &mut state,
        Msg::StreamEvents {
            request,
            events: vec![text(" more"), done(None)],
        },
    );
    update(&mut state, Msg::StreamEnded { request });
    assert_eq!(state.exchanges[0].answer.text, "half");
    assert_eq!(state.exchanges[0].answer.status, AnswerStatus::Stopped);
}

#[test]
fn retry_sends_a_failed_question_again_and_nothing_else() {
    let mut state = asked("q");
    stream(&mut state, vec![text("part"), done(None)]);
    let fx = update(&mut state, Msg::Retry);
    assert_eq!(
        fx,
        vec![Effect::Focus(Focus::KeepInput)],
        "a complete answer stays"
    );

    let mut state = asked("q");
    let first = state.exchanges[0].clone();
    stream(
        &mut state,
        vec![
            text("part"),
            StreamEvent::Error(error(ErrorCode::ProviderUnavailable)),
        ],
    );
    let fx = update(&mut state, Msg::Retry);
    let [Request::Chat(request)] = &started(&fx)[..] else {
        panic!("the same question again: {fx:?}");
    };
    assert_eq!(request.messages[0].content, first.question);
    assert_eq!(state.exchanges.len(), 1);
    assert!(state.is_busy());
}

#[test]
fn a_refused_request_fails_the_answer_and_gives_the_question_back() {
    let mut state = asked("keep me");
    let request = chat(&state);
    let fx = update(
        &mut state,
        Msg::ChatRefused {
            request,
            error: error(ErrorCode::ProviderUnavailable),
        },
    );
    assert_eq!(fx, vec![Effect::RestoreDraft("keep me".into())]);
    assert_eq!(state.exchanges[0].question, "keep me");
    assert!(matches!(
        state.exchanges[0].answer.status,
        AnswerStatus::Failed(ApiError {
            code: ErrorCode::ProviderUnavailable,
            ..
        })
    ));
    // A stale refusal (from a request that was replaced) changes nothing.
    let mut state = asked("again");
    let stale = chat(&state) + 100;
    let fx = update(
        &mut state,
        Msg::ChatRefused {
            request: stale,
            error: error(ErrorCode::Internal),
        },
    );
    assert_eq!(fx, vec![]);
    assert!(state.is_busy());
}

#[test]
fn a_broken_stream_keeps_the_partial_answer_as_interrupted() {
    let mut state = asked("q");
    stream(&mut state, vec![text("half an ans")]);
    let request = chat(&state);
    update(&mut state, Msg::StreamEnded { request });
    assert_interrupted(&state, "half an ans");
    assert_eq!(state.requests.current(Slot::Chat), None);
}

#[test]
fn a_busy_edge_marks_the_question_busy_until_the_stream_starts() {
    let mut state = asked("q");
    let request = chat(&state);
    update(
        &mut state,
        Msg::ChatBusy {
            request: request + 1,
        },
    );
    assert!(!state.busy, "not this request");
    update(&mut state, Msg::ChatBusy { request });
    assert!(state.busy);
    assert!(state.is_busy());
    stream(&mut state, vec![text("a")]);
    assert!(!state.busy);
}

#[test]
fn escape_stops_an_answer_else_closes_an_open_launcher() {
    // Inline and idle: nothing.
    let mut state = ChatState::fresh(false);
    assert_eq!(update(&mut state, Msg::Escape), vec![]);

    // Streaming: it stops.
    let mut state = asked("q");
    update(&mut state, Msg::Escape);
    assert_eq!(state.exchanges[0].answer.status, AnswerStatus::Stopped);

    // An open launcher closes, and the focus goes back to the bubble.
    let mut state = ChatState::fresh(true);
    update(&mut state, Msg::Open);
    let fx = update(&mut state, Msg::Escape);
    assert!(!state.open);
    assert_eq!(
        fx,
        vec![
            Effect::Emit(HostEvent::Close),
            Effect::Render,
            Effect::Focus(Focus::Launcher),
        ]
    );
    assert_eq!(update(&mut state, Msg::Escape), vec![], "closed already");
}

#[test]
fn escape_closes_the_list_of_chats_first_and_gives_the_focus_back_to_its_button() {
    let mut state = asked("q");
    update(&mut state, Msg::ToggleThreads);
    assert!(state.threads_open);
    let fx = update(&mut state, Msg::Escape);
    assert!(!state.threads_open);
    assert_eq!(
        fx,
        vec![Effect::Render, Effect::Focus(Focus::ThreadsToggle)]
    );
    assert!(state.is_busy(), "the answer keeps streaming");
    update(&mut state, Msg::Escape);
    assert_eq!(state.exchanges[0].answer.status, AnswerStatus::Stopped);
}

#[test]
fn opening_the_launcher_tells_the_page_and_focuses_the_composer() {
    let mut state = ChatState::fresh(true);
    let fx = update(&mut state, Msg::Toggle);
    assert!(state.open);
    assert_eq!(
        fx,
        vec![
            Effect::Emit(HostEvent::Open),
            Effect::Render,
            Effect::Focus(Focus::Input),
            Effect::ScrollToLatest,
        ]
    );
    assert_eq!(
        update(&mut state, Msg::Open),
        vec![Effect::Focus(Focus::Input)]
    );
    // Inline, `open()` only focuses the composer.
    let mut state = ChatState::fresh(false);
    assert_eq!(
        update(&mut state, Msg::Open),
        vec![Effect::Focus(Focus::Input)]
    );
    assert!(update(&mut state, Msg::Close).is_empty());
    // A launcher that becomes inline is closed.
    let mut state = ChatState::fresh(true);
    update(&mut state, Msg::Open);
    let fx = update(&mut state, Msg::ModeChanged(false));
    assert_eq!(fx, vec![Effect::SyncTopLayer]);
    assert!(!state.open && !state.launcher);
}

#[test]
fn host_send_opens_the_launcher_and_asks() {
    let mut state = ChatState::fresh(true);
    let fx = update(&mut state, Msg::HostSend("hi".into()));
    assert!(state.open);
    assert_eq!(fx[0], Effect::Emit(HostEvent::Open));
    assert!(fx.contains(&Effect::Emit(HostEvent::Question("hi".into()))));
    assert!(matches!(started(&fx)[..], [Request::Chat(_)]));
}

#[test]
fn always_allow_is_a_ticked_box_in_the_state_until_the_decision() {
    let mut state = asked("q");
    stream(
        &mut state,
        vec![
            StreamEvent::ApprovalRequest {
                approval_request_id: "mcpr_1".into(),
                server: "northwind".into(),
                tool: "read_query".into(),
                arguments: "{}".into(),
            },
            done(Some("resp_1")),
        ],
    );
    for on in [true, false, true] {
        update(
            &mut state,
            Msg::AlwaysToggled {
                id: "mcpr_1".into(),
                on,
            },
        );
    }
    assert_eq!(state.always_ticked, vec!["mcpr_1".to_owned()]);
    let fx = update(
        &mut state,
        Msg::Decide {
            id: "mcpr_1".into(),
            approve: true,
        },
    );
    assert_eq!(
        state.always_allowed,
        vec![(
            "https://northwind.example.com/mcp".to_owned(),
            "read_query".to_owned()
        )]
    );
    assert!(state.always_ticked.is_empty());
    assert_eq!(
        fx[..2],
        [Effect::Focus(Focus::KeepInput), Effect::SavePrefs]
    );
    let [Request::Chat(next)] = &started(&fx)[..] else {
        panic!("the continuation: {fx:?}");
    };
    assert_eq!(next.previous_response_id.as_deref(), Some("resp_1"));
    // Deciding again does nothing.
    let fx = update(
        &mut state,
        Msg::Decide {
            id: "mcpr_1".into(),
            approve: false,
        },
    );
    assert_eq!(fx, vec![]);
}

#[test]
fn the_sign_in_watch_checks_one_at_a_time_and_gives_up() {
    let mut state = ChatState::fresh(false);
    assert_eq!(update(&mut state, Msg::SignIn), vec![Effect::WatchSignIn]);
    let fx = update(&mut state, Msg::SignInCheck);
    assert_eq!(started(&fx), vec![Request::Session]);
    assert_eq!(
        update(&mut state, Msg::SignInCheck),
        vec![],
        "one check in flight"
    );
    let id = state.requests.current(Slot::Session).unwrap();
    let fx = update(
        &mut state,
        Msg::SessionChecked(id, Err(error(ErrorCode::Unauthorized))),
    );
    assert_eq!(fx, vec![], "still signed out");
    let mut stopped = 0;
    for _ in 0..SIGN_IN_CHECKS {
        let fx = update(&mut state, Msg::SignInCheck);
        stopped += fx.iter().filter(|e| **e == Effect::StopSignInWatch).count();
        state.requests.cancel(Slot::Session);
    }
    assert_eq!(stopped, 1, "the watch ends after {SIGN_IN_CHECKS} checks");
    assert_eq!(state.sign_in_checks, None);
}

#[test]
fn a_sign_in_shows_the_list_and_sends_the_refused_question_again_for_the_same_user() {
    let mut state = asked("q");
    state.owner = Some("alice".into());
    let request = chat(&state);
    let fx = update(
        &mut state,
        Msg::ChatRefused {
            request,
            error: error(ErrorCode::Unauthorized),
        },
    );
    assert!(
        fx.contains(&Effect::ForgetStore),
        "a 401 forgets what is stored"
    );
    assert!(crate::update::signed_out(&state));

    update(&mut state, Msg::SignIn);
    update(&mut state, Msg::SignInCheck);
    let id = state.requests.current(Slot::Session).unwrap();
    let fx = update(
        &mut state,
        Msg::SessionChecked(id, Ok(list(&["northwind"]))),
    );
    assert!(fx.contains(&Effect::StopSignInWatch));
    assert_eq!(started(&fx), vec![Request::Me]);
    assert!(matches!(state.servers, Servers::Loaded(_)));
    assert!(state.retry_after_me);

    let id = state.requests.current(Slot::Me).unwrap();
    let fx = update(&mut state, Msg::MeLoaded(id, Ok(user("alice"))));
    assert!(matches!(started(&fx)[..], [Request::Chat(_)]), "{fx:?}");
    assert_eq!(state.exchanges.len(), 1);
    assert!(state.is_busy());
}

#[test]
fn another_user_signing_in_clears_what_was_shown() {
    let mut state = asked("alice's question");
    state.owner = Some("alice".into());
    state.always_allowed.push(("a".into(), "b".into()));
    update(&mut state, Msg::LoadServers);
    let id = state.requests.current(Slot::Me).unwrap();
    let fx = update(&mut state, Msg::MeLoaded(id, Ok(user("bob"))));
    assert!(state.exchanges.is_empty() && state.selected.is_empty());
    assert!(state.always_allowed.is_empty());
    assert_eq!(
        state.requests.current(Slot::Chat),
        None,
        "alice's answer is aborted"
    );
    for effect in [
        Effect::ResetLog,
        Effect::SetDraft(String::new()),
        Effect::ClaimStore("bob".into()),
        Effect::Restore,
    ] {
        assert!(fx.contains(&effect), "{effect:?} in {fx:?}");
    }
    assert!(started(&fx).contains(&Request::Servers));

    // What bob's store kept comes back.
    let fx = update(
        &mut state,
        Msg::Restored(Saved {
            threads: Default::default(),
            exchanges: Vec::new(),
            draft: "bob's draft".into(),
            prefs: Prefs {
                selected: vec!["wiki".into()],
                ..Prefs::default()
            },
        }),
    );
    assert_eq!(fx, vec![Effect::RestoreDraft("bob's draft".into())]);
    assert_eq!(state.selected, vec!["wiki".to_owned()]);
}

#[test]
fn the_first_user_named_restores_and_an_edge_without_me_stores_nothing() {
    let mut state = ChatState::fresh(false);
    update(&mut state, Msg::LoadServers);
    let me = state.requests.current(Slot::Me).unwrap();
    let fx = update(&mut state, Msg::MeLoaded(me, Ok(user("alice"))));
    assert_eq!(
        fx,
        vec![
            Effect::Remember(Some(user("alice"))),
            Effect::ClaimStore("alice".into()),
            Effect::Restore,
            Effect::SavePrefs,
            Effect::SaveComposerDraft,
        ],
        "not ready: the server list is still loading"
    );
    let servers = state.requests.current(Slot::Servers).unwrap();
    let fx = update(&mut state, Msg::ServersLoaded(servers, Ok(list(&[]))));
    assert_eq!(fx, vec![Effect::MarkReady]);

    let mut state = ChatState::fresh(false);
    update(&mut state, Msg::LoadServers);
    let me = state.requests.current(Slot::Me).unwrap();
    let fx = update(
        &mut state,
        Msg::MeLoaded(me, Err(error(ErrorCode::Internal))),
    );
    assert_eq!(fx, vec![Effect::Remember(None), Effect::CloseStore]);
    assert_eq!(state.user, None);
}

#[test]
fn sign_out_forgets_everything_and_offers_the_sign_in() {
    let mut state = asked("q");
    state.user = Some(user("alice"));
    let fx = update(&mut state, Msg::SignOut);
    assert!(fx.contains(&Effect::ForgetStore));
    assert!(state.exchanges.is_empty());
    assert_eq!(state.user, None);
    assert!(crate::update::signed_out(&state));
}

#[test]
fn the_window_focus_reloads_after_connect_and_checks_a_signed_out_session() {
    let mut state = ChatState::fresh(false);
    assert_eq!(update(&mut state, Msg::WindowFocused), vec![]);
    update(&mut state, Msg::Connecting);
    let fx = update(&mut state, Msg::WindowFocused);
    assert_eq!(started(&fx), vec![Request::Servers]);
    assert_eq!(state.servers, Servers::Loading);
    assert_eq!(update(&mut state, Msg::WindowFocused), vec![], "once");

    state.servers = Servers::Failed(error(ErrorCode::Unauthorized));
    let fx = update(&mut state, Msg::WindowFocused);
    assert_eq!(started(&fx), vec![Request::Session]);
}

#[test]
fn a_failed_server_list_tells_the_page() {
    let mut state = ChatState::fresh(false);
    update(&mut state, Msg::LoadServers);
    let id = state.requests.current(Slot::Servers).unwrap();
    let fx = update(
        &mut state,
        Msg::ServersLoaded(id, Err(error(ErrorCode::ProviderUnavailable))),
    );
    assert_eq!(
        fx,
        vec![Effect::Emit(HostEvent::Error {
            error: error(ErrorCode::ProviderUnavailable),
            request_id: None,
        })],
        "not ready: /api/me is in flight"
    );
    // A stale list is dropped.
    let fx = update(&mut state, Msg::ServersLoaded(id, Ok(list(&["x"]))));
    assert_eq!(fx, vec![]);
}

#[test]
fn the_page_going_away_interrupts_the_answer_and_saves_now() {
    let mut state = asked("q");
    stream(&mut state, vec![text("so far")]);
    let fx = update(&mut state, Msg::PageHidden);
    assert_eq!(fx, vec![Effect::SaveChatNow]);
    assert_eq!(state.requests.current(Slot::Chat), None);
    assert_interrupted(&state, "so far");
}

#[test]
fn another_endpoint_starts_over_but_keeps_the_launcher_open() {
    let mut state = asked("q");
    state.launcher = true;
    state.open = true;
    state.models = Some(ModelList {
        models: vec!["a".into()],
        default: "a".into(),
        notice: None,
        hosted_tools: vec![],
    });
    let shown = state.exchanges.clone();
    let fx = update(&mut state, Msg::EndpointChanged);
    assert_eq!(
        fx[..3],
        [
            Effect::SaveChat("t1".into(), shown),
            Effect::CloseStore,
            Effect::ResetLog
        ],
        "the conversation so far is saved where it belongs before the store closes"
    );
    assert_eq!(
        started(&fx),
        vec![Request::Me, Request::Servers, Request::Models]
    );
    assert!(state.exchanges.is_empty() && state.models.is_none());
    assert!(state.launcher && state.open && state.can_disconnect);
}

#[test]
fn new_chat_forgets_the_conversation_and_focuses_the_composer() {
    let mut state = asked("q");
    let shown = state.exchanges.clone();
    let fx = update(&mut state, Msg::NewChat);
    assert_eq!(
        fx,
        vec![
            Effect::SaveChat("t1".into(), shown),
            Effect::Focus(Focus::Input)
        ],
        "the conversation stays, as a thread"
    );
    assert_eq!(state.threads.current, "t2");
    assert!(state.exchanges.is_empty());
    assert_eq!(state.requests.current(Slot::Chat), None);
    assert_eq!(state.selected, Vec::<String>::new());
}

#[test]
fn the_page_hears_how_each_answer_ended_once() {
    let mut state = asked("q");
    let before = last_outcome(&state);
    stream(&mut state, vec![text("a")]);
    assert_eq!(
        announcement(before.clone(), &state),
        None,
        "still streaming"
    );
    stream(
        &mut state,
        vec![
            StreamEvent::Started {
                request_id: "req_1".into(),
            },
            done(None),
        ],
    );
    assert_eq!(
        announcement(before, &state),
        Some(HostEvent::Answer {
            text: "a".into(),
            status: "complete",
            request_id: Some("req_1".into()),
            usage: None,
        })
    );
    assert_eq!(
        announcement(last_outcome(&state), &state),
        None,
        "said once"
    );

    let mut state = asked("q");
    let before = last_outcome(&state);
    stream(
        &mut state,
        vec![StreamEvent::Error(error(ErrorCode::ToolRoundsExceeded))],
    );
    assert_eq!(
        announcement(before, &state),
        Some(HostEvent::Error {
            error: error(ErrorCode::ToolRoundsExceeded),
            request_id: None,
        })
    );
}

#[test]
fn host_send_is_taken_only_with_text_and_no_answer_on_its_way() {
    let state = ChatState::fresh(false);
    assert!(accepts_host_send(&state, "hi"));
    assert!(!accepts_host_send(&state, " \n"));
    assert!(!accepts_host_send(&asked("q"), "hi"));
}

#[test]
fn a_streaming_answer_is_saved_at_most_every_second() {
    let mut state = ChatState::fresh(false);
    assert!(!save_due(&state, true, 0.0), "nothing changed");
    state.unsaved = true;
    assert!(save_due(&state, false, 0.0), "idle: at once");
    let state = asked("q");
    assert!(!save_due(&state, false, 999.0));
    assert!(save_due(&state, false, 1000.0));
    assert!(save_due(&state, true, 0.0), "forced");
}

#[test]
fn the_page_hears_the_answers_usage_and_the_answer_keeps_it() {
    let usage = protocol::Usage {
        input_tokens: 6,
        output_tokens: 9,
        first_token_ms: Some(12),
        total_ms: 40,
        ..protocol::Usage::default()
    };
    let mut state = asked("q");
    let before = last_outcome(&state);
    stream(
        &mut state,
        vec![
            text("a"),
            StreamEvent::Done {
                response_id: None,
                usage: Some(usage),
            },
        ],
    );
    assert_eq!(state.exchanges.last().unwrap().answer.usage, Some(usage));
    match announcement(before, &state) {
        Some(HostEvent::Answer { usage: got, .. }) => assert_eq!(got, Some(usage)),
        other => panic!("{other:?}"),
    }
}

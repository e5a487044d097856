//! The MCP Apps bridge's rules ([`crate::update::app`]), natively.

use protocol::{ApiError, ErrorCode, StreamEvent};

use crate::app_bridge::{FromApp, MAX_CALLS_IN_FLIGHT, MAX_HEIGHT, MIN_HEIGHT, ToApp};
use crate::state::{ChatState, Servers, Slot};
use crate::update::{Effect, Msg, update};

const ARGS: &str = r#"{"query":"SELECT 1","title":"One"}"#;

/// A streaming answer whose `chart_query` call `c1` finished with `[1]`; with its view when
/// `view`.
fn answered(view: bool) -> ChatState {
    let mut state = ChatState::fresh(false);
    state.servers = Servers::Loaded(Vec::new());
    update(&mut state, Msg::Send("chart it".into()));
    let request = state.requests.current(Slot::Chat).unwrap();
    let mut events = vec![
        StreamEvent::ToolCallStarted {
            call_id: "c1".into(),
            server: "northwind".into(),
            tool: "chart_query".into(),
        },
        StreamEvent::ToolCallArgumentsDelta {
            call_id: "c1".into(),
            delta: ARGS.into(),
        },
        StreamEvent::ToolCallResult {
            call_id: "c1".into(),
            output: "[1]".into(),
            parts: Vec::new(),
        },
    ];
    if view {
        events.push(StreamEvent::AppView {
            call_id: "c1".into(),
            uri: "ui://northwind/chart".into(),
            handle: "sealed".into(),
        });
    }
    update(&mut state, Msg::StreamEvents { request, events });
    state
}

fn from_app(state: &mut ChatState, message: FromApp) -> Vec<Effect> {
    update(state, Msg::FromApp("c1".into(), message))
}

fn to_app(effects: &[Effect]) -> Vec<ToApp> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::ToApp(call, message) if call == "c1" => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn frame(state: &ChatState) -> &crate::state::app::AppFrame {
    state.exchanges[0].answer.tool_calls[0]
        .app
        .as_deref()
        .unwrap()
}

#[test]
fn a_view_is_initialized_then_gets_the_input_and_the_result() {
    let mut state = answered(true);
    let fx = from_app(&mut state, FromApp::Initialize("1".into()));
    assert_eq!(to_app(&fx), [ToApp::Initialized("1".into())]);
    let fx = from_app(&mut state, FromApp::Initialized);
    assert_eq!(
        to_app(&fx),
        [
            ToApp::ToolInput(ARGS.into()),
            ToApp::ToolResult("[1]".into())
        ]
    );
    let fx = from_app(&mut state, FromApp::Ping("\"p\"".into()));
    assert_eq!(to_app(&fx), [ToApp::Reply("\"p\"".into(), "{}".into())]);
    let fx = from_app(&mut state, FromApp::Other("2".into()));
    assert!(matches!(&to_app(&fx)[..], [ToApp::Error(id, -32601, _)] if id == "2"));
    assert!(from_app(&mut state, FromApp::Ignored).is_empty());
}

#[test]
fn a_call_without_a_view_hears_nothing() {
    let mut state = answered(false);
    assert!(from_app(&mut state, FromApp::Initialize("1".into())).is_empty());
    let fx = update(
        &mut state,
        Msg::FromApp("elsewhere".into(), FromApp::Ping("1".into())),
    );
    assert!(fx.is_empty());
}

#[test]
fn size_changes_stay_within_bounds() {
    let mut state = answered(true);
    from_app(&mut state, FromApp::SizeChanged(300));
    assert_eq!(frame(&state).height, 300);
    from_app(&mut state, FromApp::SizeChanged(100_000));
    assert_eq!(frame(&state).height, MAX_HEIGHT);
    from_app(&mut state, FromApp::SizeChanged(0));
    assert_eq!(frame(&state).height, MIN_HEIGHT);
}

#[test]
fn tool_calls_go_to_the_edge_with_the_handle_and_are_bounded() {
    let mut state = answered(true);
    let call = |id: &str| FromApp::ToolCall {
        id: id.into(),
        name: "chart_query".into(),
        arguments: r#"{"query":"SELECT 2"}"#.into(),
    };
    let fx = from_app(&mut state, call("1"));
    assert_eq!(
        fx,
        [Effect::AppToolCall {
            call_id: "c1".into(),
            id: "1".into(),
            handle: "sealed".into(),
            name: "chart_query".into(),
            arguments: r#"{"query":"SELECT 2"}"#.into(),
        }]
    );
    for i in 1..MAX_CALLS_IN_FLIGHT {
        assert_eq!(from_app(&mut state, call(&format!("x{i}"))).len(), 1);
    }
    // One too many in flight: refused without reaching the edge.
    let fx = from_app(&mut state, call("9"));
    assert!(matches!(&to_app(&fx)[..], [ToApp::Error(id, -32000, _)] if id == "9"));

    let fx = update(
        &mut state,
        Msg::AppToolDone {
            call_id: "c1".into(),
            id: "1".into(),
            result: Ok(r#"{"content":[]}"#.into()),
        },
    );
    assert_eq!(
        to_app(&fx),
        [ToApp::Reply("1".into(), r#"{"content":[]}"#.into())]
    );
    // A slot is free again; the edge's refusal reaches the view by its code.
    assert!(matches!(
        from_app(&mut state, call("3"))[..],
        [Effect::AppToolCall { .. }]
    ));
    let refused = ApiError {
        code: ErrorCode::ToolNotAllowed,
        message: "no".into(),
        retryable: false,
    };
    let fx = update(
        &mut state,
        Msg::AppToolDone {
            call_id: "c1".into(),
            id: "3".into(),
            result: Err(refused),
        },
    );
    assert_eq!(
        to_app(&fx),
        [ToApp::Error("3".into(), -32000, "tool_not_allowed".into())]
    );
}

#[test]
fn links_open_only_when_the_user_agrees_and_only_http() {
    let mut state = answered(true);
    let link = |id: &str, url: &str| FromApp::OpenLink {
        id: id.into(),
        url: url.into(),
    };
    let fx = from_app(&mut state, link("1", "javascript:alert(1)"));
    assert!(matches!(&to_app(&fx)[..], [ToApp::Error(_, -32602, _)]));
    assert!(from_app(&mut state, link("2", "https://example.com/x")).is_empty());
    assert_eq!(
        frame(&state).link,
        Some(("2".into(), "https://example.com/x".into()))
    );
    // One question at a time.
    let fx = from_app(&mut state, link("3", "https://example.com/y"));
    assert!(matches!(&to_app(&fx)[..], [ToApp::Error(id, -32000, _)] if id == "3"));

    let fx = update(
        &mut state,
        Msg::AppLink {
            call_id: "c1".into(),
            open: true,
        },
    );
    assert_eq!(
        fx,
        [
            Effect::OpenLink("https://example.com/x".into()),
            Effect::ToApp("c1".into(), ToApp::Reply("2".into(), "{}".into())),
        ]
    );
    assert_eq!(frame(&state).link, None);
    from_app(&mut state, link("4", "https://example.com/z"));
    let fx = update(
        &mut state,
        Msg::AppLink {
            call_id: "c1".into(),
            open: false,
        },
    );
    assert_eq!(
        to_app(&fx),
        [ToApp::Reply("4".into(), r#"{"isError":true}"#.into())]
    );
    assert!(!fx.iter().any(|e| matches!(e, Effect::OpenLink(_))));
}

#[test]
fn a_view_comes_only_for_a_finished_call_once() {
    let mut state = answered(false);
    let request = state.requests.current(Slot::Chat).unwrap();
    let view = |call_id: &str, handle: &str| StreamEvent::AppView {
        call_id: call_id.into(),
        uri: "ui://x/v".into(),
        handle: handle.into(),
    };
    let events = vec![
        view("unknown", "x"),
        StreamEvent::ToolCallStarted {
            call_id: "c2".into(),
            server: "northwind".into(),
            tool: "chart_query".into(),
        },
        view("c2", "running"),
        view("c1", "first"),
        view("c1", "second"),
    ];
    update(&mut state, Msg::StreamEvents { request, events });
    let calls = &state.exchanges[0].answer.tool_calls;
    assert_eq!(calls[0].app.as_ref().unwrap().handle, "first");
    assert!(calls[1].app.is_none());
}

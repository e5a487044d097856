//! The rules of [`crate::update::edit`]: edit, regenerate, copy.

use protocol::Role;

use crate::state::tests::{done, text};
use crate::state::{AnswerStatus, ChatState, Servers, Slot};
use crate::update::{
    Effect, Focus, HostEvent, Msg, Request, accepts_host_edit, accepts_regenerate, update,
};

/// A chat with `questions` asked and answered ("answer <question>").
fn answered(questions: &[&str]) -> ChatState {
    let mut state = ChatState::fresh(false);
    state.servers = Servers::Loaded(Vec::new());
    for question in questions {
        update(&mut state, Msg::Send((*question).into()));
        let request = state.requests.current(Slot::Chat).unwrap();
        let events = vec![text(&format!("answer {question}")), done(Some("resp"))];
        update(&mut state, Msg::StreamEvents { request, events });
    }
    state
}

/// The chat request `fx` starts, as (role, content) pairs.
fn sent(fx: &[Effect]) -> Vec<(Role, String)> {
    let chats: Vec<_> = fx
        .iter()
        .filter_map(|effect| match effect {
            Effect::Start {
                request: Request::Chat(request),
                ..
            } => Some(request.clone()),
            _ => None,
        })
        .collect();
    let [request] = &chats[..] else {
        panic!("one chat request: {fx:?}");
    };
    assert_eq!(request.previous_response_id, None, "starts fresh");
    request
        .messages
        .iter()
        .map(|turn| (turn.role, turn.content.clone()))
        .collect()
}

fn user(content: &str) -> (Role, String) {
    (Role::User, content.into())
}

fn assistant(content: &str) -> (Role, String) {
    (Role::Assistant, content.into())
}

#[test]
fn edit_puts_the_question_in_the_composer_and_send_replaces_it_and_what_followed() {
    let mut state = answered(&["one", "two", "three"]);
    let fx = update(&mut state, Msg::Edit(1));
    assert_eq!(
        fx,
        vec![Effect::SetDraft("two".into()), Effect::Focus(Focus::Input)]
    );
    assert_eq!(state.editing, Some(1));

    let fx = update(&mut state, Msg::Send("two, edited".into()));
    assert!(fx.contains(&Effect::Emit(HostEvent::Edit {
        index: 1,
        content: "two, edited".into()
    })));
    assert!(fx.contains(&Effect::Emit(HostEvent::Question("two, edited".into()))));
    assert_eq!(
        sent(&fx),
        vec![user("one"), assistant("answer one"), user("two, edited")]
    );
    assert_eq!(state.exchanges.len(), 2, "the answers after it went");
    assert_eq!(state.editing, None);
    assert!(state.is_busy());
    assert!(state.unsaved);
}

#[test]
fn escape_or_cancel_ends_an_edit_and_the_next_send_asks_a_new_question() {
    let mut state = answered(&["one", "two"]);
    update(&mut state, Msg::Edit(0));
    let fx = update(&mut state, Msg::Escape);
    assert!(fx.contains(&Effect::SetDraft(String::new())));
    assert_eq!(state.editing, None);
    update(&mut state, Msg::Edit(0));
    update(&mut state, Msg::CancelEdit);
    assert_eq!(state.editing, None);
    let fx = update(&mut state, Msg::Send("three".into()));
    assert_eq!(sent(&fx).len(), 5, "the whole history and the new question");
    assert_eq!(state.exchanges.len(), 3);
}

#[test]
fn no_edit_or_regenerate_while_an_answer_streams() {
    let mut state = answered(&["one"]);
    update(&mut state, Msg::Send("two".into()));
    assert!(!accepts_regenerate(&state));
    assert!(!accepts_host_edit(&state, 0, "x"));
    assert_eq!(update(&mut state, Msg::Edit(0)), vec![]);
    assert_eq!(update(&mut state, Msg::Regenerate), vec![]);
    assert_eq!(state.editing, None);
    assert_eq!(state.exchanges.len(), 2);
}

#[test]
fn host_edit_replaces_a_question_and_refuses_a_blank_or_missing_one() {
    let mut state = answered(&["one", "two"]);
    assert!(!accepts_host_edit(&state, 2, "x"), "no third question");
    assert!(!accepts_host_edit(&state, 0, "  "));
    assert!(accepts_host_edit(&state, 0, "ONE"));
    let fx = update(
        &mut state,
        Msg::HostEdit {
            index: 0,
            text: "ONE".into(),
        },
    );
    assert_eq!(sent(&fx), vec![user("ONE")]);
    assert_eq!(state.exchanges.len(), 1);
}

#[test]
fn regenerate_asks_the_last_question_again_in_place() {
    let mut state = answered(&["one", "two"]);
    assert!(accepts_regenerate(&state));
    let fx = update(&mut state, Msg::Regenerate);
    assert_eq!(fx[0], Effect::Emit(HostEvent::Regenerate { index: 1 }));
    assert_eq!(
        sent(&fx),
        vec![user("one"), assistant("answer one"), user("two")]
    );
    assert_eq!(state.exchanges.len(), 2);
    assert_eq!(state.exchanges[1].answer.text, "");
    assert_eq!(state.exchanges[1].answer.status, AnswerStatus::Streaming);
    assert!(!accepts_regenerate(&ChatState::fresh(false)));
}

#[test]
fn copy_hands_the_answers_markdown_to_the_clipboard_and_tells_the_page() {
    let mut state = answered(&["one"]);
    state.exchanges[0].answer.text = "# Title\n\n**bold**".into();
    let fx = update(
        &mut state,
        Msg::Copy {
            index: 0,
            host: false,
        },
    );
    assert_eq!(
        fx,
        vec![
            Effect::Copy("# Title\n\n**bold**".into()),
            Effect::Emit(HostEvent::Copy {
                index: 0,
                content: "# Title\n\n**bold**".into()
            }),
        ]
    );
    let none = update(
        &mut state,
        Msg::Copy {
            index: 1,
            host: true,
        },
    );
    assert_eq!(none, vec![], "no such answer");
}

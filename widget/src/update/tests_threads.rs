//! The rules of threads in [`crate::update`]: New chat, switch, rename, delete, restore.

use crate::state::tests::{done, text};
use crate::state::{ChatState, Servers, Slot, Thread, Threads};
use crate::update::{Effect, Msg, Saved, announcement, last_outcome, update};

fn ask(state: &mut ChatState, question: &str) {
    update(state, Msg::Send(question.into()));
    let request = state.requests.current(Slot::Chat).unwrap();
    let events = vec![text("answer"), done(None)];
    update(state, Msg::StreamEvents { request, events });
}

fn titles(state: &ChatState) -> Vec<(&str, &str)> {
    let list = &state.threads.list;
    list.iter()
        .map(|t| (t.id.as_str(), t.title.as_str()))
        .collect()
}

#[test]
fn new_chat_keeps_the_conversation_as_a_thread_and_switching_brings_it_back() {
    let mut state = ChatState::fresh(false);
    state.servers = Servers::Loaded(Vec::new());
    ask(&mut state, "first");
    update(&mut state, Msg::NewChat);
    ask(&mut state, "second");
    assert_eq!(titles(&state), [("t2", "second"), ("t1", "first")]);

    let shown = state.exchanges.clone();
    let before = last_outcome(&state);
    let fx = update(&mut state, Msg::SwitchThread("t1".into()));
    assert_eq!(
        fx,
        vec![
            Effect::SaveChat("t2".into(), shown),
            Effect::ResetLog,
            Effect::LoadThread("t1".into())
        ]
    );
    assert!(state.exchanges.is_empty(), "until the store hands it back");
    let stored = vec![crate::state::Exchange {
        question: "first".into(),
        servers: Vec::new(),
        model: None,
        attachments: Vec::new(),
        hosted: Vec::new(),
        answer: crate::state::Answer {
            text: "stored answer".into(),
            status: crate::state::AnswerStatus::Complete,
            ..Default::default()
        },
    }];
    update(&mut state, Msg::ThreadLoaded("t2".into(), Vec::new()));
    update(&mut state, Msg::ThreadLoaded("t1".into(), stored.clone()));
    assert_eq!(state.exchanges, stored);
    assert_eq!(
        announcement(before, &state),
        None,
        "an answer of another thread did not just end"
    );
    assert!(state.unsaved, "the current thread is saved");
    assert_eq!(update(&mut state, Msg::SwitchThread("t1".into())), vec![]);
    assert_eq!(update(&mut state, Msg::SwitchThread("t9".into())), vec![]);
}

#[test]
fn regenerating_in_an_older_thread_moves_it_to_the_top() {
    let mut state = ChatState::fresh(false);
    ask(&mut state, "first");
    let first = state.exchanges.clone();
    update(&mut state, Msg::NewChat);
    ask(&mut state, "second");
    update(&mut state, Msg::SwitchThread("t1".into()));
    update(&mut state, Msg::ThreadLoaded("t1".into(), first));
    assert_eq!(titles(&state), [("t2", "second"), ("t1", "first")]);
    update(&mut state, Msg::Regenerate);
    assert!(state.is_busy());
    assert_eq!(titles(&state), [("t1", "first"), ("t2", "second")]);
}

#[test]
fn switching_mid_answer_stops_it_first() {
    let mut state = ChatState::fresh(false);
    ask(&mut state, "first");
    update(&mut state, Msg::NewChat);
    update(&mut state, Msg::Send("second".into()));
    assert!(state.is_busy());
    update(&mut state, Msg::SwitchThread("t1".into()));
    assert_eq!(state.requests.current(Slot::Chat), None, "aborted");
    assert_eq!(state.threads.current, "t1");
}

#[test]
fn rename_and_delete_change_the_list_and_the_store() {
    let mut state = ChatState::fresh(false);
    ask(&mut state, "first");
    update(&mut state, Msg::NewChat);
    ask(&mut state, "second");
    state.unsaved = false;
    update(
        &mut state,
        Msg::RenameThread {
            id: "t1".into(),
            title: "Sales".into(),
        },
    );
    assert_eq!(titles(&state), [("t2", "second"), ("t1", "Sales")]);
    assert!(state.unsaved);
    let fx = update(&mut state, Msg::DeleteThread("t1".into()));
    assert_eq!(fx, vec![Effect::DropThread("t1".into())]);
    assert_eq!(state.exchanges.len(), 1, "the shown thread stays");
    let fx = update(&mut state, Msg::DeleteThread("t2".into()));
    assert_eq!(fx, vec![Effect::DropThread("t2".into()), Effect::ResetLog]);
    assert!(state.exchanges.is_empty());
    assert!(state.threads.list.is_empty());
}

#[test]
fn restore_brings_the_threads_back_and_a_question_asked_before_gets_its_own() {
    let saved = Saved {
        threads: Threads {
            list: vec![Thread {
                id: "t4".into(),
                title: "old".into(),
            }],
            current: "t4".into(),
        },
        ..Saved::default()
    };
    let mut state = ChatState::fresh(false);
    update(&mut state, Msg::Restored(saved.clone()));
    assert_eq!(state.threads, saved.threads);

    let mut state = ChatState::fresh(false);
    update(&mut state, Msg::Send("early".into()));
    update(&mut state, Msg::Restored(saved));
    assert_eq!(titles(&state), [("t5", "early"), ("t4", "old")]);
    assert_eq!(state.threads.current, "t5");
}

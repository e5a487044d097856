//! The rules of the log's window: only the newest exchanges are shown until the user asks for
//! earlier ones ([`crate::state::ChatState::first_shown`]).

use crate::state::tests::{done, text};
use crate::state::{ChatState, EARLIER_PAGE, SHOWN_EXCHANGES, Servers, Slot};
use crate::update::{Effect, Focus, Msg, update};

/// A chat with `n` questions asked and answered.
fn answered(n: usize) -> ChatState {
    let mut state = ChatState::fresh(false);
    state.servers = Servers::Loaded(Vec::new());
    for i in 0..n {
        update(&mut state, Msg::Send(format!("question {i}")));
        let request = state.requests.current(Slot::Chat).unwrap();
        let events = vec![text(&format!("answer {i}")), done(Some("resp"))];
        update(&mut state, Msg::StreamEvents { request, events });
    }
    state
}

#[test]
fn a_short_conversation_is_shown_whole() {
    assert_eq!(answered(0).first_shown(), 0);
    assert_eq!(answered(SHOWN_EXCHANGES).first_shown(), 0);
}

#[test]
fn a_long_conversation_shows_its_newest_exchanges_only() {
    let state = answered(30);
    assert_eq!(state.first_shown(), 30 - SHOWN_EXCHANGES);
    assert_eq!(state.exchanges.len(), 30, "the hidden ones are still there");
}

#[test]
fn show_earlier_shows_a_page_more_and_then_the_rest() {
    let mut state = answered(SHOWN_EXCHANGES + EARLIER_PAGE + 3);
    let fx = update(&mut state, Msg::ShowEarlier);
    assert_eq!(state.first_shown(), 3);
    assert!(
        !fx.contains(&Effect::Focus(Focus::Log)),
        "the button stays: the focus stays on it"
    );
    let fx = update(&mut state, Msg::ShowEarlier);
    assert_eq!(state.first_shown(), 0);
    assert!(
        fx.contains(&Effect::Focus(Focus::Log)),
        "the button went away: the focus goes to the log, not to the page"
    );
    update(&mut state, Msg::ShowEarlier);
    assert_eq!(state.first_shown(), 0, "nothing earlier: nothing changes");
}

#[test]
fn a_new_question_shows_the_newest_exchanges_only_again() {
    let mut state = answered(20);
    update(&mut state, Msg::ShowEarlier);
    assert!(state.first_shown() < 20 - SHOWN_EXCHANGES);
    update(&mut state, Msg::Send("one more".into()));
    assert_eq!(state.first_shown(), 21 - SHOWN_EXCHANGES);
}

#[test]
fn another_conversation_starts_with_its_newest_exchanges() {
    let mut state = answered(20);
    update(&mut state, Msg::ShowEarlier);
    update(&mut state, Msg::NewChat);
    assert_eq!((state.exchanges.len(), state.earlier_shown), (0, 0));
}

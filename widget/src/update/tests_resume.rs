//! The rules of [`crate::update::resume`]: a broken-off answer continues where it can.

use protocol::{ErrorCode, StreamEvent};

use super::resume::{FIRST_DELAY_MS, MAX_RESUMES};
use super::tests::{asked, assert_interrupted, chat, started, stream};
use crate::state::tests::{done, error, text};
use crate::state::{AnswerStatus, ChatState};
use crate::update::{Effect, Msg, Request, update};

/// An answer that said "Hel" in a resumable stream, whose last mark was `3`, then broke off.
fn broken() -> (ChatState, Vec<Effect>) {
    let mut state = asked("Hi?");
    let handle = StreamEvent::Resumable {
        handle: "v1.sealed".into(),
    };
    stream(&mut state, vec![handle, text("Hel")]);
    let request = chat(&state);
    let fx = update(
        &mut state,
        Msg::StreamBroken {
            request,
            cursor: Some(3),
        },
    );
    (state, fx)
}

/// The resume the effects start: (handle, after).
fn resumed(fx: &[Effect]) -> (String, u64) {
    let [Request::Chat(request)] = &started(fx)[..] else {
        panic!("one chat request: {fx:?}");
    };
    let resume = request.resume.clone().expect("a resume");
    assert_eq!(request.messages.last().unwrap().content, "Hi?");
    (resume.handle, resume.after)
}

#[test]
fn a_broken_resumable_stream_waits_then_continues_the_same_answer_in_place() {
    let (mut state, fx) = broken();
    assert_eq!(fx, [Effect::ResumeLater(FIRST_DELAY_MS)]);
    assert!(state.is_busy(), "the answer is still coming");
    let fx = update(&mut state, Msg::ResumeNow);
    assert_eq!(resumed(&fx), ("v1.sealed".into(), 3));
    // The resumed stream goes on in the same answer.
    stream(&mut state, vec![text("lo"), done(None)]);
    let answer = &state.exchanges.last().unwrap().answer;
    assert_eq!(
        (answer.text.as_str(), &answer.status),
        ("Hello", &AnswerStatus::Complete)
    );
    assert_eq!(state.exchanges.len(), 1);
}

#[test]
fn coming_back_online_resumes_at_once_and_only_once() {
    let (mut state, _) = broken();
    let fx = update(&mut state, Msg::Online);
    assert_eq!(resumed(&fx).1, 3);
    // The timer that fires later finds the resume on its way.
    assert!(started(&update(&mut state, Msg::ResumeNow)).is_empty());
    assert!(started(&update(&mut state, Msg::Online)).is_empty());
}

#[test]
fn tries_are_bounded_and_back_off() {
    let (mut state, mut fx) = broken();
    let mut delays = Vec::new();
    while let [Effect::ResumeLater(ms)] = fx[..] {
        delays.push(ms);
        update(&mut state, Msg::ResumeNow);
        let request = chat(&state);
        // The edge cannot be reached this time either.
        let refused = Msg::ChatRefused {
            request,
            error: error(ErrorCode::NetworkError, true),
        };
        fx = update(&mut state, refused);
    }
    assert_eq!(delays.len(), usize::from(MAX_RESUMES));
    assert!(delays.windows(2).all(|w| w[1] == 2 * w[0]), "{delays:?}");
    assert_interrupted(&state, "Hel");
    assert!(
        fx.iter().all(|e| !matches!(e, Effect::RestoreDraft(_))),
        "{fx:?}"
    );
}

#[test]
fn a_refused_resume_ends_as_interrupted_keeping_the_text() {
    let (mut state, _) = broken();
    update(&mut state, Msg::ResumeNow);
    let request = chat(&state);
    let expired = error(ErrorCode::InvalidContinuation, false);
    let fx = update(
        &mut state,
        Msg::ChatRefused {
            request,
            error: expired,
        },
    );
    assert_interrupted(&state, "Hel");
    assert!(fx.is_empty(), "no draft handed back: {fx:?}");
    // Retry asks anew, as for any interrupted answer.
    let fx = update(&mut state, Msg::Retry);
    let [Request::Chat(request)] = &started(&fx)[..] else {
        panic!("{fx:?}")
    };
    assert_eq!(request.resume, None);
}

#[test]
fn answers_that_cannot_resume_are_interrupted_as_before() {
    // No handle (Chat Completions, edge tool mode, background mode off).
    let mut state = asked("Hi?");
    stream(&mut state, vec![text("Hel")]);
    let request = chat(&state);
    let fx = update(
        &mut state,
        Msg::StreamBroken {
            request,
            cursor: None,
        },
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert_interrupted(&state, "Hel");
    // A handle but no mark kept yet.
    let mut state = asked("Hi?");
    let handle = StreamEvent::Resumable { handle: "h".into() };
    stream(&mut state, vec![handle]);
    let request = chat(&state);
    let cursor = None;
    update(&mut state, Msg::StreamBroken { request, cursor });
    assert_interrupted(&state, "");
}

#[test]
fn stop_cancels_a_resumable_answer_at_the_provider() {
    let mut state = asked("Hi?");
    let handle = StreamEvent::Resumable { handle: "h".into() };
    stream(&mut state, vec![handle, text("Hel")]);
    let fx = update(&mut state, Msg::Stop);
    assert!(fx.contains(&Effect::CancelAnswer("h".into())), "{fx:?}");
    // Nothing to cancel when the answer cannot be resumed, or has ended.
    let mut state = asked("Hi?");
    stream(&mut state, vec![text("Hel")]);
    let fx = update(&mut state, Msg::Stop);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::CancelAnswer(_))),
        "{fx:?}"
    );
}

#[test]
fn stop_while_waiting_ends_the_answer_and_nothing_resumes() {
    let (mut state, _) = broken();
    let fx = update(&mut state, Msg::Stop);
    assert!(
        fx.contains(&Effect::CancelAnswer("v1.sealed".into())),
        "{fx:?}"
    );
    assert_eq!(
        state.exchanges.last().unwrap().answer.status,
        AnswerStatus::Stopped
    );
    assert!(started(&update(&mut state, Msg::ResumeNow)).is_empty());
    assert!(started(&update(&mut state, Msg::Online)).is_empty());
}

//! The resume rules, natively: handles sealed to their user and servers, the setting failing
//! closed, and streams cut at every byte resumed with nothing repeated or lost.

use protocol::{Groups, ResumeFrom, Role, Turn};

use super::*;
use crate::config::of;
use crate::incoming::identity::Identity;

const NOW: u64 = 1_800_000_000;
const SEAL: &str = "a test seal secret of 32 bytes..";
const SECRET: &str = "secret-token-1";

fn config(background: &str) -> Config {
    of(&[("seal_secret", SEAL), ("background_answers", background)])
}

fn sealer(subject: &str, now: u64) -> Sealer {
    let identity = Identity {
        subject: subject.into(),
        email: None,
        name: None,
    };
    Sealer::new(&config("on"), &identity, now).unwrap()
}

fn chat(servers: &[&str], handle: &str, after: u64) -> ChatRequest {
    ChatRequest {
        messages: vec![Turn {
            role: Role::User,
            content: "go".into(),
            attachments: vec![],
        }],
        servers: servers.iter().map(|s| (*s).to_owned()).collect(),
        model: None,
        previous_response_id: None,
        approvals: vec![],
        elicitation: None,
        hosted_tools: vec![],
        resume: Some(ResumeFrom {
            handle: handle.into(),
            after,
        }),
    }
}

/// The handle of `resp_7` for servers `b, a`, sealed to user-1 at `NOW`.
fn handle() -> String {
    Handle::new("resp_7", &["b".into(), "a".into()])
        .seal(&sealer("user-1", NOW))
        .unwrap()
}

/// Opens `chat`'s handle as `subject` at `now`, then checks it.
fn opened(mut chat: ChatRequest, subject: &str, now: u64) -> Result<Option<Point>, EdgeError> {
    sealer(subject, now).open_request(&mut chat)?;
    point(&config("on"), Runner::Provider, &chat)
}

#[test]
fn a_handle_opens_for_its_user_and_servers_only() {
    let ok = opened(chat(&["a", "b"], &handle(), 4), "user-1", NOW + 60).unwrap();
    assert_eq!(
        ok,
        Some(Point {
            handle: Handle::new("resp_7", &["a".into(), "b".into()]),
            after: 4
        })
    );
    let code = |res: Result<Option<Point>, EdgeError>| res.map_err(|e| e.code()).err();
    let refused = Some(protocol::ErrorCode::InvalidContinuation);
    // Another user's handle, another server set, an altered or expired handle.
    assert_eq!(
        code(opened(chat(&["a", "b"], &handle(), 4), "user-2", NOW)),
        refused
    );
    assert_eq!(
        code(opened(chat(&["a"], &handle(), 4), "user-1", NOW)),
        refused
    );
    let tampered = handle().replacen("v1.", "v1.e", 1);
    assert_eq!(
        code(opened(chat(&["a", "b"], &tampered, 4), "user-1", NOW)),
        refused
    );
    let late = NOW + RESUME_TTL_SECS + 1;
    assert_eq!(
        code(opened(chat(&["a", "b"], &handle(), 4), "user-1", late)),
        refused
    );
    // A response id sealed as something else does not open as a handle.
    let done = sealer("user-1", NOW).seal_event(StreamEvent::Done {
        response_id: Some("resp_7".into()),
        usage: None,
    });
    let StreamEvent::Done {
        response_id: Some(other_use),
        ..
    } = done
    else {
        panic!("{done:?}")
    };
    assert_eq!(
        code(opened(chat(&["a", "b"], &other_use, 4), "user-1", NOW)),
        refused
    );
}

#[test]
fn only_hosted_background_answers_resume() {
    let mut request = chat(&["a", "b"], &handle(), 4);
    sealer("user-1", NOW).open_request(&mut request).unwrap();
    let code = |config: &Config, runner| point(config, runner, &request).unwrap_err().code();
    let refused = protocol::ErrorCode::InvalidContinuation;
    assert_eq!(code(&config("on"), Runner::Edge), refused);
    assert_eq!(code(&config("off"), Runner::Provider), refused);
    let new = ChatRequest {
        resume: None,
        ..request.clone()
    };
    assert_eq!(point(&config("off"), Runner::Provider, &new).unwrap(), None);
}

#[test]
fn the_setting_fails_closed() {
    assert!(config("on").background_answers);
    assert!(
        !of(&[("seal_secret", SEAL)]).background_answers,
        "off by default"
    );
    for bad in ["yes", "true", "1"] {
        let c = config(bad);
        assert!(!c.background_answers, "{bad:?}");
        assert!(
            c.problems
                .iter()
                .any(|p| p.starts_with("background_answers")),
            "{bad:?}"
        );
    }
}

#[test]
fn a_handle_names_a_plain_provider_id() {
    for bad in [r#"{"r":"../x","s":[]}"#, r#"{"r":"","s":[]}"#, "nope"] {
        assert!(Handle::opened(bad).is_err(), "{bad}");
    }
    assert_eq!(
        resume_url(&of(&[("openai_base_url", "http://p/v1")]), "resp_7", 12),
        "http://p/v1/responses/resp_7?stream=true&starting_after=12"
    );
}

/// A provider stream of a background answer: `response.created`, then text deltas (some end in
/// what may begin the secret, so the scrubber holds text back across events), the secret split
/// over two deltas, and `response.completed`; each event numbered.
fn provider_events() -> Vec<String> {
    let mut events = vec![
        serde_json::json!({"type":"response.created","response":{"id":"resp_7","status":"in_progress"}}),
        serde_json::json!({"type":"response.in_progress","response":{"id":"resp_7"}}),
    ];
    for delta in [
        "Hello",
        " this is s",
        "ecret",
        " and s",
        "ecret-to",
        "ken-1 is hidden",
        ".",
        " Bye s",
    ] {
        events.push(serde_json::json!({"type":"response.output_text.delta","delta":delta}));
    }
    events.push(serde_json::json!({"type":"response.completed","response":{"id":"resp_7"}}));
    events
        .into_iter()
        .enumerate()
        .map(|(n, mut e)| {
            e["sequence_number"] = n.into();
            format!("data: {e}\n\n")
        })
        .collect()
}

const UNCUT: &str = "Hello this is secret and [redacted] is hidden. Bye s";

fn relay(point: Option<&Point>) -> Relay {
    let sealer = sealer("user-1", NOW);
    let relay = Relay::new(vec![SECRET.into()], 1 << 20).sealed_by(sealer.clone());
    relay_for(&config("on"), relay, point, &sealer, &["a".into()])
}

/// What the widget keeps of `sse`: the text, the last mark, the handle.
fn kept(sse: &str, groups: &mut Groups) -> (String, Option<String>) {
    let mut text = String::new();
    let mut handle = None;
    for frame in sse::Decoder::default().push(sse.as_bytes()) {
        let event = StreamEvent::from_frame(&frame).ok();
        for event in groups.push(&frame, event) {
            match event {
                StreamEvent::TextDelta { delta } => text.push_str(&delta),
                StreamEvent::Resumable { handle: h } => handle = Some(h),
                _ => {}
            }
        }
    }
    (text, handle)
}

/// The whole widget stream of `relay` fed `events`.
fn relayed(relay: &mut Relay, events: &[String]) -> String {
    let mut out: String = events
        .iter()
        .map(|e| relay.on_chunk(e.as_bytes()))
        .collect();
    out.push_str(&relay.finish(false));
    out
}

#[test]
fn a_stream_cut_at_any_byte_resumes_with_nothing_repeated_or_lost() {
    let events = provider_events();
    let whole = relayed(&mut relay(None), &events);
    let (text, handle) = kept(&whole, &mut Groups::default());
    assert_eq!(text, UNCUT);
    let handle = handle.expect("a background answer hands out a handle");
    assert!(
        !whole.contains(SECRET) && !whole.contains("resp_7"),
        "{whole}"
    );
    let mut resumed_somewhere = 0;
    for cut in 0..whole.len() {
        let mut groups = Groups::default();
        let (before, _) = kept(&whole[..cut], &mut groups);
        let Some(after) = groups.cursor() else {
            continue;
        };
        resumed_somewhere += 1;
        let mut request = chat(&["a"], &handle, after);
        sealer("user-1", NOW).open_request(&mut request).unwrap();
        let point = point(&config("on"), Runner::Provider, &request)
            .unwrap()
            .unwrap();
        // The provider replays the events after the mark.
        let rest = relayed(&mut relay(Some(&point)), &events[after as usize + 1..]);
        let (rest_text, _) = kept(&rest, &mut Groups::after(after));
        assert_eq!(
            format!("{before}{rest_text}"),
            UNCUT,
            "cut at {cut}, after {after}"
        );
    }
    assert!(resumed_somewhere > whole.len() / 2, "{resumed_somewhere}");
}

#[test]
fn the_edge_resumes_a_broken_provider_stream_once_itself() {
    let events = provider_events();
    for cut in 2..events.len() - 1 {
        let mut relay = relay(None);
        let mut out: String = events[..cut]
            .iter()
            .map(|e| relay.on_chunk(e.as_bytes()))
            .collect();
        assert_eq!(
            relay.finish(true),
            "",
            "cut {cut}: the break is not the end yet"
        );
        let (id, _) = relay.resume().expect("resumable");
        assert_eq!(id, "resp_7");
        // The replay breaks again right away: now the answer ends as interrupted.
        out.push_str(&relay.finish(true));
        assert_eq!(relay.resume(), None);
        assert!(relay.finished(), "cut {cut}");
        let (text, _) = kept(&out, &mut Groups::default());
        assert!(UNCUT.starts_with(&text), "cut {cut}: {text:?}");
        assert!(out.contains("stream_interrupted"), "{out}");

        let mut relay = self::relay(None);
        let mut out: String = events[..cut]
            .iter()
            .map(|e| relay.on_chunk(e.as_bytes()))
            .collect();
        relay.finish(true);
        let (_, after) = relay.resume().unwrap();
        out.push_str(&relayed(&mut relay, &events[after as usize + 1..]));
        let (text, _) = kept(&out, &mut Groups::default());
        assert_eq!(text, UNCUT, "cut {cut}");
    }
}

#[test]
fn without_background_mode_nothing_is_marked() {
    let sealer = sealer("user-1", NOW);
    let plain = relay_for(
        &config("off"),
        Relay::new(vec![SECRET.into()], 1 << 20),
        None,
        &sealer,
        &[],
    );
    let out = relayed(&mut { plain }, &provider_events());
    assert!(!out.contains("id:") && !out.contains("resumable"), "{out}");
}

#[test]
fn output_that_stays_unmarked_too_long_stops_the_marks() {
    // Every delta ends in "s", a possible start of the secret: no point is ever clean.
    let mut relay = relay(None);
    let mut out = relay.on_chunk(provider_events()[0].as_bytes());
    let delta = format!("{} s", "x".repeat(1000));
    for n in 1..100 {
        let e = serde_json::json!({"type":"response.output_text.delta","delta":delta,"sequence_number":n});
        out.push_str(&relay.on_chunk(format!("data: {e}\n\n").as_bytes()));
    }
    assert!(out.contains("id: none\n"), "the marks stop");
    let mut groups = Groups::default();
    let (text, _) = kept(&out, &mut groups);
    assert_eq!(groups.cursor(), None);
    assert!(text.len() > MAX_UNMARKED_BYTES, "what waited went out");
    relay.finish(true);
    assert_eq!(relay.resume(), None, "no resuming without marks");
}

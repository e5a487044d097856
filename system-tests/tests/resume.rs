//! Resuming a dropped answer through the real edge (`background_answers = on`, hosted mode):
//! a provider-side drop that the edge resumes itself, a client cut at many points resumed from
//! the widget's mark with the sealed handle (the final text equals the uncut answer exactly),
//! and the hostile cases: another user's handle, a tampered one, a mark past the end, a resume
//! where background answers are off; Stop's cancel reaches the provider for the handle's user
//! only.

use edge::seal::Purpose;
use futures_util::StreamExt;
use protocol::{ErrorCode, Groups, StreamEvent, sse};
use serde_json::{Value, json};
use testkit::pomerium::User;
use testkit::provider::{FakeProvider, ModelOptions, Script};

use crate::support::{assert_error, client, northwind_chain, opened};
use crate::tool_mode::{QUESTION, text_of};

const BACKGROUND: [(&str, &str); 2] = [("TOOL_MODE", "hosted"), ("BACKGROUND_ANSWERS", "on")];

fn question() -> Value {
    json!({"messages":[{"role":"user","content":QUESTION}],"servers":["northwind"]})
}

fn fast() -> Script {
    Script::Model(ModelOptions {
        delta_delay: std::time::Duration::from_millis(5),
        ..ModelOptions::default()
    })
}

/// What a widget keeps of a stream read up to `limit` bytes (then cut): the events shown, and
/// the last mark.
async fn read_until(
    res: reqwest::Response,
    limit: usize,
    after: Option<u64>,
) -> anyhow::Result<(Vec<StreamEvent>, Option<u64>)> {
    anyhow::ensure!(res.status() == 200, "status {}", res.status());
    let mut groups = after.map_or_else(Groups::default, Groups::after);
    let mut decoder = sse::Decoder::default();
    let mut body = res.bytes_stream();
    let mut read = 0;
    let mut events = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let take = chunk.len().min(limit - read);
        read += take;
        for frame in decoder.push(&chunk[..take]) {
            let event = StreamEvent::from_frame(&frame).ok();
            events.extend(groups.push(&frame, event));
        }
        if read == limit {
            // The connection is cut here: what waits for a mark is lost.
            return Ok((events, groups.cursor()));
        }
    }
    events.extend(groups.finish());
    Ok((events, groups.cursor()))
}

fn handle_of(events: &[StreamEvent]) -> Option<String> {
    events.iter().find_map(|e| match e {
        StreamEvent::Resumable { handle } => Some(handle.clone()),
        _ => None,
    })
}

async fn post(url: &str, body: &Value) -> anyhow::Result<reqwest::Response> {
    Ok(client().post(url).json(body).send().await?)
}

#[tokio::test]
async fn a_provider_side_drop_is_resumed_by_the_edge_and_a_cut_client_resumes_from_its_mark()
-> anyhow::Result<()> {
    let provider = FakeProvider::start(fast()).await?;
    let chain = northwind_chain(&provider, "resume", &BACKGROUND).await?;
    let url = format!("{}/api/chat", chain.pomerium.base_url());

    // The uncut answer, for reference.
    let (whole, _) = read_until(post(&url, &question()).await?, usize::MAX, None).await?;
    assert!(
        matches!(whole.last(), Some(StreamEvent::Done { .. })),
        "{whole:?}"
    );
    let uncut = text_of(&whole);
    assert!(!uncut.is_empty());
    let handle = handle_of(&whole).expect("a background answer hands out a resume handle");
    assert!(
        opened(Purpose::ResumeHandle, &handle).is_some(),
        "sealed to the user"
    );
    let sent = &provider.requests()[0].body;
    assert_eq!(
        (&sent["background"], &sent["store"]),
        (&json!(true), &json!(true))
    );

    // The provider's stream breaks after 14 events: the edge resumes it once, from its mark.
    provider.drop_streams_after(&[14]);
    let (resumed, _) = read_until(post(&url, &question()).await?, usize::MAX, None).await?;
    assert_eq!(text_of(&resumed), uncut, "nothing repeated or lost");
    assert!(matches!(resumed.last(), Some(StreamEvent::Done { .. })));
    let replays = provider.replays();
    assert_eq!(replays.len(), 1, "{replays:?}");
    assert!(
        replays[0].starting_after.is_some_and(|n| n < 14),
        "{replays:?}"
    );

    // A client cut at many points resumes from its mark with the handle.
    let whole_bytes = {
        let res = post(&url, &question()).await?;
        res.bytes().await?.len()
    };
    let mut resumed_cuts = 0;
    for limit in (200..whole_bytes).step_by(whole_bytes / 7) {
        let (kept, cursor) = read_until(post(&url, &question()).await?, limit, None).await?;
        let (Some(handle), Some(after)) = (handle_of(&kept), cursor) else {
            continue;
        };
        let mut again = question();
        again["resume"] = json!({"handle": handle, "after": after});
        let (rest, _) = read_until(post(&url, &again).await?, usize::MAX, Some(after)).await?;
        assert!(
            matches!(rest.last(), Some(StreamEvent::Done { .. })),
            "{rest:?}"
        );
        assert_eq!(
            text_of(&kept) + &text_of(&rest),
            uncut,
            "cut at byte {limit} of {whole_bytes}, after mark {after}"
        );
        resumed_cuts += 1;
    }
    assert!(resumed_cuts >= 4, "{resumed_cuts}");
    Ok(())
}

#[tokio::test]
async fn resume_handles_are_sealed_to_their_user_and_bounded() -> anyhow::Result<()> {
    let provider = FakeProvider::start(fast()).await?;
    let chain = northwind_chain(&provider, "resume_hostile", &BACKGROUND).await?;
    let url = format!("{}/api/chat", chain.pomerium.base_url());
    let (whole, _) = read_until(post(&url, &question()).await?, usize::MAX, None).await?;
    let handle = handle_of(&whole).expect("a handle");
    let resume = |handle: &str, after: u64| {
        let mut body = question();
        body["resume"] = json!({"handle": handle, "after": after});
        body
    };
    let replays = provider.replays().len();

    // Another user's handle, a tampered one, one for other servers: refused before anything.
    chain.pomerium.set_user(User::named("user-2"));
    assert_error(
        post(&url, &resume(&handle, 2)).await?,
        403,
        ErrorCode::InvalidContinuation,
    )
    .await?;
    chain.pomerium.set_user(User::default());
    let tampered = resume(&handle.replacen("v1.", "v1.x", 1), 2);
    let mut other_servers = resume(&handle, 2);
    other_servers["servers"] = json!([]);
    let mut with_approvals = resume(&handle, 2);
    with_approvals["approvals"] = json!([{"approval_request_id": "x", "approve": true}]);
    let mut negative = resume(&handle, 2);
    negative["resume"]["after"] = json!(-1);
    let (refused, bad) = (ErrorCode::InvalidContinuation, ErrorCode::BadRequest);
    for (body, status, code) in [
        (tampered, 403, refused),
        (other_servers, 403, refused),
        (with_approvals, 400, bad),
        (negative, 400, bad),
    ] {
        assert_error(post(&url, &body).await?, status, code).await?;
    }
    assert_eq!(
        provider.replays().len(),
        replays,
        "nothing reached the provider"
    );

    // A mark past the end replays nothing: the answer ends as interrupted, with no text.
    let (past, _) = read_until(
        post(&url, &resume(&handle, 1_000_000)).await?,
        usize::MAX,
        Some(1_000_000),
    )
    .await?;
    assert_eq!(text_of(&past), "");
    match past.last() {
        Some(StreamEvent::Error(e)) => assert_eq!(e.code, ErrorCode::StreamInterrupted),
        other => panic!("{other:?}"),
    }
    // Stop: the handle cancels the answer at the provider, for its user only.
    let cancel = format!("{}/api/chat/cancel", chain.pomerium.base_url());
    let body = json!({ "handle": handle });
    chain.pomerium.set_user(User::named("user-2"));
    assert_error(
        post(&cancel, &body).await?,
        403,
        ErrorCode::InvalidContinuation,
    )
    .await?;
    chain.pomerium.set_user(User::default());
    assert!(provider.cancels().is_empty());
    let res = post(&cancel, &body).await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await?, json!({"cancelled": true}));
    let id = opened(Purpose::ResumeHandle, &handle).unwrap();
    assert!(
        id.contains(&provider.cancels()[0]),
        "{id} {:?}",
        provider.cancels()
    );

    // An answer the provider no longer keeps cannot be resumed either.
    provider.forget_background();
    let (gone, _) = read_until(post(&url, &resume(&handle, 2)).await?, usize::MAX, Some(2)).await?;
    assert!(
        matches!(gone.last(), Some(StreamEvent::Error(_))),
        "{gone:?}"
    );
    assert_eq!(text_of(&gone), "");
    Ok(())
}

#[tokio::test]
async fn without_background_answers_nothing_is_kept_or_resumable() -> anyhow::Result<()> {
    let provider = FakeProvider::start(fast()).await?;
    let chain = northwind_chain(&provider, "resume_off", &[("TOOL_MODE", "hosted")]).await?;
    let url = format!("{}/api/chat", chain.pomerium.base_url());
    let (whole, _) = read_until(post(&url, &question()).await?, usize::MAX, None).await?;
    assert_eq!(handle_of(&whole), None);
    let sent = &provider.requests()[0].body;
    assert_eq!(sent.get("background"), None, "{sent}");
    // A handle properly sealed to this user (as a background edge would hand out) is refused
    // all the same: this edge keeps nothing at the provider.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let handle = edge::seal::seal(
        testkit::process::TEST_SEAL_SECRET.as_bytes(),
        Purpose::ResumeHandle,
        &User::default().subject,
        now + 600,
        br#"{"r":"resp_1","s":["northwind"]}"#,
    );
    let mut body = question();
    body["resume"] = json!({"handle": handle, "after": 1});
    assert_error(
        post(&url, &body).await?,
        403,
        ErrorCode::InvalidContinuation,
    )
    .await?;
    let cancel = format!("{}/api/chat/cancel", chain.pomerium.base_url());
    let body = json!({ "handle": handle });
    assert_error(
        post(&cancel, &body).await?,
        403,
        ErrorCode::InvalidContinuation,
    )
    .await?;
    assert!(provider.replays().is_empty() && provider.cancels().is_empty());
    Ok(())
}

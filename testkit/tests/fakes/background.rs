//! The fake provider's background mode: answers kept, replayed after a `sequence_number`, and
//! provider-side drops that end a stream while the answer goes on.

use serde_json::json;
use testkit::provider::{FakeProvider, ModelOptions, Replay, Script};

use crate::fakes::support::{Event, client, read_events};

fn texts(events: &[Event]) -> String {
    events
        .iter()
        .filter(|e| e.kind == "response.output_text.delta")
        .filter_map(|e| e.data["delta"].as_str())
        .collect()
}

fn sequence(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e.data["sequence_number"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_background_answer_is_kept_and_replayed_after_any_event() -> anyhow::Result<()> {
    let provider = FakeProvider::start(Script::Model(ModelOptions {
        delta_delay: std::time::Duration::from_millis(2),
        ..ModelOptions::default()
    }))
    .await?;
    let body = json!({"model":"m","input":[{"role":"user","content":"tell me a story"}],
        "tools":[],"stream":true,"background":true,"store":true});
    // The first stream breaks off after 5 frames; the answer goes on at the provider.
    provider.drop_streams_after(&[5]);
    let url = format!("{}/responses", provider.base_url());
    let first = read_events(client().post(&url).json(&body).send().await?).await?;
    assert_eq!(sequence(&first), [0, 1, 2, 3, 4]);
    let id = first[0].data["response"]["id"].as_str().unwrap().to_owned();
    let replay = |after: u64| {
        let url = format!(
            "{}/responses/{id}?stream=true&starting_after={after}",
            provider.base_url()
        );
        async move { read_events(client().get(url).send().await?).await }
    };
    let rest = replay(4).await?;
    assert_eq!(sequence(&rest)[0], 5);
    assert_eq!(rest.last().unwrap().kind, "response.completed");
    let whole = replay(0).await?;
    assert_eq!(
        texts(&first) + &texts(&rest),
        texts(&whole),
        "nothing repeated or lost"
    );
    assert!(texts(&whole).contains("tell me a story"));
    assert_eq!(
        provider.replays()[0],
        Replay {
            id: id.clone(),
            starting_after: Some(4)
        }
    );
    // Unknown or forgotten answers are not found.
    provider.forget_background();
    let gone = client()
        .get(format!(
            "{}/responses/{id}?stream=true",
            provider.base_url()
        ))
        .send()
        .await?;
    assert_eq!(gone.status(), 404);
    Ok(())
}

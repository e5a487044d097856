//! A dropped connection mid-answer, in Chromium: the page's `fetch` is wrapped so that the next
//! chat response is cut after a chosen number of bytes (the body read is cancelled, which
//! aborts the real connection to the edge, and the widget's reader fails as on a network
//! error). The widget resumes from its mark with the sealed handle (the edge runs
//! `background_answers = on`), and the answer shown equals the uncut answer exactly: same text,
//! same tool cards, nothing repeated or lost. Cut points are spread over the stream with a
//! seeded generator. Stop then cancels a resumable answer at the provider.

use serde_json::{Value, json};

use crate::widget::chain::{Chain, ChainConfig, eventually};

/// Wraps `fetch`: the bytes of the last chat response read so far (`window.__chatBytes`), and the next ones are
/// cut after `window.__cuts.shift()` bytes.
const CUT_CHATS: &str = "if (window.__cuts) return true;
    window.__cuts = []; window.__chatBytes = 0;
    const real = window.fetch;
    window.fetch = async function (request, init) {
      const res = await real.apply(this, arguments);
      if (!String(request && request.url || request).includes('/api/chat') || !res.body) return res;
      const limit = window.__cuts.shift();
      const reader = res.body.getReader();
      let seen = 0, cut = false;
      const body = new ReadableStream({
        async pull(controller) {
          if (cut) { controller.error(new TypeError('network error')); return; }
          const { value, done } = await reader.read();
          if (done) { controller.close(); return; }
          if (limit !== undefined && seen + value.length >= limit) {
            cut = true;
            controller.enqueue(value.slice(0, limit - seen));
            seen = limit;
            await reader.cancel();
            return;
          }
          seen += value.length;
          window.__chatBytes = seen;
          controller.enqueue(value);
        },
      }, { highWaterMark: 0 });
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
    return true;";

/// A small deterministic generator (no dependency).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test]
async fn a_connection_cut_at_random_points_resumes_the_same_answer_exactly() -> anyhow::Result<()> {
    let chain = Chain::start(ChainConfig {
        edge_env: vec![("TOOL_MODE", "hosted"), ("BACKGROUND_ANSWERS", "on")],
        ..ChainConfig::slow_model(10)
    })
    .await?;
    chain
        .run(async |chain| {
            chain.open("/").await?;
            chain.eval(CUT_CHATS, vec![]).await?;
            let question = "What were our sales by year?";
            chain.ask(question, true).await?;
            let uncut = chain.answer(60).await?;
            anyhow::ensure!(uncut["complete"] == "true", "{uncut}");
            let total = chain.eval("return window.__chatBytes;", vec![]).await?;
            let total = total.as_u64().unwrap_or_default();
            anyhow::ensure!(total > 1000, "the uncut stream: {total} bytes");
            let mut rng = Rng(0x5eed_1234_abcd);
            for round in 0..4 {
                // Past the first mark (the handle), anywhere before the end.
                let cut = 400 + rng.below(total - 450);
                let replays = chain.provider.replays().len();
                chain
                    .eval(
                        "window.__cuts.push(arguments[0]); return true;",
                        vec![json!(cut)],
                    )
                    .await?;
                chain.ask(question, true).await?;
                let resumed: Value = chain.answer(60).await?;
                anyhow::ensure!(
                    resumed == uncut,
                    "round {round}, cut at byte {cut} of {total}: {resumed} != {uncut}"
                );
                anyhow::ensure!(
                    chain.provider.replays().len() > replays,
                    "round {round}: the cut at {cut} was not resumed"
                );
            }
            chain.screenshot("resumed-answer").await?;

            // Stop: the provider, which would finish the answer on its own, is told to stop.
            chain
                .ask(&"Tell me everything about our customers. ".repeat(8), false)
                .await?;
            chain.partial_answer().await?;
            chain.click("button[data-role=\"stop\"]").await?;
            let end = chain.answer(10).await?;
            anyhow::ensure!(end["complete"] == "stopped", "not stopped: {end}");
            eventually("the provider to see the cancel", 15, || {
                chain.provider.cancels().len() == 1
            })
            .await?;
            Ok(())
        })
        .await
}

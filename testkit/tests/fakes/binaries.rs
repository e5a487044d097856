//! The `fake-provider` and `fake-pomerium` binaries: their start-up line and that they serve.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::json;

use crate::fakes::support::{DEADLINE, client};

/// A child process killed on drop.
struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(exe: &str, args: &[&str]) -> anyhow::Result<Running> {
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    Ok(Running { child, stdout })
}

/// The next stdout line, read on a blocking thread and bounded by the deadline.
async fn line(running: &mut Running) -> anyhow::Result<String> {
    let stdout = &mut running.stdout;
    let read = async {
        tokio::task::block_in_place(|| {
            let mut line = String::new();
            stdout.read_line(&mut line).map(|_| line)
        })
    };
    let line = tokio::time::timeout(DEADLINE, read).await??;
    Ok(line.trim_end().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_provider_binary_announces_and_serves() -> anyhow::Result<()> {
    let mut provider = run(
        env!("CARGO_BIN_EXE_fake-provider"),
        &["--addr", "127.0.0.1:0"],
    )?;
    let first = line(&mut provider).await?;
    let base = first
        .strip_prefix("fake-provider listening on ")
        .expect("announcement line");
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/v1"),
        "{first}"
    );
    let res = client()
        .post(format!("{base}/responses"))
        .json(&json!({"input": "hi", "stream": true}))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    assert!(res.text().await?.contains("event: response.completed"));
    Ok(())
}

/// `--demo` (what `cargo xtask demo` runs without a key): no echo, the list of questions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_provider_binary_in_demo_mode_lists_its_questions() -> anyhow::Result<()> {
    let mut provider = run(
        env!("CARGO_BIN_EXE_fake-provider"),
        &["--addr", "127.0.0.1:0", "--demo"],
    )?;
    let first = line(&mut provider).await?;
    let base = first
        .strip_prefix("fake-provider listening on ")
        .expect("announcement line");
    let body = json!({"input": "hi", "stream": true,
                      "tools": [{"type": "function", "name": "northwind__read_query"}]});
    let text = client()
        .post(format!("{base}/responses"))
        .json(&body)
        .send()
        .await?
        .text()
        .await?;
    assert!(!text.contains("You said"), "{text}");
    assert!(text.contains("I am the scripted demo model"), "{text}");
    assert!(text.contains("Who are our top customers?"), "{text}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_pomerium_binary_announces_routes_without_tokens() -> anyhow::Result<()> {
    let secret = "ti-never-printed";
    let route = format!(
        "name=Northwind,upstream=http://127.0.0.1:9,addr=127.0.0.1:0,token={secret},description=Orders"
    );
    let mut pomerium = run(
        env!("CARGO_BIN_EXE_fake-pomerium"),
        &[
            "--addr",
            "127.0.0.1:0",
            "--edge",
            "http://127.0.0.1:9",
            "--mcp",
            &route,
        ],
    )?;
    let first = line(&mut pomerium).await?;
    let second = line(&mut pomerium).await?;
    let base = first
        .strip_prefix("fake-pomerium listening on ")
        .expect("announcement line");
    let mcp = second
        .strip_prefix("fake-pomerium mcp route Northwind on ")
        .expect("route line");
    assert!(base.starts_with("http://127.0.0.1:"), "{first}");
    assert!(
        mcp.starts_with("http://127.0.0.1:") && mcp.ends_with("/mcp"),
        "{second}"
    );
    assert!(!first.contains(secret) && !second.contains(secret));

    let res = client()
        .get(format!("{base}/.pomerium/mcp/routes"))
        .send()
        .await?;
    assert_eq!(res.status(), 401);
    let res = client().post(mcp).body("{}").send().await?;
    assert_eq!(res.status(), 401);
    Ok(())
}

//! `fake-provider`: the fake OpenAI Responses API as a process (the `Model` script).
//!
//! Run: `cargo run -p testkit --bin fake-provider -- --addr 127.0.0.1:3010 [--demo]`
//! (`--demo`: the demo model, which answers anything it has no rule for with the list of
//! questions it answers).
//! It prints `fake-provider listening on http://127.0.0.1:3010/v1` and serves until SIGINT or
//! SIGTERM. Tested by `cargo test -p testkit` (the library it wraps).

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use std::io::Write;
    use std::net::SocketAddr;

    let mut addr: SocketAddr = "127.0.0.1:0".parse()?;
    let mut options = testkit::provider::ModelOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => {
                let value = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--addr needs a value"))?;
                addr = value
                    .parse()
                    .map_err(|e| anyhow::anyhow!("bad --addr {value}: {e}"))?;
            }
            "--demo" => options.demo = true,
            other => {
                anyhow::bail!(
                    "unknown argument {other}; usage: fake-provider --addr HOST:PORT [--demo]"
                )
            }
        }
    }
    let provider =
        testkit::provider::FakeProvider::start_at(addr, testkit::provider::Script::Model(options))
            .await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "fake-provider listening on {}", provider.base_url())?;
    stdout.flush()?;
    testkit::serve::shutdown_signal().await;
    Ok(())
}

#[cfg(target_arch = "wasm32")]
fn main() {}

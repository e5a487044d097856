//! `cargo xtask demo`: the whole chain on this machine, with the page at http://127.0.0.1:3000/.
//!
//! | port | process |
//! |---|---|
//! | 3000 | `fake-pomerium` client route: injects a fresh token, serves `/.pomerium/mcp/routes` |
//! | 3001 | the edge, under `spin up` when Spin is installed, else `wasmtime serve` (of the precompiled `edge.cwasm`, see `precompile`) |
//! | 3002 | `northwind-mcp`, which accepts only the internal token |
//! | 3003 | `fake-pomerium` MCP server route in front of northwind-mcp |
//! | 3004 | `fake-provider --demo`: the scripted demo model (without a key, or with `--fake-model`) |
//!
//! The provider comes from `OPENAI_API_KEY` / `OPENAI_BASE_URL` (and `PROVIDER=chat_completions`
//! for Ollama, vLLM, llama.cpp or LM Studio). With neither, or with `--fake-model`, the scripted
//! demo model answers (the testkit's fake provider: a few questions about Northwind, answered
//! with real SQL through the real tools), and the chat says so under its title ([`DEMO_NOTICE`],
//! the edge's `model_notice`). The MCP route is
//! on loopback, out of a hosted provider's reach, so the edge runs the tools itself (tool mode
//! `auto` picks edge mode).
//!
//! The edge's instance pool comes from `deploy/wasmtime-serve.toml` (`wasmtime serve --config`,
//! with connection and request limits of twice the pool) or `deploy/spin-runtime.env` (Spin's
//! environment), as README's commands set it: room for 2,500 open answers (README, "Capacity").
//!
//! `--local` runs without any Pomerium stand-in: the edge itself listens on 3000, lists
//! northwind-mcp from its `mcp_servers` configuration (local mode, loopback only) and calls it
//! directly with its token.

use std::hash::{BuildHasher, Hasher};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::cmd::{self, root};
use crate::{dist, precompile, tools};

/// What the chat shows under its title when the scripted demo model answers.
const DEMO_NOTICE: &str = "demo model: scripted answers; set OPENAI_API_KEY for a real one";

/// Children killed when the demo ends.
struct Children(Vec<(&'static str, Child)>);

impl Drop for Children {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(crate) fn run(flags: &[&str]) -> anyhow::Result<()> {
    let has_provider = ["OPENAI_API_KEY", "OPENAI_BASE_URL"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    let fake_model = flags.contains(&"--fake-model") || !has_provider;
    let local = flags.contains(&"--local");
    // The Spin build of the edge only when `spin up` will run it.
    let spin = tools::spin();
    let dist = dist::build(spin.is_some())?;
    cmd::run(cmd::cargo().args(["build", "-p", "northwind-mcp", "-p", "testkit", "--bins"]))?;
    let bin = |name: &str| dist::target_dir().join("debug").join(name);
    let internal_token = format!(
        "ti_{:016x}",
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    );
    let mut children = Children(Vec::new());

    let db = dist::target_dir().join("northwind.db");
    children.0.push((
        "northwind-mcp",
        Command::new(bin("northwind-mcp"))
            .args([
                "--addr",
                "127.0.0.1:3002",
                "--token",
                &internal_token,
                "--db",
            ])
            .arg(&db)
            .spawn()
            .context("starting northwind-mcp")?,
    ));
    let mut env: Vec<(String, String)> = if local {
        let servers = format!(
            r#"[{{"name":"Northwind","url":"http://127.0.0.1:3002/mcp","description":"The Northwind sales database","token":"{internal_token}"}}]"#
        );
        vec![
            ("POMERIUM_URL".into(), String::new()),
            ("MCP_SERVERS".into(), servers),
            ("TOOL_MODE".into(), "edge".into()),
        ]
    } else {
        children.0.push((
            "fake-pomerium",
            Command::new(bin("fake-pomerium"))
                .args(["--addr", "127.0.0.1:3000", "--edge", "http://127.0.0.1:3001", "--mcp"])
                .arg(format!("name=Northwind,upstream=http://127.0.0.1:3002,addr=127.0.0.1:3003,token={internal_token}"))
                .spawn()
                .context("starting fake-pomerium")?,
        ));
        vec![("POMERIUM_URL".into(), "http://127.0.0.1:3000".into())]
    };
    // The MCP origin the edge calls in edge tool mode (Spin's outbound allow-list).
    let mcp_origin = if local {
        "http://127.0.0.1:3002"
    } else {
        "http://127.0.0.1:3003"
    };
    let edge_addr = if local {
        "127.0.0.1:3000"
    } else {
        "127.0.0.1:3001"
    };
    for name in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_MODEL",
        "CHAT_INSTRUCTIONS",
        "PROVIDER",
        "TOOL_MODE",
        "SEAL_SECRET",
    ] {
        if let Ok(value) = std::env::var(name) {
            env.retain(|(k, _)| k != name);
            env.push((name.into(), value));
        }
    }
    // The key that seals continuations to their user: fresh for each demo run.
    if !env.iter().any(|(k, _)| k == "SEAL_SECRET") {
        env.push(("SEAL_SECRET".into(), fresh_secret()));
    }
    if fake_model {
        children.0.push((
            "fake-provider",
            Command::new(bin("fake-provider"))
                .args(["--addr", "127.0.0.1:3004", "--demo"])
                .spawn()
                .context("starting fake-provider")?,
        ));
        env.retain(|(k, _)| k != "OPENAI_BASE_URL" && k != "OPENAI_API_KEY");
        env.push(("OPENAI_BASE_URL".into(), "http://127.0.0.1:3004/v1".into()));
        env.push(("MODEL_NOTICE".into(), DEMO_NOTICE.into()));
    }

    let edge = match spin {
        Some(spin) => {
            let mut command = Command::new(spin);
            command
                .args(["up", "--listen", edge_addr])
                .arg("--variable")
                .arg(format!("mcp_origin={mcp_origin}"))
                .envs(spin_pool_env()?)
                .current_dir(root());
            // spin.toml declares these as Spin variables; the key is required (empty is fine).
            let mut has_key = false;
            for (k, v) in &env {
                has_key |= k == "OPENAI_API_KEY";
                let variable = k.to_ascii_lowercase();
                command.arg("--variable").arg(format!("{variable}={v}"));
                if variable == "openai_base_url"
                    && let Some(origin) = origin_of(v)
                {
                    command
                        .arg("--variable")
                        .arg(format!("provider_origin={origin}"));
                }
            }
            if !has_key {
                command.arg("--variable").arg("openai_api_key=");
            }
            command
        }
        None => {
            let mut command = Command::new(tools::wasmtime()?);
            command
                .args(["serve", "-S", "cli", "--addr", edge_addr, "--config"])
                .arg(root().join("deploy/wasmtime-serve.toml"))
                .args(["--max-concurrent-connections", "5000"])
                .args(["--max-concurrent-requests", "5000"])
                .arg("--dir")
                .arg(format!("{}::/", dist.dir.display()));
            for (k, v) in &env {
                command.arg("--env").arg(format!("{k}={v}"));
            }
            // The precompiled edge when dist made it from this edge.wasm: no compilation at start.
            match precompile::fresh(&dist.dir)? {
                Some(cwasm) => command.arg("--allow-precompiled").arg(cwasm),
                None => command.arg(&dist.edge_wasm),
            };
            command
        }
    };
    let mut edge = edge;
    children
        .0
        .push(("edge", edge.spawn().context("starting the edge")?));

    let mut ports: Vec<u16> = if local {
        vec![3002, 3000]
    } else {
        vec![3002, 3003, 3001, 3000]
    };
    if fake_model {
        ports.insert(0, 3004);
    }
    for port in ports {
        wait_for_port(port, &mut children)?;
    }
    eprintln!(
        "\nPomerium Chat demo: open http://127.0.0.1:3000/ (inline) or http://127.0.0.1:3000/launcher.html (launcher); Ctrl-C stops everything"
    );
    if local {
        eprintln!(
            "Local mode: no Pomerium; the edge calls northwind-mcp directly and runs the tools itself."
        );
    }
    if fake_model {
        eprintln!(
            "The scripted demo model answers: ask \"What were our sales by year?\", \"Who are our top customers?\", \
             \"What are our best-selling products?\", \"How many orders came from each country?\" or \"Which tables \
             are in the database?\". For a real model set OPENAI_API_KEY=<your key> (OpenAI), or \
             OPENAI_BASE_URL=http://host:port/v1 for an OpenAI-compatible server, and run `cargo xtask demo` again."
        );
    }
    loop {
        for (name, child) in &mut children.0 {
            if let Some(status) = child.try_wait()? {
                bail!("{name} exited ({status}); stopping the demo");
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// 256 random bits as 64 hex digits (`RandomState` draws its keys from the OS).
fn fresh_secret() -> String {
    (0..4)
        .map(|_| {
            let random = std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish();
            format!("{random:016x}")
        })
        .collect()
}

fn wait_for_port(port: u16, children: &mut Children) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        for (name, child) in &mut children.0 {
            if let Some(status) = child.try_wait()? {
                bail!("{name} exited ({status}) before the demo was ready");
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("nothing listens on 127.0.0.1:{port} after 60 s")
}

/// The `KEY=VALUE` lines of `deploy/spin-runtime.env` (Spin's instance pool).
fn spin_pool_env() -> anyhow::Result<Vec<(String, String)>> {
    let path = root().join("deploy/spin-runtime.env");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect())
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<&str> {
    let after_scheme = url.find("://")? + 3;
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    Some(&url[..end])
}

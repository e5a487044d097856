//! Child processes for tests: the edge under `wasmtime serve`, and `northwind-mcp`.
//!
//! Each helper finds its artifact through [`Artifacts`] (set by `cargo xtask test`; a missing
//! artifact is an error that says how to build it, never a skipped test), starts the child on a
//! port the child picks itself, learns the port from the child's first output line, keeps every
//! output line for assertions (token hygiene) and prints them when a test fails, and kills the
//! child when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Where the built artifacts are.
#[derive(Debug, Clone)]
pub struct Artifacts {
    /// `target/dist`: the edge's static root (`site/`, `widget/`).
    pub dist: PathBuf,
    /// The edge component.
    pub edge_wasm: PathBuf,
    /// The `wasmtime` binary.
    pub wasmtime: PathBuf,
    /// The `northwind-mcp` binary.
    pub northwind: PathBuf,
}

impl Artifacts {
    /// Reads the paths `cargo xtask test` exports, falling back to the default build locations;
    /// fails if any is missing.
    pub fn from_env() -> anyhow::Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let path = |var: &str, default: PathBuf| {
            std::env::var_os(var).map(PathBuf::from).unwrap_or(default)
        };
        let artifacts = Self {
            dist: path("PCHAT_DIST", target.join("dist")),
            edge_wasm: path("PCHAT_EDGE_WASM", target.join("dist/edge.wasm")),
            // Where `cargo xtask` installs it (see xtask's `tools`).
            wasmtime: path(
                "WASMTIME",
                std::env::var_os("PCHAT_TOOLS_DIR")
                    .map(PathBuf::from)
                    .or_else(|| {
                        std::env::var_os("HOME")
                            .map(|home| Path::new(&home).join(".cache/pomerium-chat/tools"))
                    })
                    .unwrap_or_else(|| root.join(".tools"))
                    .join("wasmtime/wasmtime_cli/wasmtime"),
            ),
            northwind: path("PCHAT_NORTHWIND_BIN", target.join("debug/northwind-mcp")),
        };
        for (what, file) in [
            ("the edge component", &artifacts.edge_wasm),
            (
                "the widget bundle",
                &artifacts.dist.join("widget/widget_bg.wasm"),
            ),
            ("the demo site", &artifacts.dist.join("site/index.html")),
            ("wasmtime", &artifacts.wasmtime),
            ("northwind-mcp", &artifacts.northwind),
        ] {
            if !file.exists() {
                bail!(
                    "{what} is missing at {}: run the tests with `cargo xtask test`, which builds it",
                    file.display()
                );
            }
        }
        Ok(artifacts)
    }
}

/// A running child with its output kept.
#[derive(Debug)]
pub struct ChildProcess {
    name: String,
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
}

impl ChildProcess {
    /// Starts `command`, and waits until one of its output lines contains `ready_marker`;
    /// returns the child and that line.
    pub fn start(
        name: &str,
        mut command: Command,
        ready_marker: &str,
        timeout: Duration,
    ) -> anyhow::Result<(Self, String)> {
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
        for stream in [stdout, stderr].into_iter().flatten() {
            let output = Arc::clone(&output);
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().expect("output lock").push(line.clone());
                    let _ = tx.send(line);
                }
            });
        }
        drop(tx);
        let mut process = Self {
            name: name.to_owned(),
            child,
            output,
        };
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(ready_marker) => return Ok((process, line)),
                Ok(_) => {}
                Err(_) => {
                    let status = process.child.try_wait().ok().flatten();
                    bail!(
                        "{name} did not print {ready_marker:?} in {timeout:?} (exit: {status:?}); output:\n{}",
                        process.output().join("\n")
                    );
                }
            }
        }
    }

    /// Every line the child printed so far.
    pub fn output(&self) -> Vec<String> {
        self.output.lock().expect("output lock").clone()
    }

    /// The child's process id (for reading `/proc/<pid>/`, e.g. its peak memory).
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- output of {} ---\n{}\n--- end of {} ---",
                self.name,
                self.output().join("\n"),
                self.name
            );
        }
    }
}

/// Finds `http://host:port` in a line such as `Serving HTTP on http://127.0.0.1:1234/`.
fn base_url_in(line: &str) -> anyhow::Result<String> {
    let start = line.find("http://").context("no URL in the ready line")?;
    let url = line[start..].split_whitespace().next().unwrap_or_default();
    let rest = &url["http://".len()..];
    let authority = rest.split('/').next().unwrap_or_default();
    Ok(format!("http://{authority}"))
}

/// The edge component under `wasmtime serve`.
///
/// When dropped at the end of a passing test, it checks everything the component printed (its
/// stdout and stderr) for tokens and keys: the fake Pomerium's tokens start with
/// [`TOKEN_MARKERS`]`[0]` and every test key with `[1]`, so a leak anywhere in the suite fails
/// the test that caused it.
#[derive(Debug)]
pub struct EdgeProcess {
    /// e.g. `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The runtime process.
    pub process: ChildProcess,
}

/// Prefixes of every token and key the edge sees in tests: Pomerium tokens and test API keys.
pub const TOKEN_MARKERS: &[&str] = &["pom_mat_", "sk-test"];

impl Drop for EdgeProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let leaks: Vec<String> = self
            .process
            .output()
            .into_iter()
            .filter(|line| TOKEN_MARKERS.iter().any(|m| line.contains(m)))
            .collect();
        assert!(
            leaks.is_empty(),
            "the edge printed a token or key: {leaks:?}"
        );
    }
}

/// The `wasmtime serve` flags a component file needs: `--allow-precompiled` for a precompiled
/// one (`*.cwasm`, from `wasmtime compile`), which wasmtime refuses to load without it.
pub fn component_flags(component: &Path) -> &'static [&'static str] {
    if component.extension().is_some_and(|ext| ext == "cwasm") {
        &["--allow-precompiled"]
    } else {
        &[]
    }
}

/// The `SEAL_SECRET` every edge a test starts gets, unless the test sets its own.
pub const TEST_SEAL_SECRET: &str = "test-seal-secret-0123456789abcdef0123456789";

/// `env` with `SEAL_SECRET=`[`TEST_SEAL_SECRET`] added unless it sets one (the edge refuses
/// chats without a sealing key).
pub fn with_test_seal_secret<'a>(env: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = env.to_vec();
    if !env.iter().any(|(key, _)| *key == "SEAL_SECRET") {
        env.push(("SEAL_SECRET", TEST_SEAL_SECRET));
    }
    env
}

impl EdgeProcess {
    /// Starts the edge with these environment variables (and [`TEST_SEAL_SECRET`] unless they
    /// set `SEAL_SECRET`), serving `dist` as its static root.
    pub fn start(artifacts: &Artifacts, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_with_runtime(artifacts, &[], env)
    }

    /// The same, with extra `wasmtime serve` options (e.g. `-O pooling-allocator=y`).
    pub fn start_with_runtime(
        artifacts: &Artifacts,
        runtime: &[&str],
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(&artifacts.wasmtime);
        command
            .args(["serve", "-S", "cli"])
            .args(runtime)
            .args(["--addr", "127.0.0.1:0", "--dir"])
            .arg(format!("{}::/", artifacts.dist.display()));
        for (key, value) in with_test_seal_secret(env) {
            command.arg("--env").arg(format!("{key}={value}"));
        }
        command
            .args(component_flags(&artifacts.edge_wasm))
            .arg(&artifacts.edge_wasm);
        let (process, line) = ChildProcess::start(
            "wasmtime serve",
            command,
            "Serving HTTP on",
            Duration::from_secs(60),
        )?;
        Ok(Self {
            base_url: base_url_in(&line)?,
            process,
        })
    }
}

/// The demo MCP server.
#[derive(Debug)]
pub struct NorthwindProcess {
    /// e.g. `http://127.0.0.1:PORT` (the MCP endpoint is `/mcp`).
    pub base_url: String,
    /// The server process.
    pub process: ChildProcess,
}

impl NorthwindProcess {
    /// Starts northwind-mcp on a free port; with `token`, it accepts only that bearer token.
    pub fn start(artifacts: &Artifacts, token: Option<&str>, db: &Path) -> anyhow::Result<Self> {
        let mut command = Command::new(&artifacts.northwind);
        command.args(["--addr", "127.0.0.1:0", "--db"]).arg(db);
        if let Some(token) = token {
            command.args(["--token", token]);
        }
        let (process, line) = ChildProcess::start(
            "northwind-mcp",
            command,
            "listening on",
            Duration::from_secs(60),
        )?;
        Ok(Self {
            base_url: base_url_in(&line)?,
            process,
        })
    }
}

/// A loopback address that was free a moment ago, for a server whose address another process
/// must know before it starts.
///
/// The port comes from below Linux's ephemeral range (32768 and up), so that the many client
/// connections of a load test cannot take it between this call and the bind that follows.
pub fn free_local_addr() -> anyhow::Result<std::net::SocketAddr> {
    use std::hash::{BuildHasher, Hasher};
    for _ in 0..200 {
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let port = 20_000 + (random % 12_000) as u16;
        if let Ok(listener) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            return Ok(listener.local_addr()?);
        }
    }
    anyhow::bail!("no free port between 20000 and 32000")
}

/// A fresh, empty directory for one test.
pub fn scratch_dir(name: &str) -> anyhow::Result<PathBuf> {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("pchat-{}-{name}-{n}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_base_url_in_ready_lines() {
        assert_eq!(
            base_url_in("Serving HTTP on http://127.0.0.1:4321/").unwrap(),
            "http://127.0.0.1:4321"
        );
        assert_eq!(
            base_url_in("northwind-mcp listening on http://127.0.0.1:99/mcp").unwrap(),
            "http://127.0.0.1:99"
        );
        assert!(base_url_in("nothing here").is_err());
    }
}

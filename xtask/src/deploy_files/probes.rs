//! The compose health checks and northwind-mcp's Host allow-list, run for real: the same bash
//! probe the containers run, against the real northwind-mcp server (in-process) and a stand-in
//! for the edge's `/api/health` (200 ready, 503 not); and an MCP `initialize` with the Host
//! header Pomerium forwards.
//!
//! The images (Spin's is Debian without curl, northwind-mcp's is Debian slim) have bash, so the
//! probes speak HTTP over bash's `/dev/tcp`. Only the port differs here: the servers bind port 0.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::deploy_files::compose::Compose;
use crate::deploy_files::test_env;

/// A bash `/dev/tcp` probe of a service: the script, the port and path it asks for.
#[derive(Debug)]
pub(super) struct Probe {
    script: String,
    port: u16,
    path: String,
}

impl Probe {
    /// The probe of `service`, when its health check is a bash `/dev/tcp` request.
    pub(super) fn of(compose: &Compose, service: &str) -> Option<Self> {
        let test = compose
            .services
            .get(service)?
            .pointer("/healthcheck/test")?
            .as_array()?;
        let [cmd, bash, flag, script] = test.as_slice() else {
            return None;
        };
        if (cmd, bash, flag)
            != (
                &Value::from("CMD"),
                &Value::from("bash"),
                &Value::from("-c"),
            )
        {
            return None;
        }
        let script = script.as_str()?.to_owned();
        let port = script.split("/dev/tcp/127.0.0.1/").nth(1)?;
        let port = port
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()?;
        let path = script.split("GET ").nth(1)?.split(' ').next()?.to_owned();
        Some(Self { script, port, path })
    }

    /// Runs the probe against `port` instead of its own; true when it reports healthy.
    fn passes_on(&self, port: u16) -> bool {
        let script = self.script.replace(
            &format!("/dev/tcp/127.0.0.1/{}", self.port),
            &format!("/dev/tcp/127.0.0.1/{port}"),
        );
        let status = Command::new("bash")
            .args(["-c", &script])
            .stderr(Stdio::null())
            .status()
            .expect("bash runs");
        status.success()
    }
}

/// Every bash probe asks the port its service listens on.
pub(super) fn check_probe_ports(compose: &Compose) -> Vec<String> {
    let mut problems = Vec::new();
    for service in compose.services.keys() {
        let Some(probe) = Probe::of(compose, service) else {
            continue;
        };
        match compose.listen_addr(service) {
            Ok(addr) if addr.port() != probe.port => problems.push(format!(
                "{service}'s health check asks port {}, it listens on {}",
                probe.port,
                addr.port()
            )),
            Ok(_) => {}
            Err(e) => problems.push(e),
        }
    }
    problems
}

/// A server answering `status` to `GET <path>` and `404` to anything else, on a free port.
fn stand_in(path: &str, status: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("bound").port();
    let wanted = format!("GET {path} ");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Read the headers too: closing with unread input resets the connection.
            let mut header = String::from("-");
            while !header.trim_end().is_empty() {
                header.clear();
                if reader.read_line(&mut header).unwrap_or(0) == 0 {
                    break;
                }
            }
            let status = if line.starts_with(&wanted) {
                status
            } else {
                "404 Not Found"
            };
            let _ = write!(
                reader.get_mut(),
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n"
            );
        }
    });
    port
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// northwind-mcp running in-process on a free port, configured as compose configures it.
struct Northwind {
    runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<Result<(), northwind_mcp::Error>>>,
    db: PathBuf,
}

impl Northwind {
    fn start(env: &BTreeMap<String, String>, name: &str) -> Self {
        let mut config = match northwind_mcp::Command::parse(Vec::new(), |n| env.get(n).cloned()) {
            Ok(northwind_mcp::Command::Run(config)) => config,
            other => panic!("compose's northwind-mcp settings do not parse: {other:?}"),
        };
        config.db = scratch_db(name);
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let shutdown = CancellationToken::new();
        let app = northwind_mcp::app(&config, shutdown.clone()).expect("northwind-mcp starts");
        let server = runtime.spawn(northwind_mcp::serve(listener, app, shutdown.clone()));
        Self {
            runtime,
            addr,
            shutdown,
            server: Some(server),
            db: config.db,
        }
    }
}

impl Drop for Northwind {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = self.runtime.block_on(server);
        }
        let _ = std::fs::remove_file(&self.db);
    }
}

fn scratch_db(name: &str) -> PathBuf {
    let dir = crate::dist::target_dir().join("deploy-files-tests");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir.join(format!("{name}-{}.db", std::process::id()))
}

/// The status code of an MCP `initialize` sent with `host` as the Host header.
fn initialize_status(addr: SocketAddr, host: &str) -> u16 {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"deploy-files-test","version":"1"}}}"#;
    let mut stream = TcpStream::connect(addr).expect("northwind-mcp accepts");
    write!(
        stream,
        "POST /mcp HTTP/1.1\r\nHost: {host}\r\nAccept: application/json, text/event-stream\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("the request is sent");
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .expect("a status line");
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP status line: {line:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy_files::{assert_fails, assert_ok, broken, read};

    fn compose(text: &str) -> Compose {
        Compose::load(text, &test_env(&read(".env.example"))).expect("compose loads")
    }

    #[test]
    fn every_probe_asks_the_port_its_service_listens_on() {
        let text = read("docker-compose.yaml");
        assert_ok(check_probe_ports(&compose(&text)));
        let wrong = broken(&text, "/dev/tcp/127.0.0.1/8931", "/dev/tcp/127.0.0.1/8080");
        assert_fails(
            check_probe_ports(&compose(&wrong)),
            "asks port 8080, it listens on 8931",
        );
        assert!(Probe::of(&compose(&text), "edge").is_some());
    }

    #[test]
    fn the_northwind_probe_passes_on_the_real_server_and_fails_without_it() {
        let compose = compose(&read("docker-compose.yaml"));
        let probe = Probe::of(&compose, "northwind-mcp").expect("a bash probe");
        assert_eq!(probe.path, "/health");
        let server = Northwind::start(&compose.environment("northwind-mcp"), "probe");
        assert!(probe.passes_on(server.addr.port()), "healthy northwind-mcp");
        drop(server);
        assert!(!probe.passes_on(closed_port()), "nothing listening");
        assert!(
            !probe.passes_on(stand_in("/other", "200 OK")),
            "a 404 is not healthy"
        );
    }

    /// The edge's probe asks `/api/health`, which runs the component (Spin's own
    /// `/.well-known/spin/health` does not), and fails on its 503 "not ready".
    #[test]
    fn the_edge_probe_asks_the_edges_readiness() {
        let text = read("docker-compose.yaml");
        let probe = Probe::of(&compose(&text), "edge").expect("a bash probe");
        assert_eq!(probe.path, "/api/health");
        assert!(probe.passes_on(stand_in("/api/health", "200 OK")));
        assert!(!probe.passes_on(stand_in("/api/health", "503 Service Unavailable")));
        let spins = broken(&text, "GET /api/health", "GET /.well-known/spin/health");
        let probe = Probe::of(&compose(&spins), "edge").unwrap();
        assert!(!probe.passes_on(stand_in("/api/health", "200 OK")));
    }

    #[test]
    fn northwind_accepts_the_host_pomerium_forwards_and_refuses_others() {
        let mut vars = test_env(&read(".env.example"));
        vars.insert("DOMAIN".to_owned(), "example.com".to_owned());
        let compose = Compose::load(&read("docker-compose.yaml"), &vars).unwrap();
        let server = Northwind::start(&compose.environment("northwind-mcp"), "hosts");
        assert_eq!(initialize_status(server.addr, "northwind.example.com"), 200);
        assert_eq!(initialize_status(server.addr, "evil.example.com"), 403);
    }
}

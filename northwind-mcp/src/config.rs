//! Start-up settings: [`Config`], read from flags with environment variables as fallbacks.
//!
//! A flag wins over its variable. The bearer token is never shown: `Config`'s `Debug` output
//! prints `<redacted>` in its place.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The usage text for `--help`.
pub const HELP: &str = "\
northwind-mcp: an MCP server (Streamable HTTP at /mcp) with read-only SQL tools over Northwind

Usage: northwind-mcp [OPTIONS]

Options (each falls back to the environment variable shown):
  --addr IP:PORT        address to listen on [NORTHWIND_ADDR] (default 127.0.0.1:8931)
  --db PATH             SQLite file; built from the embedded script if missing [NORTHWIND_DB]
                        (default: northwind.db in the OS temp folder)
  --token TOKEN         require `Authorization: Bearer TOKEN` on /mcp [NORTHWIND_TOKEN]
                        (prefer the variable: flags show up in process lists)
  --allowed-host HOST   accept this Host header besides loopback; repeatable
                        [NORTHWIND_ALLOWED_HOSTS, comma-separated]
  -h, --help            show this text

Prints `northwind-mcp listening on http://IP:PORT/mcp` once bound. GET /health answers `ok`.
";

/// The default listening address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8931";

/// What the server needs to start.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The SQLite file, built from the embedded script when missing.
    pub db: PathBuf,
    /// When set, `/mcp` requires `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Host names accepted besides loopback (`localhost`, `127.0.0.1`, `::1`).
    pub allowed_hosts: Vec<String>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Start the server.
    Run(Config),
    /// Print [`HELP`] and exit.
    Help,
}

/// Why the command line or environment could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A flag this program does not know.
    #[error("unknown argument {0:?} (see --help)")]
    UnknownArgument(String),
    /// A flag without its value.
    #[error("{0} needs a value (see --help)")]
    MissingValue(String),
    /// An address that is not `IP:PORT`.
    #[error("invalid address {0:?}: expected IP:PORT such as 127.0.0.1:8931")]
    BadAddr(String),
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: DEFAULT_ADDR.parse().expect("default address parses"),
            db: std::env::temp_dir().join("northwind.db"),
            token: None,
            allowed_hosts: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("db", &self.db)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("allowed_hosts", &self.allowed_hosts)
            .finish()
    }
}

impl Command {
    /// Reads this process's arguments and environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(std::env::args().skip(1), |name| std::env::var(name).ok())
    }

    /// Reads `args` (without the program name), falling back to `env` for what they omit.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut flags = Flags::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => {
                    (name.to_owned(), Some(value.to_owned()))
                }
                _ => (arg, None),
            };
            if name == "-h" || name == "--help" {
                return Ok(Self::Help);
            }
            let slot = match name.as_str() {
                "--addr" => &mut flags.addr,
                "--db" => &mut flags.db,
                "--token" => &mut flags.token,
                "--allowed-host" => &mut flags.allowed_host,
                _ => return Err(ConfigError::UnknownArgument(name)),
            };
            let value = inline
                .or_else(|| args.next())
                .ok_or(ConfigError::MissingValue(name))?;
            slot.push(value);
        }
        flags.resolve(env).map(Self::Run)
    }
}

/// Flag values as given; the last one wins, except for the repeatable `--allowed-host`.
#[derive(Default)]
struct Flags {
    addr: Vec<String>,
    db: Vec<String>,
    token: Vec<String>,
    allowed_host: Vec<String>,
}

impl Flags {
    fn resolve(self, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let defaults = Config::default();
        let pick = |given: Vec<String>, var: &str| given.into_iter().last().or_else(|| env(var));
        let addr = match pick(self.addr, "NORTHWIND_ADDR") {
            Some(addr) => addr.parse().map_err(|_| ConfigError::BadAddr(addr))?,
            None => defaults.addr,
        };
        let db = pick(self.db, "NORTHWIND_DB")
            .filter(|db| !db.is_empty())
            .map_or(defaults.db, PathBuf::from);
        // An empty token (say `NORTHWIND_TOKEN=` from an unset compose variable) means none.
        let token = pick(self.token, "NORTHWIND_TOKEN").filter(|token| !token.is_empty());
        let allowed_hosts = match self.allowed_host.is_empty() {
            false => self.allowed_host,
            true => env("NORTHWIND_ALLOWED_HOSTS")
                .map(|hosts| hosts.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
        };
        let allowed_hosts = allowed_hosts
            .into_iter()
            .map(|host| host.trim().to_owned())
            .filter(|host| !host.is_empty())
            .collect();
        Ok(Config {
            addr,
            db,
            token,
            allowed_hosts,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::{Command, Config, ConfigError};

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Command, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Command::parse(args.iter().map(|a| (*a).to_owned()), |name| {
            env.get(name).cloned()
        })
    }

    fn run(args: &[&str], env: &[(&str, &str)]) -> Config {
        match parse(args, env) {
            Ok(Command::Run(config)) => config,
            other => panic!("expected a config, got {other:?}"),
        }
    }

    #[test]
    fn defaults_without_flags_or_variables() {
        let config = run(&[], &[]);
        assert_eq!(config, Config::default());
        assert_eq!(config.addr.to_string(), "127.0.0.1:8931");
        assert_eq!(config.db, std::env::temp_dir().join("northwind.db"));
    }

    #[test]
    fn reads_flags_in_both_spellings() {
        let config = run(
            &[
                "--addr",
                "127.0.0.1:0",
                "--db=/tmp/n.db",
                "--token",
                "t0k",
                "--allowed-host",
                "db-mcp.example.com",
                "--allowed-host=other.example.com",
            ],
            &[],
        );
        assert_eq!(config.addr.to_string(), "127.0.0.1:0");
        assert_eq!(config.db, PathBuf::from("/tmp/n.db"));
        assert_eq!(config.token.as_deref(), Some("t0k"));
        assert_eq!(
            config.allowed_hosts,
            ["db-mcp.example.com", "other.example.com"]
        );
    }

    #[test]
    fn falls_back_to_variables_and_flags_win() {
        let env = [
            ("NORTHWIND_ADDR", "0.0.0.0:9000"),
            ("NORTHWIND_DB", "/data/n.db"),
            ("NORTHWIND_TOKEN", "from-env"),
            ("NORTHWIND_ALLOWED_HOSTS", "a.example.com, b.example.com,"),
        ];
        let config = run(&[], &env);
        assert_eq!(config.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(config.db, PathBuf::from("/data/n.db"));
        assert_eq!(config.token.as_deref(), Some("from-env"));
        assert_eq!(config.allowed_hosts, ["a.example.com", "b.example.com"]);

        let config = run(
            &[
                "--addr",
                "[::1]:1",
                "--token",
                "flag",
                "--allowed-host",
                "c",
            ],
            &env,
        );
        assert_eq!(config.addr.to_string(), "[::1]:1");
        assert_eq!(config.token.as_deref(), Some("flag"));
        assert_eq!(config.allowed_hosts, ["c"]);
    }

    #[test]
    fn an_empty_token_means_no_token() {
        assert_eq!(run(&[], &[("NORTHWIND_TOKEN", "")]).token, None);
    }

    #[test]
    fn reports_bad_input() {
        let bad = |args: &[&str]| parse(args, &[]).unwrap_err().to_string();
        assert_eq!(
            bad(&["--port", "1"]),
            r#"unknown argument "--port" (see --help)"#
        );
        assert_eq!(bad(&["--db"]), "--db needs a value (see --help)");
        assert_eq!(
            bad(&["--addr", "localhost"]),
            r#"invalid address "localhost": expected IP:PORT such as 127.0.0.1:8931"#
        );
        assert_eq!(parse(&["--db", "x", "--help"], &[]), Ok(Command::Help));
    }

    #[test]
    fn debug_output_hides_the_token() {
        let config = run(&["--token", "super-secret-value"], &[]);
        let debug = format!("{config:?}");
        assert!(!debug.contains("super-secret-value"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}

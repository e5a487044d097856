//! The Dockerfiles: a small parser (stages and instructions) and the rules they must meet.
//!
//! Every base image is pinned to a version (or a digest); a Dockerfile that compiles is
//! multi-stage and ships no toolchain; the edge image holds everything spin.toml points at and
//! the wasm-bindgen that Cargo.lock wants; the build context leaves `target/` and `.env` out.

use serde_json::Value;

/// A parsed Dockerfile.
#[derive(Debug)]
pub(super) struct Dockerfile {
    /// The stages in order; the last one is the default target.
    pub(super) stages: Vec<Stage>,
}

/// One `FROM ... [AS name]` and the instructions after it.
#[derive(Debug)]
pub(super) struct Stage {
    /// The image or earlier stage it starts from.
    pub(super) base: String,
    /// Its `AS` name.
    pub(super) name: Option<String>,
    /// `(KEYWORD, arguments)`, continuation lines joined.
    pub(super) instructions: Vec<(String, String)>,
}

impl Dockerfile {
    /// Parses a Dockerfile's text.
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let mut stages: Vec<Stage> = Vec::new();
        for (keyword, args) in instructions(text) {
            if keyword == "FROM" {
                let words: Vec<&str> = args
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let (base, name) = match words.as_slice() {
                    [base] => (base.to_string(), None),
                    [base, as_, name] if as_.eq_ignore_ascii_case("as") => {
                        (base.to_string(), Some(name.to_string()))
                    }
                    _ => return Err(format!("cannot read FROM {args}")),
                };
                stages.push(Stage {
                    base,
                    name,
                    instructions: Vec::new(),
                });
            } else if let Some(stage) = stages.last_mut() {
                stage.instructions.push((keyword, args));
            } else if keyword != "ARG" {
                return Err(format!("{keyword} before the first FROM"));
            }
        }
        if stages.is_empty() {
            return Err("no FROM".to_owned());
        }
        Ok(Self { stages })
    }

    /// The stage a build with `target` produces: that name, or the last stage.
    pub(super) fn target(&self, target: Option<&str>) -> Option<&Stage> {
        match target {
            Some(name) => self.stages.iter().find(|s| s.name.as_deref() == Some(name)),
            None => self.stages.last(),
        }
    }

    fn is_stage_name(&self, name: &str) -> bool {
        self.stages.iter().any(|s| s.name.as_deref() == Some(name))
    }
}

impl Stage {
    /// The arguments of every instruction with this keyword.
    pub(super) fn all(&self, keyword: &str) -> impl Iterator<Item = &str> {
        self.instructions
            .iter()
            .filter(move |(k, _)| k == keyword)
            .map(|(_, args)| args.as_str())
    }

    /// The last `CMD`, as the JSON list it must be (exec form).
    pub(super) fn cmd(&self) -> Option<Vec<String>> {
        let args = self.all("CMD").last()?;
        serde_json::from_str(args).ok()
    }

    /// The `ENV` settings of this stage, `KEY=VALUE` pairs only.
    pub(super) fn env(&self) -> Vec<(String, String)> {
        self.all("ENV")
            .flat_map(str::split_whitespace)
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
            .collect()
    }

    /// The port numbers of `EXPOSE`.
    pub(super) fn exposed(&self) -> Vec<u16> {
        self.all("EXPOSE")
            .flat_map(str::split_whitespace)
            .filter_map(|p| p.split('/').next()?.parse().ok())
            .collect()
    }

    fn runs_cargo(&self) -> bool {
        self.all("RUN").any(|run| run.contains("cargo "))
    }
}

/// Instructions as `(KEYWORD, arguments)`: comments dropped, `\` continuations joined.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (keyword, args) = current
                    .split_once(char::is_whitespace)
                    .unwrap_or((&current, ""));
                out.push((keyword.to_ascii_uppercase(), args.trim().to_owned()));
                current.clear();
            }
        }
    }
    out
}

/// Checks that an image reference names a version: a tag with `major.minor` (not `latest`), or a
/// digest.
pub(super) fn check_pinned(image: &str) -> Result<(), String> {
    if image.contains("@sha256:") {
        return Ok(());
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    let Some((_, tag)) = last.split_once(':') else {
        return Err(format!("{image} has no tag: pin a version"));
    };
    let has_version = tag
        .trim_start_matches('v')
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()
        .is_some_and(|v| v.split('.').filter(|p| !p.is_empty()).count() >= 2);
    if tag == "latest" || !has_version {
        return Err(format!(
            "{image}: the tag names no version (want e.g. 1.2 or v1.2.3)"
        ));
    }
    Ok(())
}

/// The rules every Dockerfile meets: bases pinned; a build stage (one that runs cargo) never the
/// stage that ships, and the shipping stages copy from it.
pub(super) fn check_dockerfile(text: &str) -> Vec<String> {
    let dockerfile = match Dockerfile::parse(text) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    for stage in &dockerfile.stages {
        if !dockerfile.is_stage_name(&stage.base)
            && let Err(e) = check_pinned(&stage.base)
        {
            problems.push(e);
        }
    }
    let builds = dockerfile.stages.iter().any(Stage::runs_cargo);
    let last = dockerfile.stages.last().expect("parse ensures a stage");
    if builds && (last.runs_cargo() || last.base.starts_with("rust:")) {
        problems.push("the last stage builds: ship from a slim stage (multi-stage)".to_owned());
    }
    for stage in &dockerfile.stages {
        let ships = !stage.runs_cargo() && !stage.base.starts_with("rust:");
        if builds && ships && !stage.all("COPY").any(|c| c.starts_with("--from=")) {
            problems.push(format!(
                "stage {:?} copies nothing from the build stage",
                stage.name
            ));
        }
    }
    problems
}

/// The rules of deploy/edge.Dockerfile: its `edge` stage runs `spin up` on all interfaces with
/// every file spin.toml names, and the build installs the wasm-bindgen that Cargo.lock wants.
pub(super) fn check_edge_dockerfile(
    text: &str,
    spin_manifest: &Value,
    wasm_bindgen_version: &str,
) -> Vec<String> {
    let dockerfile = match Dockerfile::parse(text) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let Some(edge) = dockerfile.target(Some("edge")) else {
        return vec!["no stage named edge".to_owned()];
    };
    if edge.name.as_deref() != dockerfile.stages.last().and_then(|s| s.name.as_deref()) {
        problems.push("edge is not the last (default) stage".to_owned());
    }
    match edge_listen_port(edge) {
        Ok(port) if !edge.exposed().contains(&port) => {
            problems.push(format!("the edge listens on {port} but does not EXPOSE it"));
        }
        Ok(_) => {}
        Err(e) => problems.push(e),
    }
    let copied: Vec<String> = edge
        .all("COPY")
        .filter_map(|args| args.split_whitespace().last())
        .map(|dest| {
            dest.trim_start_matches("./")
                .trim_end_matches('/')
                .to_owned()
        })
        .collect();
    for path in spin_manifest_paths(spin_manifest) {
        let covered = copied.iter().any(|dest| {
            !dest.is_empty() && (path == *dest || path.starts_with(&format!("{dest}/")))
        }) || (path == "spin.toml" && copied.iter().any(String::is_empty));
        if !covered {
            problems.push(format!(
                "the edge image lacks {path}, which spin.toml names"
            ));
        }
    }
    let arg = dockerfile
        .stages
        .iter()
        .flat_map(|s| s.all("ARG"))
        .find_map(|a| a.strip_prefix("WASM_BINDGEN_VERSION="));
    if arg != Some(wasm_bindgen_version) {
        problems.push(format!(
            "WASM_BINDGEN_VERSION is {arg:?}, Cargo.lock has wasm-bindgen {wasm_bindgen_version}"
        ));
    }
    problems
}

/// The port of `spin up --listen HOST:PORT` in the stage's CMD; the host must be all interfaces.
pub(super) fn edge_listen_port(stage: &Stage) -> Result<u16, String> {
    let cmd = stage.cmd().ok_or("the edge stage has no exec-form CMD")?;
    listen_port_in(&cmd)
}

/// The port of `--listen HOST:PORT` in a `spin up` argument list.
pub(super) fn listen_port_in(args: &[String]) -> Result<u16, String> {
    if args.first().map(String::as_str) != Some("up") {
        return Err(format!("the edge command is not `spin up`: {args:?}"));
    }
    let listen = args
        .iter()
        .position(|a| a == "--listen")
        .and_then(|i| args.get(i + 1))
        .ok_or("`spin up` without --listen listens on 127.0.0.1 only")?;
    let (host, port) = listen
        .rsplit_once(':')
        .ok_or_else(|| format!("--listen {listen}"))?;
    if host != "0.0.0.0" {
        return Err(format!(
            "--listen {listen}: other containers cannot reach {host}"
        ));
    }
    port.parse().map_err(|_| format!("--listen {listen}"))
}

/// The paths (relative to spin.toml) of every component source and `files` entry.
fn spin_manifest_paths(manifest: &Value) -> Vec<String> {
    let mut paths = vec!["spin.toml".to_owned()];
    let components = manifest.get("component").and_then(Value::as_object);
    for component in components.into_iter().flat_map(|c| c.values()) {
        if let Some(source) = component.get("source").and_then(Value::as_str) {
            paths.push(source.to_owned());
        }
        for file in component
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let source = file.as_str().or_else(|| file.get("source")?.as_str());
            if let Some(source) = source {
                paths.push(source.trim_end_matches('/').to_owned());
            }
        }
    }
    paths
}

/// The build context's ignore list must keep build outputs and secrets out of every image.
pub(super) fn check_dockerignore(text: &str) -> Vec<String> {
    let entries: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.trim_start_matches('/').trim_end_matches('/'))
        .collect();
    ["target", ".env", ".git"]
        .into_iter()
        .filter(|needed| !entries.contains(needed))
        .map(|needed| format!(".dockerignore does not exclude {needed}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy_files::yaml::toml_document;
    use crate::deploy_files::{assert_fails, assert_ok, broken, read};

    const DOCKERFILES: [&str; 2] = ["deploy/edge.Dockerfile", "northwind-mcp/Dockerfile"];

    fn edge_rules(text: &str, spin_toml: &str) -> Vec<String> {
        let manifest = toml_document(spin_toml).expect("spin.toml parses");
        let version = crate::tools::wasm_bindgen_version().expect("Cargo.lock names wasm-bindgen");
        check_edge_dockerfile(text, &manifest, &version)
    }

    #[test]
    fn parses_stages_continuations_and_comments() {
        let d = Dockerfile::parse(
            "ARG X=1\nFROM a:1.2 AS b\n# c\nRUN x \\\n  && y\nFROM --platform=p b\nCMD [\"up\"]\n",
        )
        .unwrap();
        assert_eq!(d.stages.len(), 2);
        assert_eq!(d.stages[0].name.as_deref(), Some("b"));
        assert_eq!(
            d.stages[0].instructions,
            [("RUN".to_owned(), "x  && y".to_owned())]
        );
        assert_eq!(d.stages[1].base, "b");
        assert_eq!(d.target(None).unwrap().cmd(), Some(vec!["up".to_owned()]));
        assert!(Dockerfile::parse("RUN x\n").is_err());
    }

    #[test]
    fn pinned_means_a_version_or_a_digest() {
        for good in [
            "rust:1.95.0-slim-bookworm",
            "debian:12.12-slim",
            "ghcr.io/spinframework/spin:v3.6.3",
            "postgres:17.6-alpine",
            "nginx@sha256:0123",
            "localhost:5000/x:1.2",
        ] {
            assert_eq!(check_pinned(good), Ok(()), "{good}");
        }
        for bad in [
            "rust",
            "debian:bookworm-slim",
            "nginx:latest",
            "pomerium/pomerium:v1",
            "localhost:5000/x",
        ] {
            assert!(check_pinned(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_dockerfile_pins_its_bases_and_ships_from_a_slim_stage() {
        for path in DOCKERFILES {
            let text = read(path);
            assert_ok(check_dockerfile(&text));
            let unpinned = text.replacen(
                &Dockerfile::parse(&text).unwrap().stages[0].base,
                "rust:slim",
                1,
            );
            assert_fails(check_dockerfile(&unpinned), "rust:slim");
        }
        let northwind = read("northwind-mcp/Dockerfile");
        let single_stage = broken(&northwind, "FROM debian:12.12-slim\n", "");
        assert_fails(check_dockerfile(&single_stage), "the last stage builds");
        let no_copy = broken(&northwind, "COPY --from=build", "COPY");
        assert_fails(check_dockerfile(&no_copy), "copies nothing");
    }

    #[test]
    fn the_edge_image_holds_what_spin_toml_names() {
        let text = read("deploy/edge.Dockerfile");
        let spin_toml = read("spin.toml");
        assert_ok(edge_rules(&text, &spin_toml));
        let no_dist = broken(&text, "COPY --from=build /src/target/dist target/dist", "");
        assert_fails(edge_rules(&no_dist, &spin_toml), "lacks target/dist");
        let no_manifest = broken(&text, "COPY spin.toml ./", "");
        assert_fails(edge_rules(&no_manifest, &spin_toml), "lacks spin.toml");
        let moved = broken(
            &spin_toml,
            "\"target/dist/edge-spin.wasm",
            "\"build/edge-spin.wasm",
        );
        assert_fails(edge_rules(&text, &moved), "lacks build/edge-spin.wasm");
    }

    #[test]
    fn the_edge_listens_on_all_interfaces_and_exposes_its_port() {
        let text = read("deploy/edge.Dockerfile");
        let spin_toml = read("spin.toml");
        let loopback = broken(&text, "\"0.0.0.0:3000\"", "\"127.0.0.1:3000\"");
        assert_fails(edge_rules(&loopback, &spin_toml), "cannot reach 127.0.0.1");
        let default_listen = broken(&text, "\"--listen\", \"0.0.0.0:3000\", ", "");
        assert_fails(edge_rules(&default_listen, &spin_toml), "without --listen");
        let unexposed = broken(&text, "EXPOSE 3000", "EXPOSE 3001");
        assert_fails(edge_rules(&unexposed, &spin_toml), "does not EXPOSE");
    }

    #[test]
    fn the_edge_build_installs_the_locked_wasm_bindgen() {
        let text = read("deploy/edge.Dockerfile");
        let spin_toml = read("spin.toml");
        let version = crate::tools::wasm_bindgen_version().unwrap();
        let old = broken(
            &text,
            &format!("WASM_BINDGEN_VERSION={version}"),
            "WASM_BINDGEN_VERSION=0.2.99",
        );
        assert_fails(edge_rules(&old, &spin_toml), "Cargo.lock has wasm-bindgen");
    }

    #[test]
    fn the_build_toolchain_is_not_older_than_the_workspace_needs() {
        let workspace = toml_document(&read("Cargo.toml")).unwrap();
        let wanted = workspace["workspace"]["package"]["rust-version"]
            .as_str()
            .expect("the workspace sets rust-version");
        let version = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap()).collect() };
        for path in DOCKERFILES {
            let dockerfile = Dockerfile::parse(&read(path)).unwrap();
            let rust = dockerfile
                .stages
                .iter()
                .find_map(|s| s.base.strip_prefix("rust:"))
                .unwrap_or_else(|| panic!("{path} builds in a rust image"));
            let rust = rust.split('-').next().unwrap();
            assert!(
                version(rust) >= version(wanted),
                "{path}: rust {rust} < {wanted}"
            );
        }
    }

    #[test]
    fn the_build_context_leaves_outputs_and_secrets_out() {
        let text = read(".dockerignore");
        assert_ok(check_dockerignore(&text));
        assert_fails(
            check_dockerignore(&broken(&text, "\n.env\n", "\n")),
            "exclude .env",
        );
        assert_fails(
            check_dockerignore(&broken(&text, "\ntarget\n", "\n")),
            "exclude target",
        );
    }
}

//! The instance-pool rule (README, "Capacity") in every file that sizes a runtime's pool:
//! `deploy/wasmtime-serve.toml` (README's `wasmtime serve`, `cargo xtask demo`),
//! `deploy/spin-runtime.env` (`spin up`, and compose's `env_file`), the SpinKube Deployment's
//! environment, and README's statement of the rule.
//!
//! The rule: every open answer holds one instance of the edge for its whole stream, and one
//! instance is [`PER_ANSWER`]; with A the open answers one process should hold ([`OPEN_ANSWERS`],
//! one value for every deployment), each pool total is A times the per-answer need, each
//! instance's linear memory is capped at [`MAX_INSTANCE_MEMORY`], and README states what the
//! pool reserves. Spin sizes its pool from its environment (Spin v3.6.3 `crates/core/src/lib.rs`,
//! [`spin_pool`]); `wasmtime serve` from its `--config` file.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::deploy_files::yaml::toml_document;

/// What one open answer holds of a pool: the edge's component has 3 core instances (its module
/// and the two small modules wit-component adds), 1 linear memory, 2 tables, and runs on 1 async
/// stack (read from the built components with `wasm-tools print`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pool {
    pub(super) component_instances: u64,
    pub(super) core_instances: u64,
    pub(super) memories: u64,
    pub(super) tables: u64,
    pub(super) stacks: u64,
}

pub(super) const PER_ANSWER: Pool = Pool {
    component_instances: 1,
    core_instances: 3,
    memories: 1,
    tables: 2,
    stacks: 1,
};

/// A: the open answers one runtime process (or SpinKube replica) holds.
pub(super) const OPEN_ANSWERS: u64 = 2_500;

/// Issue 17: every documented deployment holds at least this many open answers.
const GOAL: u64 = 2_000;

/// The cap on each instance's linear memory, in bytes (64 MiB).
pub(super) const MAX_INSTANCE_MEMORY: u64 = 64 << 20;

/// The keep-resident sizes, as Spin's variable and `wasmtime serve`'s option: both 0, so a freed
/// instance's pages go back to the kernel. Spin's defaults (2 MiB per memory, 512 KiB per table)
/// kept about 1.2 MiB resident per open answer in the capacity bench; 0 keeps about 0.19 MiB.
const KEEP_RESIDENT: [(&str, &str); 2] = [
    (
        "SPIN_WASMTIME_LINEAR_MEMORY_KEEP_RESIDENT",
        "pooling-memory-keep-resident",
    ),
    (
        "SPIN_WASMTIME_TABLE_KEEP_RESIDENT",
        "pooling-table-keep-resident",
    ),
];

impl Pool {
    /// The pool for `answers` open answers.
    pub(super) fn for_answers(answers: u64) -> Self {
        Self {
            component_instances: PER_ANSWER.component_instances * answers,
            core_instances: PER_ANSWER.core_instances * answers,
            memories: PER_ANSWER.memories * answers,
            tables: PER_ANSWER.tables * answers,
            stacks: PER_ANSWER.stacks * answers,
        }
    }

    /// How many open answers this pool holds: its scarcest resource decides.
    pub(super) fn answers(&self) -> u64 {
        [
            self.component_instances / PER_ANSWER.component_instances,
            self.core_instances / PER_ANSWER.core_instances,
            self.memories / PER_ANSWER.memories,
            self.tables / PER_ANSWER.tables,
            self.stacks / PER_ANSWER.stacks,
        ]
        .into_iter()
        .min()
        .unwrap_or(0)
    }
}

/// `deploy/wasmtime-serve.toml`: the pooling allocator on, each total exactly the rule's for A,
/// and the memory cap.
pub(super) fn check_wasmtime_serve(text: &str) -> Vec<String> {
    let config = match toml_document(text) {
        Ok(config) => config,
        Err(e) => return vec![format!("wasmtime-serve.toml: {e}")],
    };
    let optimize = &config["optimize"];
    let number = |key: &str| optimize.get(key).and_then(Value::as_u64);
    let mut problems = Vec::new();
    if optimize.get("pooling-allocator") != Some(&Value::Bool(true)) {
        problems.push("wasmtime-serve.toml: pooling-allocator must be true".to_owned());
    }
    let want = Pool::for_answers(OPEN_ANSWERS);
    for (key, wanted) in [
        (
            "pooling-total-component-instances",
            want.component_instances,
        ),
        ("pooling-total-core-instances", want.core_instances),
        ("pooling-total-memories", want.memories),
        ("pooling-total-tables", want.tables),
        ("pooling-total-stacks", want.stacks),
        ("pooling-max-memory-size", MAX_INSTANCE_MEMORY),
    ] {
        if number(key) != Some(wanted) {
            problems.push(format!(
                "wasmtime-serve.toml: {key} is {:?}, the rule for {OPEN_ANSWERS} open answers \
                 gives {wanted}",
                number(key)
            ));
        }
    }
    for (_, key) in KEEP_RESIDENT {
        if number(key).unwrap_or(0) != 0 {
            problems.push(format!(
                "wasmtime-serve.toml: {key} is {:?}: keep no pages resident (the rule's memory \
                 bound per open answer)",
                number(key)
            ));
        }
    }
    problems
}

/// The pool Spin 3.6 builds from `env` (`crates/core/src/lib.rs` of Spin v3.6.3:
/// `SPIN_MAX_INSTANCE_COUNT` = n, default 1,000, gives n component instances, memories and
/// stacks, 2 n tables and 4 n core instances; each `SPIN_WASMTIME_*` overrides one total).
pub(super) fn spin_pool(env: &BTreeMap<String, String>) -> Result<Pool, String> {
    let number = |name: &str, default: u64| -> Result<u64, String> {
        env.get(name).map_or(Ok(default), |v| {
            v.trim()
                .parse()
                .map_err(|_| format!("{name}={v} is not a number (Spin panics at start)"))
        })
    };
    let n = number("SPIN_MAX_INSTANCE_COUNT", 1_000)?;
    Ok(Pool {
        component_instances: number("SPIN_WASMTIME_INSTANCE_COUNT", n)?,
        core_instances: number("SPIN_WASMTIME_TOTAL_CORE_INSTANCES", 4 * n)?,
        memories: number("SPIN_WASMTIME_TOTAL_MEMORIES", n)?,
        tables: number("SPIN_WASMTIME_TOTAL_TABLES", 2 * n)?,
        stacks: number("SPIN_WASMTIME_TOTAL_STACKS", n)?,
    })
}

/// A Spin runtime's environment (`source` names it in messages): `SPIN_MAX_INSTANCE_COUNT` is
/// A, the pool Spin derives from it holds A answers (at least the goal), and
/// `SPIN_MAX_INSTANCE_MEMORY` is the memory cap.
pub(super) fn check_spin_env(source: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    let wanted = OPEN_ANSWERS.to_string();
    if env.get("SPIN_MAX_INSTANCE_COUNT") != Some(&wanted) {
        problems.push(format!(
            "{source}: SPIN_MAX_INSTANCE_COUNT is {:?}, the rule's A is {wanted}",
            env.get("SPIN_MAX_INSTANCE_COUNT")
        ));
    }
    match spin_pool(env) {
        Ok(pool) if pool.answers() < GOAL.max(OPEN_ANSWERS) => problems.push(format!(
            "{source}: Spin's pool {pool:?} holds {} open answers, fewer than {OPEN_ANSWERS}",
            pool.answers()
        )),
        Ok(_) => {}
        Err(e) => problems.push(format!("{source}: {e}")),
    }
    let memory = MAX_INSTANCE_MEMORY.to_string();
    if env.get("SPIN_MAX_INSTANCE_MEMORY") != Some(&memory) {
        problems.push(format!(
            "{source}: SPIN_MAX_INSTANCE_MEMORY is {:?}, the rule's cap is {memory} (64 MiB)",
            env.get("SPIN_MAX_INSTANCE_MEMORY")
        ));
    }
    for (variable, _) in KEEP_RESIDENT {
        if env.get(variable).map(String::as_str) != Some("0") {
            problems.push(format!(
                "{source}: {variable} is {:?}: set it to 0 (Spin's default keeps about 1 MiB \
                 more resident per open answer)",
                env.get(variable)
            ));
        }
    }
    problems
}

/// `KEY=VALUE` lines of an env file; blank lines and `#` comments are skipped.
pub(super) fn env_file(text: &str) -> BTreeMap<String, String> {
    crate::deploy_files::env_example(text)
}

/// README's "Capacity" states the rule with this A, the memory cap, the pool's reservation, the
/// `wasmtime serve` connection limits of 2 A, and every deployment's figure.
pub(super) fn check_readme(readme: &str) -> Vec<String> {
    let grouped = |n: u64| {
        let s = n.to_string();
        match s.len() {
            4..=6 => format!("{},{}", &s[..s.len() - 3], &s[s.len() - 3..]),
            _ => s,
        }
    };
    let a = grouped(OPEN_ANSWERS);
    let wanted = [
        format!("The repository sets A = {a}"),
        format!("SPIN_MAX_INSTANCE_COUNT={OPEN_ANSWERS}"),
        format!(
            "--max-concurrent-connections {0} --max-concurrent-requests {0}",
            2 * OPEN_ANSWERS
        ),
        format!("capped at {} MiB", MAX_INSTANCE_MEMORY >> 20),
        "The pool reserves address space".to_owned(),
        "keep-resident sizes are 0".to_owned(),
        format!(
            "| SpinKube (`deploy/kubernetes/edge.yaml`) | the Deployment's `env`: `SPIN_MAX_INSTANCE_COUNT` = {OPEN_ANSWERS}"
        ),
    ];
    // README's prose is wrapped: compare with every run of whitespace as one space.
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let readme = flat(readme);
    wanted
        .into_iter()
        .filter(|w| !readme.contains(&flat(w)))
        .map(|w| format!("README.md does not state {w:?}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy_files::compose::Compose;
    use crate::deploy_files::kubernetes;
    use crate::deploy_files::{assert_fails, assert_ok, broken, read, test_env};

    #[test]
    fn the_rule_counts_the_scarcest_resource() {
        assert_eq!(Pool::for_answers(10).answers(), 10);
        let short_of_tables = Pool {
            tables: 9,
            ..Pool::for_answers(10)
        };
        assert_eq!(short_of_tables.answers(), 4);
        // Spin's defaults: 1,000 answers; 4 n core instances cover the edge's 3.
        assert_eq!(spin_pool(&BTreeMap::new()).unwrap().answers(), 1_000);
        let tables = BTreeMap::from([
            ("SPIN_MAX_INSTANCE_COUNT".to_owned(), "2500".to_owned()),
            ("SPIN_WASMTIME_TOTAL_TABLES".to_owned(), "3000".to_owned()),
        ]);
        assert_eq!(spin_pool(&tables).unwrap().answers(), 1_500);
    }

    #[test]
    fn wasmtime_serve_toml_follows_the_rule() {
        let text = read("deploy/wasmtime-serve.toml");
        assert_ok(check_wasmtime_serve(&text));
        let tables = broken(
            &text,
            "pooling-total-tables = 5000",
            "pooling-total-tables = 2500",
        );
        assert_fails(check_wasmtime_serve(&tables), "pooling-total-tables");
        let uncapped = broken(&text, "pooling-max-memory-size = 67108864\n", "");
        assert_fails(check_wasmtime_serve(&uncapped), "pooling-max-memory-size");
        let resident = format!("{text}pooling-table-keep-resident = 524288\n");
        assert_fails(
            check_wasmtime_serve(&resident),
            "pooling-table-keep-resident",
        );
        let off = broken(
            &text,
            "pooling-allocator = true",
            "pooling-allocator = false",
        );
        assert_fails(check_wasmtime_serve(&off), "pooling-allocator must be true");
    }

    #[test]
    fn spin_runtime_env_follows_the_rule() {
        let text = read("deploy/spin-runtime.env");
        assert_ok(check_spin_env("spin-runtime.env", &env_file(&text)));
        let small = broken(
            &text,
            "SPIN_MAX_INSTANCE_COUNT=2500",
            "SPIN_MAX_INSTANCE_COUNT=1000",
        );
        assert_fails(
            check_spin_env("spin-runtime.env", &env_file(&small)),
            "SPIN_MAX_INSTANCE_COUNT is Some(\"1000\")",
        );
        let tables = format!("{text}SPIN_WASMTIME_TOTAL_TABLES=2500\n");
        assert_fails(
            check_spin_env("spin-runtime.env", &env_file(&tables)),
            "holds 1250 open answers",
        );
        let uncapped = broken(&text, "SPIN_MAX_INSTANCE_MEMORY=67108864\n", "");
        assert_fails(
            check_spin_env("spin-runtime.env", &env_file(&uncapped)),
            "SPIN_MAX_INSTANCE_MEMORY is None",
        );
        let resident = broken(
            &text,
            "SPIN_WASMTIME_TABLE_KEEP_RESIDENT=0",
            "SPIN_WASMTIME_TABLE_KEEP_RESIDENT=524288",
        );
        assert_fails(
            check_spin_env("spin-runtime.env", &env_file(&resident)),
            "SPIN_WASMTIME_TABLE_KEEP_RESIDENT is Some(\"524288\")",
        );
        let garbled = broken(&text, "=2500", "=2,500");
        assert_fails(
            check_spin_env("spin-runtime.env", &env_file(&garbled)),
            "is not a number",
        );
    }

    /// The compose file's edge gets its pool from spin-runtime.env and overrides none of it.
    #[test]
    fn compose_passes_the_spin_pool_to_the_edge() {
        let env = test_env(&read(".env.example"));
        let check = |compose_text: &str| {
            let compose = Compose::load(compose_text, &env).expect("compose loads");
            let mut edge_env = BTreeMap::new();
            for file in compose_env_files(&compose, "edge") {
                edge_env.extend(env_file(&read(&file)));
            }
            edge_env.extend(compose.environment("edge"));
            check_spin_env("docker-compose.yaml edge", &edge_env)
        };
        let text = read("docker-compose.yaml");
        assert_ok(check(&text));
        let unlisted = broken(
            &text,
            "    env_file:\n      - deploy/spin-runtime.env\n",
            "",
        );
        assert_fails(check(&unlisted), "SPIN_MAX_INSTANCE_COUNT is None");
        let overridden = broken(
            &text,
            "      SPIN_VARIABLE_JWT_ASSERTION: required\n",
            "      SPIN_VARIABLE_JWT_ASSERTION: required\n      SPIN_MAX_INSTANCE_COUNT: \"1000\"\n",
        );
        assert_fails(
            check(&overridden),
            "SPIN_MAX_INSTANCE_COUNT is Some(\"1000\")",
        );
    }

    #[test]
    fn the_spinkube_deployment_follows_the_rule() {
        let check = |manifests: &kubernetes::Manifests| match kubernetes::edge_env(manifests) {
            Some(env) => check_spin_env("edge.yaml", &env),
            None => vec!["edge.yaml: no edge Deployment".to_owned()],
        };
        assert_ok(check(&kubernetes::load()));
        let small = kubernetes::with(
            "edge.yaml",
            "              value: \"2500\"",
            "              value: \"1000\"",
        );
        assert_fails(check(&small), "SPIN_MAX_INSTANCE_COUNT is Some(\"1000\")");
        let uncapped = kubernetes::with(
            "edge.yaml",
            "              value: \"67108864\"",
            "              value: \"134217728\"",
        );
        assert_fails(
            check(&uncapped),
            "SPIN_MAX_INSTANCE_MEMORY is Some(\"134217728\")",
        );
        let resident = kubernetes::with(
            "edge.yaml",
            "            - name: SPIN_WASMTIME_LINEAR_MEMORY_KEEP_RESIDENT\n              value: \"0\"\n",
            "",
        );
        assert_fails(
            check(&resident),
            "SPIN_WASMTIME_LINEAR_MEMORY_KEEP_RESIDENT is None",
        );
    }

    #[test]
    fn readme_states_the_rule() {
        let readme = read("README.md");
        assert_ok(check_readme(&readme));
        let other = broken(
            &readme,
            "The repository sets A = 2,500",
            "The repository sets A = 2,000",
        );
        assert_fails(check_readme(&other), "The repository sets A = 2,500");
        let unstated = broken(&readme, "pool reserves address space", "pool takes");
        assert_fails(check_readme(&unstated), "reserves address space");
    }

    /// The `env_file` entries of a compose service (a string or a list).
    fn compose_env_files(compose: &Compose, service: &str) -> Vec<String> {
        match compose
            .services
            .get(service)
            .and_then(|s| s.get("env_file"))
        {
            Some(Value::String(file)) => vec![file.clone()],
            Some(Value::Array(files)) => files
                .iter()
                .filter_map(|f| f.as_str().or_else(|| f.get("path")?.as_str()))
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }
}

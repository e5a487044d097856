//! Project automation, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! - `cargo xtask demo [--fake-model] [--local]`: build everything and run the chain locally; the page is
//!   at <http://127.0.0.1:3000/>.
//! - `cargo xtask test`: every check and test (fmt, clippy, native, browser, runtime, end to end).
//! - `cargo xtask fuzz [--seconds N] [TARGET...]`: run the cargo-fuzz targets (nightly).
//! - `cargo xtask bench [--quick]`: the benchmarks; a table on stdout and
//!   `target/bench/results.json` (a full run also updates README's Performance figures;
//!   `--readme` only rewrites them from `bench/results.json`).
//! - `cargo xtask dist`: build the widget bundle, the demo site and the edge component into
//!   `target/dist`.
//!
//! | module | owns |
//! |---|---|
//! | `cmd` | running programs with argument lists, and the workspace's paths |
//! | `tools` | finding or installing wasm-bindgen, wasmtime and Chromium |
//! | `dist` | the build of the deployable artifacts |
//! | `test` | the test sequence |
//! | `demo` | the local demo |
//! | `fuzz` | the fuzz targets, for a set time each |
//! | `deploy_files` | (tests) the deployment files: compose, Pomerium, Dockerfiles, Kubernetes |
//! | `tidy` | (tests) repository rules |
//! | `bench` | building for and running the benchmarks (`bench/`) |
//! | `perf_readme` | README's Performance figures, generated from the bench's results |

mod bench;
mod cmd;
mod demo;
mod dist;
mod fuzz;
mod perf_readme;
mod precompile;
mod test;
mod tools;

#[cfg(test)]
mod deploy_files;
#[cfg(test)]
mod tidy;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flags: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    match args.first().map(String::as_str) {
        Some("demo") => demo::run(&flags),
        Some("test") => test::run(&flags),
        Some("bench") => bench::run(&flags),
        Some("dist") => dist::run().map(|_| ()),
        Some("fuzz") => fuzz::run(&flags),
        _ => {
            eprintln!(
                "usage: cargo xtask <demo [--fake-model] [--local] | test | bench [--quick] | dist | fuzz [--seconds N] [TARGET...]>"
            );
            std::process::exit(2);
        }
    }
}

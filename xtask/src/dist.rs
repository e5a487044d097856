//! `cargo xtask dist`: builds the deployable artifacts into `target/dist` (emptied first).
//!
//! - `target/dist/widget/`: `pomerium-chat.js` (the loader), `widget.js` and `widget_bg.wasm`
//!   (shrunk by binaryen's `wasm-opt`, see [`WASM_OPT_FLAGS`]);
//! - `target/dist/site/`: the demo intranet page;
//! - `target/dist/edge.wasm`: the edge component reading its configuration from the environment
//!   (for `wasmtime serve`);
//! - `target/dist/edge.cwasm`: the same, compiled ahead of time by the wasmtime the demo and the
//!   tests run (`wasmtime serve --allow-precompiled`: no compilation at start; see
//!   [`precompile`]);
//! - `target/dist/edge-spin.wasm`: the same, reading Spin variables (for `spin up`, `spin.toml`);
//! - `target/dist/edge-spin-composed.wasm` (by [`compose_spin`], for the tests): `edge-spin.wasm`
//!   with Spin's variables interface supplied from the environment by
//!   `testkit/spin-variables-adapter`, so `wasmtime serve` runs the artifact `spin.toml` runs.
//!
//! The edge serves `site/` and `widget/` from the directory mounted at its static root.
//!
//! It prints each widget file's size, raw and gzipped (level 9), and the bundle's total: the
//! issue's budget is [`WIDGET_BUDGET_GZ`] bytes of JS and wasm, gzipped, which `cargo xtask
//! test` enforces.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::cmd::{self, root};
use crate::{precompile, tools};

/// The widget bundle's budget: JS and wasm, gzipped. Issue 15's goal is 75,000 bytes. The
/// bundle was 100,450 after wasm-opt and the loader's shell; issue 16's features then added
/// about 8,300 (edit, regenerate and copy 2,300; threads 4,900; usage under each answer 1,100),
/// a cost taken on purpose (README, "Size"), so the budget is the 109,772 measured then plus
/// about 1% (111,500 once the log's window of newest exchanges landed). Issue 14 then added
/// 9,823 on purpose: rich tool results in the tool card (images, audio, links,
/// tables; 3,213), server prompts as `/` commands (menu, argument form; 6,610) and
/// elicitation (a server's question as a form in the tool card; 8,035); MCP Apps (the
/// sandboxed view frame, its postMessage bridge, a view's tool calls and link requests) 6,350.
/// Issue 16's attachments (picker, paste, drop, chips, reading, storage) and the hosted tool
/// toggles added 9,706 more, resuming a dropped answer (and cancelling it on Stop) 1,712.
pub(crate) const WIDGET_BUDGET_GZ: u64 = 147_126;

/// How `wasm-opt` shrinks the widget's wasm after wasm-bindgen. Measured on the widget
/// (wasm-opt 132, December 2026): `-Os` 212,522 bytes raw / 90,107 gzipped, `-Oz` 211,841 /
/// 90,159, `-Oz --converge` 211,657 / 90,297, none 234,847 / 90,809: `-Os` ships the fewest
/// bytes and optimises for speed where that costs no size. The features are those rustc's
/// wasm32 target emits.
const WASM_OPT_FLAGS: [&str; 7] = [
    "-Os",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Where the artifacts are.
pub(crate) struct Dist {
    /// `target/dist`: mount it as the edge's static root.
    pub(crate) dir: PathBuf,
    /// The edge component.
    pub(crate) edge_wasm: PathBuf,
    /// The widget bundle's JS and wasm, gzipped, in bytes.
    pub(crate) widget_gz: u64,
}

/// The cargo target directory.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

pub(crate) fn run() -> anyhow::Result<Dist> {
    build(true)
}

/// The artifacts; `edge-spin.wasm` only with `spin` (the demo needs it only under `spin up`,
/// and its build is a second release build of the edge).
pub(crate) fn build(spin: bool) -> anyhow::Result<Dist> {
    tools::rust_targets()?;
    let wasm_bindgen = tools::wasm_bindgen()?;
    let wasm_opt = tools::wasm_opt()?;
    let target = target_dir();
    let dir = target.join("dist");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;

    cmd::run(cmd::cargo().args([
        "build",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "widget",
        "-p",
        "widget",
    ]))?;
    cmd::run(
        Command::new(wasm_bindgen)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--remove-name-section",
                "--remove-producers-section",
                "--out-dir",
            ])
            .arg(dir.join("widget"))
            .arg(target.join("wasm32-unknown-unknown/widget/widget.wasm")),
    )?;
    let widget_wasm = dir.join("widget/widget_bg.wasm");
    cmd::run(
        Command::new(wasm_opt)
            .args(WASM_OPT_FLAGS)
            .arg(&widget_wasm)
            .arg("-o")
            .arg(&widget_wasm),
    )?;
    let loader = std::fs::read_to_string(root().join("widget/js/pomerium-chat.js"))
        .context("reading the widget loader")?;
    let loader = with_modules(&loader, &snippets(&dir.join("widget"))?)?;
    std::fs::write(dir.join("widget/pomerium-chat.js"), strip_js(&loader))
        .context("writing the widget loader")?;
    copy_dir(&root().join("demo-site"), &dir.join("site"))?;

    // Two builds of the edge: configuration from the environment (wasmtime serve) and from
    // Spin variables (spin up). The second has its own target directory so that neither
    // rebuild undoes the other.
    let edge_build = [
        "build",
        "--target",
        "wasm32-wasip2",
        "--release",
        "-p",
        "edge",
    ];
    cmd::run(cmd::cargo().args(edge_build))?;
    let edge_wasm = dir.join("edge.wasm");
    std::fs::copy(target.join("wasm32-wasip2/release/edge.wasm"), &edge_wasm)
        .context("copying the edge component")?;
    precompile::compile(&tools::wasmtime()?, &dir)?;
    if spin {
        let spin_target = target.join("edge-spin");
        cmd::run(
            cmd::cargo()
                .args(edge_build)
                .args(["--features", "spin", "--target-dir"])
                .arg(&spin_target),
        )?;
        std::fs::copy(
            spin_target.join("wasm32-wasip2/release/edge.wasm"),
            dir.join("edge-spin.wasm"),
        )
        .context("copying the Spin edge component")?;
    }

    let widget_gz = report_widget_size(&dir.join("widget"))?;
    for file in ["edge.wasm", precompile::CWASM, "edge-spin.wasm"] {
        if let Ok(metadata) = std::fs::metadata(dir.join(file)) {
            eprintln!("dist: {file}: {} KB", metadata.len() / 1024);
        }
    }
    Ok(Dist {
        dir,
        edge_wasm,
        widget_gz,
    })
}

/// Builds workspace package `package` for `wasm32-wasip2` (release) in the shared target
/// directory; returns its component.
pub(crate) fn build_component(package: &str) -> anyhow::Result<PathBuf> {
    cmd::run(cmd::cargo().args([
        "build",
        "--target",
        "wasm32-wasip2",
        "--release",
        "-p",
        package,
    ]))?;
    let file = format!("{}.wasm", package.replace('-', "_"));
    Ok(target_dir().join("wasm32-wasip2/release").join(file))
}

/// Plugs the variables adapter into `edge-spin.wasm` with `wac plug`; returns
/// `target/dist/edge-spin-composed.wasm`, whose only imports are `wasi:*`.
pub(crate) fn compose_spin(dist: &Dist) -> anyhow::Result<PathBuf> {
    let wac = tools::wac()?;
    let adapter = build_component("spin-variables-adapter")?;
    let composed = dist.dir.join("edge-spin-composed.wasm");
    cmd::run(
        Command::new(wac)
            .arg("plug")
            .arg(dist.dir.join("edge-spin.wasm"))
            .arg("--plug")
            .arg(&adapter)
            .arg("-o")
            .arg(&composed),
    )?;
    let size = std::fs::metadata(&composed).map_or(0, |m| m.len());
    eprintln!("dist: edge-spin-composed.wasm: {} KB", size / 1024);
    Ok(composed)
}

/// Prints every file of the widget bundle, raw and gzipped, and returns the gzipped total.
fn report_widget_size(widget: &Path) -> anyhow::Result<u64> {
    let mut files = Vec::new();
    bundle_files(widget, &mut files)?;
    files.sort();
    let (mut raw_total, mut gz_total) = (0, 0);
    for file in &files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let gz = gzip_len(&bytes)?;
        raw_total += bytes.len() as u64;
        gz_total += gz;
        let name = file.strip_prefix(widget).unwrap_or(file).display();
        eprintln!(
            "dist: widget/{name}: {} raw, {} gzipped",
            kb(bytes.len() as u64),
            kb(gz)
        );
    }
    eprintln!(
        "dist: widget bundle (JS + wasm): {} raw, {} gzipped (budget {})",
        kb(raw_total),
        kb(gz_total),
        kb(WIDGET_BUDGET_GZ)
    );
    Ok(gz_total)
}

/// The `.js` and `.wasm` files under `dir`.
fn bundle_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            bundle_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|ext| ext == "js" || ext == "wasm")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// The length of `bytes` gzipped at the best level.
fn gzip_len(bytes: &[u8]) -> anyhow::Result<u64> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len() as u64)
}

/// The paths of wasm-bindgen's snippet modules under `widget`, relative to it (`./snippets/…`).
fn snippets(widget: &Path) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    let dir = widget.join("snippets");
    if dir.exists() {
        bundle_files(&dir, &mut files)?;
    }
    let mut paths: Vec<String> = files
        .iter()
        .filter_map(|file| file.strip_prefix(widget).ok())
        .map(|rel| format!("./{}", rel.to_string_lossy().replace('\\', "/")))
        .filter(|rel| rel.ends_with(".js"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The loader with its `const MODULES = [];` listing `modules`, which it imports beside the glue.
fn with_modules(loader: &str, modules: &[String]) -> anyhow::Result<String> {
    const EMPTY: &str = "const MODULES = [];";
    anyhow::ensure!(
        loader.matches(EMPTY).count() == 1,
        "the widget loader has no line `{EMPTY}`"
    );
    let list: Vec<String> = modules.iter().map(|m| format!("{m:?}")).collect();
    Ok(loader.replace(EMPTY, &format!("const MODULES = [{}];", list.join(", "))))
}

/// The loader without its comment lines and indentation: what a browser needs of it (the
/// comments stay in `widget/js/`). Only for our own loader, which keeps every comment on lines of
/// its own and no line break inside a string.
fn strip_js(source: &str) -> String {
    source
        .lines()
        .map(str::trim)
        .filter(|line| {
            !(line.is_empty()
                || line.starts_with("//")
                || (line.starts_with("/**") && line.ends_with("*/")))
        })
        .fold(String::new(), |mut out, line| {
            out.push_str(line);
            out.push('\n');
            out
        })
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{strip_js, with_modules};

    #[test]
    fn the_loader_lists_the_snippets() {
        let loader = "a();\nconst MODULES = [];\nb();\n";
        let modules = ["./snippets/w-1/inline0.js".to_owned()];
        assert_eq!(
            with_modules(loader, &modules).unwrap(),
            "a();\nconst MODULES = [\"./snippets/w-1/inline0.js\"];\nb();\n"
        );
        assert!(with_modules("a();", &modules).is_err());
    }

    #[test]
    fn strip_js_drops_comment_lines_and_indentation_only() {
        let source = "// The loader.\n\nconst a = \"https://x/\"; // kept\n  /** Doc. */\n  if (a) {\n    f(a);\n  }\n";
        assert_eq!(
            strip_js(source),
            "const a = \"https://x/\"; // kept\nif (a) {\nf(a);\n}\n"
        );
    }
}

//! The widget bundle's size by part: every file under `target/dist/widget`, raw and gzipped
//! (gzip level 9, as a web server would precompress it).

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use flate2::Compression;
use flate2::write::GzEncoder;

/// Sizes in bytes of one part of the bundle (or of all of it).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Size {
    pub(crate) raw: u64,
    pub(crate) gzip: u64,
}

/// The bundle's parts: the WebAssembly module, the JavaScript (loader, bindings, snippets),
/// everything else, and the total.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct BundleSizes {
    pub(crate) wasm: Size,
    pub(crate) js: Size,
    pub(crate) other: Size,
    pub(crate) total: Size,
    /// Each file, relative to the bundle folder.
    pub(crate) files: Vec<(String, Size)>,
}

/// Measures every file under `dir`.
pub(crate) fn measure(dir: &Path) -> anyhow::Result<BundleSizes> {
    let mut sizes = BundleSizes::default();
    let mut paths = Vec::new();
    walk(dir, &mut paths)?;
    paths.sort();
    anyhow::ensure!(!paths.is_empty(), "no widget bundle in {}", dir.display());
    for path in paths {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let size = Size {
            raw: bytes.len() as u64,
            gzip: gzip_len(&bytes)?,
        };
        let part = match path.extension().and_then(|e| e.to_str()) {
            Some("wasm") => &mut sizes.wasm,
            Some("js" | "mjs") => &mut sizes.js,
            _ => &mut sizes.other,
        };
        add(part, size);
        add(&mut sizes.total, size);
        let name = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        sizes.files.push((name, size));
    }
    Ok(sizes)
}

fn add(to: &mut Size, size: Size) {
    to.raw += size.raw;
    to.gzip += size.gzip;
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The length of `bytes` gzipped at level 9.
pub(crate) fn gzip_len(bytes: &[u8]) -> anyhow::Result<u64> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_add_up_by_part() {
        let dir = std::env::temp_dir().join(format!("pchat-bench-bundle-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("snippets/x")).unwrap();
        std::fs::write(dir.join("a_bg.wasm"), vec![0u8; 1000]).unwrap();
        std::fs::write(dir.join("a.js"), "export {};\n".repeat(50)).unwrap();
        std::fs::write(dir.join("snippets/x/inline0.js"), "export const x = 1;\n").unwrap();
        let sizes = measure(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(sizes.wasm.raw, 1000);
        assert_eq!(sizes.js.raw, 550 + 20);
        assert_eq!(sizes.total.raw, 1570);
        assert_eq!(sizes.files.len(), 3);
        assert!(sizes.wasm.gzip < 100, "zeros compress: {}", sizes.wasm.gzip);
        assert_eq!(sizes.total.gzip, sizes.wasm.gzip + sizes.js.gzip);
    }

    #[test]
    fn gzip_of_nothing_is_the_header_and_trailer() {
        assert_eq!(gzip_len(b"").unwrap(), 20);
    }
}

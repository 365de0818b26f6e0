//! Shared by the browser tests: build a fixture site into a temporary directory with the
//! real pipeline, and run `tests/browser/search-browser.js`.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Builds `tests/fixtures/valid/<name>` and returns the output directory.
pub fn build_fixture(name: &str) -> tempfile::TempDir {
    build_fixture_with(name, |yaml| yaml.to_string())
}

/// Like [`build_fixture`], with `site.yaml` changed by `edit` (on a copy of the fixture).
pub fn build_fixture_with(name: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("site");
    copy_dir(&repo().join("tests/fixtures/valid").join(name), &root);
    let yaml = std::fs::read_to_string(root.join("site.yaml")).unwrap();
    std::fs::write(root.join("site.yaml"), edit(&yaml)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_benchbook"))
        .arg("build")
        .arg("-q")
        .arg("--root")
        .arg(&root)
        .arg("--out")
        .arg(out.path().join("public"))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "benchbook build failed for fixture {name}"
    );
    // Keep the output, drop the copy of the sources.
    let public = tempfile::tempdir().unwrap();
    copy_dir(&out.path().join("public"), public.path());
    public
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Runs `node tests/browser/search-browser.js <args>` and returns its JSON report.
pub fn run_browser(args: &[&str]) -> Value {
    let dir = repo().join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "run `npm ci --prefix tests/browser` first (installs playwright-core; .ci/run does it)"
    );
    let out = Command::new("node")
        .arg(dir.join("search-browser.js"))
        .args(args)
        .output()
        .expect("node (Node.js 20) must be installed for the browser tests");
    assert!(
        out.status.success(),
        "browser run {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

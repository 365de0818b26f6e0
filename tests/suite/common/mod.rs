//! Helpers for the site integration tests: copy a fixture site into a tempdir, build it,
//! run the binary, parse the HTML it wrote.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `tests/fixtures/<kind>/<name>`.
pub fn fixture(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind)
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A fixture site copied into a fresh temporary directory (the site is `dir.path()/site`).
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    pub fn copy(kind: &str, name: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture(kind, name), &dir.path().join("site"));
        Site { dir }
    }
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("site")
    }
    pub fn public(&self) -> PathBuf {
        self.root().join("public")
    }
    /// Write a file of the site (creating folders).
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    /// Build into `<root>/public` through the library.
    pub fn build(&self) -> anyhow::Result<benchbook::build::BuildReport> {
        benchbook::build::build_site(
            &self.root(),
            &self.public(),
            &benchbook::build::BuildOptions::default(),
            None,
        )
    }
    /// Run the binary with `args`, in the site root.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_benchbook"))
            .args(args)
            .current_dir(self.root())
            .output()
            .unwrap()
    }
    /// Parse an output HTML file.
    pub fn html(&self, rel: &str) -> scraper::Html {
        let text = std::fs::read_to_string(self.public().join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        scraper::Html::parse_document(&text)
    }
}

/// The error lines a failed build reported, as the user sees them.
pub fn diagnostics(err: &anyhow::Error) -> Vec<String> {
    let d = err
        .downcast_ref::<benchbook::diagnostics::Diagnostics>()
        .unwrap_or_else(|| panic!("not diagnostics: {err:#}"));
    d.to_string().lines().map(str::to_string).collect()
}

pub fn sel(s: &str) -> scraper::Selector {
    scraper::Selector::parse(s).unwrap()
}

/// The port in the line `benchbook serve` prints first (`serving … at http://127.0.0.1:PORT/`).
pub fn served_port(line: &str) -> u16 {
    line.split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
}

/// The repository: the flagship report's site root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `benchbook build --frozen -q` of the flagship into `out`, with extra environment
/// variables; panics with its stderr on failure, else returns the stderr (its warnings).
pub fn build_flagship(out: &Path, env: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_benchbook"));
    cmd.args(["build", "--frozen", "-q", "--root"])
        .arg(repo())
        .arg("--out")
        .arg(out);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "benchbook build --frozen of the flagship report failed:\n{stderr}"
    );
    stderr
}

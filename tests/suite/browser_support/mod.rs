//! Shared by the browser tests: provision what they need on first use ([`node`]), build a
//! fixture site into a temporary directory with the real pipeline, and run
//! `tests/browser/search-browser.js`.
//!
//! # Provisioning
//! The browser tests drive Debian's Chromium with playwright-core, from `node`. The first
//! test that needs them, in this process or any other (a file lock in the target folder
//! serialises them), makes sure that:
//! - `tests/browser/node_modules` holds what `tests/browser/package-lock.json` pins, else runs
//!   `npm ci --prefix tests/browser` (missing, or any package at another version: stale);
//! - Chromium is at `$CHROMIUM` or `/usr/bin/chromium`, else, as root with `apt-get`,
//!   installs Debian's `chromium` package (`apt-get update` first), else fails saying what to
//!   install.
//!
//! Node.js itself (20.19 or later) must be installed, as the README says.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Where Debian's `chromium` package puts the browser.
pub const DEBIAN_CHROMIUM: &str = "/usr/bin/chromium";

/// What the browser tests run with, once provisioned.
#[derive(Debug)]
pub struct BrowserTools {
    /// `tests/browser`, with its `node_modules` in place.
    pub dir: PathBuf,
    /// The Chromium binary (handed to the scripts as `CHROMIUM`).
    pub chromium: PathBuf,
}

static TOOLS: OnceLock<Result<BrowserTools, String>> = OnceLock::new();

/// The provisioned tools; the first call provisions them (see the module doc), and every
/// call fails with the same message when that was impossible.
pub fn tools() -> &'static BrowserTools {
    match TOOLS.get_or_init(provision) {
        Ok(t) => t,
        Err(e) => panic!("the browser tests cannot run: {e}"),
    }
}

/// `node tests/browser/<script>`, with the npm packages and Chromium provisioned and
/// `CHROMIUM` set to the browser.
pub fn node(script: &str) -> Command {
    let t = tools();
    let mut cmd = Command::new("node");
    cmd.arg(t.dir.join(script)).env("CHROMIUM", &t.chromium);
    cmd
}

fn provision() -> Result<BrowserTools, String> {
    let dir = repo().join("tests/browser");
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => {
            return Err("`node` was not found: install Node.js 20.19 or later \
                        (https://nodejs.org, or Debian's `nodejs` package when it is that recent)"
                .into())
        }
    }
    // One provisioner at a time, across processes (parallel `cargo test` runs) too.
    let lock_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&lock_dir).map_err(|e| format!("{}: {e}", lock_dir.display()))?;
    let lock_path = lock_dir.join("browser-tools.lock");
    let lock = std::fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;

    if let Some(why) = node_modules_stale(&dir)? {
        eprintln!("browser tests: {why}; running `npm ci --prefix tests/browser` (once)");
        let out = Command::new("npm")
            .args(["ci", "--prefix"])
            .arg(&dir)
            .args(["--no-audit", "--no-fund", "--loglevel=error"])
            .output()
            .map_err(|e| {
                format!("cannot run `npm` ({e}): install npm (it comes with Node.js 20.19+)")
            })?;
        if !out.status.success() {
            return Err(format!(
                "`npm ci --prefix tests/browser` failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if let Some(why) = node_modules_stale(&dir)? {
            return Err(format!("after `npm ci --prefix tests/browser`: {why}"));
        }
    }
    let chromium = chromium()?;
    drop(lock);
    Ok(BrowserTools { dir, chromium })
}

/// Why `tests/browser/node_modules` does not match `package-lock.json` (`None`: it does).
/// npm records what it installed in `node_modules/.package-lock.json`; every package of the
/// lock file must be there at its version.
fn node_modules_stale(dir: &Path) -> Result<Option<String>, String> {
    let read = |p: &Path| -> Result<Value, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let wanted = read(&dir.join("package-lock.json"))?;
    let installed_path = dir.join("node_modules/.package-lock.json");
    if !installed_path.is_file() {
        return Ok(Some("tests/browser/node_modules is missing".into()));
    }
    let Ok(installed) = read(&installed_path) else {
        return Ok(Some(
            "tests/browser/node_modules/.package-lock.json is unreadable".into(),
        ));
    };
    let empty = serde_json::Map::new();
    let wanted = wanted["packages"].as_object().unwrap_or(&empty);
    let installed = installed["packages"].as_object().unwrap_or(&empty);
    for (name, pkg) in wanted {
        if name.is_empty() || pkg["optional"] == true {
            continue; // the root project itself; packages for other platforms
        }
        let want = pkg["version"].as_str();
        let have = installed.get(name).and_then(|p| p["version"].as_str());
        if have != want || !dir.join(name).is_dir() {
            return Ok(Some(format!(
                "{name} is {} in tests/browser/node_modules, package-lock.json pins {}",
                have.unwrap_or("missing"),
                want.unwrap_or("no version")
            )));
        }
    }
    Ok(None)
}

/// `$CHROMIUM`, else Debian's `/usr/bin/chromium`, installed with apt-get when running as root.
fn chromium() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "CHROMIUM is set to {}, which is not a file",
                p.display()
            ))
        };
    }
    let debian = PathBuf::from(DEBIAN_CHROMIUM);
    if debian.is_file() {
        return Ok(debian);
    }
    let install = "install Debian's Chromium: `sudo apt-get update && sudo apt-get install \
                   --no-install-recommends chromium` (or set CHROMIUM to a Chromium binary)";
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let apt = Command::new("apt-get").arg("--version").output();
    if !root || !apt.is_ok_and(|o| o.status.success()) {
        return Err(format!(
            "no Chromium at {DEBIAN_CHROMIUM} (and not root with apt-get to install it): {install}"
        ));
    }
    eprintln!("browser tests: no {DEBIAN_CHROMIUM}; installing Debian's chromium package (once)");
    for args in [
        &["update", "-q"][..],
        &["install", "-y", "-q", "--no-install-recommends", "chromium"][..],
    ] {
        let out = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .map_err(|e| format!("cannot run apt-get: {e}; {install}"))?;
        if !out.status.success() {
            return Err(format!(
                "`apt-get {}` failed ({}):\n{}{}\n{install}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    if debian.is_file() {
        Ok(debian)
    } else {
        Err(format!(
            "apt-get installed chromium but {DEBIAN_CHROMIUM} is still missing; {install}"
        ))
    }
}

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
    let out = node("search-browser.js")
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

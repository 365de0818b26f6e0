//! The reading experience, measured (issue 7), on the scaffolded site (`benchbook init` then
//! `build`) and on the flagship report (`build --frozen` of this repository), every page:
//!
//! - html-validate's `recommended` preset (a superset of `standard`) reports no error
//!   (`tests/browser/html-validate.js`);
//! - in headless Chromium (`tests/browser/a11y-browser.js`: playwright-core driving Debian's
//!   /usr/bin/chromium, axe-core injected from node_modules), from file:// and served under
//!   a GitHub Pages-like sub-path `/my-repo/` on 127.0.0.1: no axe-core violation of critical
//!   or serious impact in light or dark mode (search results open too), no console error, no
//!   request off the machine, nothing wider than a 375 px phone, dark mode follows
//!   prefers-color-scheme, print hides the navigation; under the sub-path, a missing URL three
//!   levels deep gets the styled 404 page whose links work.
//!
//! Needs node; the npm packages and Chromium are provisioned on first use
//! (`crate::browser_support`).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `node tests/browser/<script> <args>`; returns its JSON report and whether it passed.
fn node(script: &str, args: &[&str]) -> (bool, Value) {
    let out = crate::browser_support::node(script)
        .args(args)
        .output()
        .expect("node must be installed for the browser tests");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let report = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "{script} {args:?} printed no report ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), report)
}

/// Every HTML file of a built site, relative to it, sorted.
fn html_pages(public: &Path) -> Vec<String> {
    let mut pages: Vec<String> = walkdir::WalkDir::new(public)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .map(|p| {
            p.strip_prefix(public)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    pages.sort();
    pages
}

/// html-validate over the whole site, then a11y-browser.js from file:// and under the
/// sub-path; every problem of the three runs is reported together.
fn check_site(public: &Path, min_pages: usize) {
    let pages = html_pages(public);
    assert!(
        pages.len() >= min_pages,
        "only {} pages: {pages:?}",
        pages.len()
    );
    assert!(pages.iter().any(|p| p == "404.html"), "no 404.html");
    let site = public.to_str().unwrap();
    let mut failures = Vec::new();

    let (ok, report) = node("html-validate.js", &[site]);
    assert_eq!(
        report["files"].as_array().map(Vec::len),
        Some(pages.len()),
        "html-validate did not see every page: {report}"
    );
    if !ok {
        failures.push(format!("html-validate: {:#}", report["errors"]));
    }

    for mode in ["file", "served"] {
        let mut args = vec![mode, site];
        args.extend(pages.iter().map(String::as_str));
        let (ok, report) = node("a11y-browser.js", &args);
        let checked = report["pages"].as_array().map_or(0, Vec::len);
        // Served mode also checks the missing URL deep under the sub-path.
        let expected = pages.len() + usize::from(mode == "served");
        if !ok || checked != expected {
            failures.push(format!(
                "{mode}: {checked} of {expected} pages checked; problems: {:#}",
                report["problems"]
            ));
        }
        if ok && report["searched"].as_u64().unwrap_or(0) == 0 {
            failures.push(format!(
                "{mode}: the search box was never checked with results open"
            ));
        }
        if mode == "served" && report["notFoundLinks"].as_u64().unwrap_or(0) == 0 {
            failures.push("served: the deep 404 page's links were not followed".into());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn scaffolded_site_passes_axe_html_validate_phone_dark_print_offline_and_sub_path() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("site");
    let bin = env!("CARGO_BIN_EXE_benchbook");
    let init = Command::new(bin)
        .args(["init", "-q"])
        .arg(&root)
        .status()
        .unwrap();
    assert!(init.success());
    let public = tmp.path().join("public");
    let build = Command::new(bin)
        .args(["build", "-q", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&public)
        .status()
        .unwrap();
    assert!(build.success());
    check_site(&public, 5);
}

#[test]
fn flagship_report_passes_axe_html_validate_phone_dark_print_offline_and_sub_path() {
    let tmp = tempfile::tempdir().unwrap();
    let public = tmp.path().join("public");
    let output = Command::new(env!("CARGO_BIN_EXE_benchbook"))
        .args(["build", "--frozen", "-q", "--root"])
        .arg(repo())
        .arg("--out")
        .arg(&public)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "benchbook build --frozen of the flagship report failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    check_site(&public, 12);
}

//! The default theme in headless Chromium (`tests/browser/theme-browser.js`, playwright-core
//! driving Debian's /usr/bin/chromium): no page wider than a 375 px phone, the sidebar
//! folds behind the Menu button, dark mode follows the system and the toggle is
//! remembered, print hides navigation and shows quiz answers, a quiz is answered by
//! keyboard, and 404.html works for a missing URL deep under a sub-path and at a site's
//! root. No request may
//! leave the machine and no console error may occur. Needs node; the npm packages and
//! Chromium are provisioned on first use (`crate::browser_support`).

use crate::render_support;

use render_support::{outputs, render_like_build, sample_site};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(args: &[&str]) -> Value {
    let out = crate::browser_support::node("theme-browser.js")
        .args(args)
        .output()
        .expect("node must be installed for the browser tests");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "browser run {args:?} failed:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `benchbook init` then `benchbook build`: the real pipeline's markup (quiz, pitfall,
/// highlighted code, table).
fn scaffolded_site() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("site");
    let bin = env!("CARGO_BIN_EXE_benchbook");
    let init = Command::new(bin)
        .args(["init", "-q"])
        .arg(&root)
        .status()
        .unwrap();
    assert!(init.success());
    // A long code line and a wide table, to check that they scroll inside their box.
    let lesson = root.join("content/basics/first-lesson.md");
    let mut text = std::fs::read_to_string(&lesson).unwrap();
    text.push_str(&format!(
        "\n## Wide things\n\n```rust\nfn main() {{ let v = vec![{}]; }}\n```\n\n|{}|\n|{}|\n|{}|\n\n\
         A very long word: {}.\n",
        (0..60).map(|i| i.to_string()).collect::<Vec<_>>().join(", "),
        (0..14).map(|i| format!(" column number {i} ")).collect::<Vec<_>>().join("|"),
        (0..14).map(|_| "---").collect::<Vec<_>>().join("|"),
        (0..14).map(|i| format!(" {} ", i * 1000)).collect::<Vec<_>>().join("|"),
        "x".repeat(120),
    ));
    std::fs::write(&lesson, text).unwrap();
    let build = Command::new(bin)
        .args(["build", "-q", "--root"])
        .arg(&root)
        .status()
        .unwrap();
    assert!(build.success());
    let public = root.join("public");
    (tmp, public)
}

#[test]
fn scaffolded_site_reads_well_on_phone_desktop_dark_and_print() {
    let (_tmp, public) = scaffolded_site();
    let out = run(&[
        "pages",
        public.to_str().unwrap(),
        "index.html",
        "basics/index.html",
        "basics/first-lesson.html",
        "pitfalls.html",
        "404.html",
    ]);
    assert_eq!(out["ok"], true, "{out}");
}

#[test]
fn a_quiz_is_answered_by_keyboard_and_the_result_announced() {
    let (_tmp, public) = scaffolded_site();
    let out = run(&["quiz", public.to_str().unwrap(), "basics/first-lesson.html"]);
    assert_eq!(out["ok"], true, "{out}");
    assert!(out["right"].as_str().unwrap().contains("Correct"), "{out}");
}

#[test]
fn not_found_page_works_deep_under_a_sub_path() {
    let (_tmp, public) = scaffolded_site();
    let out = run(&["notfound", public.to_str().unwrap()]);
    assert_eq!(out["ok"], true, "{out}");
}

/// A user site (`https://user.github.io/`) or a custom domain serves the site at `/`, with
/// no base_url: a missing URL whose first folder does not exist (`/oldsection/...`) must
/// not be taken for a project's sub-path.
#[test]
fn not_found_page_works_at_a_site_root_without_base_url() {
    let (_tmp, public) = scaffolded_site();
    let out = run(&["notfound", public.to_str().unwrap(), "/"]);
    assert_eq!(out["ok"], true, "{out}");
    assert!(!out["links"].as_array().unwrap().is_empty(), "{out}");
}

#[test]
fn deep_navigation_pages_fit_a_phone() {
    let tmp = tempfile::tempdir().unwrap();
    let site = sample_site(tmp.path(), None);
    let map = outputs(&render_like_build(&site).unwrap());
    let public = tmp.path().join("public");
    for (path, bytes) in &map {
        let p = public.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let out = run(&[
        "pages",
        public.to_str().unwrap(),
        "training/deep/cnn.html",
        "eval/accuracy.html",
    ]);
    assert_eq!(out["ok"], true, "{out}");
    assert!(Path::new(&public).join("training/fig.png").is_file());
}

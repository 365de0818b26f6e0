//! Search in headless Chromium from file://: the fixture site is built with the real
//! pipeline, then `tests/browser/search-browser.js` (playwright-core driving Debian's
//! /usr/bin/chromium) presses `/`, types a word that occurs only on a deep page, checks the
//! marked snippet, moves to the result with ArrowDown, opens it with Enter and checks that
//! the browser lands on that page's heading. Needs node; the npm packages and Chromium are
//! provisioned on first use (`crate::browser_support`).

use crate::browser_support;

use browser_support::{build_fixture, build_fixture_with, run_browser};

#[test]
fn a_word_only_on_a_deep_page_is_found_and_the_result_lands_on_its_heading() {
    let site = build_fixture("search-site");
    let out = run_browser(&[
        "search",
        site.path().to_str().unwrap(),
        // Start two levels away from the target, on another branch of the tree.
        "eval/accuracy.html",
        "xylophonic",
        "training/deep/kernels.html#fused-kernels",
    ]);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(
        out["first"]["href"], "../training/deep/kernels.html#fused-kernels",
        "result links are relative to the page: {out}"
    );
    assert_eq!(out["landed"]["tag"], "H2", "{out}");
}

#[test]
fn the_search_box_works_from_the_home_page_too() {
    let site = build_fixture("search-site");
    let out = run_browser(&[
        "search",
        site.path().to_str().unwrap(),
        "index.html",
        "Thrown away",
        "training/speed.html#warmup-quiz",
    ]);
    assert_eq!(out["ok"], true, "{out}");
}

#[test]
fn without_search_there_is_no_index_and_no_box() {
    let site = build_fixture_with("search-site", |yaml| format!("{yaml}search: false\n"));
    assert!(!site.path().join("search-index.js").exists());
    let html = std::fs::read_to_string(site.path().join("training/speed.html")).unwrap();
    assert!(!html.contains("data-bb-search"), "no search box");
    assert!(!html.contains("search.js"), "no search script");
}

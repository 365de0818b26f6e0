//! The flagship report builds from the committed results alone (`benchbook build --frozen`,
//! no framework needed) and reads well in a real browser from file://.
//!
//! The browser part drives Debian's /usr/bin/chromium with playwright-core
//! (`tests/browser/flagship-browser.js`; the npm packages and Chromium are provisioned on
//! first use by `crate::browser_support`). Screenshots land in `target/flagship-screenshots/`.

use scraper::{Html, Selector};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `benchbook build --frozen` of the repository's own report into a temporary directory.
fn build_flagship() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let output = Command::new(env!("CARGO_BIN_EXE_benchbook"))
        .args(["build", "--frozen", "-q", "--root"])
        .arg(repo())
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "benchbook build --frozen of the flagship report failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (tmp, out)
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("html"))
        .collect()
}

#[test]
fn the_report_builds_from_committed_results_with_every_figure_measured() {
    let (_tmp, out) = build_flagship();
    let lessons = [
        "foundations/metrics.html",
        "foundations/comparison.html",
        "performance/training-speed.html",
        "performance/deployment.html",
        "correctness/debugging.html",
        "correctness/evaluation.html",
        "correctness/metric-pitfalls.html",
        "wrap-up/self-check.html",
        "wrap-up/key-result.html",
    ];
    let pitfall = Selector::parse("aside.callout.pitfall").unwrap();
    let quiz = Selector::parse("form.quiz, div.quiz").unwrap();
    let failed = Selector::parse(".bb-failed").unwrap();
    for lesson in lessons {
        let text =
            std::fs::read_to_string(out.join(lesson)).unwrap_or_else(|e| panic!("{lesson}: {e}"));
        let doc = Html::parse_document(&text);
        assert!(doc.select(&pitfall).count() >= 1, "{lesson} has no pitfall");
        assert!(doc.select(&quiz).count() >= 1, "{lesson} has no quiz");
        assert_eq!(
            doc.select(&failed).count(),
            0,
            "{lesson} shows a failed measurement"
        );
        assert!(
            !text.contains("{{"),
            "{lesson} has an unexpanded expression"
        );
    }
    // Every "how this was measured" link leads to a provenance page whose download is a
    // published stored result with raw samples.
    let measured = Selector::parse("a.bb-measured-link").unwrap();
    let mut links = 0;
    for file in html_files(&out) {
        if file.starts_with(out.join("results")) {
            continue; // the provenance pages themselves link the JSON
        }
        let doc = Html::parse_document(&std::fs::read_to_string(&file).unwrap());
        for a in doc.select(&measured) {
            let page = a.value().attr("href").unwrap();
            assert!(page.ends_with(".html"), "{page}");
            let href = &page.replace(".html", ".json");
            assert!(file.parent().unwrap().join(page).is_file(), "{page}");
            let target = file.parent().unwrap().join(href);
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
            let samples = &json["runs"][0]["repetitions"][0]["result"]["metrics"];
            assert!(
                samples.as_object().is_some_and(|m| !m.is_empty()),
                "{href}: no raw samples"
            );
            links += 1;
        }
    }
    assert!(links >= 5, "only {links} 'how this was measured' links");
    // The pitfalls page gathers the lessons' pitfalls.
    let pitfalls = std::fs::read_to_string(out.join("pitfalls.html")).unwrap();
    assert!(Html::parse_document(&pitfalls).select(&pitfall).count() >= 9);
}

#[test]
fn the_report_works_in_headless_chromium_from_file() {
    let (_tmp, out) = build_flagship();
    let shots = repo().join("target/flagship-screenshots");
    let output = crate::browser_support::node("flagship-browser.js")
        .arg(&out)
        .arg(&shots)
        .output()
        .expect("node must be installed for the browser tests");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "flagship in Chromium:\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert!(report["pages"].as_array().unwrap().len() >= 10);
    assert!(report["confusion"].as_u64().unwrap() >= 1);
    assert!(report["charts"].as_u64().unwrap() >= 5);
}

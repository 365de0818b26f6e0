//! The print edition, built by the real pipeline from the search fixture site and checked
//! structurally (scraper) and in headless Chromium with print media.

mod browser_support;

use browser_support::{build_fixture, run_browser};
use scraper::{Html, Selector};
use std::collections::HashSet;

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn print_html() -> (tempfile::TempDir, Html) {
    let site = build_fixture("search-site");
    let text = std::fs::read_to_string(site.path().join("print.html")).unwrap();
    (site, Html::parse_document(&text))
}

#[test]
fn every_page_title_is_there_in_reading_order() {
    let (_site, doc) = print_html();
    let titles: Vec<String> = doc
        .select(&sel("article.print-page > h1.print-page-title"))
        .map(|h| h.text().collect::<String>())
        .collect();
    // The sidebar's order: a section's page, its pages (weight, then title; unweighted
    // last), then its subsections. The page with `search: false` is still printed.
    assert_eq!(
        titles,
        vec![
            "Home",
            "Training",
            "Training speed",
            "Memory",
            "Deep dives",
            "Kernels",
            "Evaluation",
            "Hidden notes",
            "Accuracy",
        ]
    );
    let articles: Vec<String> = doc
        .select(&sel("article.print-page"))
        .map(|a| a.value().id().unwrap_or_default().to_string())
        .collect();
    assert_eq!(articles[2], "training-speed");
    assert_eq!(articles[5], "training-deep-kernels");
}

#[test]
fn no_in_page_anchor_is_broken_and_ids_are_unique() {
    let (_site, doc) = print_html();
    let mut ids = HashSet::new();
    for el in doc.select(&sel("[id]")) {
        let id = el.value().id().unwrap();
        assert!(ids.insert(id.to_string()), "id {id} is used twice");
    }
    let mut anchors = 0;
    for a in doc.select(&sel("[href]")) {
        let href = a.value().attr("href").unwrap();
        if let Some(frag) = href.strip_prefix('#') {
            anchors += 1;
            assert!(ids.contains(frag), "broken in-page link {href}");
        }
    }
    assert!(
        anchors > 15,
        "the contents and the lessons link inside the page"
    );
    // Labels still point at their inputs.
    for l in doc.select(&sel("label[for]")) {
        let f = l.value().attr("for").unwrap();
        assert!(ids.contains(f), "label for={f} points nowhere");
    }
}

#[test]
fn links_between_pages_become_anchors_of_the_edition() {
    let (_site, doc) = print_html();
    let hrefs: Vec<String> = doc
        .select(&sel("main a[href]"))
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    // Home links to `training/speed.md#warm-up-runs`; speed links to `memory.md` and
    // `deep/kernels.md#fused-kernels`; accuracy links back to `../training/speed.md`.
    for expected in [
        "#training-speed--warm-up-runs",
        "#training-memory",
        "#training-deep-kernels--fused-kernels",
        "#training-speed",
    ] {
        assert!(
            hrefs.iter().any(|h| h == expected),
            "{expected} in {hrefs:?}"
        );
    }
    assert!(
        !hrefs.iter().any(|h| h.contains(".html")),
        "no link leaves the edition for a page: {hrefs:?}"
    );
}

#[test]
fn tables_pitfalls_and_quizzes_with_their_answers_are_included() {
    let (_site, doc) = print_html();
    let speed = doc
        .select(&sel("article#training-speed"))
        .next()
        .expect("the speed lesson");
    assert!(speed.select(&sel("table")).next().is_some(), "its table");
    assert!(
        speed.select(&sel(".pitfall")).next().is_some(),
        "its pitfall"
    );
    let quiz = speed
        .select(&sel("#training-speed--warmup-quiz"))
        .next()
        .expect("its quiz, id prefixed");
    let details: Vec<_> = quiz.select(&sel("details")).collect();
    assert!(!details.is_empty());
    assert!(
        details.iter().all(|d| d.value().attr("open").is_some()),
        "answers shown"
    );
    let names: HashSet<&str> = quiz
        .select(&sel("input[name]"))
        .map(|i| i.value().attr("name").unwrap())
        .collect();
    assert!(
        names.iter().all(|n| n.starts_with("training-speed--")),
        "radio groups cannot merge across lessons: {names:?}"
    );
}

#[test]
fn print_media_hides_navigation_and_breaks_pages_between_lessons() {
    let site = build_fixture("search-site");
    let out = run_browser(&["print", site.path().to_str().unwrap()]);
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["pages"], 9, "{out}");
}

#[test]
fn every_page_of_the_theme_links_to_the_print_edition() {
    let site = build_fixture("search-site");
    let html = std::fs::read_to_string(site.path().join("training/deep/kernels.html")).unwrap();
    let doc = Html::parse_document(&html);
    assert!(
        doc.select(&sel("a[href]"))
            .any(|a| a.value().attr("href") == Some("../../print.html")),
        "a relative link to print.html"
    );
}

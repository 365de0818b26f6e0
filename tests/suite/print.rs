//! The print edition, built by the real pipeline from the search fixture site and checked
//! structurally (scraper) and in headless Chromium with print media.

use crate::browser_support;
use crate::common;

use browser_support::{build_fixture, build_fixture_with, repo, run_browser};
use scraper::{Html, Selector};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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

/// `print: false` in site.yaml: `build` writes no print.html and no page links to it.
#[test]
fn print_false_builds_no_edition_and_no_link_to_it() {
    let site = build_fixture_with("search-site", |yaml| format!("{yaml}print: false\n"));
    assert!(!site.path().join("print.html").exists());
    let mut pages = 0;
    for e in walkdir::WalkDir::new(site.path()) {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "html") {
            pages += 1;
            let doc = Html::parse_document(&std::fs::read_to_string(e.path()).unwrap());
            let link = doc.select(&sel("a[href]")).find(|a| {
                a.value().attr("href").unwrap().contains("print.html")
                    || a.text().any(|t| t.contains("Print edition"))
            });
            assert!(
                link.is_none(),
                "{} links to the print edition",
                e.path().display()
            );
        }
    }
    assert!(pages >= 9, "the pages are still built ({pages})");
    // The search index is not affected.
    assert!(site.path().join("search-index.js").exists());
}

/// `serve` (in memory, where print.html is made on request) answers 404 for it with
/// `print: false`, and 200 without.
#[test]
fn serve_makes_no_print_edition_with_print_false() {
    for (print, status) in [(false, 404), (true, 200)] {
        let work = tempfile::tempdir().unwrap();
        let root = work.path().join("site");
        copy_dir(&repo().join("tests/fixtures/valid/search-site"), &root);
        if !print {
            let yaml = std::fs::read_to_string(root.join("site.yaml")).unwrap();
            std::fs::write(root.join("site.yaml"), format!("{yaml}print: false\n")).unwrap();
        }
        let serving = Serve::start(&root, work.path());
        assert_eq!(serving.get("/print.html").0, status, "print: {print}");
        let (code, page) = serving.get("/training/deep/kernels.html");
        assert_eq!(code, 200);
        assert_eq!(
            page.contains("print.html\">Print edition</a>"),
            print,
            "print: {print}"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A `benchbook serve --port 0` of a site; killed when dropped.
struct Serve {
    child: Child,
    port: u16,
}

impl Serve {
    fn start(root: &Path, tmp: &Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_benchbook"))
            .arg("--root")
            .arg(root)
            .args(["serve", "--port", "0"])
            .env("TMPDIR", tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start benchbook serve");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        // Keep reading, so that nothing serve prints later meets a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let port = common::served_port(&line);
        Serve { child, port }
    }

    /// Status and body of `GET path`.
    fn get(&self, path: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let status = raw
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status in {raw:?}"));
        let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, body.to_string())
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

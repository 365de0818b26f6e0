//! `benchbook init DIR` end to end: the scaffold builds cleanly with the real binary, and
//! holds what the issue promises (a lesson with a pitfall, a quiz, code and a table).

use scraper::{Html, Selector};
use std::path::Path;
use std::process::Command;

fn benchbook() -> Command {
    Command::new(env!("CARGO_BIN_EXE_benchbook"))
}

fn doc(path: &Path) -> Html {
    Html::parse_document(&std::fs::read_to_string(path).unwrap())
}

fn count(doc: &Html, selector: &str) -> usize {
    doc.select(&Selector::parse(selector).unwrap()).count()
}

#[test]
fn init_then_build_gives_a_working_site() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my site");
    let out = benchbook().arg("init").arg(&dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("benchbook build --root"), "{stdout}");
    assert!(dir.join("site.yaml").is_file());
    assert!(!dir.join("themes").exists(), "uses the compiled-in theme");

    let out = benchbook()
        .arg("build")
        .arg("--root")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = dir.join("public");
    for f in [
        "index.html",
        "basics/index.html",
        "basics/first-lesson.html",
        "pitfalls.html",
        "404.html",
        ".nojekyll",
        "static/style.css",
        "static/quiz.js",
    ] {
        assert!(public.join(f).is_file(), "missing {f}");
    }
    assert!(
        !public.join("sitemap.xml").exists(),
        "no base_url, no sitemap"
    );

    let lesson = doc(&public.join("basics/first-lesson.html"));
    assert_eq!(count(&lesson, "aside.callout.pitfall"), 1);
    assert_eq!(count(&lesson, "aside.callout.tip"), 1);
    assert_eq!(
        count(&lesson, "form.quiz[data-quiz] input[data-correct]"),
        1
    );
    assert_eq!(count(&lesson, "form.quiz .quiz-choice"), 3);
    assert_eq!(count(&lesson, "details.quiz-answer"), 1);
    assert_eq!(count(&lesson, ".code-block pre code"), 1);
    assert_eq!(count(&lesson, "table th"), 2);
    assert_eq!(count(&lesson, "nav.sidebar a[aria-current=page]"), 1);
    assert_eq!(count(&lesson, "nav.breadcrumbs li"), 3);
    assert_eq!(count(&lesson, "nav.toc li"), 3);
    assert_eq!(count(&lesson, "h1"), 1);

    let pitfalls = doc(&public.join("pitfalls.html"));
    let links: Vec<_> = pitfalls
        .select(&Selector::parse(".pitfall-source a").unwrap())
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(links, ["basics/first-lesson.html#pitfall-1"]);
    assert_eq!(count(&lesson, "#pitfall-1"), 1);
}

#[test]
fn init_refuses_a_non_empty_directory() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "keep me").unwrap();
    let out = benchbook().arg("init").arg(tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not empty; expected a new or empty directory"),
        "{stderr}"
    );
    assert!(!tmp.path().join("site.yaml").exists());
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("notes.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn init_accepts_an_existing_empty_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = benchbook()
        .arg("init")
        .arg(tmp.path())
        .arg("-q")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "-q prints nothing");
    assert!(tmp.path().join("content/basics/first-lesson.md").is_file());
}

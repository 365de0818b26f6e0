//! `benchbook check`: the real binary on fixture sites (tests/fixtures/check/measured, whose
//! benchmark runs the fake runner). Every error is `file:line:column`; nothing is written and
//! no runner is started.

use crate::common;

use common::Site;
use std::path::Path;
use std::process::{Command, Output};

const FAKE: &str = env!("CARGO_BIN_EXE_benchbook-fake-runner");

/// The measured fixture, its benchmark declared with the fake runner.
fn measured(workload: &str) -> Site {
    let site = Site::copy("check", "measured");
    declare(&site, workload);
    site
}

fn declare(site: &Site, workload: &str) {
    site.write(
        "benchmarks/speed.yaml",
        &format!(
            "title: Speed\nrunners:\n  - {{name: fake, command: [{FAKE}]}}\nworkload: {workload}\nrepetitions: 2\n"
        ),
    );
}

/// `benchbook <args>` in the site root, with its own cache folder and fake runner log.
fn run(site: &Site, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_benchbook"))
        .args(args)
        .current_dir(site.root())
        .env("XDG_CACHE_HOME", site.dir.path().join("cache"))
        .env("BENCHBOOK_FAKE_LOG", site.dir.path().join("fake.log"))
        .output()
        .expect("run benchbook")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runner processes the fake runner logged.
fn starts(site: &Site) -> usize {
    std::fs::read_to_string(site.dir.path().join("fake.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("start "))
        .count()
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().display().to_string())
        .collect();
    files.sort();
    files
}

#[test]
fn a_clean_site_exits_0_with_one_line() {
    let site = measured("{mode: ok}");
    let bench = run(&site, &["bench", "-q"]);
    assert!(bench.status.success(), "{}", stderr(&bench));
    let ran = starts(&site);
    assert!(ran > 0);
    let before = tree(&site.root());

    let out = run(&site, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("check: 3 pages and 1 benchmark result fine")
            && text.contains("no errors"),
        "{text}"
    );
    assert_eq!(tree(&site.root()), before, "check wrote nothing");
    assert_eq!(starts(&site), ran, "check started no runner");

    let quiet = run(&site, &["check", "-q"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stdout(&quiet), "");

    // The plain fixture site without benchmarks is clean too.
    let basic = Site::copy("valid", "basic");
    let out = run(&basic, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!basic.public().exists());
}

#[test]
fn a_missing_result_is_an_error_at_the_benchmarks_entry() {
    let site = measured("{mode: ok}");
    let out = run(&site, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    // `  - speed` is line 5 of content/speed.md, the id at column 5.
    assert!(
        err.contains("content/speed.md:5:5: missing result: benchmark `speed` has no stored result for fake on speed"),
        "{err}"
    );
    assert!(err.contains("benchbook bench speed"), "{err}");
    assert_eq!(starts(&site), 0, "check never runs a runner");
    assert!(!site.root().join("benchmarks/results").exists());
    assert!(!site.public().exists());
}

#[test]
fn a_stale_result_is_an_error() {
    let site = measured("{mode: ok}");
    assert!(run(&site, &["bench", "-q"]).status.success());
    declare(&site, "{mode: ok, seed: 7}");
    let out = run(&site, &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("content/speed.md:5:5: stale result: benchmark `speed` was measured before benchmarks/speed.yaml or its runner changed"),
        "{err}"
    );
    // Only the page that lists it: one error line plus the summary.
    assert_eq!(
        err.lines().filter(|l| l.starts_with("content/")).count(),
        1,
        "{err}"
    );
}

#[test]
fn a_broken_link_and_a_bad_quiz_are_reported_together() {
    let site = measured("{mode: ok}");
    assert!(run(&site, &["bench", "-q"]).status.success());
    site.write(
        "content/notes.md",
        "---\ntitle: Notes\n---\n## Reading\n\nBack to the [results](speed.md#resluts) and [gone](gone.md).\n\n```quiz\nquestion: Is this a quiz?\nchoices:\n  - text: Yes\n    corect: true\n```\n",
    );
    let out = run(&site, &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("content/notes.md:"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("content/notes.md:6:") && l.contains("resluts")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("content/notes.md:6:") && l.contains("gone.md")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("content/notes.md:12:5:") && l.contains("corect")),
        "{err}"
    );
    assert!(err.contains("errors found"), "{err}");
    assert!(!site.public().exists());
}

/// A local HTTP server: `/ok` answers 200, everything else 404. Stops when dropped.
struct LocalServer {
    server: std::sync::Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
    port: u16,
}

impl LocalServer {
    fn start() -> LocalServer {
        let server = std::sync::Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let s = server.clone();
        let thread = std::thread::spawn(move || {
            for req in s.incoming_requests() {
                let code = if req.url() == "/ok" { 200 } else { 404 };
                let _ = req.respond(tiny_http::Response::from_string("x").with_status_code(code));
            }
        });
        LocalServer {
            server,
            thread: Some(thread),
            port,
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn external_links_are_checked_only_when_asked_and_cached() {
    let site = Site::copy("valid", "basic");
    let server = LocalServer::start();
    let ok = format!("http://127.0.0.1:{}/ok", server.port);
    let missing = format!("http://127.0.0.1:{}/missing", server.port);
    site.write(
        "content/links.md",
        &format!("---\ntitle: Links\n---\nSee [a good page]({ok}#part).\n\nAnd [a bad one]({missing}).\n"),
    );

    // Off by default: offline checks pass.
    let out = run(&site, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = run(&site, &["check", "--external"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "content/links.md:6:17: broken external link {missing}: HTTP 404"
        )),
        "{err}"
    );
    assert!(!err.contains("/ok"), "{err}");
    let cache = site.dir.path().join("cache/benchbook/links.json");
    let cached = std::fs::read_to_string(&cache).expect("the link cache");
    assert!(cached.contains(&ok), "{cached}");

    // The good link comes from the cache: with the server gone, only the bad one fails.
    drop(server);
    site.write(
        "content/links.md",
        &format!("---\ntitle: Links\n---\nSee [a good page]({ok}).\n"),
    );
    let out = run(&site, &["check", "--external"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 external link reachable (1 from the cache)"),
        "{}",
        stdout(&out)
    );
}

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

/// A local HTTP server (hyper, as `serve` uses): `/ok` answers 200, everything else 404.
/// Stops when dropped.
struct LocalServer {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    port: u16,
}

impl LocalServer {
    fn start() -> LocalServer {
        use http_body_util::Full;
        use hyper::body::Bytes;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let accepting = tokio::spawn(async move {
                    while let Ok((stream, _)) = listener.accept().await {
                        let service = hyper::service::service_fn(
                            |req: hyper::Request<hyper::body::Incoming>| async move {
                                let code = if req.uri().path() == "/ok" { 200 } else { 404 };
                                let mut res = hyper::Response::new(Full::new(Bytes::from("x")));
                                *res.status_mut() = hyper::StatusCode::from_u16(code).unwrap();
                                Ok::<_, std::convert::Infallible>(res)
                            },
                        );
                        let conn = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                        tokio::spawn(async move {
                            let _ = conn.await;
                        });
                    }
                });
                let _ = stopped.await;
                accepting.abort();
            });
            rt.shutdown_background();
        });
        LocalServer {
            stop: Some(stop),
            thread: Some(thread),
            port,
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
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

/// The measured fixture plus a benchmark of two fake runners, `fast` and `slow` (1.5 times its step time,
/// each process a little off its runner's level), and a page `content/pair.md` with `body`.
fn pair(body: &str) -> Site {
    let site = measured("{mode: ok}");
    site.write(
        "benchmarks/pair.yaml",
        &format!(
            "title: Pair
runners:
  - {{name: fast, command: [{FAKE}]}}
  - {{name: slow, command: [{FAKE}]}}
workload:
  mode: ok
  frameworks: {{fast: Fast, slow: Slow}}
  metrics:
    step_time: {{unit: s, mean: {{fast: 0.001, slow: 0.0015}}, spread: 0.05, n: 6, warmup: 1, process_spread: 0.02, region: one step}}
    load_time: {{unit: s, mean: 0.01, spread: 0.05, n: 3, process_spread: 0.02, region: {{fast: load and predict once, slow: load only}}}}
repetitions: 5
"
        ),
    );
    write_pair_page(&site, body);
    site
}

fn write_pair_page(site: &Site, body: &str) {
    site.write(
        "content/pair.md",
        &format!("---\ntitle: Pair\nbenchmarks: [pair]\n---\n{body}"),
    );
}

#[test]
fn claims_and_timed_regions_are_checked_against_the_measurements() {
    let site = pair(
        "Step: {{ claim(bench=\"pair\", metric=\"step_time\", expect=\"fast\", text=\"the fast runner takes less time per step\") }}.\n",
    );
    let build = run(&site, &["build", "-q"]);
    assert!(build.status.success(), "{}", stderr(&build));
    // 2 runners × (1 warm-up + 5 measured processes), interleaved.
    assert_eq!(starts(&site), 12 + starts_of_speed(&site));
    let html = std::fs::read_to_string(site.public().join("pair.html")).unwrap();
    assert!(
        html.contains("Step: the fast runner takes less time per step."),
        "{html}"
    );

    // The prose says the opposite of the stored results: build and check fail at the claim.
    write_pair_page(
        &site,
        "Text.\n\nStep: {{ claim(bench=\"pair\", metric=\"step_time\", expect=\"slow\", text=\"the slow runner is faster\") }}.\n",
    );
    for cmd in ["build", "check"] {
        let out = run(&site, &[cmd]);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {}", stdout(&out));
        let err = stderr(&out);
        // Fast is about 1.5x faster (each process drifts by up to 2%, by its pid).
        let says = err
            .split("content/pair.md:7:10: this claim no longer holds: it expects `slow`, but the stored results of `pair` say: Fast 1.")
            .nth(1)
            .unwrap_or_else(|| panic!("{cmd}: {err}"));
        assert!(
            says[..2]
                .parse::<u32>()
                .is_ok_and(|r| (45..=55).contains(&r))
                && says[2..].starts_with("x faster ("),
            "{cmd}: {err}"
        );
    }
    assert!(
        std::fs::read_to_string(site.public().join("pair.html"))
            .unwrap()
            .contains("the fast runner takes less time per step"),
        "a failed build leaves the previous site"
    );

    // The two runners timed different regions for `load_time`: no verdict, at its line.
    write_pair_page(
        &site,
        "Load: {{ verdict(bench=\"pair\", metric=\"load_time\") }}\n",
    );
    let out = run(&site, &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("content/pair.md:5:40: cannot compare `load_time`: the two runs timed different regions (\"load and predict once\" against \"load only\"); expected both runners to time the same region"),
        "{err}"
    );
    // Their values are still fine to quote one by one.
    write_pair_page(
        &site,
        "Load: {{ bench.pair.fast.load_time.median }} and {{ bench.pair.slow.load_time.n }} processes.\n",
    );
    let out = run(&site, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Runner starts for the fixture's own `speed` benchmark (built along with `pair`).
fn starts_of_speed(site: &Site) -> usize {
    std::fs::read_to_string(site.dir.path().join("fake.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("start speed "))
        .count()
}

#[test]
fn a_result_of_another_protocol_is_refused_by_check_build_and_frozen_bench() {
    let site = measured("{mode: ok}");
    assert!(run(&site, &["bench", "-q"]).status.success());
    let path = site.root().join("benchmarks/results/speed.json");
    let text = std::fs::read_to_string(&path).unwrap();
    // The second process's runner result declares protocol 99.
    let at: Vec<usize> = text
        .match_indices("\"protocol\": 1,")
        .map(|(i, _)| i)
        .collect();
    assert!(at.len() >= 3, "{text}");
    let i = at[2];
    let edited = format!("{}\"protocol\": 99,{}", &text[..i], &text[i + 14..]);
    std::fs::write(&path, &edited).unwrap();
    let line = edited[..i].lines().count();
    let column = edited[..i].rsplit('\n').next().unwrap().chars().count() + 1;
    let expected = format!(
        "benchmarks/results/speed.json:{line}:{column}: the stored result speaks protocol 99, which this benchbook cannot read; expected protocol 1 (`benchbook bench --rerun speed` replaces it)"
    );
    for args in [
        &["check"][..],
        &["build"][..],
        &["bench", "--frozen"][..],
        &["build", "--frozen"][..],
    ] {
        let out = run(&site, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&expected),
            "{args:?}: {err}\nexpected {expected}"
        );
    }
    assert!(!site.public().exists());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
    // --rerun replaces it.
    let out = run(&site, &["bench", "--rerun", "-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Every `protocol` of the new file is 1 (a substring test for "99" would also match a
    // measured number such as 0.00199).
    let replaced: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    fn protocols(v: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if k == "protocol" {
                        out.push(x.clone());
                    }
                    protocols(x, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| protocols(x, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    protocols(&replaced, &mut found);
    assert!(!found.is_empty());
    assert!(found.iter().all(|p| p == 1), "{found:?}");
}

//! `benchbook serve`: the real binary on fixture sites, driven with plain HTTP from the test
//! (raw requests, so paths reach the server exactly as written) and the reload channel read
//! as Server-Sent Events.

use crate::common;

use common::Site;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FAKE: &str = env!("CARGO_BIN_EXE_benchbook-fake-runner");

/// A running `benchbook serve`; killed when dropped.
struct Serving {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<String>>,
    /// The child's TMPDIR (its default output lives there).
    tmp: tempfile::TempDir,
}

impl Serving {
    fn start(site: &Site, extra: &[&str]) -> Serving {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_benchbook"))
            .arg("--root")
            .arg(site.root())
            .args(["serve", "--port", "0"])
            .args(extra)
            .env("TMPDIR", tmp.path())
            .env("BENCHBOOK_FAKE_LOG", site.dir.path().join("fake.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start benchbook serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| {
                panic!(
                    "serve printed no address; stderr: {}",
                    stderr.lock().unwrap()
                )
            });
        let port = common::served_port(&line);
        Serving {
            child,
            port,
            stderr,
            tmp,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The server's stderr once it contains `needle` (up to 10 s): a reader thread copies the
    /// pipe, so a line the server wrote just before an event may not be here yet.
    fn stderr_with(&self, needle: &str) -> String {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let err = self.stderr();
            if err.contains(needle) || std::time::Instant::now() > until {
                return err;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    fn get(&self, path: &str) -> Response {
        get(self.port, path)
    }

    fn events(&self) -> Events {
        Events::open(self.port)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Response {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// `GET path` sent as written (no normalisation of `..` or escapes).
fn get(port: u16, path: &str) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read the response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status");
    Response {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    }
}

/// The reload channel, read event by event.
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn open(port: u16) -> Events {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        write!(
            s,
            "GET /__benchbook/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        s.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut reader = BufReader::new(s);
        // Skip the response head.
        let mut line = String::new();
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => panic!("the event stream closed"),
                Ok(_) if line == "\r\n" => break,
                Ok(_) => assert!(
                    !line.starts_with("HTTP/") || line.contains(" 200 "),
                    "{line}"
                ),
                Err(_) => assert!(Instant::now() < end, "no event stream head"),
            }
        }
        Events { reader }
    }

    /// The next event (name, data) within `secs`, skipping comments.
    fn next(&mut self, secs: u64) -> Option<(String, String)> {
        let end = Instant::now() + Duration::from_secs(secs);
        let (mut name, mut data) = (String::new(), Vec::<String>::new());
        let mut line = String::new();
        while Instant::now() < end {
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(_) => continue,
            }
            let l = line.trim_end_matches(['\r', '\n']);
            if l.is_empty() {
                if !name.is_empty() {
                    return Some((name, data.join("\n")));
                }
            } else if let Some(v) = l.strip_prefix("event: ") {
                name = v.to_string();
            } else if let Some(v) = l.strip_prefix("data: ") {
                data.push(v.to_string());
            }
        }
        None
    }

    /// Events until one named `want` (returned), within `secs`.
    fn until(&mut self, want: &str, secs: u64) -> (String, Vec<String>) {
        let end = Instant::now() + Duration::from_secs(secs);
        let mut seen = Vec::new();
        while Instant::now() < end {
            if let Some((name, data)) = self.next(1) {
                if name == want {
                    return (data, seen);
                }
                seen.push(name);
            }
        }
        panic!("no `{want}` event within {secs} s; saw {seen:?}");
    }
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            std::fs::read(e.path())
                .map(|b| String::from_utf8_lossy(&b).contains(needle))
                .unwrap_or(false)
        })
        .map(|e| e.path().to_path_buf())
        .collect()
}

#[test]
fn an_edit_rebuilds_and_reloads_the_page() {
    let site = Site::copy("valid", "basic");
    let out = site.dir.path().join("out");
    let serving = Serving::start(&site, &["--out", out.to_str().unwrap()]);
    let page = serving.get("/intro.html");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.text().contains("data-benchbook-serve"),
        "reload script"
    );
    assert!(!page.text().contains("freshly-edited-word"));

    let mut events = serving.events();
    let (hello, _) = events.until("hello", 10);
    assert_eq!(hello, "1");
    let intro = site.root().join("content/intro.md");
    let mut text = std::fs::read_to_string(&intro).unwrap();
    text.push_str("\nA freshly-edited-word appears.\n");
    std::fs::write(&intro, text).unwrap();
    let (generation, _) = events.until("reload", 60);
    assert_eq!(generation, "2");
    let page = serving.get("/intro.html");
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("freshly-edited-word"),
        "{}",
        serving.stderr()
    );
    assert!(serving
        .stderr()
        .contains("change: content/intro.md; rebuilding"));

    // The script is added to responses only: the files on disk never hold it.
    assert!(out.join("intro.html").is_file());
    assert_eq!(
        files_containing(&out, "benchbook-serve"),
        Vec::<PathBuf>::new()
    );
    assert_eq!(files_containing(&out, "__benchbook"), Vec::<PathBuf>::new());
}

#[test]
fn a_broken_edit_keeps_the_last_good_site_and_reports_the_error() {
    let site = Site::copy("valid", "basic");
    let serving = Serving::start(&site, &[]);
    let before = serving.get("/intro.html").text();
    let mut events = serving.events();
    events.until("hello", 10);

    site.write(
        "content/intro.md",
        "---\ntitle: [unclosed\n---\nBroken <b>edit</b>.\n",
    );
    let (error, _) = events.until("builderror", 60);
    assert!(
        error.contains("content/intro.md:3:1: invalid YAML in front matter"),
        "{error}"
    );
    assert!(error.contains("errors found"), "{error}");
    let now = serving.get("/intro.html");
    assert_eq!(now.status, 200);
    assert_eq!(now.text(), before, "the last good page is still served");
    let err = serving.stderr_with("the rebuild failed; still serving the last good site");
    assert!(err.contains("content/intro.md:"), "{err}");
    assert!(
        err.contains("the rebuild failed; still serving the last good site"),
        "{err}"
    );
    // A late client is told about the error on connect.
    let mut late = serving.events();
    late.until("hello", 10);
    let (again, _) = late.until("builderror", 10);
    assert_eq!(again, error);

    // Fixing it reloads the pages.
    site.write(
        "content/intro.md",
        "---\ntitle: Intro\n---\n## Overview\n\nFixed-again text.\n",
    );
    let (generation, _) = events.until("reload", 60);
    assert_eq!(generation, "2");
    assert!(serving
        .get("/intro.html")
        .text()
        .contains("Fixed-again text"));
}

#[test]
fn only_files_under_the_output_are_served() {
    let site = Site::copy("valid", "basic");
    let out = site.dir.path().join("out");
    std::fs::write(site.dir.path().join("secret.txt"), "top secret").unwrap();
    let serving = Serving::start(&site, &["--out", out.to_str().unwrap()]);
    // Symlinks that lead out of the output directory, made after the build.
    std::os::unix::fs::symlink(site.dir.path().join("secret.txt"), out.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(site.dir.path(), out.join("up")).unwrap();
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/training/../../secret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/leak.txt",
        "/up/secret.txt",
        "/up/site/site.yaml",
        "/no-such-page.html",
    ] {
        let r = serving.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("top secret"), "{path}");
    }
    // What is there is served with its type; a folder serves its index.html.
    let r = serving.get("/training/");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("<html"));
    let r = serving.get("/training");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location").as_deref(), Some("/training/"));
    let r = serving.get("/img/plot.svg");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type").as_deref(), Some("image/svg+xml"));
    let css = walkdir::WalkDir::new(&out)
        .into_iter()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "css"))
        .expect("a stylesheet");
    let rel = css.path().strip_prefix(&out).unwrap().display().to_string();
    let r = serving.get(&format!("/{rel}?v=1"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("text/css; charset=utf-8")
    );
    assert!(
        !r.text().contains("benchbook-serve"),
        "only HTML gets the script"
    );
}

#[test]
fn the_in_memory_site_refuses_traversal_too() {
    let site = Site::copy("valid", "basic");
    let serving = Serving::start(&site, &[]);
    for path in [
        "/../site.yaml",
        "/%2e%2e/site.yaml",
        "/..%2fsite.yaml",
        "/training/../../site.yaml",
        "/..\\site.yaml",
        "/%5c..%5csite.yaml",
        "/content/intro.md",
        "/no-such-page.html",
    ] {
        let r = serving.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("title: Fixture report"), "{path}");
    }
    let r = serving.get("/intro.html");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("data-benchbook-serve"));
    assert_eq!(serving.get("/training").status, 301);
    assert_eq!(serving.get("/training/").status, 200);
    let r = serving.get("/img/plot.svg");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type").as_deref(), Some("image/svg+xml"));
    // The search index and the print edition, made on request, are the ones `build` writes.
    site.build().expect("build");
    let js = serving.get("/search-index.js");
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type").as_deref(),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        js.body,
        std::fs::read(site.public().join("search-index.js")).unwrap()
    );
    let print = serving.get("/print.html").text();
    let start = print
        .find("<script data-benchbook-serve>")
        .expect("the script");
    let end = start + print[start..].find("</script>\n").unwrap() + "</script>\n".len();
    let without = format!("{}{}", &print[..start], &print[end..]);
    assert_eq!(
        without,
        std::fs::read_to_string(site.public().join("print.html")).unwrap()
    );
    // The site's own 404 page, with the reload script.
    let r = serving.get("/nowhere/deep/page.html");
    assert_eq!(r.status, 404);
    assert!(r.text().contains("data-benchbook-serve"), "{}", r.text());
}

#[test]
fn ctrl_c_stops_cleanly_and_leaves_nothing_behind() {
    let site = Site::copy("valid", "basic");
    let mut serving = Serving::start(&site, &[]);
    assert_eq!(serving.get("/").status, 200);
    let tmp_entries = || std::fs::read_dir(serving.tmp.path()).unwrap().count();
    // SAFETY: signals our own child.
    unsafe {
        libc::kill(serving.child.id() as i32, libc::SIGINT);
    }
    let end = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = serving.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < end, "serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    assert!(serving.stderr().contains("serve: stopped"));
    // The default output lives in memory: nothing was written anywhere.
    assert_eq!(tmp_entries(), 0);
    assert!(!site.public().exists());
}

#[test]
fn missing_and_stale_results_show_badges_and_nothing_is_run() {
    let site = Site::copy("check", "measured");
    let declare = |workload: &str| {
        site.write(
            "benchmarks/speed.yaml",
            &format!(
                "title: Speed\nrunners:\n  - {{name: fake, command: [{FAKE}]}}\nworkload: {workload}\nrepetitions: 2\n"
            ),
        )
    };
    declare("{mode: ok}");
    let serving = Serving::start(&site, &[]);
    let page = serving.get("/speed.html").text();
    assert!(page.contains("class=\"bb-failed\""), "{page}");
    assert!(page.contains("no stored result"), "{page}");
    assert!(
        !site.dir.path().join("fake.log").exists(),
        "no runner started"
    );
    drop(serving);

    // Measured, then its declaration changed: the stale value is shown with its badge.
    let bench = Command::new(env!("CARGO_BIN_EXE_benchbook"))
        .arg("--root")
        .arg(site.root())
        .args(["bench", "-q"])
        .output()
        .unwrap();
    assert!(bench.status.success());
    declare("{mode: ok, seed: 3}");
    let serving = Serving::start(&site, &[]);
    let page = serving.get("/speed.html").text();
    assert!(page.contains("class=\"bb-stale\""), "{page}");
    assert!(!page.contains("bb-failed"), "{page}");
    assert!(serving.stderr().contains("stale"), "{}", serving.stderr());
}

#[test]
fn build_output_has_no_reload_script() {
    let site = Site::copy("valid", "basic");
    site.build().expect("build");
    assert!(site.public().join("index.html").is_file());
    assert_eq!(
        files_containing(&site.public(), "benchbook-serve"),
        Vec::<PathBuf>::new()
    );
    assert_eq!(
        files_containing(&site.public(), "__benchbook"),
        Vec::<PathBuf>::new()
    );
}

/// In headless Chromium: a broken edit shows the error overlay (as text), the fix reloads the
/// page by itself (tests/browser/serve-browser.js).
#[test]
fn the_browser_shows_the_error_overlay_and_reloads() {
    let site = Site::copy("valid", "basic");
    let serving = Serving::start(&site, &[]);
    let source = site.root().join("content/intro.md");
    let original = std::fs::read_to_string(&source).unwrap();
    let broken = original.replacen("---\n", "---\n\"<img src=x onerror=alert(1)>\": 1\n", 1);
    let fixed = format!("{original}\nThe browser-reload-marker is here.\n");
    let out = crate::browser_support::node("serve-browser.js")
        .arg(format!("http://127.0.0.1:{}/intro.html", serving.port))
        .arg(&source)
        .arg(&broken)
        .arg(&fixed)
        .arg("browser-reload-marker")
        .output()
        .expect("node (Node.js 20) must be installed for the browser tests");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}{}\nserve: {}",
        String::from_utf8_lossy(&out.stderr),
        serving.stderr()
    );
    let report: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    let overlay = report["overlay"].as_str().unwrap();
    assert!(
        overlay.contains("content/intro.md:2:2:")
            && overlay.contains("<img src=x onerror=alert(1)>"),
        "{overlay}"
    );
    assert_eq!(report["reloaded"], true);
}

#[test]
fn bench_opts_in_to_measuring_and_ctrl_c_still_stops() {
    let site = Site::copy("check", "measured");
    site.write(
        "benchmarks/speed.yaml",
        &format!(
            "title: Speed\nrunners:\n  - {{name: fake, command: [{FAKE}]}}\nworkload: {{mode: ok}}\nrepetitions: 2\n"
        ),
    );
    let mut serving = Serving::start(&site, &["--bench"]);
    let page = serving.get("/speed.html").text();
    assert!(!page.contains("bb-failed"), "{page}");
    assert!(!page.contains("bb-stale"), "{page}");
    let value = page
        .split("median step time is ")
        .nth(1)
        .expect("the sentence with the value");
    assert!(
        value.starts_with(|c: char| c.is_ascii_digit()),
        "a measured step time: {value}"
    );
    let log = std::fs::read_to_string(site.dir.path().join("fake.log")).unwrap();
    // One warm-up process (the default), then the two measured repetitions.
    assert_eq!(log.lines().filter(|l| l.starts_with("start ")).count(), 3);
    assert!(site.root().join("benchmarks/results/speed.json").is_file());
    // The bench step's own Ctrl-C guard came and went: serve's is armed again.
    // SAFETY: signals our own child.
    unsafe {
        libc::kill(serving.child.id() as i32, libc::SIGINT);
    }
    let end = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = serving.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < end, "serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    assert!(
        serving.stderr().contains("serve: stopped"),
        "{}",
        serving.stderr()
    );
}

/// Send `head` (then keep sending `rest` from another thread) and read the answer as it
/// arrives; the server may close before everything is sent. Returns the answer and whether
/// everything was sent.
fn send_raw(port: u16, head: Vec<u8>, rest: Option<(Vec<u8>, usize)>) -> (String, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        if w.write_all(&head).is_err() {
            return false;
        }
        if let Some((chunk, times)) = rest {
            for _ in 0..times {
                if w.write_all(&chunk).is_err() {
                    return false;
                }
            }
        }
        true
    });
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    drop(s);
    let sent_all = writer.join().unwrap();
    (String::from_utf8_lossy(&raw).into_owned(), sent_all)
}

/// The server's resident memory in kB.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
fn oversized_request_lines_and_headers_are_refused_without_buffering_them() {
    let site = Site::copy("valid", "basic");
    let serving = Serving::start(&site, &[]);
    let port = serving.port;
    assert_eq!(serving.get("/").status, 200);

    // The request line: 8 KB at most, 414 beyond.
    let path = format!("/{}", "a".repeat(9 * 1024));
    let (answer, _) = send_raw(
        port,
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").into_bytes(),
        None,
    );
    assert!(
        answer.starts_with("HTTP/1.1 414 URI Too Long\r\n"),
        "{answer}"
    );
    // Just under the limit is a normal request (404: no such page).
    let path = format!("/{}", "a".repeat(8 * 1024 - 100));
    assert_eq!(serving.get(&path).status, 404);

    // The header block: 64 KB at most, 431 beyond; the server answers the next request.
    let big = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n",
        "v".repeat(70 * 1024)
    );
    let (answer, _) = send_raw(port, big.into_bytes(), None);
    assert!(
        answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{answer}"
    );
    assert_eq!(serving.get("/").status, 200);
    let many = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n{}\r\n",
        "X-Some: value\r\n".repeat(5000)
    );
    let (answer, _) = send_raw(port, many.into_bytes(), None);
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    // Many headers under the limit are fine.
    let fine = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n{}Connection: close\r\n\r\n",
        "X-Some: value\r\n".repeat(1000)
    );
    let (answer, _) = send_raw(port, fine.into_bytes(), None);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");

    // A 20 MB header block: the connection is closed after the cap (long before the client
    // has sent it all), and the server does not grow by it.
    let before = rss_kb(serving.child.id());
    let line = format!("X-Flood: {}\r\n", "f".repeat(1000)).into_bytes();
    let (answer, sent_all) = send_raw(
        port,
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_vec(),
        Some((line, 20 * 1024)),
    );
    assert!(!sent_all, "the server read a 20 MB header block");
    // The 431 is written before the close; a reset may discard it on the client's side.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431 "),
        "{answer}"
    );
    let after = rss_kb(serving.child.id());
    assert!(
        after < before + 8 * 1024,
        "the server grew from {before} kB to {after} kB"
    );
    // Still serving, and the reload channel still works.
    assert_eq!(serving.get("/").status, 200);
    let mut events = serving.events();
    events.until("hello", 20);
}

#[test]
fn head_answers_the_headers_of_get_without_the_body_and_other_methods_get_405() {
    let site = Site::copy("valid", "basic");
    let serving = Serving::start(&site, &[]);
    let page = serving.get("/intro.html");
    let (answer, _) = send_raw(
        serving.port,
        b"HEAD /intro.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_vec(),
        None,
    );
    let (head, body) = answer.split_once("\r\n\r\n").expect("a response head");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {}\r\n", page.body.len())),
        "{head}"
    );
    assert!(head.contains("text/html; charset=utf-8"), "{head}");
    assert_eq!(body, "");
    let (answer, _) = send_raw(
        serving.port,
        b"POST /intro.html HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
        None,
    );
    assert!(answer.starts_with("HTTP/1.1 405 "), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("allow: get, head\r\n"),
        "{answer}"
    );
}

//! Ctrl-C during `benchbook build`: exit 130, no temporary directory left behind, and the
//! previous `public/` exactly as it was. The real binary on a generated site, a real SIGINT.

use crate::gen_site;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Lessons of the generated site (about 1,000 pages and 20,000 asset files: the debug binary
/// spends seconds rendering and a good fraction of a second writing).
const LESSONS: usize = 1_000;
/// Asset files copied beside the pages: each is one more file for the write stage.
const ASSETS_PER_SECTION: usize = 2_000;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    public: PathBuf,
}

/// A generated site with a previously "built" `public/` whose files the test knows.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    gen_site::generate(&root, LESSONS).unwrap();
    for s in 0..LESSONS.div_ceil(100) {
        let data = root.join(format!("content/s{s}/data"));
        std::fs::create_dir_all(&data).unwrap();
        for k in 0..ASSETS_PER_SECTION {
            std::fs::write(
                data.join(format!("sample-{k}.csv")),
                format!("k,v\n{k},{s}\n"),
            )
            .unwrap();
        }
    }
    let public = root.join("public");
    std::fs::create_dir_all(public.join("old")).unwrap();
    std::fs::write(public.join("index.html"), "the previous site").unwrap();
    std::fs::write(public.join("old/page.html"), "a previous page").unwrap();
    Fixture {
        _dir: dir,
        root,
        public,
    }
}

fn spawn_build(root: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_benchbook"))
        .args(["build", "-q", "--root"])
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn sigint(child: &Child) {
    // SAFETY: signals our own child, which has not been reaped.
    let rc = unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(rc, 0, "kill(SIGINT) failed");
}

fn wait(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("benchbook build did not exit within {limit:?} of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Names beside `public/` left by a build (`.public.tmp-*`, `.public.old-*`).
fn leftovers(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".public."))
        .collect()
}

/// The interrupted build's exit, stderr and what it left.
fn assert_interrupted(f: &Fixture, mut child: Child) {
    let status = wait(&mut child, Duration::from_secs(60));
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}; stderr: {err}");
    assert_eq!(
        leftovers(&f.root),
        Vec::<String>::new(),
        "temporary dirs left"
    );
    let mut names: Vec<_> = walkdir::WalkDir::new(&f.public)
        .into_iter()
        .map(|e| {
            e.unwrap()
                .path()
                .strip_prefix(&f.public)
                .unwrap()
                .to_path_buf()
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["", "index.html", "old", "old/page.html"].map(PathBuf::from),
        "public/ was changed"
    );
    assert_eq!(
        std::fs::read_to_string(f.public.join("index.html")).unwrap(),
        "the previous site"
    );
    assert_eq!(
        std::fs::read_to_string(f.public.join("old/page.html")).unwrap(),
        "a previous page"
    );
}

#[test]
fn ctrl_c_while_writing_removes_the_temporary_dir_and_keeps_public() {
    let f = fixture();
    let mut child = spawn_build(&f.root);
    // The write stage has begun once its temporary directory exists beside public/.
    let start = Instant::now();
    while !leftovers(&f.root)
        .iter()
        .any(|n| n.starts_with(".public.tmp-"))
    {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the build ended ({status:?}) before its write stage was seen");
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no write stage within 300 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    sigint(&child);
    assert_interrupted(&f, child);
}

#[test]
fn ctrl_c_before_writing_exits_130_and_keeps_public() {
    let f = fixture();
    let child = spawn_build(&f.root);
    // Loading and rendering this site takes the debug binary seconds.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        leftovers(&f.root).is_empty(),
        "the build reached its write stage within 300 ms; the site is too small for this test"
    );
    sigint(&child);
    assert_interrupted(&f, child);
}

#[test]
fn ctrl_c_after_the_swap_says_the_new_site_is_in_place() {
    let f = fixture();
    // A large previous site, so that deleting it after the swap takes a while.
    for d in 0..20 {
        let dir = f.public.join(format!("bulk{d}"));
        std::fs::create_dir_all(&dir).unwrap();
        for k in 0..1_000 {
            std::fs::write(dir.join(format!("{k}.html")), "old").unwrap();
        }
    }
    let mut child = spawn_build(&f.root);
    let start = Instant::now();
    while !leftovers(&f.root)
        .iter()
        .any(|n| n.starts_with(".public.old-"))
    {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the build ended ({status:?}) before its old tree was seen");
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no swap within 300 s"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    sigint(&child);
    let status = wait(&mut child, Duration::from_secs(60));
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}; stderr: {err}");
    assert!(
        err.contains("interrupted after the new site was written") && err.contains("public"),
        "{err}"
    );
    assert_ne!(
        std::fs::read_to_string(f.public.join("index.html")).unwrap(),
        "the previous site",
        "the new site is in place"
    );
    assert!(!f.public.join("bulk0").exists(), "the old tree is gone");
    assert_eq!(leftovers(&f.root), Vec::<String>::new(), "leftovers");
}

#[test]
fn two_builds_at_once_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    gen_site::generate(&root, 200).unwrap();
    for round in 0..3 {
        let builds: Vec<Child> = (0..2).map(|_| spawn_build(&root)).collect();
        for mut b in builds {
            let status = wait(&mut b, Duration::from_secs(300));
            let mut err = String::new();
            std::io::Read::read_to_string(b.stderr.as_mut().unwrap(), &mut err).unwrap();
            assert!(status.success(), "round {round}: {status:?}; stderr: {err}");
        }
        assert!(root.join("public/index.html").is_file());
        assert_eq!(leftovers(&root), Vec::<String>::new(), "round {round}");
    }
}

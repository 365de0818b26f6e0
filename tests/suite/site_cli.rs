//! The `benchbook build` command line: exit codes 0/1/2, summary, -q, --out.

use crate::common;
use common::Site;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn build_succeeds_with_a_one_line_summary() {
    let site = Site::copy("valid", "basic");
    let o = site.run(&["build"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("built 4 pages in "), "{out}");
    assert!(out.trim_end().ends_with(" ms → public/"), "{out}");
    assert!(site.public().join("index.html").is_file());

    let o = site.run(&["build", "-q"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

#[test]
fn out_is_relative_to_the_current_directory() {
    let site = Site::copy("valid", "basic");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_benchbook"))
        .args(["build", "--root", "site", "--out", "elsewhere/www"])
        .current_dir(site.dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(site.dir.path().join("elsewhere/www/intro.html").is_file());
    assert!(
        stdout(&o).trim_end().ends_with("→ elsewhere/www/"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn content_errors_exit_1_and_list_every_error() {
    let site = Site::copy("invalid", "many-errors");
    let o = site.run(&["build"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 12, "{err}");
    assert!(
        lines[0].starts_with("content/bad-date.md:3:1: invalid date"),
        "{err}"
    );
    assert_eq!(lines[11], "error: 11 errors found; nothing was written");
    assert!(!site.public().exists());
}

#[test]
fn usage_errors_exit_2() {
    let site = Site::copy("valid", "basic");
    for (args, want) in [
        (vec!["build", "--out", "content/www"], "is inside content/"),
        (vec!["build", "--out", "."], "is the site root"),
        (vec!["build", "--root", "no-such-dir"], "no such directory"),
        (vec!["build", "--no-such-flag"], "--no-such-flag"),
    ] {
        let o = site.run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
    assert!(!site.root().join("content/www").exists());
}

#[test]
fn an_existing_directory_that_is_not_a_site_is_never_replaced() {
    let site = Site::copy("valid", "basic");
    site.write("mine/notes.txt", "precious");
    let o = site.run(&["build", "--out", "mine"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a built site"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(site.root().join("mine/notes.txt")).unwrap(),
        "precious"
    );
}

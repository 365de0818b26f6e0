//! Invalid sites: the exact messages, every error in one run, and nothing written.

use crate::common;
use common::{diagnostics, Site};

#[test]
fn every_error_of_every_stage_in_one_run_with_file_lines() {
    let site = Site::copy("invalid", "many-errors");
    let err = site.build().unwrap_err();
    assert_eq!(
        diagnostics(&err),
        vec![
            "content/bad-date.md:3:1: invalid date `25/11/2026`; expected a YAML date (2026-11-25) or an RFC 3339 date-time (2026-11-25T09:30:00Z)",
            "content/bad-yaml.md:4:1: invalid YAML in front matter: did not find expected ',' or ']', while parsing a flow sequence; expected `key: value` lines",
            "content/guide/links.md:6:3: broken link `missing.md`: content/guide/missing.md does not exist; expected a page, folder or file under content/",
            "content/guide/links.md:6:36: broken link `../unknown-key.md#nowhere`: content/unknown-key.md has no heading or anchor `nowhere`; expected one of: (the page has no anchors)",
            "content/guide/links.md:7:10: broken image `gone.png`: content/guide/gone.png does not exist; expected a page, folder or file under content/",
            "content/guide/links.md:7:32: link `../../../secret.md` leaves the site root; expected a path to a file under content/",
            "content/guide/quiz.md:8:1: quiz has no correct choice; expected at least one choice with `correct: true`",
            "content/guide/quiz.md:18:5: quiz choice 2 repeats choice 1 (`A`); expected distinct choices",
            "content/guide/quiz.md:23:1: invalid YAML in quiz: did not find expected ',' or ']', while parsing a flow sequence; expected `question:` with `answer:` or `choices:`",
            "content/missing-title.md:1:1: front matter has no `title`; expected a line such as `title: Warm-up runs`",
            "content/unknown-key.md:3:1: unknown front matter key `titel`; expected one of: title, description, weight, draft, date, tags, template, benchmarks, search",
        ]
    );
    assert!(!site.public().exists(), "nothing may be written");
}

#[test]
fn site_yaml_errors_point_at_the_key() {
    let site = Site::copy("invalid", "bad-site-yaml");
    let err = site.build().unwrap_err();
    assert_eq!(
        diagnostics(&err),
        vec!["site.yaml:3:1: unknown site.yaml key `serach`; expected one of: title, description, author, language, base_url, theme, search, print, smart_punctuation"]
    );
    site.write("site.yaml", "title: [a\n");
    let err = site.build().unwrap_err();
    assert_eq!(
        diagnostics(&err),
        vec!["site.yaml:2:1: invalid YAML: did not find expected ',' or ']', while parsing a flow sequence; expected `key: value` lines"]
    );
    std::fs::remove_file(site.root().join("site.yaml")).unwrap();
    let err = site.build().unwrap_err();
    assert_eq!(
        diagnostics(&err),
        vec!["site.yaml:0:0: no site.yaml in the site root; expected a site.yaml with at least `title: ...`"]
    );
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let site = Site::copy("valid", "basic");
    site.build().unwrap();
    let before: Vec<(std::path::PathBuf, Vec<u8>)> = walkdir::WalkDir::new(site.public())
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    site.write(
        "content/intro.md",
        "---\ntitle: Introduction\ndate: soon\n---\n# Overview\n[broken](nowhere.md)\n",
    );
    let err = site.build().unwrap_err();
    assert_eq!(
        diagnostics(&err),
        vec![
            "content/intro.md:3:1: invalid date `soon`; expected a YAML date (2026-11-25) or an RFC 3339 date-time (2026-11-25T09:30:00Z)",
            "content/intro.md:6:1: broken link `nowhere.md`: content/nowhere.md does not exist; expected a page, folder or file under content/",
        ]
    );
    let after: Vec<(std::path::PathBuf, Vec<u8>)> = walkdir::WalkDir::new(site.public())
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    assert_eq!(before, after);
}

#[test]
fn links_to_drafts_and_outside_content_are_errors() {
    let site = Site::copy("valid", "basic");
    site.write("notes.md", "private\n");
    site.write(
        "content/extra.md",
        "---\ntitle: Extra\n---\n[draft](training/draft.md) and [notes](../notes.md)\n",
    );
    let err = site.build().unwrap_err();
    assert_eq!(
        diagnostics(&err),
        vec![
            "content/extra.md:4:1: broken link `training/draft.md`: content/training/draft.md is a draft, left out of this build; expected a published page (or build with --drafts)",
            "content/extra.md:4:32: link `../notes.md` points to notes.md, outside content/, which is not published; expected a page, folder or file under content/",
        ]
    );
}

#[test]
fn two_sources_for_one_output_are_an_error_naming_both() {
    let site = Site::copy("valid", "basic");
    site.write("content/intro.html", "<p>hand-written</p>\n");
    site.write("content/training/index.md", "---\ntitle: Index\n---\n");
    let err = site.build().unwrap_err();
    assert_eq!(
        diagnostics(&err),
        vec![
            "content/intro.html:0:0: would be written to intro.html, as is content/intro.md; expected one source per output path (a section's page is its `_index.md`)",
            "content/training/index.md:0:0: would be written to training/index.html, as is content/training/_index.md; expected one source per output path (a section's page is its `_index.md`)",
        ]
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_escapes_are_errors_not_panics() {
    let site = Site::copy("valid", "basic");
    let outside = site.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.md"), "---\ntitle: Secret\n---\n").unwrap();
    std::os::unix::fs::symlink(&outside, site.root().join("content/escape")).unwrap();
    std::os::unix::fs::symlink("..", site.root().join("content/training/loop")).unwrap();
    std::os::unix::fs::symlink("nothing-here", site.root().join("content/dangling.md")).unwrap();
    let err = site.build().unwrap_err();
    let lines = diagnostics(&err);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("content/dangling.md:0:0: broken symlink: "),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("content/escape:0:0: symlink to ")
            && lines[1]
                .ends_with(", outside the site root; expected content from inside the root only"),
        "{lines:?}"
    );
    assert_eq!(
        lines[2],
        "content/training/loop:0:0: symlink loop: it points back to content; expected no cycles in content/"
    );
    assert!(!site.public().exists());
}

#[test]
fn non_utf8_and_missing_front_matter_are_reported() {
    let site = Site::copy("valid", "basic");
    std::fs::write(
        site.root().join("content/latin1.md"),
        b"---\ntitle: caf\xe9\n---\n",
    )
    .unwrap();
    site.write("content/plain.md", "# Just markdown\n");
    site.write("content/open.md", "---\ntitle: Never closed\n");
    let err = site.build().unwrap_err();
    assert_eq!(
        diagnostics(&err),
        vec![
            "content/latin1.md:0:0: not UTF-8 (invalid byte at offset 14); expected a UTF-8 text file",
            "content/open.md:1:1: front matter is never closed; expected a `---` line after it",
            "content/plain.md:1:1: no front matter; expected the file to start with a `---` line, then `title: ...`, then `---`",
        ]
    );
}

/// Unreadable files and folders are errors that name them (exit 1), not panics. The build
/// runs as an unprivileged user: root reads anything, so as root (CI, this machine) the
/// binary runs under `setpriv` as nobody (65534) on a copy of the site owned by nobody.
#[cfg(unix)]
#[test]
fn unreadable_files_and_folders_are_errors_naming_them() {
    use std::os::unix::fs::PermissionsExt;
    let site = Site::copy("valid", "basic");
    site.write("content/locked.md", "---\ntitle: Locked\n---\nSecret.\n");
    site.write(
        "content/private/page.md",
        "---\ntitle: Private\n---\nSecret.\n",
    );
    let as_root = unsafe { libc::geteuid() } == 0;
    let mut cmd = if as_root {
        // Everything the unprivileged build needs must be reachable by it: the temporary
        // directory (0700 by default), the site (owned by nobody, so it may write public/)
        // and the binary (linked into that directory, whatever the checkout's permissions).
        std::fs::set_permissions(site.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        for entry in walkdir::WalkDir::new(site.root()) {
            std::os::unix::fs::lchown(entry.unwrap().path(), Some(65534), Some(65534)).unwrap();
        }
        let bin = site.dir.path().join("benchbook");
        if std::fs::hard_link(env!("CARGO_BIN_EXE_benchbook"), &bin).is_err() {
            std::fs::copy(env!("CARGO_BIN_EXE_benchbook"), &bin).unwrap();
        }
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(bin);
        cmd
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_benchbook"))
    };
    let no_access = std::fs::Permissions::from_mode(0o000);
    std::fs::set_permissions(site.root().join("content/locked.md"), no_access.clone()).unwrap();
    std::fs::set_permissions(site.root().join("content/private"), no_access).unwrap();
    let out = cmd
        .args(["build", "--root"])
        .arg(site.root())
        .env("HOME", site.dir.path())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {:?}: {e}{}",
                cmd.get_program(),
                if as_root {
                    "; this test runs as root and needs setpriv (util-linux: apt-get install util-linux) to drop privileges"
                } else {
                    ""
                }
            )
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "content/locked.md:0:0: cannot read: Permission denied (os error 13); expected a file benchbook may read",
            "content/private:0:0: cannot read: Permission denied (os error 13); expected a folder or file benchbook may read",
            "error: 2 errors found; nothing was written",
        ]
    );
    assert!(!site.public().exists());
    // Readable again, so that the temporary directory can be removed without root.
    std::fs::set_permissions(
        site.root().join("content/private"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}

/// `title: Bomb` then nine lines, each repeating the previous line's anchor nine times.
fn alias_bomb() -> String {
    let mut text =
        String::from("title: Bomb\nlol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..=8 {
        let uses = vec![format!("*l{}", i - 1); 9].join(", ");
        text.push_str(&format!("lol{i}: &l{i} [{uses}]\n"));
    }
    text
}

#[test]
fn yaml_alias_bombs_are_reported_at_the_alias_that_explodes() {
    // 112 events: serde_yaml stops after 11,200 alias expansions. The aliases of lol1..lol4
    // make 9 + 90 + 819 + 7,380 of them; the first alias of lol5 (7,381) crosses the limit.
    let why =
        "repetition limit exceeded (aliases here expand to far more nodes than the file holds)";
    let site = Site::copy("valid", "basic");
    site.write(
        "content/bomb.md",
        &format!("---\n{}---\nBoom.\n", alias_bomb()),
    );
    let err = site.build().unwrap_err();
    assert_eq!(
        diagnostics(&err),
        vec![format!(
            "content/bomb.md:8:12: invalid YAML in front matter: {why}; expected `key: value` lines"
        )]
    );
    std::fs::remove_file(site.root().join("content/bomb.md")).unwrap();
    site.write("site.yaml", &alias_bomb());
    let err = site.build().unwrap_err();
    assert_eq!(
        diagnostics(&err),
        vec![format!(
            "site.yaml:7:12: invalid YAML: {why}; expected `key: value` lines"
        )]
    );
}

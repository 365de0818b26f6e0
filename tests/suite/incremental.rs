//! `serve`'s incremental rebuilds (src/incremental.rs): after every kind of edit, a rebuild
//! that reuses the memo gives exactly the files and errors of a build from scratch, and
//! reuses what it may.

use crate::common;

use benchbook::bench::BenchPolicy;
use benchbook::build::{prepare, BuildOptions};
use benchbook::incremental::{Memo, Reused};
use benchbook::model::OutputFile;
use common::Site;
use std::collections::BTreeMap;
use std::path::PathBuf;

type Files = BTreeMap<PathBuf, Vec<u8>>;

fn options() -> BuildOptions {
    BuildOptions {
        bench: BenchPolicy::stored_only(),
        quiet: true,
        ..Default::default()
    }
}

/// The site's files (or its error lines), built with `memo`.
fn build(site: &Site, memo: Option<&mut Memo>) -> Result<Files, Vec<String>> {
    match prepare(&site.root(), &options(), memo) {
        Ok(p) => Ok(p
            .files
            .iter()
            .map(|f| {
                let bytes = match f {
                    OutputFile::Bytes { bytes, .. } => bytes.to_vec(),
                    OutputFile::Copy { from, .. } => std::fs::read(from).unwrap(),
                };
                (f.path().to_path_buf(), bytes)
            })
            .collect()),
        Err(e) => Err(common::diagnostics(&e)),
    }
}

/// Rebuild with the memo and from scratch; they must agree file for file (or error for
/// error). Returns the result and what the memo reused.
fn rebuild(site: &Site, memo: &mut Memo) -> (Result<Files, Vec<String>>, Reused) {
    let incremental = build(site, Some(memo));
    let fresh = build(site, None);
    match (&incremental, &fresh) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                a.keys().collect::<Vec<_>>(),
                b.keys().collect::<Vec<_>>(),
                "same files"
            );
            for (path, bytes) in a {
                assert!(
                    bytes == &b[path],
                    "{} differs from a build from scratch:\n--- incremental\n{}\n--- fresh\n{}",
                    path.display(),
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(&b[path])
                );
            }
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "same errors"),
        _ => panic!("incremental {incremental:?}\nfresh {fresh:?}"),
    }
    let reused = memo.reused();
    (incremental, reused)
}

fn html(files: &Files, path: &str) -> String {
    String::from_utf8(files[&PathBuf::from(path)].clone()).unwrap()
}

/// The basic fixture plus a page that links to a heading of another page.
fn site() -> Site {
    let site = Site::copy("valid", "basic");
    site.write(
        "content/training/linker.md",
        "---\ntitle: Linker\nweight: 5\n---\n# Linker\n\nRead [the warm-up](speed.md#warm-up) first.\n",
    );
    site
}

/// Replace `from` by `to` in a file of the site (which must contain it).
fn edit(site: &Site, rel: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(site.root().join(rel)).unwrap();
    assert!(text.contains(from), "{rel} has no `{from}`");
    site.write(rel, &text.replacen(from, to, 1));
}

/// The fixture built once with a fresh memo: the site, the memo and the files.
fn built() -> (Site, Memo, Files) {
    let site = site();
    let mut memo = Memo::default();
    let (files, reused) = rebuild(&site, &mut memo);
    assert_eq!(reused, Reused::default(), "nothing to reuse the first time");
    (site, memo, files.unwrap())
}

#[test]
fn an_unchanged_rebuild_reuses_every_page() {
    let (site, mut memo, first) = built();
    let (second, reused) = rebuild(&site, &mut memo);
    assert_eq!(second.unwrap(), first);
    // Six markdown files are read (draft.md too, then left out); five pages are rendered:
    // home, intro, training/ and its two published pages.
    assert_eq!(
        reused,
        Reused {
            load: 6,
            markdown: 5,
            render: 5
        }
    );
}

#[test]
fn a_body_edit_redoes_only_that_page() {
    let (site, mut memo, _) = built();
    edit(
        &site,
        "content/intro.md",
        "Some text with",
        "Some edited text with",
    );
    let (files, reused) = rebuild(&site, &mut memo);
    assert!(html(&files.unwrap(), "intro.html").contains("Some edited text with"));
    let total = rebuild(&site, &mut memo).1;
    assert_eq!(reused.load, total.load - 1, "only intro.md parsed again");
    assert_eq!(reused.markdown, total.markdown - 1);
    assert_eq!(reused.render, total.render - 1);
}

#[test]
fn a_renamed_heading_breaks_the_unchanged_page_that_links_to_it() {
    let (site, mut memo, _) = built();
    let speed = "content/training/speed.md";
    edit(
        &site,
        speed,
        "## Warm-up {#warm-up}",
        "## Warming up {#warming-up}",
    );
    edit(&site, "content/intro.md", "#warm-up", "#warming-up");
    let errors = rebuild(&site, &mut memo).0.unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("content/training/linker.md:7:")
                && e.contains("no heading or anchor `warm-up`")),
        "{errors:?}"
    );
    // Fixing the link makes the site build again, with the new anchor.
    edit(
        &site,
        "content/training/linker.md",
        "#warm-up",
        "#warming-up",
    );
    let files = rebuild(&site, &mut memo).0.unwrap();
    assert!(html(&files, "training/linker.html").contains("speed.html#warming-up"));
}

#[test]
fn a_new_title_reaches_every_sidebar() {
    let (site, mut memo, _) = built();
    edit(
        &site,
        "content/training/speed.md",
        "title: Speed",
        "title: Speed and spread",
    );
    let (files, reused) = rebuild(&site, &mut memo);
    let files = files.unwrap();
    for page in ["training/index.html", "training/linker.html"] {
        assert!(
            html(&files, page).contains("Speed and spread"),
            "{page} shows the new title"
        );
    }
    assert_eq!(
        reused.render, 0,
        "the outline changed: every page is templated again"
    );
    assert!(reused.markdown >= 4, "bodies are reused: {reused:?}");
}

#[test]
fn template_config_and_structure_changes_match_a_fresh_build() {
    let (site, mut memo, _) = built();

    // A template override.
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/page.html"),
    )
    .unwrap();
    site.write(
        "templates/page.html",
        &page.replace("</article>", "<p class=\"marker\">override</p></article>"),
    );
    let files = rebuild(&site, &mut memo).0.unwrap();
    assert!(html(&files, "intro.html").contains("override"));

    // site.yaml.
    edit(
        &site,
        "site.yaml",
        "title: Fixture report",
        "title: Renamed report",
    );
    let files = rebuild(&site, &mut memo).0.unwrap();
    assert!(html(&files, "intro.html").contains("Renamed report"));

    // A new page, then its removal (a link to it breaks).
    site.write(
        "content/training/new.md",
        "---\ntitle: Brand new\n---\nNew text.\n",
    );
    let link = "\nSee [the new page](training/new.md).\n";
    edit(
        &site,
        "content/intro.md",
        "# Overview\n",
        &format!("# Overview\n{link}"),
    );
    let files = rebuild(&site, &mut memo).0.unwrap();
    assert!(html(&files, "training/new.html").contains("New text."));
    std::fs::remove_file(site.root().join("content/training/new.md")).unwrap();
    let errors = rebuild(&site, &mut memo).0.unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("content/intro.md:") && e.contains("training/new.md")),
        "{errors:?}"
    );

    // A draft published.
    edit(
        &site,
        "content/training/draft.md",
        "draft: true",
        "draft: false",
    );
    edit(&site, "content/intro.md", link, "");
    let files = rebuild(&site, &mut memo).0.unwrap();
    assert!(files.contains_key(&PathBuf::from("training/draft.html")));
}

#[test]
fn a_broken_edit_then_its_fix() {
    let (site, mut memo, good) = built();
    edit(&site, "content/intro.md", "title:", "titel:");
    let errors = rebuild(&site, &mut memo).0.unwrap_err();
    assert!(errors.iter().any(|e| e.contains("titel")), "{errors:?}");
    edit(&site, "content/intro.md", "titel:", "title:");
    assert_eq!(rebuild(&site, &mut memo).0.unwrap(), good);
}

#[test]
fn the_flagship_rebuilds_from_its_memo_as_from_scratch() {
    // prepare() writes nothing, so the repository itself is the site.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = |memo: Option<&mut Memo>| -> Files {
        let p = prepare(root, &options(), memo).unwrap_or_else(|e| panic!("{e:#}"));
        p.files
            .iter()
            .filter_map(|f| match f {
                OutputFile::Bytes { path, bytes } => Some((path.clone(), bytes.to_vec())),
                OutputFile::Copy { .. } => None,
            })
            .collect()
    };
    let mut memo = Memo::default();
    let first = files(Some(&mut memo));
    let second = files(Some(&mut memo));
    let reused = memo.reused();
    assert_eq!(first, second);
    assert_eq!(second, files(None));
    let generated = ["pitfalls.html", "404.html", "print.html"];
    // Provenance pages (results/*.html) are made anew by every build, like the others above.
    let pages = second
        .keys()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .filter(|p| !p.starts_with("results"))
        .filter(|p| {
            !generated
                .iter()
                .any(|g| p.as_path() == std::path::Path::new(g))
        })
        .count();
    // Every page but the generated ones came from the memo.
    assert_eq!(reused.render, pages, "{reused:?}");
}

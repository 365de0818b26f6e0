//! No built page of the flagship shows an absolute path of a machine: neither of the machine
//! that measured the committed results (they record its cache under `/root/.cache/benchbook`:
//! the dataset's location, saved models, library paths) nor of the machine that builds (its
//! home directory, benchbook cache, repository checkout, output directory). The stored results
//! published as downloads (`results/*.json`) are the raw records and keep their paths.

use crate::common::{build_flagship, repo};
use std::path::{Path, PathBuf};

/// Every file of the built site but the published stored results, as text.
fn pages(out: &Path) -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = walkdir::WalkDir::new(out)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.is_file() && !p.starts_with(out.join("results")))
        .map(|p| {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            (p.strip_prefix(out).unwrap().to_path_buf(), text)
        })
        .collect();
    files.sort();
    files
}

/// The spellings of a directory to look for: as given and with symbolic links resolved.
fn spellings(dir: &Path) -> Vec<String> {
    let mut out = vec![dir.display().to_string()];
    if let Ok(c) = std::fs::canonicalize(dir) {
        out.push(c.display().to_string());
    }
    out.retain(|s| s.len() > 1);
    out.dedup();
    out
}

#[test]
fn no_page_shows_an_absolute_path_of_the_machine() {
    // The committed results do hold the measuring machine's paths.
    let stored =
        std::fs::read_to_string(repo().join("benchmarks/results/cnn_digits.json")).unwrap();
    assert!(
        stored.contains("/root/.cache/benchbook/datasets/digits/digits.csv.gz"),
        "the flagship's results no longer record the dataset's absolute path: update this test"
    );

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    build_flagship(&out, &[]);
    let files = pages(&out);
    assert!(files.iter().any(|(p, _)| p == Path::new("print.html")));
    assert!(files.iter().any(|(p, _)| p == Path::new("search-index.js")));
    assert!(
        files
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "html"))
            .count()
            >= 10
    );

    // This machine's directories, and the measuring machine's as its results record them.
    let mut forbidden: Vec<String> = Vec::new();
    forbidden.extend(spellings(&repo()));
    forbidden.extend(spellings(&out));
    forbidden.extend(spellings(tmp.path()));
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Some(home) = &home {
        // Under the home directory (`/root/`): the directory alone may be a word of prose.
        forbidden.extend(spellings(home).into_iter().map(|h| format!("{h}/")));
    }
    let cache = std::env::var_os("BENCHBOOK_CACHE")
        .filter(|c| !c.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".cache/benchbook")));
    if let Some(cache) = &cache {
        forbidden.extend(spellings(cache));
    }
    forbidden.extend(["/root/", "/home/", "/.cache/benchbook"].map(String::from));
    forbidden.sort();
    forbidden.dedup();
    let mut found = Vec::new();
    for (path, text) in &files {
        for f in &forbidden {
            if let Some(at) = text.find(f.as_str()) {
                let mut from = at.saturating_sub(80);
                while !text.is_char_boundary(from) {
                    from -= 1;
                }
                let mut to = (at + f.len() + 80).min(text.len());
                while !text.is_char_boundary(to) {
                    to += 1;
                }
                found.push(format!(
                    "{}: `{f}` in …{}…",
                    path.display(),
                    &text[from..to]
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "absolute paths of the machine on built pages:\n{}",
        found.join("\n")
    );

    // What the runners reported is still shown, the paths rewritten.
    let page = |p: &str| std::fs::read_to_string(out.join(p)).unwrap();
    assert!(
        page("performance/training-speed.html")
            .contains("digits.csv.gz (&lt;benchbook cache&gt;/datasets/digits/digits.csv.gz)"),
        "the dataset's location is no longer shown under the benchbook cache"
    );
    assert!(page("performance/deployment.html")
        .contains("model_path: &lt;benchbook cache&gt;/models/torch/"));

    // The pages do not depend on who builds them: another home and cache give the same site.
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("home")).unwrap();
    let out2 = tmp.path().join("public2");
    build_flagship(
        &out2,
        &[
            ("HOME", &elsewhere.join("home")),
            ("BENCHBOOK_CACHE", &elsewhere.join("cache")),
        ],
    );
    let files2 = pages(&out2);
    assert_eq!(
        files.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        files2.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for ((path, a), (_, b)) in files.iter().zip(&files2) {
        assert!(
            a == b,
            "{} differs when another home directory and cache build it",
            path.display()
        );
    }
}

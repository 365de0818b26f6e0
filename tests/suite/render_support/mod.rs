//! Hand-made sites for the render tests, and structural checks of rendered output.
#![allow(dead_code)]

use benchbook::model::*;
use scraper::{Html, Selector};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub fn page(source: &str, output: &str, title: &str, html: &str) -> Page {
    Page {
        source: source.into(),
        output: output.into(),
        front: FrontMatter {
            title: title.into(),
            search: true,
            ..Default::default()
        },
        front_lines: vec![("title".into(), 2)],
        body: String::new(),
        body_line: 4,
        rendered: Some(
            Rendered {
                html: html.into(),
                summary: format!("Summary of {title}"),
                ..Default::default()
            }
            .into(),
        ),
    }
}

pub fn toc(entries: &[(u8, &str, &str)]) -> Vec<TocEntry> {
    entries
        .iter()
        .map(|(level, id, title)| TocEntry {
            level: *level,
            id: id.to_string(),
            title: title.to_string(),
        })
        .collect()
}

pub fn write_site_yaml(root: &Path, text: &str) {
    std::fs::write(root.join("site.yaml"), text).unwrap();
}

/// A site of three levels:
/// ```text
/// index.html                       Measured (home)
/// training/index.html              Training
///   training/speed.html            Speed        (pitfall under "Warm-up", image, link)
///   training/memory.html           Memory
///   training/deep/index.html       Deep
///     training/deep/cnn.html       CNN          (pitfall without heading)
/// eval/index.html                  Evaluation
///   eval/accuracy.html             Accuracy     (quiz)
/// ```
pub fn sample_site(root: &Path, base_url: Option<&str>) -> Site {
    write_site_yaml(
        root,
        "title: Measured\ndescription: A test site\nauthor: Tester\nlanguage: en\ntheme: default\n",
    );
    std::fs::create_dir_all(root.join("content/training")).unwrap();
    std::fs::write(root.join("content/training/fig.png"), b"\x89PNG fake").unwrap();

    let mut home = page(
        "content/_index.md",
        "index.html",
        "Measured",
        "<p>Welcome to the <a href=\"training/speed.html#warm-up\">speed lesson</a>.</p>",
    );
    home.front.description = Some("Home of the test site".into());

    let mut training = page(
        "content/training/_index.md",
        "training/index.html",
        "Training",
        "<p>Training intro.</p>",
    );
    training.front.description = Some("How fast training goes".into());

    let mut speed = page(
        "content/training/speed.md",
        "training/speed.html",
        "Speed",
        concat!(
            "<h2 id=\"warm-up\">Warm-up <a class=\"anchor\" href=\"#warm-up\" aria-label=\"Permalink: Warm-up\">#</a></h2>\n",
            "<p>See <a href=\"../eval/accuracy.html#top-1\">accuracy</a> and <img src=\"fig.png\" alt=\"A figure\"></p>\n",
            "<aside class=\"callout pitfall\" id=\"pitfall-1\" role=\"note\" aria-label=\"Pitfall\"><p class=\"callout-title\">Pitfall</p>",
            "<p>Timing the first run. <a href=\"#warm-up\">Warm up</a>, see <img src=\"fig.png\" alt=\"fig\"> ",
            "and <a href=\"memory.html\">memory</a>.</p></aside>\n",
            "<h2 id=\"results\">Results</h2>\n<h3 id=\"median\">Median</h3>\n<p>Body.</p>\n",
        ),
    );
    speed.front.description = Some("Steps per second".into());
    speed.front.date = Some("2026-11-25".into());
    speed.front.tags = vec!["speed".into(), "gpu".into()];
    {
        let r = speed
            .rendered
            .as_mut()
            .map(std::sync::Arc::make_mut)
            .unwrap();
        r.toc = toc(&[
            (2, "warm-up", "Warm-up"),
            (2, "results", "Results"),
            (3, "median", "Median"),
        ]);
        r.pitfalls = vec![Pitfall {
            id: "pitfall-1".into(),
            heading_id: Some("warm-up".into()),
            heading: Some("Warm-up".into()),
            html: "<p>Timing the first run. <a href=\"#warm-up\">Warm up</a>, see <img src=\"fig.png\" alt=\"fig\"> and <a href=\"memory.html\">memory</a>.</p>".into(),
            text: "Timing the first run.".into(),
        }];
    }
    let memory = page(
        "content/training/memory.md",
        "training/memory.html",
        "Memory",
        "<p>Peak RSS.</p>",
    );
    let deep = page(
        "content/training/deep/_index.md",
        "training/deep/index.html",
        "Deep",
        "<p>Deeper.</p>",
    );
    let mut cnn = page(
        "content/training/deep/cnn.md",
        "training/deep/cnn.html",
        "CNN",
        "<aside class=\"callout pitfall\" id=\"pitfall-1\" role=\"note\" aria-label=\"Pitfall\"><p class=\"callout-title\">Pitfall</p><p>Forgetting <code>model.eval()</code>.</p></aside>",
    );
    cnn.rendered
        .as_mut()
        .map(std::sync::Arc::make_mut)
        .unwrap()
        .pitfalls = vec![Pitfall {
        id: "pitfall-1".into(),
        heading_id: None,
        heading: None,
        html: "<p>Forgetting <code>model.eval()</code>.</p>".into(),
        text: "Forgetting model.eval().".into(),
    }];
    let eval = page(
        "content/eval/_index.md",
        "eval/index.html",
        "Evaluation",
        "<p>Eval.</p>",
    );
    let mut accuracy = page(
        "content/eval/accuracy.md",
        "eval/accuracy.html",
        "Accuracy",
        concat!(
            "<h2 id=\"top-1\">Top-1</h2>\n",
            "<form class=\"quiz\" data-quiz id=\"quiz-1\" data-kind=\"single\"><fieldset>",
            "<legend class=\"quiz-question\">Which?</legend><ul class=\"quiz-choices\">",
            "<li class=\"quiz-choice\"><input type=\"radio\" name=\"quiz-1\" id=\"quiz-1-1\" value=\"1\" data-correct>",
            "<label for=\"quiz-1-1\">Median</label></li>",
            "<li class=\"quiz-choice\"><input type=\"radio\" name=\"quiz-1\" id=\"quiz-1-2\" value=\"2\">",
            "<label for=\"quiz-1-2\">First run</label></li></ul></fieldset>",
            "<div class=\"quiz-actions\"><button type=\"submit\" class=\"quiz-check\" hidden>Check</button></div>",
            "<p class=\"quiz-feedback\" aria-live=\"polite\"></p>",
            "<details class=\"quiz-answer\"><summary>Show the answer</summary><p>Median</p></details></form>",
        ),
    );
    accuracy
        .rendered
        .as_mut()
        .map(std::sync::Arc::make_mut)
        .unwrap()
        .quiz_count = 1;
    accuracy
        .rendered
        .as_mut()
        .map(std::sync::Arc::make_mut)
        .unwrap()
        .toc = toc(&[(2, "top-1", "Top-1")]);

    Site {
        root: root.to_path_buf(),
        config: SiteConfig {
            title: "Measured".into(),
            description: "A test site".into(),
            author: "Tester".into(),
            language: "en".into(),
            base_url: base_url.map(String::from),
            theme: "default".into(),
            search: true,
            print: true,
            smart_punctuation: true,
        },
        sections: vec![
            Section {
                dir: "content".into(),
                index: home,
                pages: vec![],
                subsections: vec![1, 3],
            },
            Section {
                dir: "content/training".into(),
                index: training,
                pages: vec![0, 1],
                subsections: vec![2],
            },
            Section {
                dir: "content/training/deep".into(),
                index: deep,
                pages: vec![2],
                subsections: vec![],
            },
            Section {
                dir: "content/eval".into(),
                index: eval,
                pages: vec![3],
                subsections: vec![],
            },
        ],
        pages: vec![speed, memory, cnn, accuracy],
        provenance: Vec::new(),
        assets: vec![Asset {
            source: "content/training/fig.png".into(),
            output: "training/fig.png".into(),
        }],
    }
}

/// What `benchbook build` makes of a rendered site: the render stage's files plus the
/// reader features it adds (search index, print edition), so links to them resolve.
pub fn render_like_build(
    site: &Site,
) -> Result<Vec<OutputFile>, benchbook::diagnostics::Diagnostics> {
    let mut files = benchbook::render::render(site, None)?.files;
    if site.config.search {
        files.push(benchbook::search::build_index(site));
    }
    let css = benchbook::print::stylesheets(&files);
    files.push(benchbook::print::print_page(site, &css));
    Ok(files)
}

/// Output path → contents (copied files read from disk).
pub fn outputs(files: &[OutputFile]) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut map = BTreeMap::new();
    for f in files {
        let bytes = match f {
            OutputFile::Bytes { bytes, .. } => bytes.to_vec(),
            OutputFile::Copy { from, .. } => std::fs::read(from)
                .unwrap_or_else(|e| panic!("copy source {} unreadable: {e}", from.display())),
        };
        assert!(
            map.insert(f.path().to_path_buf(), bytes).is_none(),
            "two outputs for {}",
            f.path().display()
        );
    }
    map
}

pub fn html(map: &BTreeMap<PathBuf, Vec<u8>>, path: &str) -> Html {
    let bytes = map.get(Path::new(path)).unwrap_or_else(|| {
        panic!(
            "no output {path}; have {:?}",
            map.keys().collect::<Vec<_>>()
        )
    });
    Html::parse_document(std::str::from_utf8(bytes).unwrap())
}

pub fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

pub fn texts(doc: &Html, selector: &str) -> Vec<String> {
    doc.select(&sel(selector))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

pub fn attrs(doc: &Html, selector: &str, attr: &str) -> Vec<String> {
    doc.select(&sel(selector))
        .filter_map(|e| e.value().attr(attr).map(String::from))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Resolve a relative URL from the output file `from` into an output path and fragment.
pub fn resolve(from: &Path, url: &str) -> (PathBuf, Option<String>) {
    let (path, frag) = match url.split_once('#') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (url, None),
    };
    let path = path.split('?').next().unwrap();
    if path.is_empty() {
        return (from.to_path_buf(), frag);
    }
    let mut parts: Vec<String> = from
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                assert!(
                    parts.pop().is_some(),
                    "{url} from {} leaves the site",
                    from.display()
                );
            }
            s => parts.push(percent_decode(s)),
        }
    }
    (parts.iter().collect(), frag)
}

fn is_external(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("//")
        || lower.starts_with("mailto:")
        || lower.starts_with("data:")
}

/// Every id in a document.
pub fn ids(doc: &Html) -> Vec<String> {
    doc.select(&sel("[id]"))
        .map(|e| e.value().attr("id").unwrap().to_string())
        .collect()
}

/// Check every relative reference of every HTML output (except `skip`): it names an
/// existing output file (never a bare directory), and its fragment an existing id.
/// Asset references (`link[href]`, `script[src]`, `img[src]`) are never remote.
/// Returns the number of links checked.
pub fn check_references(map: &BTreeMap<PathBuf, Vec<u8>>, skip: &[&str]) -> usize {
    let mut docs = BTreeMap::new();
    for (path, bytes) in map {
        if path.extension().is_some_and(|e| e == "html") {
            docs.insert(
                path.clone(),
                Html::parse_document(std::str::from_utf8(bytes).unwrap()),
            );
        }
    }
    let id_sets: BTreeMap<&PathBuf, BTreeSet<String>> = docs
        .iter()
        .map(|(p, d)| (p, ids(d).into_iter().collect()))
        .collect();
    let mut checked = 0;
    for (path, doc) in &docs {
        if skip.iter().any(|s| Path::new(s) == path) {
            continue;
        }
        for (selector, attr, asset) in [
            ("a[href]", "href", false),
            ("link[href]", "href", true),
            ("script[src]", "src", true),
            ("img[src]", "src", true),
            ("source[src]", "src", true),
        ] {
            for url in attrs(doc, selector, attr) {
                let rel = doc
                    .select(&sel(selector))
                    .find(|e| e.value().attr(attr) == Some(url.as_str()))
                    .and_then(|e| e.value().attr("rel"))
                    .unwrap_or("");
                if is_external(&url) {
                    assert!(
                        !asset || url.starts_with("data:") || rel == "canonical",
                        "{}: remote asset reference {url}",
                        path.display()
                    );
                    continue;
                }
                assert!(
                    !url.starts_with('/'),
                    "{}: root-absolute {url}",
                    path.display()
                );
                let (target, frag) = resolve(path, &url);
                assert!(
                    map.contains_key(&target),
                    "{}: {url} → {} does not exist",
                    path.display(),
                    target.display()
                );
                if let Some(frag) = frag.filter(|f| !f.is_empty()) {
                    if let Some(ids) = id_sets.get(&target) {
                        assert!(
                            ids.contains(&frag),
                            "{}: {url}: no id `{frag}` in {}",
                            path.display(),
                            target.display()
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    checked
}

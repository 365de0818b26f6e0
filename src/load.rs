//! The `load` stage: `site.yaml`, then every file under `content/`, into one [`Site`].
//!
//! - A folder of `content/` is a section; its `_index.md` (optional) holds the section's
//!   front matter and intro. Every other `.md` file is a page; every other file an asset,
//!   copied beside the page outputs. Files and folders whose name starts with `.` are ignored.
//! - Pages and subsections are ordered by `weight` (unweighted last), then title.
//! - Drafts (`draft: true`) are left out unless [`LoadOptions::drafts`]; a draft `_index.md`
//!   leaves out its whole folder.
//! - Outputs: `content/a/b.md` → `a/b.html`, `content/a/_index.md` → `a/index.html`,
//!   `content/_index.md` → `index.html`, `content/a/img.png` → `a/img.png`.
//!
//! Every problem becomes a [`Diagnostic`] with the line in the file the user edits.

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::incremental::Memo;
use crate::model::{Asset, FrontMatter, Page, Section, Site, SiteConfig};
use crate::yamlpos::{split_error_in, Fields, Positions};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// What to include.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Include pages (and sections) marked `draft: true`.
    pub drafts: bool,
}

/// Keys allowed in `site.yaml`.
pub const SITE_KEYS: &[&str] = &[
    "title",
    "description",
    "author",
    "language",
    "base_url",
    "theme",
    "search",
    "print",
    "smart_punctuation",
];

/// Keys allowed in front matter.
pub const FRONT_MATTER_KEYS: &[&str] = &[
    "title",
    "description",
    "weight",
    "draft",
    "date",
    "tags",
    "template",
    "benchmarks",
    "search",
];

/// Load the site at `root`, or every error found.
pub fn load(root: &Path, opts: &LoadOptions) -> Result<Site, Diagnostics> {
    let (site, diags) = load_lenient(root, opts, None);
    match site {
        Some(site) if diags.is_empty() => Ok(site),
        _ => Err(diags.sorted()),
    }
}

/// Load as much of the site as possible: the site (if `site.yaml` and `content/` could be
/// read at all) plus every error found. Pages with bad front matter are kept with what could
/// be read (title falls back to the file name), so later stages can still check them and
/// links to them; the build fails anyway because the diagnostics are not empty. With `memo`
/// (src/incremental.rs), a file whose text a previous load parsed is not parsed again.
pub fn load_lenient(
    root: &Path,
    opts: &LoadOptions,
    memo: Option<&mut Memo>,
) -> (Option<Site>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let root = match root.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            diags.error(root, 0, 0, format!("cannot open the site root: {e}"));
            return (None, diags);
        }
    };
    let config = read_site_config(&root, &mut diags);
    let content = root.join("content");
    if !content.is_dir() {
        diags.error(
            "content",
            0,
            0,
            "no content/ directory; expected the site's markdown under content/",
        );
        return (None, diags);
    }
    let Some(config) = config else {
        return (None, diags);
    };
    let site = read_content(root, config, opts, memo, &mut diags);
    (Some(site), diags)
}

fn read_site_config(root: &Path, diags: &mut Diagnostics) -> Option<SiteConfig> {
    let file = Path::new("site.yaml");
    let text = match std::fs::read_to_string(root.join(file)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            diags.error(
                file,
                0,
                0,
                "no site.yaml in the site root; expected a site.yaml with at least `title: ...`",
            );
            return None;
        }
        Err(e) => {
            diags.error(
                file,
                0,
                0,
                format!("cannot read site.yaml: {e}; expected a file benchbook may read"),
            );
            return None;
        }
    };
    let value: serde_yaml::Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let (msg, pos) = split_error_in(&e, &text);
            let (line, col) = pos.unwrap_or((1, 1));
            diags.error(
                file,
                line,
                col,
                format!("invalid YAML: {msg}; expected `key: value` lines"),
            );
            return None;
        }
    };
    let empty = serde_yaml::Mapping::new();
    let map = match &value {
        serde_yaml::Value::Mapping(m) => m,
        serde_yaml::Value::Null => &empty,
        other => {
            diags.error(
                file,
                1,
                1,
                format!(
                    "site.yaml holds {}; expected `key: value` lines",
                    crate::yamlpos::kind_of(other)
                ),
            );
            return None;
        }
    };
    let pos = Positions::of(&text);
    let f = Fields {
        file,
        map,
        pos: &pos,
        line_offset: 0,
        prefix: String::new(),
        what: "site.yaml",
        fallback: (1, 1),
    };
    f.check_keys(SITE_KEYS, diags);
    let title = f.string("title", diags);
    if title.is_none() && f.get("title").is_none() {
        diags.error(
            file,
            1,
            1,
            "site.yaml has no `title`; expected a line such as `title: My report`",
        );
    }
    let base_url = f.string("base_url", diags).map(|u| {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            f.error(
                diags,
                "base_url",
                format!("base_url `{u}` is not an absolute URL; expected e.g. `https://me.github.io/repo/`"),
            );
        }
        if u.ends_with('/') {
            u
        } else {
            format!("{u}/")
        }
    });
    Some(SiteConfig {
        title: title.unwrap_or_default(),
        description: f.string("description", diags).unwrap_or_default(),
        author: f.string("author", diags).unwrap_or_default(),
        language: f
            .string("language", diags)
            .unwrap_or_else(|| "en".to_string()),
        base_url,
        theme: f
            .string("theme", diags)
            .unwrap_or_else(|| "default".to_string()),
        search: f.bool("search", diags).unwrap_or(true),
        print: f.bool("print", diags).unwrap_or(true),
        smart_punctuation: f.bool("smart_punctuation", diags).unwrap_or(true),
    })
}

/// A markdown file split at its front matter.
#[derive(Debug, PartialEq)]
pub struct Split<'a> {
    /// The YAML between the `---` lines.
    pub yaml: &'a str,
    /// 1-based line of the first YAML line in the file.
    pub yaml_line: usize,
    pub body: &'a str,
    /// 1-based line where the body starts.
    pub body_line: usize,
}

/// Split `text` into front matter and body. The file must start with a `---` line; the
/// front matter ends at the next line that is exactly `---` (trailing spaces allowed).
pub fn split_front_matter(text: &str) -> Result<Split<'_>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_end = text.find('\n').map(|i| i + 1).unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return Err((
            1,
            "no front matter; expected the file to start with a `---` line, then `title: ...`, then `---`".into(),
        ));
    }
    let mut offset = first_end;
    let mut line = 2;
    while offset < text.len() {
        let end = text[offset..]
            .find('\n')
            .map(|i| offset + i + 1)
            .unwrap_or(text.len());
        if text[offset..end].trim_end() == "---" {
            return Ok(Split {
                yaml: &text[first_end..offset],
                yaml_line: 2,
                body: &text[end..],
                body_line: line + 1,
            });
        }
        offset = end;
        line += 1;
    }
    Err((
        1,
        "front matter is never closed; expected a `---` line after it".into(),
    ))
}

/// Parse front matter YAML. `yaml_line` is the file line of the YAML's first line. Returns the
/// front matter (best effort: a missing title is left empty) and each key's line in the file.
pub fn parse_front_matter(
    file: &Path,
    yaml: &str,
    yaml_line: usize,
    diags: &mut Diagnostics,
) -> (FrontMatter, Vec<(String, usize)>) {
    let mut front = FrontMatter {
        search: true,
        ..FrontMatter::default()
    };
    let offset = yaml_line - 1;
    let value: serde_yaml::Value = match serde_yaml::from_str(yaml) {
        Ok(v) => v,
        Err(e) => {
            let (msg, pos) = split_error_in(&e, yaml);
            let (line, col) = pos.map(|(l, c)| (l + offset, c)).unwrap_or((1, 1));
            diags.error(
                file,
                line,
                col,
                format!("invalid YAML in front matter: {msg}; expected `key: value` lines"),
            );
            return (front, Vec::new());
        }
    };
    let empty = serde_yaml::Mapping::new();
    let map = match &value {
        serde_yaml::Value::Mapping(m) => m,
        serde_yaml::Value::Null => &empty,
        other => {
            diags.error(
                file,
                yaml_line,
                1,
                format!(
                    "front matter holds {}; expected `key: value` lines",
                    crate::yamlpos::kind_of(other)
                ),
            );
            return (front, Vec::new());
        }
    };
    let pos = Positions::of(yaml);
    let f = Fields {
        file,
        map,
        pos: &pos,
        line_offset: offset,
        prefix: String::new(),
        what: "front matter",
        fallback: (1, 1),
    };
    f.check_keys(FRONT_MATTER_KEYS, diags);
    let lines: Vec<(String, usize)> = pos
        .top_level_keys()
        .map(|(k, l)| (k.to_string(), l + offset))
        .collect();
    match f.string("title", diags) {
        Some(t) if !t.trim().is_empty() => front.title = t,
        Some(_) => f.error(diags, "title", "`title` is empty; expected a title"),
        None if f.get("title").is_none() => diags.error(
            file,
            1,
            1,
            "front matter has no `title`; expected a line such as `title: Warm-up runs`",
        ),
        None => {}
    }
    front.description = f.string("description", diags);
    front.weight = f.int("weight", diags);
    front.draft = f.bool("draft", diags).unwrap_or(false);
    if let Some(d) = f.string("date", diags) {
        match normalise_date(&d) {
            Some(d) => front.date = Some(d),
            None => f.error(
                diags,
                "date",
                format!("invalid date `{d}`; expected a YAML date (2026-11-25) or an RFC 3339 date-time (2026-11-25T09:30:00Z)"),
            ),
        }
    }
    front.tags = f.string_list("tags", diags).unwrap_or_default();
    front.template = f.string("template", diags);
    let yaml_lines: Vec<&str> = yaml.lines().collect();
    for (id, (line, col)) in f.string_list_at("benchmarks", diags).unwrap_or_default() {
        // A quoted id is placed at its text, after the quote.
        let col = yaml_lines
            .get(line.wrapping_sub(offset + 1))
            .and_then(|text| {
                let skip: usize = text
                    .chars()
                    .take(col.saturating_sub(1))
                    .map(char::len_utf8)
                    .sum();
                let at = text.get(skip..)?.find(id.as_str())?;
                Some(col + text[skip..skip + at].chars().count())
            })
            .unwrap_or(col);
        front.benchmarks.push(id);
        front.benchmarks_at.push((line, col));
    }
    front.search = f.bool("search", diags).unwrap_or(true);
    (front, lines)
}

/// `2026-11-25` stays as it is; an RFC 3339 date-time is normalised; anything else is `None`.
pub fn normalise_date(s: &str) -> Option<String> {
    let s = s.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if s.len() == 10 {
            return Some(d.format("%Y-%m-%d").to_string());
        }
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.to_rfc3339())
}

/// Read and parse one markdown file into a page (best effort when its front matter is bad).
/// Pages a previous load parsed, by source: the fingerprint of the file's text and the page.
type LoadMemo = HashMap<PathBuf, (u64, Page)>;

/// Read and parse one markdown file; with `memo`, a file whose text is unchanged is not
/// parsed again. Also returns the text's fingerprint (with a memo, when it parsed cleanly).
fn read_page(
    root: &Path,
    source: &Path,
    output: PathBuf,
    memo: Option<&LoadMemo>,
) -> (Option<Page>, Diagnostics, Option<u64>) {
    let mut diags = Diagnostics::new();
    let text = match std::fs::read(root.join(source)) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                diags.error(
                    source,
                    0,
                    0,
                    format!(
                        "not UTF-8 (invalid byte at offset {}); expected a UTF-8 text file",
                        e.utf8_error().valid_up_to()
                    ),
                );
                return (None, diags, None);
            }
        },
        Err(e) => {
            diags.error(
                source,
                0,
                0,
                format!("cannot read: {e}; expected a file benchbook may read"),
            );
            return (None, diags, None);
        }
    };
    let key = memo.map(|_| crate::incremental::fingerprint(&text));
    if let (Some(memo), Some(key)) = (memo, key) {
        if let Some((k, page)) = memo.get(source) {
            if *k == key && page.output == output {
                return (Some(page.clone()), diags, Some(key));
            }
        }
    }
    let fallback_title = title_from_name(source);
    let page = match split_front_matter(&text) {
        Ok(split) => {
            let (mut front, front_lines) =
                parse_front_matter(source, split.yaml, split.yaml_line, &mut diags);
            if front.title.is_empty() {
                front.title = fallback_title;
            }
            Page {
                source: source.to_path_buf(),
                output,
                front,
                front_lines,
                body: split.body.to_string(),
                body_line: split.body_line,
                rendered: None,
            }
        }
        Err((line, msg)) => {
            diags.error(source, line, 1, msg);
            Page {
                source: source.to_path_buf(),
                output,
                front: FrontMatter {
                    title: fallback_title,
                    search: true,
                    ..FrontMatter::default()
                },
                front_lines: Vec::new(),
                body: text.strip_prefix('\u{feff}').unwrap_or(&text).to_string(),
                body_line: 1,
                rendered: None,
            }
        }
    };
    let key = key.filter(|_| diags.is_empty());
    (Some(page), diags, key)
}

/// `content/deep-learning_basics` → `Deep learning basics`.
fn title_from_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = if stem == "_index" {
        path.parent()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        stem
    };
    let words = stem.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Output path of a markdown source (relative to the root, under `content/`).
pub fn output_of_markdown(source: &Path) -> PathBuf {
    let rel = source.strip_prefix("content").unwrap_or(source);
    if rel.file_name().is_some_and(|n| n == "_index.md") {
        rel.with_file_name("index.html")
    } else {
        rel.with_extension("html")
    }
}

/// Output path of a section folder's index page.
pub fn output_of_section(dir: &Path) -> PathBuf {
    dir.strip_prefix("content")
        .unwrap_or(dir)
        .join("index.html")
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn rel_to(root: &Path, p: &Path) -> PathBuf {
    p.strip_prefix(root).unwrap_or(p).to_path_buf()
}

/// Walk `content/`: folders, markdown files and other files, relative to the root.
struct Walked {
    dirs: Vec<PathBuf>,
    markdown: Vec<PathBuf>,
    others: Vec<PathBuf>,
}

fn walk_content(root: &Path, diags: &mut Diagnostics) -> Walked {
    let mut walked = Walked {
        dirs: Vec::new(),
        markdown: Vec::new(),
        others: Vec::new(),
    };
    let content = root.join("content");
    let mut filter_diags = Vec::new();
    let iter = WalkDir::new(&content)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() > 0 && is_hidden(e.file_name()) {
                return false;
            }
            if e.path_is_symlink() {
                match e.path().canonicalize() {
                    Ok(target) if target.starts_with(root) => {}
                    Ok(target) => {
                        filter_diags.push(Diagnostic::new(
                            rel_to(root, e.path()),
                            0,
                            0,
                            format!(
                                "symlink to {}, outside the site root; expected content from inside the root only",
                                target.display()
                            ),
                        ));
                        return false;
                    }
                    Err(err) => {
                        filter_diags.push(Diagnostic::new(
                            rel_to(root, e.path()),
                            0,
                            0,
                            format!("broken symlink: {err}; expected a link to an existing file"),
                        ));
                        return false;
                    }
                }
            }
            true
        });
    for entry in iter {
        match entry {
            Ok(e) => {
                let rel = rel_to(root, e.path());
                if e.file_type().is_dir() {
                    walked.dirs.push(rel);
                } else if e.file_type().is_file() {
                    if rel.extension().is_some_and(|x| x == "md") {
                        walked.markdown.push(rel);
                    } else {
                        walked.others.push(rel);
                    }
                }
            }
            Err(err) => {
                let path = err
                    .path()
                    .map(|p| rel_to(root, p))
                    .unwrap_or_else(|| PathBuf::from("content"));
                let msg = if let Some(ancestor) = err.loop_ancestor() {
                    format!(
                        "symlink loop: it points back to {}; expected no cycles in content/",
                        rel_to(root, ancestor).display()
                    )
                } else if let Some(io) = err.io_error() {
                    if io.kind() == std::io::ErrorKind::NotFound {
                        format!("broken symlink: {io}; expected a link to an existing file")
                    } else {
                        format!("cannot read: {io}; expected a folder or file benchbook may read")
                    }
                } else {
                    format!("cannot read: {err}; expected a folder or file benchbook may read")
                };
                diags.error(path, 0, 0, msg);
            }
        }
    }
    for d in filter_diags {
        diags.push(d);
    }
    walked
}

fn read_content(
    root: PathBuf,
    config: SiteConfig,
    opts: &LoadOptions,
    memo: Option<&mut Memo>,
    diags: &mut Diagnostics,
) -> Site {
    let walked = walk_content(&root, diags);

    // Parse every markdown file in parallel.
    let old = memo.as_ref().map(|m| &m.load);
    let parsed: Vec<(Option<Page>, Diagnostics, Option<u64>)> = walked
        .markdown
        .par_iter()
        .map(|src| read_page(&root, src, output_of_markdown(src), old))
        .collect();
    let mut index_pages: HashMap<PathBuf, Page> = HashMap::new();
    let mut pages: Vec<Page> = Vec::new();
    let mut new = HashMap::new();
    let mut reused = 0;
    for (page, d, key) in parsed {
        diags.extend(d);
        if let Some(page) = page {
            if let (Some(key), Some(old)) = (key, old) {
                if old.get(&page.source).is_some_and(|(k, _)| *k == key) {
                    reused += 1;
                }
                new.insert(page.source.clone(), (key, page.clone()));
            }
            if page.source.file_name().is_some_and(|n| n == "_index.md") {
                let dir = page.source.parent().unwrap_or(Path::new("")).to_path_buf();
                index_pages.insert(dir, page);
            } else {
                pages.push(page);
            }
        }
    }

    if let Some(memo) = memo {
        memo.load = new;
        memo.reused.load = reused;
    }

    // Folders whose _index.md is a draft are left out with everything below them.
    let draft_dirs: Vec<PathBuf> = if opts.drafts {
        Vec::new()
    } else {
        index_pages
            .iter()
            .filter(|(dir, p)| p.front.draft && dir.as_path() != Path::new("content"))
            .map(|(dir, _)| dir.clone())
            .collect()
    };
    let in_draft = |p: &Path| draft_dirs.iter().any(|d| p.starts_with(d));
    if !opts.drafts {
        pages.retain(|p| !p.front.draft && !in_draft(&p.source));
    }
    // A folder is a section if it is content/ itself or holds markdown somewhere below it;
    // a folder of images only is just a place for assets.
    let mut with_markdown: std::collections::HashSet<&Path> = std::collections::HashSet::new();
    let published = pages
        .iter()
        .map(|p| p.source.as_path())
        .chain(index_pages.values().map(|p| p.source.as_path()))
        .filter(|p| !in_draft(p));
    for p in published {
        let mut d = p.parent();
        while let Some(dir) = d {
            if !with_markdown.insert(dir) {
                break;
            }
            d = dir.parent();
        }
    }
    let dirs: Vec<PathBuf> = walked
        .dirs
        .iter()
        .filter(|d| !in_draft(d))
        .filter(|d| d.as_path() == Path::new("content") || with_markdown.contains(d.as_path()))
        .cloned()
        .collect();
    let assets: Vec<Asset> = walked
        .others
        .into_iter()
        .filter(|a| !in_draft(a))
        .map(|source| Asset {
            output: source
                .strip_prefix("content")
                .unwrap_or(&source)
                .to_path_buf(),
            source,
        })
        .collect();

    // Sections, one per folder.
    let mut sections: Vec<Section> = Vec::new();
    let mut section_of_dir: HashMap<PathBuf, usize> = HashMap::new();
    for dir in &dirs {
        let index = index_pages.remove(dir).unwrap_or_else(|| {
            let title = if dir == Path::new("content") {
                config.title.clone()
            } else {
                title_from_name(&dir.join("_index.md"))
            };
            Page {
                source: dir.join("_index.md"),
                output: output_of_section(dir),
                front: FrontMatter {
                    title,
                    search: true,
                    ..FrontMatter::default()
                },
                front_lines: Vec::new(),
                body: String::new(),
                body_line: 1,
                rendered: None,
            }
        });
        section_of_dir.insert(dir.clone(), sections.len());
        sections.push(Section {
            dir: dir.clone(),
            index,
            pages: Vec::new(),
            subsections: Vec::new(),
        });
    }

    // Two sources writing the same output are an error naming both.
    let mut outputs: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    let mut claim = |output: &Path, source: &Path, diags: &mut Diagnostics| {
        if let Some(first) = outputs.get(output) {
            diags.error(
                source,
                0,
                0,
                format!(
                    "would be written to {}, as is {}; expected one source per output path (a section's page is its `_index.md`)",
                    output.display(),
                    first.display()
                ),
            );
        } else {
            outputs.insert(output.to_path_buf(), source.to_path_buf());
        }
    };
    for s in &sections {
        let src = if root.join(&s.index.source).is_file() {
            s.index.source.clone()
        } else {
            s.dir.clone()
        };
        claim(&s.index.output, &src, diags);
    }
    // Pages sorted by source so the "first" of two is stable.
    pages.sort_by(|a, b| a.source.cmp(&b.source));
    for p in &pages {
        claim(&p.output, &p.source, diags);
    }
    for a in &assets {
        claim(&a.output, &a.source, diags);
    }

    // Attach pages and subsections to their parents, in reading order.
    for (i, p) in pages.iter().enumerate() {
        if let Some(&s) = p.source.parent().and_then(|d| section_of_dir.get(d)) {
            sections[s].pages.push(i);
        }
    }
    for i in 1..sections.len() {
        if let Some(&parent) = sections[i].dir.parent().and_then(|d| section_of_dir.get(d)) {
            sections[parent].subsections.push(i);
        }
    }
    let order = |f: &FrontMatter, src: &Path| {
        (
            f.weight.unwrap_or(i64::MAX),
            f.title.to_lowercase(),
            src.to_path_buf(),
        )
    };
    let page_keys: Vec<_> = pages.iter().map(|p| order(&p.front, &p.source)).collect();
    let section_keys: Vec<_> = sections
        .iter()
        .map(|s| order(&s.index.front, &s.dir))
        .collect();
    for s in &mut sections {
        s.pages.sort_by(|&a, &b| page_keys[a].cmp(&page_keys[b]));
        s.subsections
            .sort_by(|&a, &b| section_keys[a].cmp(&section_keys[b]));
    }
    debug_assert!(sections
        .first()
        .is_none_or(|s| s.dir == Path::new("content")));

    Site {
        root,
        config,
        sections,
        pages,
        assets,
        provenance: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fm(yaml: &str) -> (FrontMatter, Vec<(String, usize)>, Vec<String>) {
        let mut d = Diagnostics::new();
        let (f, lines) = parse_front_matter(Path::new("content/a.md"), yaml, 2, &mut d);
        (
            f,
            lines,
            d.sorted().0.iter().map(|d| d.to_string()).collect(),
        )
    }

    #[test]
    fn split_finds_body_line() {
        let s = split_front_matter("---\ntitle: A\n---\nhello\n").unwrap();
        assert_eq!(s.yaml, "title: A\n");
        assert_eq!(s.body, "hello\n");
        assert_eq!(s.body_line, 4);
        let s = split_front_matter("---\r\ntitle: A\r\n---\r\n").unwrap();
        assert_eq!(s.body_line, 4);
        assert_eq!(s.body, "");
        assert!(split_front_matter("# no front matter\n").is_err());
        assert!(split_front_matter("---\ntitle: A\n").is_err());
    }

    #[test]
    fn front_matter_fields() {
        let (f, lines, errs) = fm("title: Speed\nweight: 3\ndraft: true\ndate: 2026-11-25\ntags: [a, b]\nbenchmarks:\n  - mlp\nsearch: false\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(f.title, "Speed");
        assert_eq!(f.weight, Some(3));
        assert!(f.draft);
        assert_eq!(f.date.as_deref(), Some("2026-11-25"));
        assert_eq!(f.tags, vec!["a", "b"]);
        assert_eq!(f.benchmarks, vec!["mlp"]);
        assert!(!f.search);
        assert!(lines.contains(&("date".to_string(), 5)));
    }

    #[test]
    fn benchmark_ids_keep_their_positions() {
        // The YAML starts on line 2 of the file; a quoted id is placed after its quote.
        let (f, _, errs) = fm("title: A\nbenchmarks: [cnn2, \"cnn\", 3]\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(f.benchmarks, vec!["cnn2", "cnn", "3"]);
        assert_eq!(f.benchmarks_at, vec![(3, 14), (3, 21), (3, 27)]);
        let (f, _, _) = fm("title: A\nbenchmarks:\n  - mlp\n  -  'cnn'\n");
        assert_eq!(f.benchmarks_at, vec![(4, 5), (5, 7)]);
        let (f, _, _) = fm("title: A\nbenchmarks: mlp\n");
        assert_eq!(f.benchmarks_at, vec![(3, 13)]);
    }

    #[test]
    fn front_matter_errors_point_at_file_lines() {
        let (_, _, errs) = fm("title: A\ntitel: B\ndate: yesterday\nweight: heavy\n");
        assert_eq!(
            errs,
            vec![
                "content/a.md:3:1: unknown front matter key `titel`; expected one of: title, description, weight, draft, date, tags, template, benchmarks, search",
                "content/a.md:4:1: invalid date `yesterday`; expected a YAML date (2026-11-25) or an RFC 3339 date-time (2026-11-25T09:30:00Z)",
                "content/a.md:5:1: `weight` is a string; expected a whole number",
            ]
        );
        let (_, _, errs) = fm("description: x\n");
        assert_eq!(
            errs,
            vec!["content/a.md:1:1: front matter has no `title`; expected a line such as `title: Warm-up runs`"]
        );
        let (_, _, errs) = fm("title: A\ntags: [a\n");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("content/a.md:4:"), "{errs:?}");
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn walks_sections_pages_assets_in_reading_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "site.yaml", "title: S\n");
        write(root, "content/_index.md", "---\ntitle: Home\n---\n");
        write(root, "content/b.md", "---\ntitle: Beta\n---\n");
        write(root, "content/a.md", "---\ntitle: Alpha\n---\n");
        write(root, "content/z.md", "---\ntitle: Zulu\nweight: 1\n---\n");
        write(
            root,
            "content/later/_index.md",
            "---\ntitle: Later\nweight: 2\n---\n",
        );
        write(root, "content/first/x.md", "---\ntitle: X\n---\n");
        write(root, "content/first/pic.png", "png");
        write(
            root,
            "content/wip/_index.md",
            "---\ntitle: WIP\ndraft: true\n---\n",
        );
        write(root, "content/wip/p.md", "---\ntitle: P\n---\n");
        write(root, "content/wip/p.png", "png");
        write(
            root,
            "content/only-draft/d.md",
            "---\ntitle: D\ndraft: true\n---\n",
        );
        write(root, "content/images/i.png", "png");
        write(root, "content/.hidden.md", "not markdown we read");
        let site = load(root, &LoadOptions::default()).unwrap();
        let titles = |s: &Section| -> Vec<String> {
            s.pages
                .iter()
                .map(|&i| site.pages[i].front.title.clone())
                .collect()
        };
        let root_section = &site.sections[0];
        assert_eq!(root_section.index.front.title, "Home");
        assert_eq!(titles(root_section), vec!["Zulu", "Alpha", "Beta"]);
        let subs: Vec<&str> = root_section
            .subsections
            .iter()
            .map(|&i| site.sections[i].index.front.title.as_str())
            .collect();
        // Weighted first, then by title; the draft, asset-only and draft-only folders are left out.
        assert_eq!(subs, vec!["Later", "First"]);
        let outputs: Vec<String> = site
            .assets
            .iter()
            .map(|a| a.output.display().to_string())
            .collect();
        assert_eq!(outputs, vec!["first/pic.png", "images/i.png"]);
        let with = load(root, &LoadOptions { drafts: true }).unwrap();
        assert_eq!(with.pages.len(), 6);
        assert_eq!(with.sections.len(), 5);
    }

    #[test]
    fn dates() {
        assert_eq!(normalise_date("2026-11-25").as_deref(), Some("2026-11-25"));
        assert_eq!(
            normalise_date("2026-11-25T09:30:00Z").as_deref(),
            Some("2026-11-25T09:30:00+00:00")
        );
        assert_eq!(normalise_date("2026-13-01"), None);
        assert_eq!(normalise_date("25/11/2026"), None);
    }

    #[test]
    fn outputs() {
        assert_eq!(
            output_of_markdown(Path::new("content/a/b.md")),
            PathBuf::from("a/b.html")
        );
        assert_eq!(
            output_of_markdown(Path::new("content/a/_index.md")),
            PathBuf::from("a/index.html")
        );
        assert_eq!(
            output_of_markdown(Path::new("content/_index.md")),
            PathBuf::from("index.html")
        );
        assert_eq!(
            output_of_section(Path::new("content")),
            PathBuf::from("index.html")
        );
        assert_eq!(
            title_from_name(Path::new("content/deep-learning_basics/_index.md")),
            "Deep learning basics"
        );
    }
}

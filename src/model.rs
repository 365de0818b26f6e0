//! The site model: what `load` produces and later stages read.
//!
//! Paths: every `source` is relative to the site root (`content/training/speed.md`),
//! every `output` is relative to the output directory (`training/speed.html`).
//! A page `content/a/b.md` renders to `a/b.html`, a section `content/a/_index.md` to
//! `a/index.html`, so relative links and assets written beside the markdown keep working
//! once `.md` is replaced by `.html`.

use serde::Serialize;
use std::path::PathBuf;

/// `site.yaml`.
#[derive(Debug, Clone, Serialize)]
pub struct SiteConfig {
    pub title: String,
    pub description: String,
    pub author: String,
    /// BCP 47 tag for `<html lang>`, e.g. `en`.
    pub language: String,
    /// Absolute URL where the site is published, e.g. `https://me.github.io/repo/`.
    /// Optional: it only feeds `sitemap.xml`, canonical links and the 404 page.
    pub base_url: Option<String>,
    /// Name of a directory under `themes/`.
    pub theme: String,
    /// Whether the offline search index is built.
    pub search: bool,
    /// Whether the print edition (`print.html`, linked from every page) is built.
    pub print: bool,
    /// Whether markdown's smart punctuation is on (`--` → –, `---` → —, `...` → …, curly
    /// quotes), as in Zola and Quarto. On by default.
    pub smart_punctuation: bool,
}

/// Front matter keys of a page or a section's `_index.md`.
#[derive(Debug, Clone, Default, Serialize, Hash)]
pub struct FrontMatter {
    pub title: String,
    pub description: Option<String>,
    pub weight: Option<i64>,
    pub draft: bool,
    /// Normalised to RFC 3339 (`2026-11-25` stays a plain date).
    pub date: Option<String>,
    pub tags: Vec<String>,
    /// Template name overriding `page.html` / `section.html`.
    pub template: Option<String>,
    /// Ids of the benchmark declarations this page reads results from.
    pub benchmarks: Vec<String>,
    /// Line and column in the page's source file of each id of `benchmarks`, in the same
    /// order (see [`Page::benchmark_position`]).
    #[serde(skip)]
    pub benchmarks_at: Vec<(usize, usize)>,
    /// `false` leaves this page out of the search index.
    pub search: bool,
}

/// One markdown source file after loading (before or after the markdown stage).
#[derive(Debug, Clone)]
pub struct Page {
    /// `content/training/speed.md`.
    pub source: PathBuf,
    /// `training/speed.html`.
    pub output: PathBuf,
    pub front: FrontMatter,
    /// Line in `source` of each front matter key, for errors raised after parsing.
    pub front_lines: Vec<(String, usize)>,
    /// The markdown after the front matter.
    pub body: String,
    /// 1-based line in `source` where `body` starts (add `line - 1` to a body line).
    pub body_line: usize,
    /// Set by the markdown stage (shared with `serve`'s memo, see src/incremental.rs).
    pub rendered: Option<std::sync::Arc<Rendered>>,
}

impl Page {
    /// Line of a front matter key in the source file, or the first line.
    pub fn key_line(&self, key: &str) -> usize {
        self.front_lines
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, l)| *l)
            .unwrap_or(1)
    }

    /// Line and column of benchmark `id` in the page's `benchmarks:` entry (its first
    /// mention), else of the `benchmarks:` key.
    pub fn benchmark_position(&self, id: &str) -> (usize, usize) {
        self.front
            .benchmarks
            .iter()
            .zip(&self.front.benchmarks_at)
            .find(|(b, _)| *b == id)
            .map(|(_, at)| *at)
            .unwrap_or((self.key_line("benchmarks"), 1))
    }
}

/// The markdown stage's output for one page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Rendered {
    /// The body as HTML. Internal links are already relative to this page's output.
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub pitfalls: Vec<Pitfall>,
    /// Every heading with the plain text under it, for search.
    pub sections: Vec<TextSection>,
    pub quiz_count: usize,
    /// Plain text summary (description or first paragraph).
    pub summary: String,
    /// What it was rendered from, when `serve` keeps a memo (src/incremental.rs); 0 otherwise.
    #[serde(skip)]
    pub fingerprint: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// A pitfall callout, remembered for the site-wide pitfalls page.
#[derive(Debug, Clone, Serialize)]
pub struct Pitfall {
    /// Anchor of the pitfall box itself on its page.
    pub id: String,
    /// The nearest heading above it (id and text), if any.
    pub heading_id: Option<String>,
    pub heading: Option<String>,
    /// The callout's inner HTML, links already relative to its own page.
    pub html: String,
    /// Its plain text (for search and summaries).
    pub text: String,
}

/// The text of a page between two headings (for search).
#[derive(Debug, Clone, Serialize)]
pub struct TextSection {
    /// Heading anchor, `None` for the text before the first heading.
    pub id: Option<String>,
    pub heading: String,
    pub text: String,
}

/// A folder of `content/`. The root section is `content/` itself.
#[derive(Debug, Clone)]
pub struct Section {
    /// The folder, relative to the site root (`content/training`).
    pub dir: PathBuf,
    /// Its `_index.md` (title, intro), or a page synthesised from the folder name.
    pub index: Page,
    /// Indices into `Site::pages`, in reading order (weight, then title).
    pub pages: Vec<usize>,
    /// Indices into `Site::sections`, in reading order.
    pub subsections: Vec<usize>,
}

/// A non-markdown file copied beside its page's output.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Relative to the site root.
    pub source: PathBuf,
    /// Relative to the output directory.
    pub output: PathBuf,
}

/// Everything `load` found. Built once; later stages fill `Page::rendered`.
#[derive(Debug, Clone)]
pub struct Site {
    /// Absolute path of the site root.
    pub root: PathBuf,
    pub config: SiteConfig,
    /// All sections; `sections[0]` is the root section (`content/`).
    pub sections: Vec<Section>,
    /// All non-index pages (drafts already removed unless `--drafts`).
    pub pages: Vec<Page>,
    pub assets: Vec<Asset>,
    /// One page per stored benchmark result the pages use (filled by the merge stage).
    pub provenance: Vec<ProvenancePage>,
}

/// A generated page on how one benchmark's stored result was measured
/// (`results/<id>.html`; see src/merge/provenance.rs).
#[derive(Debug, Clone)]
pub struct ProvenancePage {
    pub id: String,
    pub title: String,
    /// Relative to the output directory.
    pub output: PathBuf,
    /// The page's body, HTML.
    pub body: String,
}

/// One file of the finished site, produced by `render` and written by `write`.
#[derive(Debug, Clone)]
pub enum OutputFile {
    /// Generated contents (shared: `serve` keeps a page's bytes in its memo and its site).
    Bytes {
        path: PathBuf,
        bytes: std::sync::Arc<Vec<u8>>,
    },
    /// A file copied as it is (an asset, a theme's static file); `from` is absolute.
    Copy { path: PathBuf, from: PathBuf },
}

impl OutputFile {
    /// Relative to the output directory.
    pub fn path(&self) -> &std::path::Path {
        match self {
            OutputFile::Bytes { path, .. } | OutputFile::Copy { path, .. } => path,
        }
    }
}

//! `benchbook check`: everything `build` validates, writing nothing, plus result freshness.
//!
//! - Every stage but `write` runs once ([`crate::build::prepare_lenient`]): front matter,
//!   quizzes, internal links and anchors, templates, benchmark declarations, stored result
//!   files, expressions.
//! - Results are used as stored and no runner is started: a result that a page needs and that
//!   is missing or stale (its declaration or runner changed since it was measured) is an error
//!   at the page's `benchmarks:` entry for it, read from the run statuses of that one bench
//!   stage ([`crate::measure::Measured::runs`]).
//! - `--external` also checks the http(s) links of the rendered pages: HEAD (GET when HEAD is
//!   refused), redirects followed, 10 s per link, at most 8 at once. Good answers are cached
//!   for 24 hours in `<user cache dir>/benchbook/links.json`, so reruns are quick; failures
//!   are always checked again. Off by default: builds and checks work offline.
//!
//! Errors are `path:line:column` diagnostics, all of them in one run (exit 1); a clean site
//! prints a one-line summary (exit 0).

use crate::bench::{BenchPolicy, RunState, RunStatus};
use crate::build::{prepare_lenient, BuildOptions, Partial};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::measure::Measured;
use crate::model::{OutputFile, Site};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Links checked at once with `--external`.
pub const EXTERNAL_CONCURRENCY: usize = 8;
/// Time allowed to one external link (connection, redirects and answer).
pub const EXTERNAL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a good answer stays in the link cache.
pub const CACHE_FRESH: Duration = Duration::from_secs(24 * 60 * 60);

/// What `benchbook check` checks (made by `cli` from its flags).
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The site root.
    pub root: PathBuf,
    /// Include pages marked `draft: true`.
    pub drafts: bool,
    /// Also check external (http, https) links.
    pub external: bool,
    /// No summary (errors still go to stderr).
    pub quiet: bool,
}

/// `benchbook check`: every error a build would report plus stale or missing results (and,
/// with `external`, broken external links) as one [`Diagnostics`]; else a one-line summary
/// (unless `quiet`).
pub fn run(options: &CheckOptions) -> anyhow::Result<()> {
    let start = Instant::now();
    let root = &options.root;
    let opts = BuildOptions {
        drafts: options.drafts,
        bench: BenchPolicy::stored_only(),
        quiet: true,
        // The search index and the print edition report no errors.
        defer_reader_extras: true,
    };
    // Every stage but `write`, once; what the bench stage found out about each run is kept
    // even when a later stage failed.
    let Partial {
        site,
        files,
        measured,
        mut diags,
        ..
    } = prepare_lenient(root, &opts, None)?;
    // The site as `prepare` would have returned it: only when every stage succeeded.
    let renders = diags.is_empty();
    if let Some(site) = &site {
        diags.extend(freshness(site, &measured));
    }
    let prepared = site.filter(|_| renders);

    let mut external = None;
    if options.external {
        match &prepared {
            Some(site) => {
                let (d, stats) = check_external(site, &files)?;
                diags.extend(d);
                external = Some(stats);
            }
            None => eprintln!(
                "note: external links were not checked: the pages do not render (fix the errors below first)"
            ),
        }
    }
    if !diags.is_empty() {
        return Err(diags.sorted().into());
    }
    if !options.quiet {
        let pages = prepared
            .as_ref()
            .map(|site| site.pages.len() + site.sections.len())
            .unwrap_or(0);
        let benchmarks = measured.used.len();
        let mut line = format!(
            "check: {pages} page{} and {benchmarks} benchmark result{} fine",
            plural(pages),
            plural(benchmarks)
        );
        if let Some(s) = external {
            line.push_str(&format!(
                ", {} external link{} reachable ({} from the cache)",
                s.links,
                plural(s.links),
                s.cached
            ));
        }
        println!("{line}; no errors ({} ms)", start.elapsed().as_millis());
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

// ── freshness ────────────────────────────────────────────────────────────────────────────

/// Every benchmark a page lists must have a fresh stored result for each of its runs: an
/// error at the page's `benchmarks:` entry for each one that does not, read from the run
/// statuses of the bench stage (nothing is run). Errors that the bench stage already
/// reports (bad declarations, unreadable results, unknown ids) are left to it.
fn freshness(site: &Site, measured: &Measured) -> Diagnostics {
    let mut diags = Diagnostics::new();
    // What is wrong with each benchmark's results, if anything.
    let mut problems: BTreeMap<&str, String> = BTreeMap::new();
    for id in &measured.used {
        let runs = || measured.runs.iter().filter(|r| &r.benchmark == id);
        let missing: Vec<String> = runs()
            .filter(|r| r.state == RunState::Missing)
            .map(RunStatus::describe)
            .collect();
        let source = measured
            .sources
            .get(id)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "its declaration".into());
        if !missing.is_empty() {
            problems.insert(
                id,
                format!(
                    "missing result: benchmark `{id}` has no stored result for {}; expected a result in benchmarks/results/{id}.json (`benchbook bench {id}` measures it)",
                    missing.join(", ")
                ),
            );
        } else if measured.stale.contains(id) {
            let why: Vec<String> = runs()
                .filter_map(|r| match &r.state {
                    RunState::Stale { why } => Some(format!("{}: {why}", r.describe())),
                    _ => None,
                })
                .collect();
            problems.insert(
                id,
                format!(
                    "stale result: benchmark `{id}` was measured before {source} or its runner changed ({}); expected a fresh result (`benchbook bench {id}` measures it)",
                    if why.is_empty() {
                        "its fingerprint differs".to_string()
                    } else {
                        why.join("; ")
                    }
                ),
            );
        }
    }
    for page in site
        .pages
        .iter()
        .chain(site.sections.iter().map(|s| &s.index))
    {
        for id in &page.front.benchmarks {
            if let Some(message) = problems.get(id.as_str()) {
                let (line, column) = page.benchmark_position(id);
                diags.push(Diagnostic::new(
                    page.source.clone(),
                    line,
                    column,
                    message.clone(),
                ));
            }
        }
    }
    diags
}

// ── external links ───────────────────────────────────────────────────────────────────────

struct ExternalStats {
    links: usize,
    cached: usize,
}

/// The http(s) URLs that `html` links to or loads (fragment removed).
fn external_urls(html: &str) -> BTreeSet<String> {
    use lol_html::{element, HtmlRewriter, Settings};
    let found = std::cell::RefCell::new(BTreeSet::new());
    let take = |value: Option<String>| {
        if let Some(v) = value {
            let v = v.trim();
            let lower = v.to_ascii_lowercase();
            if lower.starts_with("http://") || lower.starts_with("https://") {
                let url = v.split('#').next().unwrap_or(v).to_string();
                found.borrow_mut().insert(url);
            }
        }
    };
    {
        let mut rewriter = HtmlRewriter::new(
            Settings {
                element_content_handlers: vec![element!(
                    "a[href], link[href], area[href], img[src], script[src], source[src], iframe[src], video[src], audio[src]",
                    |el| {
                        take(el.get_attribute("href"));
                        take(el.get_attribute("src"));
                        Ok(())
                    }
                )],
                ..Settings::new()
            },
            |_: &[u8]| {},
        );
        // A page that does not parse as HTML has no links to check.
        if rewriter.write(html.as_bytes()).is_ok() {
            let _ = rewriter.end();
        }
    }
    found.into_inner()
}

/// What one external link answered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct LinkResult {
    /// Seconds since the Unix epoch.
    checked: u64,
    ok: bool,
    /// What went wrong (`HTTP 404`, `timed out after 10 s`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct LinkCache {
    links: BTreeMap<String, LinkResult>,
}

/// `<user cache dir>/benchbook/links.json` (`$XDG_CACHE_HOME` or `~/.cache` on Linux).
fn cache_path() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("benchbook").join("links.json"))
}

fn load_cache(path: &Path) -> LinkCache {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_cache(path: &Path, cache: &LinkCache) -> anyhow::Result<()> {
    let dir = path.parent().context("the cache path has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    serde_json::to_writer_pretty(&mut tmp, cache)?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Ask `url` whether it is there: HEAD, then GET if HEAD is refused.
fn probe(agent: &ureq::Agent, url: &str) -> Result<(), String> {
    let status = |r: Result<ureq::http::Response<ureq::Body>, ureq::Error>| match r {
        Ok(resp) => Ok(resp.status().as_u16()),
        Err(ureq::Error::Timeout(_)) => {
            Err(format!("timed out after {} s", EXTERNAL_TIMEOUT.as_secs()))
        }
        Err(e) => Err(e.to_string()),
    };
    let mut code = status(agent.head(url).call())?;
    if matches!(code, 400 | 403 | 405 | 501) {
        code = status(agent.get(url).call())?;
    }
    if (200..400).contains(&code) {
        Ok(())
    } else {
        Err(format!("HTTP {code}"))
    }
}

fn check_external(
    site: &Site,
    files: &[OutputFile],
) -> anyhow::Result<(Diagnostics, ExternalStats)> {
    // URL → the rendered pages (output paths) that have it.
    let mut pages_of: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        let OutputFile::Bytes { path, bytes } = f else {
            continue;
        };
        if path.extension().is_none_or(|e| e != "html") || path == Path::new("print.html") {
            continue;
        }
        for url in external_urls(&String::from_utf8_lossy(bytes)) {
            pages_of.entry(url).or_default().push(path.clone());
        }
    }
    let cache_file = cache_path();
    let mut cache = cache_file.as_deref().map(load_cache).unwrap_or_default();
    let now = now_secs();
    let fresh = |r: &LinkResult| r.ok && now.saturating_sub(r.checked) < CACHE_FRESH.as_secs();
    let todo: Vec<&String> = pages_of
        .keys()
        .filter(|u| !cache.links.get(*u).is_some_and(fresh))
        .collect();
    let cached = pages_of.len() - todo.len();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(EXTERNAL_TIMEOUT))
        .http_status_as_error(false)
        .user_agent(concat!("benchbook-check/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(EXTERNAL_CONCURRENCY)
        .build()
        .context("cannot start the link-checking threads")?;
    let answers: Vec<(String, Result<(), String>)> = pool.install(|| {
        use rayon::prelude::*;
        todo.par_iter()
            .map(|url| ((*url).clone(), probe(&agent, url)))
            .collect()
    });
    for (url, answer) in answers {
        cache.links.insert(
            url,
            LinkResult {
                checked: now_secs(),
                ok: answer.is_ok(),
                error: answer.err(),
            },
        );
    }
    if let Some(path) = &cache_file {
        if let Err(e) = save_cache(path, &cache) {
            eprintln!("warning: the link cache was not saved: {e:#}");
        }
    }

    // Where each broken URL is written: the page's source, else a theme template.
    let source_of: HashMap<&Path, &Path> = site
        .pages
        .iter()
        .chain(site.sections.iter().map(|s| &s.index))
        .map(|pg| (pg.output.as_path(), pg.source.as_path()))
        .collect();
    let mut texts: HashMap<PathBuf, Option<String>> = HashMap::new();
    let mut read = |rel: &Path| -> Option<String> {
        texts
            .entry(rel.to_path_buf())
            .or_insert_with(|| std::fs::read_to_string(site.root.join(rel)).ok())
            .clone()
    };
    let templates = template_files(site);
    let mut diags = Diagnostics::new();
    for (url, pages) in &pages_of {
        let Some(result) = cache.links.get(url) else {
            continue;
        };
        if result.ok {
            continue;
        }
        let why = result.error.as_deref().unwrap_or("unreachable");
        let message = format!("broken external link {url}: {why}; expected a page that answers");
        let mut placed = BTreeSet::new();
        for out in pages {
            let Some(src) = source_of.get(out.as_path()) else {
                continue;
            };
            if let Some((line, col)) = read(src).and_then(|t| position_of(&t, url)) {
                placed.insert((src.to_path_buf(), line, col));
            }
        }
        if placed.is_empty() {
            // Not in any page's source: a theme or site template put it there.
            for t in &templates {
                if let Some((line, col)) = read(t).and_then(|text| position_of(&text, url)) {
                    placed.insert((t.clone(), line, col));
                }
            }
        }
        if placed.is_empty() {
            let first = pages
                .iter()
                .find_map(|o| source_of.get(o.as_path()).map(|s| s.to_path_buf()))
                .unwrap_or_else(|| pages[0].clone());
            placed.insert((first, 0, 0));
        }
        for (path, line, col) in placed {
            diags.push(Diagnostic::new(path, line, col, message.clone()));
        }
    }
    Ok((
        diags,
        ExternalStats {
            links: pages_of.len(),
            cached,
        },
    ))
}

/// Template files a link may come from (relative to the root): the site's own `templates/`
/// and the theme's.
fn template_files(site: &Site) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [
        PathBuf::from("templates"),
        Path::new("themes")
            .join(&site.config.theme)
            .join("templates"),
    ] {
        for e in walkdir::WalkDir::new(site.root.join(&dir))
            .into_iter()
            .flatten()
        {
            if e.file_type().is_file() {
                if let Ok(rel) = e.path().strip_prefix(&site.root) {
                    out.push(rel.to_path_buf());
                }
            }
        }
    }
    out.sort();
    out
}

/// 1-based line and column of the first occurrence of `needle` in `text`.
fn position_of(text: &str, needle: &str) -> Option<(usize, usize)> {
    let at = text.find(needle)?;
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    Some((line, text[line_start..at].chars().count() + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_external_urls() {
        let html = r##"<p><a href="https://example.org/a#x">a</a> <a href="/local.html">l</a>
            <a href="HTTP://Example.org/b">b</a><img src="http://img.test/p.png" alt="">
            <a href="mailto:x@y">m</a><a href="#top">t</a></p>"##;
        let urls: Vec<String> = external_urls(html).into_iter().collect();
        assert_eq!(
            urls,
            [
                "HTTP://Example.org/b",
                "http://img.test/p.png",
                "https://example.org/a"
            ]
        );
    }

    #[test]
    fn positions() {
        assert_eq!(
            position_of("ab\ncd [x](http://u)\n", "http://u"),
            Some((2, 8))
        );
    }
}

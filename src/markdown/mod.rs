//! The `markdown` stage: every page's body to HTML, with pulldown-cmark.
//!
//! GFM (tables, footnotes, strikethrough, task lists, alerts) and smart punctuation; headings
//! get stable, deduplicated ids (an explicit `{#id}` wins) and an anchor link; fenced code is
//! highlighted at build time ([`highlight`]); fenced `quiz` blocks become quizzes ([`quiz`]);
//! relative links and images are checked and rewritten ([`links`]).
//!
//! Callouts use GitHub's alert syntax, so the source reads well on GitHub too:
//!
//! ```markdown
//! > [!CAUTION]
//! > Timing the first iteration measures allocation, not training.
//! ```
//!
//! `NOTE`, `TIP`, `IMPORTANT` and `WARNING` render as
//! `<aside class="callout note" role="note" aria-label="Note"><p class="callout-title">Note</p>…</aside>`.
//! **`CAUTION` is benchbook's pitfall**: `<aside class="callout pitfall" id="pitfall-N"
//! role="note" aria-label="Pitfall"><p class="callout-title">Pitfall</p>…</aside>`, and it is
//! collected into [`Rendered::pitfalls`] with the nearest heading above it, for the site-wide
//! pitfalls page.
//!
//! Tables are wrapped in `<div class="table-wrap">` so that wide ones scroll on narrow screens.
//!
//! Headings: `<h2 id="warm-up">Warm-up <a class="anchor" href="#warm-up"
//! aria-label="Permalink: Warm-up">#</a></h2>`.
//!
//! Rendering runs in two passes: [`anchors`] of every page first (in parallel), so that links
//! to other pages' headings can be checked, then [`render_page`] for every page (in parallel).
//! A page is rendered by a pipeline of small steps over pulldown-cmark events, each in
//! `adapters.rs` and tested on its own: outline (heading ids, table of contents), collectors
//! (search text, summary), then links → code blocks and quizzes → tables → headings →
//! callouts and pitfalls → autolinks.
//! Raw HTML blocks pass through untouched.

mod adapters;
mod autolink;
pub mod highlight;
pub mod links;
pub mod quiz;

use crate::diagnostics::Diagnostics;
use crate::incremental::{self, Highlighted, MarkdownEntry, Memo, ResolvedLink};
use crate::model::{Page, Rendered, Site, SiteConfig};
use adapters::{Outline, Spanned};
use autolink::autolink;
pub use links::LinkIndex;
use links::Resolved;
use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd,
};
use rayon::prelude::*;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// A page of the site: a section's index page or a regular page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageRef {
    /// `site.sections[i].index`.
    Section(usize),
    /// `site.pages[i]`.
    Page(usize),
}

/// The page behind a [`PageRef`].
pub fn page(site: &Site, r: PageRef) -> &Page {
    match r {
        PageRef::Section(i) => &site.sections[i].index,
        PageRef::Page(i) => &site.pages[i],
    }
}

fn page_mut(site: &mut Site, r: PageRef) -> &mut Page {
    match r {
        PageRef::Section(i) => &mut site.sections[i].index,
        PageRef::Page(i) => &mut site.pages[i],
    }
}

/// Every page of the site: section indexes first, then pages.
pub fn all_pages(site: &Site) -> Vec<PageRef> {
    (0..site.sections.len())
        .map(PageRef::Section)
        .chain((0..site.pages.len()).map(PageRef::Page))
        .collect()
}

/// The pulldown-cmark options used for every page of a site: smart punctuation (`--` to an
/// en dash, straight quotes to curly ones) unless site.yaml turns it off.
pub fn options(config: &SiteConfig) -> Options {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM;
    if config.smart_punctuation {
        options | Options::ENABLE_SMART_PUNCTUATION
    } else {
        options
    }
}

/// Render every page and section index of `site` (in parallel), filling `Page::rendered`.
/// Every error of every page is returned together. With `memo` (see src/incremental.rs), a
/// page is taken from the previous build when it is unchanged and every link it resolved
/// still resolves the same way, and highlighted code blocks are kept across builds.
pub fn render_site(site: &mut Site, mut memo: Option<&mut Memo>) -> Result<(), Diagnostics> {
    let opts = options(&site.config);
    let index = match memo.as_deref_mut() {
        Some(memo) => {
            memo.highlight
                .get_mut()
                .unwrap_or_else(|e| e.into_inner())
                .next_generation();
            let old = std::mem::take(&mut memo.anchors);
            let new = Mutex::new(HashMap::new());
            let index = LinkIndex::build(site, |p| {
                let key = incremental::fingerprint(&(&p.body, opts.bits()));
                let ids = old.get(&key).cloned().unwrap_or_else(|| anchors(p, opts));
                new.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, ids.clone());
                ids
            });
            memo.anchors = new.into_inner().unwrap_or_else(|e| e.into_inner());
            index
        }
        None => LinkIndex::build(site, |p| anchors(p, opts)),
    };
    let refs = all_pages(site);
    let old = memo
        .as_deref_mut()
        .map(|m| std::mem::take(&mut m.markdown))
        .unwrap_or_default();
    let highlight = memo.as_deref().map(|m| &m.highlight);
    let reused = AtomicUsize::new(0);
    let results: Vec<(PageRef, Result<MarkdownEntry, Diagnostics>)> = refs
        .par_iter()
        .map(|&r| {
            let Some(highlight) = highlight else {
                return (r, render_page_links(site, &index, r, None));
            };
            let (result, was_reused) = render_memoised(site, &index, r, &old, highlight);
            if was_reused {
                reused.fetch_add(1, Ordering::Relaxed);
            }
            (r, result)
        })
        .collect();
    drop(old);
    let mut diags = Diagnostics::new();
    let mut new = HashMap::new();
    for (r, result) in results {
        match result {
            Ok(entry) => {
                if memo.is_some() {
                    new.insert(page(site, r).source.clone(), entry.clone());
                }
                page_mut(site, r).rendered = Some(entry.rendered);
            }
            Err(d) => diags.extend(d),
        }
    }
    if let Some(memo) = memo {
        memo.markdown = new;
        memo.reused.markdown = reused.into_inner();
    }
    diags.sorted().into_result(())
}

/// A page's rendered body from `old` when its key is unchanged and every link it resolved
/// still resolves the same way (then `true`), else rendered again and keyed.
fn render_memoised(
    site: &Site,
    index: &LinkIndex,
    r: PageRef,
    old: &HashMap<PathBuf, MarkdownEntry>,
    highlight: &Mutex<Highlighted>,
) -> (Result<MarkdownEntry, Diagnostics>, bool) {
    let p = page(site, r);
    let key = incremental::fingerprint(&(incremental::page_key(p), options(&site.config).bits()));
    if let Some(entry) = old.get(&p.source) {
        let same_links = || {
            entry
                .links
                .iter()
                .all(|(url, what, was)| match index.resolve(p, url, what) {
                    Resolved::Keep => was.is_none(),
                    Resolved::Url(u) => was.as_deref() == Some(u.as_str()),
                    Resolved::Error(_) => false,
                })
        };
        if entry.key == key && same_links() {
            return (Ok(entry.clone()), true);
        }
    }
    let result = render_page_links(site, index, r, Some(highlight)).map(|mut e| {
        e.key = key;
        // Just made, so not shared: no copy.
        std::sync::Arc::make_mut(&mut e.rendered).fingerprint =
            incremental::rendered_key(key, &e.links);
        e
    });
    (result, false)
}

/// Heading ids: explicit ones as written, generated ones slugified and deduplicated
/// (`setup`, `setup-1`, `setup-2`, …).
#[derive(Default)]
struct HeadingIds {
    used: HashSet<String>,
}

impl HeadingIds {
    fn assign(&mut self, explicit: Option<&str>, text: &str) -> String {
        if let Some(id) = explicit {
            self.used.insert(id.to_string());
            return id.to_string();
        }
        let mut base = slug::slugify(text);
        if base.is_empty() {
            base = "section".to_string();
        }
        let mut id = base.clone();
        let mut n = 1;
        while self.used.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.used.insert(id.clone());
        id
    }
}

fn fence_lang(info: &str) -> Option<&str> {
    info.split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .filter(|s| !s.is_empty())
}

/// Pass 1: the ids a link may point at on this page: headings, quizzes and pitfalls.
pub fn anchors(page: &Page, options: Options) -> HashSet<String> {
    let mut ids = HeadingIds::default();
    let mut out = HashSet::new();
    let mut heading: Option<(Option<String>, String)> = None;
    let mut quiz_n = 0;
    let mut pitfall_n = 0;
    let mut quiz_yaml: Option<String> = None;
    for ev in Parser::new_ext(&page.body, options) {
        match ev {
            Event::Start(Tag::Heading { id, .. }) => {
                heading = Some((id.map(|s| s.to_string()), String::new()))
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((explicit, text)) = heading.take() {
                    out.insert(ids.assign(explicit.as_deref(), &collapse(&text)));
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, text)) = &mut heading {
                    text.push(' ');
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, text)) = &mut heading {
                    text.push_str(&t);
                } else if let Some(y) = &mut quiz_yaml {
                    y.push_str(&t);
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if fence_lang(&info) == Some("quiz") =>
            {
                quiz_yaml = Some(String::new());
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(yaml) = quiz_yaml.take() {
                    quiz_n += 1;
                    out.insert(quiz::peek_id(&yaml).unwrap_or_else(|| format!("quiz-{quiz_n}")));
                }
            }
            Event::Start(Tag::BlockQuote(Some(BlockQuoteKind::Caution))) => {
                pitfall_n += 1;
                out.insert(format!("pitfall-{pitfall_n}"));
            }
            _ => {}
        }
    }
    out
}

/// Byte offsets of line starts, to turn an offset into line and column.
struct Lines {
    starts: Vec<usize>,
    /// File line of the body's first line.
    first: usize,
}

impl Lines {
    fn new(body: &str, first: usize) -> Lines {
        let mut starts = vec![0];
        starts.extend(body.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts, first }
    }
    /// 1-based file line and column (in characters) of a body offset.
    fn at(&self, body: &str, offset: usize) -> (usize, usize) {
        let idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[idx];
        let col = body
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (self.first + idx, col)
    }
}

fn to_html<'a>(events: impl Iterator<Item = Event<'a>>) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

fn plain_text<'a, 'b: 'a>(events: impl Iterator<Item = &'a Event<'b>>) -> String {
    let mut text = String::new();
    for ev in events {
        match ev {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    collapse(&text)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cut a plain text summary at a word boundary.
fn summarise(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!(
        "{}…",
        cut.trim_end_matches(|c: char| c.is_ascii_punctuation())
    )
}

struct CodeFrame {
    lang: Option<String>,
    text: String,
}

/// Resolves a page's links and images through the link index, remembering each answer and
/// collecting the errors; shared by the steps that meet links ([`adapters::Links`], and
/// [`adapters::CodeBlocks`] for the markdown inside quizzes).
struct Resolver<'s> {
    index: &'s LinkIndex,
    page: &'s Page,
    lines: Lines,
    diags: Diagnostics,
    /// Every link resolved through `index`, for the memo's validity check.
    links: Vec<ResolvedLink>,
    /// Highlighted code blocks kept across builds (only with a memo).
    highlight: Option<&'s Mutex<Highlighted>>,
    options: Options,
}

impl<'s> Resolver<'s> {
    /// Resolve a link or image through the index, remembering the answer.
    fn resolve(&mut self, url: &str, what: &'static str) -> Resolved {
        let resolved = self.index.resolve(self.page, url, what);
        let to = match &resolved {
            Resolved::Url(u) => Some(u.clone()),
            _ => None,
        };
        self.links.push((url.to_string(), what, to));
        resolved
    }

    fn rewrite(&mut self, url: CowStr<'s>, range: &Range<usize>, what: &'static str) -> CowStr<'s> {
        match self.resolve(&url, what) {
            Resolved::Keep => url,
            Resolved::Url(u) => CowStr::from(u),
            Resolved::Error(msg) => {
                let (line, col) = self.lines.at(&self.page.body, range.start);
                self.diags.error(&self.page.source, line, col, msg);
                url
            }
        }
    }

    /// Markdown inside a quiz: links rewritten (errors at the key's position).
    fn fragment(&mut self, text: &quiz::Text, inline: bool) -> Option<String> {
        let mut events = Vec::new();
        let mut code: Option<CodeFrame> = None;
        let mut blocks = 0;
        let mut depth = 0usize;
        for ev in Parser::new_ext(&text.markdown, self.options) {
            if let Some(c) = &mut code {
                match ev {
                    Event::Text(t) => c.text.push_str(&t),
                    Event::End(TagEnd::CodeBlock) => {
                        let c = code.take().unwrap_or_else(|| unreachable!());
                        events.push(Event::Html(
                            highlight::highlight_with(c.lang.as_deref(), &c.text, self.highlight)
                                .into(),
                        ));
                        depth -= 1;
                    }
                    _ => {}
                }
                continue;
            }
            let ev = match ev {
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => Event::Start(Tag::Link {
                    link_type,
                    dest_url: if link_type == LinkType::Email {
                        dest_url
                    } else {
                        self.rewrite_at(dest_url, text, "link")
                    },
                    title,
                    id,
                }),
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => Event::Start(Tag::Image {
                    link_type,
                    dest_url: self.rewrite_at(dest_url, text, "image"),
                    title,
                    id,
                }),
                Event::Start(Tag::CodeBlock(kind)) => {
                    if depth == 0 {
                        blocks += 1;
                    }
                    depth += 1;
                    let lang = match &kind {
                        CodeBlockKind::Fenced(info) => fence_lang(info).map(str::to_string),
                        CodeBlockKind::Indented => None,
                    };
                    code = Some(CodeFrame {
                        lang,
                        text: String::new(),
                    });
                    continue;
                }
                ev => ev,
            };
            match &ev {
                Event::Start(_) => {
                    if depth == 0 {
                        blocks += 1;
                    }
                    depth += 1;
                }
                Event::End(_) => depth = depth.saturating_sub(1),
                _ => {}
            }
            events.push(ev);
        }
        if inline {
            let single_paragraph = blocks == 1
                && matches!(events.first(), Some(Event::Start(Tag::Paragraph)))
                && matches!(events.last(), Some(Event::End(TagEnd::Paragraph)));
            if !single_paragraph {
                return None;
            }
            let events = autolink(events);
            let n = events.len();
            return Some(to_html(events.into_iter().skip(1).take(n - 2)));
        }
        Some(to_html(autolink(events).into_iter()))
    }

    fn rewrite_at<'x>(
        &mut self,
        url: CowStr<'x>,
        text: &quiz::Text,
        what: &'static str,
    ) -> CowStr<'x> {
        match self.resolve(&url, what) {
            Resolved::Keep => url,
            Resolved::Url(u) => CowStr::from(u),
            Resolved::Error(msg) => {
                self.diags
                    .error(&self.page.source, text.line, text.column, msg);
                url
            }
        }
    }
}

/// Pass 2: render one page. `index` is [`LinkIndex::build`] of the whole site.
pub fn render_page(site: &Site, index: &LinkIndex, r: PageRef) -> Result<Rendered, Diagnostics> {
    render_page_links(site, index, r, None).map(|e| std::sync::Arc::unwrap_or_clone(e.rendered))
}

/// [`render_page`], with the links it resolved (its `key` is left 0).
fn render_page_links<'s>(
    site: &'s Site,
    index: &'s LinkIndex,
    r: PageRef,
    highlight: Option<&'s Mutex<Highlighted>>,
) -> Result<MarkdownEntry, Diagnostics> {
    let page = page(site, r);
    let options = options(&site.config);
    let resolver = RefCell::new(Resolver {
        index,
        page,
        lines: Lines::new(&page.body, page.body_line),
        diags: Diagnostics::new(),
        links: Vec::new(),
        highlight,
        options,
    });
    let events: Vec<Spanned> = Parser::new_ext(&page.body, options)
        .into_offset_iter()
        .collect();
    let outline = Outline::of(&events);
    let sections = adapters::text_sections(&events, &outline, &page.front.title);
    let summary = match &page.front.description {
        Some(d) if !d.trim().is_empty() => d.trim().to_string(),
        _ => summarise(
            adapters::first_paragraph(&events).as_deref().unwrap_or(""),
            280,
        ),
    };
    let links = adapters::Links {
        inner: events.into_iter(),
        resolver: &resolver,
    };
    let mut code = adapters::CodeBlocks::new(links, &resolver);
    let tables = adapters::Tables {
        inner: code.by_ref(),
        pending: None,
    };
    let headings = adapters::Headings {
        inner: tables,
        outline: &outline,
        next_heading: 0,
    };
    let mut callouts = adapters::Callouts::new(headings, &outline);
    let out: Vec<Event> = callouts.by_ref().collect();
    let pitfalls = std::mem::take(&mut callouts.pitfalls);
    drop(callouts);
    let quiz_count = code.quiz_count;
    let html = to_html(autolink(out).into_iter());
    let rendered = Rendered {
        html,
        toc: outline.toc(),
        pitfalls,
        sections,
        quiz_count,
        summary,
        fingerprint: 0,
    };
    let resolver = resolver.into_inner();
    resolver.diags.sorted().into_result(MarkdownEntry {
        key: 0,
        links: resolver.links,
        rendered: rendered.into(),
    })
}

#[cfg(test)]
mod tests;

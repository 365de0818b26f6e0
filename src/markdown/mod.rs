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
//! Raw HTML blocks pass through untouched.

mod autolink;
pub mod highlight;
pub mod links;
pub mod quiz;

use crate::diagnostics::Diagnostics;
use crate::html::escape;
use crate::incremental::{self, MarkdownEntry, Memo, ResolvedLink};
use crate::model::{Page, Pitfall, Rendered, Site, SiteConfig, TextSection, TocEntry};
use autolink::autolink;
pub use links::LinkIndex;
use links::Resolved;
use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd,
};
use rayon::prelude::*;
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
/// Every error of every page is returned together.
pub fn render_site(site: &mut Site) -> Result<(), Diagnostics> {
    render_site_with(site, None)
}

/// [`render_site`], reusing the pages a previous build rendered when `memo` is given (see
/// src/incremental.rs: a page is reused when it is unchanged and every link it resolved
/// still resolves the same way).
pub fn render_site_with(site: &mut Site, memo: Option<&Memo>) -> Result<(), Diagnostics> {
    if memo.is_some() {
        highlight::next_generation();
    }
    let opts = options(&site.config);
    let index = match memo {
        Some(memo) => {
            let old = incremental::take(&memo.anchors);
            let new = Mutex::new(HashMap::new());
            let index = LinkIndex::build(site, |p| {
                let key = incremental::fingerprint(&(&p.body, opts.bits()));
                let ids = old.get(&key).cloned().unwrap_or_else(|| anchors(p, opts));
                new.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, ids.clone());
                ids
            });
            incremental::put(
                &memo.anchors,
                new.into_inner().unwrap_or_else(|e| e.into_inner()),
            );
            index
        }
        None => LinkIndex::build(site, |p| anchors(p, opts)),
    };
    let refs = all_pages(site);
    let old = memo
        .map(|m| incremental::take(&m.markdown))
        .unwrap_or_default();
    let reused = AtomicUsize::new(0);
    let results: Vec<(PageRef, Result<MarkdownEntry, Diagnostics>)> = refs
        .par_iter()
        .map(|&r| {
            if memo.is_none() {
                return (r, render_page_links(site, &index, r, false));
            }
            let (result, was_reused) = render_memoised(site, &index, r, &old);
            if was_reused {
                reused.fetch_add(1, Ordering::Relaxed);
            }
            (r, result)
        })
        .collect();
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
        incremental::put(&memo.markdown, new);
        memo.set_reused(incremental::Stage::Markdown, reused.into_inner());
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
    let result = render_page_links(site, index, r, true).map(|mut e| {
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

struct HeadingFrame<'a> {
    /// Index in the output of the opening tag's placeholder.
    start: usize,
    level: pulldown_cmark::HeadingLevel,
    id: Option<CowStr<'a>>,
    classes: Vec<CowStr<'a>>,
    attrs: Vec<(CowStr<'a>, Option<CowStr<'a>>)>,
    text: String,
}

struct CodeFrame {
    lang: Option<String>,
    fenced: bool,
    /// File line of the opening fence.
    line: usize,
    text: String,
}

struct PitfallFrame {
    /// Index in the output of the first event inside the box.
    start: usize,
    id: String,
    heading: Option<(String, String)>,
}

/// Renders one page; holds what is collected along the way.
struct PageRenderer<'s> {
    index: &'s LinkIndex,
    page: &'s Page,
    lines: Lines,
    diags: Diagnostics,
    quiz_ids: HashSet<String>,
    quiz_count: usize,
    /// Every link resolved through `index`, for the memo's validity check.
    links: Vec<ResolvedLink>,
    /// Keep highlighted code blocks for the next build (only with a memo).
    cache_highlight: bool,
    options: Options,
}

impl<'s> PageRenderer<'s> {
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
                            highlight::highlight_with(
                                c.lang.as_deref(),
                                &c.text,
                                self.cache_highlight,
                            )
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
                        fenced: true,
                        line: text.line,
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

    fn code_block(&mut self, c: CodeFrame) -> String {
        if c.fenced && c.lang.as_deref() == Some("quiz") {
            let Some(q) = quiz::parse(&self.page.source, &c.text, c.line, &mut self.diags) else {
                return String::new();
            };
            self.quiz_count += 1;
            let id =
                q.id.clone()
                    .unwrap_or_else(|| format!("quiz-{}", self.quiz_count));
            if !self.quiz_ids.insert(id.clone()) {
                self.diags.error(
                    &self.page.source,
                    c.line,
                    1,
                    format!("quiz id `{id}` is used twice on this page; expected a distinct `id` per quiz"),
                );
            }
            return quiz::render(&q, &id, &mut |t, inline| self.fragment(t, inline));
        }
        highlight::highlight_with(c.lang.as_deref(), &c.text, self.cache_highlight)
    }
}

/// Pass 2: render one page. `index` is [`LinkIndex::build`] of the whole site.
pub fn render_page(site: &Site, index: &LinkIndex, r: PageRef) -> Result<Rendered, Diagnostics> {
    render_page_links(site, index, r, false).map(|e| std::sync::Arc::unwrap_or_clone(e.rendered))
}

/// [`render_page`], with the links it resolved (its `key` is left 0).
fn render_page_links(
    site: &Site,
    index: &LinkIndex,
    r: PageRef,
    cache_highlight: bool,
) -> Result<MarkdownEntry, Diagnostics> {
    let page = page(site, r);
    let mut pr = PageRenderer {
        index,
        page,
        lines: Lines::new(&page.body, page.body_line),
        diags: Diagnostics::new(),
        quiz_ids: HashSet::new(),
        quiz_count: 0,
        links: Vec::new(),
        cache_highlight,
        options: options(&site.config),
    };
    let body: &str = &page.body;
    let mut out: Vec<Event> = Vec::with_capacity(256);
    let mut ids = HeadingIds::default();
    let mut toc = Vec::new();
    let mut pitfalls = Vec::new();
    let mut pitfall_stack: Vec<PitfallFrame> = Vec::new();
    let mut heading: Option<HeadingFrame> = None;
    let mut code: Option<CodeFrame> = None;
    let mut last_heading: Option<(String, String)> = None;
    let mut sections = Vec::new();
    let mut section = TextSection {
        id: None,
        heading: page.front.title.clone(),
        text: String::new(),
    };
    let mut callout_depth = 0usize;
    // Inside a badge's span (see `Event::InlineHtml` below).
    let mut badge = false;
    let mut first_paragraph: Option<String> = None;
    let mut paragraph: Option<String> = None;

    for (ev, range) in Parser::new_ext(body, pr.options).into_offset_iter() {
        if let Some(c) = &mut code {
            match ev {
                Event::Text(t) => c.text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    if let Some(c) = code.take() {
                        if c.lang.as_deref() != Some("quiz") {
                            // Set off from the prose around it, as in the source.
                            section.text.push_str(" `");
                            section.text.push_str(c.text.trim());
                            section.text.push_str("` ");
                        }
                        let html = pr.code_block(c);
                        out.push(Event::Html(html.into()));
                    }
                }
                _ => {}
            }
            continue;
        }
        match ev {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                heading = Some(HeadingFrame {
                    start: out.len(),
                    level,
                    id,
                    classes,
                    attrs,
                    text: String::new(),
                });
                out.push(Event::Html(CowStr::Borrowed("")));
            }
            Event::End(TagEnd::Heading(_)) => {
                let Some(h) = heading.take() else { continue };
                let text = collapse(&h.text);
                let id = ids.assign(h.id.as_deref(), &text);
                let id_attr = escape(&id);
                let mut open = format!("<{} id=\"{id_attr}\"", h.level);
                if !h.classes.is_empty() {
                    let classes: Vec<&str> = h.classes.iter().map(|c| c.as_ref()).collect();
                    open.push_str(&format!(" class=\"{}\"", escape(&classes.join(" "))));
                }
                for (k, v) in &h.attrs {
                    match v {
                        Some(v) => open.push_str(&format!(" {}=\"{}\"", escape(k), escape(v))),
                        None => open.push_str(&format!(" {}", escape(k))),
                    }
                }
                open.push('>');
                out[h.start] = Event::Html(open.into());
                out.push(Event::Html(
                    format!(
                        " <a class=\"anchor\" href=\"#{id_attr}\" aria-label=\"Permalink: {}\">#</a></{}>\n",
                        escape(&text),
                        h.level
                    )
                    .into(),
                ));
                toc.push(TocEntry {
                    level: h.level as u8,
                    id: id.clone(),
                    title: text.clone(),
                });
                let done = std::mem::replace(
                    &mut section,
                    TextSection {
                        id: Some(id.clone()),
                        heading: text.clone(),
                        text: String::new(),
                    },
                );
                if !done.text.trim().is_empty() || done.id.is_some() {
                    sections.push(done);
                }
                last_heading = Some((id, text));
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                callout_depth += 1;
                let (class, label) = match kind {
                    BlockQuoteKind::Note => ("note", "Note"),
                    BlockQuoteKind::Tip => ("tip", "Tip"),
                    BlockQuoteKind::Important => ("important", "Important"),
                    BlockQuoteKind::Warning => ("warning", "Warning"),
                    BlockQuoteKind::Caution => ("pitfall", "Pitfall"),
                };
                if kind == BlockQuoteKind::Caution {
                    let id = format!("pitfall-{}", pitfalls.len() + pitfall_stack.len() + 1);
                    out.push(Event::Html(
                        format!("<aside class=\"callout pitfall\" id=\"{id}\" role=\"note\" aria-label=\"Pitfall\"><p class=\"callout-title\">Pitfall</p>\n").into(),
                    ));
                    pitfall_stack.push(PitfallFrame {
                        start: out.len(),
                        id,
                        heading: last_heading.clone(),
                    });
                } else {
                    out.push(Event::Html(
                        format!("<aside class=\"callout {class}\" role=\"note\" aria-label=\"{label}\"><p class=\"callout-title\">{label}</p>\n").into(),
                    ));
                }
            }
            Event::End(TagEnd::BlockQuote(Some(kind))) => {
                callout_depth = callout_depth.saturating_sub(1);
                if kind == BlockQuoteKind::Caution {
                    if let Some(f) = pitfall_stack.pop() {
                        let inner = &out[f.start..];
                        let html = to_html(autolink(inner.to_vec()).into_iter());
                        let text = plain_text(inner.iter());
                        pitfalls.push(Pitfall {
                            id: f.id,
                            heading_id: f.heading.as_ref().map(|h| h.0.clone()),
                            heading: f.heading.map(|h| h.1),
                            html,
                            text,
                        });
                    }
                }
                out.push(Event::Html("</aside>\n".into()));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let (lang, fenced) = match &kind {
                    CodeBlockKind::Fenced(info) => (fence_lang(info).map(str::to_string), true),
                    CodeBlockKind::Indented => (None, false),
                };
                code = Some(CodeFrame {
                    lang,
                    fenced,
                    line: pr.lines.at(body, range.start).0,
                    text: String::new(),
                });
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                // An email autolink (`<a@b.example>`) is not a file: left as written.
                let dest_url = if link_type == LinkType::Email {
                    dest_url
                } else {
                    pr.rewrite(dest_url, &range, "link")
                };
                out.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = pr.rewrite(dest_url, &range, "image");
                out.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            // Wide tables scroll inside their own box on narrow screens.
            Event::Start(Tag::Table(align)) => {
                out.push(Event::Html("<div class=\"table-wrap\">\n".into()));
                out.push(Event::Start(Tag::Table(align)));
            }
            Event::End(TagEnd::Table) => {
                section.text.push(' ');
                out.push(Event::End(TagEnd::Table));
                out.push(Event::Html("</div>\n".into()));
            }
            Event::Start(Tag::Paragraph) => {
                if first_paragraph.is_none() && callout_depth == 0 && heading.is_none() {
                    paragraph = Some(String::new());
                }
                out.push(Event::Start(Tag::Paragraph));
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(p) = paragraph.take() {
                    let p = collapse(&p);
                    if !p.is_empty() {
                        first_paragraph = Some(p);
                    }
                }
                section.text.push(' ');
                out.push(Event::End(TagEnd::Paragraph));
            }
            ev @ (Event::Text(_) | Event::Code(_)) => {
                if let Event::Text(t) | Event::Code(t) = &ev {
                    if let Some(h) = &mut heading {
                        h.text.push_str(t);
                    } else {
                        section.text.push_str(t);
                        if let Some(p) = &mut paragraph {
                            p.push_str(t);
                        }
                    }
                }
                out.push(ev);
            }
            ev @ (Event::SoftBreak | Event::HardBreak) => {
                if let Some(h) = &mut heading {
                    h.text.push(' ');
                }
                section.text.push(' ');
                if let Some(p) = &mut paragraph {
                    p.push(' ');
                }
                out.push(ev);
            }
            // The end of an inline element (emphasis, a link...) is no word break: only the
            // end of a block separates its text from the next.
            ev @ Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image
                | TagEnd::Superscript
                | TagEnd::Subscript,
            ) => out.push(ev),
            ev @ Event::End(_) => {
                section.text.push(' ');
                out.push(ev);
            }
            // A badge after a measured value ("noisy", "stale") reads as an aside in the
            // text, not as a word of the sentence.
            Event::InlineHtml(h) => {
                let aside = if h.starts_with("<span class=\"bb-noisy\"")
                    || h.starts_with("<span class=\"bb-stale\"")
                {
                    badge = true;
                    Some(" (")
                } else if badge && h.as_ref() == "</span>" {
                    badge = false;
                    Some(")")
                } else {
                    None
                };
                if let Some(a) = aside {
                    if heading.is_none() {
                        section.text.push_str(a);
                        if let Some(p) = &mut paragraph {
                            p.push_str(a);
                        }
                    }
                }
                out.push(Event::InlineHtml(h));
            }
            ev => out.push(ev),
        }
    }
    if !section.text.trim().is_empty() || section.id.is_some() {
        sections.push(section);
    }
    for s in &mut sections {
        s.text = collapse(&s.text);
    }
    let html = to_html(autolink(out).into_iter());
    let summary = match &page.front.description {
        Some(d) if !d.trim().is_empty() => d.trim().to_string(),
        _ => summarise(first_paragraph.as_deref().unwrap_or(""), 280),
    };
    let rendered = Rendered {
        html,
        toc,
        pitfalls,
        sections,
        quiz_count: pr.quiz_count,
        summary,
        fingerprint: 0,
    };
    pr.diags.sorted().into_result(MarkdownEntry {
        key: 0,
        links: pr.links,
        rendered: rendered.into(),
    })
}

#[cfg(test)]
mod tests;

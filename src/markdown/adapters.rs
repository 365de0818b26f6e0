//! The steps of the markdown stage, each a small pass over pulldown-cmark events.
//!
//! [`render_page`](super::render_page) parses a page once, then:
//!
//! 1. [`Outline::of`] — heading ids and texts (the table of contents), and which heading each
//!    pitfall sits under; read by the steps below, so that none has to wait for a heading's end.
//! 2. Collectors over the parsed events, which change nothing: [`text_sections`] (the search
//!    index's text, split at headings) and [`first_paragraph`] (the summary).
//! 3. Adapters, chained lazily in this order (so links are resolved in document order):
//!    [`Links`] (relative links and images checked and rewritten), [`CodeBlocks`] (highlighted
//!    code, quiz blocks), [`Tables`] (wrapped to scroll), [`Headings`] (ids and anchor links),
//!    [`Callouts`] (alert boxes; pitfalls collected with their HTML).
//! 4. [`autolink`](super::autolink::autolink), then pulldown-cmark's HTML writer.

use super::{autolink::autolink, collapse, fence_lang, highlight, plain_text, quiz, to_html};
use super::{HeadingIds, Resolver};
use crate::html::escape;
use crate::model::{Pitfall, TextSection, TocEntry};
use pulldown_cmark::{BlockQuoteKind, CodeBlockKind, Event, HeadingLevel, LinkType, Tag, TagEnd};
use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::Range;

/// An event with the byte range of its source in the page body.
pub(super) type Spanned<'a> = (Event<'a>, Range<usize>);

/// One heading of a page: its level, id (explicit or generated) and plain text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HeadingInfo {
    pub level: HeadingLevel,
    pub id: String,
    pub text: String,
}

/// The headings of a page in order, and for each pitfall (in the order they open) how many
/// headings come before it.
#[derive(Debug, Default)]
pub(super) struct Outline {
    pub headings: Vec<HeadingInfo>,
    pub headings_before_pitfall: Vec<usize>,
}

impl Outline {
    pub fn of(events: &[Spanned<'_>]) -> Outline {
        let mut ids = HeadingIds::default();
        let mut outline = Outline::default();
        let mut current: Option<(HeadingLevel, Option<&str>, String)> = None;
        for (ev, _) in events {
            match ev {
                Event::Start(Tag::Heading { level, id, .. }) => {
                    current = Some((*level, id.as_deref(), String::new()))
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some((level, explicit, text)) = current.take() {
                        let text = collapse(&text);
                        let id = ids.assign(explicit, &text);
                        outline.headings.push(HeadingInfo { level, id, text });
                    }
                }
                Event::Text(t) | Event::Code(t) => {
                    if let Some((_, _, text)) = &mut current {
                        text.push_str(t);
                    }
                }
                Event::SoftBreak | Event::HardBreak => {
                    if let Some((_, _, text)) = &mut current {
                        text.push(' ');
                    }
                }
                Event::Start(Tag::BlockQuote(Some(BlockQuoteKind::Caution))) => {
                    outline.headings_before_pitfall.push(outline.headings.len())
                }
                _ => {}
            }
        }
        outline
    }

    /// The table of contents: every heading.
    pub fn toc(&self) -> Vec<TocEntry> {
        self.headings
            .iter()
            .map(|h| TocEntry {
                level: h.level as u8,
                id: h.id.clone(),
                title: h.text.clone(),
            })
            .collect()
    }

    /// The heading above the `n`th pitfall (0-based), if any.
    fn heading_of_pitfall(&self, n: usize) -> Option<&HeadingInfo> {
        let before = *self.headings_before_pitfall.get(n)?;
        before.checked_sub(1).and_then(|i| self.headings.get(i))
    }
}

/// A badge after a measured value ("noisy", "stale") reads as an aside in the text, not as a
/// word of the sentence: the text to add for an inline HTML tag, if it opens or closes one.
#[derive(Default)]
struct Badge {
    open: bool,
}

impl Badge {
    fn aside(&mut self, html: &str) -> Option<&'static str> {
        if html.starts_with("<span class=\"bb-noisy\"")
            || html.starts_with("<span class=\"bb-stale\"")
        {
            self.open = true;
            Some(" (")
        } else if self.open && html == "</span>" {
            self.open = false;
            Some(")")
        } else {
            None
        }
    }
}

/// The code block starting at `events[i]`, if one does: whether it is a quiz, its text, and
/// the index of its end.
fn code_block_at(events: &[Spanned<'_>], i: usize) -> Option<(bool, String, usize)> {
    let Event::Start(Tag::CodeBlock(kind)) = &events[i].0 else {
        return None;
    };
    let quiz = matches!(kind, CodeBlockKind::Fenced(info) if fence_lang(info) == Some("quiz"));
    let mut text = String::new();
    let mut j = i + 1;
    while j < events.len() {
        match &events[j].0 {
            Event::Text(t) => text.push_str(t),
            Event::End(TagEnd::CodeBlock) => break,
            _ => {}
        }
        j += 1;
    }
    Some((quiz, text, j))
}

/// The plain text of a page split at its headings, for the search index: code set off in
/// backticks, quizzes left out, badges in parentheses. `title` heads the text before the
/// first heading.
pub(super) fn text_sections(
    events: &[Spanned<'_>],
    outline: &Outline,
    title: &str,
) -> Vec<TextSection> {
    let mut sections = Vec::new();
    let mut section = TextSection {
        id: None,
        heading: title.to_string(),
        text: String::new(),
    };
    let mut headings = outline.headings.iter();
    let mut in_heading = false;
    let mut badge = Badge::default();
    let mut i = 0;
    while i < events.len() {
        if let Some((quiz, text, end)) = code_block_at(events, i) {
            if !quiz {
                // Set off from the prose around it, as in the source.
                section.text.push_str(" `");
                section.text.push_str(text.trim());
                section.text.push_str("` ");
            }
            i = end + 1;
            continue;
        }
        match &events[i].0 {
            Event::Start(Tag::Heading { .. }) => in_heading = true,
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                if let Some(h) = headings.next() {
                    let done = std::mem::replace(
                        &mut section,
                        TextSection {
                            id: Some(h.id.clone()),
                            heading: h.text.clone(),
                            text: String::new(),
                        },
                    );
                    if !done.text.trim().is_empty() || done.id.is_some() {
                        sections.push(done);
                    }
                }
            }
            Event::Text(t) | Event::Code(t) if !in_heading => section.text.push_str(t),
            Event::SoftBreak | Event::HardBreak => section.text.push(' '),
            // A callout's box is no word break of its own; its paragraphs are.
            Event::End(TagEnd::BlockQuote(Some(_))) => {}
            // The end of an inline element (emphasis, a link...) is no word break: only the
            // end of a block separates its text from the next.
            Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image
                | TagEnd::Superscript
                | TagEnd::Subscript,
            ) => {}
            Event::End(_) => section.text.push(' '),
            Event::InlineHtml(h) => {
                if let Some(aside) = badge.aside(h) {
                    if !in_heading {
                        section.text.push_str(aside);
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    if !section.text.trim().is_empty() || section.id.is_some() {
        sections.push(section);
    }
    for s in &mut sections {
        s.text = collapse(&s.text);
    }
    sections
}

/// The plain text of the page's first non-empty paragraph outside callouts, for its summary.
pub(super) fn first_paragraph(events: &[Spanned<'_>]) -> Option<String> {
    let mut callout_depth = 0usize;
    let mut in_heading = false;
    let mut badge = Badge::default();
    let mut paragraph: Option<String> = None;
    let mut i = 0;
    while i < events.len() {
        if let Some((_, _, end)) = code_block_at(events, i) {
            i = end + 1;
            continue;
        }
        match &events[i].0 {
            Event::Start(Tag::Heading { .. }) => in_heading = true,
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Start(Tag::BlockQuote(Some(_))) => callout_depth += 1,
            Event::End(TagEnd::BlockQuote(Some(_))) => {
                callout_depth = callout_depth.saturating_sub(1)
            }
            Event::Start(Tag::Paragraph) if callout_depth == 0 && !in_heading => {
                paragraph = Some(String::new())
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(p) = paragraph.take() {
                    let p = collapse(&p);
                    if !p.is_empty() {
                        return Some(p);
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let (false, Some(p)) = (in_heading, &mut paragraph) {
                    p.push_str(t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = &mut paragraph {
                    p.push(' ');
                }
            }
            Event::InlineHtml(h) => {
                if let Some(aside) = badge.aside(h) {
                    if let (false, Some(p)) = (in_heading, &mut paragraph) {
                        p.push_str(aside);
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Relative links and images checked and rewritten to their output paths (errors at their
/// position); an email autolink (`<a@b.example>`) is not a file and is left as written.
pub(super) struct Links<'r, 's, I> {
    pub inner: I,
    pub resolver: &'r RefCell<Resolver<'s>>,
}

impl<'s, I: Iterator<Item = Spanned<'s>>> Iterator for Links<'_, 's, I> {
    type Item = Spanned<'s>;

    fn next(&mut self) -> Option<Spanned<'s>> {
        let (ev, range) = self.inner.next()?;
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
                    self.resolver.borrow_mut().rewrite(dest_url, &range, "link")
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
                dest_url: self
                    .resolver
                    .borrow_mut()
                    .rewrite(dest_url, &range, "image"),
                title,
                id,
            }),
            ev => ev,
        };
        Some((ev, range))
    }
}

/// A code block, from its start to its end, as one HTML event: highlighted code, or a quiz
/// for a fenced `quiz` block. Drops the source ranges.
pub(super) struct CodeBlocks<'r, 's, I> {
    pub inner: I,
    pub resolver: &'r RefCell<Resolver<'s>>,
    pub quiz_ids: HashSet<String>,
    pub quiz_count: usize,
}

impl<'r, 's, I> CodeBlocks<'r, 's, I> {
    pub fn new(inner: I, resolver: &'r RefCell<Resolver<'s>>) -> Self {
        CodeBlocks {
            inner,
            resolver,
            quiz_ids: HashSet::new(),
            quiz_count: 0,
        }
    }

    fn quiz(&mut self, yaml: &str, line: usize) -> String {
        let mut guard = self.resolver.borrow_mut();
        let r = &mut *guard;
        let source = &r.page.source;
        let Some(q) = quiz::parse(source, yaml, line, &mut r.diags) else {
            return String::new();
        };
        self.quiz_count += 1;
        let id =
            q.id.clone()
                .unwrap_or_else(|| format!("quiz-{}", self.quiz_count));
        if !self.quiz_ids.insert(id.clone()) {
            r.diags.error(
                source,
                line,
                1,
                format!(
                    "quiz id `{id}` is used twice on this page; expected a distinct `id` per quiz"
                ),
            );
        }
        quiz::render(&q, &id, &mut |t, inline| r.fragment(t, inline))
    }
}

impl<'s, I: Iterator<Item = Spanned<'s>>> Iterator for CodeBlocks<'_, 's, I> {
    type Item = Event<'s>;

    fn next(&mut self) -> Option<Event<'s>> {
        let (ev, range) = self.inner.next()?;
        let Event::Start(Tag::CodeBlock(kind)) = ev else {
            return Some(ev);
        };
        let (lang, fenced) = match &kind {
            CodeBlockKind::Fenced(info) => (fence_lang(info), true),
            CodeBlockKind::Indented => (None, false),
        };
        let line = {
            let r = self.resolver.borrow();
            r.lines.at(&r.page.body, range.start).0
        };
        let mut text = String::new();
        loop {
            match self.inner.next()?.0 {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => break,
                _ => {}
            }
        }
        let html = if fenced && lang == Some("quiz") {
            self.quiz(&text, line)
        } else {
            let cache = self.resolver.borrow().highlight;
            highlight::highlight_with(lang, &text, cache)
        };
        Some(Event::Html(html.into()))
    }
}

/// Wide tables scroll inside their own box on narrow screens: `<div class="table-wrap">`.
pub(super) struct Tables<'s, I> {
    pub inner: I,
    pub pending: Option<Event<'s>>,
}

impl<'s, I: Iterator<Item = Event<'s>>> Iterator for Tables<'s, I> {
    type Item = Event<'s>;

    fn next(&mut self) -> Option<Event<'s>> {
        if let Some(ev) = self.pending.take() {
            return Some(ev);
        }
        match self.inner.next()? {
            ev @ Event::Start(Tag::Table(_)) => {
                self.pending = Some(ev);
                Some(Event::Html("<div class=\"table-wrap\">\n".into()))
            }
            Event::End(TagEnd::Table) => {
                self.pending = Some(Event::Html("</div>\n".into()));
                Some(Event::End(TagEnd::Table))
            }
            ev => Some(ev),
        }
    }
}

/// Headings with their ids (from the [`Outline`]) and an anchor link:
/// `<h2 id="warm-up">Warm-up <a class="anchor" href="#warm-up" aria-label="Permalink: Warm-up">#</a></h2>`.
pub(super) struct Headings<'o, I> {
    pub inner: I,
    pub outline: &'o Outline,
    pub next_heading: usize,
}

impl<'s, I: Iterator<Item = Event<'s>>> Iterator for Headings<'_, I> {
    type Item = Event<'s>;

    fn next(&mut self) -> Option<Event<'s>> {
        match self.inner.next()? {
            Event::Start(Tag::Heading {
                level,
                classes,
                attrs,
                ..
            }) => {
                let Some(h) = self.outline.headings.get(self.next_heading) else {
                    return Some(Event::Html("".into()));
                };
                let mut open = format!("<{level} id=\"{}\"", escape(&h.id));
                if !classes.is_empty() {
                    let classes: Vec<&str> = classes.iter().map(|c| c.as_ref()).collect();
                    open.push_str(&format!(" class=\"{}\"", escape(&classes.join(" "))));
                }
                for (k, v) in &attrs {
                    match v {
                        Some(v) => open.push_str(&format!(" {}=\"{}\"", escape(k), escape(v))),
                        None => open.push_str(&format!(" {}", escape(k))),
                    }
                }
                open.push('>');
                Some(Event::Html(open.into()))
            }
            Event::End(TagEnd::Heading(level)) => {
                let Some(h) = self.outline.headings.get(self.next_heading) else {
                    return Some(Event::End(TagEnd::Heading(level)));
                };
                self.next_heading += 1;
                Some(Event::Html(
                    format!(
                        " <a class=\"anchor\" href=\"#{}\" aria-label=\"Permalink: {}\">#</a></{}>\n",
                        escape(&h.id),
                        escape(&h.text),
                        h.level
                    )
                    .into(),
                ))
            }
            ev => Some(ev),
        }
    }
}

/// An open pitfall: where its inside starts in [`Callouts::recorded`], its id and heading.
struct PitfallFrame {
    start: usize,
    id: String,
    heading: Option<(String, String)>,
}

/// GitHub alerts as `<aside class="callout …">` boxes; `CAUTION` is a pitfall, numbered
/// `pitfall-N`, and collected (with its HTML, text and the heading above it) into
/// [`Callouts::pitfalls`] as it closes.
pub(super) struct Callouts<'o, 's, I> {
    pub inner: I,
    pub outline: &'o Outline,
    pub pitfalls: Vec<Pitfall>,
    stack: Vec<PitfallFrame>,
    /// The events inside the open pitfalls, as they leave this step.
    recorded: Vec<Event<'s>>,
    opened: usize,
}

impl<'o, 's, I> Callouts<'o, 's, I> {
    pub fn new(inner: I, outline: &'o Outline) -> Self {
        Callouts {
            inner,
            outline,
            pitfalls: Vec::new(),
            stack: Vec::new(),
            recorded: Vec::new(),
            opened: 0,
        }
    }

    fn record(&mut self, ev: &Event<'s>) {
        if !self.stack.is_empty() {
            self.recorded.push(ev.clone());
        } else if !self.recorded.is_empty() {
            self.recorded.clear();
        }
    }
}

impl<'s, I: Iterator<Item = Event<'s>>> Iterator for Callouts<'_, 's, I> {
    type Item = Event<'s>;

    fn next(&mut self) -> Option<Event<'s>> {
        let ev = match self.inner.next()? {
            Event::Start(Tag::BlockQuote(Some(BlockQuoteKind::Caution))) => {
                let n = self.opened;
                self.opened += 1;
                let id = format!("pitfall-{}", n + 1);
                let open = Event::Html(
                    format!("<aside class=\"callout pitfall\" id=\"{id}\" role=\"note\" aria-label=\"Pitfall\"><p class=\"callout-title\">Pitfall</p>\n").into(),
                );
                // Inside the pitfalls around it, not inside its own.
                self.record(&open);
                self.stack.push(PitfallFrame {
                    start: self.recorded.len(),
                    id,
                    heading: self
                        .outline
                        .heading_of_pitfall(n)
                        .map(|h| (h.id.clone(), h.text.clone())),
                });
                return Some(open);
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, label) = match kind {
                    BlockQuoteKind::Note => ("note", "Note"),
                    BlockQuoteKind::Tip => ("tip", "Tip"),
                    BlockQuoteKind::Important => ("important", "Important"),
                    BlockQuoteKind::Warning => ("warning", "Warning"),
                    BlockQuoteKind::Caution => ("pitfall", "Pitfall"),
                };
                Event::Html(
                    format!("<aside class=\"callout {class}\" role=\"note\" aria-label=\"{label}\"><p class=\"callout-title\">{label}</p>\n").into(),
                )
            }
            Event::End(TagEnd::BlockQuote(Some(kind))) => {
                if kind == BlockQuoteKind::Caution {
                    if let Some(f) = self.stack.pop() {
                        let inner = &self.recorded[f.start..];
                        let html = to_html(autolink(inner.to_vec()).into_iter());
                        let text = plain_text(inner.iter());
                        self.pitfalls.push(Pitfall {
                            id: f.id,
                            heading_id: f.heading.as_ref().map(|h| h.0.clone()),
                            heading: f.heading.map(|h| h.1),
                            html,
                            text,
                        });
                    }
                }
                Event::Html("</aside>\n".into())
            }
            ev => ev,
        };
        self.record(&ev);
        Some(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{Options, Parser};

    fn parse(md: &str) -> Vec<Spanned<'_>> {
        let options =
            Options::ENABLE_GFM | Options::ENABLE_TABLES | Options::ENABLE_HEADING_ATTRIBUTES;
        Parser::new_ext(md, options).into_offset_iter().collect()
    }

    fn html<'a>(events: impl Iterator<Item = Event<'a>>) -> String {
        to_html(events)
    }

    #[test]
    fn outline_dedups_ids_keeps_explicit_ones_and_places_pitfalls() {
        let events =
            parse("> [!CAUTION]\n> a\n\n# Setup\n# Setup\n## Other {#mine}\n\n> [!CAUTION]\n> b\n");
        let outline = Outline::of(&events);
        let ids: Vec<&str> = outline.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["setup", "setup-1", "mine"]);
        assert_eq!(outline.headings_before_pitfall, [0, 3]);
        assert!(outline.heading_of_pitfall(0).is_none());
        assert_eq!(
            outline.heading_of_pitfall(1).map(|h| h.text.as_str()),
            Some("Other")
        );
        assert_eq!(outline.toc()[2].level, 2);
    }

    #[test]
    fn text_sections_split_at_headings_set_off_code_and_skip_quizzes() {
        let md = "Intro <span class=\"bb-noisy\">noisy</span> text.\n\n```rust\nlet x = 1;\n```\n\n# Next\n\n```quiz\nquestion: q\n```\nafter\n";
        let events = parse(md);
        let outline = Outline::of(&events);
        let sections = text_sections(&events, &outline, "Title");
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].heading, "Title");
        assert_eq!(sections[0].text, "Intro (noisy) text. `let x = 1;`");
        assert_eq!(sections[1].id.as_deref(), Some("next"));
        assert_eq!(sections[1].text, "after");
    }

    #[test]
    fn the_first_paragraph_skips_callouts_and_headings() {
        let events =
            parse("> [!NOTE]\n> not this\n\n# Nor this\n\nBut *this* one.\n\nNot the second.\n");
        assert_eq!(first_paragraph(&events).as_deref(), Some("But this one."));
        assert_eq!(first_paragraph(&parse("# Only a heading\n")), None);
    }

    #[test]
    fn tables_are_wrapped() {
        let events = parse("| a |\n|---|\n| 1 |\n");
        let tables = Tables {
            inner: events.into_iter().map(|(ev, _)| ev),
            pending: None,
        };
        let out = html(tables);
        assert!(
            out.starts_with("<div class=\"table-wrap\">\n<table>"),
            "{out}"
        );
        assert!(out.ends_with("</table>\n</div>\n"), "{out}");
    }

    #[test]
    fn headings_get_their_outline_id_and_an_anchor() {
        let events = parse("## Warm-up {.x}\n");
        let outline = Outline::of(&events);
        let headings = Headings {
            inner: events.into_iter().map(|(ev, _)| ev),
            outline: &outline,
            next_heading: 0,
        };
        assert_eq!(
            html(headings),
            "<h2 id=\"warm-up\" class=\"x\">Warm-up <a class=\"anchor\" href=\"#warm-up\" aria-label=\"Permalink: Warm-up\">#</a></h2>\n"
        );
    }

    #[test]
    fn nested_pitfalls_are_numbered_as_they_open_and_collected_as_they_close() {
        let events = parse(
            "# Top\n\n> [!CAUTION]\n> outer\n>\n> > [!CAUTION]\n> > inner\n\n> [!TIP]\n> tip\n",
        );
        let outline = Outline::of(&events);
        let mut callouts = Callouts::new(events.into_iter().map(|(ev, _)| ev), &outline);
        let out = html(callouts.by_ref());
        assert!(out.contains("<aside class=\"callout tip\" role=\"note\" aria-label=\"Tip\">"));
        let p = &callouts.pitfalls;
        assert_eq!(
            (p[0].id.as_str(), p[1].id.as_str()),
            ("pitfall-2", "pitfall-1")
        );
        assert_eq!(p[0].text, "inner");
        assert_eq!(p[1].heading_id.as_deref(), Some("top"));
        assert!(p[1].html.contains("id=\"pitfall-2\""), "{}", p[1].html);
        assert_eq!(p[1].text, "outer inner");
    }
}

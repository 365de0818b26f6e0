//! The values templates see. Built for the templates, never the internal model types, so
//! the model can change without breaking themes. Every `href` is relative to the page
//! being rendered and names a real file (`training/index.html`, never `training/`).
//!
//! Variables of every template:
//! - `site`: [`SiteView`]
//! - `page`: [`PageView`] (the page, section, home, pitfalls or 404 page itself)
//! - `nav`: [`NavView`] (sidebar HTML, breadcrumbs, previous/next, home/pitfalls links)
//! - `root`: relative path from this page to the site root (`""`, `"../"`, `"../../"`)
//! - `section`: [`SectionView`] on `index.html` and `section.html` (its pages and subsections)
//! - `pitfall_groups`: [`PitfallGroup`]s on `pitfalls.html`
//! - `not_found`: [`NotFoundView`] on `404.html`
//! - `provenance`: [`ProvenanceView`] on `results/<id>.html` (template `provenance.html`)
//! - `generator`: `"benchbook 0.1.0"`
//!
//! `sidebar.html` (optional, rendered once per section rather than once per page) sees
//! `site`, `root` and `nav` with `nav.tree` filled; its output is `nav.sidebar` elsewhere.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub author: &'a str,
    pub language: &'a str,
    /// With a trailing `/`, when set in site.yaml.
    pub base_url: Option<String>,
    pub search: bool,
    /// Whether `print.html` is built (a theme links it only then).
    pub print: bool,
    /// Whether the site has any pitfall (so a theme can hide the Pitfalls link).
    pub has_pitfalls: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageView<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    /// As written in front matter, normalised by the loader (`2026-11-25` or RFC 3339).
    pub date: Option<&'a str>,
    /// The date's `YYYY-MM-DD` part, for display.
    pub date_short: Option<&'a str>,
    pub tags: &'a [String],
    /// Body HTML from the markdown stage (insert with `| safe`).
    pub html: &'a str,
    /// Nested table of contents.
    pub toc: Vec<TocNode<'a>>,
    pub summary: &'a str,
    /// This page's path from the site root (`training/speed.html`).
    pub url: String,
    /// Its markdown source relative to the site root (empty for generated pages).
    pub source: String,
    /// `home`, `section`, `page`, `pitfalls` or `404`.
    pub kind: &'static str,
    pub pitfall_count: usize,
    pub quiz_count: usize,
    /// Absolute URL when site.base_url is set.
    pub permalink: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TocNode<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub level: u8,
    pub children: Vec<TocNode<'a>>,
}

/// A link to another page.
#[derive(Debug, Clone, Serialize)]
pub struct Link<'a> {
    pub title: &'a str,
    pub href: String,
    pub description: Option<&'a str>,
    pub is_section: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NavItem<'a> {
    pub title: &'a str,
    pub href: String,
    /// A section on the path to the current page (its children are listed).
    pub open: bool,
    pub is_section: bool,
    pub children: Vec<NavItem<'a>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NavView<'a> {
    /// Sidebar tree: the home page first, then the root section's pages and sections; the
    /// sections that contain the current page are expanded. Filled only when rendering
    /// `sidebar.html` (empty in page templates: use `sidebar`).
    pub tree: Vec<NavItem<'a>>,
    /// The theme's `sidebar.html` rendered for this page (insert with `| safe`). It is
    /// rendered once per section and shared by the section's pages, so it cannot depend on
    /// the page; benchbook adds `aria-current="page"` to the link whose `href` is this
    /// page's (or, on the pitfalls page, `pitfalls.html`). Empty without `sidebar.html`.
    pub sidebar: String,
    /// From the home page down to the current page's parent (the current page excluded).
    pub breadcrumbs: Vec<Link<'a>>,
    pub prev: Option<Link<'a>>,
    pub next: Option<Link<'a>>,
    /// `index.html` relative to this page.
    pub home: String,
    /// `pitfalls.html` relative to this page.
    pub pitfalls: String,
    /// `static/` relative to this page (with the trailing slash).
    pub static_url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionView<'a> {
    pub pages: Vec<Link<'a>>,
    pub subsections: Vec<Link<'a>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PitfallGroup<'a> {
    /// The lesson holding these pitfalls.
    pub title: &'a str,
    pub href: String,
    /// Anchor of this group on the pitfalls page.
    pub id: String,
    pub items: Vec<PitfallItem<'a>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PitfallItem<'a> {
    /// The heading above the pitfall in its lesson, if any.
    pub heading: Option<&'a str>,
    /// Link to that heading (or to the lesson when there is none).
    pub heading_href: String,
    /// Link to the pitfall box itself.
    pub href: String,
    /// The callout's inner HTML, its links rebased onto the pitfalls page (`| safe`).
    pub html: String,
    pub text: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotFoundView {
    /// The theme's stylesheet, inlined so that it loads whatever the missing URL.
    pub inline_css: String,
    /// Inline script (already escaped for a `<script>` element) that finds the site root
    /// at view time and fixes the page's relative links.
    pub script: String,
}

/// A benchmark's provenance page (`results/<id>.html`): how its stored result was measured.
#[derive(Debug, Clone, Serialize)]
pub struct ProvenanceView<'a> {
    /// The benchmark's id.
    pub id: &'a str,
    /// The page's body, HTML: state, environment, runs, run order, per-process values.
    pub body: &'a str,
    /// The raw stored result beside the page (`<id>.json`).
    pub raw: String,
}

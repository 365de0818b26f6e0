//! The `render` stage: the site model through the theme's Tera templates into output files.
//!
//! [`render`] parses the theme once ([`Theme::load`]) and renders, in parallel, every
//! page, every section's `index.html`, the home page, `pitfalls.html`, `404.html`,
//! `.nojekyll` and (only when `base_url` is set) `sitemap.xml`; it also lists the theme's
//! static files (under `static/`) and the site's assets for the write stage.
//!
//! Templates see the view structs of [`views`]; see that module for every variable.

pub mod links;
pub mod theme;
pub mod views;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::html;
use crate::incremental::{self, Memo};
use crate::model::{OutputFile, Page, Rendered, Site, TocEntry};
use links::{rebase_fragment, root_prefix, url_path};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
pub use theme::Theme;
use views::*;

/// Render the whole site with its theme. Every error found is returned at once.
pub fn render(site: &Site) -> Result<Vec<OutputFile>, Diagnostics> {
    render_memo(site, None)
}

/// [`render`], reusing pages whose HTML a previous build made from the same inputs when
/// `memo` is given (src/incremental.rs).
pub fn render_memo(site: &Site, memo: Option<&Memo>) -> Result<Vec<OutputFile>, Diagnostics> {
    let theme = Theme::load(site)?;
    render_with_memo(site, &theme, memo)
}

/// One entry of the reading order: a section's index page or a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Item {
    Section(usize),
    Page(usize),
}

/// Reading order and parent links of a site, computed once per build.
pub struct Outline<'a> {
    pub site: &'a Site,
    /// Depth first: a section's index, its pages, then its subsections.
    pub order: Vec<Item>,
    position_section: Vec<usize>,
    position_page: Vec<usize>,
    page_parent: Vec<usize>,
    section_parent: Vec<Option<usize>>,
}

impl<'a> Outline<'a> {
    pub fn new(site: &'a Site) -> Self {
        let mut o = Outline {
            site,
            order: Vec::with_capacity(site.pages.len() + site.sections.len()),
            position_section: vec![usize::MAX; site.sections.len()],
            position_page: vec![usize::MAX; site.pages.len()],
            page_parent: vec![0; site.pages.len()],
            section_parent: vec![None; site.sections.len()],
        };
        if !site.sections.is_empty() {
            let mut seen = vec![false; site.sections.len()];
            o.visit(0, &mut seen);
        }
        o
    }

    fn visit(&mut self, s: usize, seen: &mut [bool]) {
        if seen[s] {
            return;
        }
        seen[s] = true;
        self.position_section[s] = self.order.len();
        self.order.push(Item::Section(s));
        let section = &self.site.sections[s];
        for &p in &section.pages {
            if p < self.page_parent.len() {
                self.page_parent[p] = s;
                self.position_page[p] = self.order.len();
                self.order.push(Item::Page(p));
            }
        }
        for &sub in &section.subsections {
            if sub < seen.len() {
                self.section_parent[sub] = Some(s);
                self.visit(sub, seen);
            }
        }
    }

    /// The markdown page behind an item (a section's `_index.md` for a section).
    pub fn page(&self, item: Item) -> &'a Page {
        match item {
            Item::Section(s) => &self.site.sections[s].index,
            Item::Page(p) => &self.site.pages[p],
        }
    }

    /// Path of the item's output from the site root, as a URL path.
    pub fn url(&self, item: Item) -> String {
        url_path(&self.page(item).output)
    }

    fn position(&self, item: Item) -> usize {
        match item {
            Item::Section(s) => self.position_section[s],
            Item::Page(p) => self.position_page[p],
        }
    }

    /// Sections from the root down to the item's parent (excluding a section item itself).
    pub fn ancestors(&self, item: Item) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut cur = match item {
            Item::Section(s) => self.section_parent[s],
            Item::Page(p) => Some(self.page_parent[p]),
        };
        while let Some(s) = cur {
            if chain.contains(&s) {
                break;
            }
            chain.push(s);
            cur = self.section_parent[s];
        }
        chain.reverse();
        chain
    }

    fn link(&self, item: Item, root: &str) -> Link<'a> {
        let page = self.page(item);
        Link {
            title: &page.front.title,
            href: format!("{root}{}", self.url(item)),
            description: page.front.description.as_deref(),
            is_section: matches!(item, Item::Section(_)),
        }
    }

    fn nav_children(
        &self,
        s: usize,
        open: &HashSet<usize>,
        root: &str,
        depth: usize,
    ) -> Vec<NavItem<'a>> {
        let section = &self.site.sections[s];
        let mut items = Vec::new();
        for &p in &section.pages {
            if p >= self.site.pages.len() {
                continue;
            }
            let it = Item::Page(p);
            items.push(NavItem {
                title: &self.site.pages[p].front.title,
                href: format!("{root}{}", self.url(it)),
                open: false,
                is_section: false,
                children: Vec::new(),
            });
        }
        for &sub in &section.subsections {
            if sub >= self.site.sections.len() {
                continue;
            }
            let it = Item::Section(sub);
            let is_open = open.contains(&sub) && depth < 64;
            items.push(NavItem {
                title: &self.site.sections[sub].index.front.title,
                href: format!("{root}{}", self.url(it)),
                open: is_open,
                is_section: true,
                children: if is_open {
                    self.nav_children(sub, open, root, depth + 1)
                } else {
                    Vec::new()
                },
            });
        }
        items
    }

    /// The section whose sidebar a page shows: a page's parent, a section itself.
    pub fn sidebar_section(&self, item: Item) -> usize {
        match item {
            Item::Section(s) => s,
            Item::Page(p) => self.page_parent[p],
        }
    }

    /// The sidebar tree seen from inside section `open_at` (its ancestors and itself
    /// expanded; `None`: nothing expanded), links relative to `root`, nothing current.
    pub fn tree(&self, open_at: Option<usize>, root: &str) -> Vec<NavItem<'a>> {
        let mut open: HashSet<usize> = HashSet::new();
        if let Some(s) = open_at {
            open.extend(self.ancestors(Item::Section(s)));
            open.insert(s);
        }
        let mut tree = Vec::new();
        if !self.site.sections.is_empty() {
            let home = Item::Section(0);
            tree.push(NavItem {
                title: &self.site.sections[0].index.front.title,
                href: format!("{root}{}", self.url(home)),
                open: false,
                is_section: false,
                children: Vec::new(),
            });
            tree.extend(self.nav_children(0, &open, root, 0));
        }
        tree
    }

    /// Navigation for a page at `root` (relative path to the site root); `current` is the
    /// item being rendered, `None` for generated pages. `tree` and `sidebar` are left
    /// empty: the sidebar is rendered once per section (see [`render_with`]).
    pub fn nav(&self, current: Option<Item>, root: &str) -> NavView<'a> {
        let mut breadcrumbs = Vec::new();
        if let Some(item) = current {
            for s in self.ancestors(item) {
                breadcrumbs.push(self.link(Item::Section(s), root));
            }
        }
        let (prev, next) = match current {
            Some(item) => {
                let pos = self.position(item);
                let prev = pos
                    .checked_sub(1)
                    .and_then(|i| self.order.get(i))
                    .map(|&i| self.link(i, root));
                let next = self.order.get(pos + 1).map(|&i| self.link(i, root));
                (prev, next)
            }
            None => (None, None),
        };
        NavView {
            tree: Vec::new(),
            sidebar: String::new(),
            breadcrumbs,
            prev,
            next,
            home: format!("{root}index.html"),
            pitfalls: format!("{root}pitfalls.html"),
            static_url: format!("{root}static/"),
        }
    }
}

/// Mark the link to `href` in a rendered sidebar as the current page.
fn mark_current(sidebar: &str, href: &str) -> String {
    let needle = format!("href=\"{}\"", html::escape(href));
    match sidebar.find(&needle) {
        Some(i) => {
            let end = i + needle.len();
            let mut out = String::with_capacity(sidebar.len() + 24);
            out.push_str(&sidebar[..end]);
            out.push_str(" aria-current=\"page\"");
            out.push_str(&sidebar[end..]);
            out
        }
        None => sidebar.to_string(),
    }
}

/// Nest a flat table of contents by heading level.
pub fn toc_tree(entries: &[TocEntry]) -> Vec<TocNode<'_>> {
    fn build<'e>(entries: &'e [TocEntry], i: &mut usize, level: u8) -> Vec<TocNode<'e>> {
        let mut out: Vec<TocNode<'e>> = Vec::new();
        while *i < entries.len() {
            let e = &entries[*i];
            if e.level < level && !out.is_empty() {
                break;
            }
            if e.level > level && !out.is_empty() {
                let deeper = build(entries, i, e.level);
                if let Some(last) = out.last_mut() {
                    last.children.extend(deeper);
                }
                continue;
            }
            if e.level < level {
                break;
            }
            out.push(TocNode {
                id: &e.id,
                title: &e.title,
                level: e.level,
                children: Vec::new(),
            });
            *i += 1;
        }
        out
    }
    let mut i = 0;
    let min = entries.iter().map(|e| e.level).min().unwrap_or(2);
    let mut all = Vec::new();
    while i < entries.len() {
        let before = i;
        all.extend(build(entries, &mut i, min));
        if i == before {
            i += 1;
        }
    }
    all
}

/// The full context of one template.
#[derive(Serialize)]
struct Context<'a> {
    site: &'a SiteView<'a>,
    page: PageView<'a>,
    nav: NavView<'a>,
    root: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    section: Option<SectionView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pitfall_groups: Option<Vec<PitfallGroup<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_found: Option<NotFoundView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<ProvenanceView<'a>>,
    generator: &'static str,
}

const GENERATOR: &str = concat!("benchbook ", env!("CARGO_PKG_VERSION"));

static EMPTY: std::sync::OnceLock<Rendered> = std::sync::OnceLock::new();

fn rendered(page: &Page) -> &Rendered {
    page.rendered
        .as_deref()
        .unwrap_or_else(|| EMPTY.get_or_init(Rendered::default))
}

fn page_view<'a>(
    page: &'a Page,
    url: String,
    kind: &'static str,
    base_url: Option<&str>,
) -> PageView<'a> {
    let r = rendered(page);
    let date = page.front.date.as_deref();
    PageView {
        title: &page.front.title,
        description: page.front.description.as_deref(),
        date,
        date_short: date.map(|d| d.get(..10).unwrap_or(d)),
        tags: &page.front.tags,
        html: &r.html,
        toc: toc_tree(&r.toc),
        summary: &r.summary,
        permalink: base_url.map(|b| format!("{b}{url}")),
        url,
        source: page.source.to_string_lossy().replace('\\', "/"),
        kind,
        pitfall_count: r.pitfalls.len(),
        quiz_count: r.quiz_count,
    }
}

fn generated_page<'a>(title: &'a str, url: &str, kind: &'static str) -> PageView<'a> {
    PageView {
        title,
        description: None,
        date: None,
        date_short: None,
        tags: &[],
        html: "",
        toc: Vec::new(),
        summary: "",
        url: url.to_string(),
        source: String::new(),
        kind,
        pitfall_count: 0,
        quiz_count: 0,
        permalink: None,
    }
}

/// `base_url` with exactly one trailing slash.
fn base_url(site: &Site) -> Option<String> {
    site.config
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|b| format!("{}/", b.trim_end_matches('/')))
}

/// JSON for a `<script>` element: `<`, `>` and `&` escaped so nothing can close the tag.
pub fn script_json<T: Serialize>(value: &T) -> String {
    html::script_json(&serde_json::to_string(value).unwrap_or_else(|_| "null".into()))
}

/// A rendered sidebar is shared by the pages of one section (`None`: generated pages)
/// at one depth (the relative path to the root).
type SidebarKey = (Option<usize>, String);

/// Render with an already loaded theme (lets a server keep one theme across rebuilds).
pub fn render_with(site: &Site, theme: &Theme) -> Result<Vec<OutputFile>, Diagnostics> {
    render_with_memo(site, theme, None)
}

/// What every page's template context shares: the outline (order, titles, descriptions,
/// outputs: the sidebar, breadcrumbs, previous/next and section listings), `site.yaml`,
/// the templates. A page's HTML is a function of this and of the page itself.
fn shared_inputs_key(outline: &Outline, theme: &Theme, has_pitfalls: bool) -> u64 {
    let site = outline.site;
    let items: Vec<_> = outline
        .order
        .iter()
        .map(|&item| {
            let p = outline.page(item);
            (
                item,
                &p.source,
                &p.output,
                &p.front.title,
                &p.front.description,
            )
        })
        .collect();
    let sections: Vec<_> = site
        .sections
        .iter()
        .map(|s| (&s.pages, &s.subsections))
        .collect();
    let templates: Vec<_> = theme
        .sources
        .iter()
        .map(|(name, t)| (name, &t.path, &t.text))
        .collect();
    incremental::fingerprint(&(
        items,
        sections,
        format!("{:?}", site.config),
        has_pitfalls,
        templates,
        GENERATOR,
    ))
}

/// [`render_with`], reusing pages from `memo` when given.
pub fn render_with_memo(
    site: &Site,
    theme: &Theme,
    memo: Option<&Memo>,
) -> Result<Vec<OutputFile>, Diagnostics> {
    let tera = &theme.tera;
    let outline = Outline::new(site);
    let base = base_url(site);
    let mut diags = Diagnostics::new();

    // Templates chosen in front matter must exist (all reported before rendering).
    let mut known: Vec<&str> = theme.sources.keys().map(String::as_str).collect();
    known.sort_unstable();
    for &item in &outline.order {
        let page = outline.page(item);
        if let Some(t) = &page.front.template {
            if !theme.has_template(t) {
                diags.error(
                    &page.source,
                    page.key_line("template"),
                    1,
                    format!(
                        "unknown template `{t}`; expected one of {} (from the theme or templates/)",
                        known.join(", ")
                    ),
                );
            }
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    let has_pitfalls = site
        .pages
        .iter()
        .chain(site.sections.iter().map(|s| &s.index))
        .any(|p| !rendered(p).pitfalls.is_empty());
    let site_view = SiteView {
        title: &site.config.title,
        description: &site.config.description,
        author: &site.config.author,
        language: &site.config.language,
        base_url: base.clone(),
        search: site.config.search,
        print: site.config.print,
        has_pitfalls,
    };

    let render_one = |template: &str, ctx: &Context| -> Result<String, Diagnostic> {
        let ctx =
            tera::Context::from_serialize(ctx).map_err(|e| theme.render_error(template, &e))?;
        tera.render(template, &ctx)
            .map_err(|e| theme.render_error(template, &e))
    };

    // The sidebar: rendered once per (section, root) and shared by the section's pages,
    // since it lists every sibling (rendering it per page would cost pages × siblings).
    let root404 = base.clone().unwrap_or_default();
    let mut keys: BTreeSet<SidebarKey> = outline
        .order
        .iter()
        .map(|&item| {
            (
                Some(outline.sidebar_section(item)),
                root_prefix(&outline.page(item).output),
            )
        })
        .collect();
    keys.insert((None, String::new()));
    keys.insert((None, root404.clone()));
    for p in &site.provenance {
        keys.insert((None, root_prefix(&p.output)));
    }
    let sidebars: Vec<(SidebarKey, Result<String, Diagnostic>)> = keys
        .into_par_iter()
        .map(|(open_at, root)| {
            let html = if theme.has_template("sidebar.html") {
                let mut nav = outline.nav(None, &root);
                nav.tree = outline.tree(open_at, &root);
                let ctx = Context {
                    site: &site_view,
                    page: generated_page("", "", "sidebar"),
                    nav,
                    root: root.clone(),
                    section: None,
                    pitfall_groups: None,
                    not_found: None,
                    provenance: None,
                    generator: GENERATOR,
                };
                render_one("sidebar.html", &ctx)
            } else {
                Ok(String::new())
            };
            ((open_at, root), html)
        })
        .collect();
    let mut sidebar_of: HashMap<SidebarKey, String> = HashMap::new();
    for (key, html) in sidebars {
        match html {
            Ok(h) => {
                sidebar_of.insert(key, h);
            }
            Err(d) => {
                diags.push(d);
                return Err(diags);
            }
        }
    }
    let sidebar = |open_at: Option<usize>, root: &str, current_href: &str| -> String {
        sidebar_of
            .get(&(open_at, root.to_string()))
            .map(|h| mark_current(h, current_href))
            .unwrap_or_default()
    };

    // Content pages, in parallel (reused from the memo when their inputs are unchanged).
    let shared = memo.map(|_| shared_inputs_key(&outline, theme, has_pitfalls));
    let old = memo.map(|m| incremental::take(&m.html)).unwrap_or_default();
    let reused = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<(OutputFile, Option<u64>), Diagnostic>> = outline
        .order
        .par_iter()
        .map(|&item| {
            let page = outline.page(item);
            let md = rendered(page).fingerprint;
            let key = shared
                .filter(|_| md != 0)
                .map(|shared| incremental::fingerprint(&(shared, item, &page.front, md)));
            if let Some(key) = key {
                if let Some((k, bytes)) = old.get(&page.output) {
                    if *k == key {
                        reused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let file = OutputFile::Bytes {
                            path: page.output.clone(),
                            bytes: bytes.clone(),
                        };
                        return Ok((file, Some(key)));
                    }
                }
            }
            let root = root_prefix(&page.output);
            let url = outline.url(item);
            let (kind, default_tpl) = match item {
                Item::Section(0) => ("home", "index.html"),
                Item::Section(_) => ("section", "section.html"),
                Item::Page(_) => ("page", "page.html"),
            };
            let section = match item {
                Item::Section(s) => {
                    let sec = &site.sections[s];
                    Some(SectionView {
                        pages: sec
                            .pages
                            .iter()
                            .filter(|&&p| p < site.pages.len())
                            .map(|&p| outline.link(Item::Page(p), &root))
                            .collect(),
                        subsections: sec
                            .subsections
                            .iter()
                            .filter(|&&s| s < site.sections.len())
                            .map(|&s| outline.link(Item::Section(s), &root))
                            .collect(),
                    })
                }
                Item::Page(_) => None,
            };
            let mut nav = outline.nav(Some(item), &root);
            nav.sidebar = sidebar(
                Some(outline.sidebar_section(item)),
                &root,
                &format!("{root}{url}"),
            );
            let ctx = Context {
                site: &site_view,
                page: page_view(page, url, kind, base.as_deref()),
                nav,
                root,
                section,
                pitfall_groups: None,
                not_found: None,
                provenance: None,
                generator: GENERATOR,
            };
            let template = page.front.template.as_deref().unwrap_or(default_tpl);
            let html = render_one(template, &ctx)?;
            let file = OutputFile::Bytes {
                path: page.output.clone(),
                bytes: html.into_bytes().into(),
            };
            Ok((file, key))
        })
        .collect();
    drop(old);

    let mut files = Vec::with_capacity(results.len() + 16);
    let mut seen_errors = BTreeSet::new();
    let mut new = HashMap::new();
    for r in results {
        match r {
            Ok((f, key)) => {
                if let (Some(key), OutputFile::Bytes { path, bytes }) = (key, &f) {
                    new.insert(path.clone(), (key, bytes.clone()));
                }
                files.push(f)
            }
            Err(d) => {
                if seen_errors.insert(d.clone()) {
                    diags.push(d);
                }
            }
        }
    }

    // The pitfalls page.
    let mut groups = Vec::new();
    for &item in &outline.order {
        let page = outline.page(item);
        let r = rendered(page);
        if r.pitfalls.is_empty() {
            continue;
        }
        let url = outline.url(item);
        let items = r
            .pitfalls
            .iter()
            .map(|p| PitfallItem {
                heading: p.heading.as_deref(),
                heading_href: match &p.heading_id {
                    Some(h) => format!("{url}#{h}"),
                    None => url.clone(),
                },
                href: format!("{url}#{}", p.id),
                html: rebase_fragment(&p.html, &url),
                text: &p.text,
            })
            .collect();
        groups.push(PitfallGroup {
            title: &page.front.title,
            href: url,
            id: format!("bb-lesson-{}", groups.len() + 1),
            items,
        });
    }
    let mut pitfalls_page = generated_page("Pitfalls", "pitfalls.html", "pitfalls");
    pitfalls_page.permalink = base.as_ref().map(|b| format!("{b}pitfalls.html"));
    let ctx = Context {
        site: &site_view,
        page: pitfalls_page,
        nav: {
            let mut nav = outline.nav(None, "");
            nav.sidebar = sidebar(None, "", "pitfalls.html");
            nav
        },
        root: String::new(),
        section: None,
        pitfall_groups: Some(groups),
        not_found: None,
        provenance: None,
        generator: GENERATOR,
    };
    match render_one("pitfalls.html", &ctx) {
        Ok(html) => files.push(OutputFile::Bytes {
            path: "pitfalls.html".into(),
            bytes: html.into_bytes().into(),
        }),
        Err(d) => diags.push(d),
    }

    // Provenance pages: how each stored result was measured (`results/<id>.html`).
    if !site.provenance.is_empty() && !theme.has_template("provenance.html") {
        diags.error(
            PathBuf::from("templates/provenance.html"),
            0,
            0,
            "the theme has no provenance.html template; expected one (copy themes/default/templates/provenance.html) to show how each stored result was measured",
        );
    }
    for p in site
        .provenance
        .iter()
        .filter(|_| theme.has_template("provenance.html"))
    {
        let url = url_path(&p.output);
        let root = root_prefix(&p.output);
        let mut page = generated_page(&p.title, &url, "provenance");
        page.permalink = base.as_ref().map(|b| format!("{b}{url}"));
        let ctx = Context {
            site: &site_view,
            page,
            nav: {
                let mut nav = outline.nav(None, &root);
                nav.sidebar = sidebar(None, &root, "");
                nav
            },
            root,
            section: None,
            pitfall_groups: None,
            not_found: None,
            provenance: Some(ProvenanceView {
                id: &p.id,
                body: &p.body,
                raw: format!("{}.json", p.id),
            }),
            generator: GENERATOR,
        };
        match render_one("provenance.html", &ctx) {
            Ok(html) => files.push(OutputFile::Bytes {
                path: p.output.clone(),
                bytes: html.into_bytes().into(),
            }),
            Err(d) => diags.push(d),
        }
    }

    // The 404 page: styles inlined, links fixed at view time (see `not_found_script`).
    let mut top_level: BTreeSet<String> = BTreeSet::new();
    for f in &files {
        if let Some(c) = f.path().components().next() {
            top_level.insert(c.as_os_str().to_string_lossy().into_owned());
        }
    }
    top_level.insert("static".into());
    top_level.insert("pitfalls.html".into());
    let css = theme
        .static_file("style.css")
        .and_then(|f| f.read().ok())
        .map(|b| String::from_utf8_lossy(&b).replace("</", "<\\/"))
        .unwrap_or_default();
    let ctx = Context {
        site: &site_view,
        page: generated_page("Page not found", "404.html", "404"),
        nav: {
            let mut nav = outline.nav(None, &root404);
            nav.sidebar = sidebar(None, &root404, "");
            nav
        },
        root: root404.clone(),
        section: None,
        pitfall_groups: None,
        not_found: Some(NotFoundView {
            inline_css: css,
            script: not_found_script(base.as_deref(), &top_level),
        }),
        provenance: None,
        generator: GENERATOR,
    };
    match render_one("404.html", &ctx) {
        Ok(html) => files.push(OutputFile::Bytes {
            path: "404.html".into(),
            bytes: html.into_bytes().into(),
        }),
        Err(d) => diags.push(d),
    }

    if let Some(memo) = memo {
        incremental::put(&memo.html, new);
        memo.set_reused(incremental::Stage::Render, reused.into_inner());
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    files.push(OutputFile::Bytes {
        path: ".nojekyll".into(),
        bytes: Vec::new().into(),
    });
    if let Some(b) = &base {
        files.push(OutputFile::Bytes {
            path: "sitemap.xml".into(),
            bytes: sitemap(&outline, b).into_bytes().into(),
        });
    }
    for f in &theme.static_files {
        let path = PathBuf::from("static").join(f.rel());
        files.push(match f {
            theme::StaticFile::Disk { from, .. } => OutputFile::Copy {
                path,
                from: from.clone(),
            },
            theme::StaticFile::Embedded { bytes, .. } => OutputFile::Bytes {
                path,
                bytes: bytes.to_vec().into(),
            },
        });
    }
    for a in &site.assets {
        files.push(OutputFile::Copy {
            path: a.output.clone(),
            from: site.root.join(&a.source),
        });
    }
    Ok(files)
}

/// The 404 page's script. GitHub Pages serves `404.html` for any missing URL, however
/// deep, so its relative links would point below the missing URL. At view time this
/// finds the site root and rewrites every site-relative link:
/// - from file:// the page was opened where it lies, so links stay relative;
/// - with `base_url` set and the page served from that host, the root is its path;
/// - when the path has one segment, or its first segment is a top-level entry of the site,
///   the site is at the root of its host (a user site or a custom domain): `/`;
/// - otherwise the first segment is either a project site's sub-path
///   (`https://user.github.io/repo/...`) or a folder that does not exist on a site at the
///   root (`https://example.org/oldsection/page.html`). The page cannot tell them apart
///   from the URL, so it asks its own host once for `/<first segment>/404.html` (a HEAD
///   request to the same origin, nothing leaves for another host): found, the site lives
///   under that segment; missing, it is at `/`. The links point at `/` until the answer
///   comes. `data-bb-root` on the root element holds the root once it is known.
fn not_found_script(base: Option<&str>, top_level: &BTreeSet<String>) -> String {
    #[derive(Serialize)]
    struct Cfg<'a> {
        base: Option<&'a str>,
        top: &'a BTreeSet<String>,
    }
    let cfg = script_json(&Cfg {
        base,
        top: top_level,
    });
    format!(
        r#"(function () {{
  var c = {cfg}, l = window.location, d = document.documentElement;
  var links = document.querySelectorAll("a[href]"), rels = [];
  for (var i = 0; i < links.length; i++) {{
    var h = links[i].getAttribute("href"), rel = null;
    if (c.base && h.indexOf(c.base) === 0) rel = h.slice(c.base.length);
    else if (!c.base && !/^([a-z][a-z0-9+.-]*:|\/|#)/i.test(h)) rel = h;
    rels.push(rel);
  }}
  function root(r) {{
    for (var i = 0; i < links.length; i++) {{
      if (rels[i] !== null) links[i].setAttribute("href", r + rels[i]);
    }}
    d.setAttribute("data-bb-root", r);
  }}
  if (l.protocol === "file:") {{ root(""); return; }}
  var b = null;
  try {{ b = c.base ? new URL(c.base) : null; }} catch (e) {{ b = null; }}
  if (b && b.host === l.host) {{ root(b.pathname); return; }}
  var s = l.pathname.split("/").filter(function (x) {{ return x; }});
  var first = s.length > 1 ? decodeURIComponent(s[0]) : null;
  if (first === null || c.top.indexOf(first) >= 0 || !window.fetch) {{ root("/"); return; }}
  var sub = "/" + s[0] + "/";
  root("/");
  d.removeAttribute("data-bb-root");
  fetch(sub + "404.html", {{ method: "HEAD", cache: "no-store" }}).then(function (res) {{
    root(res.ok ? sub : "/");
  }}, function () {{ root("/"); }});
}})();"#
    )
}

/// `sitemap.xml` listing every page with its absolute URL.
fn sitemap(outline: &Outline, base: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for &item in &outline.order {
        let page = outline.page(item);
        out.push_str("  <url><loc>");
        out.push_str(&html::escape(&format!("{base}{}", outline.url(item))));
        out.push_str("</loc>");
        if let Some(d) = &page.front.date {
            out.push_str("<lastmod>");
            out.push_str(&html::escape(d));
            out.push_str("</lastmod>");
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(level: u8, id: &str) -> TocEntry {
        TocEntry {
            level,
            id: id.into(),
            title: id.into(),
        }
    }

    #[test]
    fn toc_nests_by_level() {
        let entries = vec![e(2, "a"), e(3, "a1"), e(3, "a2"), e(2, "b"), e(4, "b1")];
        let t = toc_tree(&entries);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].children.len(), 2);
        assert_eq!(t[1].children[0].id, "b1");
    }

    #[test]
    fn toc_starting_deep_keeps_everything() {
        let entries = vec![e(3, "x"), e(2, "y"), e(3, "z")];
        let t = toc_tree(&entries);
        let count = |n: &[TocNode]| -> usize {
            fn c(n: &[TocNode]) -> usize {
                n.iter().map(|x| 1 + c(&x.children)).sum()
            }
            c(n)
        };
        assert_eq!(count(&t), 3);
    }

    #[test]
    fn script_json_cannot_close_script() {
        assert_eq!(script_json(&"</script>&"), r#""\u003c/script\u003e\u0026""#);
    }
}

//! The `render` stage: the site model through the theme's Tera templates into output files.
//!
//! [`render`] is a fixed sequence of named steps (in `steps.rs`), each timed: the theme is
//! parsed once ([`Theme::load`]), then every page, every section's `index.html` and the home
//! page are rendered in parallel, then `pitfalls.html`, the provenance pages, `404.html`,
//! `.nojekyll` and (only when `base_url` is set) `sitemap.xml`; last the theme's static files
//! (under `static/`) and the site's assets are listed for the write stage.
//!
//! Templates see the view structs of [`views`]; see that module for every variable.

pub mod links;
mod steps;
pub mod theme;
pub mod views;

use crate::diagnostics::Diagnostics;
use crate::html;
use crate::incremental::Memo;
use crate::model::{OutputFile, Page, Rendered, Site, TocEntry};
use links::url_path;
use serde::Serialize;
use std::collections::HashSet;
use std::time::{Duration, Instant};
pub use theme::Theme;
use views::*;

/// What the render stage made.
#[derive(Debug)]
pub struct Output {
    /// Pages, generated pages, theme static files and site assets.
    pub files: Vec<OutputFile>,
    /// The time each step took, in the order they ran (see [`render`]).
    pub steps: Vec<(&'static str, Duration)>,
}

/// Render the whole site with its theme, reusing from `memo` (when given; see
/// src/incremental.rs) the pages whose HTML a previous build made from the same inputs.
/// Every error found is returned at once.
///
/// The steps, in order, by the names their times are reported under (`build -v` and
/// `serve -v` print them under the `render` stage):
/// - `render/theme`: parse the theme's templates and list its static files;
/// - `render/templates`: check that every template named in front matter exists (else stop);
/// - `render/sidebars`: one sidebar per section and depth (a template error stops here);
/// - `render/pages`: every page, section index and the home page, in parallel;
/// - `render/pitfalls`: `pitfalls.html`;
/// - `render/provenance`: `results/<id>.html` for each stored result;
/// - `render/404`: `404.html` (it lists the top-level entries made so far);
/// - `render/sitemap`: `.nojekyll` and `sitemap.xml` (only if every page rendered);
/// - `render/static`: the theme's static files and the site's assets (only then too).
pub fn render(site: &Site, memo: Option<&mut Memo>) -> Result<Output, Diagnostics> {
    let mut steps = Vec::new();
    let theme = timed(&mut steps, "render/theme", || Theme::load(site))?;
    let cx = timed(&mut steps, "render/templates", || {
        steps::check_templates(site, &theme)
    })?;
    let sidebars = timed(&mut steps, "render/sidebars", || steps::sidebars(&cx))?;
    let mut out = steps::Out::default();
    timed(&mut steps, "render/pages", || {
        steps::pages(&cx, &sidebars, memo, &mut out)
    });
    timed(&mut steps, "render/pitfalls", || {
        steps::pitfalls(&cx, &sidebars, &mut out)
    });
    timed(&mut steps, "render/provenance", || {
        steps::provenance(&cx, &sidebars, &mut out)
    });
    timed(&mut steps, "render/404", || {
        steps::not_found(&cx, &sidebars, &mut out)
    });
    if !out.diags.is_empty() {
        return Err(out.diags);
    }
    timed(&mut steps, "render/sitemap", || {
        steps::sitemap(&cx, &mut out)
    });
    timed(&mut steps, "render/static", || {
        steps::static_files(&cx, &mut out)
    });
    Ok(Output {
        files: out.files,
        steps,
    })
}

/// Run one step, adding the time it took to `steps` under `name`.
fn timed<T>(
    steps: &mut Vec<(&'static str, Duration)>,
    name: &'static str,
    step: impl FnOnce() -> T,
) -> T {
    let start = Instant::now();
    let result = step();
    steps.push((name, start.elapsed()));
    result
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
    /// empty: the sidebar is rendered once per section (see the `sidebars` step).
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

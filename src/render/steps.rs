//! The steps of the render stage, in the order [`super::render`] runs them: check the
//! templates named in front matter, sidebars, pages, pitfalls, provenance, 404, sitemap,
//! static files. Each step reads [`Shared`] and adds its files (or errors) to [`Out`].

use super::links::{rebase_fragment, root_prefix, url_path};
use super::theme::{self, Theme};
use super::views::*;
use super::{base_url, generated_page, page_view, rendered, script_json, Item, Outline};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::html;
use crate::incremental::{self, Memo};
use crate::model::{OutputFile, Site};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub(super) const GENERATOR: &str = concat!("benchbook ", env!("CARGO_PKG_VERSION"));

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

impl<'a> Context<'a> {
    /// A context with no section, pitfalls, 404 or provenance part.
    fn new(site: &'a SiteView<'a>, page: PageView<'a>, nav: NavView<'a>, root: String) -> Self {
        Context {
            site,
            page,
            nav,
            root,
            section: None,
            pitfall_groups: None,
            not_found: None,
            provenance: None,
            generator: GENERATOR,
        }
    }
}

/// What every step reads: the site, its theme, its outline and the `site` view templates see.
pub(super) struct Shared<'a> {
    site: &'a Site,
    theme: &'a Theme,
    outline: Outline<'a>,
    /// `base_url` with one trailing slash.
    base: Option<String>,
    view: SiteView<'a>,
    /// Some page has a pitfall (part of every page's inputs, see [`shared_inputs_key`]).
    has_pitfalls: bool,
}

/// Step `templates`: the shared inputs, once every template chosen in front matter exists
/// (all missing ones reported, before anything is rendered).
pub(super) fn check_templates<'a>(
    site: &'a Site,
    theme: &'a Theme,
) -> Result<Shared<'a>, Diagnostics> {
    let outline = Outline::new(site);
    let mut diags = Diagnostics::new();
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

    let base = base_url(site);
    let has_pitfalls = site
        .pages
        .iter()
        .chain(site.sections.iter().map(|s| &s.index))
        .any(|p| !rendered(p).pitfalls.is_empty());
    let view = SiteView {
        title: &site.config.title,
        description: &site.config.description,
        author: &site.config.author,
        language: &site.config.language,
        base_url: base.clone(),
        search: site.config.search,
        print: site.config.print,
        has_pitfalls,
    };
    Ok(Shared {
        site,
        theme,
        outline,
        base,
        view,
        has_pitfalls,
    })
}

impl Shared<'_> {
    fn render_one(&self, template: &str, ctx: &Context) -> Result<String, Diagnostic> {
        let theme = self.theme;
        let ctx =
            tera::Context::from_serialize(ctx).map_err(|e| theme.render_error(template, &e))?;
        theme
            .tera
            .render(template, &ctx)
            .map_err(|e| theme.render_error(template, &e))
    }

    /// The root of the 404 page's links: `base_url` (empty without one).
    fn root404(&self) -> String {
        self.base.clone().unwrap_or_default()
    }

    /// Navigation of a generated page at `root` whose own link is `href`.
    fn generated_nav<'s>(&'s self, sidebars: &Sidebars, root: &str, href: &str) -> NavView<'s> {
        let mut nav = self.outline.nav(None, root);
        nav.sidebar = sidebars.get(None, root, href);
        nav
    }
}

/// What the steps made so far: files, and the errors of the templates that failed.
#[derive(Default)]
pub(super) struct Out {
    pub files: Vec<OutputFile>,
    pub diags: Diagnostics,
}

impl Out {
    /// A rendered page at `path`, or the error its template reported.
    fn page(&mut self, path: PathBuf, html: Result<String, Diagnostic>) {
        match html {
            Ok(html) => self.files.push(OutputFile::Bytes {
                path,
                bytes: html.into_bytes().into(),
            }),
            Err(d) => self.diags.push(d),
        }
    }
}

/// A rendered sidebar is shared by the pages of one section (`None`: generated pages)
/// at one depth (the relative path to the root).
type SidebarKey = (Option<usize>, String);

/// Every sidebar the site's pages show.
pub(super) struct Sidebars(HashMap<SidebarKey, String>);

impl Sidebars {
    /// The sidebar opened at section `open_at` for a page at `root`, with the link to
    /// `current_href` marked as the current page.
    fn get(&self, open_at: Option<usize>, root: &str, current_href: &str) -> String {
        self.0
            .get(&(open_at, root.to_string()))
            .map(|h| mark_current(h, current_href))
            .unwrap_or_default()
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

/// Step `sidebars`: rendered once per (section, root) and shared by the section's pages,
/// since it lists every sibling (rendering it per page would cost pages × siblings). The
/// first error stops the stage.
pub(super) fn sidebars(cx: &Shared) -> Result<Sidebars, Diagnostics> {
    let outline = &cx.outline;
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
    keys.insert((None, cx.root404()));
    for p in &cx.site.provenance {
        keys.insert((None, root_prefix(&p.output)));
    }
    let rendered: Vec<(SidebarKey, Result<String, Diagnostic>)> = keys
        .into_par_iter()
        .map(|(open_at, root)| {
            let html = if cx.theme.has_template("sidebar.html") {
                let mut nav = outline.nav(None, &root);
                nav.tree = outline.tree(open_at, &root);
                let page = generated_page("", "", "sidebar");
                cx.render_one(
                    "sidebar.html",
                    &Context::new(&cx.view, page, nav, root.clone()),
                )
            } else {
                Ok(String::new())
            };
            ((open_at, root), html)
        })
        .collect();
    let mut sidebars = HashMap::new();
    for (key, html) in rendered {
        match html {
            Ok(h) => {
                sidebars.insert(key, h);
            }
            Err(d) => {
                let mut diags = Diagnostics::new();
                diags.push(d);
                return Err(diags);
            }
        }
    }
    Ok(Sidebars(sidebars))
}

/// What every page's template context shares: the outline (order, titles, descriptions,
/// outputs: the sidebar, breadcrumbs, previous/next and section listings), `site.yaml`,
/// the templates. A page's HTML is a function of this and of the page itself.
fn shared_inputs_key(cx: &Shared) -> u64 {
    let outline = &cx.outline;
    let site = cx.site;
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
    let templates: Vec<_> = cx
        .theme
        .sources
        .iter()
        .map(|(name, t)| (name, &t.path, &t.text))
        .collect();
    incremental::fingerprint(&(
        items,
        sections,
        format!("{:?}", site.config),
        cx.has_pitfalls,
        templates,
        GENERATOR,
    ))
}

/// Step `pages`: every page, section index and the home page through its template, in
/// parallel; with `memo`, a page whose inputs are unchanged is taken from the previous build.
/// An error reported by several pages (the same template) is kept once.
pub(super) fn pages(cx: &Shared, sidebars: &Sidebars, memo: Option<&mut Memo>, out: &mut Out) {
    let shared = memo.is_some().then(|| shared_inputs_key(cx));
    let old = memo.as_ref().map(|m| &m.html);
    let reused = AtomicUsize::new(0);
    let results: Vec<Result<(OutputFile, Option<u64>), Diagnostic>> = cx
        .outline
        .order
        .par_iter()
        .map(|&item| {
            let page = cx.outline.page(item);
            let md = rendered(page).fingerprint;
            let key = shared
                .filter(|_| md != 0)
                .map(|shared| incremental::fingerprint(&(shared, item, &page.front, md)));
            if let Some(key) = key {
                if let Some((k, bytes)) = old.and_then(|old| old.get(&page.output)) {
                    if *k == key {
                        reused.fetch_add(1, Ordering::Relaxed);
                        let file = OutputFile::Bytes {
                            path: page.output.clone(),
                            bytes: bytes.clone(),
                        };
                        return Ok((file, Some(key)));
                    }
                }
            }
            let html = render_page(cx, sidebars, item)?;
            let file = OutputFile::Bytes {
                path: page.output.clone(),
                bytes: html.into_bytes().into(),
            };
            Ok((file, key))
        })
        .collect();

    let mut seen_errors = BTreeSet::new();
    let mut new = HashMap::new();
    for r in results {
        match r {
            Ok((f, key)) => {
                if let (Some(key), OutputFile::Bytes { path, bytes }) = (key, &f) {
                    new.insert(path.clone(), (key, bytes.clone()));
                }
                out.files.push(f)
            }
            Err(d) => {
                if seen_errors.insert(d.clone()) {
                    out.diags.push(d);
                }
            }
        }
    }
    if let Some(memo) = memo {
        memo.html = new;
        memo.reused.render = reused.into_inner();
    }
}

/// One page, section index or the home page through its template.
fn render_page(cx: &Shared, sidebars: &Sidebars, item: Item) -> Result<String, Diagnostic> {
    let outline = &cx.outline;
    let site = cx.site;
    let page = outline.page(item);
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
    nav.sidebar = sidebars.get(
        Some(outline.sidebar_section(item)),
        &root,
        &format!("{root}{url}"),
    );
    let page_view = page_view(page, url, kind, cx.base.as_deref());
    let mut ctx = Context::new(&cx.view, page_view, nav, root);
    ctx.section = section;
    let template = page.front.template.as_deref().unwrap_or(default_tpl);
    cx.render_one(template, &ctx)
}

/// Step `pitfalls`: `pitfalls.html`, every page's pitfalls grouped by page in reading order.
pub(super) fn pitfalls(cx: &Shared, sidebars: &Sidebars, out: &mut Out) {
    let mut groups = Vec::new();
    for &item in &cx.outline.order {
        let page = cx.outline.page(item);
        let r = rendered(page);
        if r.pitfalls.is_empty() {
            continue;
        }
        let url = cx.outline.url(item);
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
    let mut page = generated_page("Pitfalls", "pitfalls.html", "pitfalls");
    page.permalink = cx.base.as_ref().map(|b| format!("{b}pitfalls.html"));
    let nav = cx.generated_nav(sidebars, "", "pitfalls.html");
    let mut ctx = Context::new(&cx.view, page, nav, String::new());
    ctx.pitfall_groups = Some(groups);
    out.page("pitfalls.html".into(), cx.render_one("pitfalls.html", &ctx));
}

/// Step `provenance`: how each stored result was measured (`results/<id>.html`).
pub(super) fn provenance(cx: &Shared, sidebars: &Sidebars, out: &mut Out) {
    let has_template = cx.theme.has_template("provenance.html");
    if !cx.site.provenance.is_empty() && !has_template {
        out.diags.error(
            PathBuf::from("templates/provenance.html"),
            0,
            0,
            "the theme has no provenance.html template; expected one (copy themes/default/templates/provenance.html) to show how each stored result was measured",
        );
    }
    for p in cx.site.provenance.iter().filter(|_| has_template) {
        let url = url_path(&p.output);
        let root = root_prefix(&p.output);
        let mut page = generated_page(&p.title, &url, "provenance");
        page.permalink = cx.base.as_ref().map(|b| format!("{b}{url}"));
        let nav = cx.generated_nav(sidebars, &root, "");
        let mut ctx = Context::new(&cx.view, page, nav, root);
        ctx.provenance = Some(ProvenanceView {
            id: &p.id,
            body: &p.body,
            raw: format!("{}.json", p.id),
        });
        out.page(p.output.clone(), cx.render_one("provenance.html", &ctx));
    }
}

/// Step `404`: styles inlined, links fixed at view time (see [`not_found_script`]); the
/// script needs the top-level entries of the site, so this runs after every page.
pub(super) fn not_found(cx: &Shared, sidebars: &Sidebars, out: &mut Out) {
    let mut top_level: BTreeSet<String> = BTreeSet::new();
    for f in &out.files {
        if let Some(c) = f.path().components().next() {
            top_level.insert(c.as_os_str().to_string_lossy().into_owned());
        }
    }
    top_level.insert("static".into());
    top_level.insert("pitfalls.html".into());
    let css = cx
        .theme
        .static_file("style.css")
        .and_then(|f| f.read().ok())
        .map(|b| String::from_utf8_lossy(&b).replace("</", "<\\/"))
        .unwrap_or_default();
    let root = cx.root404();
    let page = generated_page("Page not found", "404.html", "404");
    let nav = cx.generated_nav(sidebars, &root, "");
    let mut ctx = Context::new(&cx.view, page, nav, root);
    ctx.not_found = Some(NotFoundView {
        inline_css: css,
        script: not_found_script(cx.base.as_deref(), &top_level),
    });
    out.page("404.html".into(), cx.render_one("404.html", &ctx));
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

/// Step `sitemap`: `.nojekyll` (GitHub Pages serves the site as it is) and, only when
/// `base_url` is set, `sitemap.xml`.
pub(super) fn sitemap(cx: &Shared, out: &mut Out) {
    out.files.push(OutputFile::Bytes {
        path: ".nojekyll".into(),
        bytes: Vec::new().into(),
    });
    if let Some(b) = &cx.base {
        out.files.push(OutputFile::Bytes {
            path: "sitemap.xml".into(),
            bytes: sitemap_xml(&cx.outline, b).into_bytes().into(),
        });
    }
}

/// `sitemap.xml` listing every page with its absolute URL.
fn sitemap_xml(outline: &Outline, base: &str) -> String {
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

/// Step `static`: the theme's static files (under `static/`) and the site's assets, listed
/// for the write stage to copy.
pub(super) fn static_files(cx: &Shared, out: &mut Out) {
    for f in &cx.theme.static_files {
        let path = PathBuf::from("static").join(f.rel());
        out.files.push(match f {
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
    for a in &cx.site.assets {
        out.files.push(OutputFile::Copy {
            path: a.output.clone(),
            from: cx.site.root.join(&a.source),
        });
    }
}

//! The print edition: `print.html`, the whole site on one page in reading order.
//!
//! Each page becomes an `<article class="print-page" id="<prefix>">` (prefix: the output
//! path without `.html`, `/` → `-`: `training/speed.html` → `training-speed`), with a page
//! break before it. Inside, every `id` becomes `<prefix>--<id>`, and so do the attributes
//! that name ids (`for`, `aria-*`, `href="#…"`, `url(#…)`) and radio-group `name`s. Links
//! to other pages become anchors in print.html (`training/speed.html#warmup` →
//! `#training-speed--warmup`, a page itself → `#training-speed`); links to other files
//! and images are rebased onto the site root, where print.html lives. Quizzes show their
//! answers (`<details open>`). The HTML is rewritten with `lol_html`, not string scanning.

use crate::html::escape;
use crate::model::{OutputFile, Page, Site};
use crate::render::links::{rebase_url, url_dir, url_path};
use crate::render::Outline;
use lol_html::html_content::{ContentType, Element};
use lol_html::{element, rewrite_str, RewriteStrSettings};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Output path of the print edition.
pub const PRINT_FILE: &str = "print.html";

/// Every page in reading order, as the sidebar lists them (the theme's
/// [`Outline`](crate::render::Outline)): a section's own page, its pages, then its
/// subsections, depth first, starting with the home page.
pub fn reading_order(site: &Site) -> Vec<&Page> {
    let outline = Outline::new(site);
    outline.order.iter().map(|&i| outline.page(i)).collect()
}

/// Like [`reading_order`], with each page's nesting depth (home and top level: 0).
fn reading_order_depths(site: &Site) -> Vec<(&Page, usize)> {
    let outline = Outline::new(site);
    outline
        .order
        .iter()
        .map(|&i| {
            // Ancestors include the root section; a top-level section or page has depth 0.
            (
                outline.page(i),
                outline.ancestors(i).len().saturating_sub(1),
            )
        })
        .collect()
}

/// The anchor prefix of each page of the print edition, keyed by its root-relative URL.
fn prefixes(pages: &[(&Page, usize)]) -> HashMap<String, String> {
    let mut used = HashSet::new();
    let mut map = HashMap::new();
    for (page, _) in pages {
        let url = url_path(&page.output);
        let base: String = url
            .strip_suffix(".html")
            .unwrap_or(&url)
            .chars()
            .map(|c| if c == '/' || c == '%' { '-' } else { c })
            .collect();
        let mut prefix = base.clone();
        let mut n = 2;
        while !used.insert(prefix.clone()) {
            prefix = format!("{base}-{n}");
            n += 1;
        }
        map.insert(url, prefix);
    }
    map
}

/// The theme's style sheets among the output files (`static/**.css`), as root-relative URLs,
/// for [`print_page`].
pub fn stylesheets(files: &[OutputFile]) -> Vec<String> {
    let mut css: Vec<String> = files
        .iter()
        .map(|f| url_path(f.path()))
        .filter(|u| u.starts_with("static/") && u.ends_with(".css"))
        .collect();
    css.sort();
    css
}

/// Builds `print.html`. `stylesheets` are the theme's style sheets as root-relative URLs
/// (`static/style.css`), linked so the edition looks like the site.
pub fn print_page(site: &Site, stylesheets: &[String]) -> OutputFile {
    let pages = reading_order_depths(site);
    let prefixes = prefixes(&pages);

    let mut html = String::with_capacity(
        pages
            .iter()
            .map(|(p, _)| p.rendered.as_ref().map_or(0, |r| r.html.len()) + 256)
            .sum::<usize>()
            + 4096,
    );
    let title = &site.config.title;
    html.push_str("<!DOCTYPE html>\n<html lang=\"");
    html.push_str(&escape(&site.config.language));
    html.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n<title>");
    html.push_str(&escape(title));
    html.push_str(" (print edition)</title>\n");
    if !site.config.description.is_empty() {
        html.push_str("<meta name=\"description\" content=\"");
        html.push_str(&escape(&site.config.description));
        html.push_str("\">\n");
    }
    for css in stylesheets {
        html.push_str("<link rel=\"stylesheet\" href=\"");
        html.push_str(&escape(css));
        html.push_str("\">\n");
    }
    html.push_str("<style>");
    html.push_str(PRINT_CSS);
    html.push_str("</style>\n</head>\n<body class=\"print-edition\">\n");

    html.push_str("<header class=\"print-cover\">\n<p class=\"print-site-title\">");
    html.push_str(&escape(title));
    html.push_str("</p>\n");
    if !site.config.description.is_empty() {
        html.push_str("<p class=\"print-description\">");
        html.push_str(&escape(&site.config.description));
        html.push_str("</p>\n");
    }
    if !site.config.author.is_empty() {
        html.push_str("<p class=\"print-author\">");
        html.push_str(&escape(&site.config.author));
        html.push_str("</p>\n");
    }
    html.push_str(
        "<p class=\"print-actions\"><a href=\"index.html\">Back to the site</a></p>\n</header>\n",
    );

    html.push_str("<nav class=\"print-toc\" aria-label=\"Contents\">\n<h2>Contents</h2>\n<ul>\n");
    for (page, depth) in &pages {
        let prefix = &prefixes[&url_path(&page.output)];
        html.push_str("<li class=\"print-toc-");
        html.push_str(&depth.min(&6).to_string());
        html.push_str("\"><a href=\"#");
        html.push_str(&escape(prefix));
        html.push_str("\">");
        html.push_str(&escape(&page.front.title));
        html.push_str("</a></li>\n");
    }
    html.push_str("</ul>\n</nav>\n<main>\n");

    // Each page is rewritten on its own, in parallel, then joined in reading order.
    let articles: Vec<String> = pages
        .par_iter()
        .map(|(page, _)| {
            let url = url_path(&page.output);
            let prefix = &prefixes[&url];
            let mut a = String::with_capacity(
                page.rendered
                    .as_ref()
                    .map_or(0, |r| r.html.len() + r.html.len() / 8)
                    + 256,
            );
            a.push_str("<article class=\"print-page\" id=\"");
            a.push_str(&escape(prefix));
            a.push_str("\">\n<h1 class=\"print-page-title\">");
            a.push_str(&escape(&page.front.title));
            a.push_str("</h1>\n");
            if let Some(r) = &page.rendered {
                a.push_str(&rewrite_page(&r.html, &url, prefix, &prefixes));
            }
            a.push_str("\n</article>\n");
            a
        })
        .collect();
    for a in &articles {
        html.push_str(a);
    }
    html.push_str("</main>\n</body>\n</html>\n");

    OutputFile::Bytes {
        path: PathBuf::from(PRINT_FILE),
        bytes: html.into_bytes().into(),
    }
}

/// Page breaks between lessons, answers and links visible, navigation hidden on paper.
const PRINT_CSS: &str = "\
.print-edition main,.print-edition .print-cover,.print-edition .print-toc{max-width:48rem;margin:0 auto;padding:0 1rem}\
.print-toc ul{list-style:none;padding-left:0}\
.print-toc-1{padding-left:1.5rem}.print-toc-2{padding-left:3rem}.print-toc-3,.print-toc-4,.print-toc-5,.print-toc-6{padding-left:4.5rem}\
.print-page{break-before:page;page-break-before:always}\
.print-page-title{margin-top:2rem}\
@media print{\
nav,.print-toc,.print-actions,.bb-search,.sidebar,.site-nav,.breadcrumbs,.pager,.heading-anchor,.anchor,button{display:none!important}\
.print-edition main{max-width:none;padding:0}\
.print-edition details>summary{list-style:none}\
.print-edition tr,.print-edition svg,.print-edition img{break-inside:avoid}\
}";

/// Rewrites one page's body for print.html (see the module doc).
fn rewrite_page(
    html: &str,
    page_url: &str,
    prefix: &str,
    prefixes: &HashMap<String, String>,
) -> String {
    let ctx = Ctx {
        dir: url_dir(page_url),
        prefix,
        prefixes,
    };
    let result = rewrite_str(
        html,
        RewriteStrSettings {
            element_content_handlers: vec![element!("*", |el| {
                ctx.element(el);
                Ok(())
            })],
            ..RewriteStrSettings::new()
        },
    );
    // The rewriter only fails on a handler error (ours return none) or a memory limit.
    result.unwrap_or_else(|_| html.to_string())
}

struct Ctx<'a> {
    dir: &'a str,
    prefix: &'a str,
    prefixes: &'a HashMap<String, String>,
}

/// Attributes holding one id or a space-separated list of ids.
const ID_REF_ATTRS: &[&str] = &[
    "for",
    "aria-labelledby",
    "aria-describedby",
    "aria-controls",
    "aria-owns",
    "aria-activedescendant",
    "aria-details",
    "aria-errormessage",
    "aria-flowto",
    "list",
    "form",
    "headers",
];

/// SVG presentation attributes that may hold `url(#id)`.
const URL_ATTRS: &[&str] = &[
    "fill",
    "stroke",
    "clip-path",
    "mask",
    "filter",
    "marker-start",
    "marker-mid",
    "marker-end",
    "style",
];

impl Ctx<'_> {
    fn id(&self, id: &str) -> String {
        format!("{}--{}", self.prefix, id)
    }

    fn element(&self, el: &mut Element) {
        let attrs: Vec<(String, String)> = el
            .attributes()
            .iter()
            .map(|a| (a.name(), a.value()))
            .collect();
        for (name, value) in attrs {
            let new = match name.as_str() {
                "id" => Some(self.id(&value)),
                "href" | "xlink:href" => self.href(&value),
                "src" => self.rebase(&value),
                "srcset" => Some(
                    value
                        .split(',')
                        .map(|c| {
                            let c = c.trim();
                            let (url, rest) = c.split_once(char::is_whitespace).unwrap_or((c, ""));
                            let url = self.rebase(url).unwrap_or_else(|| url.to_string());
                            if rest.is_empty() {
                                url
                            } else {
                                format!("{url} {}", rest.trim())
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                "name" if el.tag_name() == "input" => Some(self.id(&value)),
                n if ID_REF_ATTRS.contains(&n) => Some(
                    value
                        .split_whitespace()
                        .map(|v| self.id(v))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                n if URL_ATTRS.contains(&n) && value.contains("url(#") => {
                    Some(value.replace("url(#", &format!("url(#{}--", self.prefix)))
                }
                _ => None,
            };
            if let Some(new) = new {
                if new != value {
                    // Only fails for an invalid attribute name, and these names come from
                    // the parser.
                    let _ = el.set_attribute(&name, &new);
                }
            }
        }
        if el.tag_name() == "details" && !el.has_attribute("open") {
            // `<details open>`, not the `open=""` that `set_attribute` would write
            // (html-validate's attribute-boolean-style): the start tag is written anew
            // with the attributes rewritten above, and the end tag after the content.
            let mut tag = String::from("<details");
            for a in el.attributes() {
                // Raw values (entities kept); a `"` can only come from single quotes.
                let _ = write!(
                    tag,
                    " {}=\"{}\"",
                    a.name(),
                    a.value().replace('"', "&quot;")
                );
            }
            tag.push_str(" open>");
            el.before(&tag, ContentType::Html);
            el.after("</details>", ContentType::Html);
            el.remove_and_keep_content();
        }
    }

    /// A link: in-page and inter-page links become anchors of print.html, other relative
    /// links are rebased onto the root; absolute URLs are left alone.
    fn href(&self, href: &str) -> Option<String> {
        if let Some(frag) = href.strip_prefix('#') {
            return Some(if frag.is_empty() {
                format!("#{}", self.prefix)
            } else {
                format!("#{}", self.id(frag))
            });
        }
        let joined = rebase_url(self.dir, href)?;
        let (path, frag) = match joined.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (joined.as_str(), None),
        };
        let path_only = path.split('?').next().unwrap_or(path);
        let target = if path_only.is_empty() || path_only.ends_with('/') {
            format!("{path_only}index.html")
        } else {
            path_only.to_string()
        };
        if let Some(p) = self.prefixes.get(&target) {
            return Some(match frag {
                Some(f) if !f.is_empty() => format!("#{p}--{f}"),
                _ => format!("#{p}"),
            });
        }
        Some(joined)
    }

    fn rebase(&self, url: &str) -> Option<String> {
        rebase_url(self.dir, url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(html: &str, page: &str) -> String {
        let prefixes: HashMap<String, String> = [
            ("index.html", "index"),
            ("training/index.html", "training-index"),
            ("training/speed.html", "training-speed"),
            ("intro.html", "intro"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let prefix = prefixes[page].clone();
        rewrite_page(html, page, &prefix, &prefixes)
    }

    #[test]
    fn links_between_pages_become_anchors() {
        let out = rewrite(
            r##"<h2 id="a">A</h2><a href="speed.html#warmup">w</a><a href="../intro.html">i</a><a href="#a">self</a><a href="https://x.org/a.html">x</a><a href="data.csv">d</a>"##,
            "training/index.html",
        );
        assert!(out.contains(r#"id="training-index--a""#), "{out}");
        assert!(out.contains(r##"href="#training-speed--warmup""##), "{out}");
        assert!(out.contains(r##"href="#intro""##), "{out}");
        assert!(out.contains(r##"href="#training-index--a""##), "{out}");
        assert!(out.contains(r#"href="https://x.org/a.html""#), "{out}");
        assert!(out.contains(r#"href="training/data.csv""#), "{out}");
    }

    #[test]
    fn ids_references_and_quizzes_are_rewritten() {
        let out = rewrite(
            r##"<label for="q1-a">A</label><input type="radio" name="q1" id="q1-a"><details class="quiz-answer" title="a &amp; &quot;b&quot;"><summary>Answer</summary>yes</details><img src="chart.svg" alt=""><svg><rect fill="url(#g)"/></svg>"##,
            "training/speed.html",
        );
        assert!(out.contains(r#"for="training-speed--q1-a""#), "{out}");
        assert!(out.contains(r#"name="training-speed--q1""#), "{out}");
        assert!(
            out.contains(
                r#"<details class="quiz-answer" title="a &amp; &quot;b&quot;" open><summary>"#
            ),
            "{out}"
        );
        assert!(
            !out.contains("open=\"\""),
            "a boolean attribute without a value: {out}"
        );
        assert_eq!(out.matches("</details>").count(), 1, "{out}");
        assert!(out.contains(r#"src="training/chart.svg""#), "{out}");
        assert!(out.contains("url(#training-speed--g)"), "{out}");
    }
}

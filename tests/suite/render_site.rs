//! The render stage on a hand-made site: navigation, links, generated pages.

use crate::render_support;

use render_support::*;
use std::path::Path;

fn rendered(
    base_url: Option<&str>,
) -> (
    tempfile::TempDir,
    std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
) {
    let tmp = tempfile::tempdir().unwrap();
    let site = sample_site(tmp.path(), base_url);
    let files = render_like_build(&site).unwrap_or_else(|d| panic!("render failed:\n{d}"));
    let map = outputs(&files);
    (tmp, map)
}

#[test]
fn every_page_and_generated_file_is_produced() {
    let (_tmp, map) = rendered(None);
    for path in [
        "index.html",
        "training/index.html",
        "training/speed.html",
        "training/memory.html",
        "training/deep/index.html",
        "training/deep/cnn.html",
        "eval/index.html",
        "eval/accuracy.html",
        "pitfalls.html",
        "404.html",
        ".nojekyll",
        "static/style.css",
        "static/quiz.js",
        "static/theme.js",
        "training/fig.png",
    ] {
        assert!(map.contains_key(Path::new(path)), "missing {path}");
    }
    assert!(
        !map.contains_key(Path::new("sitemap.xml")),
        "sitemap without base_url"
    );
}

#[test]
fn every_relative_reference_resolves_and_nothing_is_remote() {
    let (_tmp, map) = rendered(None);
    let checked = check_references(&map, &[]);
    assert!(checked > 50, "only {checked} references checked");
    for (path, bytes) in &map {
        if path
            .extension()
            .is_some_and(|e| e == "html" || e == "css" || e == "js")
        {
            let text = String::from_utf8_lossy(bytes);
            for bad in [
                "src=\"http",
                "href=\"//",
                "@import",
                "url(http",
                "fonts.googleapis",
            ] {
                assert!(!text.contains(bad), "{}: contains {bad}", path.display());
            }
        }
    }
}

#[test]
fn links_never_point_at_a_bare_directory() {
    let (_tmp, map) = rendered(None);
    for (path, _) in map
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "html"))
    {
        let doc = html(&map, path.to_str().unwrap());
        for href in attrs(&doc, "a[href]", "href") {
            let no_frag = href.split('#').next().unwrap();
            assert!(
                no_frag.is_empty() || !no_frag.ends_with('/'),
                "{}: link to a directory {href}",
                path.display()
            );
        }
    }
}

#[test]
fn sidebar_marks_the_current_page_and_expands_its_sections() {
    let (_tmp, map) = rendered(None);
    let doc = html(&map, "training/deep/cnn.html");
    let current = attrs(&doc, "nav.sidebar a[aria-current=page]", "href");
    assert_eq!(current, ["../../training/deep/cnn.html"]);
    // Top level: home, then the root's sections.
    let top = texts(&doc, "nav.sidebar > ul > li > a");
    assert_eq!(top, ["Measured", "Training", "Evaluation"]);
    // Training is open with its pages and the Deep subsection, itself open.
    let training = texts(&doc, "nav.sidebar > ul > li.is-open > ul > li > a");
    assert_eq!(training, ["Speed", "Memory", "Deep"]);
    let deep = texts(&doc, "nav.sidebar li.is-open li.is-open > ul > li > a");
    assert_eq!(deep, ["CNN"]);
    // Evaluation is closed: its page is not listed.
    assert!(!texts(&doc, "nav.sidebar a").contains(&"Accuracy".to_string()));
    // Exactly one current link in the sidebar, and the pitfalls link is there.
    assert_eq!(doc.select(&sel("nav.sidebar [aria-current]")).count(), 1);
    assert_eq!(
        attrs(&doc, "nav.sidebar .sidebar-extra a", "href"),
        ["../../pitfalls.html"]
    );

    let home = html(&map, "index.html");
    assert_eq!(
        attrs(&home, "nav.sidebar a[aria-current=page]", "href"),
        ["index.html"]
    );
    let pitfalls = html(&map, "pitfalls.html");
    assert_eq!(
        attrs(&pitfalls, "nav.sidebar a[aria-current=page]", "href"),
        ["pitfalls.html"]
    );
    let section = html(&map, "training/index.html");
    assert_eq!(
        attrs(&section, "nav.sidebar a[aria-current=page]", "href"),
        ["../training/index.html"]
    );
    assert_eq!(
        texts(&section, "nav.sidebar li.is-open > ul > li > a"),
        ["Speed", "Memory", "Deep"],
        "a section's own page shows its children"
    );
    assert!(
        texts(&home, "nav.sidebar a").iter().all(|t| t != "Speed"),
        "closed sections stay closed"
    );
}

#[test]
fn breadcrumbs_lead_from_home_to_the_parent() {
    let (_tmp, map) = rendered(None);
    let doc = html(&map, "training/deep/cnn.html");
    assert_eq!(
        texts(&doc, "nav.breadcrumbs li"),
        ["Measured", "Training", "Deep", "CNN"]
    );
    assert_eq!(
        attrs(&doc, "nav.breadcrumbs a", "href"),
        [
            "../../index.html",
            "../../training/index.html",
            "../../training/deep/index.html"
        ]
    );
    assert_eq!(texts(&doc, "nav.breadcrumbs [aria-current=page]"), ["CNN"]);
    // The home page has no breadcrumbs.
    let home = html(&map, "index.html");
    assert_eq!(home.select(&sel("nav.breadcrumbs")).count(), 0);
}

#[test]
fn previous_and_next_follow_the_reading_order() {
    let (_tmp, map) = rendered(None);
    let order = [
        "index.html",
        "training/index.html",
        "training/speed.html",
        "training/memory.html",
        "training/deep/index.html",
        "training/deep/cnn.html",
        "eval/index.html",
        "eval/accuracy.html",
    ];
    for (i, path) in order.iter().enumerate() {
        let doc = html(&map, path);
        let prev = attrs(&doc, "nav.pager a[rel=prev]", "href");
        let next = attrs(&doc, "nav.pager a[rel=next]", "href");
        let resolve_one = |v: &Vec<String>| {
            v.first()
                .map(|h| resolve(Path::new(path), h).0.to_string_lossy().into_owned())
        };
        assert_eq!(
            resolve_one(&prev).as_deref(),
            i.checked_sub(1).map(|j| order[j]),
            "prev of {path}"
        );
        assert_eq!(
            resolve_one(&next).as_deref(),
            order.get(i + 1).copied(),
            "next of {path}"
        );
    }
}

#[test]
fn pages_have_one_h1_landmarks_and_unique_ids() {
    let (_tmp, map) = rendered(None);
    // print.html (the print edition, src/print.rs) holds every page, each with its h1.
    let themed = map.iter().filter(|(p, _)| {
        p.extension().is_some_and(|e| e == "html") && *p != Path::new("print.html")
    });
    for (path, _) in themed {
        let p = path.to_str().unwrap();
        let doc = html(&map, p);
        assert_eq!(doc.select(&sel("h1")).count(), 1, "{p}: h1 count");
        for landmark in [
            "body > header.site-header",
            "main#bb-main",
            "body > footer.site-footer",
        ] {
            assert_eq!(doc.select(&sel(landmark)).count(), 1, "{p}: {landmark}");
        }
        let ids = ids(&doc);
        let unique: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(ids.len(), unique.len(), "{p}: duplicate ids in {ids:?}");
        for b in doc.select(&sel("button")) {
            assert!(b.value().attr("type").is_some(), "{p}: button without type");
        }
        assert_eq!(attrs(&doc, "html", "lang"), ["en"], "{p}");
        assert_eq!(
            attrs(&doc, "a.skip-link", "href"),
            ["#bb-main"],
            "{p}: skip link"
        );
        // Every nav landmark has a distinct label.
        let labels: Vec<_> = doc
            .select(&sel("nav"))
            .map(|n| {
                n.value()
                    .attr("aria-label")
                    .or(n.value().attr("aria-labelledby"))
                    .unwrap_or_else(|| panic!("{p}: nav without label"))
                    .to_string()
            })
            .collect();
        let set: std::collections::BTreeSet<_> = labels.iter().collect();
        assert_eq!(labels.len(), set.len(), "{p}: nav labels {labels:?}");
    }
}

#[test]
fn page_shows_title_metadata_toc_and_body() {
    let (_tmp, map) = rendered(None);
    let doc = html(&map, "training/speed.html");
    assert_eq!(texts(&doc, "h1"), ["Speed"]);
    assert_eq!(texts(&doc, "title"), ["Speed · Measured"]);
    assert_eq!(
        attrs(&doc, "meta[name=description]", "content"),
        ["Steps per second"]
    );
    assert_eq!(attrs(&doc, ".page-meta time", "datetime"), ["2026-11-25"]);
    assert_eq!(texts(&doc, ".page-meta .tag"), ["speed", "gpu"]);
    // Nested table of contents.
    assert_eq!(
        attrs(&doc, "nav.toc > ul > li > a", "href"),
        ["#warm-up", "#results"]
    );
    assert_eq!(
        attrs(&doc, "nav.toc > ul > li > ul > li > a", "href"),
        ["#median"]
    );
    // The body is inserted as HTML, not escaped.
    assert_eq!(
        doc.select(&sel(".page-body aside.callout.pitfall#pitfall-1"))
            .count(),
        1
    );
    // Stylesheet and scripts are local and relative.
    let css = attrs(&doc, "link[rel=stylesheet]", "href");
    assert_eq!(css[0], "../static/style.css");
    assert!(css.iter().all(|h| h.starts_with("../static/")), "{css:?}");
    let js = attrs(&doc, "script[src]", "src");
    assert_eq!(js[..2], ["../static/theme.js", "../static/quiz.js"]);
    assert!(js.iter().all(|h| h.starts_with("../static/")), "{js:?}");
    // A page without headings has no table of contents.
    let memory = html(&map, "training/memory.html");
    assert_eq!(memory.select(&sel("nav.toc")).count(), 0);
}

#[test]
fn user_text_is_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let mut site = sample_site(tmp.path(), None);
    site.pages[1].front.title = "<script>alert(1)</script> & co".into();
    site.config.title = "A \"quoted\" <b>title</b>".into();
    let map = outputs(&render_like_build(&site).unwrap());
    let raw = String::from_utf8(map[Path::new("training/memory.html")].clone()).unwrap();
    assert!(!raw.contains("<script>alert(1)"));
    assert!(
        raw.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt; &amp; co")
            || raw.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co")
    );
    assert!(!raw.contains("<b>title</b>"));
    let doc = html(&map, "training/memory.html");
    assert_eq!(texts(&doc, "h1"), ["<script>alert(1)</script> & co"]);
}

#[test]
fn sections_and_home_list_their_children_with_descriptions() {
    let (_tmp, map) = rendered(None);
    let home = html(&map, "index.html");
    assert_eq!(texts(&home, "h1"), ["Measured"]);
    assert_eq!(
        texts(&home, ".section-contents .listing > li > a"),
        ["Training", "Evaluation"]
    );
    assert_eq!(
        texts(&home, ".section-contents .listing > li > p"),
        ["How fast training goes"]
    );
    assert!(texts(&home, ".page-body p")
        .iter()
        .any(|t| t.starts_with("Welcome")));
    let training = html(&map, "training/index.html");
    assert_eq!(
        attrs(&training, ".section-contents .listing > li > a", "href"),
        [
            "../training/speed.html",
            "../training/memory.html",
            "../training/deep/index.html"
        ]
    );
    assert_eq!(
        texts(&training, ".section-contents .listing > li > p"),
        ["Steps per second"]
    );
}

#[test]
fn pitfalls_page_groups_by_lesson_and_links_back() {
    let (_tmp, map) = rendered(None);
    let doc = html(&map, "pitfalls.html");
    assert_eq!(texts(&doc, "h1"), ["Pitfalls"]);
    assert_eq!(texts(&doc, ".pitfall-group > h2"), ["Speed", "CNN"]);
    assert_eq!(
        attrs(&doc, ".pitfall-group > h2 > a", "href"),
        ["training/speed.html", "training/deep/cnn.html"]
    );
    assert_eq!(
        attrs(&doc, ".pitfall-item h3 a", "href"),
        ["training/speed.html#warm-up"]
    );
    assert_eq!(
        attrs(&doc, ".pitfall-source a", "href"),
        [
            "training/speed.html#pitfall-1",
            "training/deep/cnn.html#pitfall-1"
        ]
    );
    assert_eq!(doc.select(&sel("aside.callout.pitfall")).count(), 2);
    // Links inside the gathered pitfall were rebased onto the pitfalls page.
    let inner = attrs(&doc, "aside.callout.pitfall a", "href");
    assert_eq!(
        inner,
        ["training/speed.html#warm-up", "training/memory.html"]
    );
    assert_eq!(
        attrs(&doc, "aside.callout.pitfall img", "src"),
        ["training/fig.png"]
    );
    // And the anchors exist (checked for every page by check_references).
    check_references(&map, &[]);
}

#[test]
fn not_found_page_does_not_depend_on_its_url() {
    let (_tmp, map) = rendered(None);
    let doc = html(&map, "404.html");
    assert_eq!(texts(&doc, "h1"), ["Page not found"]);
    // No external stylesheet or script: the CSS is inlined, the script is inline.
    assert_eq!(doc.select(&sel("link[rel=stylesheet]")).count(), 0);
    assert_eq!(doc.select(&sel("script[src]")).count(), 0);
    let style = texts(&doc, "style").join("");
    assert!(style.contains("--bg"), "stylesheet inlined");
    let script = doc
        .select(&sel("script"))
        .map(|s| s.inner_html())
        .collect::<String>();
    assert!(script.contains("location") && script.contains("querySelectorAll(\"a[href]\")"));
    assert!(
        script.contains("\"training\""),
        "top-level names listed: {script}"
    );
    // Links are root-relative (the script prefixes the root found at view time).
    let hrefs = attrs(&doc, "main a[href]", "href");
    assert!(hrefs.contains(&"index.html".to_string()), "{hrefs:?}");
    assert!(hrefs.contains(&"pitfalls.html".to_string()), "{hrefs:?}");
}

#[test]
fn with_base_url_404_uses_absolute_links_and_a_sitemap_is_written() {
    let (_tmp, map) = rendered(Some("https://me.github.io/repo/"));
    let doc = html(&map, "404.html");
    let hrefs = attrs(&doc, "main a[href]", "href");
    assert!(
        hrefs.contains(&"https://me.github.io/repo/index.html".to_string()),
        "{hrefs:?}"
    );
    assert!(
        hrefs
            .iter()
            .all(|h| h.starts_with("https://me.github.io/repo/")),
        "{hrefs:?}"
    );
    assert_eq!(doc.select(&sel("link[rel=stylesheet]")).count(), 0);

    let sitemap = String::from_utf8(map[Path::new("sitemap.xml")].clone()).unwrap();
    assert!(sitemap.starts_with("<?xml"));
    assert_eq!(sitemap.matches("<url>").count(), 8, "{sitemap}");
    assert!(sitemap.contains("<loc>https://me.github.io/repo/training/deep/cnn.html</loc>"));
    assert!(sitemap.contains("<lastmod>2026-11-25</lastmod>"));
    // Canonical links on content pages; everything else stays relative.
    let speed = html(&map, "training/speed.html");
    assert_eq!(
        attrs(&speed, "link[rel=canonical]", "href"),
        ["https://me.github.io/repo/training/speed.html"]
    );
    check_references(&map, &["404.html"]);
}

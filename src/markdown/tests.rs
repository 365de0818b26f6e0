use super::*;
use crate::diagnostics::Diagnostics;
use crate::model::{Asset, FrontMatter, Section, SiteConfig};
use std::path::{Path, PathBuf};

/// A site in memory: `(source, text)` for markdown files (front matter included), plus assets.
fn site(files: &[(&str, &str)], assets: &[&str]) -> Site {
    let mut pages = Vec::new();
    let mut sections = vec![Section {
        dir: PathBuf::from("content"),
        index: Page {
            source: PathBuf::from("content/_index.md"),
            output: PathBuf::from("index.html"),
            front: FrontMatter {
                title: "Home".into(),
                search: true,
                ..Default::default()
            },
            front_lines: vec![],
            body: String::new(),
            body_line: 1,
            rendered: None,
        },
        pages: vec![],
        subsections: vec![],
    }];
    for (src, text) in files {
        let split = crate::load::split_front_matter(text).unwrap();
        let mut d = Diagnostics::new();
        let (front, front_lines) =
            crate::load::parse_front_matter(Path::new(src), split.yaml, split.yaml_line, &mut d);
        assert!(d.is_empty(), "{d}");
        let source = PathBuf::from(src);
        let page = Page {
            output: crate::load::output_of_markdown(&source),
            source,
            front,
            front_lines,
            body: split.body.to_string(),
            body_line: split.body_line,
            rendered: None,
        };
        if src.ends_with("_index.md") {
            let dir = Path::new(src).parent().unwrap().to_path_buf();
            if dir == Path::new("content") {
                sections[0].index = page;
            } else {
                sections.push(Section {
                    dir,
                    index: page,
                    pages: vec![],
                    subsections: vec![],
                });
            }
        } else {
            pages.push(page);
        }
    }
    Site {
        root: PathBuf::from("/nonexistent-benchbook-test-root"),
        config: SiteConfig {
            title: "T".into(),
            description: String::new(),
            author: String::new(),
            language: "en".into(),
            base_url: None,
            theme: "default".into(),
            search: true,
            print: true,
            smart_punctuation: true,
        },
        sections,
        pages,
        provenance: Vec::new(),
        assets: assets
            .iter()
            .map(|a| Asset {
                source: PathBuf::from(a),
                output: PathBuf::from(a)
                    .strip_prefix("content")
                    .unwrap()
                    .to_path_buf(),
            })
            .collect(),
    }
}

fn render_all(site: &mut Site) -> Result<(), Vec<String>> {
    render_site(site, None).map_err(|d| d.0.iter().map(|d| d.to_string()).collect())
}

fn first(site: &Site) -> &Rendered {
    site.pages[0].rendered.as_ref().unwrap()
}

#[test]
fn headings_get_stable_unique_ids_and_anchors() {
    let mut s = site(
        &[(
            "content/a.md",
            "---\ntitle: A\n---\n## Setup\n\ntext\n\n## Setup\n\n### Custom {#mine}\n\n## `code` & more\n",
        )],
        &[],
    );
    render_all(&mut s).unwrap();
    let r = first(&s);
    let ids: Vec<&str> = r.toc.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, vec!["setup", "setup-1", "mine", "code-more"]);
    assert_eq!(r.toc[2].level, 3);
    assert_eq!(r.toc[3].title, "code & more");
    assert!(r.html.contains("<h2 id=\"setup\">Setup <a class=\"anchor\" href=\"#setup\" aria-label=\"Permalink: Setup\">#</a></h2>"), "{}", r.html);
    assert!(
        r.html
            .contains("<h2 id=\"code-more\"><code>code</code> &amp; more"),
        "{}",
        r.html
    );
    // Stable: the same input gives the same ids.
    let again = anchors(&s.pages[0], options(&s.config));
    assert_eq!(again.len(), 4);
    assert!(again.contains("setup-1"));
}

#[test]
fn gfm_features() {
    let mut s = site(
        &[(
            "content/a.md",
            "---\ntitle: A\n---\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ \"quoted\"\n\n- [x] done\n\nNote[^1].\n\n[^1]: The note.\n\n<div class=\"raw\">kept</div>\n",
        )],
        &[],
    );
    render_all(&mut s).unwrap();
    let h = &first(&s).html;
    assert!(h.contains("<div class=\"table-wrap\">\n<table>"), "{h}");
    assert!(h.contains("<del>old</del>"), "{h}");
    assert!(h.contains("“quoted”"), "{h}");
    assert!(h.contains("type=\"checkbox\""), "{h}");
    assert!(h.contains("footnote"), "{h}");
    assert!(h.contains("<div class=\"raw\">kept</div>"), "{h}");
}

#[test]
fn callouts_and_pitfalls() {
    let mut s = site(
        &[(
            "content/a.md",
            "---\ntitle: A\n---\n## Timing\n\n> [!NOTE]\n> A note.\n\n> [!CAUTION]\n> Do not time the **first** step.\n\n> [!TIP]\n> Tip.\n\n> [!caution]\n> Second.\n",
        )],
        &[],
    );
    render_all(&mut s).unwrap();
    let r = first(&s);
    assert!(r
        .html
        .contains("<aside class=\"callout note\" role=\"note\" aria-label=\"Note\">"));
    assert!(r.html.contains("<aside class=\"callout tip\""));
    assert!(r.html.contains(
        "<aside class=\"callout pitfall\" id=\"pitfall-1\" role=\"note\" aria-label=\"Pitfall\">"
    ));
    assert!(r.html.contains("id=\"pitfall-2\""));
    assert_eq!(r.pitfalls.len(), 2);
    assert_eq!(r.pitfalls[0].id, "pitfall-1");
    assert_eq!(r.pitfalls[0].heading_id.as_deref(), Some("timing"));
    assert_eq!(r.pitfalls[0].heading.as_deref(), Some("Timing"));
    assert_eq!(r.pitfalls[0].text, "Do not time the first step.");
    assert!(r.pitfalls[0].html.contains("<strong>first</strong>"));
    assert!(!r.pitfalls[0].html.contains("aside"));
}

#[test]
fn links_are_checked_and_rewritten() {
    let mut s = site(
        &[
            (
                "content/training/speed.md",
                "---\ntitle: Speed\n---\n## Warm-up\n\nSee [intro](../intro.md), [sec](./), [img](plot.png), [top](/intro.md#start), [ext](https://x.org), [self](#warm-up), [html](../intro.html).\n",
            ),
            ("content/intro.md", "---\ntitle: Intro\n---\n# Start\n\n[speed](training/speed.md#warm-up) [folder](training/)\n"),
            ("content/training/_index.md", "---\ntitle: Training\n---\n"),
        ],
        &["content/training/plot.png"],
    );
    render_all(&mut s).unwrap();
    let h = &s.pages[0].rendered.as_ref().unwrap().html;
    for want in [
        "href=\"../intro.html\"",
        "href=\"index.html\"",
        "href=\"plot.png\"",
        "href=\"../intro.html#start\"",
        "href=\"https://x.org\"",
        "href=\"#warm-up\"",
    ] {
        assert!(h.contains(want), "{want} in {h}");
    }
    let h = &s.pages[1].rendered.as_ref().unwrap().html;
    assert!(h.contains("href=\"training/speed.html#warm-up\""), "{h}");
    assert!(h.contains("href=\"training/index.html\""), "{h}");
}

#[test]
fn github_style_anchors_point_at_our_ids() {
    // GitHub keeps `é` and `_` in heading anchors; our ids fold them. A link written against
    // GitHub's rendering still lands on the heading, rewritten to our id.
    let mut s = site(
        &[
            (
                "content/a.md",
                "---\ntitle: A\n---\n## Café au lait\n\n[here](#café-au-lait) [b](b.md#step_time-by-batch) [enc](b.md#na%C3%AFve-timing)\n",
            ),
            (
                "content/b.md",
                "---\ntitle: B\n---\n## step_time by batch\n\n## Naïve timing\n",
            ),
        ],
        &[],
    );
    render_all(&mut s).unwrap();
    let h = &s.pages[0].rendered.as_ref().unwrap().html;
    for want in [
        "id=\"cafe-au-lait\"",
        "href=\"#cafe-au-lait\"",
        "href=\"b.html#step-time-by-batch\"",
        "href=\"b.html#naive-timing\"",
    ] {
        assert!(h.contains(want), "{want} in {h}");
    }
}

#[test]
fn broken_links_report_file_line_column() {
    let mut s = site(
        &[(
            "content/a.md",
            "---\ntitle: A\n---\n## Here\n\nok [x](b.md)\n  and [y](b.md#nope) ![i](missing.png)\n[z](../../etc/passwd) [w](#gone)\n",
        ),
        ("content/b.md", "---\ntitle: B\n---\n## There\n")],
        &[],
    );
    let errs = render_all(&mut s).unwrap_err();
    assert_eq!(
        errs,
        vec![
            "content/a.md:7:7: broken link `b.md#nope`: content/b.md has no heading or anchor `nope`; expected one of: there",
            "content/a.md:7:22: broken image `missing.png`: content/missing.png does not exist; expected a page, folder or file under content/",
            "content/a.md:8:1: link `../../etc/passwd` leaves the site root; expected a path to a file under content/",
            "content/a.md:8:23: broken link `#gone`: this page has no heading or anchor `gone`; expected one of: here",
        ]
    );
}

#[test]
fn quizzes_render_and_count() {
    let mut s = site(
        &[(
            "content/a.md",
            "---\ntitle: A\n---\n## Q\n\n```quiz\nquestion: Which is **fast**?\nchoices:\n  - text: A\n    correct: true\n    explain: See [b](b.md).\n  - text: B\n```\n\n```quiz\nid: open-one\nquestion: Why?\nanswer: Because.\n```\n",
        ),
        ("content/b.md", "---\ntitle: B\n---\n")],
        &[],
    );
    render_all(&mut s).unwrap();
    let r = first(&s);
    assert_eq!(r.quiz_count, 2);
    assert!(r
        .html
        .contains("<form class=\"quiz\" data-quiz id=\"quiz-1\" data-kind=\"single\">"));
    assert!(
        r.html
            .contains("<legend class=\"quiz-question\">Which is <strong>fast</strong>?</legend>"),
        "{}",
        r.html
    );
    assert!(r.html.contains("href=\"b.html\""), "{}", r.html);
    assert!(r
        .html
        .contains("<div class=\"quiz quiz-open\" id=\"open-one\">"));
    assert!(anchors(&s.pages[0], options(&s.config)).contains("open-one"));
    assert!(anchors(&s.pages[0], options(&s.config)).contains("quiz-1"));
}

#[test]
fn quiz_errors_use_file_lines() {
    let mut s = site(
        &[(
            "content/a.md",
            "---\ntitle: A\n---\ntext\n\n```quiz\nquestion: Q\nchoices:\n  - text: A\n  - text: A\n```\n",
        )],
        &[],
    );
    let errs = render_all(&mut s).unwrap_err();
    assert_eq!(
        errs,
        vec![
            "content/a.md:8:1: quiz has no correct choice; expected at least one choice with `correct: true`",
            "content/a.md:10:5: quiz choice 2 repeats choice 1 (`A`); expected distinct choices",
        ]
    );
}

#[test]
fn code_is_highlighted_and_searchable() {
    let mut s = site(
        &[(
            "content/a.md",
            "---\ntitle: A\ndescription: Desc.\n---\nIntro text.\n\n## Code\n\n```python\nimport torch\n```\n",
        )],
        &[],
    );
    render_all(&mut s).unwrap();
    let r = first(&s);
    assert!(
        r.html.contains("<div class=\"code-lang\">Python</div>"),
        "{}",
        r.html
    );
    assert_eq!(r.summary, "Desc.");
    assert_eq!(r.sections.len(), 2);
    assert_eq!(r.sections[0].id, None);
    assert_eq!(r.sections[0].text, "Intro text.");
    assert_eq!(r.sections[1].id.as_deref(), Some("code"));
    assert!(r.sections[1].text.contains("import torch"));
}

#[test]
fn summary_is_the_first_paragraph() {
    let mut s = site(
        &[(
            "content/a.md",
            "---\ntitle: A\n---\n# Title\n\nFirst *para*\ngraph.\n\nSecond.\n",
        )],
        &[],
    );
    render_all(&mut s).unwrap();
    assert_eq!(first(&s).summary, "First para graph.");
    assert_eq!(summarise(&"word ".repeat(100), 20), "word word word word…");
}

#[test]
fn odd_inputs_never_panic() {
    let bodies = [
        "",
        "# \n\n## !!!\n\n## !!!\n",
        "[a](<>) [b](%zz) [c](#) [d](?q=1) [e](data:image/png;base64,AA) [f](./) [g](/)",
        "```quiz\n",
        "```\nunclosed",
        "> [!CAUTION]\n> > [!CAUTION]\n> > inner\n> outer\n",
        "> [!NOTE]\n> ```quiz\n> question: Q\n> answer: A\n> ```\n",
        "- item\n  ```quiz\n  question: Q\n  choices:\n    - text: a\n      correct: true\n    - text: b\n  ```\n",
        "```quiz\n- just\n- a list\n```\n",
        "```quiz\nquestion: Q\nchoices: 3\n```\n",
        "```quiz\nquestion: Q\nchoices:\n  - 1\n  - [x]\n```\n",
        "Setext\nheading\n===\n",
        "| a |\n|---|\n| [x](nope.md) |\n",
        "[^1]\n\n[^1]: [x](#nope)\n",
        "<div>\n\n[raw](nope.md)\n\n</div>\n",
        "## é ü 中文 {#ünï}\n\n[x](#%C3%BCn%C3%AF)\n",
    ];
    for body in bodies {
        let text = format!("---\ntitle: T\n---\n{body}");
        let mut s = site(&[("content/a.md", text.as_str())], &[]);
        let _ = render_site(&mut s, None);
    }
}

#[test]
fn email_and_extended_autolinks_are_links_and_not_checked_as_files() {
    let mut s = site(
        &[
            (
                "content/a.md",
                "---\ntitle: A\n---\nWrite to <foo@bar.example.com> or ops@example.org, see \
             www.example.com and https://example.net/x_(y). [A page](b.md).\n\n\
             > [!CAUTION]\n> Mirror at https://mirror.example.com.\n",
            ),
            ("content/b.md", "---\ntitle: B\n---\nB\n"),
        ],
        &[],
    );
    render_all(&mut s).unwrap();
    let html = &first(&s).html;
    for want in [
        r#"<a href="mailto:foo@bar.example.com">foo@bar.example.com</a>"#,
        r#"<a href="mailto:ops@example.org">ops@example.org</a>"#,
        r#"<a href="http://www.example.com">www.example.com</a>"#,
        r#"<a href="https://example.net/x_(y)">https://example.net/x_(y)</a>."#,
        r#"<a href="https://mirror.example.com">https://mirror.example.com</a>."#,
    ] {
        assert!(html.contains(want), "{want}\nin {html}");
    }
    assert!(
        first(&s).pitfalls[0]
            .html
            .contains("href=\"https://mirror.example.com\""),
        "pitfalls keep the links"
    );
    // A relative link is still checked.
    let mut broken = site(
        &[(
            "content/a.md",
            "---\ntitle: A\n---\n<a@b.example> [gone](gone.md)\n",
        )],
        &[],
    );
    let errors = render_all(&mut broken).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("gone.md"), "{errors:?}");
}

#[test]
fn smart_punctuation_can_be_turned_off() {
    let text = "---\ntitle: A\n---\n\"Quoted\" -- a------ ...\n";
    let mut on = site(&[("content/a.md", text)], &[]);
    render_all(&mut on).unwrap();
    assert!(
        first(&on).html.contains("“Quoted” – a——"),
        "{}",
        first(&on).html
    );
    let mut off = site(&[("content/a.md", text)], &[]);
    off.config.smart_punctuation = false;
    render_all(&mut off).unwrap();
    assert!(
        first(&off).html.contains("\"Quoted\" -- a------ ..."),
        "{}",
        first(&off).html
    );
}

#[test]
fn quiz_questions_keep_their_inline_markup_with_autolinks_and_smart_quotes() {
    let mut s = site(
        &[(
            "content/a.md",
            "---\ntitle: A\n---\n```quiz\nquestion: 'Is \"it\" at www.example.com?'\nchoices:\n  - text: 'Yes, see https://example.org.'\n    correct: true\n  - text: No\n```\n",
        )],
        &[],
    );
    render_all(&mut s).unwrap();
    let html = &first(&s).html;
    assert!(
        html.contains("<legend class=\"quiz-question\">Is “it” at <a href=\"http://www.example.com\">www.example.com</a>?</legend>"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"https://example.org\">https://example.org</a>."),
        "{html}"
    );
}

//! Building the valid fixture sites and checking the HTML structurally.

use crate::common;
use common::{sel, Site};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn html_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect()
}

fn ids(doc: &scraper::Html) -> HashSet<String> {
    doc.select(&sel("[id]"))
        .map(|e| e.value().attr("id").unwrap().to_string())
        .collect()
}

#[test]
fn builds_pages_sections_and_assets() {
    let site = Site::copy("valid", "basic");
    let report = site.build().unwrap();
    // Root, training section, intro, speed (the draft is left out).
    assert_eq!(report.pages, 4);
    for f in [
        "index.html",
        "intro.html",
        "training/index.html",
        "training/speed.html",
        "training/plot.svg",
        "img/plot.svg",
    ] {
        assert!(site.public().join(f).is_file(), "{f} missing");
    }
    assert!(!site.public().join("training/draft.html").exists());
    // A folder of images only is not a section.
    assert!(!site.public().join("img/index.html").exists());

    let with_drafts = benchbook::build::build_site(
        &site.root(),
        &site.public(),
        &benchbook::build::BuildOptions {
            drafts: true,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    assert_eq!(with_drafts.pages, 5);
    assert!(site.public().join("training/draft.html").is_file());
}

#[test]
fn every_relative_link_and_image_resolves_to_a_real_file_and_anchor() {
    let site = Site::copy("valid", "basic");
    site.build().unwrap();
    let public = site.public();
    let mut checked = 0;
    for file in html_files(&public) {
        let doc = scraper::Html::parse_document(&std::fs::read_to_string(&file).unwrap());
        for (el, attr) in doc
            .select(&sel("a[href]"))
            .map(|e| (e, "href"))
            .chain(doc.select(&sel("[src]")).map(|e| (e, "src")))
            .chain(doc.select(&sel("link[href]")).map(|e| (e, "href")))
        {
            let url = el.value().attr(attr).unwrap();
            if url.contains("://") || url.starts_with("mailto:") || url.starts_with("data:") {
                continue;
            }
            assert!(
                !url.starts_with('/'),
                "{}: absolute link {url}",
                file.display()
            );
            let (path, frag) = url.split_once('#').unwrap_or((url, ""));
            let target = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            assert!(
                target.is_file(),
                "{}: {url} does not resolve to a file",
                file.display()
            );
            if !frag.is_empty() && target.extension().is_some_and(|x| x == "html") {
                let t = scraper::Html::parse_document(&std::fs::read_to_string(&target).unwrap());
                assert!(
                    ids(&t).contains(frag),
                    "{}: {url}: no id {frag} in target",
                    file.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} links checked");

    // The links written in markdown were rewritten from sources to outputs.
    let intro = site.html("intro.html");
    let hrefs: HashSet<&str> = intro
        .select(&sel(".page-body a[href], .page-body img[src]"))
        .filter_map(|e| e.value().attr("href").or(e.value().attr("src")))
        .collect();
    assert!(hrefs.contains("training/speed.html#warm-up"), "{hrefs:?}");
    assert!(hrefs.contains("img/plot.svg"), "{hrefs:?}");
    let speed = site.html("training/speed.html");
    let hrefs: HashSet<&str> = speed
        .select(&sel(".page-body a[href]"))
        .filter_map(|e| e.value().attr("href"))
        .collect();
    assert!(hrefs.contains("plot.svg"), "{hrefs:?}");
    assert!(hrefs.contains("../index.html"), "{hrefs:?}");
}

#[test]
fn headings_have_ids_anchor_links_and_a_toc() {
    let site = Site::copy("valid", "basic");
    site.build().unwrap();
    let doc = site.html("intro.html");
    let headings: Vec<_> = doc
        .select(&sel(".page-body h1, .page-body h2, .page-body h3"))
        .collect();
    let ids: Vec<&str> = headings
        .iter()
        .map(|h| h.value().attr("id").unwrap())
        .collect();
    assert_eq!(ids, vec!["overview", "setup", "setup-1"]);
    for h in &headings {
        let id = h.value().attr("id").unwrap();
        let a = h
            .select(&sel("a.anchor"))
            .next()
            .unwrap_or_else(|| panic!("no anchor in #{id}"));
        assert_eq!(a.value().attr("href"), Some(format!("#{id}").as_str()));
        assert!(a
            .value()
            .attr("aria-label")
            .unwrap()
            .starts_with("Permalink"));
    }
    // The explicit {#warm-up} id is kept.
    let speed = site.html("training/speed.html");
    assert_eq!(speed.select(&sel("h2#warm-up")).count(), 1);
    // The table of contents links to every heading.
    let toc: HashSet<&str> = doc
        .select(&sel("nav a[href^='#']"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    for id in ["#overview", "#setup", "#setup-1"] {
        assert!(toc.contains(id), "{id} not in toc {toc:?}");
    }
}

#[test]
fn quizzes_are_accessible_forms_with_a_no_js_answer() {
    let site = Site::copy("valid", "basic");
    site.build().unwrap();
    let doc = site.html("intro.html");
    let form = doc
        .select(&sel("form.quiz[data-quiz]#quiz-1"))
        .next()
        .unwrap();
    assert_eq!(
        form.select(&sel("fieldset > legend.quiz-question strong"))
            .next()
            .unwrap()
            .inner_html(),
        "discarded"
    );
    let inputs: Vec<_> = form.select(&sel("input[type=radio]")).collect();
    assert_eq!(inputs.len(), 2);
    for input in &inputs {
        let id = input.value().attr("id").unwrap();
        assert_eq!(
            form.select(&sel(&format!("label[for='{id}']"))).count(),
            1,
            "label for {id}"
        );
        assert_eq!(input.value().attr("name"), Some("quiz-1"));
    }
    assert!(inputs[0].value().attr("data-correct").is_some());
    assert!(inputs[1].value().attr("data-correct").is_none());
    assert_eq!(form.select(&sel("button.quiz-check")).count(), 1);
    assert_eq!(form.select(&sel("[aria-live=polite]")).count(), 1);
    let answer = form.select(&sel("details.quiz-answer")).next().unwrap();
    assert!(answer.select(&sel("summary")).next().is_some());
    let answer_text: String = answer.text().collect();
    assert!(answer_text.contains("The warm-up iterations"));
    assert!(answer_text.contains("They include one-off costs."));
    assert!(answer_text.contains("Nothing special happens at the end."));

    // Several correct choices → checkboxes; an explicit id; an open question.
    let speed = site.html("training/speed.html");
    let multi = speed.select(&sel("form.quiz#both-right")).next().unwrap();
    assert_eq!(multi.select(&sel("input[type=checkbox]")).count(), 3);
    assert_eq!(multi.select(&sel("input[data-correct]")).count(), 2);
    let open = speed.select(&sel(".quiz.quiz-open#quiz-2")).next().unwrap();
    let text: String = open
        .select(&sel("details.quiz-answer"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(text.contains("compete for the CPU"));
}

#[test]
fn pitfalls_are_boxes_gathered_on_the_pitfalls_page() {
    let site = Site::copy("valid", "basic");
    site.build().unwrap();
    let doc = site.html("intro.html");
    let aside = doc
        .select(&sel("aside.callout.pitfall#pitfall-1"))
        .next()
        .unwrap();
    assert_eq!(aside.value().attr("role"), Some("note"));
    assert_eq!(aside.value().attr("aria-label"), Some("Pitfall"));
    assert!(aside
        .text()
        .collect::<String>()
        .contains("Never time the first iteration"));
    assert_eq!(doc.select(&sel("aside.callout.note")).count(), 1);

    let pitfalls = site.html("pitfalls.html");
    let hrefs: Vec<&str> = pitfalls
        .select(&sel("a[href]"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(hrefs.contains(&"intro.html#pitfall-1"), "{hrefs:?}");
    assert!(
        hrefs.contains(&"training/speed.html#pitfall-1"),
        "{hrefs:?}"
    );
    let text: String = pitfalls.root_element().text().collect();
    assert!(text.contains("Compare medians, not single runs."));
}

#[test]
fn code_is_highlighted_at_build_time_with_a_label() {
    let site = Site::copy("valid", "basic");
    site.build().unwrap();
    let doc = site.html("intro.html");
    let block = doc
        .select(&sel(".code-block[data-lang=rust]"))
        .next()
        .unwrap();
    assert_eq!(
        block
            .select(&sel(".code-lang"))
            .next()
            .unwrap()
            .inner_html(),
        "Rust"
    );
    assert!(block.select(&sel("pre code span[class^='hl-']")).count() > 3);
}

#[test]
fn a_rebuild_replaces_the_whole_output() {
    let site = Site::copy("valid", "basic");
    site.build().unwrap();
    std::fs::remove_file(site.root().join("content/training/plot.svg")).unwrap();
    site.write(
        "content/training/speed.md",
        "---\ntitle: Speed\n---\n## Warm-up\n\nNo plot any more.\n",
    );
    site.build().unwrap();
    assert!(!site.public().join("training/plot.svg").exists());
    let leftovers: Vec<_> = std::fs::read_dir(site.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".public"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn check_site_writes_nothing() {
    let site = Site::copy("valid", "basic");
    let report = benchbook::build::check_site(&site.root(), &Default::default()).unwrap();
    assert_eq!(report.pages, 4);
    assert!(report.out_dir.is_none());
    assert!(!site.public().exists());
}

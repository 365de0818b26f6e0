//! Themes: the compiled-in default, a theme on disk, the site's template overrides, and
//! the errors for a bad theme name or template.

use crate::render_support;

use benchbook::render::{render, Theme};
use render_support::*;
use std::path::Path;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn default_theme_is_compiled_in() {
    let tmp = tempfile::tempdir().unwrap();
    let site = sample_site(tmp.path(), None);
    assert!(!tmp.path().join("themes").exists());
    let theme = Theme::load(&site).unwrap();
    for t in [
        "base.html",
        "page.html",
        "section.html",
        "index.html",
        "pitfalls.html",
        "404.html",
    ] {
        assert!(theme.has_template(t), "{t}");
    }
    let map = outputs(&render(&site, None).unwrap().files);
    let css = &map[Path::new("static/style.css")];
    assert_eq!(
        css.as_slice(),
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/themes/default/static/style.css"
        ))
        .unwrap()
        .as_slice()
    );
}

#[test]
fn site_template_overrides_the_theme_and_front_matter_picks_a_template() {
    let tmp = tempfile::tempdir().unwrap();
    let mut site = sample_site(tmp.path(), None);
    write(
        tmp.path(),
        "templates/page.html",
        "{% extends \"base.html\" %}{% block main %}<h1 class=\"mine\">{{ page.title }}</h1>{% endblock main %}",
    );
    write(
        tmp.path(),
        "templates/wide.html",
        "{% extends \"base.html\" %}{% block main %}<h1 class=\"wide\">{{ page.title }}</h1>{{ page.html | safe }}{% endblock main %}",
    );
    site.pages[1].front.template = Some("wide.html".into());
    let map = outputs(&render(&site, None).unwrap().files);
    let speed = html(&map, "training/speed.html");
    assert_eq!(texts(&speed, "h1.mine"), ["Speed"]);
    // The rest of the theme (base.html) is still the default one.
    assert_eq!(speed.select(&sel("nav.sidebar")).count(), 1);
    let memory = html(&map, "training/memory.html");
    assert_eq!(texts(&memory, "h1.wide"), ["Memory"]);
    assert_eq!(memory.select(&sel("h1.mine")).count(), 0);
}

#[test]
fn theme_on_disk_is_used_with_its_static_files() {
    let tmp = tempfile::tempdir().unwrap();
    let mut site = sample_site(tmp.path(), None);
    site.config.theme = "plain".into();
    for t in [
        "index.html",
        "section.html",
        "page.html",
        "pitfalls.html",
        "404.html",
    ] {
        write(
            tmp.path(),
            &format!("themes/plain/templates/{t}"),
            "{% extends \"base.html\" %}{% block body %}<h1>{{ page.title }}</h1>{% endblock body %}",
        );
    }
    write(
        tmp.path(),
        "themes/plain/templates/base.html",
        "<!DOCTYPE html><html lang=\"{{ site.language }}\"><head><title>{{ page.title }}</title>\
         <link rel=\"stylesheet\" href=\"{{ root }}static/css/plain.css\"></head>\
         <body>{% block body %}{% endblock body %}</body></html>",
    );
    write(
        tmp.path(),
        "themes/plain/static/css/plain.css",
        "body{color:black}",
    );
    let map = outputs(&render(&site, None).unwrap().files);
    assert!(map.contains_key(Path::new("static/css/plain.css")));
    assert!(!map.contains_key(Path::new("static/quiz.js")));
    let doc = html(&map, "training/deep/cnn.html");
    assert_eq!(attrs(&doc, "link", "href"), ["../../static/css/plain.css"]);
    check_references(&map, &[]);
}

#[test]
fn unknown_theme_points_at_its_line_in_site_yaml() {
    let tmp = tempfile::tempdir().unwrap();
    let mut site = sample_site(tmp.path(), None);
    write_site_yaml(tmp.path(), "title: T\n# the look\ntheme: fancy\n");
    site.config.theme = "fancy".into();
    let err = render(&site, None).unwrap_err().to_string();
    assert!(
        err.starts_with("site.yaml:3:1: unknown theme `fancy`; expected `default` or the name of a directory under themes/"),
        "{err}"
    );
}

#[test]
fn template_syntax_errors_name_file_line_and_column_all_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let site = sample_site(tmp.path(), None);
    write(tmp.path(), "templates/page.html", "{% extends \"base.html\" %}\n{% block main %}\n<p>{{ page.title </p>\n{% endblock main %}\n");
    write(
        tmp.path(),
        "templates/section.html",
        "{% extends \"base.html\" %}\n{% block main %}{% if %}{% endblock main %}\n",
    );
    let err = render(&site, None).unwrap_err();
    let all = err.to_string();
    assert_eq!(err.len(), 2, "{all}");
    let lines: Vec<&str> = all.lines().collect();
    assert!(lines[0].starts_with("templates/page.html:3:"), "{all}");
    assert!(
        lines[0].contains("template syntax error; expected"),
        "{all}"
    );
    assert!(lines[1].starts_with("templates/section.html:2:"), "{all}");
}

#[test]
fn template_render_errors_name_the_template() {
    let tmp = tempfile::tempdir().unwrap();
    let site = sample_site(tmp.path(), None);
    write(
        tmp.path(),
        "templates/page.html",
        "{% extends \"base.html\" %}\n{% block main %}\n<p>{{ page.no_such_field }}</p>\n{% endblock main %}\n",
    );
    let err = render(&site, None).unwrap_err();
    let all = err.to_string();
    // One error, not one per page.
    assert_eq!(err.clone().sorted().len(), 1, "{all}");
    assert!(all.starts_with("templates/page.html:3:"), "{all}");
    assert!(all.contains("page.no_such_field"), "{all}");
}

#[test]
fn unknown_front_matter_template_points_at_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let mut site = sample_site(tmp.path(), None);
    site.pages[0].front.template = Some("nope.html".into());
    site.pages[0].front_lines.push(("template".into(), 5));
    let err = render(&site, None).unwrap_err().to_string();
    assert!(
        err.starts_with("content/training/speed.md:5:1: unknown template `nope.html`; expected one of 404.html, base.html"),
        "{err}"
    );
}

#[test]
fn missing_required_template_in_a_theme_on_disk_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut site = sample_site(tmp.path(), None);
    site.config.theme = "half".into();
    write(
        tmp.path(),
        "themes/half/templates/base.html",
        "<html></html>",
    );
    let err = render(&site, None).unwrap_err();
    let all = err.to_string();
    assert_eq!(err.len(), 5, "{all}");
    assert!(
        all.contains("themes/half/templates/page.html:0:0: theme `half` has no template page.html"),
        "{all}"
    );
}

#[test]
fn a_partial_default_theme_on_disk_replaces_only_its_own_files() {
    let tmp = tempfile::tempdir().unwrap();
    let site = sample_site(tmp.path(), None);
    write(
        tmp.path(),
        "themes/default/static/style.css",
        "body{color:red}",
    );
    write(
        tmp.path(),
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block main %}<h1 class=\"disk\">{{ page.title }}</h1>{% endblock main %}",
    );
    let map = outputs(&render(&site, None).unwrap().files);
    assert_eq!(map[Path::new("static/style.css")], b"body{color:red}");
    assert!(
        map.contains_key(Path::new("static/quiz.js")),
        "the rest stays compiled in"
    );
    let doc = html(&map, "training/speed.html");
    assert_eq!(texts(&doc, "h1.disk"), ["Speed"]);
    assert_eq!(doc.select(&sel("nav.sidebar")).count(), 1);
}

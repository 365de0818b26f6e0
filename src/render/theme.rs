//! Themes: Tera templates and static files, parsed once per build.
//!
//! A theme is `themes/<name>/templates/*.html` plus `themes/<name>/static/**`, looked up
//! in the site root. The default theme is also compiled into the binary, so a site
//! without a `themes/` directory (what `benchbook init` makes) still builds. Any file in
//! the site's own `templates/` replaces the theme's template of the same name, and may
//! add new ones (chosen with the front matter key `template`).

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::Site;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tera::Tera;
use walkdir::WalkDir;

/// The templates every theme must provide.
pub const REQUIRED_TEMPLATES: &[&str] = &[
    "base.html",
    "index.html",
    "section.html",
    "page.html",
    "pitfalls.html",
    "404.html",
];

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../themes/default/", $name)) as &[u8])),*]
    };
}

/// The default theme, compiled in: (path inside the theme, contents).
pub const DEFAULT_THEME: &[(&str, &[u8])] = embedded![
    "templates/base.html",
    "templates/macros.html",
    "templates/index.html",
    "templates/section.html",
    "templates/page.html",
    "templates/pitfalls.html",
    "templates/provenance.html",
    "templates/404.html",
    "templates/sidebar.html",
    "static/style.css",
    "static/quiz.js",
    "static/theme.js",
    "static/search.js",
    "static/search.css",
];

/// Where a template's text came from, for error messages.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    /// Relative to the site root (`templates/page.html`, `themes/default/templates/page.html`).
    pub path: PathBuf,
    pub text: String,
}

/// A theme's static file, copied under `static/` in the output.
#[derive(Debug, Clone)]
pub enum StaticFile {
    /// On disk (absolute path).
    Disk { rel: PathBuf, from: PathBuf },
    /// Compiled into the binary.
    Embedded { rel: PathBuf, bytes: &'static [u8] },
}

impl StaticFile {
    /// Path below `static/`.
    pub fn rel(&self) -> &Path {
        match self {
            StaticFile::Disk { rel, .. } | StaticFile::Embedded { rel, .. } => rel,
        }
    }
    /// The contents (reads the file for a theme on disk).
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        match self {
            StaticFile::Disk { from, .. } => std::fs::read(from),
            StaticFile::Embedded { bytes, .. } => Ok(bytes.to_vec()),
        }
    }
}

/// A parsed theme, ready to render any number of pages (shared across threads).
pub struct Theme {
    pub name: String,
    pub tera: Tera,
    /// Template name → where its text came from.
    pub sources: BTreeMap<String, TemplateSource>,
    pub static_files: Vec<StaticFile>,
}

impl std::fmt::Debug for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Theme")
            .field("name", &self.name)
            .field("templates", &self.sources.keys().collect::<Vec<_>>())
            .field("static_files", &self.static_files.len())
            .finish()
    }
}

/// Line (1-based) of the `theme:` key in `site.yaml`, or 1 when it cannot be found.
fn site_key_line(site: &Site, key: &str) -> usize {
    let text = std::fs::read_to_string(site.root.join("site.yaml")).unwrap_or_default();
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
        .unwrap_or(1)
}

impl Theme {
    /// Load the site's theme and its template overrides, reporting every problem found.
    pub fn load(site: &Site) -> Result<Theme, Diagnostics> {
        let mut diags = Diagnostics::new();
        let name = site.config.theme.clone();
        let theme_rel = PathBuf::from("themes").join(&name);
        let theme_dir = site.root.join(&theme_rel);
        let mut sources: BTreeMap<String, TemplateSource> = BTreeMap::new();
        let mut static_files = Vec::new();

        let valid_name =
            !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..";
        let on_disk = valid_name && theme_dir.is_dir();
        // The default theme is compiled in; a `themes/default/` on disk replaces any of its
        // files (so the repository's own theme is used live, without recompiling).
        if name == "default" {
            for (path, bytes) in DEFAULT_THEME {
                if let Some(t) = path.strip_prefix("templates/") {
                    sources.insert(
                        t.to_string(),
                        TemplateSource {
                            path: theme_rel.join(path),
                            text: String::from_utf8_lossy(bytes).into_owned(),
                        },
                    );
                } else if let Some(s) = path.strip_prefix("static/") {
                    static_files.push(StaticFile::Embedded {
                        rel: PathBuf::from(s),
                        bytes,
                    });
                }
            }
        } else if !on_disk {
            let line = site_key_line(site, "theme");
            diags.error(
                "site.yaml",
                line,
                1,
                format!(
                    "unknown theme `{name}`; expected `default` or the name of a directory \
                     under themes/ (no {} found)",
                    theme_rel.display()
                ),
            );
            return Err(diags);
        }

        if on_disk {
            read_dir_templates(
                &site.root,
                &theme_dir.join("templates"),
                &theme_rel.join("templates"),
                &mut sources,
                &mut diags,
            );
            let static_dir = theme_dir.join("static");
            if static_dir.is_dir() {
                for entry in WalkDir::new(&static_dir).sort_by_file_name() {
                    match entry {
                        Ok(e) if e.file_type().is_file() => {
                            let rel = e
                                .path()
                                .strip_prefix(&static_dir)
                                .unwrap_or(e.path())
                                .to_path_buf();
                            static_files.retain(|f| f.rel() != rel.as_path());
                            static_files.push(StaticFile::Disk {
                                rel,
                                from: e.path().to_path_buf(),
                            });
                        }
                        Ok(_) => {}
                        Err(err) => diags.push(walk_error(&site.root, &err)),
                    }
                }
            }
        }

        // The site's own templates/ override the theme's.
        read_dir_templates(
            &site.root,
            &site.root.join("templates"),
            Path::new("templates"),
            &mut sources,
            &mut diags,
        );

        for required in REQUIRED_TEMPLATES {
            if !sources.contains_key(*required) {
                diags.error(
                    theme_rel.join("templates").join(required),
                    0,
                    0,
                    format!(
                        "theme `{name}` has no template {required}; expected \
                         {}/templates/{required} or templates/{required}",
                        theme_rel.display()
                    ),
                );
            }
        }

        let tera = parse_templates(&sources, &mut diags);
        match tera {
            Some(tera) if diags.is_empty() => Ok(Theme {
                name,
                tera,
                sources,
                static_files,
            }),
            _ => Err(diags),
        }
    }

    /// Whether a template of this name exists (theme or site override).
    pub fn has_template(&self, name: &str) -> bool {
        self.sources.contains_key(name)
    }

    /// A static file of the theme by its path below `static/`.
    pub fn static_file(&self, rel: &str) -> Option<&StaticFile> {
        self.static_files.iter().find(|f| f.rel() == Path::new(rel))
    }

    /// Turn a Tera rendering error into a diagnostic naming the template file and,
    /// where the failing variable or name can be found in its text, the line and column.
    pub fn render_error(&self, template: &str, err: &tera::Error) -> Diagnostic {
        let mut messages = Vec::new();
        let mut cur: Option<&dyn std::error::Error> = Some(err);
        while let Some(e) = cur {
            messages.push(e.to_string());
            cur = e.source();
        }
        let detail = messages
            .last()
            .cloned()
            .unwrap_or_else(|| "unknown error".into());
        // The innermost message often names the template it happened in: `... 'base.html'`.
        let inner_tpl = quoted(&detail, '\'')
            .filter(|t| self.sources.contains_key(t.as_str()))
            .unwrap_or_else(|| template.to_string());
        let needle = quoted(&detail, '`');
        let mut chain = vec![inner_tpl.clone()];
        chain.push(template.to_string());
        for t in self.sources.keys() {
            chain.push(t.clone());
        }
        let mut found = None;
        if let Some(needle) = &needle {
            for t in &chain {
                if let Some(src) = self.sources.get(t) {
                    if let Some((l, c)) = find_in(&src.text, needle) {
                        found = Some((src.path.clone(), l, c));
                        break;
                    }
                }
            }
        }
        let (path, line, col) = found.unwrap_or_else(|| {
            let path = self
                .sources
                .get(&inner_tpl)
                .map(|s| s.path.clone())
                .unwrap_or_else(|| PathBuf::from(&inner_tpl));
            (path, 0, 0)
        });
        Diagnostic::new(
            path,
            line,
            col,
            format!(
                "template error while rendering {template}: {}; expected a template that only \
                 uses what benchbook provides: site, page, nav, root, section (index.html, \
                 section.html), pitfall_groups (pitfalls.html), not_found (404.html), \
                 generator",
                detail.trim()
            ),
        )
    }
}

/// The first `q`-quoted word in `s` (e.g. a variable name in backticks).
fn quoted(s: &str, q: char) -> Option<String> {
    let start = s.find(q)? + q.len_utf8();
    let len = s[start..].find(q)?;
    Some(s[start..start + len].to_string())
}

/// 1-based line and column of the first occurrence of `needle` inside a Tera tag.
fn find_in(text: &str, needle: &str) -> Option<(usize, usize)> {
    for (i, line) in text.lines().enumerate() {
        if let Some(c) = line.find(needle) {
            return Some((i + 1, line[..c].chars().count() + 1));
        }
    }
    None
}

fn walk_error(root: &Path, err: &walkdir::Error) -> Diagnostic {
    let path = err
        .path()
        .map(|p| p.strip_prefix(root).unwrap_or(p).to_path_buf())
        .unwrap_or_default();
    Diagnostic::new(
        path,
        0,
        0,
        format!("cannot read this theme or template file: {err}; expected a readable file"),
    )
}

/// Read every file below `dir` as a template named by its path below `dir`.
fn read_dir_templates(
    root: &Path,
    dir: &Path,
    rel_dir: &Path,
    sources: &mut BTreeMap<String, TemplateSource>,
    diags: &mut Diagnostics,
) {
    if !dir.is_dir() {
        return;
    }
    for entry in WalkDir::new(dir).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                diags.push(walk_error(root, &err));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let path = rel_dir.join(rel);
        match std::fs::read_to_string(entry.path()) {
            Ok(text) => {
                sources.insert(name, TemplateSource { path, text });
            }
            Err(err) => diags.error(
                path,
                0,
                0,
                format!("cannot read template: {err}; expected a readable UTF-8 file"),
            ),
        }
    }
}

/// Parse every template on its own first, so that every syntax error is reported with its
/// file and position, then link them (inheritance, macro imports) in one Tera instance.
fn parse_templates(
    sources: &BTreeMap<String, TemplateSource>,
    diags: &mut Diagnostics,
) -> Option<Tera> {
    let mut ok = true;
    for (name, src) in sources {
        if let Err(err) = tera::Template::new(name, None, &src.text) {
            ok = false;
            diags.push(parse_diagnostic(src, &err));
        }
    }
    if !ok {
        return None;
    }
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".xml", ".htm"]);
    // `&<>"'` only: Tera's default also escapes `/`, which would turn every relative URL
    // into `..&#x2F;a&#x2F;b.html`.
    tera.set_escape_fn(crate::html::escape);
    match tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.text.as_str()))) {
        Ok(()) => Some(tera),
        Err(err) => {
            diags.push(link_diagnostic(sources, &err));
            None
        }
    }
}

/// A syntax error: Tera (pest) reports ` --> line:col` and an `= expected ...` note.
fn parse_diagnostic(src: &TemplateSource, err: &tera::Error) -> Diagnostic {
    let mut text = String::new();
    let mut cur: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = cur {
        text.push_str(&e.to_string());
        text.push('\n');
        cur = e.source();
    }
    let mut line = 0;
    let mut col = 0;
    if let Some(pos) = text.find("--> ") {
        let rest = &text[pos + 4..];
        let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        let mut it = rest[..end].split(':');
        line = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        col = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    }
    let expected = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("= "))
        .map(str::to_string)
        .unwrap_or_else(|| {
            text.lines()
                .last()
                .unwrap_or("a valid Tera template")
                .to_string()
        });
    Diagnostic::new(
        &src.path,
        line,
        col,
        format!("template syntax error; {expected}"),
    )
}

/// An error linking templates: a missing parent, an import of a missing file, a loop.
fn link_diagnostic(sources: &BTreeMap<String, TemplateSource>, err: &tera::Error) -> Diagnostic {
    let msg = err.to_string();
    let (tpl, missing) = match &err.kind {
        tera::ErrorKind::MissingParent { current, parent } => {
            (Some(current.clone()), Some(parent.clone()))
        }
        tera::ErrorKind::CircularExtend { tpl, .. } => (Some(tpl.clone()), None),
        _ => (quoted(&msg, '\''), quoted(&msg, '`')),
    };
    let src = tpl.as_ref().and_then(|t| sources.get(t));
    let (path, line, col) = match src {
        Some(s) => {
            let (l, c) = missing
                .as_ref()
                .and_then(|m| find_in(&s.text, m))
                .unwrap_or((0, 0));
            (s.path.clone(), l, c)
        }
        None => (PathBuf::from("templates"), 0, 0),
    };
    Diagnostic::new(
        path,
        line,
        col,
        format!("{msg}; expected every extended or imported template to exist in the theme or templates/"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_has_line_and_column() {
        let src = TemplateSource {
            path: "templates/page.html".into(),
            text: "<p>\n{{ page.title \n{% if %}</p>".into(),
        };
        let mut sources = BTreeMap::new();
        sources.insert("page.html".to_string(), src);
        let mut d = Diagnostics::new();
        assert!(parse_templates(&sources, &mut d).is_none());
        let d = &d.0[0];
        assert_eq!(d.path, PathBuf::from("templates/page.html"));
        assert!(d.line >= 2, "{d}");
        assert!(d.column > 0, "{d}");
        assert!(d.message.contains("expected"), "{d}");
    }

    #[test]
    fn missing_parent_points_at_extends() {
        let mut sources = BTreeMap::new();
        sources.insert(
            "page.html".to_string(),
            TemplateSource {
                path: "templates/page.html".into(),
                text: "\n{% extends \"nope.html\" %}".into(),
            },
        );
        let mut d = Diagnostics::new();
        assert!(parse_templates(&sources, &mut d).is_none());
        assert_eq!(d.0[0].line, 2, "{}", d.0[0]);
        assert!(d.0[0].message.contains("nope.html"));
    }
}

//! Relative URLs between output files: the URL helpers of the render stage and of the print
//! edition (`crate::print`).
//!
//! Every link the theme writes is relative (`../training/speed.html`) and points at a real
//! file, so the same output works from file:// and under any sub-path.

use lol_html::{element, rewrite_str, RewriteStrSettings};
use std::path::{Component, Path};

/// `../` repeated once per directory above `output` (`a/b/c.html` → `../../`).
pub fn root_prefix(output: &Path) -> String {
    let depth = output
        .parent()
        .map(|p| {
            p.components()
                .filter(|c| matches!(c, Component::Normal(_)))
                .count()
        })
        .unwrap_or(0);
    "../".repeat(depth)
}

/// An output path as a URL path: `/`-separated, each segment percent-encoded where needed.
pub fn url_path(output: &Path) -> String {
    output
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(encode_segment(&s.to_string_lossy())),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encode the characters that would change a URL path segment's meaning.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' ' | '"' | '#' | '%' | '<' | '>' | '?' | '\\' | '^' | '`' | '{' | '|' | '}' | '\'' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether a URL is relative to the current document (not `http:`, `/x`, `//x`, `#x`, …).
pub fn is_document_relative(url: &str) -> bool {
    if url.is_empty() || url.starts_with(['/', '#', '?']) {
        return false;
    }
    // A scheme: letters, digits, `+-.` then `:` before any `/?#`.
    match url.find([':', '/', '?', '#']) {
        Some(i) if url.as_bytes()[i] == b':' => {
            i == 0
                || !url[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        _ => true,
    }
}

/// The directory of a root-relative URL path (`training/speed.html` → `training`, a page at
/// the root → `""`).
pub fn url_dir(url: &str) -> &str {
    match url.rfind('/') {
        Some(i) => &url[..i],
        None => "",
    }
}

/// A URL written in a page of the root-relative directory `dir`, made root-relative
/// ([`join_url`]); `None` for a URL that is not relative to the document (see
/// [`is_document_relative`]), which stays as it is.
pub fn rebase_url(dir: &str, url: &str) -> Option<String> {
    is_document_relative(url).then(|| join_url(dir, url))
}

/// Join a root-relative directory (`a/b`) and a relative URL (`../c.html#x`), resolving
/// `.` and `..`, into a root-relative URL (`a/c.html#x`). A folder keeps its trailing `/`,
/// except the root itself, which is `""` (never `/`, which would leave the site).
pub fn join_url(dir: &str, rel: &str) -> String {
    let (path, suffix) = match rel.find(['?', '#']) {
        Some(i) => (&rel[..i], &rel[i..]),
        None => (rel, ""),
    };
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    let mut ups = 0usize;
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    ups += 1;
                }
            }
            s => parts.push(s),
        }
    }
    let mut out = "../".repeat(ups);
    out.push_str(&parts.join("/"));
    if path.ends_with('/') && !parts.is_empty() {
        out.push('/');
    }
    out.push_str(suffix);
    out
}

/// Move an HTML fragment written for the page `from` (root-relative URL path, e.g.
/// `training/speed.html`) onto a page at the site root: relative `href`/`src` values are
/// rebased, in-page anchors (`#x`) point back at `from`, and `id` attributes are dropped so
/// that fragments gathered from many pages cannot clash. Rewritten with `lol_html`.
pub fn rebase_fragment(html: &str, from: &str) -> String {
    let dir = url_dir(from);
    let rebase = |v: &str| -> Option<String> {
        if v.starts_with('#') {
            Some(format!("{from}{v}"))
        } else {
            rebase_url(dir, v)
        }
    };
    let result = rewrite_str(
        html,
        RewriteStrSettings {
            element_content_handlers: vec![element!("*", |el| {
                el.remove_attribute("id");
                for attr in ["href", "src"] {
                    if let Some(new) = el.get_attribute(attr).and_then(|v| rebase(&v)) {
                        el.set_attribute(attr, &new)?;
                    }
                }
                Ok(())
            })],
            ..RewriteStrSettings::new()
        },
    );
    // The rewriter only fails on a handler error (an invalid attribute) or a memory limit.
    result.unwrap_or_else(|_| html.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_prefixes() {
        assert_eq!(root_prefix(Path::new("index.html")), "");
        assert_eq!(root_prefix(Path::new("a/index.html")), "../");
        assert_eq!(root_prefix(Path::new("a/b/c.html")), "../../");
    }

    #[test]
    fn url_paths_are_encoded() {
        assert_eq!(url_path(Path::new("a b/c#d.html")), "a%20b/c%23d.html");
        assert_eq!(url_path(Path::new("x/é.html")), "x/é.html");
    }

    #[test]
    fn fragments_are_rebased() {
        let html = r##"<p id="x">See <a href="../other.html#warm">warm</a>, <a href="#here">here</a>, <a href="https://e.org/a">ext</a> <img src="fig.png" alt="a > b"></p>"##;
        let out = rebase_fragment(html, "training/speed.html");
        assert_eq!(
            out,
            r##"<p>See <a href="other.html#warm">warm</a>, <a href="training/speed.html#here">here</a>, <a href="https://e.org/a">ext</a> <img src="training/fig.png" alt="a > b"></p>"##
        );
    }

    #[test]
    fn join_resolves_dots() {
        assert_eq!(join_url("a/b", "../c.html#x"), "a/c.html#x");
        assert_eq!(join_url("", "./c.html"), "c.html");
        assert_eq!(join_url("", "../c.html"), "../c.html");
        assert_eq!(join_url("a", "b/?q"), "a/b/?q");
        assert_eq!(join_url("a", "../"), "");
        assert_eq!(join_url("", "../"), "../");
    }

    #[test]
    fn rebased_urls() {
        assert_eq!(url_dir("training/speed.html"), "training");
        assert_eq!(url_dir("index.html"), "");
        assert_eq!(
            rebase_url("training", "fig.png"),
            Some("training/fig.png".into())
        );
        assert_eq!(rebase_url("training", "https://e.org/a"), None);
        assert_eq!(rebase_url("training", "#x"), None);
    }

    #[test]
    fn document_relative_detection() {
        assert!(is_document_relative("a/b.html"));
        assert!(is_document_relative("../a.html"));
        assert!(!is_document_relative("a:b/c"));
        assert!(is_document_relative("a/b:c.html"));
        assert!(!is_document_relative("mailto:x@y"));
        assert!(!is_document_relative("https://x"));
        assert!(!is_document_relative("/abs"));
        assert!(!is_document_relative("#frag"));
    }
}

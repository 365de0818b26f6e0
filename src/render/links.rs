//! Relative URLs between output files.
//!
//! Every link the theme writes is relative (`../training/speed.html`) and points at a real
//! file, so the same output works from file:// and under any sub-path.

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
            ' ' | '"' | '#' | '%' | '<' | '>' | '?' | '\\' | '^' | '`' | '{' | '|' | '}'
            | '\'' => {
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
fn is_document_relative(url: &str) -> bool {
    if url.is_empty() || url.starts_with('/') || url.starts_with('#') || url.starts_with('?') {
        return false;
    }
    // A scheme: letters, digits, `+-.` then `:` before any `/?#`.
    match url.find([':', '/', '?', '#']) {
        Some(i) if url.as_bytes()[i] == b':' => {
            !url[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                || i == 0
        }
        _ => true,
    }
}

/// Join a root-relative directory (`a/b`) and a relative URL (`../c.html#x`), resolving
/// `.` and `..`, into a root-relative URL (`a/c.html#x`).
fn join_url(dir: &str, rel: &str) -> String {
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
    let trailing = if path.ends_with('/') { "/" } else { "" };
    let mut out = "../".repeat(ups);
    out.push_str(&parts.join("/"));
    out.push_str(trailing);
    out.push_str(suffix);
    out
}

/// Move an HTML fragment written for the page `from` (root-relative URL path, e.g.
/// `training/speed.html`) onto a page at the site root: relative `href`/`src` values are
/// rebased, in-page anchors (`#x`) point back at `from`, and `id` attributes are dropped so
/// that fragments gathered from many pages cannot clash.
pub fn rebase_fragment(html: &str, from: &str) -> String {
    let dir = match from.rfind('/') {
        Some(i) => &from[..i],
        None => "",
    };
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let end = match tag_end(rest) {
            Some(e) => e,
            None => break,
        };
        let tag = &rest[..end];
        if tag.starts_with("<!--") || tag.starts_with("</") || tag.starts_with("<!") {
            out.push_str(tag);
        } else {
            out.push_str(&rewrite_tag(tag, dir, from));
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Length of the tag starting at `s[0] == '<'`, honouring quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    if s.starts_with("<!--") {
        return s.find("-->").map(|i| i + 3);
    }
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"') | (None, '\'') => quote = Some(c),
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn rewrite_tag(tag: &str, dir: &str, from: &str) -> String {
    let mut out = String::with_capacity(tag.len() + 32);
    let mut rest = tag;
    // Copy the tag name.
    let name_end = rest[1..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .map(|i| i + 1)
        .unwrap_or(rest.len());
    out.push_str(&rest[..name_end]);
    rest = &rest[name_end..];
    loop {
        let ws = rest.len() - rest.trim_start().len();
        let lead = &rest[..ws];
        rest = &rest[ws..];
        if rest.is_empty() || rest.starts_with('>') || rest.starts_with("/>") {
            out.push_str(lead);
            out.push_str(rest);
            return out;
        }
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(rest.len())
            .max(1);
        let attr = rest[..name_len].to_ascii_lowercase();
        let mut after = &rest[name_len..];
        let mut value: Option<(char, &str)> = None;
        let mut raw_len = name_len;
        let trimmed = after.trim_start();
        if let Some(v) = trimmed.strip_prefix('=') {
            let v = v.trim_start();
            let skipped = after.len() - v.len();
            if let Some(q) = v.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let close = v[1..].find(q).map(|i| i + 1).unwrap_or(v.len() - 1);
                value = Some((q, &v[1..close]));
                raw_len += skipped + close + 1;
            } else {
                let close = v
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(v.len());
                value = Some(('"', &v[..close]));
                raw_len += skipped + close;
            }
            after = &rest[raw_len.min(rest.len())..];
        }
        let raw = &rest[..raw_len.min(rest.len())];
        match (attr.as_str(), value) {
            ("id", _) => {}
            ("href" | "src", Some((q, v))) => {
                out.push_str(lead);
                let new = if v.starts_with('#') {
                    format!("{from}{v}")
                } else if is_document_relative(v) {
                    join_url(dir, v)
                } else {
                    v.to_string()
                };
                out.push_str(&format!("{}={q}{new}{q}", &rest[..name_len]));
            }
            _ => {
                out.push_str(lead);
                out.push_str(raw);
            }
        }
        rest = after;
    }
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

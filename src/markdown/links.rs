//! Internal links: every markdown source, folder and asset of the site with its output path
//! and (for pages) its anchors, so links written between source files can be checked and
//! rewritten to output URLs relative to the linking page.
//!
//! - `../training/speed.md#warmup` → `../training/speed.html#warmup`
//! - `_index.md` → `index.html`; a folder (`../training/`) → `../training/index.html`
//! - `./img.png` → `img.png` (assets are copied beside their pages)
//! - a leading `/` means the `content/` folder: `/training/speed.md`
//! - a link to an output name (`speed.html`) is accepted and checked the same way
//! - external links (`https://…`, `mailto:`, `//host/…`) are left as they are.

use crate::model::{Page, Site};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

/// Characters escaped in a path segment of a rewritten URL.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// One page or section index that links can point at.
#[derive(Debug, Clone)]
pub struct Target {
    /// Markdown source, relative to the root.
    pub source: PathBuf,
    /// Relative to the output directory.
    pub output: PathBuf,
    /// Heading ids, quiz ids and pitfall ids of the page.
    pub anchors: HashSet<String>,
}

/// Where every source of the site goes. Built once (pass 1), read by every page (pass 2).
#[derive(Debug, Default)]
pub struct LinkIndex {
    root: PathBuf,
    targets: Vec<Target>,
    by_source: HashMap<PathBuf, usize>,
    by_dir: HashMap<PathBuf, usize>,
    by_output: HashMap<PathBuf, usize>,
    /// Asset source → output.
    assets: HashMap<PathBuf, PathBuf>,
}

/// What became of a link.
#[derive(Debug, PartialEq)]
pub enum Resolved {
    /// External or otherwise left alone.
    Keep,
    /// The rewritten URL.
    Url(String),
    /// The message of an error (without position).
    Error(String),
}

impl LinkIndex {
    /// Index the site; `anchors(page)` gives the anchors of each page (pass 1).
    pub fn build(site: &Site, anchors: impl Fn(&Page) -> HashSet<String> + Sync) -> LinkIndex {
        use rayon::prelude::*;
        let mut pages: Vec<(&Page, Option<&Path>)> = Vec::new();
        for s in &site.sections {
            pages.push((&s.index, Some(&s.dir)));
        }
        for p in &site.pages {
            pages.push((p, None));
        }
        let targets: Vec<Target> = pages
            .par_iter()
            .map(|(p, _)| Target {
                source: p.source.clone(),
                output: p.output.clone(),
                anchors: anchors(p),
            })
            .collect();
        let mut index = LinkIndex {
            root: site.root.clone(),
            ..LinkIndex::default()
        };
        for (i, (t, (_, dir))) in targets.iter().zip(&pages).enumerate() {
            index.by_source.insert(t.source.clone(), i);
            index.by_output.insert(t.output.clone(), i);
            if let Some(dir) = dir {
                index.by_dir.insert(dir.to_path_buf(), i);
            }
        }
        index.targets = targets;
        for a in &site.assets {
            index.assets.insert(a.source.clone(), a.output.clone());
        }
        index
    }

    /// The target of a page's markdown source.
    pub fn target(&self, source: &Path) -> Option<&Target> {
        self.by_source.get(source).map(|&i| &self.targets[i])
    }

    /// Check and rewrite `url`, written in `page`. `what` is `link` or `image`.
    pub fn resolve(&self, page: &Page, url: &str, what: &str) -> Resolved {
        if url.is_empty() || is_external(url) {
            return Resolved::Keep;
        }
        let (before_fragment, fragment) = match url.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (url, None),
        };
        let (path, query) = match before_fragment.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (before_fragment, None),
        };
        let fragment_text = fragment.map(|f| {
            percent_decode_str(f)
                .decode_utf8()
                .map(|c| c.into_owned())
                .unwrap_or_else(|_| f.to_string())
        });
        if path.is_empty() {
            // Same page.
            if let (Some(frag), Some(me)) = (&fragment_text, self.target(&page.source)) {
                match anchor(&me.anchors, frag) {
                    Anchor::Exact => {}
                    Anchor::Slug(id) => {
                        return Resolved::Url(match query {
                            Some(q) => format!("?{q}#{id}"),
                            None => format!("#{id}"),
                        })
                    }
                    Anchor::Missing => {
                        return Resolved::Error(format!(
                            "broken {what} `{url}`: this page has no heading or anchor `{frag}`; expected one of: {}",
                            list(&me.anchors)
                        ))
                    }
                }
            }
            return Resolved::Keep;
        }
        let decoded = match percent_decode_str(path).decode_utf8() {
            Ok(p) => p.into_owned(),
            Err(_) => path.to_string(),
        };
        let base = if decoded.starts_with('/') {
            PathBuf::from("content")
        } else {
            page.source
                .parent()
                .unwrap_or(Path::new("content"))
                .to_path_buf()
        };
        let Some(resolved) = normalise(&base.join(decoded.trim_start_matches('/'))) else {
            return Resolved::Error(format!(
                "{what} `{url}` leaves the site root; expected a path to a file under content/"
            ));
        };
        if !resolved.starts_with("content") {
            return Resolved::Error(format!(
                "{what} `{url}` points to {}, outside content/, which is not published; expected a page, folder or file under content/",
                resolved.display()
            ));
        }
        let (output, target) = if let Some(&i) = self.by_source.get(&resolved) {
            (self.targets[i].output.clone(), Some(&self.targets[i]))
        } else if let Some(out) = self.assets.get(&resolved) {
            (out.clone(), None)
        } else if let Some(&i) = self.by_dir.get(&resolved) {
            (self.targets[i].output.clone(), Some(&self.targets[i]))
        } else if let Some(&i) = resolved
            .strip_prefix("content")
            .ok()
            .and_then(|o| self.by_output.get(o))
        {
            (self.targets[i].output.clone(), Some(&self.targets[i]))
        } else {
            let on_disk = self.root.join(&resolved);
            let msg = if on_disk.is_file() && resolved.extension().is_some_and(|e| e == "md") {
                format!(
                    "broken {what} `{url}`: {} is a draft, left out of this build; expected a published page (or build with --drafts)",
                    resolved.display()
                )
            } else if on_disk.exists() {
                format!(
                    "broken {what} `{url}`: {} is not published (hidden or left out); expected a page, folder or file under content/",
                    resolved.display()
                )
            } else {
                format!(
                    "broken {what} `{url}`: {} does not exist; expected a page, folder or file under content/",
                    resolved.display()
                )
            };
            return Resolved::Error(msg);
        };
        let mut fragment = fragment.map(str::to_string);
        if let (Some(frag), Some(t)) = (&fragment_text, target) {
            match anchor(&t.anchors, frag) {
                Anchor::Exact => {}
                Anchor::Slug(id) => fragment = Some(id.to_string()),
                Anchor::Missing => {
                    return Resolved::Error(format!(
                        "broken {what} `{url}`: {} has no heading or anchor `{frag}`; expected one of: {}",
                        t.source.display(),
                        list(&t.anchors)
                    ))
                }
            }
        }
        let mut out = relative_url(&page.output, &output);
        if let Some(q) = query {
            out.push('?');
            out.push_str(q);
        }
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(&f);
        }
        Resolved::Url(out)
    }
}

/// How a link's fragment matches the ids of its target page.
enum Anchor<'a> {
    /// As written (or empty).
    Exact,
    /// Through its slug: GitHub keeps letters such as `é` in heading anchors
    /// (`#café-au-lait`) where our ids fold them (`cafe-au-lait`), so a link written for
    /// GitHub's rendering of the markdown is pointed at our id.
    Slug(&'a str),
    Missing,
}

fn anchor<'a>(anchors: &'a HashSet<String>, fragment: &str) -> Anchor<'a> {
    if fragment.is_empty() || anchors.contains(fragment) {
        return Anchor::Exact;
    }
    match anchors.get(&slug::slugify(fragment)) {
        Some(id) => Anchor::Slug(id),
        None => Anchor::Missing,
    }
}

/// Up to ten ids, sorted, for "expected one of" messages.
fn list(ids: &HashSet<String>) -> String {
    if ids.is_empty() {
        return "(the page has no anchors)".to_string();
    }
    let mut v: Vec<&String> = ids.iter().collect();
    v.sort();
    let mut s: Vec<String> = v.iter().take(10).map(|s| s.to_string()).collect();
    if v.len() > 10 {
        s.push(format!("… ({} more)", v.len() - 10));
    }
    s.join(", ")
}

/// `https:`, `mailto:`, `data:`, `//host`: anything with a URL scheme.
pub fn is_external(url: &str) -> bool {
    if url.starts_with("//") {
        return true;
    }
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Resolve `.` and `..` lexically; `None` if the path climbs above its start.
pub fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out: Vec<&std::ffi::OsStr> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out.iter().collect())
}

/// URL of output file `to` relative to the page written at `from` (both relative to the
/// output directory), path segments percent-encoded.
pub fn relative_url(from: &Path, to: &Path) -> String {
    let from_dir: Vec<_> = from
        .parent()
        .map(|p| p.components().collect())
        .unwrap_or_default();
    let to_parts: Vec<_> = to.components().collect();
    let common = from_dir
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut segs: Vec<String> = Vec::new();
    for _ in common..from_dir.len() {
        segs.push("..".to_string());
    }
    for c in &to_parts[common..] {
        segs.push(utf8_percent_encode(&c.as_os_str().to_string_lossy(), SEGMENT).to_string());
    }
    segs.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls() {
        assert_eq!(
            relative_url(Path::new("a/b.html"), Path::new("c/d.html")),
            "../c/d.html"
        );
        assert_eq!(
            relative_url(Path::new("index.html"), Path::new("a/index.html")),
            "a/index.html"
        );
        assert_eq!(
            relative_url(Path::new("a/b/c.html"), Path::new("a/x y.png")),
            "../x%20y.png"
        );
        assert_eq!(
            relative_url(Path::new("a/b.html"), Path::new("a/b.html")),
            "b.html"
        );
    }

    #[test]
    fn externals_and_normalising() {
        assert!(is_external("https://x.org"));
        assert!(is_external("mailto:a@b"));
        assert!(is_external("//cdn"));
        assert!(!is_external("speed.md"));
        assert!(!is_external("a/b:c.md"));
        assert_eq!(
            normalise(Path::new("content/a/../b.md")),
            Some(PathBuf::from("content/b.md"))
        );
        assert_eq!(normalise(Path::new("content/../../x")), None);
    }
}

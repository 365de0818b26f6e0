//! Absolute paths of the measuring or building machine, kept off the pages.
//!
//! Runners report facts that hold paths (`dataset: ... (/root/.cache/benchbook/datasets/
//! digits/digits.csv.gz)`, a saved model's `model_path`, failure messages). Printed as they
//! are, they publish the machine's user name and directory layout, and they are noise to a
//! reader. Every text from a stored result that the merge stage puts on a page goes through
//! [`MachinePaths::show`], which rewrites each absolute path in it:
//!
//! - under the benchbook cache (`$BENCHBOOK_CACHE` or `~/.cache/benchbook` of this machine, or
//!   any `.../.cache/benchbook/...` as another machine recorded it) → `<benchbook cache>/...`;
//! - under the site root → relative to it (`benchmarks/runners/x.py`; the root itself `.`);
//! - under the home directory (`$HOME`, or `/root`, `/home/<user>`, `/Users/<user>` as another
//!   machine recorded it) → `~/...`;
//! - any other absolute path → its file name (`/usr/lib/libgomp.so.1` → `libgomp.so.1`).
//!
//! An absolute path is a `/` at the start of the text or after a space, a bracket, a quote,
//! `=`, `,`, `;`, `:`, `<`, `>` or `|`, followed by at least two path segments (`/a/b`), up
//! to the next space, bracket, quote, `,`, `;`, `:` or `|` (a trailing `.` ends a sentence,
//! not the path). A `file://` URL's path counts too (the scheme is dropped). So `km/h`,
//! `a / b`, `sqrt(x)/(1-b)`, `https://example.com/a/b` and `~/x` are left alone, and so is a
//! lone `/usr` (it names no one). Stored results are not changed: they are published as they
//! are, as downloads.

use std::path::Path;

/// What a path under the benchbook cache is shown under.
pub const CACHE: &str = "<benchbook cache>";

/// The directories of this machine that [`MachinePaths::show`] recognises by their absolute
/// path (besides the patterns every machine shares, see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachinePaths {
    /// The site root: paths under it are shown relative to it.
    pub root: Vec<String>,
    /// The benchbook cache: shown as `<benchbook cache>/...`.
    pub cache: Vec<String>,
    /// The home directory: shown as `~/...`.
    pub home: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cache,
    Root,
    Home,
}

impl MachinePaths {
    /// This machine's cache (`$BENCHBOOK_CACHE`, else `~/.cache/benchbook`) and home
    /// (`$HOME`), and the site root `root` if given (relative to the current directory).
    pub fn from_env(root: Option<&Path>) -> Self {
        let mut p = MachinePaths::default();
        if let Some(root) = root {
            p.root = spellings(root);
        }
        if let Ok(cache) = crate::setup::provision::Cache::from_env() {
            p.cache = spellings(&cache.dir);
        }
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            p.home = spellings(Path::new(&home));
        }
        p
    }

    /// `text` with every absolute path rewritten (see the module documentation).
    pub fn show(&self, text: &str) -> String {
        if !text.contains('/') {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'/' {
                i += 1;
                continue;
            }
            let file_url = text[..i].ends_with("file://");
            let starts = i == 0 || file_url || is_before_path(bytes[i - 1]);
            let segment_follows = bytes
                .get(i + 1)
                .is_some_and(|&c| !ends_path(c) && c != b'/');
            if !(starts && segment_follows) {
                i += 1;
                continue;
            }
            let mut end = i + 1;
            while end < bytes.len() && !ends_path(bytes[end]) {
                end += 1;
            }
            // A sentence's full stop (or an ellipsis) is not part of the path.
            while end > i + 1 && bytes[end - 1] == b'.' {
                end -= 1;
            }
            let path = &text[i..end];
            if let Some(shown) = self.rewrite(path) {
                let start = if file_url { i - "file://".len() } else { i };
                out.push_str(&text[copied..start]);
                out.push_str(&shown);
                copied = end;
            }
            i = end;
        }
        out.push_str(&text[copied..]);
        out
    }

    /// How one absolute path is shown, or `None` to leave it (one segment, not a directory
    /// of this machine).
    fn rewrite(&self, path: &str) -> Option<String> {
        // This machine's directories, the longest match first (the cache is often under the
        // home directory, the site root too).
        let mut best: Option<(usize, Kind, &str)> = None;
        for (kind, prefixes) in [
            (Kind::Cache, &self.cache),
            (Kind::Root, &self.root),
            (Kind::Home, &self.home),
        ] {
            for prefix in prefixes {
                if let Some(rest) = under(path, prefix) {
                    if best.is_none_or(|(len, _, _)| prefix.len() > len) {
                        best = Some((prefix.len(), kind, rest));
                    }
                }
            }
        }
        match best {
            Some((_, Kind::Cache, rest)) => return Some(join(CACHE, rest)),
            Some((_, Kind::Root, rest)) => {
                return Some(if rest.is_empty() {
                    ".".to_string()
                } else {
                    rest.to_string()
                })
            }
            _ => {}
        }
        // Another machine's default cache.
        if let Some(at) = path.find("/.cache/benchbook") {
            if let Some(rest) = under(&path[at..], "/.cache/benchbook") {
                return Some(join(CACHE, rest));
            }
        }
        if let Some((_, Kind::Home, rest)) = best {
            return Some(join("~", rest));
        }
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        // Another machine's home directory.
        match segments.as_slice() {
            ["root", rest @ ..] => return Some(join("~", &rest.join("/"))),
            ["home" | "Users", _user, rest @ ..] => return Some(join("~", &rest.join("/"))),
            _ => {}
        }
        if segments.len() < 2 {
            return None;
        }
        segments.last().map(|s| s.to_string())
    }
}

/// The ways a directory may be spelled in recorded paths: as given (made absolute) and with
/// symbolic links resolved; without a trailing `/`. The file system root is no prefix.
fn spellings(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let canonical = std::fs::canonicalize(dir).ok();
    for p in [Some(absolute), canonical].into_iter().flatten() {
        let s = p.to_string_lossy().trim_end_matches('/').to_string();
        if s.starts_with('/') && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `path` relative to the directory `prefix` (`""` for the directory itself), if under it.
fn under<'p>(path: &'p str, prefix: &str) -> Option<&'p str> {
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

fn join(base: &str, rest: &str) -> String {
    if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}/{rest}")
    }
}

/// A character after which a `/` may start a path.
fn is_before_path(c: u8) -> bool {
    c.is_ascii_whitespace() || b"([{\"'=,;:<>|`".contains(&c)
}

/// A character that ends a path (or cannot start a segment).
fn ends_path(c: u8) -> bool {
    c.is_ascii_whitespace() || b"\"'<>()[]{},;:|`".contains(&c)
}

/// For tests: paths of an imaginary machine.
#[cfg(test)]
pub(crate) fn machine(root: &str, cache: &str, home: &str) -> MachinePaths {
    MachinePaths {
        root: vec![root.into()],
        cache: vec![cache.into()],
        home: vec![home.into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> String {
        machine(
            "/home/alice/site",
            "/home/alice/.cache/benchbook",
            "/home/alice",
        )
        .show(text)
    }

    #[test]
    fn paths_under_the_cache_show_the_cache_by_name() {
        assert_eq!(
            show("UCI optdigits via scikit-learn's digits.csv.gz (/home/alice/.cache/benchbook/datasets/digits/digits.csv.gz)"),
            "UCI optdigits via scikit-learn's digits.csv.gz (<benchbook cache>/datasets/digits/digits.csv.gz)"
        );
        assert_eq!(show("/home/alice/.cache/benchbook"), "<benchbook cache>");
        // Another machine's default cache, recognised by its layout.
        assert_eq!(
            show("/root/.cache/benchbook/models/torch/cnn/model.pt"),
            "<benchbook cache>/models/torch/cnn/model.pt"
        );
        assert_eq!(
            show("/home/bob/.cache/benchbook/frameworks/libtorch-2.13.0/lib/libc10.so"),
            "<benchbook cache>/frameworks/libtorch-2.13.0/lib/libc10.so"
        );
        // A cache set with $BENCHBOOK_CACHE, under the home directory.
        let p = machine("/srv/site", "/home/alice/big/bb", "/home/alice");
        assert_eq!(
            p.show("model_path: /home/alice/big/bb/models/x"),
            "model_path: <benchbook cache>/models/x"
        );
    }

    #[test]
    fn paths_under_the_site_root_show_relative() {
        assert_eq!(
            show("read /home/alice/site/benchmarks/data/x.csv, then"),
            "read benchmarks/data/x.csv, then"
        );
        assert_eq!(show("cwd=/home/alice/site"), "cwd=.");
        // A sibling whose name starts like the root is not under it.
        assert_eq!(show("/home/alice/site2/x"), "~/site2/x");
    }

    #[test]
    fn paths_under_a_home_directory_start_with_a_tilde() {
        assert_eq!(show("/home/alice/notes/run.log"), "~/notes/run.log");
        assert_eq!(show("/home/alice"), "~");
        assert_eq!(show("/root/src/x.py:12"), "~/src/x.py:12");
        assert_eq!(show("/Users/carol/x/y"), "~/x/y");
        let p = machine("/work/site", "/var/cache/bb", "/root");
        assert_eq!(p.show("in /root"), "in ~");
    }

    #[test]
    fn other_absolute_paths_show_their_file_name() {
        assert_eq!(
            show("loaded /usr/lib/x86_64-linux-gnu/libgomp.so.1 and /tmp/tmp.XyZ/model.pt."),
            "loaded libgomp.so.1 and model.pt."
        );
        assert_eq!(
            show("LD_LIBRARY_PATH=/opt/a/lib:/opt/b/lib"),
            "LD_LIBRARY_PATH=lib:lib"
        );
        assert_eq!(show("[\"/opt/x/y\"]"), "[\"y\"]");
        assert_eq!(show("see file:///tmp/run/out.txt"), "see out.txt");
        assert_eq!(show("unicode: /srv/données/é.txt"), "unicode: é.txt");
    }

    #[test]
    fn text_that_is_not_a_path_is_left_alone() {
        for text in [
            "ApplyAdam: lr_t=lr*sqrt(1-b2^t)/(1-b1^t); w-=lr_t*m/(sqrt(v)+eps)",
            "ApplyAdam / ApplyMomentum",
            "https://survey.stackoverflow.co/2022/#technology",
            "ATen/Parallel:\n\tat::get_num_threads() : 1",
            "12 /s, km/h, 1/2/3, +/-",
            "~/.cache/benchbook/runners/x",
            "a lone /usr or /tmp/ names no one",
            "</li><br/>",
            "",
        ] {
            assert_eq!(show(text), text);
        }
    }

    #[test]
    fn the_file_system_root_is_no_prefix() {
        let p = MachinePaths {
            root: spellings(Path::new("/")),
            ..Default::default()
        };
        assert!(p.root.is_empty());
        assert_eq!(p.show("/opt/x/y"), "y");
    }
}

//! Where the served site lives: on disk (`--out`) or, by default, the output files of the last
//! good build in memory, swapped whole after each good rebuild.

use crate::model::{OutputFile, Site};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

/// Where the served site lives.
pub enum Store {
    /// `--out DIR` (absolute): written by the write stage, served from disk.
    Disk(PathBuf),
    /// The default: the output files of the last good build, in memory, swapped whole.
    Memory(RwLock<Arc<MemSite>>),
}

impl Store {
    /// An empty in-memory store (nothing built yet).
    pub fn memory() -> Store {
        Store::Memory(RwLock::new(Arc::new(MemSite::default())))
    }

    /// The output directory, when the site is written to disk.
    pub fn out(&self) -> Option<&Path> {
        match self {
            Store::Disk(out) => Some(out),
            Store::Memory(_) => None,
        }
    }
}

/// Output files by their path with `/` separators (`lesson/index.html`).
pub type Files = HashMap<String, OutputFile>;

/// One good build, in memory.
#[derive(Default)]
pub struct MemSite {
    pub files: Files,
    /// What the search index and the print edition are made from, when first asked for:
    /// they are by far the slowest part of a build and most previews never open them.
    pub extras: Option<Extras>,
}

pub struct Extras {
    pub site: Site,
    /// The theme's style sheets (for the print edition).
    pub css: Vec<String>,
    pub search: OnceLock<OutputFile>,
    pub print: OnceLock<OutputFile>,
}

impl MemSite {
    /// The search index or the print edition of this build, made on first use; `key` is a
    /// plain relative path with `/` separators.
    pub fn extra(&self, key: &str) -> Option<&OutputFile> {
        let x = self.extras.as_ref()?;
        if key == crate::search::INDEX_FILE && x.site.config.search {
            Some(x.search.get_or_init(|| crate::search::build_index(&x.site)))
        } else if key == crate::print::PRINT_FILE && x.site.config.print {
            Some(
                x.print
                    .get_or_init(|| crate::print::print_page(&x.site, &x.css)),
            )
        } else {
            None
        }
    }
}

/// `path` (relative, plain) as a [`MemSite`] key.
fn mem_key(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The output files of a build, keyed for serving; two files on one path are an error.
pub fn mem_site(files: Vec<OutputFile>) -> anyhow::Result<Files> {
    let mut map = HashMap::with_capacity(files.len());
    for f in files {
        let Some(key) = mem_key(f.path()) else {
            anyhow::bail!(
                "output path {} is not a plain relative path (a bug in benchbook)",
                f.path().display()
            );
        };
        if let Some(old) = map.insert(key, f) {
            anyhow::bail!(
                "two output files would be written to {} (a bug in benchbook or the theme)",
                old.path().display()
            );
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_plain_relative_paths() {
        let file = |p: &str| OutputFile::Bytes {
            path: PathBuf::from(p),
            bytes: p.as_bytes().to_vec().into(),
        };
        let site = mem_site(vec![file("index.html"), file("lesson/index.html")]).unwrap();
        assert!(site.contains_key("lesson/index.html"));
        assert!(mem_site(vec![file("a.html"), file("a.html")]).is_err());
        assert!(mem_site(vec![file("../a.html")]).is_err());
        assert!(mem_site(vec![file("/a.html")]).is_err());
    }
}

//! Memo tables that let `serve` rebuild only what an edit changed.
//!
//! A rebuild still runs every stage over the whole site, so its outputs and errors are a full
//! build's; each stage looks up the work it did for a page in the previous build, under a
//! key that covers everything that work depends on, and reuses it on a match:
//! - load: a markdown file's front matter and body, keyed by the file's bytes;
//! - links: a page's anchors (pass 1 of the markdown stage), keyed by its body;
//! - markdown: a page's rendered body, keyed by the page itself (paths, front matter, body
//!   after merge), and valid while every link it resolved still resolves the same way;
//! - render: a page's HTML, keyed by its rendered body and front matter, the site's outline
//!   (titles, descriptions and order: sidebar, breadcrumbs, previous/next), `site.yaml` and
//!   the templates.
//!
//! Work that reported an error is never kept. Each table keeps only what the last build used,
//! so memory stays proportional to the site. `build` and `check` run without a memo.

use crate::model::{Page, Rendered};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A 64-bit fingerprint of `value` (SipHash with fixed keys: stable within a process).
pub fn fingerprint<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// A link a page resolved, and what it resolved to (`None`: left as written).
pub type ResolvedLink = (String, &'static str, Option<String>);

/// A page's HTML (shared with the served site) and the key of its template inputs.
pub type Templated = (u64, Arc<Vec<u8>>);

/// A page's rendered body and what it was rendered from.
#[derive(Debug, Clone)]
pub struct MarkdownEntry {
    /// [`page_key`] of the page it was rendered from.
    pub key: u64,
    /// Every link and image it resolved through the link index.
    pub links: Vec<ResolvedLink>,
    pub rendered: Arc<Rendered>,
}

/// The memo tables, one per stage, keyed by source (load, markdown) or output (render) path.
#[derive(Default)]
pub struct Memo {
    pub(crate) load: Mutex<HashMap<PathBuf, (u64, Page)>>,
    pub(crate) anchors: Mutex<HashMap<u64, HashSet<String>>>,
    pub(crate) markdown: Mutex<HashMap<PathBuf, MarkdownEntry>>,
    pub(crate) html: Mutex<HashMap<PathBuf, Templated>>,
    reused: [AtomicUsize; 3],
}

/// How many pages the last build took from the memo, per stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reused {
    /// Markdown files not parsed again.
    pub load: usize,
    /// Page bodies not rendered again.
    pub markdown: usize,
    /// Pages not passed through their template again.
    pub render: usize,
}

/// A stage that counts its reuse.
#[derive(Clone, Copy)]
pub(crate) enum Stage {
    Load = 0,
    Markdown = 1,
    Render = 2,
}

impl Memo {
    /// What the last build reused.
    pub fn reused(&self) -> Reused {
        let get = |s: Stage| self.reused[s as usize].load(Ordering::Relaxed);
        Reused {
            load: get(Stage::Load),
            markdown: get(Stage::Markdown),
            render: get(Stage::Render),
        }
    }

    pub(crate) fn set_reused(&self, stage: Stage, n: usize) {
        self.reused[stage as usize].store(n, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("pages", &table_len(&self.markdown))
            .field("reused", &self.reused())
            .finish()
    }
}

fn table_len<K, V>(m: &Mutex<HashMap<K, V>>) -> usize {
    m.lock().map(|m| m.len()).unwrap_or(0)
}

/// Take a table out for a stage (it is read from parallel workers without a lock and
/// replaced with the entries the stage used, see [`put`]).
pub(crate) fn take<K, V>(m: &Mutex<HashMap<K, V>>) -> HashMap<K, V> {
    std::mem::take(&mut *m.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Put a stage's table back.
pub(crate) fn put<K, V>(m: &Mutex<HashMap<K, V>>, table: HashMap<K, V>) {
    *m.lock().unwrap_or_else(|e| e.into_inner()) = table;
}

/// The key of everything the markdown stage reads from a page itself.
pub fn page_key(page: &Page) -> u64 {
    fingerprint(&(
        &page.source,
        &page.output,
        &page.front,
        &page.body,
        page.body_line,
    ))
}

/// The fingerprint a reused or fresh rendered body carries into the render stage.
pub fn rendered_key(key: u64, links: &[ResolvedLink]) -> u64 {
    fingerprint(&(key, links))
}

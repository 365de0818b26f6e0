//! The memo that lets `serve` rebuild only what an edit changed: one [`Memo`] value, created
//! and owned by serve's rebuild loop (src/serve/rebuild.rs) and lent to each build as
//! `Option<&mut Memo>` through [`crate::build::prepare`] to the stages that use it
//! ([`crate::load::load_lenient`], [`crate::markdown::render_site`],
//! [`crate::render::render`]). Without one (`build`, `check`) everything is done from scratch.
//!
//! A rebuild still runs every stage over the whole site, so its outputs and errors are a full
//! build's; each stage looks up the work it did for a page in the previous build, under a
//! key that covers everything that work depends on, and reuses it on a match:
//! - load: a markdown file's front matter and body, keyed by the file's bytes;
//! - links: a page's anchors (pass 1 of the markdown stage), keyed by its body;
//! - markdown: a page's rendered body, keyed by the page itself (paths, front matter, body
//!   after merge), and valid while every link it resolved still resolves the same way;
//!   highlighted code blocks, keyed by their language and text;
//! - render: a page's HTML, keyed by its rendered body and front matter, the site's outline
//!   (titles, descriptions and order: sidebar, breadcrumbs, previous/next), `site.yaml` and
//!   the templates.
//!
//! Work that reported an error is never kept. Each table keeps only what the last build used,
//! so memory stays proportional to the site.

use crate::model::{Page, Rendered};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
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
/// A stage takes its table out, reads it from parallel workers, and puts back the entries
/// it used.
#[derive(Default)]
pub struct Memo {
    pub(crate) load: HashMap<PathBuf, (u64, Page)>,
    pub(crate) anchors: HashMap<u64, HashSet<String>>,
    pub(crate) markdown: HashMap<PathBuf, MarkdownEntry>,
    /// Shared by the markdown stage's parallel workers, hence the lock.
    pub(crate) highlight: Mutex<Highlighted>,
    pub(crate) html: HashMap<PathBuf, Templated>,
    pub(crate) reused: Reused,
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

impl Memo {
    /// What the last build reused.
    pub fn reused(&self) -> Reused {
        self.reused
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("pages", &self.markdown.len())
            .field("reused", &self.reused)
            .finish()
    }
}

/// Highlighted code blocks by `(language, code)`. Content-addressed, so never stale;
/// entries unused by the last build are dropped by [`Highlighted::next_generation`].
#[derive(Default)]
pub(crate) struct Highlighted {
    generation: u64,
    blocks: HashMap<(String, String), (Arc<str>, u64)>,
}

impl Highlighted {
    /// Start a new build: forget the blocks that the previous build did not use.
    pub(crate) fn next_generation(&mut self) {
        let last = self.generation;
        self.blocks.retain(|_, (_, used)| *used >= last);
        self.generation += 1;
    }

    /// A block highlighted before, now marked as used by this build.
    pub(crate) fn get(&mut self, key: &(String, String)) -> Option<Arc<str>> {
        let generation = self.generation;
        self.blocks.get_mut(key).map(|(html, used)| {
            *used = generation;
            html.clone()
        })
    }

    /// Keep a block highlighted by this build.
    pub(crate) fn insert(&mut self, key: (String, String), html: Arc<str>) {
        let generation = self.generation;
        self.blocks.insert(key, (html, generation));
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, key: &(String, String)) -> bool {
        self.blocks.contains_key(key)
    }
}

/// Lock the highlighted blocks (a worker that panicked left nothing half-written).
pub(crate) fn lock(m: &Mutex<Highlighted>) -> std::sync::MutexGuard<'_, Highlighted> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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

//! Watching the sources: which changes count, and gathering a burst of them into one rebuild.

use anyhow::Context;
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What the watcher looks at, under the root.
const WATCHED_DIRS: [&str; 4] = ["content", "themes", "templates", "benchmarks"];
const WATCHED_FILES: [&str; 1] = ["site.yaml"];

/// How long the watcher waits for the next change of a burst before rebuilding.
const DEBOUNCE: Duration = Duration::from_millis(80);

/// A watcher on the sources of a site.
pub struct Watch {
    root: PathBuf,
    /// The output directory (`--out`), whose changes are the build's own.
    out: Option<PathBuf>,
    watcher: notify::RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
}

impl Watch {
    /// Watch the sources under `root` (canonical); changes under `out` are ignored.
    pub fn start(root: &Path, out: Option<&Path>) -> anyhow::Result<Watch> {
        let (tx, events) = std::sync::mpsc::channel();
        let mut watcher =
            notify::recommended_watcher(tx).context("cannot watch the site for changes")?;
        watcher
            .watch(root, RecursiveMode::NonRecursive)
            .with_context(|| format!("cannot watch {}", root.display()))?;
        for dir in WATCHED_DIRS {
            let d = root.join(dir);
            if d.is_dir() {
                watcher
                    .watch(&d, RecursiveMode::Recursive)
                    .with_context(|| format!("cannot watch {}", d.display()))?;
            }
        }
        Ok(Watch {
            root: root.to_path_buf(),
            out: out.map(Path::to_path_buf),
            watcher,
            events,
        })
    }

    /// The sources changed (relative to the root), after waiting up to 100 ms for a first
    /// change and then gathering what follows it closely (an editor saving several files, a
    /// `git checkout`): a quiet gap of [`DEBOUNCE`], at most 2 s in all. Empty when nothing
    /// changed or on Ctrl-C.
    pub fn next_changes(&mut self) -> anyhow::Result<Vec<PathBuf>> {
        let mut changed = BTreeSet::new();
        let mut first_at: Option<Instant> = None;
        loop {
            let wait = if first_at.is_some() {
                DEBOUNCE
            } else {
                Duration::from_millis(100)
            };
            match self.events.recv_timeout(wait) {
                Ok(Ok(ev)) => {
                    for rel in changes(&self.root, self.out.as_deref(), &ev) {
                        // A watched folder made (or made again) after serve started.
                        if rel.components().count() == 1 && self.root.join(&rel).is_dir() {
                            let _ = self
                                .watcher
                                .watch(&self.root.join(&rel), RecursiveMode::Recursive);
                        }
                        changed.insert(rel);
                        first_at.get_or_insert_with(Instant::now);
                    }
                }
                Ok(Err(e)) => eprintln!("warning: watching the site: {e}"),
                Err(RecvTimeoutError::Timeout) => {
                    if first_at.is_some() || crate::bench::interrupted() {
                        break;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the file watcher stopped"),
            }
            if first_at.is_some_and(|t| t.elapsed() > Duration::from_secs(2)) {
                break;
            }
        }
        Ok(changed.into_iter().collect())
    }
}

/// The paths (relative to `root`) of a watcher event that should trigger a rebuild. Reads
/// (the build itself opens every source) are not changes.
fn changes(root: &Path, out: Option<&Path>, ev: &notify::Event) -> Vec<PathBuf> {
    use notify::event::{MetadataKind, ModifyKind};
    match ev.kind {
        EventKind::Access(_)
        | EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => Vec::new(),
        _ => ev
            .paths
            .iter()
            .filter_map(|p| relevant(root, out, p))
            .collect(),
    }
}

/// `path` relative to `root`, when a change there should trigger a rebuild.
fn relevant(root: &Path, out: Option<&Path>, path: &Path) -> Option<PathBuf> {
    if out.is_some_and(|o| path.starts_with(o)) {
        return None;
    }
    let rel = path.strip_prefix(root).ok()?;
    let mut comps = rel.components();
    let first = match comps.next()? {
        Component::Normal(s) => s.to_str()?,
        _ => return None,
    };
    let top_level = comps.next().is_none();
    if top_level {
        if !WATCHED_FILES.contains(&first) && !WATCHED_DIRS.contains(&first) {
            return None;
        }
    } else if !WATCHED_DIRS.contains(&first) {
        return None;
    }
    for c in rel.components() {
        let Component::Normal(name) = c else {
            return None;
        };
        let name = name.to_string_lossy();
        // Hidden files and folders (.git, editor state), build folders of runners.
        if name.starts_with('.') || name == "target" {
            return None;
        }
    }
    let name = rel.file_name()?.to_string_lossy();
    // Editor droppings: backups, swap files, vim's write probe.
    if name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name == "4913"
    {
        return None;
    }
    Some(rel.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_only_sources() {
        let root = Path::new("/s");
        let out = Path::new("/s/public");
        let yes = |p: &str| relevant(root, Some(out), Path::new(p)).is_some();
        assert!(yes("/s/content/a.md"));
        assert!(yes("/s/site.yaml"));
        assert!(yes("/s/themes/default/templates/page.html"));
        assert!(yes("/s/benchmarks/results/x.json"));
        assert!(yes("/s/templates"));
        assert!(!yes("/s/public/index.html"));
        assert!(!yes("/s/README.md"));
        assert!(!yes("/s/content/.a.md.swp"));
        assert!(!yes("/s/content/a.md~"));
        assert!(!yes("/s/content/4913"));
        assert!(!yes("/s/benchmarks/runners/torch/target/debug/x"));
        assert!(!yes("/s/.git/index"));
    }
}

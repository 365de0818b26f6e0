//! The rebuild loop: wait for a change of the sources, build the site into the store, report
//! the build on the terminal and to the reload channel; until Ctrl-C.

use super::reload::Live;
use super::store::{mem_site, Extras, MemSite, Store};
use super::watch::Watch;
use crate::build::{build_site, prepare, BuildOptions};
use crate::diagnostics::Diagnostics;
use crate::error::Interrupted;
use crate::incremental::Memo;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Rebuild on every change `watch` reports, until Ctrl-C (then `Ok`). Only Ctrl-C during a
/// bench step, or a watcher that stopped, is an error.
pub fn rebuild_on_change(watch: &mut Watch, builder: &mut Builder) -> anyhow::Result<()> {
    while !crate::bench::interrupted() {
        let changed = watch.next_changes()?;
        if !changed.is_empty() {
            builder.build(&changed)?;
        }
    }
    Ok(())
}

/// Builds the site and tells the reload channel.
pub struct Builder {
    pub root: PathBuf,
    pub store: Arc<Store>,
    pub opts: BuildOptions,
    pub live: Arc<Live>,
    pub verbose: bool,
    pub quiet: bool,
    /// Warnings of the last build (only new ones are printed again).
    pub warnings: BTreeSet<String>,
    /// The work of previous builds, lent to each rebuild so that every stage reuses what an
    /// edit did not change (src/incremental.rs).
    memo: Memo,
}

impl Builder {
    /// A builder that has built nothing yet (an empty memo).
    pub fn new(
        root: PathBuf,
        store: Arc<Store>,
        opts: BuildOptions,
        live: Arc<Live>,
        verbose: bool,
        quiet: bool,
    ) -> Builder {
        Builder {
            root,
            store,
            opts,
            live,
            verbose,
            quiet,
            warnings: BTreeSet::new(),
            memo: Memo::default(),
        }
    }

    /// Build once; `changed` (paths relative to the root) is what triggered it. Only Ctrl-C
    /// during a bench step is returned as an error: a failed build is reported and served.
    pub fn build(&mut self, changed: &[PathBuf]) -> anyhow::Result<()> {
        if !changed.is_empty() && !self.quiet {
            let first = changed[0].display();
            match changed.len() {
                1 => eprintln!("change: {first}; rebuilding"),
                n => eprintln!("change: {first} and {} more; rebuilding", n - 1),
            }
        }
        let start = Instant::now();
        let built = match &*self.store {
            Store::Disk(out) => build_site(&self.root, out, &self.opts, Some(&mut self.memo))
                .map(|r| (r.pages, r.stages, r.warnings)),
            Store::Memory(slot) => {
                prepare(&self.root, &self.opts, Some(&mut self.memo)).and_then(|p| {
                    let pages = p.site.pages.len() + p.site.sections.len();
                    let mut stages = p.stages;
                    let swap = Instant::now();
                    let css = crate::print::stylesheets(&p.files);
                    let site = Arc::new(MemSite {
                        files: mem_site(p.files)?,
                        extras: Some(Extras {
                            site: p.site,
                            css,
                            search: OnceLock::new(),
                            print: OnceLock::new(),
                        }),
                    });
                    // The previous site is freed here, outside the lock.
                    let old = std::mem::replace(
                        &mut *slot.write().unwrap_or_else(|e| e.into_inner()),
                        site,
                    );
                    drop(old);
                    stages.push(("swap", swap.elapsed()));
                    Ok((pages, stages, p.measured.warnings))
                })
            }
        };
        match built {
            Ok(report) => {
                let warnings: BTreeSet<String> = report.2.iter().cloned().collect();
                for w in warnings.difference(&self.warnings) {
                    eprintln!("warning: {w}");
                }
                self.warnings = warnings;
                if self.verbose {
                    crate::build::print_stages(&report.1);
                    let r = self.memo.reused();
                    eprintln!(
                        "  reused: {} files not parsed again, {} bodies not rendered again, {} pages not templated again",
                        r.load, r.markdown, r.render
                    );
                }
                if !self.quiet {
                    eprintln!(
                        "built {} page{} in {} ms",
                        report.0,
                        if report.0 == 1 { "" } else { "s" },
                        start.elapsed().as_millis()
                    );
                }
                self.live.update(|s| {
                    s.generation += 1;
                    s.error = None;
                });
            }
            Err(err) if err.downcast_ref::<Interrupted>().is_some() => return Err(err),
            Err(err) => {
                let text = match err.downcast_ref::<Diagnostics>() {
                    Some(d) => {
                        let n = d.clone().sorted().len();
                        format!("{d}{n} error{} found", if n == 1 { "" } else { "s" })
                    }
                    None => format!("error: {err:#}"),
                };
                let good = self.live.snapshot().generation > 0;
                eprint!("{text}");
                if !text.ends_with('\n') {
                    eprintln!();
                }
                eprintln!(
                    "{}",
                    if good {
                        "the rebuild failed; still serving the last good site"
                    } else {
                        "the site does not build yet; fix the errors above (serve keeps watching)"
                    }
                );
                self.live.update(|s| s.error = Some(text));
            }
        }
        Ok(())
    }
}

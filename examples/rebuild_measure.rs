//! How long `serve` takes to rebuild a site after a one-page edit:
//!
//! ```text
//! cargo run --release --example gen_site -- /tmp/site-10k 10000
//! cargo run --release --example rebuild_measure -- /tmp/site-10k [EDITS]
//! ```
//!
//! Builds the site once the way `serve` does (in memory, with a memo, search index and print
//! edition deferred), then EDITS times (default 7) appends a sentence to a page in the middle
//! of the site and rebuilds, printing each rebuild's wall and CPU time and stages, then the
//! medians. The page is restored at the end. `serve` adds the swap of the served site (tens
//! of milliseconds for 10,000 pages) to these figures.

use benchbook::bench::BenchPolicy;
use benchbook::build::{prepare, BuildOptions};
use benchbook::incremental::Memo;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The markdown page in the middle of the site (in path order).
fn middle_page(root: &Path) -> PathBuf {
    let mut pages: Vec<PathBuf> = walkdir::WalkDir::new(root.join("content"))
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "md") && !p.ends_with("_index.md"))
        .collect();
    pages.sort();
    pages.swap_remove(pages.len() / 2)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().unwrap_or_else(|| "/tmp/site-10k".into()));
    let edits: usize = args.next().map_or(Ok(7), |n| n.parse())?;
    let mut memo = Memo::default();
    let opts = BuildOptions {
        bench: BenchPolicy::stored_only(),
        quiet: true,
        defer_reader_extras: true,
        ..Default::default()
    };
    let start = Instant::now();
    let first = prepare(&root, &opts, Some(&mut memo))?;
    let pages = first.site.pages.len() + first.site.sections.len();
    println!(
        "first build: {pages} pages in {} ms",
        start.elapsed().as_millis()
    );
    drop(first);

    let page = middle_page(&root);
    let original = std::fs::read_to_string(&page)?;
    println!("editing {}", page.display());
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for i in 0..edits {
            std::fs::write(
                &page,
                format!("{original}\nEdit number {i} of this page.\n"),
            )?;
            let (wall, cpu) = (Instant::now(), cpu_time());
            let p = prepare(&root, &opts, Some(&mut memo))?;
            let (wall, cpu) = (wall.elapsed(), cpu_time() - cpu);
            let stages: Vec<String> = p
                .stages
                .iter()
                .map(|(s, d)| format!("{s} {}", d.as_millis()))
                .collect();
            let r = memo.reused();
            println!(
                "rebuild {i}: {} ms wall, {} ms CPU ({}); reused {}/{}/{} of {pages}",
                wall.as_millis(),
                cpu.as_millis(),
                stages.join(", "),
                r.load,
                r.markdown,
                r.render
            );
            walls.push(wall);
            cpus.push(cpu);
        }
        Ok(())
    })();
    std::fs::write(&page, &original)?;
    result?;
    println!(
        "median of {edits}: {} ms wall, {} ms CPU",
        median(walls).as_millis(),
        median(cpus).as_millis()
    );
    Ok(())
}

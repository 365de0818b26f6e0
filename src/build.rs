//! `benchbook build`: load → bench → merge → markdown → render → write.
//!
//! Every stage that can run reports its errors; they are returned together, sorted by file
//! and line, as one [`Diagnostics`](crate::diagnostics::Diagnostics) (printed by `cli`, exit 1). Nothing is written unless
//! the whole pipeline succeeded, and the write itself swaps the finished tree into place.

use crate::bench::BenchPolicy;
use crate::diagnostics::Diagnostics;
use crate::incremental::Memo;
use crate::load::{load_lenient, LoadOptions};
use crate::model::{OutputFile, Site};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a build includes.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Include pages marked `draft: true`.
    pub drafts: bool,
    /// How stale or missing benchmark results are treated (run, reuse, `--frozen`).
    pub bench: BenchPolicy,
    /// No progress bar or summary from the bench stage.
    pub quiet: bool,
    /// Leave out the search index and the print edition (`serve` makes them when they are
    /// first asked for; `check` needs neither). They report no errors.
    pub defer_reader_extras: bool,
}

/// What a build (or check) did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// Pages plus section index pages rendered.
    pub pages: usize,
    /// Files in the output (pages, assets, theme files, …).
    pub files: usize,
    /// Where the site was written (`None` for a check).
    pub out_dir: Option<PathBuf>,
    pub elapsed: Duration,
    /// Time spent in each stage, in pipeline order (`load`, `bench+merge`, `markdown`,
    /// `render` followed by its steps `render/…`, `search+print`, `write`).
    pub stages: Vec<(&'static str, Duration)>,
    /// Things the user should know: stale results shown, failed runs kept going.
    pub warnings: Vec<String>,
}

/// A loaded and rendered site, ready to be written.
pub struct Prepared {
    pub site: Site,
    pub files: Vec<OutputFile>,
    /// Time spent in each stage so far.
    pub stages: Vec<(&'static str, Duration)>,
    /// Benchmarks whose results on the pages are stale, and warnings from the bench stage.
    pub measured: crate::measure::Measured,
}

/// Every stage but `write`, each run as far as it can go, with the errors they found: what
/// [`prepare`] makes a site of, and what `check` reads (the bench stage's run statuses even
/// when a later stage failed).
pub struct Partial {
    /// The loaded site, pages merged and rendered as far as they could be; `None` when it
    /// could not be loaded at all.
    pub site: Option<Site>,
    /// The rendered output files (none when rendering failed).
    pub files: Vec<OutputFile>,
    /// Time spent in each stage that ran.
    pub stages: Vec<(&'static str, Duration)>,
    /// What the bench stage prepared (empty when it did not run).
    pub measured: crate::measure::Measured,
    /// Every error found, unsorted.
    pub diags: Diagnostics,
}

/// Run every stage but `write`: the loaded site (pages rendered) and its output files, or
/// every error found by every stage that could run ([`Diagnostics`]). Faults that stop a build
/// outright (a failed benchmark run without `--keep-going`, a missing result under
/// `--frozen`, Ctrl-C) are returned as they are.
///
/// `memo` is the work of previous builds to reuse (`serve` keeps one across rebuilds; see
/// src/incremental.rs); `None`: everything is done from scratch.
pub fn prepare(
    root: &Path,
    opts: &BuildOptions,
    memo: Option<&mut Memo>,
) -> anyhow::Result<Prepared> {
    let Partial {
        site,
        files,
        mut stages,
        measured,
        diags,
    } = prepare_lenient(root, opts, memo)?;
    let Some(site) = site.filter(|_| diags.is_empty()) else {
        return Err(diags.sorted().into());
    };
    // Reader features: the offline search index (unless site.yaml says `search: false`) and
    // the print edition (src/search.rs, src/print.rs).
    let mut files = files;
    if !opts.defer_reader_extras {
        let clock = Instant::now();
        if site.config.search {
            files.push(crate::search::build_index(&site));
        }
        if site.config.print {
            let css = crate::print::stylesheets(&files);
            files.push(crate::print::print_page(&site, &css));
        }
        stages.push(("search+print", clock.elapsed()));
    }
    files.extend(measured.files.iter().cloned());
    Ok(Prepared {
        site,
        files,
        stages,
        measured,
    })
}

/// [`prepare`] without giving up at errors: every stage that can run does, and what each
/// made is kept beside the errors. Only faults that stop a build outright are `Err`.
pub fn prepare_lenient(
    root: &Path,
    opts: &BuildOptions,
    mut memo: Option<&mut Memo>,
) -> anyhow::Result<Partial> {
    let mut stages = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, stages: &mut Vec<(&'static str, Duration)>| {
        stages.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let (site, mut diags) = load_lenient(
        root,
        &LoadOptions {
            drafts: opts.drafts,
        },
        memo.as_deref_mut(),
    );
    let Some(mut site) = site else {
        return Ok(Partial {
            site: None,
            files: Vec::new(),
            stages,
            measured: Default::default(),
            diags,
        });
    };
    lap("load", &mut stages);

    // bench (run or reuse the benchmarks the pages name) and merge (expand expressions over
    // their results in every page body, keeping line numbers).
    let measured = crate::measure::bench_and_merge(&mut site, &opts.bench, opts.quiet, &mut diags)?;
    lap("bench+merge", &mut stages);

    if let Err(d) = crate::markdown::render_site(&mut site, memo.as_deref_mut()) {
        diags.extend(d);
    }
    lap("markdown", &mut stages);
    // Render even after earlier errors, so template errors are reported in the same run.
    let rendered = crate::render::render(&site, memo);
    lap("render", &mut stages);
    let files = match rendered {
        Ok(output) => {
            stages.extend(output.steps);
            output.files
        }
        Err(d) => {
            diags.extend(d);
            Vec::new()
        }
    };
    Ok(Partial {
        site: Some(site),
        files,
        stages,
        measured,
        diags,
    })
}

fn page_count(site: &Site) -> usize {
    site.pages.len() + site.sections.len()
}

/// Build the site at `root` into `out` (checked with [`crate::write::check_out_dir`]),
/// reusing the work of previous builds kept in `memo` when given (see [`prepare`]).
/// Errors: [`Diagnostics`](crate::diagnostics::Diagnostics) for the site's content, [`crate::error::UsageError`] for a refused
/// output directory, other `anyhow` errors for I/O.
pub fn build_site(
    root: &Path,
    out: &Path,
    opts: &BuildOptions,
    memo: Option<&mut Memo>,
) -> anyhow::Result<BuildReport> {
    let start = Instant::now();
    let out = crate::write::check_out_dir(root, out)?;
    let Prepared {
        site,
        files,
        mut stages,
        measured,
    } = prepare(root, opts, memo)?;
    let n_files = files.len();
    let write_start = Instant::now();
    crate::write::write(&out, files)?;
    stages.push(("write", write_start.elapsed()));
    Ok(BuildReport {
        pages: page_count(&site),
        files: n_files,
        out_dir: Some(out),
        elapsed: start.elapsed(),
        stages,
        warnings: measured.warnings,
    })
}

/// Check the site at `root` (every stage but `write`); nothing is written.
pub fn check_site(root: &Path, opts: &BuildOptions) -> anyhow::Result<BuildReport> {
    let start = Instant::now();
    let p = prepare(root, opts, None)?;
    Ok(BuildReport {
        pages: page_count(&p.site),
        files: p.files.len(),
        out_dir: None,
        elapsed: start.elapsed(),
        stages: p.stages,
        warnings: p.measured.warnings,
    })
}

/// `path` as the user would like to read it: relative to the current directory if inside it.
fn shown(path: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    let mut s = rel
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string();
    if s.is_empty() {
        s.push('.');
    }
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

/// Print the time of each stage on stderr (`-v`), a stage's steps (`render/pages`)
/// indented under it.
pub fn print_stages(stages: &[(&'static str, Duration)]) {
    for (stage, took) in stages {
        let ms = took.as_millis();
        match stage.split_once('/') {
            Some((_, step)) => eprintln!("    {step:<12} {ms:>6} ms"),
            None => eprintln!("  {stage:<14} {ms:>6} ms"),
        }
    }
}

/// `benchbook build`: build the site at `root` into `out`, then print a one-line summary
/// (unless `opts.quiet`) and, if `verbose`, the time of each stage (on stderr).
pub fn run(root: &Path, out: &Path, opts: &BuildOptions, verbose: bool) -> anyhow::Result<()> {
    let report = build_site(root, out, opts, None)?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if verbose {
        print_stages(&report.stages);
    }
    if !opts.quiet {
        println!(
            "built {} page{} in {} ms → {}",
            report.pages,
            if report.pages == 1 { "" } else { "s" },
            report.elapsed.as_millis(),
            shown(report.out_dir.as_deref().unwrap_or(Path::new(".")))
        );
    }
    Ok(())
}

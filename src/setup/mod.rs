//! `benchbook setup`: provision libtorch, libtensorflow and the digits data set from pinned
//! PyPI wheels into a per-user cache, and build the framework runners.
//!
//! The pins are `benchmarks/frameworks.yaml` ([`pins`]); the cache layout and the
//! download / verify / extract steps are in [`provision`]; building and starting runners
//! is in [`runner`]. API used by the bench stage:
//! - [`runner_fingerprint`]: staleness key of a runner, cheap, needs no framework;
//! - [`ensure_runner`]: provision + build if needed, then how to start the runner;
//! - [`installed`]: what is installed where, and its size (for `--check` and the report).
//!
//! Everything that writes the cache holds `<cache>/.lock`, so concurrent setups (or a
//! setup and a bench in another checkout) wait for each other; the second one then finds
//! everything installed.

pub mod pins;
pub mod provision;
pub mod runner;
pub mod venv;

use anyhow::bail;
use pins::Pins;
use provision::{is_complete, Cache, CacheLock};
use std::path::{Path, PathBuf};

pub use runner::{ensure_runner, runner_fingerprint, RunnerProgram, BUILTIN_RUNNERS};

/// One curated directory of the cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Installed {
    /// Install name from the pins: `libtorch`, `libtensorflow`, `digits`.
    pub name: String,
    pub version: String,
    /// Absolute directory (it may not exist).
    pub path: PathBuf,
    /// Disk use in bytes (0 when absent).
    pub bytes: u64,
    /// Whether it is fully installed for the current pins.
    pub complete: bool,
}

/// Every install the pins of `root` declare, with its state in the cache
/// (`$BENCHBOOK_CACHE` or `~/.cache/benchbook`).
pub fn installed(root: &Path) -> anyhow::Result<Vec<Installed>> {
    let pins = Pins::load(root)?;
    Ok(installed_in(&Cache::from_env()?, &pins))
}

pub fn installed_in(cache: &Cache, pins: &Pins) -> Vec<Installed> {
    pins.installs
        .iter()
        .map(|i| {
            let path = cache.install_dir(i);
            Installed {
                name: i.name.clone(),
                version: i.version.clone(),
                bytes: disk_usage(&path),
                complete: is_complete(cache, pins, i),
                path,
            }
        })
        .collect()
}

/// Bytes on disk under `path` (allocated blocks, like `du`; symlinks not followed).
pub fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.blocks() * 512)
        .sum()
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.2} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.0} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.0} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

/// What `benchbook setup` does (made by `cli` from its flags).
#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// The site root (its `benchmarks/frameworks.yaml` has the pins).
    pub root: PathBuf,
    /// Report what is installed, where, and its size; install nothing.
    pub check: bool,
    /// No progress or summaries (errors still go to stderr).
    pub quiet: bool,
}

/// `benchbook setup [--check]`.
pub fn run(options: &SetupOptions) -> anyhow::Result<()> {
    let root = &options.root;
    let pins = Pins::load(root)?;
    let cache = Cache::from_env()?;
    if options.check {
        return check(root, &cache, &pins, options.quiet);
    }
    let quiet = options.quiet;
    let lock = CacheLock::acquire(&cache, quiet)?;
    let done = provision::provision_locked(&cache, &pins, &[], quiet, &lock)?;
    if !quiet {
        if done.installed.is_empty() {
            eprintln!("frameworks: already installed in {}", cache.dir.display());
        } else {
            eprintln!(
                "installed {} in {:.1} s (downloaded {} wheel{} in {:.1} s, sha256 checks {:.1} s, extraction {:.1} s)",
                done.installed.join(", "),
                done.seconds,
                done.downloaded.len(),
                if done.downloaded.len() == 1 { "" } else { "s" },
                done.download_seconds,
                done.verify_seconds,
                done.extract_seconds,
            );
        }
    }
    for name in pins.runners.keys() {
        let program = runner::built_program(root, &cache, &pins, name)?;
        if program.is_file() {
            if !quiet {
                eprintln!("runner `{name}`: up to date ({})", program.display());
            }
        } else {
            runner::build_locked(root, &cache, &pins, name, quiet, &lock)?;
        }
    }
    Ok(())
}

/// `benchbook setup --check`: report, install nothing; an error when something is missing.
fn check(root: &Path, cache: &Cache, pins: &Pins, quiet: bool) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    // (what, version, state, size, where)
    let mut rows: Vec<[String; 5]> = Vec::new();
    for i in installed_in(cache, pins) {
        let state = if i.complete {
            "installed"
        } else {
            missing.push(format!("{} {}", i.name, i.version));
            if i.path.exists() {
                "INCOMPLETE"
            } else {
                "MISSING"
            }
        };
        let size = if i.path.exists() {
            human(i.bytes)
        } else {
            String::new()
        };
        rows.push([
            i.name,
            i.version,
            state.into(),
            size,
            i.path.display().to_string(),
        ]);
    }
    let downloads = cache.downloads();
    let present = pins
        .wheels
        .values()
        .filter(|w| downloads.join(&w.file).is_file())
        .count();
    rows.push([
        "downloads".into(),
        String::new(),
        format!("{present} of {} wheels", pins.wheels.len()),
        human(disk_usage(&downloads)),
        downloads.display().to_string(),
    ]);
    for name in pins.runners.keys() {
        let label = format!("runner {name}");
        let row = match runner::built_program(root, cache, pins, name) {
            Ok(program) => {
                if program.is_file() {
                    let secs = runner::recorded_build_seconds(&program)
                        .map(|s| format!(" (build took {s:.0} s)"))
                        .unwrap_or_default();
                    let size = std::fs::metadata(&program)
                        .map(|m| human(m.len()))
                        .unwrap_or_default();
                    [
                        label,
                        String::new(),
                        format!("built, fresh{secs}"),
                        size,
                        program.display().to_string(),
                    ]
                } else {
                    missing.push(label.clone());
                    [
                        label,
                        String::new(),
                        "NOT BUILT for these sources".into(),
                        String::new(),
                        program.display().to_string(),
                    ]
                }
            }
            Err(e) => {
                missing.push(label.clone());
                [
                    label,
                    String::new(),
                    format!("ERROR: {e:#}"),
                    String::new(),
                    String::new(),
                ]
            }
        };
        rows.push(row);
    }
    if !quiet {
        println!(
            "cache: {}{}",
            cache.dir.display(),
            if std::env::var_os("BENCHBOOK_CACHE").is_some() {
                " (from BENCHBOOK_CACHE)"
            } else {
                ""
            }
        );
        let width = |k: usize| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0);
        let w: Vec<usize> = (0..4).map(width).collect();
        for r in &rows {
            println!(
                "{:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}  {}",
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2],
                w3 = w[3]
            );
        }
    }
    if !missing.is_empty() {
        bail!(
            "not set up: {} missing in {}; run `benchbook setup` to install and build them",
            missing.join(", "),
            cache.dir.display()
        );
    }
    Ok(())
}

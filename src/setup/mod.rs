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

use crate::cli::{Global, SetupArgs};
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

/// `benchbook setup [--check]`.
pub fn run(global: &Global, args: &SetupArgs) -> anyhow::Result<()> {
    let pins = Pins::load(&global.root)?;
    let cache = Cache::from_env()?;
    if args.check {
        return check(&global.root, &cache, &pins, global.quiet);
    }
    let quiet = global.quiet;
    let lock = CacheLock::acquire(&cache, quiet)?;
    let done = provision::provision_locked(&cache, &pins, &[], quiet, &lock)?;
    if !quiet {
        if done.installed.is_empty() {
            eprintln!("frameworks: already installed in {}", cache.dir.display());
        } else {
            eprintln!(
                "installed {} in {:.1} s (downloaded {} wheel{})",
                done.installed.join(", "),
                done.seconds,
                done.downloaded.len(),
                if done.downloaded.len() == 1 { "" } else { "s" }
            );
        }
    }
    for name in pins.runners.keys() {
        let fp = runner::fingerprint_with(&global.root, name, &pins)?;
        let program = runner::program_path(&cache, name, &fp);
        if program.is_file() {
            if !quiet {
                eprintln!("runner `{name}`: up to date ({})", program.display());
            }
        } else {
            runner::build_locked(&global.root, &cache, &pins, name, quiet, &lock)?;
        }
    }
    Ok(())
}

/// `benchbook setup --check`: report, install nothing; an error when something is missing.
fn check(root: &Path, cache: &Cache, pins: &Pins, quiet: bool) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    let mut lines = vec![format!(
        "cache: {}{}",
        cache.dir.display(),
        if std::env::var_os("BENCHBOOK_CACHE").is_some() {
            " (from BENCHBOOK_CACHE)"
        } else {
            ""
        }
    )];
    for i in installed_in(cache, pins) {
        let state = if i.complete {
            format!("installed  {:>8}", human(i.bytes))
        } else if i.path.exists() {
            missing.push(format!("{} {}", i.name, i.version));
            "INCOMPLETE          ".to_string()
        } else {
            missing.push(format!("{} {}", i.name, i.version));
            "MISSING             ".to_string()
        };
        lines.push(format!(
            "{:<14} {:<8} {state}  {}",
            i.name,
            i.version,
            i.path.display()
        ));
    }
    let downloads = cache.downloads();
    let present = pins
        .wheels
        .values()
        .filter(|w| downloads.join(&w.file).is_file())
        .count();
    lines.push(format!(
        "{:<14} {:<8} {present} of {} wheels {:>8}  {}",
        "downloads",
        "",
        pins.wheels.len(),
        human(disk_usage(&downloads)),
        downloads.display()
    ));
    for name in pins.runners.keys() {
        let fp = runner::fingerprint_with(root, name, pins);
        let (state, path) = match &fp {
            Ok(fp) => {
                let program = runner::program_path(cache, name, fp);
                if program.is_file() {
                    let secs = runner::recorded_build_seconds(&program)
                        .map(|s| format!(", built in {s:.0} s"))
                        .unwrap_or_default();
                    (format!("built, fresh{secs}"), program.display().to_string())
                } else {
                    missing.push(format!("runner {name}"));
                    (
                        "NOT BUILT for the current sources".to_string(),
                        program.display().to_string(),
                    )
                }
            }
            Err(e) => {
                missing.push(format!("runner {name}"));
                (format!("ERROR: {e:#}"), String::new())
            }
        };
        lines.push(format!("runner {:<7} {:<8} {state}  {path}", name, ""));
    }
    if !quiet {
        for l in &lines {
            println!("{l}");
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

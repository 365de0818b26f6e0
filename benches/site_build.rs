//! Site build throughput and peak memory: `cargo bench --bench site_build`.
//!
//! Generates sites of 1,000 and 10,000 lessons (`support/gen_site.rs`, the pages of
//! `examples/gen_site.rs`: a table, Rust and Python code, a pitfall, a note, a quiz and
//! checked links each) once into a temporary directory, then:
//!
//! 1. times `benchbook::build::build_site` (the library call behind `benchbook build`, quiet)
//!    with Criterion; the throughput is in pages per second, counting every page rendered
//!    (lessons plus section index pages);
//! 2. runs the release `benchbook build` binary once per size as a child process and prints
//!    its peak resident memory (`ru_maxrss` from `wait4`), which Criterion cannot measure.
//!
//! `BENCHBOOK_BENCH_SIZES=1000` (comma-separated) picks other sizes.

#[path = "support/gen_site.rs"]
mod gen_site;

use benchbook::build::{build_site, BuildOptions};
use benchbook::cli::BenchPolicy;
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The generated sites, made once for the timing groups and the memory runs.
struct Sites {
    _dir: tempfile::TempDir,
    /// (lessons generated, site root)
    roots: Vec<(usize, PathBuf)>,
}

fn sizes() -> Vec<usize> {
    match std::env::var("BENCHBOOK_BENCH_SIZES") {
        Ok(s) => s
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("BENCHBOOK_BENCH_SIZES: {n:?} is not a number"))
            })
            .collect(),
        Err(_) => vec![1_000, 10_000],
    }
}

fn generate() -> Sites {
    let dir = tempfile::Builder::new()
        .prefix("benchbook-site-bench-")
        .tempdir()
        .expect("a temporary directory");
    let roots = sizes()
        .into_iter()
        .map(|n| {
            let root = dir.path().join(format!("site-{n}"));
            let start = Instant::now();
            gen_site::generate(&root, n).expect("generate the site");
            eprintln!(
                "site_build: generated {n} lessons in {:.1} s",
                start.elapsed().as_secs_f64()
            );
            (n, root)
        })
        .collect();
    Sites { _dir: dir, roots }
}

fn options() -> BuildOptions {
    BuildOptions {
        quiet: true,
        // The generated sites declare no benchmarks; frozen makes sure none would run.
        bench: BenchPolicy {
            frozen: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn time_builds(c: &mut Criterion, sites: &Sites) {
    let opts = options();
    let mut group = c.benchmark_group("site_build");
    for (n, root) in &sites.roots {
        let out = root.with_file_name(format!("public-{n}"));
        // One build first: it checks that the site builds and counts its pages.
        let report = build_site(root, &out, &opts).expect("the generated site builds");
        eprintln!(
            "site_build/{n}: {} pages per build (lessons and section pages); first build {:.2} s",
            report.pages,
            report.elapsed.as_secs_f64()
        );
        group
            .throughput(Throughput::Elements(report.pages as u64))
            // A build takes from under a second to many seconds: one build per sample, ten
            // samples (Criterion's minimum), so the whole bench takes minutes, not hours.
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(report.elapsed.mul_f64(10.0).max(Duration::from_secs(5)));
        group.bench_with_input(BenchmarkId::from_parameter(n), root, |b, root| {
            b.iter(|| build_site(root, &out, &opts).expect("the generated site builds"))
        });
    }
    group.finish();
}

/// The `benchbook` binary built by `cargo bench` (release profile).
fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_benchbook"))
}

/// Run `benchbook build` on `root` once; its wall time and peak resident memory in bytes.
// The child is reaped by `wait4` (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn peak_rss(bin: &Path, root: &Path, out: &Path) -> (Duration, u64) {
    let start = Instant::now();
    let child = Command::new(bin)
        .args(["build", "-q", "--root"])
        .arg(root)
        .arg("--out")
        .arg(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, which std has not reaped.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    let wall = start.elapsed();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "benchbook build {} failed (status {status:#x})",
        root.display()
    );
    // Linux reports ru_maxrss in KiB.
    (wall, usage.ru_maxrss.max(0) as u64 * 1024)
}

fn main() {
    let sites = generate();
    let mut c = Criterion::default().configure_from_args();
    time_builds(&mut c, &sites);
    c.final_summary();

    let bin = binary();
    for (n, root) in &sites.roots {
        let out = root.with_file_name(format!("public-rss-{n}"));
        let (wall, rss) = peak_rss(&bin, root, &out);
        println!(
            "site_build/{n} peak RSS: {} MB (one `benchbook build` process, {:.2} s wall)",
            rss / 1_000_000,
            wall.as_secs_f64()
        );
    }
}

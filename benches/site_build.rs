//! Site build throughput and peak memory: `cargo bench --bench site_build`.
//!
//! Generates sites of 1,000 and 10,000 lessons (`support/gen_site.rs`, the pages of
//! `examples/gen_site.rs`: a table, Rust and Python code, a pitfall, a note, a quiz and
//! checked links each) once into a temporary directory, then times two things with Criterion,
//! in pages per second (every page rendered: lessons plus section index pages):
//!
//! - `site_build/<n>`: the release `benchbook build` binary, one cold process per build, as a
//!   user runs it. Each child's peak resident memory (`ru_maxrss` from `wait4`, which
//!   Criterion cannot measure) is printed after the timings: `site_build/<n> peak RSS: …`.
//! - `site_build_in_process/<n>`: `benchbook::build::build_site` called again and again in
//!   this process, without process start-up (the syntax set stays loaded). Highlighted code
//!   blocks are cached only with `serve`'s memo (src/incremental.rs), so every build here
//!   highlights everything again, as `benchbook build` does.
//!
//! The binary runs first: Linux carries a parent's peak RSS into a child's `ru_maxrss`
//! through fork and exec, so the children must start while this process is still small
//! (its own peak at that time is printed too, as the floor of the children's figures).
//!
//! `BENCHBOOK_BENCH_SIZES=1000` (comma-separated) picks other sizes.

#[path = "support/gen_site.rs"]
mod gen_site;

use benchbook::bench::{BenchPolicy, ResultPolicy};
use benchbook::build::{build_site, BuildOptions};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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
            results: ResultPolicy::Frozen,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Criterion settings for builds that take from under a second to many seconds: one build
/// per sample, ten samples (Criterion's minimum), so the whole bench takes minutes.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, pages: usize, one: Duration) {
    group
        .throughput(Throughput::Elements(pages as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(one.mul_f64(12.0).max(Duration::from_secs(5)));
}

/// Peak RSS of every `benchbook build` child, by site size.
type PeakRss = Vec<(usize, Vec<u64>)>;

fn time_binary(c: &mut Criterion, sites: &Sites) -> PeakRss {
    let bin = binary();
    let mut peaks = Vec::new();
    let mut group = c.benchmark_group("site_build");
    for (n, root) in &sites.roots {
        let out = root.with_file_name(format!("public-bin-{n}"));
        // One build first: it checks that the site builds and counts its pages.
        let first = run_build(&bin, root, &out, false);
        eprintln!(
            "site_build/{n}: {} pages per build (lessons and section pages); first build {:.2} s",
            first.pages,
            first.wall.as_secs_f64()
        );
        configure(&mut group, first.pages, first.wall);
        let mut rss = Vec::new();
        group.bench_with_input(BenchmarkId::from_parameter(n), root, |b, root| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let run = run_build(&bin, root, &out, true);
                        rss.push(run.max_rss);
                        run.wall
                    })
                    .sum()
            })
        });
        peaks.push((*n, rss));
    }
    group.finish();
    peaks
}

fn time_in_process(c: &mut Criterion, sites: &Sites) {
    let opts = options();
    let mut group = c.benchmark_group("site_build_in_process");
    for (n, root) in &sites.roots {
        let out = root.with_file_name(format!("public-lib-{n}"));
        let report = build_site(root, &out, &opts, None).expect("the generated site builds");
        configure(&mut group, report.pages, report.elapsed);
        group.bench_with_input(BenchmarkId::from_parameter(n), root, |b, root| {
            b.iter(|| build_site(root, &out, &opts, None).expect("the generated site builds"))
        });
    }
    group.finish();
}

/// The `benchbook` binary built by `cargo bench` (release profile).
fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_benchbook"))
}

/// One `benchbook build` process.
struct Run {
    wall: Duration,
    /// Peak resident memory in bytes.
    max_rss: u64,
    /// Pages it reported building (not counted with `quiet`).
    pages: usize,
}

/// Run `benchbook build` on `root` once, measured from outside.
// The child is reaped by `wait4` (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_build(bin: &Path, root: &Path, out: &Path, quiet: bool) -> Run {
    let start = Instant::now();
    let mut cmd = Command::new(bin);
    cmd.arg("build");
    if quiet {
        cmd.arg("-q");
    }
    let mut child = cmd
        .arg("--root")
        .arg(root)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout is piped")
        .read_to_string(&mut stdout)
        .expect("read the build's output");
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
    // "built 1011 pages in 812 ms → …"
    let pages = stdout
        .split_whitespace()
        .skip_while(|w| *w != "built")
        .nth(1)
        .and_then(|w| w.parse().ok());
    Run {
        wall,
        // Linux reports ru_maxrss in KiB.
        max_rss: usage.ru_maxrss.max(0) as u64 * 1024,
        pages: match (quiet, pages) {
            (true, _) => 0,
            (false, Some(p)) => p,
            (false, None) => panic!("no page count in the build's output: {stdout:?}"),
        },
    }
}

/// This process's own peak resident memory so far, in bytes.
fn own_peak_rss() -> u64 {
    // SAFETY: zeroed rusage is a valid value for getrusage to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: plain syscall on our own process.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss.max(0) as u64 * 1024
}

fn main() {
    let sites = generate();
    let mut c = Criterion::default().configure_from_args();
    let floor = own_peak_rss();
    let peaks = time_binary(&mut c, &sites);
    time_in_process(&mut c, &sites);
    c.final_summary();

    let mb = |b: u64| b / 1_000_000;
    for (n, mut rss) in peaks {
        if rss.is_empty() {
            continue; // filtered out
        }
        rss.sort_unstable();
        println!(
            "site_build/{n} peak RSS: {} MB (median of {} `benchbook build` processes, {}-{} MB; the bench process was {} MB when it started them)",
            mb(rss[rss.len() / 2]),
            rss.len(),
            mb(rss[0]),
            mb(rss[rss.len() - 1]),
            mb(floor)
        );
    }
}

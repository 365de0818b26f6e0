//! The tool's own cost per runner process: `cargo bench --bench bench_overhead`.
//!
//! A site in a temporary directory declares one benchmark of 30 repetitions on the fake
//! runner (tests/support/fake_runner.rs, which starts, reports and exits). Criterion times:
//!
//! - `bench_overhead/rerun_30`: `benchbook -q bench --rerun`, 30 runner processes;
//! - `bench_overhead/no_change`: `benchbook -q bench` with every result fresh: reading,
//!   hashing and comparing, no runner started.
//!
//! After the timings, one more rerun is split into the runners' own wall time (from the stored
//! result) and benchbook's cost per run around them: process start of the tool, declaration,
//! hashing, spawning, parsing and storing. The target is under 50 ms per run.

#[path = "../tests/suite/bench_common/mod.rs"]
mod bench_common;

use bench_common::{stderr, Site};
use criterion::{Criterion, Throughput};
use std::time::Instant;

const PROCESSES: u32 = 30;

fn site() -> Site {
    let site = Site::quick(PROCESSES);
    let out = site.run(&["-q", "bench"]);
    assert!(out.status.success(), "{}", stderr(&out));
    site
}

fn bench(c: &mut Criterion) {
    let site = site();
    let mut group = c.benchmark_group("bench_overhead");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(PROCESSES)));
    group.bench_function("rerun_30", |b| {
        b.iter(|| {
            let out = site.run(&["-q", "bench", "--rerun"]);
            assert!(out.status.success(), "{}", stderr(&out));
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("no_change", |b| {
        b.iter(|| {
            let out = site.run(&["-q", "bench"]);
            assert!(out.status.success(), "{}", stderr(&out));
        })
    });
    group.finish();

    let t = Instant::now();
    let out = site.run(&["-q", "bench", "--rerun"]);
    let total = t.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", stderr(&out));
    let runners: f64 = site.stored("quick").runs[0]
        .repetitions
        .iter()
        .map(|r| r.outside.wall_s)
        .sum();
    let per_run = (total - runners) / f64::from(PROCESSES);
    println!(
        "bench_overhead: {PROCESSES} runs in {:.1} ms; runners' own wall {:.2} ms each; \
         benchbook's cost {:.2} ms per run (target: under 50 ms)",
        total * 1e3,
        runners / f64::from(PROCESSES) * 1e3,
        per_run * 1e3
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}

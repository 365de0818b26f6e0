//! The tool's own cost: per runner process next to the runner's wall time, and a no-change
//! run that starts no runner. Figures are printed (`cargo test --test bench_overhead --
//! --nocapture`); the bound is the (under 50 ms per run).

mod bench_common;
use bench_common::*;
use std::time::Instant;

const PROCESSES: u32 = 30;

#[test]
fn overhead_per_run_is_small_and_a_fresh_site_starts_no_runner() {
    let site = Site::new();
    site.declare(
        "quick",
        &format!(
            "
title: Quick
runners:
  - {{name: fake, command: [FAKE]}}
workload: {{mode: ok}}
repetitions: {PROCESSES}
"
        ),
    );
    let t = Instant::now();
    let out = site.run(&["-q", "bench"]);
    let total = t.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(site.starts().len(), PROCESSES as usize);

    let stored = site.stored("quick");
    let children: f64 = stored.runs[0]
        .repetitions
        .iter()
        .map(|r| r.outside.wall_s)
        .sum();
    let per_child = children / f64::from(PROCESSES);
    let overhead = (total - children) / f64::from(PROCESSES);
    eprintln!(
        "bench overhead: {PROCESSES} runner processes in {:.1} ms; runner wall {:.2} ms each, \
         benchbook's own cost {:.2} ms per run (process start, declaration, hashing, \
         spawning, parsing, storing included)",
        total * 1e3,
        per_child * 1e3,
        overhead * 1e3
    );
    assert!(overhead < 0.050, "overhead {overhead} s per run");

    // Nothing changed: the whole step is reading, hashing and comparing; no runner starts.
    let t = Instant::now();
    let out = site.run(&["-q", "bench"]);
    let fresh = t.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(site.starts().len(), PROCESSES as usize);
    eprintln!(
        "bench no-change run: {:.1} ms, 0 runners started",
        fresh * 1e3
    );
}

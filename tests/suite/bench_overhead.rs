//! Repetitions and freshness on the fake runner: every repetition is its own runner process,
//! and a run with nothing changed starts none. The tool's cost per run is timed by
//! `cargo bench --bench bench_overhead`, not here.

use crate::bench_common;
use bench_common::*;

const PROCESSES: u32 = 30;

#[test]
fn each_repetition_is_one_process_and_a_fresh_site_starts_no_runner() {
    let site = Site::quick(PROCESSES);
    let out = site.run(&["-q", "bench"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // One discarded warm-up process (the default), then the measured ones.
    assert_eq!(site.starts().len(), PROCESSES as usize + 1);
    let stored = site.stored("quick");
    assert_eq!(stored.runs[0].repetitions.len(), PROCESSES as usize);
    assert_eq!(stored.runs[0].discarded.len(), 1);
    assert!(stored.runs[0]
        .repetitions
        .iter()
        .all(|r| r.outside.wall_s > 0.0));

    // Nothing changed: the whole step is reading, hashing and comparing; no runner starts.
    let before = site.result_bytes("quick");
    let out = site.run(&["-q", "bench"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(site.starts().len(), PROCESSES as usize + 1);
    assert_eq!(site.result_bytes("quick"), before);
}

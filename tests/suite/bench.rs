//! `benchbook bench` end to end with the fake runner: staleness, --rerun, --frozen, faults,
//! --keep-going and Ctrl-C.

use crate::bench_common;
use bench_common::*;

const OK: &str = "
title: Fake OK
runners:
  - {name: fake, command: [FAKE]}
workload: {mode: ok, seed: 7}
matrix:
  size: [1, 2]
repetitions: 2
warmup: 1
timeout: 20
";

#[test]
fn first_run_measures_and_stores_everything() {
    let site = Site::new();
    site.declare("demo", OK);
    let out = site.run(&["bench"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // 2 points × (1 warmup + 2 repetitions).
    assert_eq!(site.starts().len(), 6);
    let s = site.stored("demo");
    assert_eq!(s.id, "demo");
    assert_eq!(s.title, "Fake OK");
    assert_eq!(s.runs.len(), 2);
    for (run, size) in s.runs.iter().zip([1, 2]) {
        assert_eq!(run.runner, "fake");
        assert_eq!(run.params["size"], size);
        assert_eq!(run.warmup, 1);
        assert_eq!(run.repetitions.len(), 2);
        assert_eq!(run.fingerprint.len(), 64);
        assert_eq!(run.command, vec![FAKE.to_string()]);
        // The matrix point is merged into the workload the runner saw.
        assert_eq!(run.spec.workload["size"], size);
        assert_eq!(run.spec.workload["mode"], "ok");
        for rep in &run.repetitions {
            assert_eq!(rep.result.info["workload"], run.spec.workload);
            assert!(rep.outside.wall_s > 0.0);
            assert!(rep.outside.max_rss_bytes > 100 * 1024, "{:?}", rep.outside);
            assert_eq!(rep.result.metrics["step_time"].samples.len(), 5);
        }
        assert!(run.machine.cores >= 1);
        assert!(chrono::DateTime::parse_from_rfc3339(&run.date).is_ok());
    }
    // Stable, pretty, with a final newline; nothing else in the directory.
    let bytes = site.result_bytes("demo").unwrap();
    assert!(bytes.ends_with(b"}\n"));
    assert!(bytes.starts_with(b"{\n  \"id\": \"demo\",\n  \"title\""));
    assert_eq!(site.result_files(), vec!["demo.json"]);
    let err = stderr(&out);
    assert!(err.contains("ran 2 runs (6 processes)"), "{err}");
}

#[test]
fn fresh_results_start_no_runner_and_edits_make_them_stale() {
    let site = Site::new();
    site.declare("demo", OK);
    assert!(site.run(&["bench"]).status.success());
    let first = site.result_bytes("demo").unwrap();
    assert_eq!(site.starts().len(), 6);

    // Nothing changed: no runner starts, the file is untouched.
    let out = site.run(&["bench"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(site.starts().len(), 6);
    assert_eq!(site.result_bytes("demo").unwrap(), first);
    assert!(
        stderr(&out).contains("ran 0 runs (0 processes)"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("reused 2"), "{}", stderr(&out));

    // A new title is not a new measurement.
    site.declare("demo", &OK.replace("Fake OK", "Renamed"));
    assert!(site.run(&["bench"]).status.success());
    assert_eq!(site.starts().len(), 6);
    assert_eq!(site.stored("demo").title, "Renamed");

    // One more matrix value: only the new point runs.
    site.declare("demo", &OK.replace("[1, 2]", "[1, 2, 3]"));
    assert!(site.run(&["bench"]).status.success());
    assert_eq!(site.starts().len(), 9);
    let started: Vec<String> = site.starts()[6..].to_vec();
    assert!(
        started.iter().all(|l| l.contains(r#"{"size":3}"#)),
        "{started:?}"
    );
    assert_eq!(site.stored("demo").runs.len(), 3);

    // A workload edit makes every point stale.
    site.declare(
        "demo",
        &OK.replace("[1, 2]", "[1, 2, 3]")
            .replace("seed: 7", "seed: 8"),
    );
    assert!(site.run(&["bench"]).status.success());
    assert_eq!(site.starts().len(), 18);
}

#[test]
fn rerun_forces_and_ids_select() {
    let site = Site::new();
    site.declare("demo", OK);
    site.declare("other", &OK.replace("[1, 2]", "[5]"));
    assert!(site.run(&["bench", "demo"]).status.success());
    assert_eq!(site.starts().len(), 6);
    assert!(site.result_bytes("other").is_none());

    assert!(site.run(&["bench", "--rerun", "demo"]).status.success());
    assert_eq!(site.starts().len(), 12);
    assert!(site.result_bytes("other").is_none());

    let out = site.run(&["bench", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("`nope`"), "{}", stderr(&out));
    assert!(stderr(&out).contains("demo, other"), "{}", stderr(&out));
}

#[test]
fn frozen_never_runs() {
    let site = Site::new();
    site.declare("demo", OK);
    let out = site.run(&["bench", "--frozen"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("--frozen: 2 needed results are missing"),
        "{err}"
    );
    assert!(err.contains("fake on demo {size=1}"), "{err}");
    assert!(err.contains("fake on demo {size=2}"), "{err}");
    assert!(site.starts().is_empty());
    assert!(site.result_bytes("demo").is_none());

    assert!(site.run(&["bench"]).status.success());
    let stored = site.result_bytes("demo").unwrap();
    let out = site.run(&["bench", "--frozen"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(site.starts().len(), 6);

    // Stale but present: used, with a warning, and never re-measured or rewritten.
    site.declare("demo", &OK.replace("seed: 7", "seed: 9"));
    let out = site.run(&["bench", "--frozen"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: fake on demo {size=1}: the stored result is stale"),
        "{err}"
    );
    assert_eq!(site.starts().len(), 6);
    assert_eq!(site.result_bytes("demo").unwrap(), stored);

    // A missing point among present ones.
    site.declare("demo", &OK.replace("[1, 2]", "[1, 2, 4]"));
    let out = site.run(&["bench", "--frozen"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("1 needed result is missing"), "{err}");
    assert!(err.contains("fake on demo {size=4}"), "{err}");
}

/// Run a good measurement, then make the runner misbehave: the command fails with `what`,
/// the stored file stays byte-identical and no temporary file is left.
fn fault(mode: &str, extra: &str, what: &[&str]) {
    let site = Site::new();
    let decl = OK.replace("[1, 2]", "[1]");
    site.declare("demo", &decl);
    assert!(site.run(&["bench"]).status.success());
    let good = site.result_bytes("demo").unwrap();

    site.declare(
        "demo",
        &format!(
            "{}{extra}",
            decl.replace("mode: ok", &format!("mode: {mode}"))
        ),
    );
    let out = site.run(&["bench"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{mode}: {err}");
    assert!(
        err.contains("error: fake on demo {size=1}: "),
        "{mode}: {err}"
    );
    for w in what {
        assert!(err.contains(w), "{mode}: expected {w:?} in {err}");
    }
    assert_eq!(site.result_bytes("demo").unwrap(), good, "{mode}");
    assert_eq!(site.result_files(), vec!["demo.json"], "{mode}");
}

#[test]
fn crash_is_reported_with_stderr_tail() {
    fault(
        "crash",
        "",
        &["exited with status 3", "  | fake runner: crashing as asked"],
    );
}

#[test]
fn invalid_json_is_a_failure() {
    fault("garbage", "", &["exited 0 but printed an invalid result"]);
}

#[test]
fn trailing_garbage_is_a_failure() {
    fault(
        "trailing",
        "",
        &["printed an invalid result", "trailing characters"],
    );
}

#[test]
fn empty_stdout_is_a_failure() {
    fault("empty", "", &["exited 0 but printed no result on stdout"]);
}

#[test]
fn valid_result_then_nonzero_exit_is_a_failure() {
    fault(
        "nonzero_after_result",
        "",
        &["printed a valid result but exited with status 2"],
    );
}

#[test]
fn missing_declared_metric_is_a_failure() {
    fault(
        "ok",
        "metrics: [step_time, accuracy, wall_time]\n",
        &["lacks the declared metric `accuracy` (it reported: step_time)"],
    );
}

#[test]
fn declared_metrics_are_the_ones_kept() {
    let site = Site::new();
    site.declare(
        "demo",
        &format!(
            "{}metrics: [b, peak_rss]\n",
            OK.replace(
                "seed: 7",
                "seed: 7, metrics: {a: {unit: s, samples: [1]}, b: {unit: B, samples: [2, 3]}}"
            )
        ),
    );
    let out = site.run(&["bench"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = site.stored("demo");
    let metrics = &s.runs[0].repetitions[0].result.metrics;
    assert_eq!(metrics.keys().collect::<Vec<_>>(), vec!["b"]);
    assert_eq!(metrics["b"].samples, vec![2.0, 3.0]);
}

#[test]
fn hang_past_timeout_kills_the_whole_group() {
    let site = Site::new();
    let decl = OK.replace("[1, 2]", "[1]");
    site.declare("demo", &decl);
    assert!(site.run(&["bench"]).status.success());
    let good = site.result_bytes("demo").unwrap();

    site.declare(
        "demo",
        &decl
            .replace("mode: ok", "mode: spawn_grandchild_and_hang")
            .replace("timeout: 20", "timeout: 1"),
    );
    let t = std::time::Instant::now();
    let out = site.run(&["bench"]);
    let took = t.elapsed().as_secs_f64();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("timed out after 1 s (its process group was killed)"),
        "{err}"
    );
    assert!(
        err.contains("  | fake runner: fake on demo in mode spawn_grandchild_and_hang"),
        "{err}"
    );
    assert!(took < 10.0, "took {took} s");
    let grandchildren = site.pids("grandchild");
    assert_eq!(grandchildren.len(), 1);
    let runners = site.pids("start");
    assert!(
        wait_for(5.0, || grandchildren
            .iter()
            .chain(&runners)
            .all(|&p| is_gone(p))),
        "left behind: {grandchildren:?} {runners:?}"
    );
    assert_eq!(site.result_bytes("demo").unwrap(), good);
    assert_eq!(site.result_files(), vec!["demo.json"]);
}

#[test]
fn keep_going_measures_the_rest_and_reports_every_failure() {
    let site = Site::new();
    site.declare(
        "a_bad",
        "
title: Bad
runners:
  - {name: one, command: [FAKE]}
workload: {mode: crash}
repetitions: 1
",
    );
    site.declare(
        "b_good",
        "
title: Good
runners:
  - {name: one, command: [FAKE]}
  - {name: two, command: [FAKE]}
workload: {mode: ok}
repetitions: 1
",
    );
    // Without --keep-going the first failure stops the step.
    let out = site.run(&["bench"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(site.starts().len(), 1);
    assert!(site.result_bytes("b_good").is_none());
    assert!(
        stderr(&out).contains("--keep-going measures the rest"),
        "{}",
        stderr(&out)
    );

    let out = site.run(&["bench", "--keep-going"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("warning: one on a_bad: exited with status 3"),
        "{err}"
    );
    assert!(err.contains("1 run failed"), "{err}");
    // 1 start before; now the crashing warm-up process of `a_bad`, then `b_good`'s two
    // runners with one warm-up and one measured process each (the default warm-up is 1).
    assert_eq!(site.starts().len(), 6);
    assert_eq!(site.stored("b_good").runs.len(), 2);
    assert!(site.result_bytes("a_bad").is_none());
}

#[test]
fn prepare_with_keep_going_lists_failures_for_the_pages() {
    let site = Site::new();
    site.declare(
        "mixed",
        "
title: Mixed
runners:
  - {name: good, command: [FAKE]}
  - {name: bad, command: [FAKE, --sleep-forever]}
workload: {mode: ok}
repetitions: 1
timeout: 0.5
",
    );
    let policy = benchbook::bench::BenchPolicy {
        keep_going: true,
        ..Default::default()
    };
    let outcome = benchbook::bench::prepare(site.root(), &policy, &[], true).expect("keep going");
    assert_eq!(outcome.ran, 1);
    assert_eq!(outcome.reused, 0);
    // `good`: its warm-up process and its measured one; `bad`: its warm-up, which timed out.
    assert_eq!(outcome.processes, 3);
    assert_eq!(outcome.failures.len(), 1);
    let f = &outcome.failures[0];
    assert_eq!((f.benchmark.as_str(), f.runner.as_str()), ("mixed", "bad"));
    assert!(
        f.message.starts_with("bad on mixed: timed out after 0.5 s"),
        "{}",
        f.message
    );
    assert!(outcome
        .failure("mixed", "bad", &Default::default())
        .is_some());
    assert!(outcome
        .failure("mixed", "good", &Default::default())
        .is_none());
    // The typed status of every run, as `check` and `serve` read it.
    use benchbook::bench::RunState;
    let states: Vec<(&str, &RunState)> = outcome
        .runs
        .iter()
        .map(|r| (r.runner.as_str(), &r.state))
        .collect();
    assert_eq!(states.len(), 2, "{states:?}");
    assert!(
        states.contains(&("good", &RunState::Measured)),
        "{states:?}"
    );
    assert!(
        states
            .iter()
            .any(|(r, s)| *r == "bad" && matches!(s, RunState::Failed { message } if message.starts_with("bad on mixed: timed out"))),
        "{states:?}"
    );
    let stored = &outcome.results["mixed"];
    assert_eq!(stored.runs.len(), 1);
    assert_eq!(stored.runs[0].runner, "good");
    assert!(outcome.stale.is_empty());
    assert_eq!(outcome.declarations.len(), 1);
    assert_eq!(
        outcome.declarations[0].compare,
        Some(("good".into(), "bad".into()))
    );

    // Without --keep-going the same step is an error.
    let policy = benchbook::bench::BenchPolicy {
        results: benchbook::bench::ResultPolicy::Rerun,
        ..Default::default()
    };
    let err = benchbook::bench::prepare(site.root(), &policy, &[], true).unwrap_err();
    assert!(
        err.to_string().contains("1 benchmark run failed"),
        "{err:#}"
    );

    // A good result whose re-measurement fails is kept, and marked stale when its
    // declaration changed since.
    std::fs::write(
        site.root().join("benchmarks/mixed.yaml"),
        format!("title: Mixed\nrunners:\n  - {{name: good, command: [{FAKE}]}}\nworkload: {{mode: crash}}\nrepetitions: 1\n"),
    )
    .unwrap();
    let policy = benchbook::bench::BenchPolicy {
        keep_going: true,
        ..Default::default()
    };
    let outcome = benchbook::bench::prepare(site.root(), &policy, &[], true).unwrap();
    assert_eq!(outcome.failures.len(), 1);
    assert!(outcome.stale.contains("mixed"));
    assert_eq!(outcome.results["mixed"].runs[0].runner, "good");
    let frozen = benchbook::bench::prepare(
        site.root(),
        &benchbook::bench::BenchPolicy {
            results: benchbook::bench::ResultPolicy::Frozen,
            ..Default::default()
        },
        &[],
        true,
    )
    .unwrap();
    assert!(frozen.stale.contains("mixed"));
    assert_eq!(frozen.warnings.len(), 1);
    assert_eq!(frozen.runs.len(), 1);
    assert_eq!(frozen.runs[0].describe(), "good on mixed");
    assert_eq!(
        frozen.runs[0].state,
        RunState::Stale {
            why: "the stored result is stale (its declaration or runner changed)".into()
        }
    );
}

#[test]
fn ctrl_c_kills_the_runner_and_keeps_results() {
    let site = Site::new();
    site.declare("done", &OK.replace("[1, 2]", "[1]"));
    assert!(site.run(&["bench"]).status.success());
    site.declare(
        "hangs",
        "
title: Hangs
runners:
  - {name: fake, command: [FAKE]}
workload: {mode: spawn_grandchild_and_hang}
timeout: 60
",
    );
    // Files are taken in name order: `done` is fresh, `hangs` runs and hangs.
    let before = site.result_bytes("done").unwrap();
    let mut child = site
        .command(&["bench"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for(20.0, || site.pids("grandchild").len() == 1),
        "the fake runner never started"
    );
    let runner = *site.pids("start").last().unwrap();
    let grandchild = site.pids("grandchild")[0];
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = wait_with_timeout(&mut child, 10.0).expect("benchbook exits after Ctrl-C");
    assert_eq!(status.code(), Some(130));
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("interrupted"), "{err}");
    assert!(
        wait_for(5.0, || is_gone(runner) && is_gone(grandchild)),
        "left behind: runner {runner}, grandchild {grandchild}"
    );
    assert_eq!(site.result_bytes("done").unwrap(), before);
    assert_eq!(site.result_files(), vec!["done.json"]);
}

fn wait_with_timeout(
    child: &mut std::process::Child,
    secs: f64,
) -> Option<std::process::ExitStatus> {
    let mut status = None;
    wait_for(secs, || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    if status.is_none() {
        let _ = child.kill();
    }
    status
}

#[test]
fn a_missing_program_is_a_failed_run() {
    let site = Site::new();
    site.declare(
        "demo",
        "
title: Missing
runners:
  - {name: fake, command: [bin/not-there]}
",
    );
    let out = site.run(&["bench"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("fake on demo: cannot find the program `bin/not-there`"),
        "{err}"
    );
}

#[test]
fn a_broken_stored_result_is_reported_with_its_position() {
    let site = Site::new();
    site.declare("demo", &OK.replace("[1, 2]", "[1]"));
    std::fs::create_dir_all(site.root().join("benchmarks/results")).unwrap();
    std::fs::write(
        site.result_path("demo"),
        "{\n  \"id\": \"demo\",\n  oops\n}\n",
    )
    .unwrap();
    let out = site.run(&["bench"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("benchmarks/results/demo.json:3:3: invalid stored result"),
        "{err}"
    );
    assert!(site.starts().is_empty());
    // --rerun replaces it.
    let out = site.run(&["bench", "--rerun"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(site.stored("demo").runs.len(), 1);
}

#[test]
fn editing_a_data_file_named_in_the_workload_makes_results_stale() {
    let site = Site::new();
    std::fs::create_dir_all(site.root().join("benchmarks/data")).unwrap();
    std::fs::write(site.root().join("benchmarks/data/x.json"), "[1]").unwrap();
    site.declare(
        "demo",
        &OK.replace("[1, 2]", "[1]")
            .replace("seed: 7", "seed: 7, data: benchmarks/data/x.json"),
    );
    assert!(site.run(&["bench"]).status.success());
    assert!(site.run(&["bench"]).status.success());
    assert_eq!(site.starts().len(), 3);
    std::fs::write(site.root().join("benchmarks/data/x.json"), "[2]").unwrap();
    assert!(site.run(&["bench"]).status.success());
    assert_eq!(site.starts().len(), 6);
}

#[test]
fn editing_a_file_under_a_folder_named_in_the_workload_makes_results_stale() {
    let site = Site::new();
    let dir = site.root().join("benchmarks/data/src");
    std::fs::create_dir_all(dir.join("target")).unwrap();
    std::fs::write(dir.join("a.rs"), "1").unwrap();
    site.declare(
        "demo",
        &OK.replace("[1, 2]", "[1]")
            .replace("seed: 7", "seed: 7, sources: benchmarks/data"),
    );
    assert!(site.run(&["bench"]).status.success());
    assert_eq!(site.starts().len(), 3);
    // Build output and hidden files do not count.
    std::fs::write(dir.join("target/out.o"), "x").unwrap();
    std::fs::write(dir.join(".a.rs.swp"), "x").unwrap();
    assert!(site.run(&["bench"]).status.success());
    assert_eq!(site.starts().len(), 3);
    // An edited or a new source file does.
    std::fs::write(dir.join("a.rs"), "2").unwrap();
    assert!(site.run(&["bench"]).status.success());
    assert_eq!(site.starts().len(), 6);
    std::fs::write(dir.join("b.rs"), "3").unwrap();
    assert!(site.run(&["bench"]).status.success());
    assert_eq!(site.starts().len(), 9);
}

#[test]
fn verbose_forwards_the_runner_stderr_and_quiet_says_nothing() {
    let site = Site::new();
    site.declare("demo", &OK.replace("[1, 2]", "[1]"));
    let out = site.run(&["-v", "bench"]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("  fake| fake runner: fake on demo in mode ok"),
        "{err}"
    );
    assert!(
        err.contains("bench: fake on demo {size=1}: 2 repetitions measured"),
        "{err}"
    );

    let out = site.run(&["-q", "bench", "--rerun"]);
    assert!(out.status.success());
    assert_eq!(stderr(&out), "");
    assert_eq!(site.starts().len(), 6);
}

#[test]
fn one_runner_name_may_mean_different_programs_in_different_declarations() {
    let site = Site::new();
    site.declare(
        "a",
        "title: A\nrunners:\n  - {name: r, command: [FAKE]}\nrepetitions: 1\n",
    );
    site.declare(
        "b",
        "title: B\nrunners:\n  - {name: r, command: [bin/missing]}\nrepetitions: 1\n",
    );
    let out = site.run(&["bench", "--keep-going"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("warning: r on b: cannot find the program `bin/missing`"),
        "{err}"
    );
    assert_eq!(site.stored("a").runs.len(), 1);
    assert!(site.result_bytes("b").is_none());
}

/// `(benchmark, runner, params)` of every start the fake runner logged, in order.
fn started(site: &Site) -> Vec<(String, String, String)> {
    site.starts()
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[1].to_string(), f[2].to_string(), f[3].to_string())
        })
        .collect()
}

#[test]
fn the_runners_of_a_point_run_interleaved_after_their_warm_ups() {
    let site = Site::new();
    site.declare(
        "pair",
        "
title: Pair
runners:
  - {name: a, command: [FAKE]}
  - {name: b, command: [FAKE]}
workload:
  mode: ok
  metrics: {step_time: {unit: s, mean: 0.001, spread: 0.1, n: 4, warmup: 1, region: one step}}
matrix:
  size: [1, 2]
repetitions: 3
warmup: 1
",
    );
    let out = site.run(&["bench"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // One point after the other; at each, the warm-up process of every runner first, then
    // one measured process of each runner in turn, so that a drift of the machine is shared.
    let order: Vec<String> = started(&site)
        .into_iter()
        .map(|(bench, runner, params)| {
            assert_eq!(bench, "pair");
            format!("{runner} {params}")
        })
        .collect();
    let mut expected = Vec::new();
    for size in [1, 2] {
        for runner in ["a", "b", "a", "b", "a", "b", "a", "b"] {
            expected.push(format!("{runner} {{\"size\":{size}}}"));
        }
    }
    assert_eq!(order, expected);
    assert!(
        stderr(&out).contains("ran 4 runs (16 processes)"),
        "{}",
        stderr(&out)
    );

    // The order is stored with every run: the schedule of its point, and for each process
    // (measured or discarded) its place in it.
    let s = site.stored("pair");
    assert_eq!(s.runs.len(), 4);
    let schedule = ["warmup a", "warmup b", "a", "b", "a", "b", "a", "b"];
    for run in &s.runs {
        assert_eq!(run.schedule, schedule, "{} {:?}", run.runner, run.params);
        assert_eq!(run.warmup, 1);
        assert_eq!(run.discarded.len(), 1);
        assert_eq!(run.repetitions.len(), 3);
        let first = if run.runner == "a" { 0 } else { 1 };
        assert_eq!(run.discarded[0].sequence, Some(first));
        let sequence: Vec<Option<usize>> = run.repetitions.iter().map(|r| r.sequence).collect();
        assert_eq!(
            sequence,
            [Some(first + 2), Some(first + 4), Some(first + 6)],
            "{}",
            run.runner
        );
        for rep in run.discarded.iter().chain(&run.repetitions) {
            let entry = &run.schedule[rep.sequence.unwrap()];
            assert!(
                entry.ends_with(&run.runner),
                "{entry} in {:?}",
                run.schedule
            );
            assert!(rep.outside.wall_s > 0.0);
            // The runner's own marks are stored as it reported them.
            let m = &rep.result.metrics["step_time"];
            assert_eq!((m.warmup, m.region.as_deref()), (1, Some("one step")));
            assert_eq!(m.samples.len(), 4);
            assert_eq!(m.steady().len(), 3);
        }
    }
}

#[test]
fn a_failing_runner_leaves_its_partner_measured_in_the_same_order() {
    let site = Site::new();
    site.declare(
        "pair",
        "
title: Pair
runners:
  - {name: a, command: [FAKE]}
  - {name: b, command: [FAKE, --sleep-forever]}
workload: {mode: ok}
repetitions: 2
warmup: 1
timeout: 0.5
",
    );
    let out = site.run(&["bench", "--keep-going"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // `b` hangs in its warm-up process and is killed; `a` goes on alone (`b` never logs: it
    // sleeps before reading its spec).
    let runners: Vec<String> = started(&site).into_iter().map(|(_, r, _)| r).collect();
    assert_eq!(runners, ["a", "a", "a"]);
    let s = site.stored("pair");
    assert_eq!(s.runs.len(), 1);
    let run = &s.runs[0];
    assert_eq!(run.runner, "a");
    assert_eq!(run.schedule, ["warmup a", "a", "a"]);
    assert_eq!(run.discarded[0].sequence, Some(0));
    let sequence: Vec<Option<usize>> = run.repetitions.iter().map(|r| r.sequence).collect();
    assert_eq!(sequence, [Some(1), Some(2)]);
}

#[test]
fn a_compared_pair_gets_enough_processes_for_a_verdict_by_default() {
    let site = Site::new();
    site.declare(
        "pair",
        "
title: Pair
runners:
  - {name: a, command: [FAKE]}
  - {name: b, command: [FAKE]}
workload: {mode: ok}
",
    );
    let out = site.run(&["bench"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Default: 1 warm-up and 10 measured processes per runner (5 a side are needed).
    assert_eq!(site.starts().len(), 22);
    let s = site.stored("pair");
    for run in &s.runs {
        assert_eq!((run.discarded.len(), run.repetitions.len()), (1, 10));
        assert_eq!(run.schedule.len(), 22);
    }

    // Without warm-up processes, the schedule starts with the measured ones.
    site.declare(
        "pair",
        "
title: Pair
runners:
  - {name: a, command: [FAKE]}
  - {name: b, command: [FAKE]}
workload: {mode: ok, seed: 1}
repetitions: 2
warmup: 0
",
    );
    assert!(site.run(&["bench"]).status.success());
    let s = site.stored("pair");
    for run in &s.runs {
        assert!(run.discarded.is_empty());
        assert_eq!(run.schedule, ["a", "b", "a", "b"]);
    }
    let runners: Vec<String> = started(&site)[22..]
        .iter()
        .map(|(_, r, _)| r.clone())
        .collect();
    assert_eq!(runners, ["a", "b", "a", "b"]);
}

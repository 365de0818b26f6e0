//! Benchmark declarations: validation with file:line:column errors, every error in one pass.

use benchbook::bench::{check_page_benchmarks, load_declarations, Declaration};
use std::path::Path;

fn load(files: &[(&str, &str)]) -> Result<Vec<Declaration>, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("benchmarks")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join("benchmarks").join(name), text).unwrap();
    }
    load_declarations(dir.path()).map_err(|d| d.to_string())
}

#[test]
fn a_full_declaration_is_read() {
    let decls = load(&[(
        "mlp.yaml",
        "
id: mlp_digits
title: MLP on digits
description: A small MLP.
runners:
  - torch
  - tensorflow
  - name: mine
    command: [bin/run, --fast]
workload:
  task: train
  model: {kind: mlp, hidden: [64]}
matrix:
  threads: [1, 2]
  batch_size: [32, 128]
repetitions: 5
warmup: 1
timeout: 30.5
metrics: [step_time, wall_time]
compare: [tensorflow, torch]
",
    )])
    .unwrap();
    let d = &decls[0];
    assert_eq!(d.id, "mlp_digits");
    assert_eq!(d.source, Path::new("benchmarks/mlp.yaml"));
    assert_eq!(d.runners.len(), 3);
    assert_eq!(d.runners[0].command, None);
    assert_eq!(
        d.runners[2].command,
        Some(vec!["bin/run".to_string(), "--fast".to_string()])
    );
    assert_eq!(d.workload["model"]["hidden"][0], 64);
    assert_eq!(d.repetitions, 5);
    assert_eq!(d.warmup, 1);
    assert_eq!(d.timeout_s, 30.5);
    assert_eq!(
        d.compare,
        Some(("tensorflow".to_string(), "torch".to_string()))
    );
    assert!(d.has_metric("step_time"));
    assert!(d.has_metric("peak_rss"));
    assert!(!d.has_metric("accuracy"));
    // The cartesian product, in declared order.
    let points: Vec<String> = d
        .points()
        .iter()
        .map(|p| format!("{}/{}", p["threads"], p["batch_size"]))
        .collect();
    assert_eq!(points, vec!["1/32", "1/128", "2/32", "2/128"]);
}

#[test]
fn defaults() {
    let decls = load(&[("tiny_one.yaml", "title: T\nruns: 1\nrunners: [torch]\n")]);
    // `runs` is not a key: the error lists the allowed ones.
    let err = decls.unwrap_err();
    assert!(
        err.contains("benchmarks/tiny_one.yaml:2:1: unknown declaration key `runs`; expected one of: id, title, description, runners, workload, matrix, repetitions, warmup, timeout, metrics, compare, margin"),
        "{err}"
    );
    // One runner: nothing to compare, 3 measured processes after 1 discarded one.
    let d = &load(&[("tiny_one.yaml", "title: T\nrunners: [torch]\n")]).unwrap()[0];
    assert_eq!(d.id, "tiny_one");
    assert_eq!((d.repetitions, d.warmup, d.timeout_s), (3, 1, 600.0));
    assert_eq!(d.metrics, None);
    assert!(d.has_metric("anything"));
    assert_eq!(d.compare, None);
    assert_eq!(d.points().len(), 1);
    assert_eq!(d.margin, 0.05);
    assert!(d.margins.is_empty());
    // A compared pair: 10 processes a side by default, enough for a verdict (5 a side).
    let d = &load(&[("pair.yaml", "title: T\nrunners: [torch, tensorflow]\n")]).unwrap()[0];
    assert_eq!(
        d.compare,
        Some(("torch".to_string(), "tensorflow".to_string()))
    );
    assert_eq!((d.repetitions, d.warmup), (10, 1));
    // Explicit values win over the defaults.
    let d = &load(&[(
        "pair.yaml",
        "title: T\nrunners: [torch, tensorflow]\nrepetitions: 4\nwarmup: 0\n",
    )])
    .unwrap()[0];
    assert_eq!((d.repetitions, d.warmup), (4, 0));
}

#[test]
fn margin_is_a_number_or_a_mapping_per_metric() {
    let d = &load(&[(
        "m.yaml",
        "title: T\nrunners: [torch, tensorflow]\nmargin: 0.02\n",
    )])
    .unwrap()[0];
    assert_eq!(d.margin, 0.02);
    assert!(d.margins.is_empty());
    let d = &load(&[(
        "m.yaml",
        "title: T\nrunners: [torch, tensorflow]\nmargin: {default: 0.1, model_size: 0.01}\n",
    )])
    .unwrap()[0];
    assert_eq!(d.margin, 0.1);
    assert_eq!(d.margins.get("model_size"), Some(&0.01));
    assert_eq!(d.margins.len(), 1);
    // Without `default` the mapping only sets the metrics it names.
    let d = &load(&[(
        "m.yaml",
        "title: T\nrunners: [torch, tensorflow]\nmargin: {step_time: 0.03}\n",
    )])
    .unwrap()[0];
    assert_eq!(d.margin, 0.05);
    assert_eq!(d.margins.get("step_time"), Some(&0.03));

    let err = load(&[(
        "m.yaml",
        "title: T\nrunners: [torch, tensorflow]\nmargin: 5\n",
    )])
    .unwrap_err();
    assert!(
        err.contains("benchmarks/m.yaml:3:1: `margin` is 5; expected a fraction between 0 and 1 (0.05 means ±5%)"),
        "{err}"
    );
    let err = load(&[(
        "m.yaml",
        "title: T\nrunners: [torch, tensorflow]\nmargin:\n  default: 0.05\n  step_time: fast\n",
    )])
    .unwrap_err();
    assert!(
        err.contains("benchmarks/m.yaml:5:3: `margin.step_time` is the text \"fast\"; expected a fraction between 0 and 1"),
        "{err}"
    );
}

#[test]
fn every_error_in_one_pass_at_its_key() {
    let err = load(&[
        (
            "a.yaml",
            "id: Bad-Id
title: [not, text]
runners:
  - torch
  - pytorch
  - {name: x}
  - {name: y, command: []}
  - torch
workload: 3
matrix:
  threads: []
  size: 4
repetitions: 0
warmup: -1
timeout: soon
metrics: [a, a]
compare: [torch, nope]
",
        ),
        ("b.yaml", "title: B\nrunners: [torch]\nid: [\n"),
        ("c.yaml", "- just\n- a list\n"),
    ])
    .unwrap_err();
    let expected = [
        "benchmarks/a.yaml:1:1: benchmark id `Bad-Id` is not valid; expected lowercase letters, digits and `_` only",
        "benchmarks/a.yaml:2:1: `title` is a list; expected text",
        "benchmarks/a.yaml:5:5: `pytorch` is not a built-in runner; expected one of: torch, tensorflow",
        "benchmarks/a.yaml:6:6: runner `x` has no `command` and is not built in",
        "benchmarks/a.yaml:7:15: `command` is empty; expected [program, args...]",
        "benchmarks/a.yaml:8:5: runner `torch` is declared twice",
        "benchmarks/a.yaml:9:1: `workload` is a number; expected a mapping",
        "benchmarks/a.yaml:11:3: matrix parameter `threads` is an empty list; expected a non-empty list of values",
        "benchmarks/a.yaml:12:3: matrix parameter `size` is a number",
        "benchmarks/a.yaml:13:1: `repetitions` is 0; expected a whole number of at least 1",
        "benchmarks/a.yaml:14:1: `warmup` is -1; expected a whole number of at least 0",
        "benchmarks/a.yaml:15:1: `timeout` is the text \"soon\"; expected a positive number of seconds",
        "benchmarks/a.yaml:16:14: metric `a` is listed twice",
        "benchmarks/a.yaml:17:18: runner `nope` in `compare` is not declared; expected one of: torch, y",
        "benchmarks/b.yaml:4:1: invalid YAML:",
        "benchmarks/c.yaml:1:1: the declaration is a list; expected a mapping with keys: id, title",
    ];
    for e in expected {
        assert!(err.contains(e), "expected {e:?} in:\n{err}");
    }
}

#[test]
fn ids_are_unique_across_files() {
    let err = load(&[
        ("one.yaml", "id: same\ntitle: A\nrunners: [torch]\n"),
        ("two.yaml", "title: B\nrunners: [torch]\nid: same\n"),
    ])
    .unwrap_err();
    assert!(
        err.contains("benchmarks/two.yaml:3:1: benchmark id `same` is already declared in benchmarks/one.yaml; expected a unique id"),
        "{err}"
    );
    let err = load(&[("Bad Name.yaml", "title: A\nrunners: [torch]\n")]).unwrap_err();
    assert!(
        err.contains("benchmarks/Bad Name.yaml:1:1: benchmark id `Bad Name` (from the file name) is not valid; add an `id:` key or rename the file"),
        "{err}"
    );
}

#[test]
fn no_benchmarks_directory_means_no_declarations() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(load_declarations(dir.path()).unwrap(), vec![]);
}

#[test]
fn pages_may_only_use_declared_benchmarks() {
    let decls = load(&[("mlp.yaml", "title: A\nrunners: [torch]\n")]).unwrap();
    let ok = check_page_benchmarks(Path::new("content/a.md"), 4, &["mlp".to_string()], &decls);
    assert!(ok.is_empty());
    let bad = check_page_benchmarks(
        Path::new("content/a.md"),
        4,
        &["mlp".to_string(), "cnn".to_string()],
        &decls,
    );
    assert_eq!(
        bad.to_string(),
        "content/a.md:4:1: benchmark `cnn` is not declared; expected one of: mlp\n"
    );
}

#[test]
fn the_flagship_declarations_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let decls = load_declarations(root).unwrap_or_else(|d| panic!("{d}"));
    assert!(decls.iter().any(|d| d.id == "mlp_digits"), "{decls:?}");
    // benchbook setup's pins live beside the declarations but are not one.
    assert!(decls.iter().all(|d| d.id != "frameworks"));
}

#[test]
fn an_alias_bomb_is_reported_at_the_alias_that_explodes() {
    // "Billion laughs": each line repeats the previous anchor nine times.
    let mut text = String::from(
        "title: Bomb\nrunners: [torch]\nlol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..=8 {
        let uses = vec![format!("*l{}", i - 1); 9].join(", ");
        text.push_str(&format!("lol{i}: &l{i} [{uses}]\n"));
    }
    let started = std::time::Instant::now();
    let err = load(&[("bomb.yaml", &text)]).unwrap_err();
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
    // 116 events, so serde_yaml gives up after 11,600 alias expansions. An alias of `lolN`
    // replays those of `lolN-1`: 1, 10, 91, 820 and 7,381 expansions for lol1..lol5, so the
    // 9 + 90 + 819 + 7,380 of lol1..lol4 stay under the limit and the first alias of lol5
    // (line 8, after `lol5: &l5 [`) crosses it.
    assert!(
        err.contains(
            "benchmarks/bomb.yaml:8:12: invalid YAML: repetition limit exceeded (aliases here expand to far more nodes than the file holds); expected a benchmark declaration"
        ),
        "{err}"
    );
}

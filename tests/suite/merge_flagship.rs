//! Every expression of the flagship report (`content/`) against the real declarations
//! (`benchmarks/*.yaml`) and SYNTHETIC stored results: a typo in a benchmark id, runner,
//! matrix point, metric, series, probe, info key or function name fails this test, without
//! the frameworks and without measuring anything.
//!
//! The results are made up here, in memory, from the declarations: every runner × matrix
//! point, with the names (metrics, series, classifications, scores, probes, info keys) the
//! real runners report (benchmarks/runners, RUNNERS.md in the notes; `benchmarks/tools/*.py`
//! for the command runners). Their numbers are test data, never measurements: nothing is
//! written to `benchmarks/results/`.
//!
//! They look like what the bench stage stores: at least [`MIN_PROCESSES`] processes per runner
//! and point (enough for a verdict), interleaved after the declared warm-up processes (with
//! `schedule`, `sequence` and `discarded`), each process with its own level (timings vary by a
//! few percent between processes, more than inside one), timings marked with their leading
//! warm-up samples and the region their timer covers; sizes, counts, accuracies and
//! predictions (fixed seeds) the same in every process, as the real runners report them.

use benchbook::bench::{self, BenchOutcome, Declaration};
use benchbook::load::{load, LoadOptions};
use benchbook::merge::{expand, MergeContext};
use benchbook::results::{Machine, Outside, Repetition, StoredBenchmark, StoredRun};
use benchbook::stats::MIN_PROCESSES;
use benchbook_protocol::{
    BinaryScores, Classification, Metric, Probe, RunResult, RunnerInfo, Series, Stage, Threads,
    Unit,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A small deterministic generator (SplitMix64) so the synthetic samples vary but every run
/// of the test sees the same ones.
struct Rng(u64);

impl Rng {
    fn new(key: &str) -> Self {
        // FNV-1a of the key: a different stream per benchmark, runner and point.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// `n` samples around `centre`, ±10%.
    fn around(&mut self, centre: f64, n: usize) -> Vec<f64> {
        (0..n).map(|_| centre * (0.9 + 0.2 * self.next())).collect()
    }
}

/// The random streams of one process: `noise` differs from process to process (its level,
/// its samples); `fixed` is the same in every process of a run (what a fixed seed makes
/// identical: accuracy, predictions).
struct Streams {
    noise: Rng,
    fixed: Rng,
    /// The process's level: its timings are this times the run's typical ones (±4%).
    level: f64,
}

impl Streams {
    fn new(run: &str, process: usize) -> Self {
        let mut noise = Rng::new(&format!("{run}/process {process}"));
        let level = 0.96 + 0.08 * noise.next();
        Streams {
            noise,
            fixed: Rng::new(run),
            level,
        }
    }
}

/// The region a synthetic timer covers (the same for every runner, as the real runners
/// share theirs: a verdict refuses two different regions).
fn region(metric: &str) -> String {
    format!("synthetic region of `{metric}`")
}

/// The probe names every framework runner implements: `PROBES` of the runners' common crate
/// (read from its source, since the runners are a separate workspace).
fn probe_names() -> Vec<String> {
    let path = root().join("benchmarks/runners/common/src/lib.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find("pub const PROBES")
        .expect("PROBES in the runners' common crate");
    let body = &text[start..start + text[start..].find("];").unwrap()];
    // The first string after each `(` is a probe's name, however rustfmt wrapped the tuple.
    let names: Vec<String> = body
        .split('(')
        .skip(1)
        .filter_map(|t| t.trim_start().strip_prefix('"'))
        .filter_map(|t| t.split('"').next())
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 4, "{names:?}");
    names
}

fn metric(unit: Unit, samples: Vec<f64>) -> Metric {
    Metric::new(unit, samples)
}

/// A timing of one process: `warmup` leading one-off samples (three times slower), then `n`
/// steady ones around the process's level.
fn timing(s: &mut Streams, name: &str, unit: Unit, centre: f64, warmup: usize, n: usize) -> Metric {
    let level = if unit == Unit::Seconds {
        centre * s.level
    } else {
        centre / s.level
    };
    let one_off = if unit == Unit::Seconds {
        3.0
    } else {
        1.0 / 3.0
    };
    let mut samples: Vec<f64> = (0..warmup).map(|_| level * one_off).collect();
    samples.extend(s.noise.around(level, n));
    metric(unit, samples)
        .with_warmup(warmup)
        .with_region(region(name))
}

/// What a runner reports for one spec in one process (see the module doc).
fn synthetic_result(
    decl: &Declaration,
    runner: &str,
    workload: &Value,
    s: &mut Streams,
) -> RunResult {
    let builtin = decl.runner(runner).is_some_and(|r| r.command.is_none());
    let (framework, version) = match (builtin, runner) {
        (true, "torch") => (
            "libtorch via tch (PyTorch's C++ library driven eagerly from Rust)",
            "2.13.0",
        ),
        (true, "tensorflow") => (
            "TensorFlow graph via the C API (a TF1-style graph and Session::run, from Rust via the tensorflow crate)",
            "2.21.0",
        ),
        (true, "torch_eager") => ("PyTorch eager (Python)", "2.13.0"),
        (true, "torch_compile") => ("PyTorch torch.compile (Python, Inductor)", "2.13.0"),
        (true, "tf_eager") => ("TensorFlow eager (Python, TensorFlow 2)", "2.21.0"),
        (true, "tf_function") => ("TensorFlow tf.function (Python, TensorFlow 2)", "2.21.0"),
        (true, "tf_xla") => (
            "TensorFlow XLA (Python, tf.function(jit_compile=True))",
            "2.21.0",
        ),
        (true, "keras_fit") => (
            "Keras fit (Python, Keras 3 model.fit on TensorFlow 2)",
            "2.21.0",
        ),
        (true, other) => panic!("built-in runner `{other}`: teach this test what it reports"),
        (false, _) => ("synthetic command runner", "-"),
    };
    let threads = workload.get("threads").and_then(Value::as_u64).unwrap_or(1) as u32;
    let mut r = RunResult::new(RunnerInfo {
        name: runner.to_string(),
        framework: framework.to_string(),
        version: version.to_string(),
        library_paths: vec![],
        threads: builtin.then_some(Threads {
            intra_op: threads,
            inter_op: 1,
        }),
        cpu_features: vec![],
    });
    // Torch and TensorFlow differ a little, so that verdicts go both ways.
    let f = if runner == "torch" { 1.0 } else { 1.3 };
    let task = workload["task"].as_str().unwrap_or_default();
    if builtin {
        r.metrics
            .insert("library_size".into(), metric(Unit::Bytes, vec![4.0e8 * f]));
    }
    match task {
        "train" => {
            let batch = workload["batch_size"].as_f64().unwrap_or(32.0);
            let epochs = workload["epochs"].as_u64().unwrap_or(1).max(1) as usize;
            let step = 1e-4 * f * batch.sqrt();
            let steps = 20;
            // Timings: (name, unit, typical value, leading warm-up samples, steady samples).
            for (name, unit, centre, warmup, n) in [
                ("time_to_first_step", Unit::Seconds, 0.3 * f, 0, 1),
                ("first_step_time", Unit::Seconds, 3.0 * step, 0, 1),
                ("step_time", Unit::Seconds, step, 1, steps),
                ("train_time", Unit::Seconds, step * steps as f64, 0, 1),
                ("train_throughput", Unit::ItemsPerSecond, batch / step, 0, 1),
                ("latency_b1", Unit::Seconds, 2e-4 * f, 3, 30),
                ("infer_throughput", Unit::ItemsPerSecond, 5e4 / f, 2, 10),
                ("model_load_time", Unit::Seconds, 0.02 * f, 1, 5),
                ("train_gflops", Unit::FlopsPerSecond, 2e9 / f, 0, 1),
            ] {
                r.metrics
                    .insert(name.into(), timing(s, name, unit, centre, warmup, n));
            }
            // The same in every process (fixed seeds, the same saved files).
            for (name, unit, value) in [
                (
                    "test_accuracy",
                    Unit::Fraction,
                    0.95 - 0.01 * s.fixed.next(),
                ),
                ("test_loss", Unit::Plain, 0.15 + 0.01 * s.fixed.next()),
                ("model_size", Unit::Bytes, (1.2e5 * f).round()),
                ("parameters", Unit::Count, 17_000.0),
            ] {
                r.metrics.insert(name.into(), metric(unit, vec![value]));
            }
            let x: Vec<f64> = (1..=epochs).map(|e| e as f64).collect();
            for (name, unit, start) in [
                ("train_loss", Unit::Plain, 2.0),
                ("val_loss", Unit::Plain, 2.1),
                ("train_accuracy", Unit::Fraction, 0.5),
                ("val_accuracy", Unit::Fraction, 0.45),
            ] {
                let y = x
                    .iter()
                    .map(|e| {
                        if unit == Unit::Plain {
                            start / e
                        } else {
                            1.0 - (1.0 - start) / e
                        }
                    })
                    .collect();
                r.series.insert(
                    name.into(),
                    Series {
                        unit,
                        x_label: "epoch".into(),
                        x: x.clone(),
                        y,
                    },
                );
            }
            let one_vs_rest = workload["dataset"]
                .get("one_vs_rest")
                .and_then(Value::as_u64);
            let classes: Vec<String> = match one_vs_rest {
                Some(d) => vec![format!("not {d}"), d.to_string()],
                None => (0..10).map(|d| d.to_string()).collect(),
            };
            let k = classes.len() as u32;
            // About 10% positives for one-vs-rest, balanced otherwise.
            let truth: Vec<u32> = (0..200u32)
                .map(|i| {
                    if k == 2 {
                        u32::from(i % 10 == 3)
                    } else {
                        i % k
                    }
                })
                .collect();
            let predicted: Vec<u32> = truth
                .iter()
                .map(|&t| if s.fixed.next() < 0.9 { t } else { (t + 1) % k })
                .collect();
            if let Some(d) = one_vs_rest {
                let scores = truth
                    .iter()
                    .map(|&t| (0.6 * f64::from(t) + 0.4 * s.fixed.next()).min(1.0))
                    .collect();
                r.scores.insert(
                    "test".into(),
                    BinaryScores {
                        positive: d.to_string(),
                        truth: truth.iter().map(|&t| t == 1).collect(),
                        scores,
                    },
                );
            }
            let leaks = workload["dataset"]
                .get("leak_fraction")
                .and_then(Value::as_f64)
                .is_some_and(|f| f > 0.0);
            if leaks {
                // As the runners report a leak: the test rows that leaked, and the others.
                let half = truth.len() / 2;
                for (name, rows) in [("test_leaked", 0..half), ("test_unseen", half..truth.len())] {
                    r.classifications.insert(
                        name.into(),
                        Classification {
                            classes: classes.clone(),
                            truth: truth[rows.clone()].to_vec(),
                            predicted: predicted[rows].to_vec(),
                        },
                    );
                }
            }
            r.classifications.insert(
                "test".into(),
                Classification {
                    classes,
                    truth,
                    predicted,
                },
            );
            for (k, v) in [
                (
                    "model_format",
                    json!(format!("synthetic {runner} model format")),
                ),
                ("dataset", json!("synthetic test data")),
                ("device", json!("cpu")),
            ] {
                r.info.insert(k.into(), v);
            }
            // Whether denormals are flushed: the torch runners say (benchmarks/runners).
            if matches!(runner, "torch" | "torch_eager" | "torch_compile") {
                r.info
                    .insert("flush_denormal".into(), json!("synthetic setting"));
            }
            // What the compiled Python variants count (benchmarks/runners/python).
            if runner == "torch_compile" {
                r.info.insert(
                    "compile".into(),
                    json!({"graphs_compiled": 3, "recompilations": 2}),
                );
            }
            if matches!(runner, "tf_function" | "tf_xla") {
                r.info.insert(
                    "tracing".into(),
                    json!({"train_step_traces": 2, "forward_traces": 1, "retraces": 1}),
                );
            }
        }
        "matmul" => {
            for n in workload["sizes"].as_array().unwrap() {
                let reps = workload["reps"].as_u64().unwrap_or(10) as usize;
                let name = format!("matmul_{}", n.as_u64().unwrap());
                let m = timing(s, &name, Unit::FlopsPerSecond, 5e10 / f, 1, reps);
                r.metrics.insert(name, m);
            }
        }
        // A fresh process loads the saved model and predicts once (one sample of each).
        "cold_start" => {
            for (name, centre) in [
                ("spawn_to_prediction", 0.5 * f),
                ("cold_load_time", 0.05 * f),
                ("cold_predict_time", 2e-3 * f),
            ] {
                r.metrics
                    .insert(name.into(), timing(s, name, Unit::Seconds, centre, 0, 1));
            }
            r.metrics.insert(
                "model_size".into(),
                metric(Unit::Bytes, vec![(1.2e5 * f).round()]),
            );
            for (k, v) in [
                ("model_created_first", json!(false)),
                ("model_path", json!("synthetic/model")),
                (
                    "model_format",
                    json!(format!("synthetic {runner} model format")),
                ),
                ("cold_start_input", json!("synthetic input row")),
            ] {
                r.info.insert(k.into(), v);
            }
        }
        "probes" => {
            for (i, name) in probe_names().into_iter().enumerate() {
                let (stage, message, observed) = match (i % 3, runner) {
                    (0, "torch") => (Stage::Run, Some("synthetic error text".into()), None),
                    (0, _) => (Stage::Build, Some("synthetic error text".into()), None),
                    (1, _) => (Stage::Build, Some("synthetic error text".into()), None),
                    _ => (Stage::None, None, Some("no error: synthetic".into())),
                };
                r.probes.push(Probe {
                    name,
                    stage,
                    message,
                    seconds: 1e-3 * f * s.level,
                    observed,
                });
            }
        }
        // benchmarks/tools/code_size.py
        "code_size" => {
            r.metrics.insert(
                "code_lines".into(),
                Metric {
                    better: Some(benchbook_protocol::Better::Lower),
                    ..metric(Unit::Count, vec![(1000.0 * f).round()])
                },
            );
            r.metrics.insert(
                "code_files".into(),
                Metric {
                    better: Some(benchbook_protocol::Better::Lower),
                    ..metric(Unit::Count, vec![5.0])
                },
            );
            r.info.insert("files".into(), json!(["synthetic.rs"]));
        }
        // benchmarks/tools/cited.py: the metric names are the data file's keys.
        "cited" => {
            let file = root().join(workload["file"].as_str().unwrap());
            let data: Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            for name in data["values"][runner].as_object().unwrap().keys() {
                r.metrics
                    .insert(name.clone(), metric(Unit::Fraction, vec![0.1 * f]));
            }
            for k in ["about", "source", "url", "published", "retrieved"] {
                r.info.insert(k.into(), json!("synthetic"));
            }
        }
        other => panic!(
            "benchmark `{}` has task `{other}`: teach this test what its runner reports",
            decl.id
        ),
    }
    r
}

fn synthetic_results(decls: &[Declaration]) -> BTreeMap<String, StoredBenchmark> {
    let machine = Machine {
        cpu_model: "Synthetic CPU (test data, not a measurement)".into(),
        cores: 2,
        memory_bytes: 8 << 30,
        os: "Synthetic OS".into(),
        kernel: "0.0.0-test".into(),
    };
    let mut out = BTreeMap::new();
    for d in decls {
        // Enough processes for a verdict, whatever the declaration asks for.
        let processes = (d.repetitions as usize).max(MIN_PROCESSES);
        let warmup = d.warmup as usize;
        let names: Vec<&str> = d.runners.iter().map(|r| r.name.as_str()).collect();
        // The runners of a point ran together: the warm-up processes of each, then one
        // measured process of each in turn.
        let mut schedule: Vec<String> = Vec::new();
        for _ in 0..warmup {
            schedule.extend(names.iter().map(|n| format!("warmup {n}")));
        }
        for _ in 0..processes {
            schedule.extend(names.iter().map(|n| n.to_string()));
        }
        let mut runs = Vec::new();
        for (r, runner) in d.runners.iter().enumerate() {
            for point in d.points() {
                let spec = bench::plan::spec_for(d, &runner.name, &point);
                let key = format!("{}/{}/{point:?}", d.id, runner.name);
                let process = |k: usize| {
                    let mut s = Streams::new(&key, k);
                    Repetition {
                        sequence: Some(k * names.len() + r),
                        outside: Outside {
                            wall_s: 2.0 * s.level + 0.1 * s.noise.next(),
                            user_s: 1.8 * s.level,
                            system_s: 0.1,
                            max_rss_bytes: 300 << 20,
                        },
                        result: synthetic_result(d, &runner.name, &spec.workload, &mut s),
                    }
                };
                let discarded = (0..warmup).map(process).collect();
                let repetitions = (warmup..warmup + processes).map(process).collect();
                runs.push(StoredRun {
                    runner: runner.name.clone(),
                    params: point.clone(),
                    fingerprint: "synthetic".into(),
                    date: "2026-01-01T00:00:00Z".into(),
                    command: vec!["synthetic".into()],
                    machine: machine.clone(),
                    spec,
                    warmup: d.warmup,
                    repetitions,
                    discarded,
                    schedule: schedule.clone(),
                });
            }
        }
        out.insert(
            d.id.clone(),
            StoredBenchmark {
                id: d.id.clone(),
                title: d.title.clone(),
                runs,
            },
        );
    }
    out
}

#[test]
fn every_flagship_expression_expands_without_errors() {
    let root = root();
    let decls = bench::load_declarations(&root).unwrap_or_else(|d| panic!("declarations:\n{d}"));
    assert!(!decls.is_empty());
    let mut site = load(&root, &LoadOptions { drafts: true }).unwrap_or_else(|d| panic!("{d}"));
    let mut diags = bench::check_pages(&site, &decls);
    let outcome = BenchOutcome {
        results: synthetic_results(&decls),
        declarations: decls,
        ..Default::default()
    };
    // Result files are never read by `expand`; the paths only feed "how this was measured".
    let ctx = MergeContext::from_outcome(Path::new("/nonexistent-synthetic-root"), &outcome);
    let mut expressions = 0;
    let pages = site
        .pages
        .iter_mut()
        .chain(site.sections.iter_mut().map(|s| &mut s.index));
    for page in pages {
        expressions += page.body.matches("{{").count();
        diags.extend(expand(page, &ctx));
    }
    assert!(
        expressions > 50,
        "the flagship report should use many expressions; found {expressions}"
    );
    // A `claim` checks prose against the real results; these synthetic ones need not agree
    // with it (the real report's build checks every claim), but the claim must evaluate.
    let mut diags = diags.sorted();
    diags
        .0
        .retain(|d| !d.message.starts_with("this claim no longer holds"));
    assert!(
        diags.is_empty(),
        "expressions of the flagship report that do not expand:\n{diags}"
    );
    // With enough processes a side every verdict is a verdict, never "too few runs".
    for page in site
        .pages
        .iter()
        .chain(site.sections.iter().map(|s| &s.index))
    {
        assert!(
            !page.body.contains("too few runs"),
            "{}: a verdict lacks processes on synthetic results:\n{}",
            page.source.display(),
            page.body
        );
    }
    // Quizzes whose answers come from results are still valid quizzes once expanded
    // (`correct:` a boolean, quoted text still quoted).
    let mut quiz_diags = benchbook::diagnostics::Diagnostics::new();
    let mut quizzes = 0;
    for page in site
        .pages
        .iter()
        .chain(site.sections.iter().map(|s| &s.index))
    {
        for (yaml, fence_line) in quiz_blocks(&page.body, page.body_line) {
            quizzes += 1;
            benchbook::markdown::quiz::parse(&page.source, &yaml, fence_line, &mut quiz_diags);
        }
    }
    assert!(quizzes > 3, "found {quizzes} quizzes");
    assert!(
        quiz_diags.is_empty(),
        "quizzes of the flagship report that are invalid once expanded:\n{}",
        quiz_diags.sorted()
    );
}

/// The text of every ```quiz block of an (expanded) body and the file line of its fence.
fn quiz_blocks(body: &str, body_line: usize) -> Vec<(String, usize)> {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
    let mut out = Vec::new();
    let mut current: Option<(String, usize)> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if info.split_whitespace().next() == Some("quiz") =>
            {
                let line = body[..range.start].matches('\n').count() + body_line;
                current = Some((String::new(), line));
            }
            Event::Text(t) => {
                if let Some((text, _)) = &mut current {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => out.extend(current.take()),
            _ => {}
        }
    }
    out
}

#[test]
fn the_synthetic_results_cover_what_the_flagship_reads() {
    // The generator itself must not hide problems: an expression over a name the runners do
    // not report still fails against these results.
    let root = root();
    let decls = bench::load_declarations(&root).unwrap();
    let outcome = BenchOutcome {
        results: synthetic_results(&decls),
        declarations: decls,
        ..Default::default()
    };
    let ctx = MergeContext::from_outcome(Path::new("/nonexistent-synthetic-root"), &outcome);
    let mut site = load(&root, &LoadOptions { drafts: true }).unwrap();
    let page = site
        .pages
        .iter_mut()
        .find(|p| p.front.benchmarks.iter().any(|b| b == "probes"))
        .expect("a flagship page that lists the probes");
    page.body = "{{ probe(bench=\"probes\", runner=\"torch\", name=\"no_such_probe\", field=\"stage\") }}\n{{ bench.probes.torch.no_such_metric.median }}\n".into();
    let d = expand(page, &ctx);
    let text = d.to_string();
    assert_eq!(d.sorted().0.len(), 2, "{text}");
    assert!(text.contains("unknown probe `no_such_probe`"), "{text}");
    assert!(
        text.contains("reported no metric `no_such_metric`"),
        "{text}"
    );
}

/// The same pages against the REAL stored results, where there are any: apart from results
/// not measured yet, nothing may fail (a probe, series, info key or metric the content reads
/// but the real runners do not report). Without stored results this checks nothing.
#[test]
fn real_stored_results_where_present_expand_without_errors() {
    let root = root();
    let decls = bench::load_declarations(&root).unwrap();
    let mut results = BTreeMap::new();
    for d in &decls {
        match bench::store::load(&root, &d.id) {
            Ok(Some(stored)) => {
                results.insert(d.id.clone(), stored);
            }
            Ok(None) => {}
            Err(e) => panic!("{e}"),
        }
    }
    let outcome = BenchOutcome {
        results,
        declarations: decls,
        ..Default::default()
    };
    let ctx = MergeContext::from_outcome(&root, &outcome);
    let mut site = load(&root, &LoadOptions { drafts: true }).unwrap();
    let mut problems = Vec::new();
    for page in site
        .pages
        .iter_mut()
        .chain(site.sections.iter_mut().map(|s| &mut s.index))
    {
        for d in expand(page, &ctx).sorted().0 {
            let text = d.to_string();
            if !text.contains(": missing result: ") {
                problems.push(text);
            }
        }
    }
    assert!(
        problems.is_empty(),
        "expressions that fail on the real stored results:\n{}",
        problems.join("\n")
    );
}

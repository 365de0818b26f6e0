//! The `merge` stage: stored benchmark results become numbers, tables, charts, verdicts and
//! quiz answers inside a page's markdown, before the markdown stage runs.
//!
//! [`expand`] rewrites `page.body` in place. Every template expression `{{ ... }}` in prose is
//! replaced by text or one line of HTML. Line numbers never move: a replacement is always a
//! single line, and an expression spanning k lines is followed by k − 1 newlines, so errors
//! of later stages still point at the right line of the source file.
//!
//! # Where expressions expand
//! - In prose, headings, lists, tables, raw HTML: yes.
//! - In fenced or indented code blocks and in inline code spans: never (found with
//!   pulldown-cmark's offset iterator, not by hand).
//! - In fenced ```` ```quiz ```` blocks: yes, as **plain text** (no HTML), so a quiz's YAML can
//!   take its answers from results (see *Quiz answers* below). Shortcodes are refused there.
//! - A literal `{{` in prose is written `\{{` (markdown's own escape of `{`; the backslash
//!   disappears when the page is rendered). In a quiz block `\{{` becomes `{{`.
//!
//! # Values
//! `{{ bench.<id>.<runner>[<param>=<value>,...].<metric>.<statistic> | <filter> }}`
//!
//! - `<id>` must be declared and listed in the page's front matter `benchmarks:`.
//! - `<runner>` is one of the declaration's runners (`torch`, `tensorflow`...).
//! - `[...]` selects a point of the benchmark's matrix: every parameter with more than one
//!   value must be given (`bench.mlp_synth.torch[batch_size=32,threads=1].step_time.median`);
//!   a benchmark without a matrix (or with one value per parameter) takes no selector.
//! - `<metric>`: a declared metric, or one measured from outside each runner process:
//!   `wall_time` (s), `cpu_user` (s), `cpu_system` (s), `peak_rss` (B), one sample per
//!   repetition (process).
//! - The process is the unit: each process's steady-state samples (after the leading samples
//!   its runner marked as warm-up) reduce to their median, and statistics are over those
//!   per-process values. `<statistic>`: `median` (of the per-process values), `mean`,
//!   `center` (their geometric mean, what the interval is about), `stddev` and `cv` (between
//!   processes), `ci_low`, `ci_high` (95% t interval over processes), `spread` (1.4826 · MAD /
//!   median of the per-process values: what makes a value noisy), `n` (processes), `samples`
//!   (steady-state samples, pooled), `outliers` (processes, by the MAD rule); and, describing
//!   the pooled steady-state samples as a distribution, `min`, `max`, `q1`, `q3`, `iqr`,
//!   `p50`, `p90`, `p99`. See [`crate::stats`] for definitions. `stddev`, `cv` and `spread` of
//!   one process print `n/a`; so do `ci_low` and `ci_high` of one process or of a value every
//!   process measured alike.
//! - Filters (optional; the default follows the metric's unit): `duration` (`1.23 ms`),
//!   `bytes` (`45.6 MiB`), `rate` (`12.3k items/s`), `flops` (`25.0 GFLOP/s`), `percent`
//!   (`97.3%`), `ratio` (`1.42x`), `number` (`0.0123`, integers in full: `101,770`).
//!   `duration`, `bytes`, `rate`, `flops` and `percent` require a value in that unit.
//!   A noisy median or mean (samples typically more than 10% from the median: see `stats`)
//!   is followed by a `noisy` badge; a value from a stale result by a `stale` badge.
//!
//! # Inline functions
//! - `{{ verdict(bench="cnn_digits", metric="step_time") }}` → one of three outcomes (see
//!   [`crate::stats`]): `TensorFlow 1.42x faster (1.31x–1.50x)` when the whole 95% interval
//!   of the ratio lies beyond the benchmark's equivalence margin (default ±5%), `no practical
//!   difference (PyTorch / TensorFlow 0.97x–1.02x, within ±5%)` when it lies inside,
//!   `inconclusive (...)` otherwise; or `too few runs for a verdict (3 and 3 processes; 5 a
//!   side needed)`. Values every process measured alike (sizes, counts) are compared
//!   exactly. The verdicts of one page are corrected together (Holm): a claim that does not
//!   survive says so. Inside a sentence it is a `<span class="bb-verdict-inline">`; alone on
//!   its line (followed by a blank line) a `<p class="bb-verdict">` box.
//! - `{{ faster(bench=..., metric=...) }}` → the better runner's name, or `no practical
//!   difference`, `no clear winner`, `too few runs for a verdict`. `better(...)` is the same.
//! - `{{ is_faster(bench=..., metric=..., runner="torch") }}` → `true` or `false` (true only
//!   when that runner is the verdict's winner). `is_better(...)` is the same function.
//! - `{{ no_difference(bench=..., metric=...) }}` → `true` when the verdict names no winner.
//!   `no_clear_difference(...)` is the same function; `no_practical_difference(...)` is
//!   `true` only for "no practical difference", `inconclusive(...)` for inconclusive or too
//!   few runs.
//! - `{{ ratio(bench=..., metric=...) }}` → the ratio of the typical processes (geometric
//!   means of the per-process values), first runner over second (`1.42x`; filters apply).
//! - `{{ verdicts_by(bench="mlp_synth[threads=1]", metric="step_time", by="batch_size") }}` →
//!   the verdict at every value of a matrix parameter, in one sentence;
//!   `verdict_changes(...)` → `true` when the winner is not the same at every value.
//! - `{{ claim(bench=..., metric=..., expect="tensorflow", text="TensorFlow trains it
//!   faster") }}` → `text`, checked: `expect` is the runner that must win, or
//!   `no_practical_difference`, or `inconclusive`; when the stored results say otherwise,
//!   `build` and `check` fail at this line. With two cells (`a=`, `b=` as in `ratio`),
//!   `expect` is `a` or `b` (the better cell), `no_practical_difference` or `inconclusive`.
//! - `{{ margin(bench="cnn_digits", metric="step_time") }}` → the equivalence margin of that
//!   benchmark's verdicts (`±5%`), as declared (`metric` optional).
//! - `{{ accuracy(bench="cnn_digits[threads=1]", runner="torch") }}` → `98.6% (95% interval
//!   96.8%–99.4%, 354 of 359 correct, the same in all 10 processes)`: a classification's
//!   accuracy with its Wilson interval.
//! - `{{ predictions(bench="cnn_digits[threads=1]") }}` → whether the two runners predicted
//!   the same classes in every process (computed), or where they differ and McNemar's exact
//!   test; `same_predictions(...)` → `true` or `false`.
//! - `{{ series_min(bench="cnn_digits[threads=1]", runner="torch", series="val_loss") }}` → the
//!   x (e.g. the epoch) where a series, the median over processes at each x, is lowest;
//!   `field="y"` gives the lowest value. `series_max(...)` is the same for the highest,
//!   `series_last(...)` for the last point.
//! - A comparison of two runs whose runners report different timed regions for the metric
//!   (`region` in the protocol) is an error: they did not time the same work.
//! - Any two cells: `{{ ratio(a="mlp_synth.torch[batch_size=512,threads=2]",
//!   b="mlp_synth.tensorflow[batch_size=512,threads=1]", metric="step_time") }}` → the ratio
//!   of medians of cell `a` over cell `b`, where a cell is `<id>.<runner>[<point>]` (the
//!   point selected as in a value path; the two may differ in benchmark, runner and point).
//!   The same checks apply to each cell (benchmark listed in the front matter, runner
//!   declared, metric declared, point in the matrix), and the metric must have one unit in
//!   both. `verdict(a=..., b=..., metric=...)` states the verdict for the two cells; each is
//!   named by its runner plus what sets it apart (`PyTorch [threads=2] 1.42x faster
//!   (1.31x–1.50x)`).
//! - `{{ measured(bench="cnn_digits") }}` → a "how this was measured" link to the stored
//!   result (`results/<id>.json` in the site; see [`MergeContext::result_copies`]).
//!
//! - `{{ label(bench="cnn_digits", runner="torch") }}` → the runner's display name (`PyTorch`).
//!
//! Functions that read one runner's result take `runner="..."` (needed when the benchmark
//! has several runners) and, like shortcodes, a matrix point in `bench` (`bench=
//! "cnn_digits[threads=1]"`). They read the first repetition (scores and classifications:
//! the first that reported them, as `pr_curve` and `confusion` do): probes, scores,
//! classifications and info do not vary between repetitions the way timings do. A stale
//! result adds its `stale` badge in prose; a failed benchmark prints `measurement failed`.
//! - `{{ probe(bench="probes", runner="torch", name="shape_mismatch", field="stage") }}` →
//!   one field of the named probe: `stage` (`build`, `run` or `none`), `seconds` (a duration;
//!   filters apply), `message` (the framework's message verbatim on one line, escaped for
//!   HTML in prose, plain text in a quiz; `n/a` when it raised none), or `outcome`, a short
//!   phrase: `raised an error while building` / `raised an error while running` when there is
//!   a message, else what the runner observed (`no error: result dtype float32 (int64
//!   promoted)`), else `raised no error`. An unknown probe name is an error listing the
//!   probes that runner reported.
//! - `{{ probe_is(bench="probes", runner="tensorflow", name="shape_mismatch", stage="build") }}`
//!   → `true` or `false` (for quiz answers).
//! - `{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="recall", name="test") }}`
//!   → one figure of the binary scores `name` (default `test`) at a threshold, an example
//!   being predicted positive when its score is ≥ the threshold (as in `pr_curve`'s
//!   table): `precision`, `recall`, `accuracy` (percentages; precision is `n/a` when no
//!   example is predicted positive), `false_alarms` or `misses` (counts). With
//!   `interval=true`, a proportion comes with its Wilson 95% interval and its counts
//!   (`70.3% (95% interval 54.3%–83.2%, 26 of 37)`).
//! - `{{ majority_accuracy(bench="digit3", runner="torch", name="test") }}` → the accuracy of
//!   always answering the most frequent true class of the binary scores (or, failing that,
//!   the classification) `name` (default `test`), as a percentage: the baseline of the
//!   accuracy paradox.
//! - `{{ info(bench="cnn_digits[threads=1]", runner="torch", key="model_format") }}` → a fact
//!   the runner reported in its result's `info` (a string, number or boolean); an unknown
//!   key is an error listing the keys it reported.
//!
//! `verdict`, `faster`, `is_faster`, `no_difference` and `ratio` (in their `bench=` form)
//! compare two runners: `runners=["torch", "tensorflow"]` (first over second; default: the
//! declaration's `compare` pair, else its runners when there are exactly two). `is_faster`
//! also takes `than="tensorflow"`. Direction comes from the metric (lower is better for
//! seconds and bytes, higher for rates and fractions).
//!
//! # Quiz answers
//! Inside a ```` ```quiz ```` block every expression prints plain text, so a choice's
//! `correct:` can come from the data instead of the author's expectation:
//! ````text
//! ```quiz
//! question: Which framework trained the CNN faster on this machine?
//! choices:
//!   - text: PyTorch
//!     correct: {{ is_faster(bench="cnn_digits", metric="step_time", runner="torch") }}
//!   - text: TensorFlow
//!     correct: {{ is_faster(bench="cnn_digits", metric="step_time", runner="tensorflow") }}
//!   - text: Neither, the difference is within the noise
//!     correct: {{ no_difference(bench="cnn_digits", metric="step_time") }}
//!     explain: "Measured here: {{ verdict(bench="cnn_digits", metric="step_time") }}."
//! ```
//! ````
//! Exactly one of the three is `true`. A failed benchmark prints `measurement failed (<id>)`
//! there, which the quiz then rejects as not a boolean, so the build says where.
//!
//! # Shortcodes (block level)
//! Each stands alone on its line, followed by a blank line (or the end of the page), and
//! becomes one line of HTML. The `bench` argument may select a matrix point:
//! `bench="mlp_synth[batch_size=32]"`. Arguments:
//! - `{{ table(bench="cnn_digits", metrics=["step_time","test_accuracy"], runners=[...]) }}`:
//!   runners as columns, metrics as rows (default: every declared metric), medians with their
//!   95% interval; the clearly better value is marked `.bb-better` and labelled "better";
//!   noisy values get a `.bb-noisy` badge; with two runners a last column gives the verdict.
//! - `{{ bar_chart(bench="mlp_synth[threads=1]", metric="step_time", by="batch_size",
//!   runners=[...], title="...") }}`: medians as bars with interval whiskers; `by` groups the
//!   bars by a matrix parameter.
//! - `{{ line_chart(bench="cnn_digits", series=["train_loss","val_loss"], runners=[...],
//!   title="...") }}`: curves per epoch for every runner (the median over repetitions at each
//!   x). Or a sweep: `{{ line_chart(bench="mlp_synth[threads=1]", metric="step_time",
//!   x="batch_size", log_x=true, log_y=true) }}`.
//! - `{{ confusion(bench="cnn_digits", runner="torch", name="test") }}`: heatmap of counts
//!   (shade = row-normalised share), the counts and row-normalised tables, and per-class
//!   precision, recall and F1. `name` defaults to `test`; `runner` is needed when there are
//!   several.
//! - `{{ pr_curve(bench="digit3", name="test", thresholds=[0.25,0.5,0.75], runners=[...]) }}`:
//!   precision–recall curves and a threshold table (precision, recall, false alarms, misses).
//! - `{{ environment(bench="cnn_digits") }}`: what was held equal (the workload both runners
//!   received), what varied, versions and threads per runner, the machine, dates, repetitions.
//! - `{{ probes(bench="probes", runners=[...]) }}`: each probe's stage, time and verbatim
//!   message per runner, side by side.
//!
//! Text from results (`info`, `environment`, probe messages, failure messages) shows no
//! absolute path of the machine: see [`paths`].
//!
//! Failed measurements (`--keep-going`) render `<div class="bb-failed" role="alert">` (inline:
//! `<span class="bb-failed">`) instead of numbers; stale results carry `.bb-stale`.
//!
//! # HTML classes (for themes)
//! - Tables: `div.bb-table-wrap[data-bb-label]` > `table.bb-table` (`.bb-results`,
//!   `.bb-thresholds`, `.bb-class-metrics`, `.bb-confusion-table`); `data-bb-label` names the
//!   box when it scrolls; cells of results, thresholds and probes tables carry their column's
//!   name in `data-label` (for card layouts on phones); cells: `.bb-value`, `.bb-ci` (interval, in
//!   parentheses), `td.bb-better` + `span.bb-better-mark` ("better"), `td.bb-noisy-value`,
//!   `.bb-outliers` (count, listed in its title), `td.bb-missing`, `td.bb-comparison`,
//!   `.bb-direction` (row header note), `.bb-na` ("n/a").
//! - Badges: `span.bb-noisy` ("noisy"), `span.bb-stale` ("stale"); `p.bb-stale-note` above a
//!   stale block.
//! - Verdicts: `p.bb-verdict` (block) or `span.bb-verdict-inline`, each `<strong>` + interval.
//! - Charts: `figure.bb-chart` > `svg.bb-chart-wide` and `svg.bb-chart-narrow` (two drawings
//!   of the same chart, for desktop and phone widths: a theme shows one), each with
//!   `.bb-chart-title`, `g.bb-axis.bb-axis-x|y`, `.bb-axis-label`, `g.bb-chart-legend`,
//!   `rect.bb-bar`, `.bb-bar-value`, `.bb-whisker`, `g.bb-line`, `rect.bb-cell`; then
//!   `details` (data table in a `div.bb-table-wrap`), `figcaption`; colours are
//!   `var(--series-1..4)`, text and axes `currentColor`.
//! - `div.bb-confusion` (heatmap figure `.bb-confusion-chart` + per-class table),
//!   `aside.bb-env` (`.bb-env-title`, `dl`, `.bb-env-facts`), `div.bb-probes` (`.bb-stage`,
//!   `.bb-stage-build|run|none`, `pre`, `.bb-observed`), `a.bb-measured-link`,
//!   `div.bb-failed` / `span.bb-failed`.

mod charts;
mod eval;
mod evaluator;
mod expr;
pub mod filters;
mod html;
pub mod paths;
pub mod provenance;
mod shortcodes;

use crate::diagnostics::Diagnostics;
use crate::model::{OutputFile, Page};
use crate::results::StoredBenchmark;
use crate::stats::{Comparison, StatsError, Summary};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The registered shortcodes (block level) and inline functions, in the order the "unknown
/// function" error lists them (see `shortcodes::REGISTRY`).
pub fn shortcode_names() -> (Vec<&'static str>, Vec<&'static str>) {
    (
        shortcodes::names(shortcodes::Kind::Block),
        shortcodes::names(shortcodes::Kind::Inline),
    )
}

/// (benchmark id, index of the run in `StoredBenchmark::runs`, metric).
pub(crate) type SummaryKey = (String, usize, String);

/// What a page may reference about one benchmark, from its declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredBenchmark {
    pub title: String,
    /// Runner names in declaration order (the default column order).
    pub runners: Vec<String>,
    /// Metrics to keep; empty means "whatever the runners report".
    pub metrics: Vec<String>,
    /// Matrix parameters and their values.
    pub matrix: BTreeMap<String, Vec<serde_json::Value>>,
    /// The two runners that comparisons (`verdict`, `faster`, ...) use when a page names
    /// none; without it, a benchmark of exactly two runners compares those two.
    pub compare: Option<(String, String)>,
    /// Equivalence margin of verdicts (0.05 = ±5%), and overrides per metric.
    pub margin: f64,
    pub margins: BTreeMap<String, f64>,
}

impl Default for DeclaredBenchmark {
    fn default() -> Self {
        DeclaredBenchmark {
            title: String::new(),
            runners: Vec::new(),
            metrics: Vec::new(),
            matrix: BTreeMap::new(),
            compare: None,
            margin: crate::stats::DEFAULT_MARGIN,
            margins: BTreeMap::new(),
        }
    }
}

impl DeclaredBenchmark {
    /// The equivalence margin of verdicts on `metric`.
    pub fn margin_for(&self, metric: &str) -> f64 {
        self.margins.get(metric).copied().unwrap_or(self.margin)
    }
}

/// Everything `expand` reads. Build it with [`MergeContext::new`], then fill the public fields.
#[derive(Debug, Default)]
pub struct MergeContext {
    /// Stored results by benchmark id.
    pub results: BTreeMap<String, StoredBenchmark>,
    /// Declarations by benchmark id.
    pub declared: BTreeMap<String, DeclaredBenchmark>,
    /// Benchmarks whose run failed in this build (`--keep-going`): id → message.
    pub failed: BTreeMap<String, String>,
    /// Benchmarks whose stored result no longer matches the declaration or runner.
    pub stale: BTreeSet<String>,
    /// id → path of the stored result file (absolute, or relative to the working directory):
    /// the target of "how this was measured" links, copied to `results/<id>.json`.
    pub result_files: BTreeMap<String, PathBuf>,
    /// Display names of runners (`torch` → `PyTorch`). Default: the framework name the runner
    /// reported, up to its first " (", else the runner's name.
    pub runner_labels: BTreeMap<String, String>,
    /// This machine's directories, so that no absolute path from a result reaches a page
    /// (see [`paths`]). [`MergeContext::new`] takes the cache and home directory from the
    /// environment; [`MergeContext::from_outcome`] adds the site root.
    pub paths: paths::MachinePaths,
    /// Summaries computed so far: (benchmark, run index, metric).
    cache: Mutex<HashMap<SummaryKey, Arc<Result<Summary, StatsError>>>>,
    /// Comparisons computed so far: (first, second), each a summary key.
    comparisons: Mutex<HashMap<(SummaryKey, SummaryKey), Result<Comparison, StatsError>>>,
}

impl MergeContext {
    pub fn new(
        results: BTreeMap<String, StoredBenchmark>,
        declared: BTreeMap<String, DeclaredBenchmark>,
    ) -> Self {
        MergeContext {
            results,
            declared,
            paths: paths::MachinePaths::from_env(None),
            ..Default::default()
        }
    }

    /// Everything the bench stage found, ready for [`expand`]: declarations, stored results
    /// and their files (`<root>/benchmarks/results/<id>.json`), stale benchmarks, and failed
    /// runs (all of a benchmark's failure messages, joined, under its id).
    pub fn from_outcome(root: &Path, outcome: &crate::bench::BenchOutcome) -> Self {
        let declared = outcome
            .declarations
            .iter()
            .map(|d| {
                (
                    d.id.clone(),
                    DeclaredBenchmark {
                        title: d.title.clone(),
                        runners: d.runners.iter().map(|r| r.name.clone()).collect(),
                        metrics: d.metrics.clone().unwrap_or_default(),
                        matrix: d.matrix.iter().cloned().collect(),
                        compare: d.compare.clone(),
                        margin: d.margin,
                        margins: d.margins.clone(),
                    },
                )
            })
            .collect();
        let mut ctx = MergeContext::new(outcome.results.clone(), declared);
        ctx.paths = paths::MachinePaths::from_env(Some(root));
        for id in outcome.results.keys() {
            ctx.result_files
                .insert(id.clone(), crate::bench::store::result_path(root, id));
        }
        for f in &outcome.failures {
            ctx.failed
                .entry(f.benchmark.clone())
                .and_modify(|m| {
                    m.push_str("; ");
                    m.push_str(&f.message);
                })
                .or_insert_with(|| f.message.clone());
        }
        ctx.stale = outcome.stale.clone();
        ctx
    }

    /// Point `result_files` at `<dir>/<id>.json` for every stored result (e.g. `dir` =
    /// `<root>/benchmarks/results`).
    pub fn with_result_dir(mut self, dir: &Path) -> Self {
        for id in self.results.keys() {
            self.result_files
                .insert(id.clone(), dir.join(format!("{id}.json")));
        }
        self
    }

    /// Where a benchmark's stored result is published, relative to the output directory.
    pub fn result_output(id: &str) -> PathBuf {
        PathBuf::from("results").join(format!("{id}.json"))
    }

    /// Where a benchmark's provenance page is written (the target of "how this was measured"
    /// links), relative to the output directory.
    pub fn provenance_output(id: &str) -> PathBuf {
        PathBuf::from("results").join(format!("{id}.html"))
    }

    /// Display name of a runner: [`MergeContext::runner_labels`], else the framework its
    /// runs reported (up to the first " ("), else its name.
    pub fn runner_label(&self, stored: &StoredBenchmark, runner: &str) -> String {
        if let Some(l) = self.runner_labels.get(runner) {
            return l.clone();
        }
        stored
            .runs
            .iter()
            .filter(|r| r.runner == runner)
            .flat_map(|r| r.repetitions.first())
            .map(|rep| {
                let f = &rep.result.runner.framework;
                f.split(" (").next().unwrap_or(f).trim().to_string()
            })
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| runner.to_string())
    }

    /// The stored result files the site must copy (`results/<id>.json`), one per entry of
    /// `result_files`. Paths in `from` are made absolute against the current directory.
    pub fn result_copies(&self) -> Vec<OutputFile> {
        self.result_files
            .iter()
            .map(|(id, from)| OutputFile::Copy {
                path: Self::result_output(id),
                from: std::path::absolute(from).unwrap_or_else(|_| from.clone()),
            })
            .collect()
    }

    pub(crate) fn summary(
        &self,
        bench: &str,
        run: usize,
        metric: &str,
        processes: impl FnOnce() -> (Vec<Vec<f64>>, bool),
    ) -> Arc<Result<Summary, StatsError>> {
        let key = (bench.to_string(), run, metric.to_string());
        if let Some(s) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return s;
        }
        let (processes, exact) = processes();
        let slices: Vec<&[f64]> = processes.iter().map(Vec::as_slice).collect();
        let s = Arc::new(crate::stats::summarize(&slices, exact));
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, s.clone());
        }
        s
    }

    /// `stats::compare` of two metrics (before any page's correction for several verdicts),
    /// computed once per pair.
    pub(crate) fn comparison(
        &self,
        a: &evaluator::MetricData,
        b: &evaluator::MetricData,
    ) -> Result<Comparison, StatsError> {
        let key = (a.key.clone(), b.key.clone());
        if let Some(c) = self
            .comparisons
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return c;
        }
        let c = crate::stats::compare(&a.summary, &b.summary, a.better, a.margin);
        if let Ok(mut cache) = self.comparisons.lock() {
            cache.insert(key, c.clone());
        }
        c
    }
}

/// How a part of the body is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
    /// Code: left alone.
    Code,
    /// A ```quiz block: expanded as plain text.
    Quiz,
}

/// Code blocks, inline code and quiz blocks, as byte ranges of `body`.
fn regions(body: &str) -> Vec<(Range<usize>, Region)> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM;
    let mut out = Vec::new();
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let quiz = matches!(&kind, CodeBlockKind::Fenced(info)
                    if info.split_whitespace().next() == Some("quiz"));
                out.push((range, if quiz { Region::Quiz } else { Region::Code }));
            }
            Event::Code(_) => out.push((range, Region::Code)),
            _ => {}
        }
    }
    out
}

/// Line starts of `text`, for offset → (line, column).
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    /// 0-based line and 1-based column (in characters) of a byte offset.
    pub(crate) fn locate(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col = text
            .get(start..offset.min(text.len()))
            .map_or(1, |s| s.chars().count() + 1);
        (line, col)
    }
}

/// Find the `}}` closing an expression that starts at `open` (the offset of `{{`), skipping
/// quoted strings. Returns the offset of the first `}` of `}}`.
fn find_close(body: &str, open: usize) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = open + 2;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => {
                if b == b'"' || b == b'\'' {
                    quote = Some(b);
                } else if b == b'}' && bytes.get(i + 1) == Some(&b'}') {
                    return Some(i);
                } else if b == b'{' && bytes.get(i + 1) == Some(&b'{') {
                    // A new `{{` before any `}}`: the first one was never closed.
                    return None;
                }
            }
        }
        i += 1;
    }
    None
}

/// Expand every template expression and shortcode of `page.body` in place.
///
/// Returns every error found (unknown benchmark, runner, metric, statistic or filter,
/// missing results, misplaced shortcodes, syntax), as `path:line:column` diagnostics with
/// the line in the page's source file. An expression with an error is left as it was.
pub fn expand(page: &mut Page, ctx: &MergeContext) -> Diagnostics {
    let body = std::mem::take(&mut page.body);
    let regions = regions(&body);
    // First pass: find the page's tested verdicts, so that their claims are corrected
    // together (Holm) before anything is written. Its output is thrown away.
    // A page without any tested verdict keeps its first pass.
    let first = evaluator::Evaluator::new(ctx, page);
    let (out, diags, first) = expand_body(page, &body, &regions, first);
    let family = first.into_family();
    if family.is_empty() {
        page.body = out;
        return diags;
    }
    let ev = evaluator::Evaluator::new(ctx, page).with_family(family.decide());
    let (out, diags, _) = expand_body(page, &body, &regions, ev);
    page.body = out;
    diags
}

/// One pass of [`expand`] over `body`: the expanded text and its errors.
fn expand_body<'a>(
    page: &Page,
    body: &str,
    regions: &[(Range<usize>, Region)],
    mut ev: evaluator::Evaluator<'a>,
) -> (String, Diagnostics, evaluator::Evaluator<'a>) {
    let mut diags = Diagnostics::new();
    let lines = Lines::new(body);

    // Front matter `benchmarks:` naming an undeclared benchmark is reported by the bench
    // stage (`bench::decl::check_pages`), once per page.

    let locate = |offset: usize| -> (usize, usize) {
        let (line, col) = lines.locate(body, offset);
        (page.body_line + line, col)
    };

    let mut out = String::with_capacity(body.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = body[search..].find("{{") {
        let open = search + found;
        let region = regions
            .iter()
            .find(|(r, _)| r.contains(&open))
            .map(|(r, k)| (r.clone(), *k));
        if let Some((range, Region::Code)) = &region {
            search = range.end.max(open + 2);
            continue;
        }
        let quiz = matches!(region, Some((_, Region::Quiz)));
        if open > 0 && body.as_bytes()[open - 1] == b'\\' {
            if quiz {
                out.push_str(&body[copied..open - 1]);
                copied = open;
            }
            search = open + 2;
            continue;
        }
        let Some(close) = find_close(body, open) else {
            let (line, col) = locate(open);
            diags.error(
                &page.source,
                line,
                col,
                "unclosed `{{`; expected `}}` to end the expression (write `\\{{` for a literal `{{`)",
            );
            search = open + 2;
            continue;
        };
        let end = close + 2;
        search = end;
        let inner = &body[open + 2..close];
        let result = expr::parse(inner, open + 2)
            .map_err(|e| (e.at, e.message))
            .and_then(|e| ev.evaluate(&e, quiz).map_err(|e| (e.at, e.message)));
        let rendered = match result {
            Ok(r) => r,
            Err((at, message)) => {
                let (line, col) = locate(at);
                diags.error(&page.source, line, col, message);
                continue;
            }
        };
        let line_start = body[..open].rfind('\n').map_or(0, |i| i + 1);
        let line_end = body[end..].find('\n').map_or(body.len(), |i| end + i);
        let alone =
            body[line_start..open].trim().is_empty() && body[end..line_end].trim().is_empty();
        let next_blank = body[line_end..]
            .strip_prefix('\n')
            .is_none_or(|rest| rest.lines().next().is_none_or(|l| l.trim().is_empty()));
        let text = match rendered {
            evaluator::Rendered::Inline(s) => s,
            evaluator::Rendered::Flexible { inline, block } => {
                if alone && next_blank && !quiz {
                    block
                } else {
                    inline
                }
            }
            evaluator::Rendered::Block(s) => {
                if quiz || !alone || !next_blank {
                    let (line, col) = locate(open);
                    let what = if quiz {
                        "a shortcode cannot be used inside a quiz; expected a value or `faster(...)`, `is_faster(...)`, `verdict(...)`"
                    } else if !alone {
                        "a block shortcode must stand alone on its line; expected nothing else on this line"
                    } else {
                        "a block shortcode must be followed by a blank line; expected an empty line after it"
                    };
                    diags.error(&page.source, line, col, what);
                    continue;
                }
                s
            }
        };
        out.push_str(&body[copied..open]);
        // One line, always: any stray line break would shift the lines after it.
        out.push_str(&text.replace('\r', "").replace('\n', "&#10;"));
        for _ in 0..body[open..end].matches('\n').count() {
            out.push('\n');
        }
        copied = end;
    }
    out.push_str(&body[copied..]);
    (out, diags, ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_regions_cover_fences_indented_and_spans() {
        let body = "a `{{x}}` b\n\n```\n{{y}}\n```\n\n    {{z}}\n\n```quiz\n{{q}}\n```\n";
        let r = regions(body);
        let kinds: Vec<Region> = r.iter().map(|(_, k)| *k).collect();
        assert_eq!(
            kinds,
            [Region::Code, Region::Code, Region::Code, Region::Quiz]
        );
        assert!(r[0].0.contains(&body.find("{{x").unwrap()));
        assert!(r[3].0.contains(&body.find("{{q").unwrap()));
    }

    #[test]
    fn close_skips_strings() {
        let s = r#"{{ f(a="}}") }} tail"#;
        assert_eq!(find_close(s, 0), Some(13));
        assert_eq!(find_close("{{ a {{ b }}", 0), None);
    }

    #[test]
    fn locate_counts_characters() {
        let t = "ab\nµx{{";
        let l = Lines::new(t);
        assert_eq!(l.locate(t, t.find("{{").unwrap()), (1, 3));
    }
}

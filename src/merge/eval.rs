//! Evaluation of parsed expressions against a [`MergeContext`]: resolving benchmarks,
//! runners, matrix points and metrics (with every error message), then values, inline
//! functions and shortcodes.
//!
//! The evaluator's state and the types it shares with the shortcodes are in evaluator.rs;
//! shortcodes are found in the registry of shortcodes/ (which never imports this file).

use super::evaluator::{
    err, json_text, list_or_none, median_series, name_arg, per_process, unit_name, Args, Bench,
    EvalError, Evaluator, Family, MetricData, Rendered, Stop, Value, OUTSIDE_METRICS,
};
use super::expr::{Call, Expression, Head, Ident, PathExpr, Selector, Span};
use super::filters::Filter;
use super::html::{esc, esc_line};
use super::shortcodes as sc;
use super::MergeContext;
use crate::results::{StoredBenchmark, StoredRun};
use crate::stats::classification::{ConfusionMatrix, PrCurve};
use crate::stats::{self, Comparison, Side, Summary};
use benchbook_protocol::{Better, Stage, Unit};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Statistics a value path may ask for.
pub const STATISTICS: [&str; 19] = [
    "median", "mean", "center", "stddev", "min", "max", "q1", "q3", "iqr", "p50", "p90", "p99",
    "ci_low", "ci_high", "cv", "spread", "n", "samples", "outliers",
];

/// Fields of `probe(...)`.
const PROBE_FIELDS: [&str; 4] = ["stage", "seconds", "message", "outcome"];
/// Stages of `probe_is(...)`.
const PROBE_STAGES: [&str; 3] = ["build", "run", "none"];
/// Fields of `pr_at(...)`.
const PR_FIELDS: [&str; 5] = ["precision", "recall", "false_alarms", "misses", "accuracy"];

fn json_eq(a: &Json, b: &Json) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// One (benchmark, runner, matrix point) cell, resolved.
pub(crate) struct Cell<'a> {
    pub(crate) bench: Bench<'a>,
    pub(crate) runner: String,
    pub(crate) point: BTreeMap<String, Json>,
    pub(crate) index: usize,
    pub(crate) run: &'a StoredRun,
}

impl<'a> Evaluator<'a> {
    /// Compare two metrics as one of the page's verdicts: the timed regions must agree, and
    /// the claim is subject to the page's correction for several verdicts.
    pub(crate) fn verdict_cmp(
        &self,
        a: &MetricData,
        b: &MetricData,
        metric: &str,
        at: usize,
    ) -> Result<Result<Comparison, stats::StatsError>, Stop> {
        if let (Some(ra), Some(rb)) = (&a.region, &b.region) {
            if ra != rb {
                return err(
                    at,
                    format!(
                        "cannot compare `{metric}`: the two runs timed different regions (\"{ra}\" against \"{rb}\"); expected both runners to time the same region"
                    ),
                );
            }
        }
        let mut cmp = match self.ctx.comparison(a, b) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        if !self.claiming.get() {
            return Ok(Ok(cmp));
        }
        let key = (a.key.clone(), b.key.clone());
        match &mut *self.family.borrow_mut() {
            Family::Collect(tested) => {
                if let Some(p) = cmp.p_value {
                    if !tested.iter().any(|(k, _)| *k == key) {
                        tested.push((key, p));
                    }
                }
            }
            Family::Apply { keep, size } => {
                if keep.get(&key) == Some(&false) {
                    cmp.demote(*size);
                } else if cmp.p_value.is_some() && *size > 1 {
                    cmp.family = Some(*size);
                }
            }
        }
        Ok(Ok(cmp))
    }

    pub(crate) fn next_chart_id(&mut self) -> String {
        self.charts += 1;
        let stem = self
            .source
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let stem: String = stem
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        format!("bb-{stem}-chart-{}", self.charts)
    }

    /// Evaluate one expression; `quiz` asks for plain text.
    pub(crate) fn evaluate(&mut self, e: &Expression, quiz: bool) -> Result<Rendered, EvalError> {
        let block = matches!(&e.head, Head::Call(c) if sc::is_block(&c.name.name));
        let value = match self.head(&e.head) {
            Ok(v) => v,
            Err(Stop::Err(e)) => return Err(e),
            Err(Stop::Failed { id, message }) => {
                let text = format!("measurement failed: {id}: {message}");
                return Ok(if quiz {
                    Rendered::Inline(format!("measurement failed ({id})"))
                } else if block {
                    Rendered::Block(sc::failed_block(&text))
                } else {
                    Rendered::Inline(format!(
                        "<span class=\"bb-failed\" role=\"alert\">{}</span>",
                        esc_line(&text)
                    ))
                });
            }
        };
        let value = self.apply_filters(value, &e.filters).map_err(|s| match s {
            Stop::Err(e) => e,
            Stop::Failed { .. } => unreachable_failed(),
        })?;
        Ok(match value {
            Formatted::Block(html) => Rendered::Block(html),
            Formatted::Text {
                text,
                noisy,
                stale,
                html,
                block,
            } => {
                if quiz {
                    Rendered::Inline(text)
                } else {
                    let mut s = html.unwrap_or_else(|| esc_line(&text));
                    let mut badges = String::new();
                    if let Some(cv) = noisy {
                        badges.push_str(&sc::noisy_badge(cv));
                    }
                    if stale {
                        badges.push_str(sc::STALE_BADGE);
                    }
                    s.push_str(&badges);
                    match block {
                        Some(b) if !quiz => Rendered::Flexible {
                            inline: s,
                            block: b.replace("</p>", &format!("{badges}</p>")),
                        },
                        _ => Rendered::Inline(s),
                    }
                }
            }
        })
    }

    fn apply_filters(&self, value: Value, filters: &[Call]) -> Result<Formatted, Stop> {
        let mut value = Some(value);
        let mut text: Option<Formatted> = None;
        for f in filters {
            let Some(filter) = Filter::by_name(&f.name.name) else {
                return err(
                    f.name.span.start,
                    format!(
                        "unknown filter `{}`; expected one of: {}",
                        f.name.name,
                        Filter::ALL.map(|(n, _)| n).join(", ")
                    ),
                );
            };
            if let Some(a) = f.args.first() {
                return err(
                    a.name_span.start,
                    format!("filter `{}` takes no arguments", f.name.name),
                );
            }
            match value.take() {
                Some(Value::Number {
                    value: v,
                    unit,
                    noisy,
                    stale,
                    default,
                }) => {
                    if let Some(expected) = filter.expects() {
                        if expected != unit {
                            return err(
                                f.name.span.start,
                                format!(
                                    "filter `{}` formats values in {}; this value is in {}; expected `{}` or `number`",
                                    f.name.name,
                                    unit_name(expected),
                                    unit_name(unit),
                                    default.name()
                                ),
                            );
                        }
                    }
                    text = Some(Formatted::Text {
                        text: filter.apply(v),
                        noisy,
                        stale,
                        html: None,
                        block: None,
                    });
                }
                Some(Value::NotAvailable(why)) => {
                    value = Some(Value::NotAvailable(why));
                }
                _ => {
                    return err(
                        f.name.span.start,
                        format!(
                            "filter `{}` formats a number; this value is text or already formatted",
                            f.name.name
                        ),
                    )
                }
            }
        }
        if let Some(t) = text {
            return Ok(t);
        }
        Ok(match value {
            Some(Value::Number {
                value,
                default,
                noisy,
                stale,
                ..
            }) => Formatted::Text {
                text: default.apply(value),
                noisy,
                stale,
                html: None,
                block: None,
            },
            Some(Value::NotAvailable(why)) => Formatted::Text {
                text: "n/a".into(),
                noisy: None,
                stale: false,
                html: Some(format!(
                    "<span class=\"bb-na\" title=\"{}\">n/a</span>",
                    esc(why)
                )),
                block: None,
            },
            Some(Value::Text { text, stale }) => Formatted::Text {
                text,
                noisy: None,
                stale,
                html: None,
                block: None,
            },
            Some(Value::Html { html, plain, block }) => Formatted::Text {
                text: plain,
                noisy: None,
                stale: false,
                html: Some(html),
                block,
            },
            Some(Value::Block(b)) => Formatted::Block(b),
            None => Formatted::Text {
                text: String::new(),
                noisy: None,
                stale: false,
                html: None,
                block: None,
            },
        })
    }

    fn head(&mut self, head: &Head) -> Result<Value, Stop> {
        match head {
            Head::Path(p) => self.path(p),
            Head::Call(c) => self.call(c),
        }
    }

    // ---------------------------------------------------------------------------------
    // Resolution

    pub(crate) fn bench(&self, id: &Ident) -> Result<Bench<'a>, Stop> {
        let Some(decl) = self.ctx.declared.get(&id.name) else {
            return err(
                id.span.start,
                format!(
                    "unknown benchmark `{}`; declared benchmarks: {}",
                    id.name,
                    list_or_none(self.ctx.declared.keys())
                ),
            );
        };
        if !self.listed.contains(&id.name) {
            return err(
                id.span.start,
                format!(
                    "benchmark `{}` is not listed in this page's front matter; add it to `benchmarks:` (listed: {})",
                    id.name,
                    list_or_none(self.listed.iter())
                ),
            );
        }
        if let Some(message) = self.ctx.failed.get(&id.name) {
            return Err(Stop::Failed {
                id: id.name.clone(),
                message: self.ctx.paths.show(message),
            });
        }
        let Some(stored) = self.ctx.results.get(&id.name) else {
            return err(
                id.span.start,
                format!(
                    "missing result: benchmark `{0}` has no stored result; expected benchmarks/results/{0}.json (run `benchbook bench {0}`)",
                    id.name
                ),
            );
        };
        Ok(Bench {
            id: id.name.clone(),
            decl,
            stored,
            stale: self.ctx.stale.contains(&id.name),
            paths: &self.ctx.paths,
        })
    }

    pub(crate) fn check_runner(&self, b: &Bench, name: &str, at: usize) -> Result<(), Stop> {
        if b.decl.runners.iter().any(|r| r == name) {
            Ok(())
        } else {
            err(
                at,
                format!(
                    "unknown runner `{name}` for benchmark `{}`; its runners: {}",
                    b.id,
                    list_or_none(b.decl.runners.iter())
                ),
            )
        }
    }

    /// The matrix point a selector names, with `free` parameters left open. Parameters
    /// with a single declared value are filled in.
    pub(crate) fn point(
        &self,
        b: &Bench,
        sel: &Selector,
        free: &[&str],
        at: usize,
        example: &str,
    ) -> Result<BTreeMap<String, Json>, Stop> {
        let mut point = BTreeMap::new();
        for (key, value, span) in &sel.pairs {
            let Some(values) = b.decl.matrix.get(&key.name) else {
                let has = if b.decl.matrix.is_empty() {
                    "it has no matrix".to_string()
                } else {
                    format!("its parameters: {}", list_or_none(b.decl.matrix.keys()))
                };
                return err(
                    key.span.start,
                    format!(
                        "benchmark `{}` has no matrix parameter `{}`; {has}",
                        b.id, key.name
                    ),
                );
            };
            if free.contains(&key.name.as_str()) {
                return err(
                    key.span.start,
                    format!(
                        "`{}` is the varied parameter here; remove it from the selector",
                        key.name
                    ),
                );
            }
            let json = value.to_json();
            let Some(found) = values.iter().find(|v| json_eq(v, &json)) else {
                let _ = span;
                return err(
                    key.span.start,
                    format!(
                        "`{}={}` is not in the matrix of `{}`; its values: {}",
                        key.name,
                        json_text(&json),
                        b.id,
                        values.iter().map(json_text).collect::<Vec<_>>().join(", ")
                    ),
                );
            };
            point.insert(key.name.clone(), found.clone());
        }
        let mut missing = Vec::new();
        for (key, values) in &b.decl.matrix {
            if point.contains_key(key) || free.contains(&key.as_str()) {
                continue;
            }
            match values.as_slice() {
                [only] => {
                    point.insert(key.clone(), only.clone());
                }
                [first, ..] => missing.push(format!("{key}={}", json_text(first))),
                [] => {}
            }
        }
        if !missing.is_empty() {
            let varies: Vec<String> = b
                .decl
                .matrix
                .iter()
                .filter(|(k, v)| v.len() > 1 && !free.contains(&k.as_str()))
                .map(|(k, v)| {
                    format!(
                        "`{k}` ({})",
                        v.iter().map(json_text).collect::<Vec<_>>().join(", ")
                    )
                })
                .collect();
            return err(
                at,
                format!(
                    "benchmark `{}` varies {}; select one point, e.g. `{}[{}]`",
                    b.id,
                    varies.join(" and "),
                    example,
                    missing.join(",")
                ),
            );
        }
        Ok(point)
    }

    /// The stored run of `runner` at `point`.
    pub(crate) fn run(
        &self,
        b: &Bench<'a>,
        runner: &str,
        point: &BTreeMap<String, Json>,
        at: usize,
    ) -> Result<(usize, &'a StoredRun), Stop> {
        b.stored
            .runs
            .iter()
            .enumerate()
            .find(|(_, r)| {
                r.runner == runner
                    && point
                        .iter()
                        .all(|(k, v)| r.params.get(k).is_some_and(|p| json_eq(p, v)))
            })
            .ok_or(())
            .or_else(|()| {
                let at_point = if point.is_empty() {
                    String::new()
                } else {
                    format!(
                        " at {}",
                        point
                            .iter()
                            .map(|(k, v)| format!("{k}={}", json_text(v)))
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                };
                err(
                    at,
                    format!(
                        "missing result: benchmark `{}` has no stored run of `{runner}`{at_point}; run `benchbook bench {}`",
                        b.id, b.id
                    ),
                )
            })
    }

    /// Check that a metric may be used on this benchmark.
    pub(crate) fn check_metric(&self, b: &Bench, name: &str, at: usize) -> Result<(), Stop> {
        let declared = &b.decl.metrics;
        if declared.is_empty()
            || declared.iter().any(|m| m == name)
            || OUTSIDE_METRICS.contains(&name)
        {
            return Ok(());
        }
        err(
            at,
            format!(
                "metric `{name}` is not declared for benchmark `{}`; declared: {}, or measured outside: {}",
                b.id,
                list_or_none(declared.iter()),
                OUTSIDE_METRICS.join(", ")
            ),
        )
    }

    /// A metric of one run, summarised; `Ok(None)` when the runner did not report it.
    pub(crate) fn metric(
        &self,
        b: &Bench,
        run_index: usize,
        run: &StoredRun,
        name: &str,
        at: usize,
    ) -> Result<Option<MetricData>, Stop> {
        let Some(p) = per_process(run, name) else {
            return Ok(None);
        };
        // Counts (lines, parameters) are exact by nature, even from one process.
        let exact = p.unit == Unit::Count;
        let summary = self
            .ctx
            .summary(&b.id, run_index, name, || (p.processes, exact));
        match &*summary {
            Ok(s) => Ok(Some(MetricData {
                key: (b.id.clone(), run_index, name.to_string()),
                unit: p.unit,
                better: p.better,
                region: p.region,
                margin: b.decl.margin_for(name),
                summary: s.clone(),
            })),
            Err(e) => err(
                at,
                format!(
                    "metric `{name}` of `{}` in benchmark `{}` cannot be summarised: {e}",
                    run.runner, b.id
                ),
            ),
        }
    }

    pub(crate) fn require_metric(
        &self,
        b: &Bench,
        run_index: usize,
        run: &StoredRun,
        name: &str,
        at: usize,
    ) -> Result<MetricData, Stop> {
        self.metric(b, run_index, run, name, at)?.map_or_else(
            || {
                let mut reported: Vec<String> = run
                    .repetitions
                    .iter()
                    .flat_map(|r| r.result.metrics.keys().cloned())
                    .collect();
                reported.sort();
                reported.dedup();
                err(
                    at,
                    format!(
                        "missing result: runner `{}` reported no metric `{name}` for benchmark `{}`; it reported: {}",
                        run.runner,
                        b.id,
                        list_or_none(reported.iter())
                    ),
                )
            },
            Ok,
        )
    }

    /// Display name of a runner.
    pub(crate) fn label(&self, stored: &StoredBenchmark, runner: &str) -> String {
        self.ctx.runner_label(stored, runner)
    }

    pub(crate) fn result_link(&self, id: &str, at: usize) -> Result<String, Stop> {
        if !self.ctx.result_files.contains_key(id) {
            return err(
                at,
                format!("missing result: no stored result file is known for benchmark `{id}`; expected benchmarks/results/{id}.json"),
            );
        }
        Ok(format!(
            "{}{}",
            self.root_prefix,
            MergeContext::provenance_output(id).to_string_lossy()
        ))
    }

    /// The `bench` argument of a function: an id with an optional selector.
    pub(crate) fn bench_arg(&self, args: &Args) -> Result<(Bench<'a>, Selector, Span), Stop> {
        let (text, span) = args.string("bench")?.ok_or_else(|| {
            Stop::Err(EvalError {
                at: args.call.span.start,
                message: format!("`{}` needs the argument `bench`", args.call.name.name),
            })
        })?;
        let (id, sel) = super::expr::parse_bench_ref(&text, span.start + 1).map_err(|e| {
            Stop::Err(EvalError {
                at: e.at,
                message: e.message,
            })
        })?;
        Ok((self.bench(&id)?, sel, span))
    }

    /// The `runners` argument, or the declaration's runners.
    pub(crate) fn runners_arg(&self, args: &Args, b: &Bench) -> Result<Vec<String>, Stop> {
        match args.strings("runners")? {
            None => Ok(b.decl.runners.clone()),
            Some(list) => {
                for (r, span) in &list {
                    self.check_runner(b, r, span.start + 1)?;
                }
                Ok(list.into_iter().map(|(r, _)| r).collect())
            }
        }
    }

    /// The `runner` argument, or the benchmark's only runner.
    pub(crate) fn one_runner(&self, args: &Args, b: &Bench) -> Result<String, Stop> {
        match args.string("runner")? {
            Some((r, rspan)) => {
                self.check_runner(b, &r, rspan.start + 1)?;
                Ok(r)
            }
            None if b.decl.runners.len() == 1 => Ok(b.decl.runners[0].clone()),
            None => err(
                args.call.span.start,
                format!(
                    "`{}` shows one runner; benchmark `{}` has {}; expected `runner=\"...\"`",
                    args.call.name.name,
                    b.id,
                    b.decl.runners.join(", ")
                ),
            ),
        }
    }

    /// The precision–recall curve of the binary scores `name` of one run (from the first
    /// repetition that reported them); the `pr_curve` shortcode and `pr_at` share it.
    pub(crate) fn scores_curve(
        &self,
        b: &Bench,
        run: &StoredRun,
        name: &str,
        name_at: usize,
    ) -> Result<PrCurve, Stop> {
        let r = &run.runner;
        let Some(scores) = run
            .repetitions
            .iter()
            .find_map(|rep| rep.result.scores.get(name))
        else {
            let mut reported: Vec<String> = run
                .repetitions
                .iter()
                .flat_map(|rep| rep.result.scores.keys().cloned())
                .collect();
            reported.sort();
            reported.dedup();
            return err(
                name_at,
                format!(
                    "missing result: runner `{r}` reported no scores `{name}` for benchmark `{}`; it reported: {}",
                    b.id,
                    list_or_none(reported.iter())
                ),
            );
        };
        PrCurve::new(scores).or_else(|m| {
            err(
                name_at,
                format!(
                    "scores `{name}` of `{r}` in `{}` are inconsistent: {m}",
                    b.id
                ),
            )
        })
    }

    /// The result of a run's first repetition.
    pub(crate) fn first_result(
        &self,
        b: &Bench,
        run: &'a StoredRun,
        at: usize,
    ) -> Result<&'a benchbook_protocol::RunResult, Stop> {
        match run.repetitions.first() {
            Some(rep) => Ok(&rep.result),
            None => err(
                at,
                format!(
                    "missing result: the stored run of `{}` in benchmark `{}` has no repetitions; run `benchbook bench {}`",
                    run.runner, b.id, b.id
                ),
            ),
        }
    }

    /// Two runners to compare: `runners=[a, b]` or the declaration's two.
    fn pair(&self, args: &Args, b: &Bench) -> Result<(String, String), Stop> {
        if let (None, Some((x, y))) = (args.get("runners"), &b.decl.compare) {
            return Ok((x.clone(), y.clone()));
        }
        let list = self.runners_arg(args, b)?;
        match list.as_slice() {
            [a, c] => Ok((a.clone(), c.clone())),
            _ => {
                let at = args
                    .get("runners")
                    .map_or(args.call.span.start, |a| a.value_span.start);
                err(
                    at,
                    format!(
                        "`{}` compares exactly two runners; benchmark `{}` has {} ({}); expected `runners=[\"a\", \"b\"]`",
                        args.call.name.name,
                        b.id,
                        list.len(),
                        list.join(", ")
                    ),
                )
            }
        }
    }

    // ---------------------------------------------------------------------------------
    // Values

    fn path(&mut self, p: &PathExpr) -> Result<Value, Stop> {
        let b = self.bench(&p.bench)?;
        self.check_runner(&b, &p.runner.name, p.runner.span.start)?;
        let sel_at = p
            .selector
            .pairs
            .first()
            .map_or(p.runner.span.end, |(k, _, _)| k.span.start);
        let point = self.point(&b, &p.selector, &[], sel_at, &p.runner.name)?;
        let (idx, run) = self.run(&b, &p.runner.name, &point, p.runner.span.start)?;
        let stat = p.stat.name.as_str();
        if !STATISTICS.contains(&stat) {
            return err(
                p.stat.span.start,
                format!(
                    "unknown statistic `{stat}`; expected one of: {}",
                    STATISTICS.join(", ")
                ),
            );
        }
        self.check_metric(&b, &p.metric.name, p.metric.span.start)?;
        let m = self.require_metric(&b, idx, run, &p.metric.name, p.metric.span.start)?;
        let s = &m.summary;
        let (value, unit) = match stat {
            "median" => (Some(s.median), m.unit),
            "p50" => (Some(s.p50), m.unit),
            "mean" => (Some(s.mean), m.unit),
            "stddev" => (s.stddev, m.unit),
            "min" => (Some(s.min), m.unit),
            "max" => (Some(s.max), m.unit),
            "q1" => (Some(s.q1), m.unit),
            "q3" => (Some(s.q3), m.unit),
            "iqr" => (Some(s.iqr), m.unit),
            "p90" => (Some(s.p90), m.unit),
            "p99" => (Some(s.p99), m.unit),
            "ci_low" => (s.ci.map(|c| c.low), m.unit),
            "ci_high" => (s.ci.map(|c| c.high), m.unit),
            "cv" => (s.cv, Unit::Fraction),
            "spread" => (s.spread, Unit::Fraction),
            "center" => (Some(s.center), m.unit),
            "n" => (Some(s.n as f64), Unit::Count),
            "samples" => (Some(s.samples as f64), Unit::Count),
            _ => (Some(s.outliers.len() as f64), Unit::Count),
        };
        let Some(value) = value else {
            return Ok(Value::NotAvailable(if s.n == 1 {
                "undefined for a single process"
            } else if s.deterministic || s.constant() {
                "undefined: every process measured the same value"
            } else {
                "undefined (zero mean)"
            }));
        };
        let location = matches!(stat, "median" | "center" | "mean");
        Ok(Value::Number {
            value,
            unit,
            default: Filter::default_for(unit),
            noisy: if location && s.noisy() {
                s.spread
            } else {
                None
            },
            stale: b.stale,
        })
    }

    fn call(&mut self, c: &Call) -> Result<Value, Stop> {
        let name = c.name.name.as_str();
        match sc::find(name) {
            Some(shortcode) => shortcode.evaluate(self, c),
            None => err(
                c.name.span.start,
                format!(
                    "unknown function `{name}`; expected a shortcode ({}) or an inline function ({})",
                    sc::names(sc::Kind::Block).join(", "),
                    sc::names(sc::Kind::Inline).join(", ")
                ),
            ),
        }
    }

    /// Compare one metric of two runners at one point.
    #[allow(clippy::too_many_arguments)]
    fn compare_metric(
        &self,
        b: &Bench<'a>,
        sel: &Selector,
        metric: &str,
        metric_at: usize,
        a: &str,
        c: &str,
        at: usize,
    ) -> Result<(Comparison, Unit, Option<Better>), Stop> {
        self.check_metric(b, metric, metric_at)?;
        let point = self.point(b, sel, &[], at, a)?;
        self.compare_at(b, &point, metric, metric_at, a, c, at)
    }

    /// Compare one metric of two runners at a resolved matrix point.
    #[allow(clippy::too_many_arguments)]
    fn compare_at(
        &self,
        b: &Bench<'a>,
        point: &BTreeMap<String, Json>,
        metric: &str,
        metric_at: usize,
        a: &str,
        c: &str,
        at: usize,
    ) -> Result<(Comparison, Unit, Option<Better>), Stop> {
        let point = point.clone();
        let (ia, ra) = self.run(b, a, &point, at)?;
        let (ic, rc) = self.run(b, c, &point, at)?;
        let ma = self.require_metric(b, ia, ra, metric, metric_at)?;
        let mc = self.require_metric(b, ic, rc, metric, metric_at)?;
        let cmp = self
            .verdict_cmp(&ma, &mc, metric, metric_at)?
            .or_else(|e| {
                err(
                    metric_at,
                    format!("cannot compare `{metric}` of `{a}` and `{c}`: {e}"),
                )
            })?;
        Ok((cmp, ma.unit, ma.better))
    }

    pub(crate) fn comparison_fn(&mut self, c: &Call) -> Result<Value, Stop> {
        self.claiming.set(c.name.name != "ratio");
        let value = self.comparison_fn_inner(c);
        self.claiming.set(true);
        value
    }

    fn comparison_fn_inner(&mut self, c: &Call) -> Result<Value, Stop> {
        let name = c.name.name.as_str();
        let is = matches!(name, "is_faster" | "is_better");
        let (allowed, required): (&[&str], &[&str]) = if is {
            (
                &["bench", "metric", "runner", "than"],
                &["bench", "metric", "runner"],
            )
        } else {
            (&["bench", "metric", "runners"], &["bench", "metric"])
        };
        let args = Args::new(c, allowed, required)?;
        let (b, sel, _) = self.bench_arg(&args)?;
        let (metric, mspan) = args.string("metric")?.unwrap_or_default();
        let (a, other) = if is {
            let (r, rspan) = args.string("runner")?.unwrap_or_default();
            self.check_runner(&b, &r, rspan.start + 1)?;
            let other = match args.string("than")? {
                Some((t, tspan)) => {
                    self.check_runner(&b, &t, tspan.start + 1)?;
                    t
                }
                None => {
                    let others: Vec<&String> = b.decl.runners.iter().filter(|x| **x != r).collect();
                    match others.as_slice() {
                        [one] => (*one).clone(),
                        _ => {
                            return err(
                                c.span.start,
                                format!(
                                    "benchmark `{}` has {} other runners; say which with `than=\"...\"`",
                                    b.id,
                                    others.len()
                                ),
                            )
                        }
                    }
                }
            };
            (r, other)
        } else {
            self.pair(&args, &b)?
        };
        let (cmp, unit, better) =
            self.compare_metric(&b, &sel, &metric, mspan.start + 1, &a, &other, c.span.start)?;
        let la = self.label(b.stored, &a);
        let lb = self.label(b.stored, &other);
        Ok(match name {
            "faster" | "better" => Value::Text {
                text: match cmp.winner {
                    Some(Side::A) => la,
                    Some(Side::B) => lb,
                    None => match cmp.outcome {
                        stats::Outcome::Equivalent => "no practical difference".into(),
                        stats::Outcome::TooFew { .. } => "too few runs for a verdict".into(),
                        _ => "no clear winner".into(),
                    },
                },
                stale: b.stale,
            },
            "is_faster" | "is_better" => Value::Text {
                text: (cmp.winner == Some(Side::A)).to_string(),
                stale: false,
            },
            "no_difference" | "no_clear_difference" => Value::Text {
                text: (cmp.winner.is_none()).to_string(),
                stale: false,
            },
            "no_practical_difference" => Value::Text {
                text: (cmp.outcome == stats::Outcome::Equivalent).to_string(),
                stale: false,
            },
            "inconclusive" => Value::Text {
                text: matches!(
                    cmp.outcome,
                    stats::Outcome::Inconclusive | stats::Outcome::TooFew { .. }
                )
                .to_string(),
                stale: false,
            },
            "ratio" => Value::Number {
                value: cmp.ratio,
                unit: Unit::Plain,
                default: Filter::Ratio,
                noisy: None,
                stale: b.stale,
            },
            _ => verdict_value(&cmp, &la, &lb, unit, better, b.stale),
        })
    }

    /// A cell `a=`/`b=` of a two-cell comparison: benchmark, runner and matrix point.
    pub(crate) fn cell(&self, args: &Args, which: &str) -> Result<Cell<'a>, Stop> {
        let (text, span) = args.string(which)?.unwrap_or_default();
        let (id, runner, sel) =
            super::expr::parse_cell_ref(&text, span.start + 1).map_err(|e| {
                Stop::Err(EvalError {
                    at: e.at,
                    message: e.message,
                })
            })?;
        let b = self.bench(&id)?;
        self.check_runner(&b, &runner.name, runner.span.start)?;
        let sel_at = sel
            .pairs
            .first()
            .map_or(runner.span.end, |(k, _, _)| k.span.start);
        let example = format!("{}.{}", id.name, runner.name);
        let point = self.point(&b, &sel, &[], sel_at, &example)?;
        let (index, run) = self.run(&b, &runner.name, &point, runner.span.start)?;
        Ok(Cell {
            bench: b,
            runner: runner.name,
            point,
            index,
            run,
        })
    }

    /// A cell's display name: the runner's, plus what tells it apart from `other`
    /// (`PyTorch [threads=2]`, `TensorFlow [mlp_digits, threads=1]`).
    pub(crate) fn cell_label(&self, this: &Cell, other: &Cell) -> String {
        let label = self.label(this.bench.stored, &this.runner);
        let mut apart = Vec::new();
        if this.bench.id != other.bench.id {
            apart.push(this.bench.id.clone());
        }
        for (k, v) in &this.point {
            if other.bench.id != this.bench.id || other.point.get(k).is_none_or(|o| !json_eq(o, v))
            {
                apart.push(format!("{k}={}", json_text(v)));
            }
        }
        if apart.is_empty() {
            label
        } else {
            format!("{label} [{}]", apart.join(", "))
        }
    }

    /// `ratio(a=..., b=..., metric=...)` and `verdict(a=..., b=..., metric=...)`: any two
    /// cells, first over second.
    pub(crate) fn cell_comparison(&mut self, c: &Call) -> Result<Value, Stop> {
        self.claiming.set(c.name.name != "ratio");
        let value = self.cell_comparison_inner(c);
        self.claiming.set(true);
        value
    }

    fn cell_comparison_inner(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["a", "b", "metric"], &["a", "b", "metric"])?;
        let (cmp, unit, better, (la, lb), stale) = self.compare_cells(&args)?;
        Ok(if c.name.name == "ratio" {
            Value::Number {
                value: cmp.ratio,
                unit: Unit::Plain,
                default: Filter::Ratio,
                noisy: None,
                stale,
            }
        } else {
            verdict_value(&cmp, &la, &lb, unit, better, stale)
        })
    }

    /// The comparison of cells `a` and `b` on `metric`: with the unit, direction, the two
    /// cells' display names and whether either result is stale.
    #[allow(clippy::type_complexity)]
    fn compare_cells(
        &self,
        args: &Args,
    ) -> Result<(Comparison, Unit, Option<Better>, (String, String), bool), Stop> {
        let (metric, mspan) = args.string("metric")?.unwrap_or_default();
        let x = self.cell(args, "a")?;
        let y = self.cell(args, "b")?;
        self.check_metric(&x.bench, &metric, mspan.start + 1)?;
        self.check_metric(&y.bench, &metric, mspan.start + 1)?;
        let mx = self.require_metric(&x.bench, x.index, x.run, &metric, mspan.start + 1)?;
        let my = self.require_metric(&y.bench, y.index, y.run, &metric, mspan.start + 1)?;
        if mx.unit != my.unit {
            return err(
                mspan.start + 1,
                format!(
                    "`{metric}` is in {} in `a` but in {} in `b`; expected two cells measured in one unit",
                    unit_name(mx.unit),
                    unit_name(my.unit)
                ),
            );
        }
        let cmp = self
            .verdict_cmp(&mx, &my, &metric, mspan.start + 1)?
            .or_else(|e| {
                err(
                    mspan.start + 1,
                    format!("cannot compare `{metric}` of the two cells: {e}"),
                )
            })?;
        let stale = x.bench.stale || y.bench.stale;
        let labels = (self.cell_label(&x, &y), self.cell_label(&y, &x));
        Ok((cmp, mx.unit, mx.better, labels, stale))
    }

    /// `probe(..., field=...)` and `probe_is(..., stage=...)`.
    pub(crate) fn probe(&mut self, c: &Call) -> Result<Value, Stop> {
        let is = c.name.name == "probe_is";
        let (last, choices): (&str, &[&str]) = if is {
            ("stage", &PROBE_STAGES)
        } else {
            ("field", &PROBE_FIELDS)
        };
        let args = Args::new(
            c,
            &["bench", "runner", "name", last],
            &["bench", "name", last],
        )?;
        let (want, _) = args.choice(last, choices)?.unwrap_or_default();
        let (b, sel, span) = self.bench_arg(&args)?;
        let runner = self.one_runner(&args, &b)?;
        let (name, nspan) = args.string("name")?.unwrap_or_default();
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let (_, run) = self.run(&b, &runner, &point, span.start + 1)?;
        let result = self.first_result(&b, run, span.start + 1)?;
        let Some(p) = result.probes.iter().find(|p| p.name == name) else {
            return err(
                nspan.start + 1,
                format!(
                    "unknown probe `{name}`: runner `{runner}` reported no such probe for benchmark `{}`; its probes: {}",
                    b.id,
                    list_or_none(result.probes.iter().map(|p| &p.name))
                ),
            );
        };
        let stage = sc::stage_word(p.stage);
        if is {
            return Ok(Value::Text {
                text: (stage == want).to_string(),
                stale: false,
            });
        }
        let message = p.message.as_deref().filter(|m| !m.trim().is_empty());
        let text = match want.as_str() {
            "stage" => stage.to_string(),
            "seconds" => {
                return Ok(Value::Number {
                    value: p.seconds,
                    unit: Unit::Seconds,
                    default: Filter::Duration,
                    noisy: None,
                    stale: b.stale,
                })
            }
            "message" => match message {
                // Verbatim on one line (line breaks become spaces); escaped for HTML in
                // prose by `evaluate`, plain text in a quiz.
                Some(m) => b
                    .paths
                    .show(m.trim_end())
                    .replace("\r\n", " ")
                    .replace(['\n', '\r'], " "),
                None => return Ok(Value::NotAvailable("the probe raised no error")),
            },
            _ => match (message, &p.observed) {
                (Some(_), _) => match p.stage {
                    Stage::Build => "raised an error while building".into(),
                    Stage::Run => "raised an error while running".into(),
                    Stage::None => "raised an error".into(),
                },
                (None, Some(o)) if !o.trim().is_empty() => b.paths.show(o.trim()),
                (None, _) => "raised no error".into(),
            },
        };
        Ok(Value::Text {
            text,
            stale: b.stale,
        })
    }

    /// `pr_at(bench=..., runner=..., threshold=0.5, field="recall", name="test")`.
    pub(crate) fn pr_at(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(
            c,
            &["bench", "runner", "name", "threshold", "field", "interval"],
            &["bench", "threshold", "field"],
        )?;
        let (field, _) = args.choice("field", &PR_FIELDS)?.unwrap_or_default();
        let interval = args.boolean("interval")?;
        let (threshold, tspan) = args.number("threshold")?.unwrap_or_default();
        if !(0.0..=1.0).contains(&threshold) {
            return err(
                tspan.start,
                format!("threshold {threshold} is outside 0..1; expected a probability"),
            );
        }
        let (b, sel, span) = self.bench_arg(&args)?;
        let runner = self.one_runner(&args, &b)?;
        let (name, name_at) = name_arg(&args, c)?;
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let (_, run) = self.run(&b, &runner, &point, span.start + 1)?;
        let at = self.scores_curve(&b, run, &name, name_at)?.at(threshold);
        let fraction = |value: f64| Value::Number {
            value,
            unit: Unit::Fraction,
            default: Filter::Percent,
            noisy: None,
            stale: b.stale,
        };
        let count = |value: usize| Value::Number {
            value: value as f64,
            unit: Unit::Count,
            default: Filter::Number,
            noisy: None,
            stale: b.stale,
        };
        // `interval=true`: the proportion with its Wilson 95% interval and counts.
        let proportion = |k: usize, n: usize| {
            let ci = stats::wilson(k as u64, n as u64);
            Value::Text {
                text: match ci {
                    Some(ci) => format!(
                        "{} (95% interval {}–{}, {k} of {n})",
                        super::filters::percent(k as f64 / n as f64),
                        super::filters::percent(ci.low),
                        super::filters::percent(ci.high)
                    ),
                    None => "n/a".into(),
                },
                stale: b.stale,
            }
        };
        if interval {
            let (tp, fp, fn_, tn) = (
                at.true_positives,
                at.false_alarms,
                at.misses,
                at.true_negatives,
            );
            match field.as_str() {
                "precision" => return Ok(proportion(tp, tp + fp)),
                "recall" => return Ok(proportion(tp, tp + fn_)),
                "accuracy" => return Ok(proportion(tp + tn, tp + fp + fn_ + tn)),
                _ => {
                    return err(
                        c.span.start,
                        format!("`interval=true` applies to precision, recall and accuracy, not to `{field}`"),
                    )
                }
            }
        }
        Ok(match field.as_str() {
            "precision" => match at.precision {
                Some(p) => fraction(p),
                None => Value::NotAvailable("no example scores at or above this threshold"),
            },
            "recall" => fraction(at.recall),
            "accuracy" => fraction(at.accuracy),
            "false_alarms" => count(at.false_alarms),
            _ => count(at.misses),
        })
    }

    /// `majority_accuracy(bench=..., runner=..., name="test")`.
    pub(crate) fn majority_accuracy(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "runner", "name"], &["bench"])?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let runner = self.one_runner(&args, &b)?;
        let (name, name_at) = name_arg(&args, c)?;
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let (_, run) = self.run(&b, &runner, &point, span.start + 1)?;
        let has_scores = run
            .repetitions
            .iter()
            .any(|rep| rep.result.scores.contains_key(&name));
        let classification = run
            .repetitions
            .iter()
            .find_map(|rep| rep.result.classifications.get(&name));
        let value = if has_scores {
            self.scores_curve(&b, run, &name, name_at)?
                .majority_accuracy()
        } else if let Some(cl) = classification {
            ConfusionMatrix::from_classification(cl)
                .or_else(|m| {
                    err(
                        name_at,
                        format!(
                            "classification `{name}` of `{runner}` in `{}` is inconsistent: {m}",
                            b.id
                        ),
                    )
                })?
                .majority_accuracy()
        } else {
            let mut reported: Vec<String> = run
                .repetitions
                .iter()
                .flat_map(|rep| {
                    rep.result
                        .scores
                        .keys()
                        .chain(rep.result.classifications.keys())
                        .cloned()
                })
                .collect();
            reported.sort();
            reported.dedup();
            return err(
                name_at,
                format!(
                    "missing result: runner `{runner}` reported no scores or classification `{name}` for benchmark `{}`; it reported: {}",
                    b.id,
                    list_or_none(reported.iter())
                ),
            );
        };
        Ok(Value::Number {
            value,
            unit: Unit::Fraction,
            default: Filter::Percent,
            noisy: None,
            stale: b.stale,
        })
    }

    /// The classification `name` of every process of `runner`, checked for consistency.
    fn classifications(
        &self,
        b: &Bench<'a>,
        run: &'a StoredRun,
        runner: &str,
        name: &str,
        at: usize,
    ) -> Result<Vec<&'a benchbook_protocol::Classification>, Stop> {
        let all: Vec<_> = run
            .repetitions
            .iter()
            .filter_map(|rep| rep.result.classifications.get(name))
            .collect();
        if all.is_empty() {
            return err(
                at,
                format!(
                    "missing result: runner `{runner}` reported no classification `{name}` for benchmark `{}`",
                    b.id
                ),
            );
        }
        for cl in &all {
            if cl.truth.len() != cl.predicted.len() || cl.truth.is_empty() {
                return err(
                    at,
                    format!(
                        "classification `{name}` of `{runner}` in `{}` has {} true and {} predicted labels; expected as many of each, at least one",
                        b.id,
                        cl.truth.len(),
                        cl.predicted.len()
                    ),
                );
            }
        }
        Ok(all)
    }

    /// `accuracy(bench=..., runner=..., name="test")`: the share of correct predictions of the
    /// first process, with its Wilson 95% interval and the counts.
    pub(crate) fn accuracy(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "runner", "name"], &["bench"])?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let runner = self.one_runner(&args, &b)?;
        let (name, name_at) = name_arg(&args, c)?;
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let (_, run) = self.run(&b, &runner, &point, span.start + 1)?;
        let all = self.classifications(&b, run, &runner, &name, name_at)?;
        let cl = all[0];
        let n = cl.truth.len() as u64;
        let k = cl
            .truth
            .iter()
            .zip(&cl.predicted)
            .filter(|(t, p)| t == p)
            .count() as u64;
        let ci = stats::wilson(k, n).expect("n > 0");
        let same = all.iter().all(|o| o.predicted == cl.predicted);
        let text = format!(
            "{} (95% interval {}–{}, {k} of {n} correct{})",
            super::filters::percent(k as f64 / n as f64),
            super::filters::percent(ci.low),
            super::filters::percent(ci.high),
            if all.len() > 1 && same {
                format!(", the same in all {} processes", all.len())
            } else if all.len() > 1 {
                format!(
                    "; the first of {} processes, whose predictions differ",
                    all.len()
                )
            } else {
                String::new()
            }
        );
        Ok(Value::Text {
            text,
            stale: b.stale,
        })
    }

    /// `predictions(bench=..., runners=[a, b], name="test")`: whether two runners predicted
    /// the same classes, computed over every process; where they differ, McNemar's exact test
    /// on the first processes. `same_predictions(...)` is `true` or `false`.
    pub(crate) fn predictions(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "runners", "name"], &["bench"])?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let (ra, rb) = self.pair(&args, &b)?;
        let (name, name_at) = name_arg(&args, c)?;
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let (_, run_a) = self.run(&b, &ra, &point, span.start + 1)?;
        let (_, run_b) = self.run(&b, &rb, &point, span.start + 1)?;
        let xa = self.classifications(&b, run_a, &ra, &name, name_at)?;
        let xb = self.classifications(&b, run_b, &rb, &name, name_at)?;
        let (la, lb) = (self.label(b.stored, &ra), self.label(b.stored, &rb));
        let first = xa[0];
        if xb[0].truth != first.truth {
            return err(
                name_at,
                format!(
                    "`{ra}` and `{rb}` classified different test sets `{name}` in `{}`; expected the same examples in the same order",
                    b.id
                ),
            );
        }
        let identical = xa.iter().chain(&xb).all(|x| x.predicted == first.predicted);
        if c.name.name == "same_predictions" {
            return Ok(Value::Text {
                text: identical.to_string(),
                stale: false,
            });
        }
        let n = first.truth.len();
        let processes = xa.len() + xb.len();
        let text = if identical {
            format!(
                "identical: {la} and {lb} predicted the same class for all {n} examples, in all {processes} processes"
            )
        } else if let Some(k) =
            (0..xa.len().min(xb.len())).find(|&k| xa[k].predicted != xb[k].predicted)
        {
            let (pa, pb) = (&xa[k].predicted, &xb[k].predicted);
            let which = if k == 0 {
                "first processes".to_string()
            } else {
                format!("process {} of each", k + 1)
            };
            let mut differ = 0;
            let (mut only_a, mut only_b) = (0u64, 0u64);
            for i in 0..n {
                if pa[i] != pb[i] {
                    differ += 1;
                }
                let (ok_a, ok_b) = (pa[i] == first.truth[i], pb[i] == first.truth[i]);
                if ok_a && !ok_b {
                    only_a += 1;
                } else if ok_b && !ok_a {
                    only_b += 1;
                }
            }
            let p = stats::mcnemar(only_a, only_b);
            format!(
                "different on {differ} of {n} examples ({which}): only {la} right on {only_a}, only {lb} on {only_b}; McNemar's exact test p = {}{}",
                super::filters::number((p * 1000.0).round() / 1000.0),
                if p < 0.05 {
                    ", a real difference in accuracy"
                } else {
                    ", no evidence that either is more accurate"
                }
            )
        } else {
            format!(
                "the same for {la} and {lb} process by process, but not the same in every process: the runs are not repeatable"
            )
        };
        Ok(Value::Text {
            text,
            stale: b.stale,
        })
    }

    /// `verdicts_by(bench=..., metric=..., by="batch_size")`: the verdict at every value of a
    /// matrix parameter, in one sentence (`batch_size 1: PyTorch 1.15x faster; 32: ...`), so
    /// that prose about how a verdict changes along a sweep is computed, not typed.
    /// `verdict_changes(...)` is `true` when the named winner (or its absence) is not the same
    /// at every value.
    pub(crate) fn verdicts_by(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(
            c,
            &["bench", "metric", "by", "runners"],
            &["bench", "metric", "by"],
        )?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let (metric, mspan) = args.string("metric")?.unwrap_or_default();
        let (param, pspan) = args.string("by")?.unwrap_or_default();
        let (ra, rb) = self.pair(&args, &b)?;
        let Some(values) = b.decl.matrix.get(&param) else {
            return err(
                pspan.start + 1,
                format!(
                    "benchmark `{}` has no matrix parameter `{param}`; its parameters: {}",
                    b.id,
                    list_or_none(b.decl.matrix.keys())
                ),
            );
        };
        let base = self.point(&b, &sel, &[param.as_str()], span.start + 1, &b.id)?;
        let (la, lb) = (self.label(b.stored, &ra), self.label(b.stored, &rb));
        let mut parts = Vec::new();
        let mut winners = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let mut point = base.clone();
            point.insert(param.clone(), v.clone());
            let (cmp, unit, better) =
                self.compare_at(&b, &point, &metric, mspan.start + 1, &ra, &rb, c.span.start)?;
            winners.push(cmp.winner);
            let text = sc::verdict_text(&cmp, &la, &lb, unit, better);
            let head = text
                .rfind(" (")
                .map_or(text.as_str(), |k| &text[..k])
                .to_string();
            let key = if i == 0 {
                format!("{} {}", param.replace('_', " "), json_text(v))
            } else {
                json_text(v)
            };
            parts.push(format!("{key}: {head}"));
        }
        if c.name.name == "verdict_changes" {
            return Ok(Value::Text {
                text: winners.windows(2).any(|w| w[0] != w[1]).to_string(),
                stale: false,
            });
        }
        Ok(Value::Text {
            text: parts.join("; "),
            stale: b.stale,
        })
    }

    /// `claim(bench=..., metric=..., expect="tensorflow", text="...")`: prose that states a
    /// result, checked against it. `expect` is the runner that must be the winner, or
    /// `no_practical_difference`, or `inconclusive`; `text` is written when the stored results
    /// say so, and the build fails at this line when they no longer do.
    pub(crate) fn claim(&mut self, c: &Call) -> Result<Value, Stop> {
        if c.args.iter().any(|a| a.name == "a" || a.name == "b") {
            return self.cell_claim(c);
        }
        let args = Args::new(
            c,
            &["bench", "metric", "runners", "expect", "text"],
            &["bench", "metric", "expect", "text"],
        )?;
        let (b, sel, _) = self.bench_arg(&args)?;
        let (metric, mspan) = args.string("metric")?.unwrap_or_default();
        let (expect, espan) = args.string("expect")?.unwrap_or_default();
        let (text, _) = args.string("text")?.unwrap_or_default();
        let (ra, rb) = self.pair(&args, &b)?;
        let sides = [ra.as_str(), rb.as_str()];
        check_expect(&expect, espan.start + 1, sides)?;
        let (cmp, unit, better) =
            self.compare_metric(&b, &sel, &metric, mspan.start + 1, &ra, &rb, c.span.start)?;
        if claimed(&cmp, sides) != expect {
            let (la, lb) = (self.label(b.stored, &ra), self.label(b.stored, &rb));
            return claim_broken(
                c,
                &expect,
                &format!(" of `{}`", b.id),
                &sc::verdict_text(&cmp, &la, &lb, unit, better),
            );
        }
        Ok(Value::Text {
            text,
            stale: b.stale,
        })
    }

    /// `series_min(bench=..., runner=..., series="val_loss", field="x")`: where a series (the
    /// median over processes at each x) is lowest: `x` (e.g. the epoch), or `y` (the value).
    /// `series_max(...)` is where it is highest. For prose such as "validation loss bottoms
    /// out at epoch N", computed. `series_last(...)` is the last point.
    pub(crate) fn series_extreme(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(
            c,
            &["bench", "runner", "series", "field"],
            &["bench", "series"],
        )?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let runner = self.one_runner(&args, &b)?;
        let (name, nspan) = args.string("series")?.unwrap_or_default();
        let field = args
            .choice("field", &["x", "y"])?
            .map_or_else(|| "x".to_string(), |(f, _)| f);
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let (_, run) = self.run(&b, &runner, &point, span.start + 1)?;
        let Some((xs, ys, unit, _)) = median_series(run, &name) else {
            return err(
                nspan.start + 1,
                format!(
                    "missing result: runner `{runner}` reported no consistent series `{name}` for benchmark `{}`",
                    b.id
                ),
            );
        };
        let pick = |i: usize, j: usize| {
            if c.name.name == "series_min" {
                ys[j] < ys[i]
            } else {
                ys[j] > ys[i]
            }
        };
        let best = if c.name.name == "series_last" {
            ys.len().checked_sub(1)
        } else {
            (0..ys.len()).reduce(|i, j| if pick(i, j) { j } else { i })
        };
        let Some(best) = best else {
            return err(nspan.start + 1, format!("series `{name}` is empty"));
        };
        Ok(if field == "x" {
            Value::Number {
                value: xs[best],
                unit: Unit::Plain,
                default: Filter::Number,
                noisy: None,
                stale: b.stale,
            }
        } else {
            Value::Number {
                value: ys[best],
                unit,
                default: Filter::default_for(unit),
                noisy: None,
                stale: b.stale,
            }
        })
    }

    /// `claim(a=..., b=..., metric=..., expect="a"|"b"|"no_practical_difference"|
    /// "inconclusive", text=...)`: a claim about two cells (`a` or `b` the better one).
    fn cell_claim(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(
            c,
            &["a", "b", "metric", "expect", "text"],
            &["a", "b", "metric", "expect", "text"],
        )?;
        let (expect, espan) = args.string("expect")?.unwrap_or_default();
        let (text, _) = args.string("text")?.unwrap_or_default();
        let sides = ["a", "b"];
        check_expect(&expect, espan.start + 1, sides)?;
        let (cmp, unit, better, (la, lb), stale) = self.compare_cells(&args)?;
        if claimed(&cmp, sides) != expect {
            return claim_broken(
                c,
                &expect,
                "",
                &sc::verdict_text(&cmp, &la, &lb, unit, better),
            );
        }
        Ok(Value::Text { text, stale })
    }
}

/// The outcomes a `claim` may expect: either side (by the names `sides` gives them), or
/// neither.
fn check_expect(expect: &str, at: usize, sides: [&str; 2]) -> Result<(), Stop> {
    let outcomes = [
        sides[0],
        sides[1],
        "no_practical_difference",
        "inconclusive",
    ];
    if outcomes.contains(&expect) {
        Ok(())
    } else {
        err(
            at,
            format!(
                "`expect` is `{expect}`; expected one of: {}",
                outcomes.join(", ")
            ),
        )
    }
}

/// What a comparison says, in the words of `claim`'s `expect`.
fn claimed<'s>(cmp: &Comparison, sides: [&'s str; 2]) -> &'s str {
    match (cmp.winner, cmp.outcome) {
        (Some(Side::A), _) => sides[0],
        (Some(Side::B), _) => sides[1],
        (None, stats::Outcome::Equivalent) => "no_practical_difference",
        _ => "inconclusive",
    }
}

/// The error of a claim the stored results (`of`: which) no longer support.
fn claim_broken<T>(c: &Call, expect: &str, of: &str, verdict: &str) -> Result<T, Stop> {
    err(
        c.span.start,
        format!(
            "this claim no longer holds: it expects `{expect}`, but the stored results{of} say: {verdict}; expected the prose to follow the data (rewrite the sentence, or compute it with `verdict(...)`)"
        ),
    )
}

/// A verdict as inline HTML (or a block when alone on its line) and plain text.
fn verdict_value(
    cmp: &Comparison,
    la: &str,
    lb: &str,
    unit: Unit,
    better: Option<Better>,
    stale: bool,
) -> Value {
    let plain = sc::verdict_text(cmp, la, lb, unit, better);
    let (head, tail) = match plain.rfind(" (") {
        Some(i) => (&plain[..i], &plain[i..]),
        None => (plain.as_str(), ""),
    };
    let mut marks = String::new();
    if cmp.noisy {
        marks.push_str(&format!(
            " <span class=\"bb-noisy\" title=\"processes typically more than {} from their median (scaled MAD)\">noisy</span>",
            super::filters::percent(stats::NOISY_SPREAD)
        ));
    }
    if stale {
        marks.push_str(sc::STALE_BADGE);
    }
    let inner = format!(
        "<strong>{}</strong>{}{marks}",
        esc_line(head),
        esc_line(tail)
    );
    Value::Html {
        html: format!("<span class=\"bb-verdict-inline\">{inner}</span>"),
        block: Some(format!("<p class=\"bb-verdict\">{inner}</p>")),
        plain,
    }
}

/// Formatted output of an expression.
enum Formatted {
    Text {
        text: String,
        noisy: Option<f64>,
        stale: bool,
        /// Inline HTML to use in prose instead of the escaped text.
        html: Option<String>,
        /// Block HTML to use when the expression stands alone on its line.
        block: Option<String>,
    },
    Block(String),
}

fn unreachable_failed() -> EvalError {
    EvalError {
        at: 0,
        message: "internal: a failed benchmark surfaced while formatting".into(),
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<MergeContext>();
    is::<Arc<Summary>>();
}

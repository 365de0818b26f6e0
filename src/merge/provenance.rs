//! One readable page per stored result (`results/<id>.html`), the target of every "how this
//! was measured" link: whether the result is fresh, what was held equal, the machine and
//! versions (the `environment` block), each run's command, fingerprint and process order, and
//! for every metric the per-process values as a small strip chart and a table, outliers
//! marked. The raw JSON beside it (`results/<id>.json`) is linked as a download.
//!
//! The body is HTML made here, like the shortcodes' blocks; the page around it is the theme's
//! `provenance.html` template.

use super::evaluator::{json_text, per_process, Bench, OUTSIDE_METRICS};
use super::filters::Filter;
use super::html::{esc, esc_line};
use super::shortcodes as sc;
use super::MergeContext;
use crate::model::ProvenancePage;
use crate::results::StoredRun;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The provenance page of every benchmark with a stored result file.
pub fn pages(ctx: &MergeContext) -> Vec<ProvenancePage> {
    ctx.result_files
        .iter()
        .filter_map(|(id, file)| {
            let stored = ctx.results.get(id)?;
            let decl = ctx.declared.get(id)?;
            let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            let b = Bench {
                id: id.clone(),
                decl,
                stored,
                stale: ctx.stale.contains(id),
                paths: &ctx.paths,
            };
            Some(ProvenancePage {
                id: id.clone(),
                title: format!("How “{}” was measured", stored.title),
                output: MergeContext::provenance_output(id),
                body: body(ctx, &b, bytes),
            })
        })
        .collect()
}

fn body(ctx: &MergeContext, b: &Bench, json_bytes: u64) -> String {
    let runs = &b.stored.runs;
    let labels: BTreeMap<String, String> = b
        .decl
        .runners
        .iter()
        .map(|r| (r.clone(), ctx.runner_label(b.stored, r)))
        .collect();
    let label = |r: &str| labels.get(r).cloned().unwrap_or_else(|| r.to_string());
    let json = format!("{}.json", b.id);
    let mut s = String::new();

    // Fresh, stale or failed, and why.
    let (class, state) = if let Some(msg) = ctx.failed.get(&b.id) {
        (
            "bb-state-failed",
            format!("The last attempt to measure it failed ({}); the pages show the stored result below.", b.paths.show(msg)),
        )
    } else if b.stale {
        (
            "bb-state-stale",
            format!("Stale: this result was measured before the benchmark's declaration, its runner's code or the framework versions last changed (its fingerprint no longer matches); benchbook bench {} measures it again.", b.id),
        )
    } else {
        (
            "bb-state-fresh",
            "Fresh: every run's fingerprint matches the current declaration, runner code and framework versions, so a build reuses it instead of measuring again.".to_string(),
        )
    };
    let _ = write!(
        s,
        "<p class=\"bb-provenance-state {class}\">{}</p>",
        esc_line(&state)
    );
    let _ = write!(
        s,
        "<p>Every number the pages show from this benchmark is computed from the stored result below. <a href=\"{}\" download>Download the raw result ({}, {})</a>: every sample of every process, the specs, the machine and the fingerprints.</p>",
        esc(&json),
        esc(&json),
        Filter::Bytes.apply(json_bytes as f64)
    );
    // The state line above already says whether it is stale: no second badge.
    let quiet = Bench {
        id: b.id.clone(),
        decl: b.decl,
        stored: b.stored,
        stale: false,
        paths: b.paths,
    };
    s.push_str(&sc::environment(&quiet, &labels, Some(&json)));

    // Runs: one per runner and matrix point.
    s.push_str("<h2 id=\"runs\">Runs</h2>");
    s.push_str(&sc::table_wrap("Runs of this benchmark"));
    s.push_str("<table class=\"bb-table\"><caption>One run per runner and matrix point</caption><thead><tr><th scope=\"col\">Runner</th><th scope=\"col\">Point</th><th scope=\"col\">Processes</th><th scope=\"col\">Warm-up processes</th><th scope=\"col\">Finished</th><th scope=\"col\">Command</th><th scope=\"col\">Fingerprint</th></tr></thead><tbody>");
    for r in runs {
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code title=\"{}\">{}</code></td></tr>",
            esc_line(&label(&r.runner)),
            esc_line(&point_text(r)),
            r.repetitions.len(),
            r.warmup,
            esc_line(&r.date),
            esc_line(&b.paths.show(&r.command.join(" "))),
            esc(&r.fingerprint),
            esc(r.fingerprint.get(..12).unwrap_or(&r.fingerprint)),
        );
    }
    s.push_str("</tbody></table></div>");

    // Run order at each point.
    let mut orders: Vec<(String, &Vec<String>)> = Vec::new();
    for r in runs {
        if !r.schedule.is_empty() && !orders.iter().any(|(p, _)| *p == point_text(r)) {
            orders.push((point_text(r), &r.schedule));
        }
    }
    if !orders.is_empty() {
        s.push_str("<h2 id=\"order\">Run order</h2><p>The processes of each matrix point in the order they ran (one process at a time; warm-up processes are discarded):</p><ul class=\"bb-provenance-order\">");
        for (point, schedule) in orders {
            let order: Vec<String> = schedule
                .iter()
                .map(|e| match e.strip_prefix("warmup ") {
                    Some(r) => format!("{} (warm-up)", label(r)),
                    None => label(e),
                })
                .collect();
            let _ = write!(
                s,
                "<li><strong>{}</strong>: {}</li>",
                esc_line(&point),
                esc_line(&order.join(" → "))
            );
        }
        s.push_str("</ul>");
    }

    // Per-process values of every metric.
    let mut metrics: Vec<String> = Vec::new();
    for r in runs {
        for rep in &r.repetitions {
            for m in rep.result.metrics.keys() {
                if !metrics.contains(m) {
                    metrics.push(m.clone());
                }
            }
        }
    }
    metrics.sort();
    metrics.extend(OUTSIDE_METRICS.iter().map(|m| m.to_string()));
    s.push_str("<h2 id=\"processes\">Per-process values</h2><p>Each process is one value: the median of its steady-state samples (after the leading samples its runner marks as one-off costs). Intervals and verdicts on the pages are computed over these values. Outliers (by the median-absolute-deviation rule) are drawn as rings and marked in the tables; they are kept in every statistic.</p>");
    for metric in &metrics {
        s.push_str(&metric_section(ctx, b, metric, &label));
    }
    s
}

/// `threads=1, batch=64`, or `(no matrix)`.
fn point_text(r: &StoredRun) -> String {
    if r.params.is_empty() {
        "(no matrix)".to_string()
    } else {
        r.params
            .iter()
            .map(|(k, v)| format!("{k}={}", json_text(v)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One row of a metric's chart and table: a run's per-process values.
struct Row {
    label: String,
    runner_index: usize,
    values: Vec<f64>,
    /// Run-order position (`sequence`) of each process, when stored.
    order: Vec<Option<usize>>,
    outliers: Vec<usize>,
    median: f64,
}

fn metric_section(
    ctx: &MergeContext,
    b: &Bench,
    metric: &str,
    label: &dyn Fn(&str) -> String,
) -> String {
    let mut rows = Vec::new();
    let mut unit = None;
    let mut region = None;
    for (i, r) in b.stored.runs.iter().enumerate() {
        let Some(p) = per_process(r, metric) else {
            continue;
        };
        let exact = p.unit == benchbook_protocol::Unit::Count;
        let summary = ctx.summary(&b.id, i, metric, || (p.processes.clone(), exact));
        let Ok(sum) = &*summary else { continue };
        unit.get_or_insert(p.unit);
        if region.is_none() {
            region = p.region.clone();
        }
        let reps: Vec<_> = r
            .repetitions
            .iter()
            .filter(|rep| {
                OUTSIDE_METRICS.contains(&metric) || rep.result.metrics.contains_key(metric)
            })
            .collect();
        rows.push(Row {
            label: format!("{}, {}", label(&r.runner), point_text(r)),
            runner_index: b
                .decl
                .runners
                .iter()
                .position(|n| *n == r.runner)
                .unwrap_or(0),
            values: sum.values.clone(),
            order: reps.iter().map(|rep| rep.sequence).collect(),
            outliers: sum.outliers.iter().map(|o| o.index).collect(),
            median: sum.median,
        });
    }
    let Some(unit) = unit else {
        return String::new();
    };
    let fmt = Filter::default_for(unit);
    let id = format!("metric-{}", slug::slugify(metric));
    let mut s = format!("<h3 id=\"{}\"><code>{}</code></h3>", esc(&id), esc(metric));
    if let Some(region) = &region {
        let _ = write!(
            s,
            "<p class=\"bb-provenance-region\">{}</p>",
            esc_line(&b.paths.show(region))
        );
    }
    s.push_str(&strip_chart(metric, &rows, fmt));
    s.push_str(&sc::table_wrap(&format!("Per-process values of {metric}")));
    let _ = write!(
        s,
        "<table class=\"bb-table\"><caption>Per-process values of <code>{}</code>, in stored order (position in the run order in brackets)</caption><thead><tr><th scope=\"col\">Run</th><th scope=\"col\">Median</th><th scope=\"col\">Per-process values</th></tr></thead><tbody>",
        esc(metric)
    );
    for row in &rows {
        let values: Vec<String> = row
            .values
            .iter()
            .enumerate()
            .map(|(k, v)| {
                let order = row
                    .order
                    .get(k)
                    .copied()
                    .flatten()
                    .map_or(String::new(), |o| format!(" [{}]", o + 1));
                let text = format!("{}{order}", fmt.apply(*v));
                if row.outliers.contains(&k) {
                    format!(
                        "<mark class=\"bb-outlier\" title=\"outlier\">{} (outlier)</mark>",
                        esc_line(&text)
                    )
                } else {
                    esc_line(&text)
                }
            })
            .collect();
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            esc_line(&row.label),
            esc_line(&fmt.apply(row.median)),
            values.join(", ")
        );
    }
    s.push_str("</tbody></table></div>");
    s
}

/// Per-process values as dots on one axis, a strip per run; outliers as rings. Drawn 360
/// units wide (readable on a phone; scaled up on wider screens).
fn strip_chart(metric: &str, rows: &[Row], fmt: Filter) -> String {
    const W: f64 = 360.0;
    const LEFT: f64 = 8.0;
    const RIGHT: f64 = 352.0;
    const ROW: f64 = 34.0;
    let all: Vec<f64> = rows.iter().flat_map(|r| r.values.iter().copied()).collect();
    if all.is_empty() {
        return String::new();
    }
    let (mut lo, mut hi) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.05 };
        lo -= pad;
        hi += pad;
    }
    let x = |v: f64| LEFT + (v - lo) / (hi - lo) * (RIGHT - LEFT);
    let height = rows.len() as f64 * ROW + 26.0;
    let mut svg = format!(
        "<figure class=\"bb-chart bb-strip\"><svg role=\"img\" aria-labelledby=\"strip-{0}-t strip-{0}-d\" viewBox=\"0 0 {W} {height}\" width=\"100%\" font-size=\"12\"><title id=\"strip-{0}-t\">{1}: one dot per process</title><desc id=\"strip-{0}-d\">{2} runs from {3} to {4}; the table below lists every value.</desc>",
        esc(&slug::slugify(metric)),
        esc(metric),
        rows.len(),
        esc(&fmt.apply(lo)),
        esc(&fmt.apply(hi)),
    );
    for (i, row) in rows.iter().enumerate() {
        let top = i as f64 * ROW;
        let cy = top + 24.0;
        let color = super::charts::color(row.runner_index);
        let _ = write!(
            svg,
            "<text x=\"{LEFT}\" y=\"{:.1}\" fill=\"currentColor\">{}</text><line x1=\"{LEFT}\" y1=\"{cy:.1}\" x2=\"{RIGHT}\" y2=\"{cy:.1}\" stroke=\"currentColor\" stroke-opacity=\"0.2\"/>",
            top + 12.0,
            esc(&row.label)
        );
        for (k, v) in row.values.iter().enumerate() {
            let px = x(*v);
            let shape = if row.outliers.contains(&k) {
                format!("<circle cx=\"{px:.1}\" cy=\"{cy:.1}\" r=\"5\" fill=\"none\" stroke-width=\"2\" style=\"stroke:{color}\"/>")
            } else if row.runner_index % 2 == 0 {
                format!("<circle cx=\"{px:.1}\" cy=\"{cy:.1}\" r=\"3.5\" fill-opacity=\"0.7\" style=\"fill:{color}\"/>")
            } else {
                format!("<rect x=\"{:.1}\" y=\"{:.1}\" width=\"7\" height=\"7\" fill-opacity=\"0.7\" style=\"fill:{color}\"/>", px - 3.5, cy - 3.5)
            };
            svg.push_str(&shape);
        }
    }
    let axis = rows.len() as f64 * ROW + 20.0;
    let _ = write!(
        svg,
        "<text x=\"{LEFT}\" y=\"{axis:.1}\" fill=\"currentColor\">{}</text><text x=\"{RIGHT}\" y=\"{axis:.1}\" text-anchor=\"end\" fill=\"currentColor\">{}</text></svg></figure>",
        esc(&fmt.apply(lo)),
        esc(&fmt.apply(hi))
    );
    svg
}

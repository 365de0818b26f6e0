//! The HTML of each shortcode, from data already resolved by the evaluator. Every function
//! returns one line of HTML; every result-derived string goes through [`esc`].

pub(crate) use crate::merge::charts::line::{Line, Point as LinePoint};

use crate::merge::charts::bar::{Bar, BarChart};
use crate::merge::charts::heatmap::Heatmap;
use crate::merge::charts::line::LineChart;
use crate::merge::charts::{figure, interval, Axis};
use crate::merge::eval::{json_text, Bench, MetricData};
use crate::merge::filters::{self, Filter};
use crate::merge::html::{esc, esc_line};
use crate::stats::classification::{ConfusionMatrix, PrCurve};
use crate::stats::{Comparison, Outcome, Side, Summary};
use benchbook_protocol::{Better, Probe, Stage, Unit};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fmt::Write;

/// `<div class="bb-failed" role="alert">measurement failed: …</div>`.
pub(crate) fn failed_block(text: &str) -> String {
    format!(
        "<div class=\"bb-failed\" role=\"alert\">{}</div>",
        esc(text)
    )
}

/// The badge after a stale value.
pub(crate) const STALE_BADGE: &str = " <span class=\"bb-stale\" title=\"measured before this benchmark's declaration, its runner or the framework versions last changed\">stale</span>";

/// The badge after a noisy value, with its typical deviation ([`crate::stats::Summary::spread`]).
pub(crate) fn noisy_badge(spread: f64) -> String {
    format!(
        " <span class=\"bb-noisy\" title=\"processes typically {} from their median (scaled MAD; above {})\">noisy</span>",
        filters::percent(spread),
        filters::percent(crate::stats::NOISY_SPREAD)
    )
}

fn stale_note(b: &Bench) -> &'static str {
    if b.stale {
        "<p class=\"bb-stale-note\" role=\"note\"><span class=\"bb-stale\">stale</span> This result was measured before this benchmark's declaration, its runner or the framework versions last changed.</p>"
    } else {
        ""
    }
}

fn measured_link(link: Option<&str>) -> String {
    link.map_or_else(String::new, |href| {
        format!(
            " <a class=\"bb-measured-link\" href=\"{}\">how this was measured</a>",
            esc(href)
        )
    })
}

/// The box around a measured table: `div.bb-table-wrap` with `data-bb-label`, the name the
/// default theme's script gives the box (as a region) when its table is wider than the screen
/// and the box scrolls and takes the keyboard focus. Not a region in the markup: a page of
/// tables that fit would be full of landmarks, and the print edition of duplicate ones.
pub(crate) fn table_wrap(label: &str) -> String {
    format!(
        "<div class=\"bb-table-wrap\" data-bb-label=\"{}\">",
        esc_line(label)
    )
}

fn point_text(point: &BTreeMap<String, Json>) -> String {
    point
        .iter()
        .map(|(k, v)| format!("{k}={}", json_text(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The word for "better" in a verdict.
fn better_word(unit: Unit, better: Option<Better>) -> &'static str {
    match (unit, better) {
        (Unit::Seconds, Some(Better::Lower)) => "faster",
        (Unit::Bytes, Some(Better::Lower)) => "smaller",
        (Unit::ItemsPerSecond | Unit::FlopsPerSecond, Some(Better::Higher)) => "faster",
        (_, Some(Better::Lower)) => "lower",
        _ => "higher",
    }
}

/// The margin as readers see it: `±5%`.
pub(crate) fn margin_text(margin: f64) -> String {
    let pct = filters::percent(margin);
    format!("±{}", pct.replace(".0%", "%"))
}

/// "TensorFlow 1.42x faster (1.31x–1.50x)", "no practical difference (0.97x–1.02x, within
/// ±5%)", "inconclusive (...)", or why no verdict can be given (see [`crate::stats`]).
/// `a` and `b` are the display names of the compared runners. The text ends with its
/// details in parentheses (what the verdict box sets apart from the bold claim).
pub(crate) fn verdict_text(
    cmp: &Comparison,
    a: &str,
    b: &str,
    unit: Unit,
    better: Option<Better>,
) -> String {
    let name = |side: Side| if side == Side::A { a } else { b };
    let margin = margin_text(cmp.margin);
    let span = |ci: Option<crate::stats::Interval>| {
        ci.map_or_else(String::new, |ci| {
            format!("{}–{}", filters::ratio(ci.low), filters::ratio(ci.high))
        })
    };
    match cmp.outcome {
        Outcome::TooFew { a: na, b: nb } => format!(
            "too few runs for a verdict ({na} and {nb} processes; {} a side needed)",
            crate::stats::MIN_PROCESSES
        ),
        Outcome::Larger(side) => {
            let (f, fci, larger) = cmp.larger();
            debug_assert_eq!(side, larger);
            let (who, word) = match cmp.winner {
                Some(w) => (name(w), better_word(unit, better)),
                None => (name(larger), "higher"),
            };
            if cmp.exact {
                format!(
                    "{who} {} {word} (exact: every process measured the same value)",
                    filters::ratio(f)
                )
            } else {
                format!("{who} {} {word} ({})", filters::ratio(f), span(fci))
            }
        }
        Outcome::Equivalent if cmp.exact => format!(
            "no practical difference ({a} / {b} = {} exactly, within {margin})",
            filters::ratio(cmp.ratio)
        ),
        Outcome::Equivalent => format!(
            "no practical difference ({a} / {b} {}, within {margin})",
            span(cmp.ci)
        ),
        Outcome::Inconclusive if cmp.demoted => format!(
            "inconclusive ({a} / {b} {}; not clear once the {} verdicts of this page are corrected for together)",
            span(cmp.ci),
            cmp.family.unwrap_or(1)
        ),
        Outcome::Inconclusive => format!(
            "inconclusive ({a} / {b} {}, across the {margin} margin)",
            span(cmp.ci)
        ),
    }
}

// -------------------------------------------------------------------------------------
// Results table

pub(crate) struct TableRow {
    pub metric: String,
    pub cells: Vec<Option<MetricData>>,
    /// The clearly better cell, if any.
    pub best: Option<usize>,
    /// The verdict of the first runner against the second (tables of two runners).
    pub verdict: Option<String>,
}

fn direction(better: Option<Better>) -> &'static str {
    match better {
        Some(Better::Lower) => "lower is better",
        Some(Better::Higher) => "higher is better",
        None => "no better direction",
    }
}

pub(crate) fn results_table(
    b: &Bench,
    point: &BTreeMap<String, Json>,
    labels: &[String],
    rows: Vec<TableRow>,
    link: Option<&str>,
) -> String {
    let two = labels.len() == 2;
    let at = if point.is_empty() {
        String::new()
    } else {
        format!(" at {}", point_text(point))
    };
    let mut s = format!(
        "{}{}",
        table_wrap(&format!("{}{at}", b.decl.title)),
        stale_note(b)
    );
    let _ = write!(
        s,
        "<table class=\"bb-table bb-results\"><caption>{}{}: median over processes and 95% interval{}</caption><thead><tr><th scope=\"col\">metric</th>",
        esc_line(&b.decl.title),
        esc_line(&at),
        measured_link(link)
    );
    for l in labels {
        let _ = write!(s, "<th scope=\"col\">{}</th>", esc_line(l));
    }
    if two {
        s.push_str("<th scope=\"col\">comparison</th>");
    }
    s.push_str("</tr></thead><tbody>");
    for row in rows {
        let first = row.cells.iter().flatten().next();
        let (unit, better) = first.map_or((Unit::Plain, None), |m| (m.unit, m.better));
        let fmt = Filter::default_for(unit);
        let best = row.best;
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{} <span class=\"bb-direction\">({})</span></th>",
            esc_line(&row.metric.replace('_', " ")),
            direction(better)
        );
        for (i, cell) in row.cells.iter().enumerate() {
            // The column's name, shown next to the value where the theme lays each row
            // out as a card (phones).
            let label = format!(" data-label=\"{}\"", esc_line(&labels[i]));
            let Some(m) = cell else {
                let _ = write!(s, "<td class=\"bb-missing\"{label}>not reported</td>");
                continue;
            };
            let sm = &m.summary;
            let mut classes = Vec::new();
            if best == Some(i) {
                classes.push("bb-better");
            }
            if sm.noisy() {
                classes.push("bb-noisy-value");
            }
            let class = if classes.is_empty() {
                String::new()
            } else {
                format!(" class=\"{}\"", classes.join(" "))
            };
            let _ = write!(
                s,
                "<td{class}{label} title=\"{} process{}, {} samples\"><span class=\"bb-value\">{}</span>",
                sm.n,
                if sm.n == 1 { "" } else { "es" },
                sm.samples,
                esc(&fmt.apply(sm.median))
            );
            match sm.ci {
                Some(ci) => {
                    let _ = write!(
                        s,
                        " <span class=\"bb-ci\" title=\"95% interval over {} processes\">({})</span>",
                        sm.n,
                        esc(&interval(fmt, ci.low, ci.high))
                    );
                }
                None if sm.deterministic => {
                    s.push_str(" <span class=\"bb-ci\">(exact: same in every process)</span>")
                }
                None if sm.n > 1 => s.push_str(
                    " <span class=\"bb-ci\">(no interval: every process has the same median)</span>",
                ),
                None => s.push_str(" <span class=\"bb-ci\">(one process: no interval)</span>"),
            }
            if best == Some(i) {
                s.push_str(" <span class=\"bb-better-mark\">better</span>");
            }
            if let (true, Some(spread)) = (sm.noisy(), sm.spread) {
                s.push_str(&noisy_badge(spread));
            }
            if !sm.outliers.is_empty() {
                let listed: Vec<String> = sm
                    .outliers
                    .iter()
                    .take(5)
                    .map(|o| format!("process {}: {}", o.index + 1, fmt.apply(o.value)))
                    .collect();
                let more = if sm.outliers.len() > 5 { ", …" } else { "" };
                let _ = write!(
                    s,
                    " <span class=\"bb-outliers\" title=\"by the median absolute deviation; kept in every statistic: {}{more}\">{} outlier{}</span>",
                    esc(&listed.join(", ")),
                    sm.outliers.len(),
                    if sm.outliers.len() == 1 { "" } else { "s" }
                );
            }
            s.push_str("</td>");
        }
        if let Some(v) = &row.verdict {
            let _ = write!(
                s,
                "<td class=\"bb-comparison\" data-label=\"comparison\">{}</td>",
                esc(v)
            );
        } else if two {
            s.push_str("<td class=\"bb-comparison\" data-label=\"comparison\">no comparison</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

// -------------------------------------------------------------------------------------
// Charts

#[allow(clippy::too_many_arguments)]
pub(crate) fn bar_chart(
    b: &Bench,
    id: &str,
    title: &str,
    metric: &str,
    unit: Unit,
    by: Option<&str>,
    groups: Vec<String>,
    labels: &[String],
    values: Vec<Vec<Option<Summary>>>,
    link: Option<&str>,
) -> String {
    let chart = BarChart {
        title: title.to_string(),
        unit,
        y_label: metric.replace('_', " "),
        groups,
        series: labels.to_vec(),
        values: values
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|s| {
                        s.map(|s| Bar {
                            median: s.median,
                            ci: s.ci.map(|c| (c.low, c.high)),
                            n: s.n,
                        })
                    })
                    .collect()
            })
            .collect(),
    };
    let grouped = by.map_or(String::new(), |p| format!(", grouped by {p}"));
    let caption = format!(
        "{}: median {} per runner{}, with 95% intervals.{}",
        esc_line(&b.decl.title),
        esc_line(&metric.replace('_', " ")),
        esc_line(&grouped),
        measured_link(link)
    );
    format!("{}{}", stale_note(b), figure(&chart, id, &caption, ""))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn line_chart(
    b: &Bench,
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    unit: Unit,
    lines: Vec<Line>,
    log_x: bool,
    log_y: bool,
    link: Option<&str>,
) -> String {
    let xs: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.x))
        .collect();
    let ys: Vec<f64> = lines
        .iter()
        .flat_map(|l| {
            l.points
                .iter()
                .flat_map(|p| [Some(p.y), p.low, p.high].into_iter().flatten())
        })
        .collect();
    let (xmin, xmax) = min_max(&xs);
    let (ymin, ymax) = min_max(&ys);
    let x_axis = if log_x {
        Axis::log(xmin, xmax, Unit::Plain, x_label)
    } else {
        Axis::linear(xmin, xmax, false, Unit::Plain, x_label)
    }
    .with_ticks_at(&xs);
    let y_axis = if log_y {
        Axis::log(ymin, ymax, unit, y_label)
    } else {
        Axis::linear(ymin, ymax, false, unit, y_label)
    };
    let chart = LineChart {
        title: title.to_string(),
        x_axis,
        y_axis,
        lines,
        x_fmt: Filter::Number,
        y_fmt: Filter::default_for(unit),
        x_name: x_label.to_string(),
        y_name: y_label.to_string(),
    };
    let mut scales = Vec::new();
    if log_x {
        scales.push("x");
    }
    if log_y {
        scales.push("y");
    }
    let scale = if scales.is_empty() {
        String::new()
    } else {
        format!(" Log scale on {}.", scales.join(" and "))
    };
    let caption = format!(
        "{}.{}{}",
        esc_line(title),
        esc_line(&scale),
        measured_link(link)
    );
    format!("{}{}", stale_note(b), figure(&chart, id, &caption, ""))
}

fn min_max(v: &[f64]) -> (f64, f64) {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if min.is_finite() && max.is_finite() {
        (min, max)
    } else {
        (0.0, 1.0)
    }
}

// -------------------------------------------------------------------------------------
// Confusion matrix

fn opt_percent(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), filters::percent)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn confusion(
    b: &Bench,
    id: &str,
    runner: &str,
    name: &str,
    rep: usize,
    reps: usize,
    m: &ConfusionMatrix,
    link: Option<&str>,
) -> String {
    let title = format!("{}: confusion matrix ({runner}, {name} set)", b.decl.title);
    let chart = Heatmap {
        title: title.clone(),
        classes: m.classes.clone(),
        counts: m.counts.clone(),
    };
    let total: u64 = m.counts.iter().flatten().sum();
    let caption = format!(
        "{}. {} examples, accuracy {}; shade = share of the true class. Repetition {} of {}.{}",
        esc_line(&title),
        total,
        filters::percent(m.accuracy()),
        rep + 1,
        reps,
        measured_link(link)
    );
    let mut s = format!(
        "{}<div class=\"bb-confusion\">{}",
        stale_note(b),
        figure(&chart, id, &caption, "bb-confusion-chart")
    );
    let _ = write!(
        s,
        "{}<table class=\"bb-table bb-class-metrics\"><caption>Per-class precision, recall and F1 ({})</caption><thead><tr><th scope=\"col\">class</th><th scope=\"col\">precision</th><th scope=\"col\">recall</th><th scope=\"col\">F1</th><th scope=\"col\">support</th></tr></thead><tbody>",
        table_wrap(&format!("Per-class precision, recall and F1 ({runner})")),
        esc_line(runner)
    );
    for (k, c) in m.classes.iter().enumerate() {
        let support: u64 = m.counts[k].iter().sum();
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{support}</td></tr>",
            esc_line(c),
            opt_percent(m.precision(k)),
            opt_percent(m.recall(k)),
            opt_percent(m.f1(k))
        );
    }
    s.push_str("</tbody></table></div></div>");
    s
}

// -------------------------------------------------------------------------------------
// Precision–recall

pub(crate) fn pr_curve(
    b: &Bench,
    id: &str,
    name: &str,
    curves: &[(String, PrCurve)],
    thresholds: &[f64],
    link: Option<&str>,
) -> String {
    let positive = curves.first().map_or("", |(_, c)| c.positive.as_str());
    let title = format!(
        "{}: precision–recall ({name} set, positive = {positive})",
        b.decl.title
    );
    let lines = curves
        .iter()
        .enumerate()
        .map(|(i, (label, c))| Line {
            label: format!("{label} (AP {})", filters::percent(c.average_precision)),
            color: i,
            dash: i,
            points: c
                .points
                .iter()
                .map(|&(_, p, r)| LinePoint {
                    x: r,
                    y: p,
                    low: None,
                    high: None,
                })
                .collect(),
        })
        .collect();
    let ticks: Vec<f64> = (0..=5).map(|i| i as f64 * 0.2).collect();
    let chart = LineChart {
        title: title.clone(),
        x_axis: Axis::fixed(0.0, 1.0, ticks.clone(), Unit::Fraction, "recall"),
        y_axis: Axis::fixed(0.0, 1.0, ticks, Unit::Fraction, "precision"),
        lines,
        x_fmt: Filter::Percent,
        y_fmt: Filter::Percent,
        x_name: "recall".into(),
        y_name: "precision".into(),
    };
    let caption = format!(
        "{}. AP = average precision.{}",
        esc_line(&title),
        measured_link(link)
    );
    let mut s = format!("{}{}", stale_note(b), figure(&chart, id, &caption, ""));
    s.push_str(&table_wrap(&format!("{title}: at a few thresholds")));
    s.push_str("<table class=\"bb-table bb-thresholds\"><caption>At a few thresholds (positive when score ≥ threshold)</caption><thead><tr><th scope=\"col\">threshold</th><th scope=\"col\">runner</th><th scope=\"col\">precision</th><th scope=\"col\">recall</th><th scope=\"col\">false alarms</th><th scope=\"col\">misses</th></tr></thead><tbody>");
    for &t in thresholds {
        for (i, (label, c)) in curves.iter().enumerate() {
            let a = c.at(t);
            let head = if i == 0 {
                format!(
                    "<th scope=\"rowgroup\" rowspan=\"{}\">{}</th>",
                    curves.len(),
                    filters::significant(t, 3)
                )
            } else {
                String::new()
            };
            let _ = write!(
                s,
                "<tr>{head}<th scope=\"row\">{}</th><td data-label=\"precision\">{}</td><td data-label=\"recall\">{}</td><td data-label=\"false alarms\">{}</td><td data-label=\"misses\">{}</td></tr>",
                esc_line(label),
                opt_percent(a.precision),
                filters::percent(a.recall),
                a.false_alarms,
                a.misses
            );
        }
    }
    s.push_str("</tbody></table></div>");
    s
}

// -------------------------------------------------------------------------------------
// Environment

/// A JSON value in a short readable form: `adam (lr 0.001, beta1 0.9)`.
fn brief(v: &Json) -> String {
    match v {
        Json::Object(map) => {
            let tag = ["name", "kind", "task"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Json::as_str));
            let rest: Vec<String> = map
                .iter()
                .filter(|(k, v)| {
                    !(["name", "kind", "task"].contains(&k.as_str())
                        && Some(v.as_str()) == Some(tag))
                })
                .map(|(k, v)| format!("{k} {}", brief(v)))
                .collect();
            match (tag, rest.is_empty()) {
                (Some(t), true) => t.to_string(),
                (Some(t), false) => format!("{t} ({})", rest.join(", ")),
                (None, _) => rest.join(", "),
            }
        }
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(brief).collect::<Vec<_>>().join(", ")
        ),
        other => json_text(other),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

pub(crate) fn environment(
    b: &Bench,
    labels: &BTreeMap<String, String>,
    link: Option<&str>,
) -> String {
    let runs = &b.stored.runs;
    // Workload keys: equal in every run's spec → held equal; otherwise varied.
    let mut keys: Vec<String> = Vec::new();
    for r in runs {
        if let Json::Object(m) = &r.spec.workload {
            for k in m.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    let mut equal = Vec::new();
    let mut varied = Vec::new();
    for k in &keys {
        let values: Vec<Option<&Json>> = runs.iter().map(|r| r.spec.workload.get(k)).collect();
        if values.windows(2).all(|w| w[0] == w[1]) {
            if let Some(Some(v)) = values.first() {
                equal.push(format!(
                    "<li><code>{}</code>: {}</li>",
                    esc(k),
                    esc(&b.paths.show(&brief(v)))
                ));
            }
        } else {
            let mut distinct: Vec<String> = values
                .iter()
                .map(|v| v.map_or_else(|| "absent".to_string(), brief))
                .collect();
            distinct.sort();
            distinct.dedup();
            varied.push(format!(
                "<li><code>{}</code>: {}</li>",
                esc(k),
                esc(&b.paths.show(&distinct.join("; ")))
            ));
        }
    }
    let mut s = format!(
        "{}<aside class=\"bb-env\" role=\"note\" aria-label=\"How {} was measured\"><p class=\"bb-env-title\"><strong>How this was measured: {}</strong></p><dl>",
        stale_note(b),
        esc_line(&b.decl.title),
        esc_line(&b.decl.title)
    );
    if !equal.is_empty() {
        let _ = write!(
            s,
            "<dt>Held equal (the same workload was given to every runner)</dt><dd><ul>{}</ul></dd>",
            equal.join("")
        );
    }
    if !varied.is_empty() {
        let _ = write!(s, "<dt>Varied</dt><dd><ul>{}</ul></dd>", varied.join(""));
    }
    // Runners: framework, version, threads, facts.
    let mut runner_items = Vec::new();
    for name in &b.decl.runners {
        let Some(rep) = runs
            .iter()
            .filter(|r| &r.runner == name)
            .find_map(|r| r.repetitions.first())
        else {
            continue;
        };
        let info = &rep.result.runner;
        let threads = info.threads.map_or(String::new(), |t| {
            format!(
                ", threads: {} intra-op, {} inter-op",
                t.intra_op, t.inter_op
            )
        });
        // The runner's own facts can be long (build configurations): folded, one per line.
        let facts: Vec<String> = rep
            .result
            .info
            .iter()
            .map(|(k, v)| {
                format!(
                    "<li>{}: {}</li>",
                    esc_line(k),
                    esc_line(&truncate(&b.paths.show(&brief(v)), 160))
                )
            })
            .collect();
        let facts = if facts.is_empty() {
            String::new()
        } else {
            format!(
                " <details class=\"bb-env-facts\"><summary>what the runner reported</summary><ul>{}</ul></details>",
                facts.join("")
            )
        };
        runner_items.push(format!(
            "<li><strong>{}</strong>: {} {}{}{}</li>",
            esc_line(labels.get(name).map_or(name.as_str(), String::as_str)),
            esc_line(&b.paths.show(&info.framework)),
            esc_line(&b.paths.show(&info.version)),
            esc_line(&threads),
            facts
        ));
    }
    if !runner_items.is_empty() {
        let _ = write!(
            s,
            "<dt>Runners</dt><dd><ul>{}</ul></dd>",
            runner_items.join("")
        );
    }
    let mut machines: Vec<String> = runs
        .iter()
        .map(|r| {
            let m = &r.machine;
            format!(
                "{}, {} cores, {} memory, {}, kernel {}",
                m.cpu_model,
                m.cores,
                filters::bytes(m.memory_bytes as f64),
                m.os,
                m.kernel
            )
        })
        .collect();
    machines.sort();
    machines.dedup();
    let _ = write!(
        s,
        "<dt>Machine</dt><dd>{}</dd>",
        machines
            .iter()
            .map(|m| esc_line(m))
            .collect::<Vec<_>>()
            .join("<br>")
    );
    let mut dates: Vec<&str> = runs.iter().map(|r| r.date.as_str()).collect();
    dates.sort();
    let date = match (dates.first(), dates.last()) {
        (Some(a), Some(z)) if a == z => a.to_string(),
        (Some(a), Some(z)) => format!("{a} to {z}"),
        _ => String::new(),
    };
    let mut reps: Vec<usize> = runs.iter().map(|r| r.repetitions.len()).collect();
    reps.sort();
    reps.dedup();
    let mut warm: Vec<u32> = runs.iter().map(|r| r.warmup).collect();
    warm.sort();
    warm.dedup();
    let list = |v: Vec<String>| v.join(" or ");
    let _ = write!(
        s,
        "<dt>Measured</dt><dd>{}; {} separate process{} per runner and point, after {} discarded warmup run{}</dd>",
        esc_line(&date),
        list(reps.iter().map(|r| r.to_string()).collect()),
        if reps == [1] { "" } else { "es" },
        list(warm.iter().map(|w| w.to_string()).collect()),
        if warm == [1] { "" } else { "s" }
    );
    // The order processes ran in: interleaved runners, or (older results) one after another.
    let interleaved = runs.iter().any(|r| {
        r.schedule
            .iter()
            .filter(|e| !e.starts_with("warmup "))
            .any(|e| *e != r.runner)
    });
    let order = if interleaved {
        "the runners' processes interleaved at each point (one of each in turn), after the warm-up processes of each; the order is stored with the result"
    } else if runs.iter().all(|r| r.schedule.is_empty()) && b.decl.runners.len() > 1 {
        "each runner's processes one after another (measured before benchbook interleaved runners)"
    } else {
        "one process after another"
    };
    let _ = write!(s, "<dt>Order</dt><dd>{}</dd>", esc_line(order));
    // What each timer covered, as the runners reported it (one line per metric and region).
    let mut regions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in runs {
        for rep in r.repetitions.iter().take(1) {
            for (metric, m) in &rep.result.metrics {
                let line = match m.warmup {
                    0 => m.region.clone(),
                    k => Some(format!(
                        "{}{k} leading sample{} of each process kept apart as one-off costs",
                        m.region
                            .as_ref()
                            .map_or(String::new(), |r| format!("{r}; ")),
                        if k == 1 { "" } else { "s" }
                    )),
                };
                if let Some(line) = line {
                    let list = regions.entry(metric.clone()).or_default();
                    if !list.contains(&line) {
                        list.push(line);
                    }
                }
            }
        }
    }
    if !regions.is_empty() {
        let items: Vec<String> = regions
            .iter()
            .map(|(metric, lines)| {
                format!(
                    "<li><code>{}</code>: {}</li>",
                    esc(metric),
                    esc_line(&b.paths.show(&lines.join(" | ")))
                )
            })
            .collect();
        let _ = write!(
            s,
            "<dt>What each timer covers, as the runners report it</dt><dd><ul>{}</ul></dd>",
            items.join("")
        );
    }
    // On a lesson the link leads to the provenance page; on that page, to the raw JSON.
    match link {
        Some(href) if href.ends_with(".json") => {
            let _ = write!(
                s,
                "<dt>Raw samples</dt><dd><a class=\"bb-measured-link\" href=\"{}\" download>stored result ({}.json)</a></dd>",
                esc(href),
                esc(&b.id)
            );
        }
        Some(href) => {
            let _ = write!(
                s,
                "<dt>Every process</dt><dd><a class=\"bb-measured-link\" href=\"{}\">per-process values, run order and the raw stored result</a></dd>",
                esc(href)
            );
        }
        None => {}
    }
    s.push_str("</dl></aside>");
    s
}

// -------------------------------------------------------------------------------------
// Probes

/// The stage as one word: `build`, `run` or `none`.
pub(crate) fn stage_word(stage: Stage) -> &'static str {
    match stage {
        Stage::Build => "build",
        Stage::Run => "run",
        Stage::None => "none",
    }
}

fn stage_text(stage: Stage) -> &'static str {
    match stage {
        Stage::Build => "error while building",
        Stage::Run => "error while running",
        Stage::None => "no error",
    }
}

pub(crate) fn probes(b: &Bench, columns: &[(String, Vec<Probe>)], link: Option<&str>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for (_, probes) in columns {
        for p in probes {
            if !names.contains(&p.name.as_str()) {
                names.push(&p.name);
            }
        }
    }
    let mut s = format!(
        "{}<div class=\"bb-probes\" data-bb-label=\"{}: what each framework said\"><table class=\"bb-table\"><caption>{}: what each framework said{}</caption><thead><tr><th scope=\"col\">probe</th>",
        stale_note(b),
        esc_line(&b.decl.title),
        esc_line(&b.decl.title),
        measured_link(link)
    );
    for (label, _) in columns {
        let _ = write!(s, "<th scope=\"col\">{}</th>", esc_line(label));
    }
    s.push_str("</tr></thead><tbody>");
    for name in names {
        let _ = write!(s, "<tr><th scope=\"row\"><code>{}</code></th>", esc(name));
        for (label, probes) in columns {
            let label = esc_line(label);
            match probes.iter().find(|p| p.name == name) {
                None => {
                    let _ = write!(s, "<td data-label=\"{label}\">not run</td>");
                }
                Some(p) => {
                    let _ = write!(
                        s,
                        "<td data-label=\"{label}\"><p><span class=\"bb-stage bb-stage-{}\">{}</span> after {}</p>",
                        stage_word(p.stage),
                        stage_text(p.stage),
                        esc(&filters::duration(p.seconds))
                    );
                    if let Some(m) = &p.message {
                        let _ = write!(s, "<pre>{}</pre>", esc(&b.paths.show(m)));
                    }
                    if let Some(o) = &p.observed {
                        let _ = write!(s, "<p class=\"bb-observed\">{}</p>", esc(&b.paths.show(o)));
                    }
                    s.push_str("</td>");
                }
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

//! `table(...)`, a block shortcode: its evaluation (arguments, checks, every error message),
//! then its markup: the results table of one benchmark.

use super::markup::*;
use super::{Kind, Shortcode};
use crate::merge::charts::interval;
use crate::merge::evaluator::{err, Args, Evaluator, Stop, Value};
use crate::merge::evaluator::{Bench, MetricData};
use crate::merge::expr::Call;
use crate::merge::filters::Filter;
use crate::merge::html::{esc, esc_line};
use crate::merge::shortcodes as sc;
use crate::stats::Side;
use benchbook_protocol::{Better, Unit};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fmt::Write;

/// `table(...)`, a block shortcode.
pub(crate) struct Table;

impl Shortcode for Table {
    fn name(&self) -> &'static str {
        "table"
    }

    fn kind(&self) -> Kind {
        Kind::Block
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.table(c)
    }
}

impl<'a> Evaluator<'a> {
    fn table(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "metrics", "runners"], &["bench"])?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let runners = self.runners_arg(&args, &b)?;
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id.clone())?;
        let metrics: Vec<(String, usize)> = match args.strings("metrics")? {
            Some(list) => list.into_iter().map(|(m, s)| (m, s.start + 1)).collect(),
            None if !b.decl.metrics.is_empty() => b
                .decl
                .metrics
                .iter()
                .map(|m| (m.clone(), c.span.start))
                .collect(),
            None => {
                let mut all: Vec<String> = b
                    .stored
                    .runs
                    .iter()
                    .flat_map(|r| r.repetitions.iter())
                    .flat_map(|rep| rep.result.metrics.keys().cloned())
                    .collect();
                all.sort();
                all.dedup();
                all.into_iter().map(|m| (m, c.span.start)).collect()
            }
        };
        let mut runs = Vec::new();
        for r in &runners {
            runs.push(self.run(&b, r, &point, span.start + 1)?);
        }
        let labels: Vec<String> = runners.iter().map(|r| self.label(b.stored, r)).collect();
        let mut rows = Vec::new();
        for (metric, at) in &metrics {
            self.check_metric(&b, metric, *at)?;
            let mut cells = Vec::new();
            for (idx, run) in &runs {
                cells.push(self.metric(&b, *idx, run, metric, *at)?);
            }
            if cells.iter().all(Option::is_none) {
                return err(
                    *at,
                    format!(
                        "missing result: no runner reported metric `{metric}` for benchmark `{}`",
                        b.id
                    ),
                );
            }
            let (best, verdict) = self.row_verdicts(&cells, &labels, metric, *at)?;
            rows.push(sc::TableRow {
                metric: metric.clone(),
                cells,
                best,
                verdict,
            });
        }
        let link = self.result_link(&b.id, span.start).ok();
        Ok(Value::Block(sc::results_table(
            &b,
            &point,
            &labels,
            rows,
            link.as_deref(),
        )))
    }

    /// For one table row: the clearly best cell (best median, and clearly better than every
    /// other cell), and with two runners the verdict text.
    fn row_verdicts(
        &self,
        cells: &[Option<MetricData>],
        labels: &[String],
        metric: &str,
        at: usize,
    ) -> Result<(Option<usize>, Option<String>), Stop> {
        let present: Vec<(usize, &MetricData)> = cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
            .collect();
        let verdict = match cells {
            [Some(a), Some(b)] => Some(match self.verdict_cmp(a, b, metric, at)? {
                Ok(cmp) => sc::verdict_text(&cmp, &labels[0], &labels[1], a.unit, a.better),
                Err(e) => format!("no comparison: {e}"),
            }),
            [_, _] => Some("no comparison".into()),
            _ => None,
        };
        let Some(better) = present.first().and_then(|(_, m)| m.better) else {
            return Ok((None, verdict));
        };
        if present.len() < 2 {
            return Ok((None, verdict));
        }
        let Some((best_i, best)) = present.iter().copied().reduce(|x, y| {
            let pick_y = match better {
                Better::Lower => y.1.summary.median < x.1.summary.median,
                Better::Higher => y.1.summary.median > x.1.summary.median,
            };
            if pick_y {
                y
            } else {
                x
            }
        }) else {
            return Ok((None, verdict));
        };
        let mut clear = true;
        for (i, other) in present.iter().filter(|(i, _)| *i != best_i) {
            // Compare in column order, so that two runners reuse the verdict's comparison.
            clear &= if *i < best_i {
                self.verdict_cmp(other, best, metric, at)?
                    .is_ok_and(|c| c.winner == Some(Side::B))
            } else {
                self.verdict_cmp(best, other, metric, at)?
                    .is_ok_and(|c| c.winner == Some(Side::A))
            };
        }
        Ok((clear.then_some(best_i), verdict))
    }
}

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

//! The markup of `table(...)`: the results table of one benchmark.

use super::markup::*;
use crate::merge::charts::interval;
use crate::merge::eval::{Bench, MetricData};
use crate::merge::filters::Filter;
use crate::merge::html::{esc, esc_line};
use benchbook_protocol::{Better, Unit};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fmt::Write;

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

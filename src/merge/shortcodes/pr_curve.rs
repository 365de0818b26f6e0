//! The markup of `pr_curve(...)`: the curve and its threshold table (maths in `crate::stats::classification`).

use super::markup::*;
use crate::merge::charts::line::{Line, LineChart, Point as LinePoint};
use crate::merge::charts::{figure, Axis};
use crate::merge::eval::Bench;
use crate::merge::filters::{self, Filter};
use crate::merge::html::esc_line;
use crate::stats::classification::PrCurve;
use benchbook_protocol::Unit;
use std::fmt::Write;

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

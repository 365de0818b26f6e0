//! `pr_curve(...)`, a block shortcode: its evaluation (arguments, checks, every error message),
//! then its markup: the curve and its threshold table (maths in
//! `crate::stats::classification`).

use super::markup::*;
use super::{Kind, Shortcode};
use crate::merge::charts::line::{Line, LineChart, Point as LinePoint};
use crate::merge::charts::{figure, Axis};
use crate::merge::evaluator::Bench;
use crate::merge::evaluator::{err, name_arg, Args, Evaluator, Stop, Value};
use crate::merge::expr::Call;
use crate::merge::filters::{self, Filter};
use crate::merge::html::esc_line;
use crate::merge::shortcodes as sc;
use crate::stats::classification::PrCurve;
use benchbook_protocol::Unit;
use std::fmt::Write;

/// `pr_curve(...)`, a block shortcode.
pub(crate) struct PrCurveShortcode;

impl Shortcode for PrCurveShortcode {
    fn name(&self) -> &'static str {
        "pr_curve"
    }

    fn kind(&self) -> Kind {
        Kind::Block
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.pr_curve(c)
    }
}

impl<'a> Evaluator<'a> {
    fn pr_curve(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "name", "thresholds", "runners"], &["bench"])?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let runners = self.runners_arg(&args, &b)?;
        let (name, name_at) = name_arg(&args, c)?;
        let thresholds = args
            .numbers("thresholds")?
            .unwrap_or_else(|| vec![0.1, 0.25, 0.5, 0.75, 0.9]);
        if let Some(t) = thresholds.iter().find(|t| !(0.0..=1.0).contains(*t)) {
            return err(
                args.get("thresholds")
                    .map_or(c.span.start, |a| a.value_span.start),
                format!("threshold {t} is outside 0..1; expected probabilities"),
            );
        }
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let mut curves = Vec::new();
        for r in &runners {
            let (_, run) = self.run(&b, r, &point, span.start + 1)?;
            let curve = self.scores_curve(&b, run, &name, name_at)?;
            curves.push((self.label(b.stored, r), curve));
        }
        let id = self.next_chart_id();
        let link = self.result_link(&b.id, span.start).ok();
        Ok(Value::Block(sc::pr_curve(
            &b,
            &id,
            &name,
            &curves,
            &thresholds,
            link.as_deref(),
        )))
    }
}

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

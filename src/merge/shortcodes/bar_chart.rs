//! `bar_chart(...)`, a block shortcode: its evaluation (arguments, checks, every error
//! message), then its markup (the SVG is drawn by `crate::merge::charts::bar`).

use super::markup::*;
use super::{Kind, Shortcode};
use crate::merge::charts::bar::{Bar, BarChart};
use crate::merge::charts::figure;
use crate::merge::evaluator::Bench;
use crate::merge::evaluator::{err, json_text, list_or_none, Args, Evaluator, Stop, Value};
use crate::merge::expr::Call;
use crate::merge::html::esc_line;
use crate::merge::shortcodes as sc;
use crate::stats::Summary;
use benchbook_protocol::Unit;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// `bar_chart(...)`, a block shortcode.
pub(crate) struct BarChartShortcode;

impl Shortcode for BarChartShortcode {
    fn name(&self) -> &'static str {
        "bar_chart"
    }

    fn kind(&self) -> Kind {
        Kind::Block
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.bar_chart(c)
    }
}

impl<'a> Evaluator<'a> {
    fn bar_chart(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(
            c,
            &["bench", "metric", "by", "runners", "title"],
            &["bench", "metric"],
        )?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let runners = self.runners_arg(&args, &b)?;
        let (metric, mspan) = args.string("metric")?.unwrap_or_default();
        self.check_metric(&b, &metric, mspan.start + 1)?;
        let by = args.string("by")?;
        let mut groups: Vec<(String, BTreeMap<String, Json>)> = Vec::new();
        match &by {
            Some((param, pspan)) => {
                let Some(values) = b.decl.matrix.get(param) else {
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
                for v in values {
                    let mut p = base.clone();
                    p.insert(param.clone(), v.clone());
                    groups.push((format!("{param}={}", json_text(v)), p));
                }
            }
            None => {
                let p = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
                groups.push((String::new(), p));
            }
        }
        let mut unit = None;
        let mut values = Vec::new();
        for (_, point) in &groups {
            let mut row = Vec::new();
            for r in &runners {
                let (idx, run) = self.run(&b, r, point, span.start + 1)?;
                let m = self.require_metric(&b, idx, run, &metric, mspan.start + 1)?;
                unit = Some(m.unit);
                row.push(Some(m.summary));
            }
            values.push(row);
        }
        let labels: Vec<String> = runners.iter().map(|r| self.label(b.stored, r)).collect();
        let title = args.string("title")?.map_or_else(
            || format!("{}: {}", b.decl.title, metric.replace('_', " ")),
            |(t, _)| t,
        );
        let id = self.next_chart_id();
        let link = self.result_link(&b.id, span.start).ok();
        Ok(Value::Block(sc::bar_chart(
            &b,
            &id,
            &title,
            &metric,
            unit.unwrap_or(Unit::Plain),
            by.as_ref().map(|(p, _)| p.as_str()),
            groups.into_iter().map(|(g, _)| g).collect(),
            &labels,
            values,
            link.as_deref(),
        )))
    }
}

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

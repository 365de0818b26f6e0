//! `line_chart(...)`, a block shortcode: its evaluation (arguments, checks, every error
//! message), then its markup (the SVG is drawn by `crate::merge::charts::line`).

use super::markup::*;
use super::{Kind, Shortcode};
use crate::merge::charts::line::{Line, LineChart};
use crate::merge::charts::{figure, Axis};
use crate::merge::evaluator::Bench;
use crate::merge::evaluator::{
    err, json_text, list_or_none, median_series, unit_name, Args, Evaluator, Stop, Value,
};
use crate::merge::expr::Call;
use crate::merge::filters::Filter;
use crate::merge::html::esc_line;
use crate::merge::shortcodes as sc;
use benchbook_protocol::Unit;

/// `line_chart(...)`, a block shortcode.
pub(crate) struct LineChartShortcode;

impl Shortcode for LineChartShortcode {
    fn name(&self) -> &'static str {
        "line_chart"
    }

    fn kind(&self) -> Kind {
        Kind::Block
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.line_chart(c)
    }
}

impl<'a> Evaluator<'a> {
    fn line_chart(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(
            c,
            &[
                "bench", "series", "metric", "x", "runners", "log_x", "log_y", "title",
            ],
            &["bench"],
        )?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let runners = self.runners_arg(&args, &b)?;
        let labels: Vec<String> = runners.iter().map(|r| self.label(b.stored, r)).collect();
        let log_x = args.boolean("log_x")?;
        let log_y = args.boolean("log_y")?;
        let link = self.result_link(&b.id, span.start).ok();
        let series = args.strings("series")?;
        let metric = args.string("metric")?;
        let x = args.string("x")?;
        let mut lines = Vec::new();
        let (title, x_label, unit, y_label);
        match (series, metric, x) {
            (Some(names), None, None) => {
                let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
                let mut found_unit: Option<(Unit, String)> = None;
                let mut xl = String::new();
                for (ri, r) in runners.iter().enumerate() {
                    let (_, run) = self.run(&b, r, &point, span.start + 1)?;
                    for (si, (name, nspan)) in names.iter().enumerate() {
                        let (xs, ys, u, label) = median_series(run, name).ok_or(()).or_else(|()| {
                            let mut reported: Vec<String> = run
                                .repetitions
                                .iter()
                                .flat_map(|rep| rep.result.series.keys().cloned())
                                .collect();
                            reported.sort();
                            reported.dedup();
                            err(
                                nspan.start + 1,
                                format!(
                                    "missing result: runner `{r}` reported no series `{name}` (with the same x values in every repetition) for benchmark `{}`; it reported: {}",
                                    b.id,
                                    list_or_none(reported.iter())
                                ),
                            )
                        })?;
                        match &found_unit {
                            Some((fu, first)) if *fu != u => {
                                return err(
                                    nspan.start + 1,
                                    format!(
                                        "series `{name}` is in {} but `{first}` is in {}; one chart takes series of one unit",
                                        unit_name(u),
                                        unit_name(*fu)
                                    ),
                                )
                            }
                            Some(_) => {}
                            None => found_unit = Some((u, name.clone())),
                        }
                        xl = label;
                        lines.push(sc::Line {
                            label: format!("{} {}", labels[ri], name.replace('_', " ")),
                            color: ri,
                            dash: si,
                            points: xs
                                .into_iter()
                                .zip(ys)
                                .map(|(x, y)| sc::LinePoint { x, y, low: None, high: None })
                                .collect(),
                        });
                    }
                }
                let u = found_unit.map_or(Unit::Plain, |(u, _)| u);
                let names_text: Vec<String> = names.iter().map(|(n, _)| n.replace('_', " ")).collect();
                title = format!("{}: {}", b.decl.title, names_text.join(", "));
                x_label = xl;
                y_label = names_text.join(" / ");
                unit = u;
            }
            (None, Some((metric, mspan)), Some((param, pspan))) => {
                self.check_metric(&b, &metric, mspan.start + 1)?;
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
                let mut u = Unit::Plain;
                for (ri, r) in runners.iter().enumerate() {
                    let mut points = Vec::new();
                    for v in values {
                        let Some(xv) = v.as_f64() else {
                            return err(
                                pspan.start + 1,
                                format!("parameter `{param}` has a value that is not a number ({}); a sweep needs numbers", json_text(v)),
                            );
                        };
                        let mut p = base.clone();
                        p.insert(param.clone(), v.clone());
                        let (idx, run) = self.run(&b, r, &p, span.start + 1)?;
                        let m = self.require_metric(&b, idx, run, &metric, mspan.start + 1)?;
                        u = m.unit;
                        points.push(sc::LinePoint {
                            x: xv,
                            y: m.summary.median,
                            low: m.summary.ci.map(|c| c.low),
                            high: m.summary.ci.map(|c| c.high),
                        });
                    }
                    lines.push(sc::Line {
                        label: labels[ri].clone(),
                        color: ri,
                        dash: 0,
                        points,
                    });
                }
                title = format!("{}: {} by {}", b.decl.title, metric.replace('_', " "), param.replace('_', " "));
                x_label = param.replace('_', " ");
                y_label = format!("median {}", metric.replace('_', " "));
                unit = u;
            }
            _ => {
                return err(
                    c.span.start,
                    "`line_chart` draws either `series=[...]` (curves per epoch) or `metric=\"...\"` with `x=\"<matrix parameter>\"` (a sweep); expected one of the two",
                )
            }
        }
        if log_x || log_y {
            for l in &lines {
                for p in &l.points {
                    if (log_x && p.x <= 0.0) || (log_y && p.y <= 0.0) {
                        return err(
                            args.get(if log_x && p.x <= 0.0 {
                                "log_x"
                            } else {
                                "log_y"
                            })
                            .map_or(c.span.start, |a| a.name_span.start),
                            "a log scale needs positive values; this chart has a value ≤ 0",
                        );
                    }
                }
            }
        }
        let title = args.string("title")?.map_or(title, |(t, _)| t);
        let id = self.next_chart_id();
        Ok(Value::Block(sc::line_chart(
            &b,
            &id,
            &title,
            &x_label,
            &y_label,
            unit,
            lines,
            log_x,
            log_y,
            link.as_deref(),
        )))
    }
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

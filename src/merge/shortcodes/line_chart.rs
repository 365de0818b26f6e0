//! The markup of `line_chart(...)` (the SVG is drawn by `crate::merge::charts::line`).

use super::markup::*;
use crate::merge::charts::line::{Line, LineChart};
use crate::merge::charts::{figure, Axis};
use crate::merge::eval::Bench;
use crate::merge::filters::Filter;
use crate::merge::html::esc_line;
use benchbook_protocol::Unit;

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

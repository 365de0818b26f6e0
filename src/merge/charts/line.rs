//! Line chart: curves (loss or accuracy per epoch, precision against recall) and sweeps of
//! a metric over a matrix parameter, on linear or log axes.

use super::{
    color, dash, draw_x_axis, draw_y_axis, interval, marker, plot_left, Axis, Canvas, Chart, Plot,
};
use crate::merge::filters::Filter;
use crate::merge::html::esc;
use std::fmt::Write;

#[derive(Debug, Clone)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    /// 95% interval of `y`, drawn as a whisker.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub label: String,
    /// Colour index (one per runner).
    pub color: usize,
    /// Dash index (one per series of a runner).
    pub dash: usize,
    pub points: Vec<Point>,
}

pub struct LineChart {
    pub title: String,
    pub x_axis: Axis,
    pub y_axis: Axis,
    pub lines: Vec<Line>,
    /// Formats x and y in the data table.
    pub x_fmt: Filter,
    pub y_fmt: Filter,
    pub x_name: String,
    pub y_name: String,
}

/// Markers are drawn when a line has at most this many points.
const MAX_MARKERS: usize = 60;

impl Chart for LineChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn description(&self) -> String {
        let lines: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                let (first, last) = (l.points.first(), l.points.last());
                match (first, last) {
                    (Some(f), Some(e)) => format!(
                        "{} goes from {} at {} {} to {} at {} {}",
                        l.label,
                        self.y_fmt.apply(f.y),
                        self.x_name,
                        self.x_fmt.apply(f.x),
                        self.y_fmt.apply(e.y),
                        self.x_name,
                        self.x_fmt.apply(e.x)
                    ),
                    _ => format!("{} has no points", l.label),
                }
            })
            .collect();
        format!(
            "Line chart of {} against {}. {}.",
            self.y_name,
            self.x_name,
            lines.join("; ")
        )
    }

    fn draw(&self, svg: &mut String, c: &Canvas) -> f64 {
        // Desktop: a two-column legend and a plot 380 units tall with a one-line title.
        // Phone: a one-column legend, then a plot of fixed height.
        let columns = if c.narrow { 1 } else { 2 };
        let legend_rows = self.lines.len().div_ceil(columns) as f64;
        let legend_top = c.top + 12.0;
        let top = legend_top + 18.0 * legend_rows;
        let (bottom, h) = if c.narrow {
            (top + 210.0, top + 210.0 + 46.0)
        } else {
            (c.top + 300.0, c.top + 352.0)
        };
        let plot = Plot {
            left: plot_left(&self.y_axis, c),
            right: c.width - if c.narrow { 14.0 } else { 16.0 },
            top,
            bottom,
        };
        draw_y_axis(svg, &plot, &self.y_axis, c);
        draw_x_axis(svg, &plot, &self.x_axis, h - 8.0, c);
        for l in &self.lines {
            let pts: Vec<String> = l
                .points
                .iter()
                .map(|p| {
                    format!(
                        "{:.1},{:.1}",
                        plot.x(&self.x_axis, p.x),
                        plot.y(&self.y_axis, p.y)
                    )
                })
                .collect();
            let d = dash(l.dash);
            let dash_attr = if d.is_empty() {
                String::new()
            } else {
                format!(" stroke-dasharray=\"{d}\"")
            };
            let _ = write!(
                svg,
                "<g class=\"bb-line\"><title>{}</title><polyline points=\"{}\" fill=\"none\" stroke-width=\"2\"{dash_attr} style=\"stroke:{}\"/>",
                esc(&l.label),
                pts.join(" "),
                color(l.color)
            );
            for p in &l.points {
                let x = plot.x(&self.x_axis, p.x);
                if let (Some(lo), Some(hi)) = (p.low, p.high) {
                    let _ = write!(
                        svg,
                        "<line class=\"bb-whisker\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" style=\"stroke:{}\"/>",
                        plot.y(&self.y_axis, lo),
                        plot.y(&self.y_axis, hi),
                        color(l.color)
                    );
                }
                if l.points.len() <= MAX_MARKERS {
                    marker(svg, l.color, x, plot.y(&self.y_axis, p.y));
                }
            }
            svg.push_str("</g>");
        }
        // Legend: two columns under the title, each entry showing dash and marker.
        svg.push_str("<g class=\"bb-chart-legend\">");
        for (i, l) in self.lines.iter().enumerate() {
            let x = if c.narrow {
                8.0
            } else {
                plot.left + (i % 2) as f64 * 280.0
            };
            let y = legend_top + 18.0 * (i / columns) as f64;
            let d = dash(l.dash);
            let dash_attr = if d.is_empty() {
                String::new()
            } else {
                format!(" stroke-dasharray=\"{d}\"")
            };
            let _ = write!(
                svg,
                "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke-width=\"2\"{dash_attr} style=\"stroke:{}\"/>",
                x + 28.0,
                color(l.color)
            );
            marker(svg, l.color, x + 14.0, y);
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x + 34.0,
                y + 4.0,
                esc(&l.label)
            );
        }
        svg.push_str("</g>");
        h
    }

    fn data_table(&self) -> String {
        let with_ci = self
            .lines
            .iter()
            .any(|l| l.points.iter().any(|p| p.low.is_some()));
        let mut s = format!(
            "<table class=\"bb-table\"><thead><tr><th scope=\"col\">series</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>",
            esc(&self.x_name),
            esc(&self.y_name)
        );
        if with_ci {
            s.push_str("<th scope=\"col\">95% interval</th>");
        }
        s.push_str("</tr></thead><tbody>");
        for l in &self.lines {
            for p in &l.points {
                let _ = write!(
                    s,
                    "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td>",
                    esc(&l.label),
                    esc(&self.x_fmt.apply(p.x)),
                    esc(&self.y_fmt.apply(p.y))
                );
                if with_ci {
                    let ci = match (p.low, p.high) {
                        (Some(lo), Some(hi)) => interval(self.y_fmt, lo, hi),
                        _ => "n/a".into(),
                    };
                    let _ = write!(s, "<td>{}</td>", esc(&ci));
                }
                s.push_str("</tr>");
            }
        }
        s.push_str("</tbody></table>");
        s
    }
}

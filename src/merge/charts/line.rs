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

/// A line with at most this many points has a marker on every point (shared out among
/// the lines it coincides with); a longer one has about `SPARSE_MARKERS`, evenly spaced.
const MAX_MARKERS: usize = 60;
const SPARSE_MARKERS: usize = 12;

/// Two lines coincide when they have the same number of points and every point of one is
/// within this fraction of each axis of the other's (less than 2 units of the drawing):
/// drawn as they are, the later one would hide the earlier (said in a note under the chart).
const COINCIDE: f64 = 0.006;

/// Two lines overlap when at least half of their points are this close (a marker's width):
/// their markers take turns, so that neither covers the other's.
const OVERLAP: f64 = 0.025;

impl LineChart {
    /// Whether lines `a` and `b` coincide on this chart's axes, and if so their largest
    /// difference in y.
    fn coincide(&self, a: &Line, b: &Line) -> Option<f64> {
        if a.points.is_empty() || a.points.len() != b.points.len() {
            return None;
        }
        let mut most = 0.0_f64;
        for (p, q) in a.points.iter().zip(&b.points) {
            let dx = (self.x_axis.frac(p.x) - self.x_axis.frac(q.x)).abs();
            let dy = (self.y_axis.frac(p.y) - self.y_axis.frac(q.y)).abs();
            if !(dx <= COINCIDE && dy <= COINCIDE) {
                return None;
            }
            most = most.max((p.y - q.y).abs());
        }
        Some(most)
    }

    /// Whether lines `a` and `b` overlap (see [`OVERLAP`]).
    fn overlap(&self, a: &Line, b: &Line) -> bool {
        if a.points.is_empty() || a.points.len() != b.points.len() {
            return false;
        }
        let close = a
            .points
            .iter()
            .zip(&b.points)
            .filter(|(p, q)| {
                (self.x_axis.frac(p.x) - self.x_axis.frac(q.x)).abs() <= OVERLAP
                    && (self.y_axis.frac(p.y) - self.y_axis.frac(q.y)).abs() <= OVERLAP
            })
            .count();
        2 * close >= a.points.len()
    }

    /// For each line: the group of overlapping lines it belongs to (a line that overlaps an
    /// earlier group's first line joins that group), as (the group's first line, its place
    /// in the group, the group's size).
    fn groups(&self) -> Vec<(usize, usize, usize)> {
        self.grouped(|a, b| self.overlap(a, b))
    }

    /// [`groups`](Self::groups) by any relation between two lines.
    fn grouped(&self, together: impl Fn(&Line, &Line) -> bool) -> Vec<(usize, usize, usize)> {
        let n = self.lines.len();
        let mut first: Vec<usize> = (0..n).collect();
        for j in 0..n {
            if let Some(i) =
                (0..j).find(|&i| first[i] == i && together(&self.lines[i], &self.lines[j]))
            {
                first[j] = i;
            }
        }
        (0..n)
            .map(|j| {
                let place = (0..j).filter(|&k| first[k] == first[j]).count();
                let size = first.iter().filter(|&&f| f == first[j]).count();
                (first[j], place, size)
            })
            .collect()
    }

    /// The indices of the points of `line` that get a marker, the `place`-th of a group of
    /// `size` overlapping lines: lines of a group take turns, so that no marker lies on
    /// another line's marker. A short line marks every `size`-th point from its `place`-th;
    /// a long one about `SPARSE_MARKERS` points evenly spaced along its drawn length, the
    /// lines of a group shifted by a fraction of the spacing.
    fn marked(&self, line: &Line, place: usize, size: usize) -> Vec<usize> {
        let n = line.points.len();
        let size = size.max(1);
        if n <= MAX_MARKERS {
            return (place..n).step_by(size).collect();
        }
        // Length along the line, the x axis counted about twice as long as the y axis
        // (the drawing's proportions).
        let at = |p: &Point| (2.0 * self.x_axis.frac(p.x), self.y_axis.frac(p.y));
        let mut length = vec![0.0; n];
        for i in 1..n {
            let (a, b) = (at(&line.points[i - 1]), at(&line.points[i]));
            length[i] = length[i - 1] + (a.0 - b.0).hypot(a.1 - b.1);
        }
        let total = length[n - 1];
        if total <= 0.0 || !total.is_finite() {
            return vec![place.min(n - 1)];
        }
        let mut out: Vec<usize> = (0..SPARSE_MARKERS)
            .map(|k| {
                let target =
                    total * (k as f64 + (place as f64 + 0.5) / size as f64) / SPARSE_MARKERS as f64;
                length.partition_point(|&l| l < target).min(n - 1)
            })
            .collect();
        out.dedup();
        out
    }
}

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
        let mut d = format!(
            "Line chart of {} against {}. {}.",
            self.y_name,
            self.x_name,
            lines.join("; ")
        );
        if let Some(note) = self.note() {
            d.push(' ');
            d.push_str(&note);
        }
        d
    }

    /// Which lines coincide, from the data: "A and B: identical curves (every point
    /// equal), ..." or "A and B: curves that coincide at this scale (loss at most 0.0012
    /// apart), ...".
    fn note(&self) -> Option<String> {
        let groups = self.grouped(|a, b| self.coincide(a, b).is_some());
        let mut parts = Vec::new();
        for (i, &(first, _, size)) in groups.iter().enumerate() {
            if first != i || size < 2 {
                continue;
            }
            let members: Vec<&Line> = groups
                .iter()
                .enumerate()
                .filter(|(_, g)| g.0 == i)
                .map(|(j, _)| &self.lines[j])
                .collect();
            let gaps: Option<Vec<f64>> = members[1..]
                .iter()
                .map(|l| self.coincide(members[0], l))
                .collect();
            let Some(gaps) = gaps else { continue };
            let most = gaps.into_iter().fold(0.0_f64, f64::max);
            let names: Vec<&str> = members.iter().map(|l| l.label.as_str()).collect();
            let names = match names.as_slice() {
                [a, b] => format!("{a} and {b}"),
                [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
                [] => String::new(),
            };
            parts.push(if most == 0.0 {
                format!("{names}: identical curves (every point equal), drawn over each other; their markers take turns.")
            } else {
                format!(
                    "{names}: curves that coincide at this scale (at most {} apart), drawn over each other; their markers take turns.",
                    self.y_fmt.apply(most)
                )
            });
        }
        (!parts.is_empty()).then(|| parts.join(" "))
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
        let groups = self.groups();
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
            }
            svg.push_str("</g>");
        }
        // Markers over every line, so that a line drawn later never covers them.
        for (l, &(_, place, size)) in self.lines.iter().zip(&groups) {
            let _ = write!(
                svg,
                "<g class=\"bb-line-marks\"><title>{}</title>",
                esc(&l.label)
            );
            for i in self.marked(l, place, size) {
                let p = &l.points[i];
                marker(
                    svg,
                    l.color,
                    plot.x(&self.x_axis, p.x),
                    plot.y(&self.y_axis, p.y),
                );
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
            if !l.points.is_empty() {
                marker(svg, l.color, x + 14.0, y);
            }
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

#[cfg(test)]
mod tests {
    use super::super::{figure, Axis};
    use super::*;
    use benchbook_protocol::Unit;

    fn line(label: &str, color: usize, ys: &[f64]) -> Line {
        Line {
            label: label.into(),
            color,
            dash: 0,
            points: ys
                .iter()
                .enumerate()
                .map(|(i, &y)| Point {
                    x: i as f64 + 1.0,
                    y,
                    low: None,
                    high: None,
                })
                .collect(),
        }
    }

    fn chart(lines: Vec<Line>) -> LineChart {
        LineChart {
            title: "Loss per epoch".into(),
            x_axis: Axis::linear(1.0, 30.0, false, Unit::Plain, "epoch"),
            y_axis: Axis::linear(0.0, 2.0, true, Unit::Plain, "loss"),
            lines,
            x_fmt: Filter::Number,
            y_fmt: Filter::Number,
            x_name: "epoch".into(),
            y_name: "loss".into(),
        }
    }

    fn curve(shift: f64) -> Vec<f64> {
        (0..30).map(|i| 2.0 / (1.0 + i as f64) + shift).collect()
    }

    /// The drawn centres of each series' markers, from the desktop drawing.
    fn markers(fig: &str) -> Vec<Vec<String>> {
        let wide = &fig[..fig.find("<svg class=\"bb-chart-narrow\"").unwrap()];
        wide.split("<g class=\"bb-line-marks\">")
            .skip(1)
            .map(|g| {
                let g = &g[..g.find("</g>").unwrap()];
                g.split("<circle cx=\"")
                    .skip(1)
                    .map(|c| c[..c.find("\" r").unwrap()].to_string())
                    .chain(
                        g.split("<rect x=\"")
                            .skip(1)
                            .map(|c| c[..c.find("\" width").unwrap()].to_string()),
                    )
                    .collect()
            })
            .collect()
    }

    #[test]
    fn identical_curves_take_turns_with_their_markers_and_are_noted() {
        let c = chart(vec![
            line("PyTorch", 0, &curve(0.0)),
            line("TensorFlow", 1, &curve(0.0)),
        ]);
        let fig = figure(&c, "c", "caption", "");
        let m = markers(&fig);
        assert_eq!(m.len(), 2, "{fig}");
        // Every point has one marker, of one series or the other: 15 each.
        assert_eq!((m[0].len(), m[1].len()), (15, 15), "{m:?}");
        // Markers come after (over) every line.
        let wide = &fig[..fig.find("<svg class=\"bb-chart-narrow\"").unwrap()];
        assert!(wide.find("bb-line-marks").unwrap() > wide.rfind("<polyline").unwrap());
        assert!(
            fig.contains("<span class=\"bb-chart-note\">PyTorch and TensorFlow: identical curves (every point equal)"),
            "{fig}"
        );
        assert!(c.description().contains("identical curves"));
    }

    #[test]
    fn nearly_equal_curves_are_noted_with_their_largest_gap() {
        let mut tf = curve(0.0);
        tf[3] += 0.004;
        let c = chart(vec![
            line("PyTorch", 0, &curve(0.0)),
            line("TensorFlow", 1, &tf),
        ]);
        let note = c.note().unwrap();
        assert!(
            note.contains("coincide at this scale (at most 0.00400 apart)"),
            "{note}"
        );
    }

    #[test]
    fn distinct_curves_keep_every_marker_and_get_no_note() {
        let c = chart(vec![
            line("PyTorch", 0, &curve(0.0)),
            line("TensorFlow", 1, &curve(0.5)),
        ]);
        assert_eq!(c.note(), None);
        let fig = figure(&c, "c", "caption", "");
        assert!(!fig.contains("bb-chart-note"), "{fig}");
        let m = markers(&fig);
        assert_eq!((m[0].len(), m[1].len()), (30, 30));
    }

    #[test]
    fn long_curves_get_markers_spread_along_them_and_shifted_when_they_coincide() {
        let ys: Vec<f64> = (0..200).map(|i| 1.0 - i as f64 / 200.0).collect();
        let mut c = chart(vec![line("PyTorch", 0, &ys), line("TensorFlow", 1, &ys)]);
        c.x_axis = Axis::linear(1.0, 200.0, false, Unit::Plain, "threshold");
        let (a, b) = (c.marked(&c.lines[0], 0, 2), c.marked(&c.lines[1], 1, 2));
        assert_eq!(a.len(), SPARSE_MARKERS);
        assert_eq!(b.len(), SPARSE_MARKERS);
        assert!(a.iter().all(|i| !b.contains(i)), "{a:?} {b:?}");
        // Evenly spread: each gap within a point of the mean.
        let gaps: Vec<usize> = a.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter().all(|&g| g.abs_diff(200 / SPARSE_MARKERS) <= 1),
            "{gaps:?}"
        );
        // The legend shows a marker for each series, as the lines have.
        let fig = figure(&c, "c", "", "");
        let legend = &fig[fig.find("bb-chart-legend").unwrap()..];
        let legend = &legend[..legend.find("</g>").unwrap()];
        assert_eq!(
            legend.matches("<circle").count() + legend.matches("<rect").count(),
            2
        );
    }
}

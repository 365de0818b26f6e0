//! Bar chart: medians as bars (from zero) with their 95% interval as whiskers, one bar per
//! runner, optionally grouped by a matrix parameter.

use super::{color, draw_y_axis, Axis, Chart, Plot, WIDTH};
use crate::merge::filters::Filter;
use crate::merge::html::esc;
use benchbook_protocol::Unit;
use std::fmt::Write;

pub struct Bar {
    pub median: f64,
    pub ci: Option<(f64, f64)>,
    pub n: usize,
}

pub struct BarChart {
    pub title: String,
    pub unit: Unit,
    pub y_label: String,
    /// Group labels (one empty label when not grouped).
    pub groups: Vec<String>,
    /// Series (runner) labels.
    pub series: Vec<String>,
    /// `values[group][series]`.
    pub values: Vec<Vec<Option<Bar>>>,
}

impl BarChart {
    fn axis(&self) -> Axis {
        let max = self
            .values
            .iter()
            .flatten()
            .flatten()
            .map(|b| b.ci.map_or(b.median, |c| c.1.max(b.median)))
            .fold(0.0f64, f64::max);
        let min = self
            .values
            .iter()
            .flatten()
            .flatten()
            .map(|b| b.ci.map_or(b.median, |c| c.0.min(b.median)))
            .fold(0.0f64, f64::min);
        Axis::linear(min, max * 1.08, true, self.unit, &self.y_label)
    }

    fn grouped(&self) -> bool {
        self.groups.len() > 1 || self.groups.first().is_some_and(|g| !g.is_empty())
    }
}

impl Chart for BarChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn description(&self) -> String {
        let fmt = Filter::default_for(self.unit);
        let mut parts = Vec::new();
        for (g, row) in self.groups.iter().zip(&self.values) {
            for (s, v) in self.series.iter().zip(row) {
                if let Some(b) = v {
                    let who = if g.is_empty() {
                        s.clone()
                    } else {
                        format!("{s} at {g}")
                    };
                    parts.push(format!("{who}: {}", fmt.apply(b.median)));
                }
            }
        }
        format!(
            "Bar chart of the median {}. {}.",
            self.y_label,
            parts.join("; ")
        )
    }

    fn draw(&self, svg: &mut String) {
        let h = self.height();
        let plot = Plot {
            left: 72.0,
            right: WIDTH - 16.0,
            top: 58.0,
            bottom: h - 56.0,
        };
        let axis = self.axis();
        draw_y_axis(svg, &plot, &axis);
        let fmt = Filter::default_for(self.unit);
        let g_count = self.groups.len().max(1) as f64;
        let s_count = self.series.len().max(1) as f64;
        let group_w = (plot.right - plot.left) / g_count;
        let bar_w = group_w * 0.72 / s_count;
        let zero = plot.y(&axis, 0.0);
        let _ = write!(
            svg,
            "<line x1=\"{}\" y1=\"{zero:.1}\" x2=\"{}\" y2=\"{zero:.1}\" stroke=\"currentColor\"/>",
            plot.left, plot.right
        );
        for (gi, (g, row)) in self.groups.iter().zip(&self.values).enumerate() {
            let gx = plot.left + gi as f64 * group_w + group_w * 0.14;
            for (si, v) in row.iter().enumerate() {
                let x = gx + si as f64 * bar_w;
                let cx = x + bar_w * 0.45;
                let label_y = h - 38.0;
                if !self.grouped() {
                    let _ = write!(
                        svg,
                        "<text x=\"{cx:.1}\" y=\"{label_y:.1}\" text-anchor=\"middle\">{}</text>",
                        esc(&self.series[si])
                    );
                }
                let Some(b) = v else {
                    let _ = write!(
                        svg,
                        "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\">no data</text>",
                        zero - 4.0
                    );
                    continue;
                };
                let y = plot.y(&axis, b.median);
                let (top, height) = if y < zero {
                    (y, zero - y)
                } else {
                    (zero, y - zero)
                };
                let _ = write!(
                    svg,
                    "<rect class=\"bb-bar\" x=\"{x:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{height:.1}\" style=\"fill:{}\"><title>{}: {}</title></rect>",
                    bar_w * 0.9,
                    color(si),
                    esc(&self.series[si]),
                    esc(&fmt.apply(b.median))
                );
                let mut label_top = top;
                if let Some((lo, hi)) = b.ci {
                    let (ylo, yhi) = (plot.y(&axis, lo), plot.y(&axis, hi));
                    let _ = write!(
                        svg,
                        "<g class=\"bb-whisker\" stroke=\"currentColor\"><line x1=\"{cx:.1}\" y1=\"{ylo:.1}\" x2=\"{cx:.1}\" y2=\"{yhi:.1}\"/><line x1=\"{:.1}\" y1=\"{ylo:.1}\" x2=\"{:.1}\" y2=\"{ylo:.1}\"/><line x1=\"{:.1}\" y1=\"{yhi:.1}\" x2=\"{:.1}\" y2=\"{yhi:.1}\"/></g>",
                        cx - 4.0,
                        cx + 4.0,
                        cx - 4.0,
                        cx + 4.0
                    );
                    label_top = label_top.min(yhi);
                }
                let _ = write!(
                    svg,
                    "<text class=\"bb-bar-value\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
                    label_top - 5.0,
                    esc(&fmt.apply(b.median))
                );
            }
            if self.grouped() {
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    plot.left + (gi as f64 + 0.5) * group_w,
                    h - 38.0,
                    esc(g)
                );
            }
        }
        // Legend, top left under the title.
        let _ = write!(svg, "<g class=\"bb-chart-legend\">");
        let mut lx = plot.left;
        for (si, s) in self.series.iter().enumerate() {
            let _ = write!(
                svg,
                "<rect x=\"{lx:.1}\" y=\"34\" width=\"12\" height=\"12\" style=\"fill:{}\"/><text x=\"{:.1}\" y=\"44\">{}</text>",
                color(si),
                lx + 16.0,
                esc(s)
            );
            lx += 28.0 + 7.5 * s.chars().count() as f64;
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"44\" text-anchor=\"end\" font-size=\"11\">whiskers: 95% interval</text></g>",
            plot.right
        );
    }

    fn data_table(&self) -> String {
        let fmt = Filter::default_for(self.unit);
        let mut s = String::from("<table class=\"bb-table\"><thead><tr>");
        if self.grouped() {
            s.push_str("<th scope=\"col\">group</th>");
        }
        s.push_str("<th scope=\"col\">runner</th><th scope=\"col\">median</th><th scope=\"col\">95% interval</th><th scope=\"col\">samples</th></tr></thead><tbody>");
        for (g, row) in self.groups.iter().zip(&self.values) {
            for (series, v) in self.series.iter().zip(row) {
                s.push_str("<tr>");
                if self.grouped() {
                    let _ = write!(s, "<td>{}</td>", esc(g));
                }
                let _ = write!(s, "<th scope=\"row\">{}</th>", esc(series));
                match v {
                    Some(b) => {
                        let ci = b.ci.map_or_else(
                            || "n/a".to_string(),
                            |(lo, hi)| format!("{} – {}", fmt.apply(lo), fmt.apply(hi)),
                        );
                        let _ = write!(
                            s,
                            "<td>{}</td><td>{}</td><td>{}</td>",
                            esc(&fmt.apply(b.median)),
                            esc(&ci),
                            b.n
                        );
                    }
                    None => s.push_str("<td>no data</td><td></td><td></td>"),
                }
                s.push_str("</tr>");
            }
        }
        s.push_str("</tbody></table>");
        s
    }
}

//! Bar chart: medians as bars (from zero) with their 95% interval as whiskers, one bar per
//! runner, optionally grouped by a matrix parameter.

use super::{color, draw_x_axis, draw_y_axis, interval, text_width, Axis, Canvas, Chart, Plot};
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

    /// The phone layout: one horizontal bar per runner (and group), each under its own row
    /// of text (runner on the left, median on the right), group names as headings, and the
    /// value axis at the bottom.
    fn draw_horizontal(&self, svg: &mut String, c: &Canvas) -> f64 {
        const LABEL: f64 = 18.0;
        const BAR: f64 = 16.0;
        const GAP: f64 = 12.0;
        let small = c.small();
        let fmt = Filter::default_for(self.unit);
        let axis = self.axis();
        let rows = self.values.iter().map(Vec::len).sum::<usize>() as f64;
        let headings = if self.grouped() {
            self.groups.len() as f64
        } else {
            0.0
        };
        let top = c.top + 26.0;
        let bottom = top + headings * 22.0 + rows * (LABEL + BAR + GAP);
        let plot = Plot {
            left: 10.0,
            right: c.width - 14.0,
            top,
            bottom,
        };
        let _ = write!(
            svg,
            "<g class=\"bb-chart-legend\"><text x=\"{}\" y=\"{}\" font-size=\"{small}\">bars: median; whiskers: 95% interval</text></g>",
            plot.left,
            c.top + 14.0
        );
        // Grid lines first, under the bars; the axis itself is drawn last.
        for &t in &axis.ticks {
            let x = plot.x(&axis, t);
            let _ = write!(
                svg,
                "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"currentColor\" stroke-opacity=\"0.15\"/>",
                plot.top,
                plot.bottom
            );
        }
        let zero = plot.x(&axis, 0.0);
        let mut y = plot.top;
        for (g, row) in self.groups.iter().zip(&self.values) {
            if self.grouped() {
                let _ = write!(
                    svg,
                    "<text x=\"{}\" y=\"{:.1}\" font-weight=\"bold\">{}</text>",
                    plot.left + 6.0,
                    y + 15.0,
                    esc(g)
                );
                y += 22.0;
            }
            for (si, v) in row.iter().enumerate() {
                let series = &self.series[si];
                let value = v
                    .as_ref()
                    .map_or("no data".to_string(), |b| fmt.apply(b.median));
                // A long runner name gives way to the value: cut to what fits.
                let room = plot.right - plot.left - 6.0 - text_width(&value, small) - 8.0;
                let max_chars = (room / text_width("x", 13.0)).floor().max(4.0) as usize;
                let name: String = if series.chars().count() > max_chars {
                    let mut cut: String = series.chars().take(max_chars - 1).collect();
                    cut.push('…');
                    cut
                } else {
                    series.clone()
                };
                let _ = write!(
                    svg,
                    "<text x=\"{}\" y=\"{:.1}\">{}</text><text class=\"bb-bar-value\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"{small}\">{}</text>",
                    plot.left + 6.0,
                    y + 13.0,
                    esc(&name),
                    plot.right,
                    y + 13.0,
                    esc(&value)
                );
                let bar_top = y + LABEL;
                if let Some(b) = v {
                    let x = plot.x(&axis, b.median);
                    let (left, width) = if x < zero {
                        (x, zero - x)
                    } else {
                        (zero, x - zero)
                    };
                    let _ = write!(
                        svg,
                        "<rect class=\"bb-bar\" x=\"{left:.1}\" y=\"{bar_top:.1}\" width=\"{width:.1}\" height=\"{BAR}\" style=\"fill:{}\"><title>{}: {}</title></rect>",
                        color(si),
                        esc(series),
                        esc(&value)
                    );
                    if let Some((lo, hi)) = b.ci {
                        let (xlo, xhi) = (plot.x(&axis, lo), plot.x(&axis, hi));
                        let cy = bar_top + BAR / 2.0;
                        let _ = write!(
                            svg,
                            "<g class=\"bb-whisker\" stroke=\"currentColor\"><line x1=\"{xlo:.1}\" y1=\"{cy:.1}\" x2=\"{xhi:.1}\" y2=\"{cy:.1}\"/><line x1=\"{xlo:.1}\" y1=\"{:.1}\" x2=\"{xlo:.1}\" y2=\"{:.1}\"/><line x1=\"{xhi:.1}\" y1=\"{:.1}\" x2=\"{xhi:.1}\" y2=\"{:.1}\"/></g>",
                            cy - 5.0,
                            cy + 5.0,
                            cy - 5.0,
                            cy + 5.0
                        );
                    }
                }
                y += LABEL + BAR + GAP;
            }
        }
        let _ = write!(
            svg,
            "<line x1=\"{zero:.1}\" y1=\"{}\" x2=\"{zero:.1}\" y2=\"{}\" stroke=\"currentColor\"/>",
            plot.top, plot.bottom
        );
        let h = plot.bottom + 46.0;
        draw_x_axis(svg, &plot, &axis, h - 8.0, c);
        h
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

    fn draw(&self, svg: &mut String, c: &Canvas) -> f64 {
        if c.narrow {
            return self.draw_horizontal(svg, c);
        }
        let h = c.top + 332.0;
        let plot = Plot {
            left: 72.0,
            right: c.width - 16.0,
            top: c.top + 30.0,
            bottom: h - 56.0,
        };
        let axis = self.axis();
        draw_y_axis(svg, &plot, &axis, c);
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
                "<rect x=\"{lx:.1}\" y=\"{}\" width=\"12\" height=\"12\" style=\"fill:{}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
                c.top + 6.0,
                color(si),
                lx + 16.0,
                c.top + 16.0,
                esc(s)
            );
            lx += 28.0 + 7.5 * s.chars().count() as f64;
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\">whiskers: 95% interval</text></g>",
            plot.right,
            c.top + 16.0
        );
        h
    }

    fn data_table(&self) -> String {
        let fmt = Filter::default_for(self.unit);
        let mut s = String::from("<table class=\"bb-table\"><thead><tr>");
        if self.grouped() {
            s.push_str("<th scope=\"col\">group</th>");
        }
        s.push_str("<th scope=\"col\">runner</th><th scope=\"col\">median</th><th scope=\"col\">95% interval</th><th scope=\"col\">processes</th></tr></thead><tbody>");
        for (g, row) in self.groups.iter().zip(&self.values) {
            for (series, v) in self.series.iter().zip(row) {
                s.push_str("<tr>");
                if self.grouped() {
                    let _ = write!(s, "<td>{}</td>", esc(g));
                }
                let _ = write!(s, "<th scope=\"row\">{}</th>", esc(series));
                match v {
                    Some(b) => {
                        let ci = b
                            .ci
                            .map_or_else(|| "n/a".to_string(), |(lo, hi)| interval(fmt, lo, hi));
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

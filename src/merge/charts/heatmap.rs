//! Confusion-matrix heatmap: true classes as rows, predicted classes as columns; each cell
//! shows its count, shaded by its share of the row (row-normalised).

use super::{color, text_width, Canvas, Chart};
use crate::merge::filters::percent;
use crate::merge::html::esc;
use std::fmt::Write;

pub struct Heatmap {
    pub title: String,
    pub classes: Vec<String>,
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<u64>>,
}

/// Where the grid goes and how big its text is.
struct Grid {
    left: f64,
    top: f64,
    cell: f64,
    font: f64,
    /// Column labels turned a quarter (when they are wider than a cell).
    rotated: bool,
}

impl Heatmap {
    /// Desktop: room for long class names on the left, cells up to 46 units. Phone: the
    /// left margin as wide as the longest class name, cells filling the width, text of 12
    /// units while a cell has room for it.
    fn grid(&self, c: &Canvas) -> Grid {
        let n = self.classes.len().max(1) as f64;
        if !c.narrow {
            let cell = ((c.width - 130.0) / n).min(46.0);
            return Grid {
                left: 110.0,
                top: c.top + 50.0,
                cell,
                font: (cell * 0.3).clamp(8.0, 13.0),
                rotated: false,
            };
        }
        let widest = self
            .classes
            .iter()
            .map(|k| text_width(k, 12.0))
            .fold(0.0, f64::max);
        let left = (22.0 + widest.min(120.0) + 8.0).round();
        let cell = ((c.width - left - 12.0) / n).min(46.0);
        let font = (cell * 0.4).clamp(8.0, 12.0);
        let rotated = widest * font / 12.0 > cell - 2.0;
        let labels = if rotated {
            widest.min(120.0) * font / 12.0
        } else {
            font
        };
        Grid {
            left,
            top: c.top + 24.0 + labels + 8.0,
            cell,
            font,
            rotated,
        }
    }

    /// Share of row `t` predicted as `p` (0 for an empty row).
    pub fn share(&self, t: usize, p: usize) -> f64 {
        let total: u64 = self.counts[t].iter().sum();
        if total == 0 {
            0.0
        } else {
            self.counts[t][p] as f64 / total as f64
        }
    }
}

impl Chart for Heatmap {
    fn title(&self) -> &str {
        &self.title
    }

    fn description(&self) -> String {
        let n = self.classes.len();
        let correct: u64 = (0..n).map(|i| self.counts[i][i]).sum();
        let total: u64 = self.counts.iter().flatten().sum();
        format!(
            "Confusion matrix of {n} classes: rows are true classes, columns predicted classes; {correct} of {total} examples on the diagonal (correct)."
        )
    }

    fn draw(&self, svg: &mut String, c: &Canvas) -> f64 {
        let Grid {
            left: gl,
            top: gt,
            cell: s,
            font,
            rotated,
        } = self.grid(c);
        let n = self.classes.len();
        let grid_w = s * n as f64;
        let side = if c.narrow { 12.0 } else { 14.0 };
        let _ = write!(
            svg,
            "<text class=\"bb-axis-label\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">predicted class</text><text class=\"bb-axis-label\" x=\"{side}\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 {side} {:.1})\">true class</text>",
            gl + grid_w / 2.0,
            c.top + 16.0,
            gt + grid_w / 2.0,
            gt + grid_w / 2.0
        );
        for (i, k) in self.classes.iter().enumerate() {
            let x = gl + (i as f64 + 0.5) * s;
            let column = if rotated {
                format!(
                    "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"start\" font-size=\"{font:.0}\" transform=\"rotate(-90 {x:.1} {:.1})\">{}</text>",
                    gt - 6.0,
                    gt - 6.0,
                    esc(k)
                )
            } else {
                format!(
                    "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"{font:.0}\">{}</text>",
                    gt - 8.0,
                    esc(k)
                )
            };
            let _ = write!(
                svg,
                "{column}<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"{font:.0}\">{}</text>",
                gl - 6.0,
                gt + (i as f64 + 0.5) * s + font / 3.0,
                esc(k)
            );
        }
        for t in 0..n {
            for p in 0..n {
                let share = self.share(t, p);
                let x = gl + p as f64 * s;
                let y = gt + t as f64 * s;
                // Capped so that text in currentColor stays readable on the darkest cell.
                let opacity = if self.counts[t][p] == 0 {
                    0.0
                } else {
                    0.08 + 0.52 * share
                };
                let _ = write!(
                    svg,
                    "<rect class=\"bb-cell\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{s:.1}\" height=\"{s:.1}\" style=\"fill:{}\" fill-opacity=\"{opacity:.3}\" stroke=\"currentColor\" stroke-opacity=\"0.2\"><title>true {}, predicted {}: {} ({} of the row)</title></rect><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"{font:.0}\"{}>{}</text>",
                    color(0),
                    esc(&self.classes[t]),
                    esc(&self.classes[p]),
                    self.counts[t][p],
                    percent(share),
                    x + s / 2.0,
                    y + s / 2.0 + font / 3.0,
                    if t == p { " font-weight=\"bold\"" } else { "" },
                    self.counts[t][p]
                );
            }
        }
        gt + grid_w + 20.0
    }

    fn data_table(&self) -> String {
        let mut s = String::new();
        for (caption, normalised) in [
            ("counts", false),
            ("share of each true class (row-normalised)", true),
        ] {
            let _ = write!(
                s,
                "<table class=\"bb-table bb-confusion-table\"><caption>{caption}</caption><thead><tr><th scope=\"col\">true \\ predicted</th>"
            );
            for c in &self.classes {
                let _ = write!(s, "<th scope=\"col\">{}</th>", esc(c));
            }
            s.push_str("</tr></thead><tbody>");
            for (t, c) in self.classes.iter().enumerate() {
                let _ = write!(s, "<tr><th scope=\"row\">{}</th>", esc(c));
                for p in 0..self.classes.len() {
                    if normalised {
                        let _ = write!(s, "<td>{}</td>", percent(self.share(t, p)));
                    } else {
                        let _ = write!(s, "<td>{}</td>", self.counts[t][p]);
                    }
                }
                s.push_str("</tr>");
            }
            s.push_str("</tbody></table>");
        }
        s
    }
}

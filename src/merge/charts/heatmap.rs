//! Confusion-matrix heatmap: true classes as rows, predicted classes as columns; each cell
//! shows its count, shaded by its share of the row (row-normalised).

use super::{color, Chart, WIDTH};
use crate::merge::filters::percent;
use crate::merge::html::esc;
use std::fmt::Write;

pub struct Heatmap {
    pub title: String,
    pub classes: Vec<String>,
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<u64>>,
}

const LEFT: f64 = 110.0;
const TOP: f64 = 78.0;

impl Heatmap {
    fn cell(&self) -> f64 {
        let n = self.classes.len().max(1) as f64;
        ((WIDTH - LEFT - 20.0) / n).min(46.0)
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

    fn height(&self) -> f64 {
        TOP + self.cell() * self.classes.len() as f64 + 20.0
    }

    fn draw(&self, svg: &mut String) {
        let s = self.cell();
        let n = self.classes.len();
        let font = (s * 0.3).clamp(8.0, 13.0);
        let grid_w = s * n as f64;
        let _ = write!(
            svg,
            "<text class=\"bb-axis-label\" x=\"{:.1}\" y=\"44\" text-anchor=\"middle\">predicted class</text><text class=\"bb-axis-label\" x=\"14\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\">true class</text>",
            LEFT + grid_w / 2.0,
            TOP + grid_w / 2.0,
            TOP + grid_w / 2.0
        );
        for (i, c) in self.classes.iter().enumerate() {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"{font:.0}\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"{font:.0}\">{}</text>",
                LEFT + (i as f64 + 0.5) * s,
                TOP - 8.0,
                esc(c),
                LEFT - 6.0,
                TOP + (i as f64 + 0.5) * s + font / 3.0,
                esc(c)
            );
        }
        for t in 0..n {
            for p in 0..n {
                let share = self.share(t, p);
                let x = LEFT + p as f64 * s;
                let y = TOP + t as f64 * s;
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

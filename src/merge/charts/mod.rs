//! SVG charts drawn at build time: one small trait, one file per kind.
//!
//! Every chart is a `<figure class="bb-chart">` holding an `<svg role="img">` with `<title>`
//! and `<desc>`, a title, axes with tick labels and unit-bearing labels, a legend, and the
//! data behind it as a table in `<details>`. The SVG is sized by its `viewBox` with
//! `width="100%"`, so it shrinks to any screen. Colours come from CSS variables
//! (`var(--series-1)` … `var(--series-4)`, with colour-blind-safe fallbacks); axes and text
//! use `currentColor`, so the theme decides how they read in light, dark and print. Series
//! also differ by dash pattern and marker shape, never by colour alone.

pub mod bar;
pub mod heatmap;
pub mod line;

use super::filters::{axis_scale, significant};
use super::html::esc;
use benchbook_protocol::Unit;
use std::fmt::Write;

/// Width of every chart's coordinate system.
pub const WIDTH: f64 = 640.0;

/// Fallback colours (Okabe–Ito) when the theme defines no `--series-N`.
const FALLBACK: [&str; 4] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"];

/// `fill`/`stroke` style of series `i` (0-based).
pub fn color(i: usize) -> String {
    format!("var(--series-{}, {})", i % 4 + 1, FALLBACK[i % 4])
}

/// A chart that can draw itself and list its data.
pub trait Chart {
    /// The title, drawn at the top and used as the SVG's `<title>`.
    fn title(&self) -> &str;
    /// One sentence for the SVG's `<desc>`.
    fn description(&self) -> String;
    /// Height of the coordinate system (the width is [`WIDTH`]).
    fn height(&self) -> f64 {
        360.0
    }
    /// SVG elements (axes, marks, legend) inside the `<svg>`.
    fn draw(&self, svg: &mut String);
    /// The data behind the chart as an escaped `<table>`.
    fn data_table(&self) -> String;
}

/// The whole `<figure>`: SVG, data table, caption (already escaped HTML).
pub fn figure(chart: &dyn Chart, id: &str, caption: &str, extra_class: &str) -> String {
    let h = chart.height();
    let mut svg = String::new();
    chart.draw(&mut svg);
    let class = if extra_class.is_empty() {
        "bb-chart".to_string()
    } else {
        format!("bb-chart {extra_class}")
    };
    format!(
        "<figure class=\"{class}\" id=\"{id}\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {h}\" width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"inherit\" font-size=\"13\" fill=\"currentColor\"><title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc><text class=\"bb-chart-title\" x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"{}\" font-weight=\"bold\">{}</text>{svg}</svg><details><summary>Data</summary>{}</details><figcaption>{caption}</figcaption></figure>",
        esc(chart.title()),
        esc(&chart.description()),
        WIDTH / 2.0,
        title_size(chart.title()),
        esc(chart.title()),
        chart.data_table(),
    )
}

/// Font size of the title drawn at the top: 15, smaller for a title that would not fit the
/// chart's width (bold sans-serif glyphs average about 0.6 em), never below 9.
fn title_size(title: &str) -> String {
    let fit = (WIDTH - 16.0) / (0.6 * title.chars().count().max(1) as f64);
    format!("{:.1}", fit.clamp(9.0, 15.0))
}

/// One axis: its range, scale, ticks and label.
#[derive(Debug, Clone)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    pub ticks: Vec<f64>,
    /// Divisor applied to tick labels (e.g. 1e-3 for ms).
    pub divisor: f64,
    /// The label with its unit, e.g. `step time (ms)`.
    pub label: String,
}

fn nice_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

impl Axis {
    /// A linear axis over `[min, max]` in `unit`, optionally starting at zero.
    pub fn linear(min: f64, max: f64, from_zero: bool, unit: Unit, label: &str) -> Axis {
        let (divisor, suffix) = axis_scale(unit, min.abs().max(max.abs()));
        let (mut lo, mut hi) = (min / divisor, max / divisor);
        if from_zero {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if hi - lo <= 0.0 {
            let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
            lo -= pad;
            hi += pad;
            if from_zero && min >= 0.0 {
                lo = lo.max(0.0);
            }
        }
        let step = nice_step(hi - lo, 5.0);
        let lo = (lo / step).floor() * step;
        let hi = (hi / step).ceil() * step;
        let count = ((hi - lo) / step).round() as usize;
        let ticks = (0..=count)
            .map(|i| (lo + i as f64 * step) * divisor)
            .collect();
        Axis {
            lo: lo * divisor,
            hi: hi * divisor,
            log: false,
            ticks,
            divisor,
            label: with_unit(label, suffix),
        }
    }

    /// A fixed linear axis (e.g. 0..1 for precision and recall).
    pub fn fixed(lo: f64, hi: f64, ticks: Vec<f64>, unit: Unit, label: &str) -> Axis {
        let (divisor, suffix) = axis_scale(unit, hi.abs().max(lo.abs()));
        Axis {
            lo,
            hi,
            log: false,
            ticks,
            divisor,
            label: with_unit(label, suffix),
        }
    }

    /// A base-10 logarithmic axis over positive `[min, max]`, padded by a few percent of
    /// its span; ticks at 1, 2, 5 × 10ᵏ (only powers of ten beyond three decades).
    pub fn log(min: f64, max: f64, unit: Unit, label: &str) -> Axis {
        let (divisor, suffix) = axis_scale(unit, max);
        let (lmin, lmax) = (min.log10(), max.log10());
        let pad = ((lmax - lmin) * 0.05).max(0.05);
        let (lo, hi) = (10f64.powf(lmin - pad), 10f64.powf(lmax + pad));
        let decades = lmax - lmin;
        let steps: &[f64] = if decades > 3.0 {
            &[1.0]
        } else {
            &[1.0, 2.0, 5.0]
        };
        let mut ticks = Vec::new();
        for k in (lmin - pad).floor() as i32..=(lmax + pad).ceil() as i32 {
            for m in steps {
                let t = m * 10f64.powi(k);
                if t >= lo && t <= hi {
                    ticks.push(t);
                }
            }
        }
        Axis {
            lo,
            hi,
            log: true,
            ticks,
            divisor,
            label: with_unit(label, suffix),
        }
    }

    /// Replace the ticks by the data's own x values (a sweep over a few parameter values).
    pub fn with_ticks_at(mut self, values: &[f64]) -> Axis {
        let mut v: Vec<f64> = values.to_vec();
        v.sort_by(f64::total_cmp);
        v.dedup();
        if v.len() <= 12 {
            self.ticks = v;
        }
        self
    }

    /// Position of `v` in 0..=1 along the axis.
    pub fn frac(&self, v: f64) -> f64 {
        let f = if self.log {
            (v.max(f64::MIN_POSITIVE).log10() - self.lo.log10())
                / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        if f.is_finite() {
            f
        } else {
            0.0
        }
    }

    pub fn tick_label(&self, v: f64) -> String {
        let x = v / self.divisor;
        let r = (x * 1e9).round() / 1e9;
        if r.fract() == 0.0 {
            format!("{r}")
        } else {
            let s = significant(r, 3);
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        }
    }
}

fn with_unit(label: &str, suffix: &str) -> String {
    if suffix.is_empty() {
        label.to_string()
    } else {
        format!("{label} ({suffix})")
    }
}

/// The plot area inside the coordinate system.
#[derive(Debug, Clone, Copy)]
pub struct Plot {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Plot {
    pub fn x(&self, axis: &Axis, v: f64) -> f64 {
        self.left + axis.frac(v) * (self.right - self.left)
    }
    pub fn y(&self, axis: &Axis, v: f64) -> f64 {
        self.bottom - axis.frac(v) * (self.bottom - self.top)
    }
}

/// Draw a y axis with grid lines and a rotated label.
pub fn draw_y_axis(svg: &mut String, plot: &Plot, axis: &Axis) {
    let _ = write!(
        svg,
        "<g class=\"bb-axis bb-axis-y\"><line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\" stroke=\"currentColor\"/>",
        l = plot.left,
        t = plot.top,
        b = plot.bottom
    );
    for &t in &axis.ticks {
        let y = plot.y(axis, t);
        let _ = write!(
            svg,
            "<line x1=\"{}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"currentColor\" stroke-opacity=\"0.15\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
            plot.left,
            plot.right,
            plot.left - 6.0,
            y + 4.0,
            esc(&axis.tick_label(t))
        );
    }
    let mid = (plot.top + plot.bottom) / 2.0;
    let _ = write!(
        svg,
        "<text class=\"bb-axis-label\" x=\"16\" y=\"{mid:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {mid:.1})\">{}</text></g>",
        esc(&axis.label)
    );
}

/// Draw an x axis with tick labels below and a label under them.
pub fn draw_x_axis(svg: &mut String, plot: &Plot, axis: &Axis, height: f64) {
    let _ = write!(
        svg,
        "<g class=\"bb-axis bb-axis-x\"><line x1=\"{}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\" stroke=\"currentColor\"/>",
        plot.left,
        plot.right,
        b = plot.bottom
    );
    for &t in &axis.ticks {
        let x = plot.x(axis, t);
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{b}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"currentColor\"/><text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
            plot.bottom + 5.0,
            plot.bottom + 18.0,
            esc(&axis.tick_label(t)),
            b = plot.bottom
        );
    }
    let _ = write!(
        svg,
        "<text class=\"bb-axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
        (plot.left + plot.right) / 2.0,
        height - 8.0,
        esc(&axis.label)
    );
}

/// A marker shape for series `i`: circle, square, triangle, diamond.
pub fn marker(svg: &mut String, i: usize, x: f64, y: f64) {
    let c = color(i);
    let _ = match i % 4 {
        0 => write!(svg, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" style=\"fill:{c}\"/>"),
        1 => write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"7\" height=\"7\" style=\"fill:{c}\"/>",
            x - 3.5,
            y - 3.5
        ),
        2 => write!(
            svg,
            "<path d=\"M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z\" style=\"fill:{c}\"/>",
            y - 4.5,
            x + 4.5,
            y + 3.5,
            x - 4.5,
            y + 3.5
        ),
        _ => write!(
            svg,
            "<path d=\"M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z\" style=\"fill:{c}\"/>",
            y - 4.5,
            x + 4.5,
            y + 4.5,
            x - 4.5
        ),
    };
}

/// Dash pattern of line style `i`.
pub fn dash(i: usize) -> &'static str {
    ["", "6 4", "2 3", "8 3 2 3"][i % 4]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_nice_and_cover_the_data() {
        let a = Axis::linear(0.0012, 0.0047, true, Unit::Seconds, "step time");
        assert_eq!(a.label, "step time (ms)");
        let labels: Vec<String> = a.ticks.iter().map(|t| a.tick_label(*t)).collect();
        assert_eq!(labels, ["0", "1", "2", "3", "4", "5"]);
        assert!(a.lo <= 0.0012 && a.hi >= 0.0047);
    }

    #[test]
    fn log_ticks_span_decades() {
        let a = Axis::log(1.0, 512.0, Unit::Count, "batch size");
        assert!(a.lo < 1.0 && a.lo > 0.7);
        assert!(a.hi > 512.0 && a.hi < 800.0);
        assert_eq!(
            a.ticks,
            [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        );
        assert!(
            (a.frac(1.0) - (1.0 - a.frac(512.0))).abs() < 1e-9,
            "padded evenly"
        );
        let wide = Axis::log(1e-6, 1.0, Unit::Seconds, "t");
        assert_eq!(wide.ticks.len(), 7);
    }
}

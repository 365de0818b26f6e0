//! SVG charts drawn at build time: one small trait, one file per kind.
//!
//! Every chart is a `<figure class="bb-chart">` holding two drawings of the same data, each an
//! `<svg role="img">` with `<title>` and `<desc>`, a title, axes with tick labels and
//! unit-bearing labels and a legend: `svg.bb-chart-wide` in a [`WIDTH`]-unit coordinate system
//! for desktop widths, and `svg.bb-chart-narrow`, [`NARROW_WIDTH`] units wide and laid out
//! for phones (one-column legend, horizontal bars, wrapped title, fewer tick labels), so that
//! its smallest text (12 units) renders at about 12 CSS px on a 375 px phone. The theme shows
//! one of them by the figure's width (a container query; the wide one without it and in
//! print) and hides the other with `display: none`, which also hides it from assistive
//! technology. After them, the data behind the chart as a table in `<details>`.
//!
//! Each SVG is sized by its `viewBox` with `width="100%"`. Colours come from CSS variables
//! (`var(--series-1)` … `var(--series-4)`, with colour-blind-safe fallbacks); axes and text
//! use `currentColor`, so the theme decides how they read in light, dark and print. Series
//! also differ by dash pattern and marker shape (or, in the narrow bar chart, by a text label
//! on every bar), never by colour alone.

pub mod bar;
pub mod heatmap;
pub mod line;

use super::filters::{axis_scale, significant, Filter};
use super::html::esc;
use benchbook_protocol::Unit;
use std::fmt::Write;

/// Width of the desktop coordinate system.
pub const WIDTH: f64 = 640.0;
/// Width of the phone coordinate system: drawn about 1:1 on a 375 px phone.
pub const NARROW_WIDTH: f64 = 360.0;

/// Fallback colours (Okabe–Ito) when the theme defines no `--series-N`.
const FALLBACK: [&str; 4] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"];

/// `fill`/`stroke` style of series `i` (0-based).
pub fn color(i: usize) -> String {
    format!("var(--series-{}, {})", i % 4 + 1, FALLBACK[i % 4])
}

/// Average advance of a glyph of the system sans-serif, in ems (a little generous, so that
/// labels spaced by it do not touch).
const EM_ADVANCE: f64 = 0.6;

/// Estimated drawn width of `text` at font size `size`.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * EM_ADVANCE * size
}

/// "1.20–1.26 ms" when both ends share a unit, else "1.20 ms–1.26 s".
pub fn interval(fmt: Filter, lo: f64, hi: f64) -> String {
    let (l, h) = (fmt.apply(lo), fmt.apply(hi));
    match (l.rsplit_once('\u{a0}'), h.rsplit_once('\u{a0}')) {
        (Some((ln, lu)), Some((hn, hu))) if lu == hu => format!("{ln}–{hn}\u{a0}{hu}"),
        _ => format!("{l}–{h}"),
    }
}

/// The coordinate system a chart draws into.
#[derive(Debug, Clone, Copy)]
pub struct Canvas {
    /// Width of the coordinate system.
    pub width: f64,
    /// The phone layout.
    pub narrow: bool,
    /// Where the drawing under the title starts.
    pub top: f64,
}

impl Canvas {
    /// Size of tick labels, value labels and notes (the smallest text of a chart).
    pub fn small(&self) -> f64 {
        if self.narrow {
            12.0
        } else {
            11.0
        }
    }
}

/// A chart that can draw itself and list its data.
pub trait Chart {
    /// The title, drawn at the top and used as the SVG's `<title>`.
    fn title(&self) -> &str;
    /// One sentence for the SVG's `<desc>`.
    fn description(&self) -> String;
    /// SVG elements (axes, marks, legend) under `canvas.top`; returns the height of the
    /// coordinate system.
    fn draw(&self, svg: &mut String, canvas: &Canvas) -> f64;
    /// The data behind the chart as escaped `<table>`s.
    fn data_table(&self) -> String;
    /// A sentence the reader needs to read the drawing (plain text), computed from the
    /// data, e.g. which series coincide; shown under the caption.
    fn note(&self) -> Option<String> {
        None
    }
}

/// The whole `<figure>`: both SVGs, data table, caption (already escaped HTML).
pub fn figure(chart: &dyn Chart, id: &str, caption: &str, extra_class: &str) -> String {
    let class = if extra_class.is_empty() {
        "bb-chart".to_string()
    } else {
        format!("bb-chart {extra_class}")
    };
    format!(
        "<figure class=\"{class}\" id=\"{id}\">{}{}<details><summary>Data</summary><div class=\"bb-table-wrap\" data-bb-label=\"Data: {}\">{}</div></details><figcaption>{caption}{}</figcaption></figure>",
        svg(chart, id, false),
        svg(chart, &format!("{id}-narrow"), true),
        esc(chart.title()),
        chart.data_table(),
        chart.note().map_or(String::new(), |n| format!(
            "<span class=\"bb-chart-note\">{}</span>",
            esc(&n)
        )),
    )
}

/// One drawing of `chart`: the desktop one or (`narrow`) the phone one.
fn svg(chart: &dyn Chart, id: &str, narrow: bool) -> String {
    let (width, max, min, first) = if narrow {
        (NARROW_WIDTH, 14.0, 13.0, 20.0)
    } else {
        (WIDTH, 15.0, 12.0, 22.0)
    };
    let (size, lines) = title_layout(chart.title(), width, max, min);
    let line_height = (size * 1.25_f64).round();
    let canvas = Canvas {
        width,
        narrow,
        top: first + line_height * (lines.len() - 1) as f64 + 6.0,
    };
    let mut body = String::new();
    let h = chart.draw(&mut body, &canvas);
    let x = width / 2.0;
    let title = match lines.as_slice() {
        [one] => esc(one),
        _ => lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let dy = if i == 0 { 0.0 } else { line_height };
                format!("<tspan x=\"{x}\" dy=\"{dy}\">{}</tspan>", esc(l))
            })
            .collect(),
    };
    let class = if narrow {
        "bb-chart-narrow"
    } else {
        "bb-chart-wide"
    };
    format!(
        "<svg class=\"{class}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {h}\" width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"inherit\" font-size=\"13\" fill=\"currentColor\"><title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc><text class=\"bb-chart-title\" x=\"{x}\" y=\"{first}\" text-anchor=\"middle\" font-size=\"{size:.1}\" font-weight=\"bold\">{title}</text>{body}</svg>",
        esc(chart.title()),
        esc(&chart.description()),
    )
}

/// Size and lines of the title drawn at the top: one line at `max`, or smaller down to `min`
/// for a title that would not fit the width (bold glyphs average about 0.6 em); a longer
/// title is wrapped at `max` into lines of even length.
fn title_layout(title: &str, width: f64, max: f64, min: f64) -> (f64, Vec<String>) {
    let room = width - 16.0;
    let fit = room / text_width(title, 1.0).max(EM_ADVANCE);
    if fit >= min {
        return (fit.min(max), vec![title.to_string()]);
    }
    // As many lines as needed at `max`, then as even as they can be (no one-word last line).
    let mut chars = (room / (EM_ADVANCE * max)).floor() as usize;
    let count = wrap(title, chars).len();
    while chars > 8 && wrap(title, chars - 1).len() == count {
        chars -= 1;
    }
    (max, wrap(title, chars))
}

/// Greedy word wrap to lines of at most `chars` characters (a longer word has its own line).
pub fn wrap(text: &str, chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > chars {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
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

/// Draw a y axis with grid lines and a rotated label. Tick labels closer than their own
/// height to the previous one are left out (the grid line stays).
pub fn draw_y_axis(svg: &mut String, plot: &Plot, axis: &Axis, c: &Canvas) {
    let font = c.small();
    let _ = write!(
        svg,
        "<g class=\"bb-axis bb-axis-y\"><line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\" stroke=\"currentColor\"/>",
        l = plot.left,
        t = plot.top,
        b = plot.bottom
    );
    let mut last: Option<f64> = None;
    for &t in &axis.ticks {
        let y = plot.y(axis, t);
        let _ = write!(
            svg,
            "<line x1=\"{}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"currentColor\" stroke-opacity=\"0.15\"/>",
            plot.left, plot.right,
        );
        if last.is_some_and(|l| (l - y).abs() < font * 1.2) {
            continue;
        }
        last = Some(y);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"{font}\">{}</text>",
            plot.left - 6.0,
            y + 4.0,
            esc(&axis.tick_label(t))
        );
    }
    let mid = (plot.top + plot.bottom) / 2.0;
    let x = if c.narrow { 12.0 } else { 16.0 };
    let _ = write!(
        svg,
        "<text class=\"bb-axis-label\" x=\"{x}\" y=\"{mid:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 {x} {mid:.1})\">{}</text></g>",
        esc(&axis.label)
    );
}

/// Left edge of a plot whose y tick labels (and rotated axis label) sit left of it: fixed on
/// the desktop, as narrow as the longest tick label allows on a phone.
pub fn plot_left(axis: &Axis, c: &Canvas) -> f64 {
    if !c.narrow {
        return 72.0;
    }
    let widest = axis
        .ticks
        .iter()
        .map(|&t| text_width(&axis.tick_label(t), c.small()))
        .fold(0.0, f64::max);
    (24.0 + widest + 8.0).round()
}

/// Draw an x axis with tick marks, labels below (left out where one would touch the previous
/// one) and the axis label under them, its baseline at `label_y`.
pub fn draw_x_axis(svg: &mut String, plot: &Plot, axis: &Axis, label_y: f64, c: &Canvas) {
    let font = c.small();
    let _ = write!(
        svg,
        "<g class=\"bb-axis bb-axis-x\"><line x1=\"{}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\" stroke=\"currentColor\"/>",
        plot.left,
        plot.right,
        b = plot.bottom
    );
    let mut right_of_last = f64::NEG_INFINITY;
    for &t in &axis.ticks {
        let x = plot.x(axis, t);
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{b}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"currentColor\"/>",
            plot.bottom + 5.0,
            b = plot.bottom
        );
        let label = axis.tick_label(t);
        let half = text_width(&label, font) / 2.0;
        if x - half < right_of_last + font / 2.0 {
            continue;
        }
        right_of_last = x + half;
        let _ = write!(
            svg,
            "<text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{font}\">{}</text>",
            plot.bottom + 18.0,
            esc(&label),
        );
    }
    let _ = write!(
        svg,
        "<text class=\"bb-axis-label\" x=\"{:.1}\" y=\"{label_y:.1}\" text-anchor=\"middle\">{}</text></g>",
        (plot.left + plot.right) / 2.0,
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

    #[test]
    fn long_titles_wrap_into_even_lines() {
        let t = "Is it a 3? (one-vs-rest logistic regression): precision–recall (test set, positive = 3)";
        let (size, lines) = title_layout(t, NARROW_WIDTH, 14.0, 13.0);
        assert_eq!(size, 14.0);
        assert_eq!(lines.join(" "), t);
        let longest = lines.iter().map(|l| l.chars().count()).max().unwrap();
        let shortest = lines.iter().map(|l| l.chars().count()).min().unwrap();
        assert!(lines.len() == 3 && longest - shortest < 12, "{lines:?}");
        assert!(text_width(&lines[0], size) <= NARROW_WIDTH - 16.0);
        // A title that fits stays on one line at the largest size.
        assert_eq!(
            title_layout("Short", WIDTH, 15.0, 12.0),
            (15.0, vec!["Short".into()])
        );
    }

    /// Font sizes given in a drawing (the SVG's own default is 13).
    fn sizes(svg: &str) -> Vec<f64> {
        svg.split("font-size=\"")
            .skip(1)
            .map(|r| r[..r.find('"').unwrap()].parse().unwrap())
            .collect()
    }

    fn narrow_svg(figure: &str) -> &str {
        let start = figure.find("<svg class=\"bb-chart-narrow\"").unwrap();
        &figure[start..start + figure[start..].find("</svg>").unwrap()]
    }

    #[test]
    fn every_chart_has_a_phone_drawing_with_text_of_twelve_units_or_more() {
        let bars = bar::BarChart {
            title: "Step time at batch 512, by thread count".into(),
            unit: Unit::Seconds,
            y_label: "step time".into(),
            groups: vec!["threads=1".into(), "threads=2".into()],
            series: vec!["PyTorch".into(), "TensorFlow".into()],
            values: (0..2)
                .map(|g| {
                    (0..2)
                        .map(|s| {
                            Some(bar::Bar {
                                median: 0.01 + 0.001 * (g + s) as f64,
                                ci: Some((0.009, 0.012)),
                                n: 30,
                            })
                        })
                        .collect()
                })
                .collect(),
        };
        let lines = line::LineChart {
            title: "Median step time against batch size, 1 thread".into(),
            x_axis: Axis::log(1.0, 512.0, Unit::Plain, "batch size"),
            y_axis: Axis::log(0.001, 0.01, Unit::Seconds, "step time"),
            lines: (0..2)
                .map(|i| line::Line {
                    label: format!("runner {i}"),
                    color: i,
                    dash: i,
                    points: [1.0, 8.0, 64.0, 512.0]
                        .iter()
                        .map(|&x| line::Point {
                            x,
                            y: 0.001 * x.sqrt(),
                            low: None,
                            high: None,
                        })
                        .collect(),
                })
                .collect(),
            x_fmt: crate::merge::filters::Filter::Number,
            y_fmt: crate::merge::filters::Filter::default_for(Unit::Seconds),
            x_name: "batch size".into(),
            y_name: "step time".into(),
        };
        let heat = heatmap::Heatmap {
            title: "Small CNN on handwritten digits: confusion matrix (PyTorch, test set)".into(),
            classes: (0..10).map(|i| i.to_string()).collect(),
            counts: (0..10)
                .map(|t| (0..10).map(|p| if t == p { 36 } else { 1 }).collect())
                .collect(),
        };
        for chart in [&bars as &dyn Chart, &lines, &heat] {
            let fig = figure(chart, "c", "caption", "");
            assert_eq!(fig.matches("<svg ").count(), 2, "{fig}");
            assert!(fig.contains("<svg class=\"bb-chart-wide\""));
            assert!(fig.contains("id=\"c-narrow-title\""), "its own ids");
            let narrow = narrow_svg(&fig);
            assert!(narrow.contains("viewBox=\"0 0 360 "), "{narrow}");
            let small = sizes(narrow).into_iter().fold(f64::INFINITY, f64::min);
            assert!(small >= 12.0, "{}: {small}", chart.title());
            // The data is listed once, in a box named for when it scrolls.
            assert_eq!(fig.matches("<details>").count(), 1);
            assert!(fig.contains("<div class=\"bb-table-wrap\" data-bb-label=\"Data: "));
        }
        // Phone bars are horizontal, one per runner and group, each with its runner's name.
        let narrow = narrow_svg(&figure(&bars, "c", "", "")).to_string();
        assert_eq!(narrow.matches("class=\"bb-bar\"").count(), 4);
        assert_eq!(narrow.matches(">TensorFlow</text>").count(), 2);
        assert!(narrow.contains(">threads=2</text>"));
    }
}

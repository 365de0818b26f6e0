//! The markup of `bar_chart(...)` (the SVG is drawn by `crate::merge::charts::bar`).

use super::markup::*;
use crate::merge::charts::bar::{Bar, BarChart};
use crate::merge::charts::figure;
use crate::merge::eval::Bench;
use crate::merge::html::esc_line;
use crate::stats::Summary;
use benchbook_protocol::Unit;

#[allow(clippy::too_many_arguments)]
pub(crate) fn bar_chart(
    b: &Bench,
    id: &str,
    title: &str,
    metric: &str,
    unit: Unit,
    by: Option<&str>,
    groups: Vec<String>,
    labels: &[String],
    values: Vec<Vec<Option<Summary>>>,
    link: Option<&str>,
) -> String {
    let chart = BarChart {
        title: title.to_string(),
        unit,
        y_label: metric.replace('_', " "),
        groups,
        series: labels.to_vec(),
        values: values
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|s| {
                        s.map(|s| Bar {
                            median: s.median,
                            ci: s.ci.map(|c| (c.low, c.high)),
                            n: s.n,
                        })
                    })
                    .collect()
            })
            .collect(),
    };
    let grouped = by.map_or(String::new(), |p| format!(", grouped by {p}"));
    let caption = format!(
        "{}: median {} per runner{}, with 95% intervals.{}",
        esc_line(&b.decl.title),
        esc_line(&metric.replace('_', " ")),
        esc_line(&grouped),
        measured_link(link)
    );
    format!("{}{}", stale_note(b), figure(&chart, id, &caption, ""))
}

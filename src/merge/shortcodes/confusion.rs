//! The markup of `confusion(...)`: the heatmap and per-class scores (maths in `crate::stats::classification`).

use super::markup::*;
use crate::merge::charts::figure;
use crate::merge::charts::heatmap::Heatmap;
use crate::merge::eval::Bench;
use crate::merge::filters;
use crate::merge::html::esc_line;
use crate::stats::classification::ConfusionMatrix;
use std::fmt::Write;

#[allow(clippy::too_many_arguments)]
pub(crate) fn confusion(
    b: &Bench,
    id: &str,
    runner: &str,
    name: &str,
    rep: usize,
    reps: usize,
    m: &ConfusionMatrix,
    link: Option<&str>,
) -> String {
    let title = format!("{}: confusion matrix ({runner}, {name} set)", b.decl.title);
    let chart = Heatmap {
        title: title.clone(),
        classes: m.classes.clone(),
        counts: m.counts.clone(),
    };
    let total: u64 = m.counts.iter().flatten().sum();
    let caption = format!(
        "{}. {} examples, accuracy {}; shade = share of the true class. Repetition {} of {}.{}",
        esc_line(&title),
        total,
        filters::percent(m.accuracy()),
        rep + 1,
        reps,
        measured_link(link)
    );
    let mut s = format!(
        "{}<div class=\"bb-confusion\">{}",
        stale_note(b),
        figure(&chart, id, &caption, "bb-confusion-chart")
    );
    let _ = write!(
        s,
        "{}<table class=\"bb-table bb-class-metrics\"><caption>Per-class precision, recall and F1 ({})</caption><thead><tr><th scope=\"col\">class</th><th scope=\"col\">precision</th><th scope=\"col\">recall</th><th scope=\"col\">F1</th><th scope=\"col\">support</th></tr></thead><tbody>",
        table_wrap(&format!("Per-class precision, recall and F1 ({runner})")),
        esc_line(runner)
    );
    for (k, c) in m.classes.iter().enumerate() {
        let support: u64 = m.counts[k].iter().sum();
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{support}</td></tr>",
            esc_line(c),
            opt_percent(m.precision(k)),
            opt_percent(m.recall(k)),
            opt_percent(m.f1(k))
        );
    }
    s.push_str("</tbody></table></div></div>");
    s
}

//! `confusion(...)`, a block shortcode: its evaluation (arguments, checks, every error
//! message), then its markup: the heatmap and per-class scores (maths in
//! `crate::stats::classification`).

use super::markup::*;
use super::{Kind, Shortcode};
use crate::merge::charts::figure;
use crate::merge::charts::heatmap::Heatmap;
use crate::merge::evaluator::Bench;
use crate::merge::evaluator::{err, name_arg, Args, Evaluator, Stop, Value};
use crate::merge::expr::Call;
use crate::merge::filters;
use crate::merge::html::esc_line;
use crate::merge::shortcodes as sc;
use crate::stats::classification::ConfusionMatrix;
use std::fmt::Write;

/// `confusion(...)`, a block shortcode.
pub(crate) struct Confusion;

impl Shortcode for Confusion {
    fn name(&self) -> &'static str {
        "confusion"
    }

    fn kind(&self) -> Kind {
        Kind::Block
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.confusion(c)
    }
}

impl<'a> Evaluator<'a> {
    fn confusion(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "runner", "name"], &["bench"])?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let runner = self.one_runner(&args, &b)?;
        let (name, name_at) = name_arg(&args, c)?;
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let (_, run) = self.run(&b, &runner, &point, span.start + 1)?;
        let Some((rep, cl)) = run
            .repetitions
            .iter()
            .enumerate()
            .find_map(|(i, r)| r.result.classifications.get(&name).map(|c| (i, c)))
        else {
            return err(
                name_at,
                format!(
                    "missing result: runner `{runner}` reported no classification `{name}` for benchmark `{}`",
                    b.id
                ),
            );
        };
        let matrix = ConfusionMatrix::from_classification(cl).or_else(|m| {
            err(
                name_at,
                format!(
                    "classification `{name}` of `{runner}` in `{}` is inconsistent: {m}",
                    b.id
                ),
            )
        })?;
        let id = self.next_chart_id();
        let link = self.result_link(&b.id, span.start).ok();
        let label = self.label(b.stored, &runner);
        Ok(Value::Block(sc::confusion(
            &b,
            &id,
            &label,
            &name,
            rep,
            run.repetitions.len(),
            &matrix,
            link.as_deref(),
        )))
    }
}

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

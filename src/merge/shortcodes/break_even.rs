//! `break_even(compiled=CELL, eager=CELL)`, an inline function: a clause saying after how many
//! training steps a compiled variant repays its one-off cost ("it pays for itself after about
//! 7 steps (...)"), or that it does not ("it does not pay for itself here: ...").
//!
//! The one-off cost is the compiled cell's `first_step_time` (tracing and compilation happen
//! in the first step) minus the eager cell's; the saving per step is the eager `step_time`
//! minus the compiled one; both from medians of per-process values. A saving is claimed only
//! when the `step_time` verdict (one of the page's verdicts, corrected with them) names the
//! compiled cell faster; otherwise the text says the compiled step is not faster, with that
//! verdict's outcome. Cells are written as in `ratio(a=..., b=...)`.

use super::{Kind, Shortcode};
use crate::merge::evaluator::{err, Args, Evaluator, Stop, Value};
use crate::merge::expr::Call;
use crate::merge::filters::duration;
use crate::stats::{Outcome, Side};

pub(crate) struct BreakEven;

impl Shortcode for BreakEven {
    fn name(&self) -> &'static str {
        "break_even"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.break_even(c)
    }
}

impl Evaluator<'_> {
    fn break_even(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["compiled", "eager"], &["compiled", "eager"])?;
        let at = c.name.span.start;
        let compiled = self.cell(&args, "compiled")?;
        let eager = self.cell(&args, "eager")?;
        let (step_c, step_e, first_c, first_e) = (
            self.require_metric(
                &compiled.bench,
                compiled.index,
                compiled.run,
                "step_time",
                at,
            )?,
            self.require_metric(&eager.bench, eager.index, eager.run, "step_time", at)?,
            self.require_metric(
                &compiled.bench,
                compiled.index,
                compiled.run,
                "first_step_time",
                at,
            )?,
            self.require_metric(&eager.bench, eager.index, eager.run, "first_step_time", at)?,
        );
        let cmp = match self.verdict_cmp(&step_c, &step_e, "step_time", at)? {
            Ok(cmp) => cmp,
            Err(e) => {
                return err(
                    at,
                    format!("cannot compare `step_time` of the two cells: {e}"),
                )
            }
        };
        let stale = compiled.bench.stale || eager.bench.stale;
        let label = self.cell_label(&compiled, &eager);
        let text = if cmp.winner == Some(Side::A) {
            let extra = first_c.summary.median - first_e.summary.median;
            let saving = step_e.summary.median - step_c.summary.median;
            if extra <= 0.0 {
                format!(
                    "it pays for itself from the first step ({label}'s first step is not slower)"
                )
            } else {
                let steps = (extra / saving).ceil();
                format!(
                    "it pays for itself after about {} steps ({} of one-off cost, {} saved per step)",
                    crate::merge::filters::number(steps),
                    duration(extra),
                    duration(saving)
                )
            }
        } else {
            let why = match cmp.outcome {
                Outcome::Larger(_) => "slower".to_string(),
                Outcome::Equivalent => "no faster (no practical difference)".to_string(),
                _ => "not shown faster (inconclusive)".to_string(),
            };
            format!(
                "it does not pay for itself here: {label}'s steady step is {why}, {} against {} (medians)",
                duration(step_c.summary.median),
                duration(step_e.summary.median)
            )
        };
        Ok(Value::Text { text, stale })
    }
}

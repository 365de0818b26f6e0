//! `margin(...)`, an inline function: the equivalence margin of a benchmark's verdicts, `±5%`.

use super::{Kind, Shortcode};
use crate::merge::evaluator::{Args, Evaluator, Stop, Value};
use crate::merge::expr::Call;
use crate::merge::shortcodes as sc;

pub(crate) struct Margin;

impl Shortcode for Margin {
    fn name(&self) -> &'static str {
        "margin"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.margin(c)
    }
}

impl Evaluator<'_> {
    /// `margin(bench=..., metric=...)`: the equivalence margin of a benchmark's verdicts.
    fn margin(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "metric"], &["bench"])?;
        let (b, _, _) = self.bench_arg(&args)?;
        let margin = match args.string("metric")? {
            Some((m, span)) => {
                self.check_metric(&b, &m, span.start + 1)?;
                b.decl.margin_for(&m)
            }
            None => b.decl.margin,
        };
        Ok(Value::Text {
            text: sc::margin_text(margin),
            stale: false,
        })
    }
}

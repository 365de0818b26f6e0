//! `label(...)`, an inline function: a runner's display name.

use super::{Kind, Shortcode};
use crate::merge::evaluator::{Args, Evaluator, Stop, Value};
use crate::merge::expr::Call;

pub(crate) struct Label;

impl Shortcode for Label {
    fn name(&self) -> &'static str {
        "label"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.label_fn(c)
    }
}

impl Evaluator<'_> {
    /// `label(bench=..., runner=...)`: a runner's display name.
    fn label_fn(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "runner"], &["bench", "runner"])?;
        let (b, _, _) = self.bench_arg(&args)?;
        let (r, span) = args.string("runner")?.unwrap_or_default();
        self.check_runner(&b, &r, span.start)?;
        Ok(Value::Text {
            text: self.label(b.stored, &r),
            stale: false,
        })
    }
}

//! `processes(bench=..., runner=..., metric=...)`: how many runner processes measured a
//! metric (`wall_time` by default) at one point, the `n` every interval and verdict of that
//! value is computed over. `{{ processes(bench="cnn_digits[threads=1]", runner="torch") }}`
//! → `5`.

use super::{Kind, Shortcode};
use crate::merge::evaluator::{Args, Evaluator, Stop, Value};
use crate::merge::expr::Call;
use crate::merge::filters::Filter;
use benchbook_protocol::Unit;

pub(crate) struct Processes;

impl Shortcode for Processes {
    fn name(&self) -> &'static str {
        "processes"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "runner", "metric"], &["bench"])?;
        let (b, sel, span) = ev.bench_arg(&args)?;
        let runner = ev.one_runner(&args, &b)?;
        let (metric, at) = match args.string("metric")? {
            Some((m, mspan)) => (m, mspan.start + 1),
            None => ("wall_time".to_string(), span.start + 1),
        };
        ev.check_metric(&b, &metric, at)?;
        let point = ev.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let (index, run) = ev.run(&b, &runner, &point, span.start + 1)?;
        let data = ev.require_metric(&b, index, run, &metric, at)?;
        Ok(Value::Number {
            value: data.summary.n as f64,
            unit: Unit::Count,
            default: Filter::Number,
            noisy: None,
            stale: b.stale,
        })
    }
}

//! `info(...)`, an inline function: a fact the runner reported (`model_format`, or inside a
//! mapping with a dotted key: `compile.recompilations`).

use super::{Kind, Shortcode};
use crate::merge::evaluator::{err, json_text, list_or_none, Args, Evaluator, Stop, Value};
use crate::merge::expr::Call;
use serde_json::Value as Json;

pub(crate) struct Info;

impl Shortcode for Info {
    fn name(&self) -> &'static str {
        "info"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.info(c)
    }
}

impl Evaluator<'_> {
    /// `info(bench=..., runner=..., key=...)`: a fact the runner reported.
    fn info(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "runner", "key"], &["bench", "key"])?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let runner = self.one_runner(&args, &b)?;
        let (key, kspan) = args.string("key")?.unwrap_or_default();
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let (_, run) = self.run(&b, &runner, &point, span.start + 1)?;
        let result = self.first_result(&b, run, span.start + 1)?;
        // A dotted key reaches into a mapping (`compile.recompilations`), unless the whole
        // key is a key of its own.
        let mut v = result.info.get(&key);
        if v.is_none() && key.contains('.') {
            let mut parts = key.split('.');
            v = result.info.get(parts.next().unwrap_or_default());
            for part in parts {
                v = v.and_then(|m| m.get(part));
            }
        }
        let Some(v) = v else {
            return err(
                kspan.start + 1,
                format!(
                    "unknown info key `{key}`: runner `{runner}` reported no such fact for benchmark `{}`; its keys: {}",
                    b.id,
                    list_or_none(result.info.keys())
                ),
            );
        };
        if v.is_array() || v.is_object() || v.is_null() {
            return err(
                kspan.start + 1,
                format!(
                    "info `{key}` of `{runner}` in `{}` is {}, not a single value; expected a key holding a string, number or boolean",
                    b.id,
                    match v {
                        Json::Array(_) => "a list",
                        Json::Object(_) => "a mapping",
                        _ => "null",
                    }
                ),
            );
        }
        Ok(Value::Text {
            text: b.paths.show(&json_text(v)),
            stale: b.stale,
        })
    }
}

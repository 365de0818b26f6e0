//! `measured(...)`, an inline function: a link to the provenance page of a result.

use super::{Kind, Shortcode};
use crate::merge::evaluator::{Args, Evaluator, Stop, Value};
use crate::merge::expr::Call;
use crate::merge::html::{esc, esc_line};

pub(crate) struct Measured;

impl Shortcode for Measured {
    fn name(&self) -> &'static str {
        "measured"
    }

    fn kind(&self) -> Kind {
        Kind::Inline
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.measured(c)
    }
}

impl Evaluator<'_> {
    fn measured(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "text"], &["bench"])?;
        let (b, _, span) = self.bench_arg(&args)?;
        let href = self.result_link(&b.id, span.start)?;
        let text = args
            .string("text")?
            .map_or_else(|| "how this was measured".to_string(), |(t, _)| t);
        Ok(Value::Html {
            html: format!(
                "<a class=\"bb-measured-link\" href=\"{}\">{}</a>",
                esc(&href),
                esc_line(&text)
            ),
            plain: text,
            block: None,
        })
    }
}

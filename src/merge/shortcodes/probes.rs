//! `probes(...)`, a block shortcode: its evaluation (arguments, checks, every error message),
//! then its markup: the outcome of each debugging probe.

use super::markup::*;
use super::{Kind, Shortcode};
use crate::merge::evaluator::Bench;
use crate::merge::evaluator::{err, Args, Evaluator, Stop, Value};
use crate::merge::expr::Call;
use crate::merge::filters;
use crate::merge::html::{esc, esc_line};
use crate::merge::shortcodes as sc;
use benchbook_protocol::{Probe, Stage};
use std::fmt::Write;

/// `probes(...)`, a block shortcode.
pub(crate) struct Probes;

impl Shortcode for Probes {
    fn name(&self) -> &'static str {
        "probes"
    }

    fn kind(&self) -> Kind {
        Kind::Block
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.probes(c)
    }
}

impl<'a> Evaluator<'a> {
    fn probes(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench", "runners"], &["bench"])?;
        let (b, sel, span) = self.bench_arg(&args)?;
        let runners = self.runners_arg(&args, &b)?;
        let point = self.point(&b, &sel, &[], span.start + 1, &b.id)?;
        let mut columns = Vec::new();
        for r in &runners {
            let (_, run) = self.run(&b, r, &point, span.start + 1)?;
            let probes = run
                .repetitions
                .first()
                .map(|rep| rep.result.probes.clone())
                .unwrap_or_default();
            columns.push((self.label(b.stored, r), probes));
        }
        if columns.iter().all(|(_, p)| p.is_empty()) {
            return err(
                span.start + 1,
                format!(
                    "missing result: no runner reported probes for benchmark `{}`",
                    b.id
                ),
            );
        }
        let link = self.result_link(&b.id, span.start).ok();
        Ok(Value::Block(sc::probes(&b, &columns, link.as_deref())))
    }
}

/// The stage as one word: `build`, `run` or `none`.
pub(crate) fn stage_word(stage: Stage) -> &'static str {
    match stage {
        Stage::Build => "build",
        Stage::Run => "run",
        Stage::None => "none",
    }
}

fn stage_text(stage: Stage) -> &'static str {
    match stage {
        Stage::Build => "error while building",
        Stage::Run => "error while running",
        Stage::None => "no error",
    }
}

pub(crate) fn probes(b: &Bench, columns: &[(String, Vec<Probe>)], link: Option<&str>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for (_, probes) in columns {
        for p in probes {
            if !names.contains(&p.name.as_str()) {
                names.push(&p.name);
            }
        }
    }
    let mut s = format!(
        "{}<div class=\"bb-probes\" data-bb-label=\"{}: what each framework said\"><table class=\"bb-table\"><caption>{}: what each framework said{}</caption><thead><tr><th scope=\"col\">probe</th>",
        stale_note(b),
        esc_line(&b.decl.title),
        esc_line(&b.decl.title),
        measured_link(link)
    );
    for (label, _) in columns {
        let _ = write!(s, "<th scope=\"col\">{}</th>", esc_line(label));
    }
    s.push_str("</tr></thead><tbody>");
    for name in names {
        let _ = write!(s, "<tr><th scope=\"row\"><code>{}</code></th>", esc(name));
        for (label, probes) in columns {
            let label = esc_line(label);
            match probes.iter().find(|p| p.name == name) {
                None => {
                    let _ = write!(s, "<td data-label=\"{label}\">not run</td>");
                }
                Some(p) => {
                    let _ = write!(
                        s,
                        "<td data-label=\"{label}\"><p><span class=\"bb-stage bb-stage-{}\">{}</span> after {}</p>",
                        stage_word(p.stage),
                        stage_text(p.stage),
                        esc(&filters::duration(p.seconds))
                    );
                    if let Some(m) = &p.message {
                        let _ = write!(s, "<pre>{}</pre>", esc(&b.paths.show(m)));
                    }
                    if let Some(o) = &p.observed {
                        let _ = write!(s, "<p class=\"bb-observed\">{}</p>", esc(&b.paths.show(o)));
                    }
                    s.push_str("</td>");
                }
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

//! `environment(...)`, a block shortcode: its evaluation (arguments, checks, every error
//! message), then its markup: what was held equal and what varied.

use super::markup::*;
use super::{Kind, Shortcode};
use crate::merge::evaluator::{err, Args, Evaluator, Stop, Value};
use crate::merge::evaluator::{json_text, Bench};
use crate::merge::expr::Call;
use crate::merge::filters;
use crate::merge::html::{esc, esc_line};
use crate::merge::shortcodes as sc;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fmt::Write;

/// `environment(...)`, a block shortcode.
pub(crate) struct Environment;

impl Shortcode for Environment {
    fn name(&self) -> &'static str {
        "environment"
    }

    fn kind(&self) -> Kind {
        Kind::Block
    }

    fn evaluate(&self, ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
        ev.environment(c)
    }
}

impl<'a> Evaluator<'a> {
    fn environment(&mut self, c: &Call) -> Result<Value, Stop> {
        let args = Args::new(c, &["bench"], &["bench"])?;
        let (b, _, span) = self.bench_arg(&args)?;
        if b.stored.runs.is_empty() {
            return err(
                span.start + 1,
                format!("missing result: benchmark `{}` has no stored runs", b.id),
            );
        }
        let labels: BTreeMap<String, String> = b
            .decl
            .runners
            .iter()
            .map(|r| (r.clone(), self.label(b.stored, r)))
            .collect();
        let link = self.result_link(&b.id, span.start).ok();
        Ok(Value::Block(sc::environment(&b, &labels, link.as_deref())))
    }
}

/// A JSON value in a short readable form: `adam (lr 0.001, beta1 0.9)`.
fn brief(v: &Json) -> String {
    match v {
        Json::Object(map) => {
            let tag = ["name", "kind", "task"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Json::as_str));
            let rest: Vec<String> = map
                .iter()
                .filter(|(k, v)| {
                    !(["name", "kind", "task"].contains(&k.as_str())
                        && Some(v.as_str()) == Some(tag))
                })
                .map(|(k, v)| format!("{k} {}", brief(v)))
                .collect();
            match (tag, rest.is_empty()) {
                (Some(t), true) => t.to_string(),
                (Some(t), false) => format!("{t} ({})", rest.join(", ")),
                (None, _) => rest.join(", "),
            }
        }
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(brief).collect::<Vec<_>>().join(", ")
        ),
        other => json_text(other),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

pub(crate) fn environment(
    b: &Bench,
    labels: &BTreeMap<String, String>,
    link: Option<&str>,
) -> String {
    let runs = &b.stored.runs;
    // Workload keys: equal in every run's spec → held equal; otherwise varied.
    let mut keys: Vec<String> = Vec::new();
    for r in runs {
        if let Json::Object(m) = &r.spec.workload {
            for k in m.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    let mut equal = Vec::new();
    let mut varied = Vec::new();
    for k in &keys {
        let values: Vec<Option<&Json>> = runs.iter().map(|r| r.spec.workload.get(k)).collect();
        if values.windows(2).all(|w| w[0] == w[1]) {
            if let Some(Some(v)) = values.first() {
                equal.push(format!(
                    "<li><code>{}</code>: {}</li>",
                    esc(k),
                    esc(&b.paths.show(&brief(v)))
                ));
            }
        } else {
            let mut distinct: Vec<String> = values
                .iter()
                .map(|v| v.map_or_else(|| "absent".to_string(), brief))
                .collect();
            distinct.sort();
            distinct.dedup();
            varied.push(format!(
                "<li><code>{}</code>: {}</li>",
                esc(k),
                esc(&b.paths.show(&distinct.join("; ")))
            ));
        }
    }
    let mut s = format!(
        "{}<aside class=\"bb-env\" role=\"note\" aria-label=\"How {} was measured\"><p class=\"bb-env-title\"><strong>How this was measured: {}</strong></p><dl>",
        stale_note(b),
        esc_line(&b.decl.title),
        esc_line(&b.decl.title)
    );
    if !equal.is_empty() {
        let _ = write!(
            s,
            "<dt>Held equal (the same workload was given to every runner)</dt><dd><ul>{}</ul></dd>",
            equal.join("")
        );
    }
    if !varied.is_empty() {
        let _ = write!(s, "<dt>Varied</dt><dd><ul>{}</ul></dd>", varied.join(""));
    }
    // Runners: framework, version, threads, facts.
    let mut runner_items = Vec::new();
    for name in &b.decl.runners {
        let Some(rep) = runs
            .iter()
            .filter(|r| &r.runner == name)
            .find_map(|r| r.repetitions.first())
        else {
            continue;
        };
        let info = &rep.result.runner;
        let threads = info.threads.map_or(String::new(), |t| {
            format!(
                ", threads: {} intra-op, {} inter-op",
                t.intra_op, t.inter_op
            )
        });
        // The runner's own facts can be long (build configurations): folded, one per line.
        let facts: Vec<String> = rep
            .result
            .info
            .iter()
            .map(|(k, v)| {
                format!(
                    "<li>{}: {}</li>",
                    esc_line(k),
                    esc_line(&truncate(&b.paths.show(&brief(v)), 160))
                )
            })
            .collect();
        let facts = if facts.is_empty() {
            String::new()
        } else {
            format!(
                " <details class=\"bb-env-facts\"><summary>what the runner reported</summary><ul>{}</ul></details>",
                facts.join("")
            )
        };
        runner_items.push(format!(
            "<li><strong>{}</strong>: {} {}{}{}</li>",
            esc_line(labels.get(name).map_or(name.as_str(), String::as_str)),
            esc_line(&b.paths.show(&info.framework)),
            esc_line(&b.paths.show(&info.version)),
            esc_line(&threads),
            facts
        ));
    }
    if !runner_items.is_empty() {
        let _ = write!(
            s,
            "<dt>Runners</dt><dd><ul>{}</ul></dd>",
            runner_items.join("")
        );
    }
    let mut machines: Vec<String> = runs
        .iter()
        .map(|r| {
            let m = &r.machine;
            format!(
                "{}, {} cores, {} memory, {}, kernel {}",
                m.cpu_model,
                m.cores,
                filters::bytes(m.memory_bytes as f64),
                m.os,
                m.kernel
            )
        })
        .collect();
    machines.sort();
    machines.dedup();
    let _ = write!(
        s,
        "<dt>Machine</dt><dd>{}</dd>",
        machines
            .iter()
            .map(|m| esc_line(m))
            .collect::<Vec<_>>()
            .join("<br>")
    );
    let mut dates: Vec<&str> = runs.iter().map(|r| r.date.as_str()).collect();
    dates.sort();
    let date = match (dates.first(), dates.last()) {
        (Some(a), Some(z)) if a == z => a.to_string(),
        (Some(a), Some(z)) => format!("{a} to {z}"),
        _ => String::new(),
    };
    let mut reps: Vec<usize> = runs.iter().map(|r| r.repetitions.len()).collect();
    reps.sort();
    reps.dedup();
    let mut warm: Vec<u32> = runs.iter().map(|r| r.warmup).collect();
    warm.sort();
    warm.dedup();
    let list = |v: Vec<String>| v.join(" or ");
    let _ = write!(
        s,
        "<dt>Measured</dt><dd>{}; {} separate process{} per runner and point, after {} discarded warmup run{}</dd>",
        esc_line(&date),
        list(reps.iter().map(|r| r.to_string()).collect()),
        if reps == [1] { "" } else { "es" },
        list(warm.iter().map(|w| w.to_string()).collect()),
        if warm == [1] { "" } else { "s" }
    );
    // The order processes ran in: interleaved runners, or (older results) one after another.
    let interleaved = runs.iter().any(|r| {
        r.schedule
            .iter()
            .filter(|e| !e.starts_with("warmup "))
            .any(|e| *e != r.runner)
    });
    let order = if interleaved {
        "the runners' processes interleaved at each point (one of each in turn), after the warm-up processes of each; the order is stored with the result"
    } else if runs.iter().all(|r| r.schedule.is_empty()) && b.decl.runners.len() > 1 {
        "each runner's processes one after another (measured before benchbook interleaved runners)"
    } else {
        "one process after another"
    };
    let _ = write!(s, "<dt>Order</dt><dd>{}</dd>", esc_line(order));
    // What each timer covered, as the runners reported it (one line per metric and region).
    let mut regions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in runs {
        for rep in r.repetitions.iter().take(1) {
            for (metric, m) in &rep.result.metrics {
                let line = match m.warmup {
                    0 => m.region.clone(),
                    k => Some(format!(
                        "{}{k} leading sample{} of each process kept apart as one-off costs",
                        m.region
                            .as_ref()
                            .map_or(String::new(), |r| format!("{r}; ")),
                        if k == 1 { "" } else { "s" }
                    )),
                };
                if let Some(line) = line {
                    let list = regions.entry(metric.clone()).or_default();
                    if !list.contains(&line) {
                        list.push(line);
                    }
                }
            }
        }
    }
    if !regions.is_empty() {
        let items: Vec<String> = regions
            .iter()
            .map(|(metric, lines)| {
                format!(
                    "<li><code>{}</code>: {}</li>",
                    esc(metric),
                    esc_line(&b.paths.show(&lines.join(" | ")))
                )
            })
            .collect();
        let _ = write!(
            s,
            "<dt>What each timer covers, as the runners report it</dt><dd><ul>{}</ul></dd>",
            items.join("")
        );
    }
    // On a lesson the link leads to the provenance page; on that page, to the raw JSON.
    match link {
        Some(href) if href.ends_with(".json") => {
            let _ = write!(
                s,
                "<dt>Raw samples</dt><dd><a class=\"bb-measured-link\" href=\"{}\" download>stored result ({}.json)</a></dd>",
                esc(href),
                esc(&b.id)
            );
        }
        Some(href) => {
            let _ = write!(
                s,
                "<dt>Every process</dt><dd><a class=\"bb-measured-link\" href=\"{}\">per-process values, run order and the raw stored result</a></dd>",
                esc(href)
            );
        }
        None => {}
    }
    s.push_str("</dl></aside>");
    s
}

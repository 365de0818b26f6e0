//! What the expression walker (eval.rs) and the shortcodes (shortcodes/) both work with: the
//! [`Evaluator`]'s state, the values and errors of an evaluation, a call's [`Args`], a
//! resolved [`Bench`], a metric's per-process data, and small text helpers.
//!
//! Imports go one way: eval.rs uses the shortcodes' registry and markup, and both use this
//! module, which uses neither.

use super::expr::{Arg, Call, Literal, Span};
use super::filters::Filter;
use super::{DeclaredBenchmark, MergeContext};
use crate::model::Page;
use crate::results::{StoredBenchmark, StoredRun};
use crate::stats::{self, Summary};
use benchbook_protocol::{Better, Unit};
use serde_json::Value as Json;
use std::path::PathBuf;

/// Metrics that benchbook measures around every runner process.
pub const OUTSIDE_METRICS: [&str; 4] = ["wall_time", "cpu_user", "cpu_system", "peak_rss"];

pub(crate) struct EvalError {
    pub at: usize,
    pub message: String,
}

pub(crate) fn err<T>(at: usize, message: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Err(EvalError {
        at,
        message: message.into(),
    }))
}

/// Why evaluation stopped: an error in the page, or a benchmark whose run failed.
pub(crate) enum Stop {
    Err(EvalError),
    Failed { id: String, message: String },
}

impl From<EvalError> for Stop {
    fn from(e: EvalError) -> Self {
        Stop::Err(e)
    }
}

/// What an expression becomes.
pub(crate) enum Rendered {
    /// Inline text or HTML (or plain text in a quiz).
    Inline(String),
    /// Inline HTML, or a block when the expression stands alone on its line followed by a
    /// blank line (`verdict`).
    Flexible { inline: String, block: String },
    /// One line of block HTML that must stand alone on its line.
    Block(String),
}

/// A value before formatting.
pub(crate) enum Value {
    Number {
        value: f64,
        unit: Unit,
        default: Filter,
        /// Typical deviation ([`stats::Summary::spread`]) when the value is a noisy location
        /// (median, mean...).
        noisy: Option<f64>,
        stale: bool,
    },
    NotAvailable(&'static str),
    Text {
        text: String,
        stale: bool,
    },
    /// Inline HTML and its plain-text form (for quizzes); optionally a block form for when
    /// the expression stands alone on its line.
    Html {
        html: String,
        plain: String,
        block: Option<String>,
    },
    Block(String),
}

pub(crate) fn list_or_none<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let v: Vec<String> = items.into_iter().map(|s| format!("`{s}`")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

pub(crate) fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A metric of one run: the steady-state samples of each process (the unit of every
/// interval; see [`crate::stats`]), with its unit, direction and timed region.
pub(crate) struct PerProcess {
    pub unit: Unit,
    pub better: Option<Better>,
    /// One entry per process that reported the metric, in stored order: its samples after
    /// the leading warm-up ones the runner marked.
    pub processes: Vec<Vec<f64>>,
    /// What the runner's timer covered (the first region reported), if it said.
    pub region: Option<String>,
}

pub(crate) fn per_process(run: &StoredRun, metric: &str) -> Option<PerProcess> {
    let outside = |unit: Unit, f: &dyn Fn(&crate::results::Outside) -> f64| PerProcess {
        unit,
        better: unit.default_better(),
        processes: run
            .repetitions
            .iter()
            .map(|r| vec![f(&r.outside)])
            .collect(),
        region: Some("the whole runner process, measured from outside by benchbook".to_string()),
    };
    let found = match metric {
        "wall_time" => Some(outside(Unit::Seconds, &|o| o.wall_s)),
        "cpu_user" => Some(outside(Unit::Seconds, &|o| o.user_s)),
        "cpu_system" => Some(outside(Unit::Seconds, &|o| o.system_s)),
        "peak_rss" => Some(outside(Unit::Bytes, &|o| o.max_rss_bytes as f64)),
        _ => {
            let mut found: Option<PerProcess> = None;
            for rep in &run.repetitions {
                if let Some(m) = rep.result.metrics.get(metric) {
                    let p = found.get_or_insert(PerProcess {
                        unit: m.unit,
                        better: m.better(),
                        processes: Vec::new(),
                        region: m.region.clone(),
                    });
                    p.processes.push(m.steady().to_vec());
                }
            }
            found
        }
    };
    found.filter(|p| !p.processes.is_empty() && p.processes.iter().any(|s| !s.is_empty()))
}

/// A metric of one run, summarised.
pub(crate) struct MetricData {
    /// Identity for caches: (benchmark, run index, metric).
    pub key: super::SummaryKey,
    pub unit: Unit,
    pub better: Option<Better>,
    pub region: Option<String>,
    /// Equivalence margin of this benchmark's verdicts on this metric.
    pub margin: f64,
    pub summary: Summary,
}

/// The arguments of one call, checked against what the function accepts.
pub(crate) struct Args<'c> {
    pub(super) call: &'c Call,
}

impl<'c> Args<'c> {
    pub(crate) fn new(call: &'c Call, allowed: &[&str], required: &[&str]) -> Result<Self, Stop> {
        for a in &call.args {
            if !allowed.contains(&a.name.as_str()) {
                return err(
                    a.name_span.start,
                    format!(
                        "unknown argument `{}` of `{}`; expected one of: {}",
                        a.name,
                        call.name.name,
                        allowed.join(", ")
                    ),
                );
            }
        }
        for r in required {
            if !call.args.iter().any(|a| a.name == *r) {
                return err(
                    call.span.start,
                    format!(
                        "`{}` needs the argument `{r}`; its arguments: {}",
                        call.name.name,
                        allowed.join(", ")
                    ),
                );
            }
        }
        Ok(Args { call })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'c Arg> {
        self.call.args.iter().find(|a| a.name == name)
    }

    pub(crate) fn string(&self, name: &str) -> Result<Option<(String, Span)>, Stop> {
        match self.get(name) {
            None => Ok(None),
            Some(a) => match &a.value {
                Literal::Str(s) | Literal::Word(s) => Ok(Some((s.clone(), a.value_span))),
                other => err(
                    a.value_span.start,
                    format!("`{name}` must be a string, found {}", other.describe()),
                ),
            },
        }
    }

    pub(crate) fn strings(&self, name: &str) -> Result<Option<Vec<(String, Span)>>, Stop> {
        match self.get(name) {
            None => Ok(None),
            Some(a) => match &a.value {
                Literal::Str(s) | Literal::Word(s) => Ok(Some(vec![(s.clone(), a.value_span)])),
                Literal::List(items) if !items.is_empty() => items
                    .iter()
                    .map(|(l, span)| match l {
                        Literal::Str(s) | Literal::Word(s) => Ok((s.clone(), *span)),
                        other => err(
                            span.start,
                            format!("`{name}` must list strings, found {}", other.describe()),
                        ),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                other => err(
                    a.value_span.start,
                    format!(
                        "`{name}` must be a non-empty list of strings, found {}",
                        other.describe()
                    ),
                ),
            },
        }
    }

    pub(crate) fn number(&self, name: &str) -> Result<Option<(f64, Span)>, Stop> {
        match self.get(name) {
            None => Ok(None),
            Some(a) => match a.value {
                Literal::Num(n) => Ok(Some((n, a.value_span))),
                ref other => err(
                    a.value_span.start,
                    format!("`{name}` must be a number, found {}", other.describe()),
                ),
            },
        }
    }

    /// A string argument that must be one of `allowed` (checked against the call's text).
    pub(crate) fn choice(
        &self,
        name: &str,
        allowed: &[&str],
    ) -> Result<Option<(String, Span)>, Stop> {
        match self.string(name)? {
            Some((v, span)) if !allowed.contains(&v.as_str()) => err(
                span.start + 1,
                format!(
                    "unknown {name} `{v}` of `{}`; expected one of: {}",
                    self.call.name.name,
                    allowed.join(", ")
                ),
            ),
            other => Ok(other),
        }
    }

    pub(crate) fn boolean(&self, name: &str) -> Result<bool, Stop> {
        match self.get(name) {
            None => Ok(false),
            Some(a) => match a.value {
                Literal::Bool(b) => Ok(b),
                ref other => err(
                    a.value_span.start,
                    format!("`{name}` must be true or false, found {}", other.describe()),
                ),
            },
        }
    }

    pub(crate) fn numbers(&self, name: &str) -> Result<Option<Vec<f64>>, Stop> {
        match self.get(name) {
            None => Ok(None),
            Some(a) => match &a.value {
                Literal::List(items) if !items.is_empty() => items
                    .iter()
                    .map(|(l, span)| match l {
                        Literal::Num(n) => Ok(*n),
                        other => err(
                            span.start,
                            format!("`{name}` must list numbers, found {}", other.describe()),
                        ),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Literal::Num(n) => Ok(Some(vec![*n])),
                other => err(
                    a.value_span.start,
                    format!(
                        "`{name}` must be a list of numbers, found {}",
                        other.describe()
                    ),
                ),
            },
        }
    }
}

/// A benchmark resolved for one expression.
pub(crate) struct Bench<'a> {
    pub id: String,
    pub decl: &'a DeclaredBenchmark,
    pub stored: &'a StoredBenchmark,
    pub stale: bool,
    /// Rewrites the machine's absolute paths in text from the result ([`super::paths`]).
    pub paths: &'a super::paths::MachinePaths,
}

/// A comparison's identity: (first metric, second metric).
pub(crate) type ComparisonKey = (super::SummaryKey, super::SummaryKey);

/// The page's verdicts as one family, corrected together (Holm; see [`crate::stats`]).
#[derive(Debug, Clone)]
pub(crate) enum Family {
    /// First pass: note the p-value of every tested verdict on the page.
    Collect(Vec<(ComparisonKey, f64)>),
    /// Second pass: which claims survive, and how many verdicts were corrected together.
    Apply {
        keep: std::collections::HashMap<ComparisonKey, bool>,
        size: usize,
    },
}

impl Family {
    /// The decisions for what a first pass collected.
    pub(crate) fn decide(self) -> Family {
        match self {
            Family::Collect(tested) => {
                let p: Vec<f64> = tested.iter().map(|(_, p)| *p).collect();
                let keep = stats::holm(&p, stats::FAMILY_ALPHA);
                Family::Apply {
                    size: tested.len(),
                    keep: tested.into_iter().map(|(k, _)| k).zip(keep).collect(),
                }
            }
            apply => apply,
        }
    }

    /// Whether a first pass found any tested verdict.
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Family::Collect(v) => v.is_empty(),
            Family::Apply { size, .. } => *size == 0,
        }
    }
}

/// The evaluation of one page's expressions: what it reads and what it has found so far.
/// Its methods are in eval.rs (expressions, values, the inline functions that share its
/// resolution helpers) and in each shortcode's file.
pub(crate) struct Evaluator<'a> {
    pub(super) ctx: &'a MergeContext,
    pub(super) source: PathBuf,
    pub(super) listed: Vec<String>,
    /// `../` repeated to reach the output root from this page.
    pub(super) root_prefix: String,
    pub(super) charts: usize,
    pub(super) family: std::cell::RefCell<Family>,
    /// Whether comparisons made now are claims of the page (false while `ratio(...)`, which
    /// states a number, not a verdict, is evaluated).
    pub(super) claiming: std::cell::Cell<bool>,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(ctx: &'a MergeContext, page: &Page) -> Self {
        let depth = page.output.components().count().saturating_sub(1);
        Evaluator {
            ctx,
            source: page.source.clone(),
            listed: page.front.benchmarks.clone(),
            root_prefix: "../".repeat(depth),
            charts: 0,
            family: std::cell::RefCell::new(Family::Collect(Vec::new())),
            claiming: std::cell::Cell::new(true),
        }
    }

    /// The evaluator of a second pass, applying the decisions of a first pass's family.
    pub(crate) fn with_family(mut self, family: Family) -> Self {
        self.family = std::cell::RefCell::new(family);
        self
    }

    /// What this pass found (first pass) or applied (second pass).
    pub(crate) fn into_family(self) -> Family {
        self.family.into_inner()
    }
}

pub(crate) fn unit_name(u: Unit) -> &'static str {
    match u {
        Unit::Seconds => "seconds",
        Unit::Bytes => "bytes",
        Unit::ItemsPerSecond => "items/s",
        Unit::FlopsPerSecond => "FLOP/s",
        Unit::Fraction => "a fraction",
        Unit::Count => "a count",
        Unit::Plain => "plain numbers",
    }
}

/// A series as the median over repetitions at each x (every repetition must share the x
/// values). Non-finite values (a loss that became NaN) are left out of the median, and an x
/// where no repetition has a finite value is dropped. Returns x, y, unit and the x label.
pub(crate) fn median_series(
    run: &StoredRun,
    name: &str,
) -> Option<(Vec<f64>, Vec<f64>, Unit, String)> {
    let all: Vec<_> = run
        .repetitions
        .iter()
        .filter_map(|r| r.result.series.get(name))
        .collect();
    let first = *all.first()?;
    if all
        .iter()
        .any(|s| s.x != first.x || s.y.len() != first.x.len() || s.unit != first.unit)
    {
        return None;
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (i, &x) in first.x.iter().enumerate() {
        let at: Vec<f64> = all
            .iter()
            .map(|s| s.y[i])
            .filter(|y| y.is_finite())
            .collect();
        if let (true, Ok(m)) = (x.is_finite(), stats::median(&at)) {
            xs.push(x);
            ys.push(m);
        }
    }
    Some((xs, ys, first.unit, first.x_label.clone()))
}

/// The `name` argument of functions that read a classification or a score set: its value
/// (default `test`) and the offset errors about it point at.
pub(crate) fn name_arg(args: &Args, c: &Call) -> Result<(String, usize), Stop> {
    let name = args
        .string("name")?
        .map_or_else(|| "test".to_string(), |(n, _)| n);
    let at = args
        .get("name")
        .map_or(c.span.start, |a| a.value_span.start + 1);
    Ok((name, at))
}

//! The shortcodes and inline functions of the merge stage, registered in one table
//! ([`REGISTRY`]). The "unknown function" error, the list in the README (checked by a test
//! below) and the test suite's list ([`crate::merge::shortcode_names`]) all read it.
//!
//! Each block shortcode is one file here: its type implementing [`Shortcode`], its evaluation
//! (an `impl Evaluator` block: arguments, checks, every error message) and its markup; the
//! pieces they share are in `markup.rs`. So are the inline functions `margin`, `label`,
//! `measured`, `info` and `processes`; the others (verdicts and claims, series, probes,
//! classification) are still methods of the evaluator (src/merge/eval.rs) that share its
//! helpers, registered here by [`inline`]. What a shortcode works with (the [`Evaluator`],
//! `Args`, `Value`, `Stop`, `Bench`, text helpers) comes from src/merge/evaluator.rs, never
//! from eval.rs: eval.rs uses this registry, not the other way round.
//!
//! Adding one (see `processes.rs`): a file here with a type implementing [`Shortcode`], its
//! `mod` line and one line in [`REGISTRY`], its name in the README's list (the test below
//! says what to paste), and a case in tests/suite/shortcode_snapshots.rs.

mod bar_chart;
mod break_even;
mod confusion;
mod environment;
mod info;
mod label;
mod line_chart;
mod margin;
mod markup;
mod measured;
mod pr_curve;
mod probes;
mod processes;
mod table;

pub(crate) use bar_chart::*;
pub(crate) use confusion::*;
pub(crate) use environment::*;
pub(crate) use line_chart::*;
pub(crate) use markup::*;
pub(crate) use pr_curve::*;
pub(crate) use probes::*;
pub(crate) use table::*;

use super::evaluator::{Evaluator, Stop, Value};
use super::expr::Call;

/// Where a shortcode's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One line of block HTML that must stand alone on its line (tables, charts).
    Block,
    /// A value inside a sentence (or, for some, a block when alone on its line).
    Inline,
}

/// One shortcode or inline function: its name, where it goes, and how it evaluates its
/// arguments (checked by the evaluation itself, with every error message) to a value.
pub(crate) trait Shortcode: Sync {
    fn name(&self) -> &'static str;
    fn kind(&self) -> Kind;
    fn evaluate(&self, ev: &mut Evaluator<'_>, call: &Call) -> Result<Value, Stop>;
}

/// A shortcode whose evaluation is a method of the [`Evaluator`] (the ones that share its
/// argument helpers).
struct Method {
    name: &'static str,
    kind: Kind,
    eval: for<'e, 'a> fn(&'e mut Evaluator<'a>, &Call) -> Result<Value, Stop>,
}

impl Shortcode for Method {
    fn name(&self) -> &'static str {
        self.name
    }
    fn kind(&self) -> Kind {
        self.kind
    }
    fn evaluate(&self, ev: &mut Evaluator<'_>, call: &Call) -> Result<Value, Stop> {
        (self.eval)(ev, call)
    }
}

const fn inline(
    name: &'static str,
    eval: for<'e, 'a> fn(&'e mut Evaluator<'a>, &Call) -> Result<Value, Stop>,
) -> Method {
    Method {
        name,
        kind: Kind::Inline,
        eval,
    }
}

/// `ratio(a=..., b=...)` and `verdict(a=..., b=...)` compare two cells; without `a`/`b`
/// they compare the runners of one benchmark.
fn comparison_or_cells(ev: &mut Evaluator<'_>, c: &Call) -> Result<Value, Stop> {
    if c.args.iter().any(|a| a.name == "a" || a.name == "b") {
        ev.cell_comparison(c)
    } else {
        ev.comparison_fn(c)
    }
}

/// Every shortcode and inline function, in the order error messages and the README list
/// them.
pub(crate) static REGISTRY: &[&dyn Shortcode] = &[
    &table::Table,
    &bar_chart::BarChartShortcode,
    &line_chart::LineChartShortcode,
    &confusion::Confusion,
    &pr_curve::PrCurveShortcode,
    &environment::Environment,
    &probes::Probes,
    &margin::Margin,
    &break_even::BreakEven,
    &inline("series_last", |ev, c| ev.series_extreme(c)),
    &inline("series_min", |ev, c| ev.series_extreme(c)),
    &inline("series_max", |ev, c| ev.series_extreme(c)),
    &inline("verdicts_by", |ev, c| ev.verdicts_by(c)),
    &inline("verdict_changes", |ev, c| ev.verdicts_by(c)),
    &inline("claim", |ev, c| ev.claim(c)),
    &inline("accuracy", |ev, c| ev.accuracy(c)),
    &inline("predictions", |ev, c| ev.predictions(c)),
    &inline("same_predictions", |ev, c| ev.predictions(c)),
    &inline("verdict", comparison_or_cells),
    &inline("faster", |ev, c| ev.comparison_fn(c)),
    &inline("better", |ev, c| ev.comparison_fn(c)),
    &inline("is_faster", |ev, c| ev.comparison_fn(c)),
    &inline("is_better", |ev, c| ev.comparison_fn(c)),
    &inline("no_difference", |ev, c| ev.comparison_fn(c)),
    &inline("no_clear_difference", |ev, c| ev.comparison_fn(c)),
    &inline("no_practical_difference", |ev, c| ev.comparison_fn(c)),
    &inline("inconclusive", |ev, c| ev.comparison_fn(c)),
    &inline("ratio", comparison_or_cells),
    &measured::Measured,
    &label::Label,
    &inline("probe", |ev, c| ev.probe(c)),
    &inline("probe_is", |ev, c| ev.probe(c)),
    &inline("pr_at", |ev, c| ev.pr_at(c)),
    &inline("majority_accuracy", |ev, c| ev.majority_accuracy(c)),
    &info::Info,
    &processes::Processes,
];

/// The registered shortcode called `name`.
pub(crate) fn find(name: &str) -> Option<&'static dyn Shortcode> {
    REGISTRY.iter().copied().find(|s| s.name() == name)
}

/// Whether `name` is a block shortcode.
pub(crate) fn is_block(name: &str) -> bool {
    find(name).is_some_and(|s| s.kind() == Kind::Block)
}

/// The names of one kind, in registry order.
pub(crate) fn names(kind: Kind) -> Vec<&'static str> {
    REGISTRY
        .iter()
        .filter(|s| s.kind() == kind)
        .map(|s| s.name())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's generated list (between its `shortcodes` markers).
    fn readme_list() -> String {
        let list = |kind| {
            names(kind)
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        format!(
            "Block shortcodes: {}.\nInline functions: {}.\n",
            list(Kind::Block),
            list(Kind::Inline)
        )
    }

    const START: &str = "<!-- shortcodes: generated from src/merge/shortcodes/mod.rs -->\n";
    const END: &str = "<!-- /shortcodes -->";

    /// The README lists exactly the registered shortcodes, in registry order; on failure,
    /// paste the expected text between the markers.
    #[test]
    fn readme_lists_the_registry() {
        let readme = include_str!("../../../README.md");
        let (_, rest) = readme
            .split_once(START)
            .expect("README.md has the shortcodes start marker");
        let (list, _) = rest
            .split_once(END)
            .expect("README.md has the shortcodes end marker");
        assert_eq!(
            list,
            readme_list(),
            "README.md's list differs from REGISTRY"
        );
    }

    #[test]
    fn names_are_unique() {
        let mut all: Vec<&str> = REGISTRY.iter().map(|s| s.name()).collect();
        all.sort_unstable();
        let n = all.len();
        all.dedup();
        assert_eq!(all.len(), n);
    }
}

//! Markup shared by the shortcodes (failure boxes, badges, the table box, verdict text), from
//! data already resolved by the evaluator. Every function returns one line of HTML; every
//! result-derived string goes through [`esc`].

pub(crate) use crate::merge::charts::line::{Line, Point as LinePoint};

use crate::merge::evaluator::{json_text, Bench};
use crate::merge::filters;
use crate::merge::html::{esc, esc_line};
use crate::stats::{Comparison, Outcome, Side};
use benchbook_protocol::{Better, Unit};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// `<div class="bb-failed" role="alert">measurement failed: …</div>`.
pub(crate) fn failed_block(text: &str) -> String {
    format!(
        "<div class=\"bb-failed\" role=\"alert\">{}</div>",
        esc(text)
    )
}

/// The badge after a stale value.
pub(crate) const STALE_BADGE: &str = " <span class=\"bb-stale\" title=\"measured before this benchmark's declaration, its runner or the framework versions last changed\">stale</span>";

/// The badge after a noisy value, with its typical deviation ([`crate::stats::Summary::spread`]).
pub(crate) fn noisy_badge(spread: f64) -> String {
    format!(
        " <span class=\"bb-noisy\" title=\"processes typically {} from their median (scaled MAD; above {})\">noisy</span>",
        filters::percent(spread),
        filters::percent(crate::stats::NOISY_SPREAD)
    )
}

pub(crate) fn stale_note(b: &Bench) -> &'static str {
    if b.stale {
        "<p class=\"bb-stale-note\" role=\"note\"><span class=\"bb-stale\">stale</span> This result was measured before this benchmark's declaration, its runner or the framework versions last changed.</p>"
    } else {
        ""
    }
}

pub(crate) fn measured_link(link: Option<&str>) -> String {
    link.map_or_else(String::new, |href| {
        format!(
            " <a class=\"bb-measured-link\" href=\"{}\">how this was measured</a>",
            esc(href)
        )
    })
}

/// The box around a measured table: `div.bb-table-wrap` with `data-bb-label`, the name the
/// default theme's script gives the box (as a region) when its table is wider than the screen
/// and the box scrolls and takes the keyboard focus. Not a region in the markup: a page of
/// tables that fit would be full of landmarks, and the print edition of duplicate ones.
pub(crate) fn table_wrap(label: &str) -> String {
    format!(
        "<div class=\"bb-table-wrap\" data-bb-label=\"{}\">",
        esc_line(label)
    )
}

pub(crate) fn point_text(point: &BTreeMap<String, Json>) -> String {
    point
        .iter()
        .map(|(k, v)| format!("{k}={}", json_text(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The word for "better" in a verdict.
pub(crate) fn better_word(unit: Unit, better: Option<Better>) -> &'static str {
    match (unit, better) {
        (Unit::Seconds, Some(Better::Lower)) => "faster",
        (Unit::Bytes, Some(Better::Lower)) => "smaller",
        (Unit::ItemsPerSecond | Unit::FlopsPerSecond, Some(Better::Higher)) => "faster",
        (_, Some(Better::Lower)) => "lower",
        _ => "higher",
    }
}

/// The margin as readers see it: `±5%`.
pub(crate) fn margin_text(margin: f64) -> String {
    let pct = filters::percent(margin);
    format!("±{}", pct.replace(".0%", "%"))
}

/// "TensorFlow 1.42x faster (1.31x–1.50x)", "no practical difference (0.97x–1.02x, within
/// ±5%)", "inconclusive (...)", or why no verdict can be given (see [`crate::stats`]).
/// `a` and `b` are the display names of the compared runners. The text ends with its
/// details in parentheses (what the verdict box sets apart from the bold claim).
pub(crate) fn verdict_text(
    cmp: &Comparison,
    a: &str,
    b: &str,
    unit: Unit,
    better: Option<Better>,
) -> String {
    let name = |side: Side| if side == Side::A { a } else { b };
    let margin = margin_text(cmp.margin);
    let span = |ci: Option<crate::stats::Interval>| {
        ci.map_or_else(String::new, |ci| {
            format!("{}–{}", filters::ratio(ci.low), filters::ratio(ci.high))
        })
    };
    match cmp.outcome {
        Outcome::TooFew { a: na, b: nb } => format!(
            "too few runs for a verdict ({na} and {nb} processes; {} a side needed)",
            crate::stats::MIN_PROCESSES
        ),
        Outcome::Larger(side) => {
            let (f, fci, larger) = cmp.larger();
            debug_assert_eq!(side, larger);
            let (who, word) = match cmp.winner {
                Some(w) => (name(w), better_word(unit, better)),
                None => (name(larger), "higher"),
            };
            if cmp.exact {
                format!(
                    "{who} {} {word} (exact: every process measured the same value)",
                    filters::ratio(f)
                )
            } else {
                format!("{who} {} {word} ({})", filters::ratio(f), span(fci))
            }
        }
        Outcome::Equivalent if cmp.exact => format!(
            "no practical difference ({a} / {b} = {} exactly, within {margin})",
            filters::ratio(cmp.ratio)
        ),
        Outcome::Equivalent => format!(
            "no practical difference ({a} / {b} {}, within {margin})",
            span(cmp.ci)
        ),
        Outcome::Inconclusive if cmp.demoted => format!(
            "inconclusive ({a} / {b} {}; not clear once the {} verdicts of this page are corrected for together)",
            span(cmp.ci),
            cmp.family.unwrap_or(1)
        ),
        Outcome::Inconclusive => format!(
            "inconclusive ({a} / {b} {}, across the {margin} margin)",
            span(cmp.ci)
        ),
    }
}

pub(crate) fn opt_percent(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), filters::percent)
}

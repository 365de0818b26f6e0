//! Joins the `bench` stage to the `merge` stage inside a build: run (or reuse) the
//! benchmarks the pages name, then expand every page's expressions over the results.

use crate::bench::{self, BenchOutcome, BenchPolicy, RunStatus};
use crate::diagnostics::Diagnostics;
use crate::merge::{self, MergeContext};
use crate::model::{OutputFile, Site};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// What the measured part of a build adds to the output, and what became of each run (what
/// `check` reads).
#[derive(Debug, Default)]
pub struct Measured {
    /// Stored result files published beside the pages (`results/<id>.json`).
    pub files: Vec<OutputFile>,
    /// Benchmarks shown from results that no longer match their declaration or runner.
    pub stale: BTreeSet<String>,
    /// Things to tell the user (stale results used under `--frozen`, failed runs kept going).
    pub warnings: Vec<String>,
    /// The declared benchmarks that pages name, sorted (empty when the declarations do not
    /// load).
    pub used: Vec<String>,
    /// The declaration file of every benchmark, by id.
    pub sources: BTreeMap<String, PathBuf>,
    /// What became of every run of the used benchmarks ([`BenchOutcome::runs`]); empty when
    /// the bench stage could not run (its errors are in the diagnostics).
    pub runs: Vec<RunStatus>,
}

/// Ids of the benchmarks the pages of `site` name in their front matter, in order.
pub fn benchmarks_used(site: &Site) -> Vec<String> {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for page in site
        .pages
        .iter()
        .chain(site.sections.iter().map(|s| &s.index))
    {
        ids.extend(page.front.benchmarks.iter().cloned());
    }
    ids.into_iter().collect()
}

/// Run or reuse the benchmarks the pages use (per `policy`), then expand every page's
/// expressions in place. Content errors go to `diags`; faults that stop the build (a failed
/// run without `--keep-going`, a missing result under `--frozen`, Ctrl-C) are returned.
pub fn bench_and_merge(
    site: &mut Site,
    policy: &BenchPolicy,
    quiet: bool,
    diags: &mut Diagnostics,
) -> anyhow::Result<Measured> {
    let root = site.root.clone();
    let declarations = match bench::load_declarations(&root) {
        Ok(d) => d,
        Err(d) => {
            diags.extend(d);
            return Ok(Measured::default());
        }
    };
    let page_errors = bench::check_pages(site, &declarations);
    let used: Vec<String> = benchmarks_used(site)
        .into_iter()
        .filter(|id| declarations.iter().any(|d| &d.id == id))
        .collect();
    diags.extend(page_errors);
    let sources: BTreeMap<String, PathBuf> = declarations
        .iter()
        .map(|d| (d.id.clone(), d.source.clone()))
        .collect();
    if used.is_empty() {
        // Nothing to measure: expressions on pages still get their errors from merge.
        let outcome = BenchOutcome {
            declarations,
            ..Default::default()
        };
        expand_all(site, &context(&root, &outcome), diags);
        return Ok(Measured {
            sources,
            ..Default::default()
        });
    }
    let opts = bench::Options {
        quiet,
        verbose: false,
    };
    let outcome = match bench::prepare_declared(&root, declarations, policy, &used, opts) {
        Ok(o) => o,
        Err(e) => match e.downcast::<Diagnostics>() {
            Ok(d) => {
                // Broken result files: reported here, so nothing about freshness is known.
                diags.extend(d);
                return Ok(Measured {
                    used,
                    sources,
                    ..Default::default()
                });
            }
            Err(e) => return Err(e),
        },
    };
    let ctx = context(&root, &outcome);
    expand_all(site, &ctx, diags);
    site.provenance = merge::provenance::pages(&ctx);
    let mut warnings = outcome.warnings.clone();
    warnings.extend(
        outcome
            .failures
            .iter()
            .map(|f| format!("measurement failed: {}", f.message)),
    );
    Ok(Measured {
        files: ctx.result_copies(),
        stale: outcome.stale.clone(),
        warnings,
        used,
        sources,
        runs: outcome.runs.clone(),
    })
}

fn expand_all(site: &mut Site, ctx: &MergeContext, diags: &mut Diagnostics) {
    for page in site
        .pages
        .iter_mut()
        .chain(site.sections.iter_mut().map(|s| &mut s.index))
    {
        // Only `{{ … }}` is expanded: a page without one is left as it is.
        if page.body.contains("{{") {
            diags.extend(merge::expand(page, ctx));
        }
    }
}

/// The merge context of a bench outcome, with runner labels taken from the built-in runners'
/// own reports (so a command runner named `torch` that reports "source code" is still
/// labelled PyTorch).
fn context(root: &std::path::Path, outcome: &BenchOutcome) -> MergeContext {
    let mut ctx = MergeContext::from_outcome(root, outcome);
    for d in &outcome.declarations {
        let Some(stored) = outcome.results.get(&d.id) else {
            continue;
        };
        for run in &stored.runs {
            let builtin = d
                .runners
                .iter()
                .any(|r| r.name == run.runner && r.command.is_none());
            let Some(rep) = run.repetitions.first() else {
                continue;
            };
            if builtin && !ctx.runner_labels.contains_key(&run.runner) {
                let framework = &rep.result.runner.framework;
                let label = framework
                    .split(" (")
                    .next()
                    .unwrap_or(framework)
                    .to_string();
                ctx.runner_labels.insert(run.runner.clone(), label);
            }
        }
    }
    ctx
}

//! The bench stage: declarations → plan → run or reuse → stored results.
//!
//! `benchbook bench [ID...]` runs it on its own; `benchbook build` calls [`prepare`].
//! A stored run is reused while its fingerprint (declaration, runner, framework versions;
//! see [`plan::fingerprint`]) is unchanged. Stale and missing runs are measured one process
//! at a time; each benchmark's file is rewritten atomically as soon as one of its runs ends.
//! A failed run never replaces a stored one.

pub mod decl;
mod exec;
pub mod plan;
mod policy;
pub mod store;

use crate::setup;

pub use decl::{
    check_page_benchmarks, check_pages, load_declarations, Declaration, RunnerDecl, OUTSIDE_METRICS,
};
pub use exec::{interrupted, Guard};
pub use policy::{BenchPolicy, ResultPolicy};

use crate::diagnostics::Diagnostics;
use crate::error::{Interrupted, UsageError};
use crate::results::{Machine, Repetition, StoredBenchmark, StoredRun};
use exec::{Ended, Finished, Program};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plan::{describe, Planned, RunnerPrints, State};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

/// What a bench step leaves for the rest of the build.
#[derive(Debug, Clone, Default)]
pub struct BenchOutcome {
    /// Every declaration, sorted by file name.
    pub declarations: Vec<Declaration>,
    /// The stored result of every declaration that has one, by id, as now on disk.
    pub results: BTreeMap<String, StoredBenchmark>,
    /// Runs that failed this time (only with `--keep-going`; otherwise the step fails), and
    /// under `frozen` + `missing_ok` the runs that have no stored result.
    /// A failed run's previous good result, if any, is still in `results`.
    pub failures: Vec<Failure>,
    /// Things the user should know (stale results used under `--frozen`).
    pub warnings: Vec<String>,
    /// Benchmarks with a stored run in use that no longer matches its declaration or runner
    /// (kept under `--frozen`, or kept because its re-run failed).
    pub stale: BTreeSet<String>,
    /// Runs (runner × matrix point) measured now.
    pub ran: usize,
    /// Runs whose stored result was reused.
    pub reused: usize,
    /// Runner processes started (warmup included).
    pub processes: usize,
    /// What became of every planned run, in plan order: what `check` and `serve` read
    /// instead of the warning text.
    pub runs: Vec<RunStatus>,
}

/// One run (runner × matrix point) of a benchmark and what became of it in this step.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStatus {
    pub benchmark: String,
    pub runner: String,
    pub params: BTreeMap<String, Value>,
    pub state: RunState,
}

impl RunStatus {
    /// `<runner> on <id>[ {params}]`, as messages name a run.
    pub fn describe(&self) -> String {
        describe(&self.benchmark, &self.runner, &self.params)
    }
}

/// What became of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    /// Its stored result matches its fingerprint and was reused.
    Fresh,
    /// A stored result was used although it may not match (under `--frozen`); `why` says how.
    Stale { why: String },
    /// No stored result, and none was measured (`--frozen` with `missing_ok`).
    Missing,
    /// Measured now and stored.
    Measured,
    /// Measuring it failed now; `message` names the run and says why.
    Failed { message: String },
}

/// A run that failed: pages show "measurement failed" in its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub benchmark: String,
    pub runner: String,
    pub params: BTreeMap<String, Value>,
    /// `<runner> on <id> <params>: <what>` and the tail of its stderr.
    pub message: String,
}

impl BenchOutcome {
    /// The failure of `runner` on `benchmark` at `params`, if it failed this time.
    pub fn failure(
        &self,
        benchmark: &str,
        runner: &str,
        params: &BTreeMap<String, Value>,
    ) -> Option<&Failure> {
        self.failures
            .iter()
            .find(|f| f.benchmark == benchmark && f.runner == runner && &f.params == params)
    }
}

/// How much to say.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// No progress bar, no summary (errors and warnings still go to stderr).
    pub quiet: bool,
    /// Forward every runner's stderr.
    pub verbose: bool,
}

/// `benchbook bench [ID...]`. With `--keep-going`, every run is tried and the command still
/// exits 1 if any failed.
pub fn run(root: &Path, ids: &[String], policy: &BenchPolicy, opts: Options) -> anyhow::Result<()> {
    let outcome = prepare_with(root, policy, ids, opts)?;
    for w in &outcome.warnings {
        eprintln!("warning: {w}");
    }
    if !outcome.failures.is_empty() {
        anyhow::bail!(
            "{} run{} failed (the previous results, if any, are kept)",
            outcome.failures.len(),
            plural(outcome.failures.len())
        );
    }
    Ok(())
}

/// The bench step of `benchbook build`: load the declarations, then run or reuse the
/// benchmarks `ids` (all when empty) according to `policy`.
///
/// Errors: invalid declarations or stored results ([`Diagnostics`]), an unknown id
/// ([`UsageError`]), a missing result under `--frozen`, a failed run without
/// `--keep-going`, Ctrl-C ([`Interrupted`]).
pub fn prepare(
    root: &Path,
    policy: &BenchPolicy,
    ids: &[String],
    quiet: bool,
) -> anyhow::Result<BenchOutcome> {
    prepare_with(
        root,
        policy,
        ids,
        Options {
            quiet,
            verbose: false,
        },
    )
}

/// [`prepare`] with every option.
pub fn prepare_with(
    root: &Path,
    policy: &BenchPolicy,
    ids: &[String],
    opts: Options,
) -> anyhow::Result<BenchOutcome> {
    let decls = load_declarations(root)?;
    prepare_declared(root, decls, policy, ids, opts)
}

/// [`prepare`] for declarations already loaded.
pub fn prepare_declared(
    root: &Path,
    declarations: Vec<Declaration>,
    policy: &BenchPolicy,
    ids: &[String],
    opts: Options,
) -> anyhow::Result<BenchOutcome> {
    let unknown: Vec<&String> = ids
        .iter()
        .filter(|id| !declarations.iter().any(|d| &d.id == *id))
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = declarations.iter().map(|d| d.id.as_str()).collect();
        return Err(UsageError(format!(
            "no benchmark declared as {}; declared in benchmarks/*.yaml: {}",
            unknown
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ))
        .into());
    }
    let selected = |d: &Declaration| ids.is_empty() || ids.contains(&d.id);

    // What is stored. A broken file is an error unless it is about to be re-measured.
    let mut stored: BTreeMap<String, StoredBenchmark> = BTreeMap::new();
    let mut diags = Diagnostics::new();
    for d in &declarations {
        match store::load(root, &d.id) {
            Ok(Some(s)) => {
                stored.insert(d.id.clone(), s);
            }
            Ok(None) => {}
            Err(_) if policy.results == ResultPolicy::Rerun && selected(d) => {}
            Err(diag) => diags.push(diag),
        }
    }
    if !diags.is_empty() {
        return Err(diags.into());
    }

    let mut prints = RunnerPrints::default();
    let rerun = policy.results == ResultPolicy::Rerun;
    let plans: Vec<(usize, Vec<Planned>)> = declarations
        .iter()
        .enumerate()
        .filter(|(_, d)| selected(d))
        .map(|(i, d)| {
            let p = plan::plan(root, d, stored.get(&d.id), rerun, &mut prints);
            (i, p)
        })
        .collect();

    let mut outcome = BenchOutcome {
        declarations: Vec::new(),
        results: BTreeMap::new(),
        ..Default::default()
    };
    match policy.results {
        ResultPolicy::Frozen => {
            frozen(&declarations, &plans, &mut outcome, policy.missing_ok, opts)?
        }
        ResultPolicy::Reuse | ResultPolicy::Rerun => measure(
            root,
            &declarations,
            &plans,
            &mut stored,
            policy,
            opts,
            &mut outcome,
        )?,
    }
    outcome.declarations = declarations;
    outcome.results = stored;
    Ok(outcome)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `--frozen`: never run; fail listing every missing result, warn about stale ones.
/// With `missing_ok` (serve, check) a missing result is a [`Failure`] of its run instead.
fn frozen(
    decls: &[Declaration],
    plans: &[(usize, Vec<Planned>)],
    outcome: &mut BenchOutcome,
    missing_ok: bool,
    opts: Options,
) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    for (i, runs) in plans {
        let d = &decls[*i];
        for p in runs {
            let what = describe(&d.id, &p.runner.name, &p.params);
            let state = match (&p.state, &p.fingerprint) {
                (State::Missing, _) if missing_ok => {
                    outcome.failures.push(Failure {
                        benchmark: d.id.clone(),
                        runner: p.runner.name.clone(),
                        params: p.params.clone(),
                        message: format!(
                            "{what}: no stored result (not measured yet; `benchbook bench {}` measures it)",
                            d.id
                        ),
                    });
                    RunState::Missing
                }
                (State::Missing, _) => {
                    missing.push(what);
                    continue;
                }
                (State::Fresh, _) => {
                    outcome.reused += 1;
                    RunState::Fresh
                }
                (State::Stale, fingerprint) => {
                    outcome.reused += 1;
                    outcome.stale.insert(d.id.clone());
                    let why = match fingerprint {
                        Err(e) => format!("cannot tell whether the stored result is fresh ({e})"),
                        Ok(_) => "the stored result is stale (its declaration or runner changed)"
                            .to_string(),
                    };
                    outcome
                        .warnings
                        .push(format!("{what}: {why}; using it (--frozen)"));
                    RunState::Stale { why }
                }
            };
            outcome.runs.push(RunStatus {
                benchmark: d.id.clone(),
                runner: p.runner.name.clone(),
                params: p.params.clone(),
                state,
            });
        }
    }
    if !missing.is_empty() {
        // Callers print `outcome.warnings`; this one has no outcome to return.
        for w in &outcome.warnings {
            eprintln!("warning: {w}");
        }
        anyhow::bail!(
            "--frozen: {} needed result{} missing (nothing was run; `benchbook bench` measures them):\n  {}",
            missing.len(),
            if missing.len() == 1 { " is" } else { "s are" },
            missing.join("\n  ")
        );
    }
    if !opts.quiet {
        eprintln!(
            "bench: frozen, reused {} result{}{}",
            outcome.reused,
            plural(outcome.reused),
            if outcome.warnings.is_empty() {
                String::new()
            } else {
                format!(" ({} stale)", outcome.warnings.len())
            }
        );
    }
    Ok(())
}

/// Why a run did not produce a result.
enum RunError {
    Failed(String),
    Interrupted,
}

/// Run every stale or missing run, one process at a time, saving as results come.
fn measure(
    root: &Path,
    decls: &[Declaration],
    plans: &[(usize, Vec<Planned>)],
    stored: &mut BTreeMap<String, StoredBenchmark>,
    policy: &BenchPolicy,
    opts: Options,
    outcome: &mut BenchOutcome,
) -> anyhow::Result<()> {
    let total: u64 = plans
        .iter()
        .flat_map(|(i, runs)| {
            let d = &decls[*i];
            runs.iter()
                .filter(|p| p.state != State::Fresh)
                .map(move |_| u64::from(d.warmup + d.repetitions))
        })
        .sum();
    let started = Instant::now();
    let bar = if opts.quiet || total == 0 {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:25}] {pos}/{len} processes  {msg}  (ETA {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        // Long runs report nothing for minutes; keep the spinner and the clock moving.
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    };
    let say = |line: String| {
        if opts.quiet {
        } else if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    let _guard = if total > 0 {
        Some(exec::Guard::new()?)
    } else {
        None
    };
    let mut programs: HashMap<String, Result<(Program, Vec<String>), String>> = HashMap::new();
    let mut machine: Option<Machine> = None;
    let mut stop = false;

    for (i, runs) in plans {
        let d = &decls[*i];
        let mut file = stored
            .get(&d.id)
            .cloned()
            .unwrap_or_else(|| StoredBenchmark {
                id: d.id.clone(),
                title: d.title.clone(),
                runs: Vec::new(),
            });
        outcome.reused += runs.iter().filter(|p| p.state == State::Fresh).count();
        for p in runs.iter().filter(|p| p.state == State::Fresh) {
            outcome.runs.push(RunStatus {
                benchmark: d.id.clone(),
                runner: p.runner.name.clone(),
                params: p.params.clone(),
                state: RunState::Fresh,
            });
        }
        // The stale runs of one matrix point run together, interleaved.
        let mut groups: Vec<Vec<&Planned>> = Vec::new();
        for p in runs.iter().filter(|p| p.state != State::Fresh) {
            match groups.iter_mut().find(|g| g[0].params == p.params) {
                Some(g) => g.push(p),
                None => groups.push(vec![p]),
            }
        }
        for group in groups {
            if stop {
                continue;
            }
            let mut members = Vec::new();
            let mut results: Vec<(&Planned, Result<StoredRun, RunError>)> = Vec::new();
            for p in group {
                // Provisioning a built-in runner may download and build: keep its output
                // clear of the bar.
                let program =
                    bar.suspend(|| program_for(root, &p.runner, &mut programs, opts.quiet));
                if exec::interrupted() {
                    bar.finish_and_clear();
                    return Err(Interrupted.into());
                }
                match (&p.fingerprint, program) {
                    (Err(e), _) => results.push((p, Err(RunError::Failed(e.clone())))),
                    (_, Err(e)) => results.push((p, Err(RunError::Failed(e)))),
                    (Ok(fp), Ok((prog, command))) => members.push(Member {
                        planned: p,
                        fingerprint: fp.clone(),
                        program: prog,
                        command,
                    }),
                }
            }
            // Failed before starting: their processes will not run.
            let skipped: u64 = results.len() as u64 * u64::from(d.warmup + d.repetitions);
            bar.inc(skipped);
            if !members.is_empty() {
                let m = machine.get_or_insert_with(store::machine).clone();
                results.extend(run_group(d, &members, m, &bar, &say, opts, outcome));
            }
            for (p, result) in results {
                let what = describe(&d.id, &p.runner.name, &p.params);
                match result {
                    Ok(run) => {
                        outcome.ran += 1;
                        outcome.runs.push(RunStatus {
                            benchmark: d.id.clone(),
                            runner: p.runner.name.clone(),
                            params: p.params.clone(),
                            state: RunState::Measured,
                        });
                        say(format!(
                            "bench: {what}: {} repetition{} measured",
                            run.repetitions.len(),
                            plural(run.repetitions.len())
                        ));
                        file.title = d.title.clone();
                        file.runs = merged(runs, &file.runs, Some(run));
                        store::save(root, &file)?;
                        stored.insert(d.id.clone(), file.clone());
                    }
                    Err(RunError::Interrupted) => {
                        bar.finish_and_clear();
                        return Err(Interrupted.into());
                    }
                    Err(RunError::Failed(why)) => {
                        let message = format!("{what}: {why}");
                        bar.suspend(|| {
                            eprintln!(
                                "{}: {message}",
                                if policy.keep_going {
                                    "warning"
                                } else {
                                    "error"
                                }
                            )
                        });
                        let kept = plan::find_run(Some(&file), &p.runner.name, &p.params);
                        if kept.is_some_and(|r| p.fingerprint.as_ref() != Ok(&r.fingerprint)) {
                            outcome.stale.insert(d.id.clone());
                        }
                        outcome.runs.push(RunStatus {
                            benchmark: d.id.clone(),
                            runner: p.runner.name.clone(),
                            params: p.params.clone(),
                            state: RunState::Failed {
                                message: message.clone(),
                            },
                        });
                        outcome.failures.push(Failure {
                            benchmark: d.id.clone(),
                            runner: p.runner.name.clone(),
                            params: p.params.clone(),
                            message,
                        });
                        if !policy.keep_going {
                            stop = true;
                        }
                    }
                }
            }
        }
        // Keep the file in step with the declaration (title, runs no longer declared),
        // without ever dropping a declared run's stored result.
        if stored.contains_key(&d.id) {
            let tidy = StoredBenchmark {
                id: d.id.clone(),
                title: d.title.clone(),
                runs: merged(runs, &file.runs, None),
            };
            if tidy != file {
                store::save(root, &tidy)?;
                stored.insert(d.id.clone(), tidy);
            }
        }
    }
    bar.finish_and_clear();
    if !opts.quiet {
        eprintln!(
            "bench: ran {} run{} ({} process{}) in {:.1} s, reused {}, failed {}",
            outcome.ran,
            plural(outcome.ran),
            outcome.processes,
            if outcome.processes == 1 { "" } else { "es" },
            started.elapsed().as_secs_f64(),
            outcome.reused,
            outcome.failures.len()
        );
    }
    if stop {
        let n = outcome.failures.len();
        anyhow::bail!(
            "{n} benchmark run{} failed; the previous results are kept (--keep-going measures the rest)",
            plural(n)
        );
    }
    Ok(())
}

/// The runs to store for `d`, in plan order: `new` where it belongs, the stored run
/// elsewhere; runs of points or runners no longer declared are dropped.
fn merged(plan: &[Planned], old: &[StoredRun], new: Option<StoredRun>) -> Vec<StoredRun> {
    plan.iter()
        .filter_map(|p| {
            let same = |r: &&StoredRun| r.runner == p.runner.name && r.params == p.params;
            new.as_ref()
                .filter(|n| same(n))
                .or_else(|| old.iter().find(same))
                .cloned()
        })
        .collect()
}

/// The program of a runner (provisioned once per step for built-ins), and the command
/// recorded with its results (paths under the root made relative).
fn program_for(
    root: &Path,
    runner: &RunnerDecl,
    cache: &mut HashMap<String, Result<(Program, Vec<String>), String>>,
    quiet: bool,
) -> Result<(Program, Vec<String>), String> {
    // Keyed by name and command: two declarations may give one name to different programs.
    cache
        .entry(serde_json::to_string(runner).unwrap_or_default())
        .or_insert_with(|| {
            let (program, args, env) = match &runner.command {
                None => {
                    let p = setup::ensure_runner(root, &runner.name, quiet).map_err(|e| {
                        format!("cannot provide the `{}` runner: {e:#}", runner.name)
                    })?;
                    (p.program, p.args, p.env)
                }
                Some(cmd) => {
                    let program = exec::resolve_program(root, &cmd[0])
                        .ok_or_else(|| format!("cannot find the program `{}`", cmd[0]))?;
                    (program, cmd[1..].to_vec(), Vec::new())
                }
            };
            let mut command = vec![shown_path(root, &program)];
            command.extend(args.iter().cloned());
            Ok((
                Program {
                    program,
                    args,
                    env,
                    cwd: root.to_path_buf(),
                },
                command,
            ))
        })
        .clone()
}

/// A program path as recorded in results: relative under the root, `~/...` under the home
/// directory (the runners' cache), absolute otherwise.
fn shown_path(root: &Path, program: &Path) -> String {
    if let Ok(rel) = program.strip_prefix(root) {
        return rel.display().to_string();
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        if let Ok(rel) = program.strip_prefix(&home) {
            return format!("~/{}", rel.display());
        }
    }
    program.display().to_string()
}

/// A runner ready to measure at one matrix point.
struct Member<'p> {
    planned: &'p Planned,
    fingerprint: String,
    program: Program,
    command: Vec<String>,
}

/// The runs of one matrix point, measured together: every runner's warm-up processes, then
/// their measured processes interleaved (A B A B ...), each in its own process, so that a
/// drift of the machine falls on both sides alike. A runner whose process fails drops out;
/// the others go on. Returns each member's run or failure, in member order.
fn run_group<'p>(
    d: &Declaration,
    members: &[Member<'p>],
    machine: Machine,
    bar: &ProgressBar,
    say: &(dyn Fn(String) + Sync),
    opts: Options,
    outcome: &mut BenchOutcome,
) -> Vec<(&'p Planned, Result<StoredRun, RunError>)> {
    let timeout = Duration::from_secs_f64(d.timeout_s);
    let per_member = u64::from(d.warmup + d.repetitions);
    let mut inputs = Vec::new();
    for m in members {
        inputs.push(serde_json::to_vec(&m.planned.spec).map_err(|e| e.to_string()));
    }
    let mut failed: Vec<Option<RunError>> = inputs
        .iter()
        .map(|i| i.as_ref().err().map(|e| RunError::Failed(e.clone())))
        .collect();
    let mut kept: Vec<Vec<Repetition>> = members.iter().map(|_| Vec::new()).collect();
    let mut discarded: Vec<Vec<Repetition>> = members.iter().map(|_| Vec::new()).collect();
    let mut done: Vec<u64> = vec![0; members.len()];
    let mut schedule = Vec::new();
    let rounds = (0..d.warmup)
        .map(|k| (true, k))
        .chain((0..d.repetitions).map(|k| (false, k)));
    'rounds: for (warm, k) in rounds {
        for (i, m) in members.iter().enumerate() {
            if failed[i].is_some() {
                continue;
            }
            if exec::interrupted() {
                failed[i] = Some(RunError::Interrupted);
                break 'rounds;
            }
            let runner = m.planned.runner.name.as_str();
            let label = format!("{} · {runner}{}", d.id, plan::fmt_params(&m.planned.params));
            bar.set_message(if warm {
                format!("{label} · warmup {}/{}", k + 1, d.warmup)
            } else {
                format!("{label} · repetition {}/{}", k + 1, d.repetitions)
            });
            let forward = |line: &str| {
                if opts.verbose {
                    say(format!("  {runner}| {line}"));
                }
            };
            outcome.processes += 1;
            let input = inputs[i].as_deref().unwrap_or_default();
            let finished = exec::run(&m.program, input, timeout, &forward);
            bar.inc(1);
            done[i] += 1;
            let checked = match finished {
                Err(e) => Err(RunError::Failed(format!(
                    "cannot start `{}`: {e}",
                    m.program.program.display()
                ))),
                Ok(f) => check(d, f),
            };
            match checked {
                Ok(mut rep) => {
                    rep.sequence = Some(schedule.len());
                    schedule.push(if warm {
                        format!("warmup {runner}")
                    } else {
                        runner.to_string()
                    });
                    if warm {
                        discarded[i].push(rep);
                    } else {
                        kept[i].push(rep);
                    }
                }
                Err(RunError::Interrupted) => {
                    failed[i] = Some(RunError::Interrupted);
                    break 'rounds;
                }
                Err(e) => {
                    bar.inc(per_member - done[i]);
                    failed[i] = Some(e);
                }
            }
        }
    }
    let interrupted = failed
        .iter()
        .any(|f| matches!(f, Some(RunError::Interrupted)));
    let date = store::now_rfc3339();
    members
        .iter()
        .zip(failed)
        .zip(kept.into_iter().zip(discarded))
        .map(|((m, failure), (repetitions, discarded))| {
            let result = match failure {
                _ if interrupted => Err(RunError::Interrupted),
                Some(e) => Err(e),
                None => Ok(StoredRun {
                    runner: m.planned.runner.name.clone(),
                    params: m.planned.params.clone(),
                    fingerprint: m.fingerprint.clone(),
                    date: date.clone(),
                    command: m.command.clone(),
                    machine: machine.clone(),
                    spec: m.planned.spec.clone(),
                    warmup: d.warmup,
                    repetitions,
                    discarded,
                    schedule: schedule.clone(),
                }),
            };
            (m.planned, result)
        })
        .collect()
}

/// Whether one process produced a good result: exit 0 and exactly one valid result with
/// every declared metric. Keeps only the declared metrics.
fn check(d: &Declaration, f: Finished) -> Result<Repetition, RunError> {
    let with_tail = |what: String| {
        if f.stderr_tail.trim().is_empty() {
            RunError::Failed(format!("{what} (stderr was empty)"))
        } else {
            let tail: Vec<String> = f.stderr_tail.lines().map(|l| format!("  | {l}")).collect();
            RunError::Failed(format!(
                "{what}; the end of its stderr:\n{}",
                tail.join("\n")
            ))
        }
    };
    let text = String::from_utf8_lossy(&f.stdout);
    let parsed = if text.trim().is_empty() {
        Err("printed no result on stdout".to_string())
    } else if f.stdout_truncated {
        Err("printed more than 512 MiB on stdout".to_string())
    } else {
        benchbook_protocol::parse_result(text.trim())
            .map_err(|e| format!("printed an invalid result ({e})"))
    };
    match f.ended {
        Ended::Interrupted => return Err(RunError::Interrupted),
        Ended::TimedOut => {
            return Err(with_tail(format!(
                "timed out after {} s (its process group was killed)",
                d.timeout_s
            )))
        }
        Ended::Signaled(sig) => {
            return Err(with_tail(format!(
                "was killed by {}",
                exec::signal_name(sig)
            )))
        }
        Ended::Exited(code) if code != 0 => {
            return Err(with_tail(if parsed.is_ok() {
                format!("printed a valid result but exited with status {code}")
            } else {
                format!("exited with status {code}")
            }))
        }
        Ended::Exited(_) => {}
    }
    let mut result = parsed.map_err(|e| with_tail(format!("exited 0 but {e}")))?;
    if let Some(keep) = &d.metrics {
        let missing: Vec<&str> = keep
            .iter()
            .map(String::as_str)
            .filter(|m| !OUTSIDE_METRICS.contains(m) && !result.metrics.contains_key(*m))
            .collect();
        if !missing.is_empty() {
            let reported: Vec<&str> = result.metrics.keys().map(String::as_str).collect();
            return Err(with_tail(format!(
                "its result lacks the declared metric{} {} (it reported: {})",
                plural(missing.len()),
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if reported.is_empty() {
                    "none".to_string()
                } else {
                    reported.join(", ")
                }
            )));
        }
        result.metrics.retain(|name, _| keep.contains(name));
    }
    Ok(Repetition {
        sequence: None,
        outside: f.outside,
        result,
    })
}

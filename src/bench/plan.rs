//! Planning: every (runner, matrix point) of a declaration, its spec, its fingerprint, and
//! whether the stored result is fresh.

use super::decl::{Declaration, RunnerDecl};
use super::exec::resolve_program;
use crate::results::{StoredBenchmark, StoredRun};
use crate::setup;
use benchbook_protocol::{Spec, PROTOCOL_VERSION};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// How a planned run relates to what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// A stored run with the same fingerprint exists.
    Fresh,
    /// A stored run exists but its fingerprint differs (or cannot be computed).
    Stale,
    /// Nothing is stored for this runner and point.
    Missing,
}

/// One (runner, matrix point) of a declaration.
#[derive(Debug, Clone)]
pub struct Planned {
    pub runner: RunnerDecl,
    pub params: BTreeMap<String, Value>,
    pub spec: Spec,
    /// `Err` when the runner's fingerprint cannot be computed (e.g. its program is missing).
    pub fingerprint: Result<String, String>,
    pub state: State,
}

/// Fingerprints of runners, computed once per bench step.
#[derive(Default)]
pub struct RunnerPrints(HashMap<String, Result<String, String>>);

impl RunnerPrints {
    /// The fingerprint of a runner's program: for a built-in, what `setup` says (its source
    /// and framework versions); for a command, the command and the bytes of its program and
    /// of every argument that names a file under the root.
    pub fn get(&mut self, root: &Path, runner: &RunnerDecl) -> Result<String, String> {
        let key = serde_json::to_string(runner).unwrap_or_default();
        self.0
            .entry(key)
            .or_insert_with(|| runner_print(root, runner))
            .clone()
    }
}

fn runner_print(root: &Path, runner: &RunnerDecl) -> Result<String, String> {
    let Some(command) = &runner.command else {
        return setup::runner_fingerprint(root, &runner.name).map_err(|e| format!("{e:#}"));
    };
    let mut h = Sha256::new();
    h.update(b"command\0");
    h.update(serde_json::to_string(command).unwrap_or_default());
    let program = resolve_program(root, &command[0])
        .ok_or_else(|| format!("cannot find the program `{}`", command[0]))?;
    hash_file(&mut h, &program)?;
    for arg in &command[1..] {
        let p = root.join(arg);
        if !arg.is_empty() && p.is_file() {
            h.update(b"\0file\0");
            h.update(arg.as_bytes());
            hash_file(&mut h, &p)?;
        }
    }
    Ok(hex::encode(h.finalize()))
}

fn hash_file(h: &mut Sha256, path: &Path) -> Result<(), String> {
    let mut f =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    std::io::copy(&mut f, h).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(())
}

/// A JSON value with every object's keys sorted (canonical for hashing and storing).
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, Value> =
                m.iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The spec a runner receives at one matrix point: the workload with the params merged in.
pub fn spec_for(decl: &Declaration, runner: &str, params: &BTreeMap<String, Value>) -> Spec {
    let mut workload = decl.workload.clone();
    for (k, v) in params {
        workload.insert(k.clone(), v.clone());
    }
    Spec {
        protocol: PROTOCOL_VERSION,
        benchmark: decl.id.clone(),
        runner: runner.to_string(),
        params: params.clone(),
        workload: canonical(&Value::Object(workload)),
    }
}

/// sha256 over what decides a run's numbers: protocol, spec (workload and params), runner
/// (name, command and its program's fingerprint), repetitions, warmup, kept metrics, and the
/// bytes of every file under the root that a workload text names (a data file).
/// Title, description, timeout and `compare` do not make a result stale.
pub fn fingerprint(
    root: &Path,
    decl: &Declaration,
    runner: &RunnerDecl,
    spec: &Spec,
    runner_print: &str,
) -> String {
    let doc = canonical(&json!({
        "protocol": PROTOCOL_VERSION,
        "spec": spec,
        "runner": runner,
        "runner_fingerprint": runner_print,
        "repetitions": decl.repetitions,
        "warmup": decl.warmup,
        "metrics": decl.metrics,
    }));
    let mut h = Sha256::new();
    h.update(doc.to_string().as_bytes());
    let mut files = Vec::new();
    named_files(root, &spec.workload, &mut files);
    files.sort();
    files.dedup();
    for f in files {
        h.update(b"\0file\0");
        h.update(f.as_bytes());
        // A file that vanished between the check and the read still changes the hash.
        if hash_file(&mut h, &root.join(&f)).is_err() {
            h.update(b"unreadable");
        }
    }
    hex::encode(h.finalize())
}

/// Texts in a workload that name a file under the root (relative, no `..`), and the files
/// under a folder it names (without hidden entries and `target/` folders: build output).
fn named_files(root: &Path, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let p = Path::new(s);
            let inside = p.is_relative()
                && p.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)));
            if s.is_empty() || !inside {
                return;
            }
            let full = root.join(p);
            if full.is_file() {
                out.push(s.clone());
            } else if full.is_dir() {
                let files = walkdir::WalkDir::new(&full)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_entry(|e| {
                        let n = e.file_name().to_string_lossy();
                        e.depth() == 0
                            || !(n.starts_with('.') || n == "target" || n == "node_modules")
                    })
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_file());
                for f in files {
                    if let Ok(rel) = f.path().strip_prefix(root) {
                        out.push(rel.to_string_lossy().replace('\\', "/"));
                    }
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| named_files(root, i, out)),
        Value::Object(m) => m.values().for_each(|i| named_files(root, i, out)),
        _ => {}
    }
}

/// Every run of `decl`, points outside, runners inside (so runners alternate per point).
pub fn plan(
    root: &Path,
    decl: &Declaration,
    stored: Option<&StoredBenchmark>,
    rerun: bool,
    prints: &mut RunnerPrints,
) -> Vec<Planned> {
    let mut out = Vec::new();
    for params in decl.points() {
        for runner in &decl.runners {
            let spec = spec_for(decl, &runner.name, &params);
            let fp = prints
                .get(root, runner)
                .map(|rp| fingerprint(root, decl, runner, &spec, &rp));
            let state = match find_run(stored, &runner.name, &params) {
                None => State::Missing,
                Some(r) if !rerun && fp.as_deref() == Ok(r.fingerprint.as_str()) => State::Fresh,
                Some(_) => State::Stale,
            };
            out.push(Planned {
                runner: runner.clone(),
                params: params.clone(),
                spec,
                fingerprint: fp,
                state,
            });
        }
    }
    out
}

/// The stored run of `runner` at `params`, if any.
pub fn find_run<'a>(
    stored: Option<&'a StoredBenchmark>,
    runner: &str,
    params: &BTreeMap<String, Value>,
) -> Option<&'a StoredRun> {
    stored?
        .runs
        .iter()
        .find(|r| r.runner == runner && &r.params == params)
}

/// `{batch_size=32, threads=1}`, or nothing without a matrix.
pub fn fmt_params(params: &BTreeMap<String, Value>) -> String {
    if params.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = params
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    format!(" {{{}}}", parts.join(", "))
}

/// `torch on mlp_digits {threads=1}`.
pub fn describe(id: &str, runner: &str, params: &BTreeMap<String, Value>) -> String {
    format!("{runner} on {id}{}", fmt_params(params))
}

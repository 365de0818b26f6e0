//! Benchmark declarations: `benchmarks/*.yaml`, validated with every error in one pass.
//!
//! ```yaml
//! id: mlp_digits              # optional, defaults to the file stem; [a-z0-9_]+, unique
//! title: MLP on digits
//! description: ...
//! runners: [torch, tensorflow, {name: mine, command: [bin/my-runner, --fast]}]
//! workload: {task: train, ...} # opaque, handed to the runner
//! matrix: {threads: [1, 2]}    # cartesian product; each point merged into the workload
//! repetitions: 10              # measured processes per run (default 10 with a compared
//!                              # pair of runners, else 3)
//! warmup: 1                    # discarded processes per runner and point (default 1)
//! timeout: 600                 # seconds per process (default 600)
//! metrics: [step_time]         # runner metrics to keep (default: all it reports)
//! compare: [torch, tensorflow] # the pair compared in verdicts (default: the first two)
//! margin: 0.05                 # equivalence margin of verdicts (±5%, the default), or
//!                              # {default: 0.05, model_size: 0.01} per metric
//! ```
//!
//! The processes of a benchmark's runners run interleaved at each matrix point (warm-up
//! processes of every runner first, then A B A B ...), so that a drift of the machine is
//! shared by both sides instead of becoming a difference between them.

use crate::diagnostics::Diagnostics;
use crate::model::Site;
use crate::yamlpos::{kind_of, split_error_in, Fields, Positions};
use serde::Serialize;
use serde_json::Value;
use serde_yaml::Value as Yaml;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Metrics measured by benchbook from outside every runner process; always available.
pub const OUTSIDE_METRICS: &[&str] = &["wall_time", "cpu_user", "cpu_system", "peak_rss"];

/// Keys a declaration may have.
pub const ALLOWED_KEYS: &[&str] = &[
    "id",
    "title",
    "description",
    "runners",
    "workload",
    "matrix",
    "repetitions",
    "warmup",
    "timeout",
    "metrics",
    "compare",
    "margin",
];

/// YAML files in `benchmarks/` that are not declarations (`benchbook setup`'s pins).
const NOT_DECLARATIONS: &[&str] = &["frameworks.yaml"];

const RUNNER_KEYS: &[&str] = &["name", "command"];
/// Processes per run without a compared pair of runners.
const DEFAULT_REPETITIONS: u32 = 3;
/// Processes per run when two runners are compared: enough for a verdict (at least
/// [`crate::stats::MIN_PROCESSES`] a side) with room for an interval narrower than the margin.
const DEFAULT_COMPARED_REPETITIONS: u32 = 10;
const DEFAULT_WARMUP: u32 = 1;
const DEFAULT_TIMEOUT_S: f64 = 600.0;

/// One validated `benchmarks/<file>.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Declaration {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The declaration file, relative to the site root.
    pub source: PathBuf,
    pub runners: Vec<RunnerDecl>,
    /// The `workload` mapping (empty when absent), keys sorted.
    pub workload: serde_json::Map<String, Value>,
    /// Parameters to sweep, in declared order, each with its non-empty list of values.
    pub matrix: Vec<(String, Vec<Value>)>,
    pub repetitions: u32,
    pub warmup: u32,
    /// Seconds a single runner process may take before its process group is killed.
    pub timeout_s: f64,
    /// Runner metrics to keep; `None` keeps all the runner reports.
    pub metrics: Option<Vec<String>>,
    /// The runners compared in verdicts; `None` with fewer than two runners.
    pub compare: Option<(String, String)>,
    /// Equivalence margin of verdicts (0.05 = ±5%).
    pub margin: f64,
    /// Margins of particular metrics.
    pub margins: BTreeMap<String, f64>,
}

/// A runner as declared: a built-in (`torch`) or any command that speaks the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunnerDecl {
    pub name: String,
    /// `None` for a built-in runner; otherwise program then arguments. A program containing
    /// a `/` is relative to the site root; a bare name is looked up in `PATH`.
    pub command: Option<Vec<String>>,
}

impl Declaration {
    /// Every matrix point in declared order (one empty point without a matrix).
    pub fn points(&self) -> Vec<BTreeMap<String, Value>> {
        let mut points = vec![BTreeMap::new()];
        for (name, values) in &self.matrix {
            let mut next = Vec::with_capacity(points.len() * values.len());
            for p in &points {
                for v in values {
                    let mut q = p.clone();
                    q.insert(name.clone(), v.clone());
                    next.push(q);
                }
            }
            points = next;
        }
        points
    }

    /// Whether a page or expression may ask for `metric` of this benchmark: the outside
    /// measurements always, the runner's own metrics when declared (or when none are).
    pub fn has_metric(&self, metric: &str) -> bool {
        OUTSIDE_METRICS.contains(&metric)
            || match &self.metrics {
                Some(list) => list.iter().any(|m| m == metric),
                None => true,
            }
    }

    pub fn runner(&self, name: &str) -> Option<&RunnerDecl> {
        self.runners.iter().find(|r| r.name == name)
    }
}

fn builtin_runners() -> &'static [&'static str] {
    crate::setup::BUILTIN_RUNNERS
}

/// Load and validate every `benchmarks/*.yaml` under `root`, sorted by file name.
/// Reports every error of every file (ids unique across files).
pub fn load_declarations(root: &Path) -> Result<Vec<Declaration>, Diagnostics> {
    let dir = root.join("benchmarks");
    let mut diags = Diagnostics::new();
    let mut files = Vec::new();
    match std::fs::read_dir(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            diags.error(
                "benchmarks",
                0,
                0,
                format!("cannot read the directory: {e}"),
            );
            return Err(diags);
        }
        Ok(entries) => {
            for entry in entries.flatten() {
                let path = entry.path();
                let is_yaml = path.extension().is_some_and(|x| x == "yaml" || x == "yml");
                let name = entry.file_name();
                let other = NOT_DECLARATIONS.iter().any(|n| name == **n);
                if is_yaml && !other && path.is_file() {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    let mut decls: Vec<Declaration> = Vec::new();
    let mut first_of: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                diags.error(&rel, 0, 0, format!("cannot read the file: {e}"));
                continue;
            }
        };
        if let Some(decl) = parse_declaration(&rel, &text, &mut diags) {
            if let Some(other) = first_of.get(&decl.id) {
                let pos = Positions::of(&text);
                let (l, c) = pos.key("id").unwrap_or((1, 1));
                diags.error(
                    &rel,
                    l,
                    c,
                    format!(
                        "benchmark id `{}` is already declared in {}; expected a unique id",
                        decl.id,
                        other.display()
                    ),
                );
                continue;
            }
            first_of.insert(decl.id.clone(), rel.clone());
            decls.push(decl);
        }
    }
    diags.into_result(decls)
}

/// Whether `id` is a valid benchmark id (`[a-z0-9_]+`).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Parse one declaration; `file` is relative to the root and names the file in errors.
/// Returns `None` (with errors pushed) when anything is wrong.
pub fn parse_declaration(file: &Path, text: &str, diags: &mut Diagnostics) -> Option<Declaration> {
    let doc: Yaml = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let (msg, pos) = split_error_in(&e, text);
            let (l, c) = pos.unwrap_or((1, 1));
            diags.error(
                file,
                l,
                c,
                format!("invalid YAML: {msg}; expected a benchmark declaration"),
            );
            return None;
        }
    };
    let Yaml::Mapping(map) = &doc else {
        diags.error(
            file,
            1,
            1,
            format!(
                "the declaration is {}; expected a mapping with keys: {}",
                kind_of(&doc),
                ALLOWED_KEYS.join(", ")
            ),
        );
        return None;
    };
    let pos = Positions::of(text);
    // Errors of the declaration as a whole (a missing key) are reported at line 1, column 1.
    let v = Fields {
        file,
        map,
        pos: &pos,
        line_offset: 0,
        prefix: String::new(),
        what: "declaration",
        fallback: (1, 1),
    };
    let errors_before = diags.len();
    v.check_keys(ALLOWED_KEYS, diags);

    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = match v.get("id") {
        Some(_) => v.string("id", diags).unwrap_or_default(),
        None => stem.clone(),
    };
    if !id.is_empty() && !valid_id(&id) {
        let what = if v.get("id").is_some() {
            format!("benchmark id `{id}` is not valid")
        } else {
            format!("benchmark id `{id}` (from the file name) is not valid; add an `id:` key or rename the file")
        };
        // Without an `id:` key, at the declaration's first line.
        let (line, col) = if map.contains_key("id") {
            v.at("id")
        } else {
            (1, 1)
        };
        diags.error(
            file,
            line,
            col,
            format!("{what}; expected lowercase letters, digits and `_` only"),
        );
    }
    let title = match v.get("title") {
        Some(_) => v.string("title", diags).unwrap_or_default(),
        None => {
            diags.error(
                file,
                1,
                1,
                "missing key `title`; expected a title for the benchmark",
            );
            String::new()
        }
    };
    let description = v.string("description", diags).unwrap_or_default();

    let runners = match v.get("runners") {
        None => {
            diags.error(
                file,
                1,
                1,
                "missing key `runners`; expected a list of runners (e.g. [torch, tensorflow])",
            );
            Vec::new()
        }
        Some(y) => runners(&v, y, diags),
    };

    let workload = match v.get("workload") {
        None => serde_json::Map::new(),
        Some(y @ Yaml::Mapping(_)) => match yaml_to_json(y) {
            Ok(Value::Object(m)) => m,
            Ok(_) => serde_json::Map::new(),
            Err(e) => {
                v.error(diags, "workload", format!("`workload` cannot be handed to a runner as JSON: {e}; expected plain YAML with text keys"));
                serde_json::Map::new()
            }
        },
        Some(y) => {
            v.error(
                diags,
                "workload",
                format!(
                    "`workload` is {}; expected a mapping handed to the runner",
                    kind_of(y)
                ),
            );
            serde_json::Map::new()
        }
    };

    let matrix = match v.get("matrix") {
        None => Vec::new(),
        Some(Yaml::Mapping(m)) => {
            let mut out = Vec::new();
            for (k, vals) in m {
                let Some(name) = k.as_str() else {
                    v.error(
                        diags,
                        "matrix",
                        format!("a matrix parameter is {}; expected a name", kind_of(k)),
                    );
                    continue;
                };
                let path = format!("matrix.{name}");
                match vals {
                    Yaml::Sequence(items) if !items.is_empty() => {
                        let mut values = Vec::new();
                        for (i, item) in items.iter().enumerate() {
                            match yaml_to_json(item) {
                                Ok(j) => {
                                    if values.contains(&j) {
                                        v.error(diags, &format!("{path}.{i}"), format!("value {j} of matrix parameter `{name}` is repeated; expected distinct values"));
                                    }
                                    values.push(j)
                                }
                                Err(e) => v.error(diags, &format!("{path}.{i}"), format!("value {} of matrix parameter `{name}` is not plain data: {e}; expected a number, text, list or mapping", i + 1)),
                            }
                        }
                        out.push((name.to_string(), values));
                    }
                    other => v.error(
                        diags,
                        &path,
                        format!(
                            "matrix parameter `{name}` is {}; expected a non-empty list of values",
                            if matches!(other, Yaml::Sequence(_)) {
                                "an empty list"
                            } else {
                                kind_of(other)
                            }
                        ),
                    ),
                }
            }
            out
        }
        Some(y) => {
            v.error(
                diags,
                "matrix",
                format!(
                    "`matrix` is {}; expected a mapping of parameter → list of values",
                    kind_of(y)
                ),
            );
            Vec::new()
        }
    };

    let repetitions = v
        .get("repetitions")
        .and_then(|y| count_value(&v, y, "repetitions", 1, diags));
    let warmup = v
        .get("warmup")
        .and_then(|y| count_value(&v, y, "warmup", 0, diags))
        .unwrap_or(DEFAULT_WARMUP);
    let timeout_s = match v.get("timeout") {
        None => DEFAULT_TIMEOUT_S,
        Some(y) => match y.as_f64() {
            Some(t) if t > 0.0 && t.is_finite() => t,
            _ => {
                v.error(
                    diags,
                    "timeout",
                    format!(
                        "`timeout` is {}; expected a positive number of seconds",
                        describe(y)
                    ),
                );
                DEFAULT_TIMEOUT_S
            }
        },
    };
    let metrics = v.get("metrics").map(|y| {
        let names = v.names(y, "metrics", diags);
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                v.error(
                    diags,
                    &format!("metrics.{i}"),
                    format!("metric `{n}` is listed twice; expected each metric once"),
                );
            }
        }
        names
    });

    let mut names: Vec<&str> = Vec::new();
    for r in &runners {
        if !names.contains(&r.name.as_str()) {
            names.push(&r.name);
        }
    }
    let compare = match v.get("compare") {
        None => (names.len() >= 2).then(|| (names[0].to_string(), names[1].to_string())),
        Some(y) => {
            let pair = v.names(y, "compare", diags);
            if pair.len() != 2 || pair[0] == pair[1] {
                v.error(diags, "compare", format!("`compare` has {} distinct runner(s); expected two declared runners, e.g. [{}]", if pair.len() == 2 { 1 } else { pair.len() }, names.join(", ")));
                None
            } else {
                for (i, n) in pair.iter().enumerate() {
                    if !runners.is_empty() && !names.contains(&n.as_str()) {
                        v.error(
                            diags,
                            &format!("compare.{i}"),
                            format!(
                                "runner `{n}` in `compare` is not declared; expected one of: {}",
                                names.join(", ")
                            ),
                        );
                    }
                }
                Some((pair[0].clone(), pair[1].clone()))
            }
        }
    };

    let repetitions = repetitions.unwrap_or(if compare.is_some() {
        DEFAULT_COMPARED_REPETITIONS
    } else {
        DEFAULT_REPETITIONS
    });
    let mut margin = crate::stats::DEFAULT_MARGIN;
    let mut margins = BTreeMap::new();
    let fraction = |y: &Yaml, at: &str, diags: &mut Diagnostics| match y.as_f64() {
        Some(m) if m > 0.0 && m < 1.0 => Some(m),
        _ => {
            v.error(
                diags,
                at,
                format!(
                    "`{at}` is {}; expected a fraction between 0 and 1 (0.05 means ±5%)",
                    describe(y)
                ),
            );
            None
        }
    };
    match v.get("margin") {
        None => {}
        Some(Yaml::Mapping(m)) => {
            for (k, y) in m {
                let Some(name) = k.as_str() else {
                    v.error(
                        diags,
                        "margin",
                        format!(
                            "a key of `margin` is {}; expected `default` or a metric name",
                            kind_of(k)
                        ),
                    );
                    continue;
                };
                if let Some(f) = fraction(y, &format!("margin.{name}"), diags) {
                    if name == "default" {
                        margin = f;
                    } else {
                        margins.insert(name.to_string(), f);
                    }
                }
            }
        }
        Some(y) => {
            if let Some(f) = fraction(y, "margin", diags) {
                margin = f;
            }
        }
    }

    if diags.len() > errors_before {
        return None;
    }
    Some(Declaration {
        id,
        title,
        description,
        source: file.to_path_buf(),
        runners,
        workload,
        matrix,
        repetitions,
        warmup,
        timeout_s,
        metrics,
        compare,
        margin,
        margins,
    })
}

/// Check that every benchmark a page lists in its front matter is declared. Errors point at
/// the page's `benchmarks` key.
pub fn check_pages(site: &Site, decls: &[Declaration]) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let pages = site
        .pages
        .iter()
        .chain(site.sections.iter().map(|s| &s.index));
    for page in pages {
        diags.extend(check_page_benchmarks(
            &page.source,
            page.key_line("benchmarks"),
            &page.front.benchmarks,
            decls,
        ));
    }
    diags
}

/// Check one list of benchmark ids written at `file:line` against the declarations.
pub fn check_page_benchmarks(
    file: &Path,
    line: usize,
    ids: &[String],
    decls: &[Declaration],
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for id in ids {
        if !decls.iter().any(|d| &d.id == id) {
            let known: Vec<&str> = decls.iter().map(|d| d.id.as_str()).collect();
            let expected = if known.is_empty() {
                "no benchmark is declared in benchmarks/*.yaml".to_string()
            } else {
                format!("expected one of: {}", known.join(", "))
            };
            diags.error(
                file,
                line,
                1,
                format!("benchmark `{id}` is not declared; {expected}"),
            );
        }
    }
    diags
}

/// A YAML value as JSON (text keys only; tags and non-finite numbers are refused).
fn yaml_to_json(y: &Yaml) -> Result<Value, String> {
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| format!("{f} is not a finite number"))?
            }
        }
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Sequence(items) => {
            Value::Array(items.iter().map(yaml_to_json).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(m) => {
            let mut sorted = BTreeMap::new();
            for (k, v) in m {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    other => return Err(format!("a key is {}", kind_of(other))),
                };
                sorted.insert(key, yaml_to_json(v)?);
            }
            Value::Object(sorted.into_iter().collect())
        }
        Yaml::Tagged(t) => return Err(format!("tag {} is not supported", t.tag)),
    })
}

fn describe(y: &Yaml) -> String {
    match y {
        Yaml::Number(n) => format!("{n}"),
        Yaml::String(s) => format!("the text {s:?}"),
        other => kind_of(other).to_string(),
    }
}

/// A whole number of at least `min` at `path`.
fn count_value(v: &Fields, y: &Yaml, path: &str, min: u32, diags: &mut Diagnostics) -> Option<u32> {
    match y.as_u64().and_then(|n| u32::try_from(n).ok()) {
        Some(n) if n >= min => Some(n),
        _ => {
            v.error(
                diags,
                path,
                format!(
                    "`{path}` is {}; expected a whole number of at least {min}",
                    describe(y)
                ),
            );
            None
        }
    }
}

/// The `runners` list.
fn runners(v: &Fields, y: &Yaml, diags: &mut Diagnostics) -> Vec<RunnerDecl> {
    let Yaml::Sequence(items) = y else {
        v.error(
            diags,
            "runners",
            format!(
                "`runners` is {}; expected a list of runners (e.g. [torch, tensorflow])",
                kind_of(y)
            ),
        );
        return Vec::new();
    };
    if items.is_empty() {
        v.error(
            diags,
            "runners",
            "`runners` is empty; expected at least one runner".to_string(),
        );
    }
    let builtins = builtin_runners();
    let mut out: Vec<RunnerDecl> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("runners.{i}");
        let decl = match item {
            Yaml::String(name) => {
                if !builtins.contains(&name.as_str()) {
                    v.error(
                        diags,
                        &path,
                        format!(
                            "`{name}` is not a built-in runner; expected one of: {}, or a mapping {{name, command: [program, args...]}}",
                            builtins.join(", ")
                        ),
                    );
                    continue;
                }
                RunnerDecl {
                    name: name.clone(),
                    command: None,
                }
            }
            Yaml::Mapping(m) => {
                v.nested(path.clone(), m, "runner", v.fallback)
                    .check_keys(RUNNER_KEYS, diags);
                let name = match m.get("name") {
                    Some(n) => v.text(n, &format!("{path}.name"), diags),
                    None => {
                        v.error(
                            diags,
                            &path,
                            "runner has no `name`; expected {name, command: [program, args...]}"
                                .to_string(),
                        );
                        None
                    }
                };
                let command = match m.get("command") {
                    None => None,
                    Some(c) => {
                        let cpath = format!("{path}.command");
                        let cmd = v.names(c, &cpath, diags);
                        if cmd.is_empty() || cmd[0].is_empty() {
                            v.error(
                                diags,
                                &cpath,
                                "`command` is empty; expected [program, args...]".to_string(),
                            );
                        }
                        Some(cmd)
                    }
                };
                let Some(name) = name else { continue };
                if command.is_none() && !builtins.contains(&name.as_str()) {
                    v.error(
                        diags,
                        &format!("{path}.name"),
                        format!("runner `{name}` has no `command` and is not built in; expected `command: [program, args...]` or one of: {}", builtins.join(", ")),
                    );
                    continue;
                }
                RunnerDecl { name, command }
            }
            other => {
                v.error(
                    diags,
                    &path,
                    format!(
                        "runner {} is {}; expected a built-in name or {{name, command}}",
                        i + 1,
                        kind_of(other)
                    ),
                );
                continue;
            }
        };
        // A mapping's errors point at its `name` key.
        let path = if decl.command.is_some() {
            format!("{path}.name")
        } else {
            path
        };
        if !valid_id(&decl.name) {
            v.error(
                diags,
                &path,
                format!("runner name `{}` is not valid; expected lowercase letters, digits and `_` only", decl.name),
            );
        } else if out.iter().any(|r| r.name == decl.name) {
            v.error(
                diags,
                &path,
                format!(
                    "runner `{}` is declared twice; expected each runner once",
                    decl.name
                ),
            );
        }
        out.push(decl);
    }
    out
}

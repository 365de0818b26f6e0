//! Building the framework runners (`benchmarks/runners/<name>`) and telling the bench stage
//! how to start them.
//!
//! A runner is built with `cargo build --release -p benchbook-runner-<name>` in the
//! runners' own workspace, with the environment its pins give (LIBTORCH, PKG_CONFIG_PATH)
//! and a target directory shared by every checkout (`<cache>/runners-target`). The binary
//! is then copied to `<cache>/runners/<name>-<fingerprint>/`, so a binary path never changes
//! meaning: it exists exactly when the current sources have been built, and another
//! checkout building other sources cannot replace it under a running benchmark.

use super::pins::{substitute, Pins, RunnerPins, PINS_PATH};
use super::provision::{is_complete, provision_locked, Cache, CacheLock, TMP_PREFIX};
use anyhow::{anyhow, bail, Context};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// How to start a built runner. `args` are the program's arguments (the spec goes to stdin);
/// `env` is added to the inherited environment.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerProgram {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// [`runner_fingerprint`] of the sources the binary was built from.
    pub fingerprint: String,
    /// Framework versions, e.g. `{"torch": "2.13.0"}`.
    pub versions: BTreeMap<String, String>,
}

/// Runners that live in this repository and `benchbook setup` builds.
pub const BUILTIN_RUNNERS: &[&str] = &[
    "torch",
    "tensorflow",
    "torch_eager",
    "torch_compile",
    "tf_eager",
    "tf_function",
    "tf_xla",
    "keras_fit",
];

/// How many built binaries of one runner are kept in `<cache>/runners` (newest first).
const KEEP_BUILDS: usize = 3;

/// sha256 over the runner's sources and its framework pins. Cheap: no provisioning, no
/// build, no framework needed (usable under `--frozen`). Rust files count by their tokens
/// ([`rust_tokens`]: formatting and comments do not count), other files by their bytes.
///
/// Hashed: `benchmarks/runners/{Cargo.toml,Cargo.lock}`; every file of the crates
/// `benchmarks/runners/common` and `benchmarks/runners/<name>` (Cargo.toml, build.rs, src/**,
/// csrc/**, ...) except `target/`, `tests/`, `benches/`, `examples/` and hidden files;
/// `benchmarks/protocol/{Cargo.toml,src/**}`; and the runner's entry in
/// `benchmarks/frameworks.yaml` with the pins of the installs it needs.
pub fn runner_fingerprint(root: &Path, name: &str) -> anyhow::Result<String> {
    let pins = Pins::load(root)?;
    fingerprint_with(root, name, &pins)
}

///
/// A Python runner (`python:` in its pins) counts every file of its script's folder (except
/// `tests/`, `__pycache__` and hidden files) instead of a crate, and still the common crate
/// and the protocol: they make its canonical inputs (`benchbook-canonical`).
pub(crate) fn fingerprint_with(root: &Path, name: &str, pins: &Pins) -> anyhow::Result<String> {
    let runner = runner_pins(pins, name)?;
    let own = match &runner.python {
        Some(py) => {
            let script = root.join(&py.script);
            if !script.is_file() {
                bail!(
                    "runner `{name}` has no sources: expected {}",
                    script.display()
                );
            }
            crate_files(script.parent().expect("a script path has a folder"))
        }
        None => {
            let crate_dir = root.join("benchmarks/runners").join(name);
            if !crate_dir.join("Cargo.toml").is_file() {
                bail!(
                    "runner `{name}` has no sources: expected {}",
                    crate_dir.join("Cargo.toml").display()
                );
            }
            crate_files(&crate_dir)
        }
    };
    let mut h = hash_files(root, shared_files(root).into_iter().chain(own))?;
    let installs: Vec<(&str, String)> = pins
        .installs_for(runner)
        .into_iter()
        .map(|i| (i.name.as_str(), i.digest(pins)))
        .collect();
    h.update(serde_json::to_string(&(runner, installs))?.as_bytes());
    Ok(hex::encode(h.finalize()))
}

/// What every runner is built from: the runners' workspace manifest and lock file, the
/// common crate and the protocol crate.
fn shared_files(root: &Path) -> Vec<PathBuf> {
    let runners = root.join("benchmarks/runners");
    let mut files: Vec<PathBuf> = vec![runners.join("Cargo.toml"), runners.join("Cargo.lock")];
    files.extend(crate_files(&runners.join("common")));
    let protocol = root.join("benchmarks/protocol");
    files.push(protocol.join("Cargo.toml"));
    files.extend(crate_files(&protocol.join("src")));
    files
}

/// Fingerprint of `benchbook-canonical` (the common crate's binary the Python runners start).
fn canonical_fingerprint(root: &Path) -> anyhow::Result<String> {
    Ok(hex::encode(
        hash_files(root, shared_files(root))?.finalize(),
    ))
}

/// sha256 over the files' paths (relative to `root`) and contents (Rust by its tokens).
fn hash_files(root: &Path, files: impl IntoIterator<Item = PathBuf>) -> anyhow::Result<Sha256> {
    let mut h = Sha256::new();
    for f in files {
        let f = &f;
        let rel = f.strip_prefix(root).unwrap_or(f);
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        match fs::read(f) {
            Ok(bytes) => {
                let bytes = match f.extension().and_then(|e| e.to_str()) {
                    Some("rs") => rust_tokens(&bytes).map_or(bytes, String::into_bytes),
                    _ => bytes,
                };
                h.update((bytes.len() as u64).to_le_bytes());
                h.update(&bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => h.update(b"absent"),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", f.display())),
        }
    }
    Ok(h)
}

/// The tokens of a Rust source file, one space apart: without its comments (doc comments
/// included) and its layout, so that `cargo fmt` or an edited comment leaves a runner's
/// fingerprint and its stored results as they were. `None` (hash the bytes) when the file
/// does not lex.
fn rust_tokens(source: &[u8]) -> Option<String> {
    let stream: proc_macro2::TokenStream = std::str::from_utf8(source).ok()?.parse().ok()?;
    let mut out = String::with_capacity(source.len());
    push_tokens(stream, &mut out);
    Some(out)
}

fn push_tokens(stream: proc_macro2::TokenStream, out: &mut String) {
    use proc_macro2::{Delimiter, Spacing, TokenTree};
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                // A doc comment is lexed as `#[doc = "..."]` (or `#![doc = ...]`): skip it.
                let inner =
                    matches!(tokens.get(i + 1), Some(TokenTree::Punct(b)) if b.as_char() == '!');
                let at = i + 1 + usize::from(inner);
                let is_doc = matches!(tokens.get(at), Some(TokenTree::Group(g))
                    if g.delimiter() == Delimiter::Bracket
                        && matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(id)) if id == "doc"));
                if is_doc {
                    i = at + 1;
                    continue;
                }
                out.push('#');
                if p.spacing() == Spacing::Alone {
                    out.push(' ');
                }
            }
            TokenTree::Punct(p) => {
                out.push(p.as_char());
                if p.spacing() == Spacing::Alone {
                    out.push(' ');
                }
            }
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("( ", ") "),
                    Delimiter::Brace => ("{ ", "} "),
                    Delimiter::Bracket => ("[ ", "] "),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                push_tokens(g.stream(), out);
                out.push_str(close);
            }
            other => {
                out.push_str(&other.to_string());
                out.push(' ');
            }
        }
        i += 1;
    }
}

/// Files of a crate directory that decide its build, sorted.
fn crate_files(dir: &Path) -> Vec<PathBuf> {
    const SKIP: &[&str] = &["target", "tests", "benches", "examples"];
    const PYCACHE: &str = "__pycache__";
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            e.depth() == 0
                || !(n.starts_with('.')
                    || n == PYCACHE
                    || (e.depth() == 1 && SKIP.contains(&n.as_ref())))
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

fn runner_pins<'p>(pins: &'p Pins, name: &str) -> anyhow::Result<&'p RunnerPins> {
    pins.runners.get(name).ok_or_else(|| {
        anyhow!(
            "unknown runner `{name}`; {PINS_PATH} declares: {}",
            pins.runners.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    })
}

/// A binary of the runners' workspace that `benchbook setup` builds: a Rust runner's own, or
/// for a Python runner the common crate's `benchbook-canonical`.
struct Target {
    /// Prefix of its folder under `<cache>/runners/`.
    key: String,
    package: String,
    bin: String,
    python: bool,
}

impl Target {
    fn of(pins: &Pins, name: &str) -> anyhow::Result<Target> {
        Ok(match runner_pins(pins, name)?.python {
            Some(_) => Target {
                key: "canonical".into(),
                package: "benchbook-runner-common".into(),
                bin: "benchbook-canonical".into(),
                python: true,
            },
            None => Target {
                key: name.into(),
                package: format!("benchbook-runner-{name}"),
                bin: format!("benchbook-runner-{name}"),
                python: false,
            },
        })
    }

    /// The fingerprint of the sources the binary is built from.
    fn fingerprint(&self, root: &Path, pins: &Pins, name: &str) -> anyhow::Result<String> {
        if self.python {
            canonical_fingerprint(root)
        } else {
            fingerprint_with(root, name, pins)
        }
    }

    /// Where the binary built from sources with this fingerprint lives.
    fn path(&self, cache: &Cache, fingerprint: &str) -> PathBuf {
        cache
            .dir
            .join("runners")
            .join(format!(
                "{}-{}",
                self.key,
                &fingerprint[..16.min(fingerprint.len())]
            ))
            .join(&self.bin)
    }
}

/// The binary runner `name` needs built for its current sources (it may not exist yet).
pub(crate) fn built_program(
    root: &Path,
    cache: &Cache,
    pins: &Pins,
    name: &str,
) -> anyhow::Result<PathBuf> {
    let target = Target::of(pins, name)?;
    Ok(target.path(cache, &target.fingerprint(root, pins, name)?))
}

/// Provision what the runner needs (under the cache lock), build it if no binary exists for
/// its current sources, and say how to start it: program, env (LD_LIBRARY_PATH,
/// BENCHBOOK_DIGITS, BENCHBOOK_CACHE, TF_CPP_MIN_LOG_LEVEL...), fingerprint and versions.
/// Progress goes to stderr unless `quiet`.
pub fn ensure_runner(root: &Path, name: &str, quiet: bool) -> anyhow::Result<RunnerProgram> {
    let pins = Pins::load(root)?;
    let cache = Cache::from_env()?;
    let runner = runner_pins(&pins, name)?;
    let ready = || -> anyhow::Result<bool> {
        Ok(built_program(root, &cache, &pins, name)?.is_file()
            && pins
                .installs_for(runner)
                .iter()
                .all(|i| is_complete(&cache, &pins, i)))
    };
    if !ready()? {
        let lock = CacheLock::acquire(&cache, quiet)?;
        let needs: Vec<&str> = runner.needs.iter().map(String::as_str).collect();
        provision_locked(&cache, &pins, &needs, quiet, &lock)?;
        if !built_program(root, &cache, &pins, name)?.is_file() {
            build_locked(root, &cache, &pins, name, quiet, &lock)?;
        }
    }
    if !ready()? {
        bail!("the sources of runner `{name}` changed while it was being built; run again");
    }
    program(root, &cache, &pins, name)
}

fn program(root: &Path, cache: &Cache, pins: &Pins, name: &str) -> anyhow::Result<RunnerProgram> {
    let runner = &pins.runners[name];
    let vars = cache.vars(pins);
    let mut env: Vec<(String, String)> = runner
        .run_env
        .iter()
        .map(|(k, v)| (k.clone(), substitute(v, &vars)))
        .collect();
    if !runner.run_env.contains_key("BENCHBOOK_CACHE") {
        env.push((
            "BENCHBOOK_CACHE".into(),
            cache.dir.to_string_lossy().into_owned(),
        ));
    }
    let built = built_program(root, cache, pins, name)?;
    let (program, args) = match &runner.python {
        None => (built, Vec::new()),
        Some(py) => {
            env.push((
                "BENCHBOOK_CANONICAL".into(),
                built.to_string_lossy().into_owned(),
            ));
            let venv = pins.install(&py.env).expect("validated python env");
            let root = root
                .canonicalize()
                .with_context(|| format!("cannot resolve {}", root.display()))?;
            // -B: no __pycache__ written into the repository.
            let mut args = vec![
                "-B".to_string(),
                root.join(&py.script).to_string_lossy().into_owned(),
            ];
            args.extend(py.args.iter().cloned());
            (venv.python(&cache.install_dir(venv)), args)
        }
    };
    Ok(RunnerProgram {
        name: name.to_string(),
        program,
        args,
        env,
        fingerprint: fingerprint_with(root, name, pins)?,
        versions: runner.versions.clone(),
    })
}

/// What a build did.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    pub program: PathBuf,
    /// Wall time of `cargo build`, in seconds.
    pub seconds: f64,
}

/// Build runner `name` (its installs must be complete) and store the binary under its
/// fingerprint. The caller holds the cache lock.
pub(crate) fn build_locked(
    root: &Path,
    cache: &Cache,
    pins: &Pins,
    name: &str,
    quiet: bool,
    _lock: &CacheLock,
) -> anyhow::Result<Built> {
    let runner = runner_pins(pins, name)?;
    let target = Target::of(pins, name)?;
    let package = &target.package;
    let manifest = root.join("benchmarks/runners/Cargo.toml");
    let target_dir = cache.dir.join("runners-target");
    let vars = cache.vars(pins);
    // Seconds spent in cargo, over every attempt (a rebuild after an edit is part of it).
    let mut seconds = 0.0;
    for _attempt in 0..3 {
        let fingerprint = target.fingerprint(root, pins, name)?;
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(&cargo);
        cmd.args(["build", "--release", "--manifest-path"])
            .arg(&manifest)
            .args(["-p", package, "--bin", &target.bin])
            .env("CARGO_TARGET_DIR", &target_dir)
            .stdin(Stdio::null());
        for (k, v) in shared_build_env(pins, runner) {
            cmd.env(k, substitute(v, &vars));
        }
        if !quiet {
            eprintln!(
                "building runner `{name}` (cargo build --release -p {package} --bin {}, target {})",
                target.bin,
                target_dir.display()
            );
        }
        let start = Instant::now();
        let status = if quiet {
            cmd.arg("--quiet");
            let (status, tail) = super::provision::run_streaming(&mut cmd, true, 60)
                .with_context(|| format!("cannot start `{}`", cargo.to_string_lossy()))?;
            if !status.success() {
                bail!(
                    "building runner `{name}` failed ({status}); the last lines of cargo's output:\n{}",
                    tail.into_iter().collect::<Vec<_>>().join("\n")
                );
            }
            status
        } else {
            // cargo's progress goes to our stderr; our stdout is never written by a build.
            if let Ok(fd) = std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned() {
                cmd.stdout(Stdio::from(fd));
            }
            cmd.status().with_context(|| {
                format!(
                    "cannot start `{}` (is Rust installed?)",
                    cargo.to_string_lossy()
                )
            })?
        };
        if !status.success() {
            bail!("building runner `{name}` failed ({status}); cargo's messages are above");
        }
        seconds += start.elapsed().as_secs_f64();
        if target.fingerprint(root, pins, name)? != fingerprint {
            if !quiet {
                eprintln!(
                    "the sources of runner `{name}` changed during the build; building again"
                );
            }
            continue;
        }
        let built = target_dir.join("release").join(&target.bin);
        let program = target.path(cache, &fingerprint);
        store(&built, &program, &fingerprint, seconds)?;
        prune(cache, &target.key, &program);
        if !quiet {
            eprintln!(
                "built runner `{name}` in {seconds:.1} s: {}",
                program.display()
            );
        }
        return Ok(Built { program, seconds });
    }
    bail!("the sources of runner `{name}` keep changing while it is built; run again when they are saved")
}

/// The build environment of every runner together (this runner's values win): the runners
/// share a target dir and build dependencies whose build scripts watch these variables
/// (bzip2-sys runs pkg-config, which watches PKG_CONFIG_PATH), so building them with
/// different environments would rebuild tch or tensorflow from scratch on every switch.
fn shared_build_env<'p>(pins: &'p Pins, runner: &'p RunnerPins) -> BTreeMap<&'p str, &'p str> {
    let mut env = BTreeMap::new();
    for r in pins.runners.values() {
        for (k, v) in &r.build_env {
            env.insert(k.as_str(), v.as_str());
        }
    }
    for (k, v) in &runner.build_env {
        env.insert(k.as_str(), v.as_str());
    }
    env
}

/// Copy the built binary into its fingerprint dir (temporary dir + rename).
fn store(built: &Path, program: &Path, fingerprint: &str, seconds: f64) -> anyhow::Result<()> {
    let dir = program.parent().expect("program path has a dir");
    let runners = dir.parent().expect("runners dir");
    fs::create_dir_all(runners).with_context(|| format!("cannot create {}", runners.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .tempdir_in(runners)
        .with_context(|| format!("cannot create a temporary dir in {}", runners.display()))?;
    let file_name = program.file_name().expect("program file name");
    fs::copy(built, tmp.path().join(file_name))
        .map_err(|e| super::provision::io_error(e, &format!("copying {}", built.display())))?;
    let info = serde_json::json!({ "fingerprint": fingerprint, "build_seconds": seconds });
    fs::write(
        tmp.path().join("build.json"),
        serde_json::to_string_pretty(&info)?,
    )?;
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("cannot replace {}", dir.display()))?;
    }
    let tmp = tmp.keep();
    fs::rename(&tmp, dir)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), dir.display()))?;
    Ok(())
}

/// Keep the newest [`KEEP_BUILDS`] binaries of a runner (the current one always).
fn prune(cache: &Cache, name: &str, current: &Path) {
    let Ok(entries) = fs::read_dir(cache.dir.join("runners")) else {
        return;
    };
    let keep = current.parent();
    let mut builds: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_prefix(&format!("{name}-"))
                .is_some_and(|fp| fp.len() == 16 && fp.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .filter(|e| Some(e.path().as_path()) != keep)
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    builds.sort_by_key(|b| std::cmp::Reverse(b.0));
    for (_, old) in builds.into_iter().skip(KEEP_BUILDS.saturating_sub(1)) {
        let _ = fs::remove_dir_all(old);
    }
}

/// Build time recorded next to a built binary.
pub(crate) fn recorded_build_seconds(program: &Path) -> Option<f64> {
    let text = fs::read_to_string(program.parent()?.join("build.json")).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).ok()?["build_seconds"].as_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_root() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let real = Path::new(env!("CARGO_MANIFEST_DIR"));
        fs::create_dir_all(r.join("benchmarks")).unwrap();
        fs::copy(real.join(PINS_PATH), r.join(PINS_PATH)).unwrap();
        for d in [
            "benchmarks/runners/common/src",
            "benchmarks/runners/torch/src",
            "benchmarks/runners/torch/tests",
            "benchmarks/runners/torch/target",
            "benchmarks/protocol/src",
        ] {
            fs::create_dir_all(r.join(d)).unwrap();
        }
        for f in [
            "benchmarks/runners/Cargo.toml",
            "benchmarks/runners/Cargo.lock",
            "benchmarks/runners/common/Cargo.toml",
            "benchmarks/runners/common/src/lib.rs",
            "benchmarks/runners/torch/Cargo.toml",
            "benchmarks/runners/torch/src/main.rs",
            "benchmarks/protocol/Cargo.toml",
            "benchmarks/protocol/src/lib.rs",
        ] {
            fs::write(r.join(f), f).unwrap();
        }
        root
    }

    #[test]
    fn fingerprint_ignores_formatting_and_comments_but_not_code() {
        let root = fake_root();
        let r = root.path();
        let main = r.join("benchmarks/runners/torch/src/main.rs");
        let code = "/// Runs.\nfn main() {\n    let x = vec![1, 2];\n    println!(\"{}\", x.len() >> 1);\n}\n";
        fs::write(&main, code).unwrap();
        let base = runner_fingerprint(r, "torch").unwrap();
        for same in [
            // What `cargo fmt` or an edited comment changes.
            "fn main(){let x=vec![1,2];println!(\"{}\",x.len()>>1);}",
            "//! The runner.\n/// Runs it.\nfn main() {\n    // two\n    let x = vec![1, 2]; /* ok */\n    println!(\"{}\", x.len() >> 1);\n}\n",
        ] {
            fs::write(&main, same).unwrap();
            assert_eq!(runner_fingerprint(r, "torch").unwrap(), base, "{same}");
        }
        for changed in [
            "fn main() { let x = vec![1, 3]; println!(\"{}\", x.len() >> 1); }",
            "fn main() { let x = vec![1, 2]; println!(\"{} \", x.len() >> 1); }",
            "fn main() { let x = vec![1, 2]; println!(\"{}\", x.len() > > 1); }",
            "#[inline] fn main() { let x = vec![1, 2]; println!(\"{}\", x.len() >> 1); }",
        ] {
            fs::write(&main, changed).unwrap();
            assert_ne!(runner_fingerprint(r, "torch").unwrap(), base, "{changed}");
        }
        // A file that does not lex counts by its bytes.
        fs::write(&main, "fn main() { \"unterminated").unwrap();
        let broken = runner_fingerprint(r, "torch").unwrap();
        fs::write(&main, "fn main() {  \"unterminated").unwrap();
        assert_ne!(runner_fingerprint(r, "torch").unwrap(), broken);
    }

    #[test]
    fn fingerprint_follows_sources_and_pins_but_not_tests_or_target() {
        let root = fake_root();
        let r = root.path();
        let base = runner_fingerprint(r, "torch").unwrap();
        assert_eq!(base.len(), 64);
        assert_eq!(runner_fingerprint(r, "torch").unwrap(), base);

        fs::write(r.join("benchmarks/runners/torch/tests/e2e.rs"), "x").unwrap();
        fs::write(r.join("benchmarks/runners/torch/target/junk"), "x").unwrap();
        assert_eq!(
            runner_fingerprint(r, "torch").unwrap(),
            base,
            "tests/ and target/ do not count"
        );

        for f in [
            "benchmarks/runners/common/src/lib.rs",
            "benchmarks/protocol/src/lib.rs",
            "benchmarks/runners/Cargo.lock",
            "benchmarks/runners/torch/src/main.rs",
        ] {
            let before = runner_fingerprint(r, "torch").unwrap();
            fs::write(r.join(f), "changed").unwrap();
            assert_ne!(
                runner_fingerprint(r, "torch").unwrap(),
                before,
                "{f} counts"
            );
        }
        let before = runner_fingerprint(r, "torch").unwrap();
        fs::write(r.join("benchmarks/runners/torch/build.rs"), "fn main() {}").unwrap();
        assert_ne!(
            runner_fingerprint(r, "torch").unwrap(),
            before,
            "a new build.rs counts"
        );

        let before = runner_fingerprint(r, "torch").unwrap();
        let pins = fs::read_to_string(r.join(PINS_PATH)).unwrap();
        fs::write(
            r.join(PINS_PATH),
            pins.replace("to: lib/libc10.so }", "to: lib/libc10.so.x }"),
        )
        .unwrap();
        assert_ne!(
            runner_fingerprint(r, "torch").unwrap(),
            before,
            "the libtorch pins count"
        );
    }

    #[test]
    fn a_python_runner_counts_its_folder_and_the_canonical_inputs_source() {
        let root = fake_root();
        let r = root.path();
        let pins = fs::read_to_string(r.join(PINS_PATH)).unwrap();
        let pins = pins.replace(
            "installs:\n",
            "installs:\n  - {name: py, version: '1', dir: envs/py, venv: [scikit-learn]}\n",
        ) + "  py-demo:\n    needs: [py]\n    python: {env: py, script: benchmarks/runners/python/run.py, args: [demo]}\n";
        fs::write(r.join(PINS_PATH), pins).unwrap();
        let e = runner_fingerprint(r, "py-demo").unwrap_err().to_string();
        assert!(e.contains("runner `py-demo` has no sources"), "{e}");
        let dir = r.join("benchmarks/runners/python");
        fs::create_dir_all(dir.join("__pycache__")).unwrap();
        fs::create_dir_all(dir.join("tests")).unwrap();
        fs::write(dir.join("run.py"), "print(1)\n").unwrap();
        let base = runner_fingerprint(r, "py-demo").unwrap();
        fs::write(dir.join("__pycache__/run.cpython-311.pyc"), "x").unwrap();
        fs::write(dir.join("tests/test_run.py"), "x").unwrap();
        assert_eq!(runner_fingerprint(r, "py-demo").unwrap(), base);
        for f in [
            "benchmarks/runners/python/models.py",
            "benchmarks/runners/common/src/lib.rs",
        ] {
            let before = runner_fingerprint(r, "py-demo").unwrap();
            fs::write(r.join(f), "changed").unwrap();
            assert_ne!(
                runner_fingerprint(r, "py-demo").unwrap(),
                before,
                "{f} counts"
            );
        }
        // Its binary is the common crate's canonical-inputs writer.
        let pins = Pins::load(r).unwrap();
        let cache = Cache::at(&r.join("cache"));
        let program = built_program(r, &cache, &pins, "py-demo").unwrap();
        assert!(
            program.ends_with("benchbook-canonical"),
            "{}",
            program.display()
        );
        assert!(program
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("canonical-"));
    }

    #[test]
    fn every_runner_is_built_with_the_same_environment() {
        let pins = Pins::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let torch = shared_build_env(&pins, &pins.runners["torch"]);
        assert_eq!(torch, shared_build_env(&pins, &pins.runners["tensorflow"]));
        assert!(torch.contains_key("LIBTORCH") && torch.contains_key("PKG_CONFIG_PATH"));
    }

    #[test]
    fn unknown_or_missing_runners_are_errors() {
        let root = fake_root();
        let e = runner_fingerprint(root.path(), "jax")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown runner `jax`"), "{e}");
        assert!(e.contains("declares: keras_fit, tensorflow, tf_eager"), "{e}");
        let e = runner_fingerprint(root.path(), "tensorflow")
            .unwrap_err()
            .to_string();
        assert!(e.contains("runner `tensorflow` has no sources"), "{e}");
    }
}

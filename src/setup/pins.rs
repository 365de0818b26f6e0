//! `benchmarks/frameworks.yaml`: which wheels to download (requirement, file name, sha256),
//! what to take out of each into which curated directory, and how each runner is built
//! and started. Read once, validated as a whole (every error in one pass).

use crate::diagnostics::{Diagnostic, Diagnostics};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// Where the pins live, relative to the site root.
pub const PINS_PATH: &str = "benchmarks/frameworks.yaml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pins {
    /// `--python-version` for `pip download` (the wheels' cpXY tag).
    pub python_version: String,
    /// Every `--platform` tag passed to `pip download`.
    pub platforms: Vec<String>,
    /// Extra `pip download` arguments (a mirror's `--index-url`, or `--no-index --find-links DIR`).
    #[serde(default)]
    pub pip_args: Vec<String>,
    /// Wheels by short name.
    pub wheels: BTreeMap<String, Wheel>,
    /// Curated directories made from the wheels, in install order.
    pub installs: Vec<Install>,
    /// Runners built from `benchmarks/runners/<name>`, by name.
    #[serde(default)]
    pub runners: BTreeMap<String, RunnerPins>,
    /// The site root the pins were loaded from (scripts named in the pins are relative to it).
    #[serde(skip)]
    pub root: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wheel {
    /// What pip is asked for, e.g. `torch==2.13.0`.
    pub requirement: String,
    /// The file pip saves, e.g. `torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl`.
    pub file: String,
    /// Lower-case hex sha256 of that file.
    pub sha256: String,
    /// Size of the file, for the free-space check before downloading.
    #[serde(default)]
    pub bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Install {
    pub name: String,
    pub version: String,
    /// Directory relative to the cache, e.g. `frameworks/libtorch-2.13.0`.
    pub dir: String,
    #[serde(default)]
    pub extract: Vec<Extract>,
    /// Symbolic links to create: link path → target (relative to the link's directory).
    #[serde(default)]
    pub symlinks: BTreeMap<String, String>,
    /// Empty shared libraries built with `cc -shared -o PATH -x c /dev/null`.
    #[serde(default)]
    pub empty_shared_libraries: Vec<String>,
    /// Files to write: path → text, `@prefix@` replaced by the install's absolute directory.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Wheels (by short name) installed into a Python virtual environment made at `dir`
    /// (`python3 -m venv --without-pip`, then pip with `--no-deps --no-index --require-hashes`
    /// from the downloads folder, so only these exact files go in). Empty: not a venv.
    /// (Not serialised when empty, so the digests of the other installs stay as they were.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub venv: Vec<String>,
    /// Python scripts (relative to the site root) run by the venv's interpreter after pip,
    /// with the venv's site-packages folder as their argument. Their contents count in the
    /// install's digest: an edited script makes the venv again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_install: Vec<String>,
}

/// Copy `from` out of `wheel` to `to`. A `from` ending in `/` copies that whole directory
/// (every entry below it) into the directory `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extract {
    pub wheel: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerPins {
    /// Installs that must exist before the runner is built or run.
    pub needs: Vec<String>,
    /// Framework versions the runner reports, e.g. `{torch: 2.13.0}`.
    #[serde(default)]
    pub versions: BTreeMap<String, String>,
    /// Environment of `cargo build`; `@<install>@` is that install's directory.
    #[serde(default)]
    pub build_env: BTreeMap<String, String>,
    /// Environment of the runner process; same substitutions.
    #[serde(default)]
    pub run_env: BTreeMap<String, String>,
    /// A runner written in Python: started as the venv's interpreter on a script of this
    /// repository instead of a binary built from `benchmarks/runners/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<PythonRunner>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonRunner {
    /// The install (one with `venv`) whose interpreter runs the script; also in `needs`.
    pub env: String,
    /// The script, relative to the site root; every file of its folder is the runner's source.
    pub script: String,
    /// Arguments after the script (e.g. the variant).
    #[serde(default)]
    pub args: Vec<String>,
}

impl Pins {
    /// Read `<root>/benchmarks/frameworks.yaml`.
    pub fn load(root: &Path) -> anyhow::Result<Pins> {
        let path = root.join(PINS_PATH);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "{}: {e}; expected the framework pins here (is --root the site root?)",
                path.display()
            )
        })?;
        let mut pins = Pins::parse(&text, Path::new(PINS_PATH))?;
        pins.root = Some(root.to_path_buf());
        Ok(pins)
    }

    /// Parse and validate pins; `shown` is the path used in messages.
    pub fn parse(text: &str, shown: &Path) -> Result<Pins, Diagnostics> {
        let pins: Pins = serde_yaml::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            let msg = e.to_string();
            // serde_yaml appends " at line L column C"; the position is already in front.
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            Diagnostics(vec![Diagnostic::new(
                shown,
                line,
                column,
                format!("{msg}; expected the pins format documented at the top of {PINS_PATH}"),
            )])
        })?;
        pins.validate(text, shown)?;
        Ok(pins)
    }

    fn validate(&self, text: &str, shown: &Path) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        let mut err = |needle: &str, msg: String| {
            let (line, column) = position_of(text, needle);
            diags.error(shown, line, column, msg);
        };
        for (name, w) in &self.wheels {
            if w.sha256.len() != 64 || !w.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                err(
                    &w.sha256,
                    format!("wheel `{name}`: sha256 `{}` is not 64 hex digits", w.sha256),
                );
            }
            if !w.file.ends_with(".whl") || w.file.contains('/') {
                err(
                    &w.file,
                    format!("wheel `{name}`: file `{}` is not a wheel file name; expected NAME-VERSION-...whl", w.file),
                );
            }
        }
        let mut seen = BTreeMap::new();
        for inst in &self.installs {
            if seen.insert(inst.name.clone(), ()).is_some() {
                err(
                    &format!("name: {}", inst.name),
                    format!("install `{}` is declared twice", inst.name),
                );
            }
            if !is_relative_inside(&inst.dir) {
                err(
                    &inst.dir,
                    format!(
                        "install `{}`: dir `{}` must be a relative path inside the cache",
                        inst.name, inst.dir
                    ),
                );
            }
            for w in &inst.venv {
                if !self.wheels.contains_key(w) {
                    err(
                        w,
                        format!(
                            "install `{}`: unknown venv wheel `{w}`; expected one of: {}",
                            inst.name,
                            self.wheels.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
            for script in &inst.post_install {
                if inst.venv.is_empty() || !is_relative_inside(script) {
                    err(
                        script,
                        format!(
                            "install `{}`: post_install `{script}` must be a relative path inside the site, in an install with `venv`",
                            inst.name
                        ),
                    );
                }
            }
            let extracts = !inst.extract.is_empty() || !inst.files.is_empty();
            if !inst.venv.is_empty() && extracts {
                err(
                    &format!("name: {}", inst.name),
                    format!(
                        "install `{}` is a venv: it cannot also extract or write files",
                        inst.name
                    ),
                );
            }
            for x in &inst.extract {
                if !self.wheels.contains_key(&x.wheel) {
                    err(
                        &format!("wheel: {}", x.wheel),
                        format!(
                            "install `{}`: unknown wheel `{}`; expected one of: {}",
                            inst.name,
                            x.wheel,
                            self.wheels.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
                if x.from.ends_with('/') != x.to.ends_with('/') {
                    err(
                        &x.from,
                        format!("install `{}`: `{}` → `{}`: a directory (ending in /) must go to a directory", inst.name, x.from, x.to),
                    );
                }
            }
            let outputs = inst
                .extract
                .iter()
                .map(|x| &x.to)
                .chain(inst.symlinks.keys())
                .chain(&inst.empty_shared_libraries)
                .chain(inst.files.keys());
            for out in outputs {
                if !is_relative_inside(out) {
                    err(
                        out,
                        format!(
                            "install `{}`: `{out}` must be a relative path inside the install",
                            inst.name
                        ),
                    );
                }
            }
        }
        for (name, r) in &self.runners {
            if let Some(py) = &r.python {
                let venv = self.install(&py.env).is_some_and(|i| !i.venv.is_empty());
                if !venv || !r.needs.contains(&py.env) {
                    err(
                        &format!("env: {}", py.env),
                        format!(
                            "runner `{name}`: python env `{}` must be an install with `venv` listed in `needs`",
                            py.env
                        ),
                    );
                }
                if !is_relative_inside(&py.script) {
                    err(
                        &py.script,
                        format!(
                            "runner `{name}`: script `{}` must be a relative path inside the site",
                            py.script
                        ),
                    );
                }
            }
            for need in &r.needs {
                if !self.installs.iter().any(|i| &i.name == need) {
                    err(
                        need,
                        format!(
                            "runner `{name}` needs unknown install `{need}`; expected one of: {}",
                            self.installs
                                .iter()
                                .map(|i| i.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
        }
        diags.into_result(())
    }

    pub fn install(&self, name: &str) -> Option<&Install> {
        self.installs.iter().find(|i| i.name == name)
    }

    /// Installs a runner needs (in install order).
    pub fn installs_for(&self, runner: &RunnerPins) -> Vec<&Install> {
        self.installs
            .iter()
            .filter(|i| runner.needs.contains(&i.name))
            .collect()
    }
}

impl Install {
    /// A digest of everything that decides this install's contents (its pins and the
    /// pins of the wheels it reads). Stored in the completeness marker.
    pub fn digest(&self, pins: &Pins) -> String {
        use sha2::{Digest, Sha256};
        let wheels: BTreeMap<&String, &Wheel> = self
            .wheel_names()
            .into_iter()
            .filter_map(|w| pins.wheels.get_key_value(w))
            .collect();
        let scripts: Vec<String> = self
            .post_install
            .iter()
            .map(|script| {
                let bytes = pins
                    .root
                    .as_ref()
                    .and_then(|root| std::fs::read(root.join(script)).ok())
                    .unwrap_or_default();
                hex::encode(Sha256::digest(bytes))
            })
            .collect();
        let text = if scripts.is_empty() {
            serde_json::to_string(&(self, wheels))
        } else {
            serde_json::to_string(&(self, wheels, scripts))
        };
        hex::encode(Sha256::digest(text.unwrap_or_default().as_bytes()))
    }

    /// Wheels this install reads, each once, in first-use order.
    pub fn wheel_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for w in self.extract.iter().map(|x| &x.wheel).chain(&self.venv) {
            if !out.contains(&w.as_str()) {
                out.push(w);
            }
        }
        out
    }

    /// The interpreter of a venv install.
    pub fn python(&self, dir: &Path) -> PathBuf {
        dir.join("bin/python")
    }
}

/// Replace `@name@` placeholders.
pub fn substitute(text: &str, vars: &BTreeMap<String, PathBuf>) -> String {
    let mut out = text.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("@{name}@"), &value.to_string_lossy());
    }
    out
}

fn is_relative_inside(path: &str) -> bool {
    let p = Path::new(path);
    !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// 1-based line and column of the first occurrence of `needle` (0, 0 when absent).
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        if let Some(col) = line.find(needle) {
            return (i + 1, col + 1);
        }
    }
    (0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_pins_parse_and_are_consistent() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pins = Pins::load(root).unwrap();
        for name in crate::setup::BUILTIN_RUNNERS {
            let r = &pins.runners[*name];
            assert!(!r.needs.is_empty());
            assert!(!r.versions.is_empty());
        }
        assert!(pins.install("libtorch").is_some());
    }

    #[test]
    fn unknown_keys_and_bad_references_are_reported_with_positions() {
        let text = "python_version: '3.11'\nplatforms: []\nwheels: {}\ninstalls: []\nextra: 1\n";
        let e = Pins::parse(text, Path::new("p.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.yaml:5:1: unknown field `extra`"), "{e}");

        let text = "python_version: '3.11'\nplatforms: []\nwheels:\n  w: {requirement: w==1, file: w-1-py3-none-any.whl, sha256: abc}\ninstalls:\n  - name: i\n    version: '1'\n    dir: ../escape\n    extract:\n      - {wheel: nope, from: a, to: b}\nrunners:\n  r: {needs: [ghost]}\n";
        let e = Pins::parse(text, Path::new("p.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("p.yaml:4:"), "{e}");
        assert!(e.contains("sha256 `abc` is not 64 hex digits"), "{e}");
        assert!(
            e.contains("p.yaml:8:10: install `i`: dir `../escape`"),
            "{e}"
        );
        assert!(
            e.contains("unknown wheel `nope`; expected one of: w"),
            "{e}"
        );
        assert!(
            e.contains("runner `r` needs unknown install `ghost`"),
            "{e}"
        );
    }

    #[test]
    fn python_runners_need_a_venv_install() {
        let text = "python_version: '3.11'\nplatforms: []\nwheels:\n  w: {requirement: w==1, file: w-1-py3-none-any.whl, sha256: 0000000000000000000000000000000000000000000000000000000000000000}\ninstalls:\n  - {name: lib, version: '1', dir: lib, extract: [{wheel: w, from: a, to: b}]}\n  - {name: env, version: '1', dir: env, venv: [w, ghost]}\nrunners:\n  a: {needs: [lib], python: {env: lib, script: x.py}}\n  b: {needs: [lib], python: {env: env, script: /abs.py}}\n";
        let e = Pins::parse(text, Path::new("p.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("install `env`: unknown venv wheel `ghost`"),
            "{e}"
        );
        assert!(
            e.contains("runner `a`: python env `lib` must be an install with `venv`"),
            "{e}"
        );
        assert!(
            e.contains(
                "runner `b`: python env `env` must be an install with `venv` listed in `needs`"
            ),
            "{e}"
        );
        assert!(
            e.contains("runner `b`: script `/abs.py` must be a relative path"),
            "{e}"
        );
    }

    #[test]
    fn an_install_digest_covers_its_venv_wheels() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut pins = Pins::load(root).unwrap();
        let mut inst = pins.install("digits").unwrap().clone();
        let before = inst.digest(&pins);
        inst.extract.clear();
        inst.venv = vec!["scikit-learn".into()];
        let venv = inst.digest(&pins);
        assert_ne!(before, venv);
        pins.wheels.get_mut("scikit-learn").unwrap().sha256 = "0".repeat(64);
        assert_ne!(inst.digest(&pins), venv, "the wheels' pins count");
    }

    #[test]
    fn substitution_leaves_shell_style_variables_alone() {
        let vars = BTreeMap::from([("prefix".to_string(), PathBuf::from("/c/tf"))]);
        assert_eq!(
            substitute("prefix=@prefix@\nlibdir=${prefix}/lib", &vars),
            "prefix=/c/tf\nlibdir=${prefix}/lib"
        );
    }
}

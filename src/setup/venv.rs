//! Installs that are Python virtual environments (`venv:` in the pins): the interpreter the
//! Python runners run on, with exactly the pinned wheels in it.
//!
//! `python3 -m venv --without-pip DIR` (no ensurepip needed), then the machine's pip installs
//! into it with `--python DIR/bin/python --no-deps --no-index --require-hashes`: every wheel
//! comes from the downloads folder, already checked against its sha256 pin, and pip checks
//! the hashes again. Nothing is resolved, so nothing unpinned gets in. The venv is made in the
//! install's temporary directory and renamed into place with the others; only `bin/python`
//! is ever started, and it finds its environment from its own location, so the rename is safe.

use super::pins::{Install, Pins};
use super::provision::{io_error, run_streaming, PYTHON};
use anyhow::{bail, Context};
use std::path::Path;
use std::process::Command;

/// The interpreter's `major.minor`, or why it cannot be used.
pub fn python_version() -> anyhow::Result<String> {
    let out = Command::new(PYTHON)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .with_context(|| {
            format!("cannot start `{PYTHON}`: the Python runners need Python 3 on the PATH")
        })?;
    if !out.status.success() {
        bail!(
            "`{PYTHON}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Make the venv of `inst` in `dir` (which exists and is empty) from the downloaded wheels.
pub fn make(
    pins: &Pins,
    inst: &Install,
    dir: &Path,
    downloads: &Path,
    quiet: bool,
) -> anyhow::Result<()> {
    let version = python_version()?;
    if version != pins.python_version {
        bail!(
            "install `{}` needs Python {} (its wheels are built for it), but `{PYTHON}` is Python {version}; install Python {} (or put it first on the PATH) and run `benchbook setup` again",
            inst.name,
            pins.python_version,
            pins.python_version
        );
    }
    if !quiet {
        eprintln!(
            "{} {}: creating a Python {version} virtual environment with {} pinned wheels",
            inst.name,
            inst.version,
            inst.venv.len()
        );
    }
    let status = Command::new(PYTHON)
        .args(["-m", "venv", "--without-pip"])
        .arg(dir)
        .status()
        .with_context(|| format!("cannot start `{PYTHON} -m venv`"))?;
    if !status.success() {
        bail!("`{PYTHON} -m venv --without-pip {}` failed ({status}); on Debian, `apt-get install python3-venv`", dir.display());
    }
    let mut requirements = String::new();
    for w in &inst.venv {
        let wheel = &pins.wheels[w];
        requirements.push_str(&format!(
            "{} --hash=sha256:{}\n",
            downloads.join(&wheel.file).display(),
            wheel.sha256
        ));
    }
    let file = dir.join(".benchbook-requirements.txt");
    std::fs::write(&file, requirements)
        .map_err(|e| io_error(e, &format!("writing {}", file.display())))?;
    let mut cmd = Command::new(PYTHON);
    cmd.args(["-m", "pip", "--python"])
        .arg(inst.python(dir))
        .args([
            "install",
            "--no-deps",
            "--no-index",
            "--require-hashes",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--no-warn-script-location",
            "--progress-bar",
            "off",
            "-r",
        ])
        .arg(&file);
    let (status, tail) = run_streaming(&mut cmd, quiet, 40)
        .with_context(|| format!("cannot start `{PYTHON} -m pip install`"))?;
    if !status.success() {
        let tail = tail.into_iter().collect::<Vec<_>>().join("\n");
        let hint = if tail.contains("No space left on device") {
            "the disk is full: free space under the cache (or point BENCHBOOK_CACHE elsewhere)"
        } else if tail.contains("THESE PACKAGES DO NOT MATCH THE HASHES") {
            "a downloaded wheel does not match its sha256 pin: delete it from the downloads folder"
        } else if tail.contains("no such option: --python") {
            "this pip is older than 22.3: upgrade it (`python3 -m pip install -U pip`)"
        } else {
            "see pip's output above"
        };
        bail!(
            "installing the wheels of `{}` failed ({status}); {hint}, then run `benchbook setup` again\n--- last lines of pip's output ---\n{tail}",
            inst.name
        );
    }
    post_install(pins, inst, dir, quiet)
}

/// Run the install's `post_install` scripts with the venv's interpreter.
fn post_install(pins: &Pins, inst: &Install, dir: &Path, quiet: bool) -> anyhow::Result<()> {
    let site_packages = dir
        .join("lib")
        .join(format!("python{}", pins.python_version))
        .join("site-packages");
    for script in &inst.post_install {
        let path = match &pins.root {
            Some(root) => root.join(script),
            None => bail!(
                "install `{}`: post_install needs the pins' site root",
                inst.name
            ),
        };
        if !quiet {
            eprintln!("{} {}: running {script}", inst.name, inst.version);
        }
        let mut cmd = Command::new(inst.python(dir));
        cmd.arg("-B").arg(&path).arg(&site_packages);
        let (status, tail) = run_streaming(&mut cmd, quiet, 40)
            .with_context(|| format!("cannot start {}", inst.python(dir).display()))?;
        if !status.success() {
            bail!(
                "{script} failed ({status}) while making the venv `{}`\n--- last lines of its output ---\n{}",
                inst.name,
                tail.into_iter().collect::<Vec<_>>().join("\n")
            );
        }
    }
    Ok(())
}

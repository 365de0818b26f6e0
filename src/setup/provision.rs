//! Download, verify and extract the pinned wheels into the cache.
//!
//! Cache layout (`~/.cache/benchbook`, or `$BENCHBOOK_CACHE`):
//! ```text
//! .lock                              held (flock) by whoever provisions or builds
//! downloads/<wheel file>             what pip saved; kept so re-runs download nothing
//! frameworks/libtorch-2.13.0/        one curated dir per install (dir from the pins) ...
//! datasets/digits/digits.csv.gz
//! <install dir>/.benchbook-installed completeness marker: written last, before the rename
//! runners-target/                    cargo's target dir for the runners (all checkouts)
//! runners/<name>-<fingerprint>/      a built runner binary, one per source fingerprint
//! ```
//! An install is built in a `.benchbook-tmp-*` sibling and renamed into place, so an
//! interrupted setup leaves no half-installed directory; leftovers are removed by the next
//! setup (under the lock, where no one else can be writing them).

use super::pins::{substitute, Install, Pins, Wheel};
use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// File in an install dir that says it is complete (JSON: name, version, pins digest).
pub const MARKER: &str = ".benchbook-installed";
/// Prefix of temporary directories inside the cache.
pub const TMP_PREFIX: &str = ".benchbook-tmp-";

/// The per-user cache directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    /// Absolute path.
    pub dir: PathBuf,
}

impl Cache {
    /// `$BENCHBOOK_CACHE`, else `~/.cache/benchbook` (where the runners' common crate looks too).
    pub fn from_env() -> anyhow::Result<Cache> {
        let dir = if let Some(d) = std::env::var_os("BENCHBOOK_CACHE").filter(|d| !d.is_empty()) {
            PathBuf::from(d)
        } else if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
            PathBuf::from(home).join(".cache/benchbook")
        } else {
            bail!("cannot find a cache directory: HOME is not set; set BENCHBOOK_CACHE to a directory benchbook may write");
        };
        Ok(Cache::at(&dir))
    }

    /// A cache at `dir` (made absolute, since paths inside installs must be).
    pub fn at(dir: &Path) -> Cache {
        let dir = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(dir)
        };
        Cache { dir }
    }

    pub fn install_dir(&self, inst: &Install) -> PathBuf {
        self.dir.join(&inst.dir)
    }

    pub fn downloads(&self) -> PathBuf {
        self.dir.join("downloads")
    }

    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(".lock")
    }

    /// Placeholders for runner environments: `@cache@` and `@<install name>@`.
    pub fn vars(&self, pins: &Pins) -> BTreeMap<String, PathBuf> {
        let mut vars: BTreeMap<String, PathBuf> = pins
            .installs
            .iter()
            .map(|i| (i.name.clone(), self.install_dir(i)))
            .collect();
        vars.insert("cache".into(), self.dir.clone());
        vars
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    name: String,
    version: String,
    digest: String,
}

/// Whether `inst` is fully installed for these pins.
pub fn is_complete(cache: &Cache, pins: &Pins, inst: &Install) -> bool {
    let path = cache.install_dir(inst).join(MARKER);
    let Ok(text) = fs::read_to_string(path) else {
        return false;
    };
    serde_json::from_str::<Marker>(&text).is_ok_and(|m| m.digest == inst.digest(pins))
}

/// An exclusive lock on `<cache>/.lock`, released on drop (or when the process dies).
#[derive(Debug)]
pub struct CacheLock {
    _file: File,
}

impl CacheLock {
    /// Take the lock, waiting (with a message unless `quiet`) while another process has it.
    pub fn acquire(cache: &Cache, quiet: bool) -> anyhow::Result<CacheLock> {
        fs::create_dir_all(&cache.dir).map_err(|e| {
            io_error(
                e,
                &format!("creating the cache directory {}", cache.dir.display()),
            )
        })?;
        let path = cache.lock_path();
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                if !quiet {
                    eprintln!(
                        "waiting for another benchbook (setup or a runner build) to finish with {} ...",
                        cache.dir.display()
                    );
                }
                file.lock()
                    .with_context(|| format!("cannot lock {}", path.display()))?;
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        Ok(CacheLock { _file: file })
    }
}

/// What one provisioning did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Provisioned {
    /// Installs extracted by this call.
    pub installed: Vec<String>,
    /// Installs that were already complete.
    pub present: Vec<String>,
    /// Wheel files pip downloaded in this call.
    pub downloaded: Vec<String>,
    /// Wall time of download + verify + extract, in seconds.
    pub seconds: f64,
    /// The three phases (pip download, sha256 checks, extraction), in seconds.
    pub download_seconds: f64,
    pub verify_seconds: f64,
    pub extract_seconds: f64,
}

/// Make sure the named installs (all when `names` is empty) are complete, under the lock.
pub fn provision(
    cache: &Cache,
    pins: &Pins,
    names: &[&str],
    quiet: bool,
) -> anyhow::Result<Provisioned> {
    let lock = CacheLock::acquire(cache, quiet)?;
    provision_locked(cache, pins, names, quiet, &lock)
}

/// [`provision`] for a caller that already holds the lock.
pub fn provision_locked(
    cache: &Cache,
    pins: &Pins,
    names: &[&str],
    quiet: bool,
    _lock: &CacheLock,
) -> anyhow::Result<Provisioned> {
    let start = Instant::now();
    let mut report = Provisioned::default();
    let wanted: Vec<&Install> = if names.is_empty() {
        pins.installs.iter().collect()
    } else {
        let mut out = Vec::new();
        for n in names {
            out.push(
                pins.install(n)
                    .ok_or_else(|| anyhow!("no install named `{n}` in the pins"))?,
            );
        }
        out
    };
    remove_leftovers(cache, pins);
    let mut missing = Vec::new();
    for inst in wanted {
        if is_complete(cache, pins, inst) {
            report.present.push(inst.name.clone());
        } else {
            missing.push(inst);
        }
    }
    if missing.is_empty() {
        return Ok(report);
    }

    // Download every wheel a missing install needs and that is not in downloads/ yet.
    let mut wheels: Vec<&str> = Vec::new();
    for inst in &missing {
        for w in inst.wheel_names() {
            if !wheels.contains(&w) {
                wheels.push(w);
            }
        }
    }
    let downloads = cache.downloads();
    fs::create_dir_all(&downloads)
        .map_err(|e| io_error(e, &format!("creating {}", downloads.display())))?;
    let to_fetch: Vec<&str> = wheels
        .iter()
        .copied()
        .filter(|w| !downloads.join(&pins.wheels[*w].file).is_file())
        .collect();
    if !to_fetch.is_empty() {
        let t = Instant::now();
        download(cache, pins, &to_fetch, quiet)?;
        report.download_seconds = t.elapsed().as_secs_f64();
        report.downloaded = to_fetch
            .iter()
            .map(|w| pins.wheels[*w].file.clone())
            .collect();
    }
    let t = Instant::now();
    let verified: Vec<anyhow::Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = wheels
            .iter()
            .map(|w| {
                let wheel = &pins.wheels[*w];
                let path = downloads.join(&wheel.file);
                s.spawn(move || {
                    if !quiet {
                        eprintln!("verifying sha256 of {}", wheel.file);
                    }
                    verify(&path, wheel)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("verifying panicked")))
            })
            .collect()
    });
    verified.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    report.verify_seconds = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let plans = missing
        .iter()
        .map(|inst| plan_install(cache, pins, inst))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let bytes: u64 = plans.iter().map(|p| p.bytes).sum();
    ensure_free_space(
        &cache.dir,
        bytes,
        &format!(
            "extracting {}",
            missing
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )?;
    // One thread per install (decompression is CPU-bound); the first error wins.
    let outcomes: Vec<anyhow::Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = plans
            .into_iter()
            .map(|plan| s.spawn(move || finish_install(pins, plan, quiet)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("extracting panicked")))
            })
            .collect()
    });
    for (inst, outcome) in missing.iter().zip(outcomes) {
        outcome?;
        report.installed.push(inst.name.clone());
    }
    report.extract_seconds = t.elapsed().as_secs_f64();
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// Remove `.benchbook-tmp-*` directories left by an interrupted setup. Only called under
/// the lock, so nobody is writing them.
fn remove_leftovers(cache: &Cache, pins: &Pins) {
    let mut parents: Vec<PathBuf> = pins
        .installs
        .iter()
        .filter_map(|i| cache.install_dir(i).parent().map(Path::to_path_buf))
        .collect();
    parents.push(cache.dir.join("runners"));
    parents.sort();
    parents.dedup();
    for parent in parents {
        let Ok(entries) = fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                let p = entry.path();
                let _ = if p.is_dir() {
                    fs::remove_dir_all(&p)
                } else {
                    fs::remove_file(&p)
                };
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Download

pub(crate) const PYTHON: &str = "python3";

/// `python3 -m pip --version`, with an error that says what to install.
pub fn check_pip() -> anyhow::Result<()> {
    let out = Command::new(PYTHON)
        .args(["-m", "pip", "--version"])
        .stdin(Stdio::null())
        .output();
    match out {
        Err(e) if e.kind() == io::ErrorKind::NotFound => bail!(
            "python3 was not found on PATH: benchbook setup downloads the frameworks (PyPI wheels) with pip; \
             install Python 3 with pip (e.g. `apt-get install python3 python3-pip`) and run `benchbook setup` again"
        ),
        Err(e) => bail!("cannot run `python3 -m pip --version`: {e}"),
        Ok(o) if !o.status.success() => bail!(
            "pip is not available for python3 (`python3 -m pip --version` said: {}); \
             install it (`apt-get install python3-pip` or `python3 -m ensurepip --user`) and run `benchbook setup` again",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Ok(_) => Ok(()),
    }
}

fn download(cache: &Cache, pins: &Pins, wheels: &[&str], quiet: bool) -> anyhow::Result<()> {
    check_pip()?;
    let downloads = cache.downloads();
    let needed: u64 = wheels.iter().filter_map(|w| pins.wheels[*w].bytes).sum();
    ensure_free_space(&downloads, needed, "downloading the framework wheels")?;
    let mut cmd = Command::new(PYTHON);
    cmd.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        // downloads/ is the copy we keep; pip's own cache would hold the ~800 MB twice.
        "--no-cache-dir",
        "--progress-bar",
        "off",
    ])
    .args(["--python-version", &pins.python_version]);
    for p in &pins.platforms {
        cmd.args(["--platform", p]);
    }
    cmd.arg("-d").arg(&downloads).args(&pins.pip_args);
    cmd.args(wheels.iter().map(|w| pins.wheels[*w].requirement.as_str()));
    if !quiet {
        eprintln!(
            "downloading {} with pip ({} MB) into {}",
            wheels
                .iter()
                .map(|w| pins.wheels[*w].requirement.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            needed / 1_000_000,
            downloads.display()
        );
    }
    let (status, tail) = run_streaming(&mut cmd, quiet, 40)
        .with_context(|| format!("cannot start `{PYTHON} -m pip download`"))?;
    if !status.success() {
        let tail_text = tail.iter().cloned().collect::<Vec<_>>().join("\n");
        let hint = if tail_text.contains("No space left on device") {
            format!(
                "the disk is full: free at least {} MB under {} (or point BENCHBOOK_CACHE elsewhere) and run `benchbook setup` again",
                needed / 1_000_000,
                cache.dir.display()
            )
        } else if [
            "NewConnectionError",
            "Max retries",
            "Temporary failure in name resolution",
            "Connection refused",
            "timed out",
            "ProxyError",
            "SSLError",
        ]
        .iter()
        .any(|s| tail_text.contains(s))
        {
            "the package registry is unreachable: check the network (or a proxy, PIP_INDEX_URL, pip_args in the pins) and run `benchbook setup` again".to_string()
        } else if tail_text.contains("No matching distribution")
            || tail_text.contains("Could not find a version")
        {
            "the registry has no such wheel for the pinned Python version and platforms: check the registry is reachable and the requirements in benchmarks/frameworks.yaml".to_string()
        } else {
            "see pip's output above; fix the cause and run `benchbook setup` again".to_string()
        };
        bail!(
            "pip download failed ({status}); {hint}\n--- last lines of pip's output ---\n{tail_text}"
        );
    }
    for w in wheels {
        let file = &pins.wheels[*w].file;
        if !downloads.join(file).is_file() {
            bail!(
                "pip finished but did not save {file} in {}: the registry serves a different file for `{}` on the pinned platforms; update the file name and sha256 in benchmarks/frameworks.yaml",
                downloads.display(),
                pins.wheels[*w].requirement
            );
        }
    }
    Ok(())
}

/// Run a command, forward its stdout and stderr lines to our stderr (unless `quiet`), and
/// keep the last `keep` lines of both for an error message.
pub(crate) fn run_streaming(
    cmd: &mut Command,
    quiet: bool,
    keep: usize,
) -> io::Result<(std::process::ExitStatus, VecDeque<String>)> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let tail = std::sync::Mutex::new(VecDeque::new());
    let out = child.stdout.take();
    let err = child.stderr.take();
    let pump = |stream: Box<dyn Read + Send>| {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if !quiet {
                eprintln!("{line}");
            }
            let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
            t.push_back(line);
            if t.len() > keep {
                t.pop_front();
            }
        }
    };
    std::thread::scope(|s| {
        if let Some(o) = out {
            s.spawn(|| pump(Box::new(o)));
        }
        if let Some(e) = err {
            s.spawn(|| pump(Box::new(e)));
        }
    });
    let status = child.wait()?;
    Ok((status, tail.into_inner().unwrap_or_else(|p| p.into_inner())))
}

/// Check a downloaded wheel's sha256; a file that does not match is deleted.
pub fn verify(path: &Path, wheel: &Wheel) -> anyhow::Result<()> {
    let actual = sha256_file(path)?;
    if !actual.eq_ignore_ascii_case(&wheel.sha256) {
        let removed = fs::remove_file(path);
        bail!(
            "sha256 mismatch for {}: expected {} (pinned in benchmarks/frameworks.yaml), got {}; {}. \
             Run `benchbook setup` again to download it again; if it still differs, the registry serves \
             a different file for `{}` and the pin must be checked",
            path.display(),
            wheel.sha256,
            actual,
            match removed {
                Ok(()) => "the file was deleted".to_string(),
                Err(e) => format!("deleting it failed ({e}): delete it by hand"),
            },
            wheel.requirement
        );
    }
    Ok(())
}

pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

// ---------------------------------------------------------------------------------------
// Extract

type Archive = (PathBuf, zip::ZipArchive<File>);

/// What to copy for one install, into a temporary sibling of its final directory.
struct Plan<'p> {
    inst: &'p Install,
    final_dir: PathBuf,
    tmp: tempfile::TempDir,
    archives: BTreeMap<&'p str, Archive>,
    /// (extract rule, wheel, entry index, destination)
    copies: Vec<(usize, &'p str, usize, PathBuf)>,
    /// Uncompressed bytes to write.
    bytes: u64,
    /// The verified wheels (a venv install's pip reads them there).
    downloads: PathBuf,
}

/// Open the wheels and list every copy: a missing entry is found before anything is
/// written, and the exact size is known for the free-space check.
fn plan_install<'p>(cache: &Cache, pins: &'p Pins, inst: &'p Install) -> anyhow::Result<Plan<'p>> {
    let final_dir = cache.install_dir(inst);
    let parent = final_dir
        .parent()
        .ok_or_else(|| anyhow!("install dir {} has no parent", final_dir.display()))?;
    fs::create_dir_all(parent)
        .map_err(|e| io_error(e, &format!("creating {}", parent.display())))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!("{TMP_PREFIX}{}-", inst.name))
        .tempdir_in(parent)
        .map_err(|e| {
            io_error(
                e,
                &format!("creating a temporary directory in {}", parent.display()),
            )
        })?;
    let downloads = cache.downloads();

    let mut archives: BTreeMap<&str, Archive> = BTreeMap::new();
    for w in inst.wheel_names() {
        let path = downloads.join(&pins.wheels[w].file);
        let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        let archive = zip::ZipArchive::new(file)
            .with_context(|| format!("{} is not a readable wheel (zip)", path.display()))?;
        archives.insert(w, (path, archive));
    }

    let mut plan: Vec<(usize, &str, usize, PathBuf)> = Vec::new();
    let mut needed: u64 = 0;
    for (k, x) in inst.extract.iter().enumerate() {
        let (path, archive) = archives.get_mut(x.wheel.as_str()).expect("validated wheel");
        let before = plan.len();
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i)?;
            if entry.is_dir() {
                continue;
            }
            let Some(name) = entry.enclosed_name() else {
                continue;
            };
            let name = name.to_string_lossy().replace('\\', "/");
            let dest = if x.from.ends_with('/') {
                match name.strip_prefix(&x.from) {
                    Some(rest) if !rest.is_empty() => tmp.path().join(&x.to).join(rest),
                    _ => continue,
                }
            } else if name == x.from {
                tmp.path().join(&x.to)
            } else {
                continue;
            };
            needed += entry.size();
            plan.push((k, x.wheel.as_str(), i, dest));
        }
        if plan.len() == before {
            bail!(
                "{} has no entry `{}` (install `{}`): the wheel does not match the pins in benchmarks/frameworks.yaml",
                path.display(),
                x.from,
                inst.name
            );
        }
    }
    // A venv holds its wheels unpacked (pip also compiles their .py files: about 1.3x).
    for w in &inst.venv {
        let (_, archive) = archives.get_mut(w.as_str()).expect("opened above");
        for i in 0..archive.len() {
            needed += archive.by_index_raw(i)?.size() * 13 / 10;
        }
    }
    Ok(Plan {
        inst,
        final_dir,
        tmp,
        archives,
        copies: plan,
        bytes: needed,
        downloads,
    })
}

/// Copy, add links, empty libraries, files and the marker, then rename into place.
fn finish_install(pins: &Pins, plan: Plan<'_>, quiet: bool) -> anyhow::Result<()> {
    let Plan {
        inst,
        final_dir,
        tmp,
        mut archives,
        copies: plan,
        downloads,
        ..
    } = plan;
    let parent = final_dir.parent().expect("checked in plan_install");
    let mut announced = usize::MAX;
    let mut buf = vec![0u8; 1 << 20];
    for (k, wheel, i, dest) in plan {
        if k != announced && !quiet {
            let x = &inst.extract[k];
            eprintln!(
                "{} {}: extracting {} from {}",
                inst.name, inst.version, x.from, pins.wheels[wheel].file
            );
            announced = k;
        }
        let (path, archive) = archives.get_mut(wheel).expect("planned wheel");
        let mut entry = archive
            .by_index(i)
            .with_context(|| format!("cannot read an entry of {}", path.display()))?;
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir)
                .map_err(|e| io_error(e, &format!("creating {}", dir.display())))?;
        }
        let mut out = File::create(&dest)
            .map_err(|e| io_error(e, &format!("creating {}", dest.display())))?;
        copy_large(&mut entry, &mut out, &mut buf).map_err(|e| {
            if e.raw_os_error().is_some() {
                io_error(e, &format!("writing {}", dest.display()))
            } else {
                anyhow!(
                    "{}: entry `{}` is corrupt: {e}; delete the file and run `benchbook setup` again",
                    path.display(),
                    entry.name().map(|n| n.to_string()).unwrap_or_default()
                )
            }
        })?;
        let mode = entry
            .unix_mode()
            .map(|m| m & 0o777)
            .filter(|m| *m != 0)
            .unwrap_or(0o644);
        set_mode(&dest, mode)?;
    }

    for (link, target) in &inst.symlinks {
        let at = tmp.path().join(link);
        if let Some(dir) = at.parent() {
            fs::create_dir_all(dir)
                .map_err(|e| io_error(e, &format!("creating {}", dir.display())))?;
        }
        std::os::unix::fs::symlink(target, &at)
            .map_err(|e| io_error(e, &format!("creating the symlink {}", at.display())))?;
    }
    for lib in &inst.empty_shared_libraries {
        let at = tmp.path().join(lib);
        if let Some(dir) = at.parent() {
            fs::create_dir_all(dir)
                .map_err(|e| io_error(e, &format!("creating {}", dir.display())))?;
        }
        empty_shared_library(&at)?;
    }
    if !inst.venv.is_empty() {
        super::venv::make(pins, inst, tmp.path(), &downloads, quiet)?;
    }
    let vars = BTreeMap::from([("prefix".to_string(), final_dir.clone())]);
    for (file, text) in &inst.files {
        let at = tmp.path().join(file);
        if let Some(dir) = at.parent() {
            fs::create_dir_all(dir)
                .map_err(|e| io_error(e, &format!("creating {}", dir.display())))?;
        }
        fs::write(&at, substitute(text, &vars))
            .map_err(|e| io_error(e, &format!("writing {}", at.display())))?;
    }
    let marker = Marker {
        name: inst.name.clone(),
        version: inst.version.clone(),
        digest: inst.digest(pins),
    };
    let at = tmp.path().join(MARKER);
    let mut f = File::create(&at).map_err(|e| io_error(e, &format!("writing {}", at.display())))?;
    f.write_all(serde_json::to_string_pretty(&marker)?.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| io_error(e, &format!("writing {}", at.display())))?;
    set_mode(tmp.path(), 0o755)?;

    // An incomplete or outdated dir (no or another marker) is moved aside, then replaced.
    if fs::symlink_metadata(&final_dir).is_ok() {
        let old = parent.join(format!(
            "{TMP_PREFIX}old-{}-{}",
            inst.name,
            std::process::id()
        ));
        fs::rename(&final_dir, &old)
            .with_context(|| format!("cannot move the incomplete {} aside", final_dir.display()))?;
        let _ = fs::remove_dir_all(&old);
    }
    let tmp_path = tmp.keep();
    fs::rename(&tmp_path, &final_dir).with_context(|| {
        format!(
            "cannot rename {} to {}",
            tmp_path.display(),
            final_dir.display()
        )
    })?;
    if !quiet {
        eprintln!(
            "{} {} installed in {}",
            inst.name,
            inst.version,
            final_dir.display()
        );
    }
    Ok(())
}

/// `io::copy` with a 1 MiB buffer: far fewer decompressor calls and writes for the
/// 100-800 MB libraries.
fn copy_large(from: &mut impl Read, to: &mut impl Write, buf: &mut [u8]) -> io::Result<u64> {
    let mut total = 0;
    loop {
        let n = match from.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the permissions of {}", path.display()))
}

/// `cc -shared -o PATH -x c /dev/null`.
fn empty_shared_library(at: &Path) -> anyhow::Result<()> {
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let out = Command::new(&cc)
        .args(["-shared", "-o"])
        .arg(at)
        .args(["-x", "c", "/dev/null"])
        .stdin(Stdio::null())
        .output();
    match out {
        Err(e) if e.kind() == io::ErrorKind::NotFound => bail!(
            "`{}` (a C compiler) was not found: it builds the empty {} the pins ask for (and Rust needs a linker anyway); \
             install one (e.g. `apt-get install gcc`) and run `benchbook setup` again",
            cc.to_string_lossy(),
            at.file_name().unwrap_or_default().to_string_lossy()
        ),
        Err(e) => bail!("cannot run `{}`: {e}", cc.to_string_lossy()),
        Ok(o) if !o.status.success() => bail!(
            "`{} -shared -o {} -x c /dev/null` failed: {}",
            cc.to_string_lossy(),
            at.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Ok(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Disk space and I/O errors

/// Bytes available to this user on the filesystem holding `path` (or its nearest
/// existing ancestor).
pub fn free_space(path: &Path) -> anyhow::Result<u64> {
    let mut p = path;
    while !p.exists() {
        p = p.parent().unwrap_or(Path::new("/"));
    }
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes())
        .map_err(|_| anyhow!("{} contains a NUL byte", p.display()))?;
    // SAFETY: statvfs writes into the zeroed struct we pass; `c` is a valid C string.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(io::Error::last_os_error()).with_context(|| format!("statvfs {}", p.display()));
    }
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}

/// Fail with advice when fewer than `needed` bytes are free at `path`.
pub fn ensure_free_space(path: &Path, needed: u64, what: &str) -> anyhow::Result<()> {
    let free = free_space(path)?;
    if free < needed {
        bail!(
            "not enough disk space for {what}: {} needs {} MB, {} MB are free; free some space \
             (or set BENCHBOOK_CACHE to a directory on a larger disk) and run `benchbook setup` again",
            path.display(),
            needed.div_ceil(1_000_000),
            free / 1_000_000
        );
    }
    Ok(())
}

/// An I/O error with what was being done; a full disk gets advice.
pub(crate) fn io_error(e: io::Error, doing: &str) -> anyhow::Error {
    if e.raw_os_error() == Some(libc::ENOSPC) {
        anyhow!(
            "no space left on device while {doing}; free some space (or set BENCHBOOK_CACHE to a directory \
             on a larger disk) and run `benchbook setup` again: nothing half-installed is kept"
        )
    } else {
        anyhow::Error::new(e).context(format!("failed while {doing}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_space(&dir.path().join("not/yet/there")).unwrap();
        assert!(free > 0);
        ensure_free_space(dir.path(), 1, "a test").unwrap();
        let e = ensure_free_space(dir.path(), free.saturating_mul(4).max(1 << 50), "a test")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("not enough disk space for a test:"), "{e}");
        assert!(e.contains("BENCHBOOK_CACHE"), "{e}");
    }

    #[test]
    fn enospc_is_explained() {
        let e = io_error(io::Error::from_raw_os_error(libc::ENOSPC), "writing x").to_string();
        assert!(
            e.starts_with("no space left on device while writing x;"),
            "{e}"
        );
        let e = io_error(io::Error::from_raw_os_error(libc::EACCES), "writing x");
        assert_eq!(e.to_string(), "failed while writing x");
    }
}

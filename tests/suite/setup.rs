//! Provisioning against a temporary cache, with small wheels made here and served to the
//! real `pip download` from a local directory (`--no-index --find-links`): hash mismatch,
//! interrupted extract, concurrent setups, `setup --check`, and the errors for a missing
//! pip, an unreachable registry and a missing C compiler.

use benchbook::setup::pins::Pins;
use benchbook::setup::provision::{provision, Cache, MARKER, TMP_PREFIX};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_benchbook");

/// Write `<name>-<version>-py3-none-any.whl` with `entries` (plus the dist-info pip reads);
/// returns (file name, sha256).
fn fake_wheel(
    dir: &Path,
    name: &str,
    version: &str,
    entries: &[(&str, Vec<u8>)],
) -> (String, String) {
    let file = format!("{name}-{version}-py3-none-any.whl");
    let out = std::fs::File::create(dir.join(&file)).unwrap();
    let mut zip = zip::ZipWriter::new(out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    let info = format!("{name}-{version}.dist-info");
    let mut all: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|(n, b)| (n.to_string(), b.clone()))
        .collect();
    all.push((
        format!("{info}/METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").into_bytes(),
    ));
    all.push((
        format!("{info}/WHEEL"),
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec(),
    ));
    all.push((format!("{info}/RECORD"), Vec::new()));
    for (n, b) in &all {
        zip.start_file(n.as_str(), opts).unwrap();
        zip.write_all(b).unwrap();
    }
    zip.finish().unwrap();
    let sha = hex::encode(Sha256::digest(std::fs::read(dir.join(&file)).unwrap()));
    (file, sha)
}

/// A site root whose pins install `demo` from the wheel `demolib` found in `wheels`.
struct Fixture {
    root: tempfile::TempDir,
    wheels: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Fixture {
    /// `entries` go into the wheel; the pins extract `demolib/include/` and `demolib/lib/libdemo.so`
    /// plus every extra `from` in `extra`.
    fn new(entries: &[(&str, Vec<u8>)], extra: &[&str], sha_override: Option<&str>) -> Fixture {
        let f = Fixture {
            root: tempfile::tempdir().unwrap(),
            wheels: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
        };
        let (file, sha) = fake_wheel(f.wheels.path(), "demolib", "1.0", entries);
        let extra_rules: String = extra
            .iter()
            .map(|from| {
                format!(
                    "      - {{ wheel: demolib, from: {from}, to: lib/{} }}\n",
                    from.rsplit('/').next().unwrap()
                )
            })
            .collect();
        let pins = format!(
            r#"python_version: "3.11"
pip_args: ["--no-index", "--find-links", "{wheels}"]
platforms: [manylinux_2_17_x86_64]
wheels:
  demolib:
    requirement: demolib==1.0
    file: {file}
    sha256: {sha}
installs:
  - name: demo
    version: "1.0"
    dir: frameworks/demo-1.0
    extract:
      - {{ wheel: demolib, from: demolib/include/, to: include/ }}
      - {{ wheel: demolib, from: demolib/lib/libdemo.so, to: lib/libdemo.so }}
{extra_rules}    symlinks:
      lib/libdemo.so.1: libdemo.so
    empty_shared_libraries: [lib/libempty.so]
    files:
      build-version: "1.0"
      pkgconfig/demo.pc: |
        prefix=@prefix@
        libdir=${{prefix}}/lib
"#,
            wheels = f.wheels.path().display(),
            sha = sha_override.unwrap_or(&sha),
        );
        std::fs::create_dir_all(f.root.path().join("benchmarks")).unwrap();
        std::fs::write(f.root.path().join("benchmarks/frameworks.yaml"), pins).unwrap();
        f
    }

    fn small() -> Fixture {
        Fixture::new(&small_entries(), &[], None)
    }

    fn pins(&self) -> Pins {
        Pins::load(self.root.path()).unwrap()
    }

    fn cache(&self) -> Cache {
        Cache::at(self.cache.path())
    }

    fn install_dir(&self) -> PathBuf {
        self.cache.path().join("frameworks/demo-1.0")
    }

    /// `benchbook --root <root> setup [args]` on this fixture's cache.
    fn setup_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--root")
            .arg(self.root.path())
            .arg("setup")
            .args(args);
        cmd.env("BENCHBOOK_CACHE", self.cache.path());
        cmd
    }

    fn leftovers(&self) -> Vec<String> {
        let parent = self.cache.path().join("frameworks");
        std::fs::read_dir(parent)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(TMP_PREFIX))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn small_entries() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("demolib/include/demo.h", b"int demo(void);\n".to_vec()),
        ("demolib/include/sub/inner.h", b"#pragma once\n".to_vec()),
        ("demolib/lib/libdemo.so", b"not really a library".to_vec()),
        (
            "demolib/lib/libcuda_stuff.so",
            b"must not be extracted".to_vec(),
        ),
    ]
}

fn assert_installed(f: &Fixture) {
    let dir = f.install_dir();
    assert_eq!(
        std::fs::read_to_string(dir.join("include/demo.h")).unwrap(),
        "int demo(void);\n"
    );
    assert!(dir.join("include/sub/inner.h").is_file());
    assert!(dir.join("lib/libdemo.so").is_file());
    assert!(
        !dir.join("lib/libcuda_stuff.so").exists(),
        "only pinned entries are extracted"
    );
    assert_eq!(
        std::fs::read_link(dir.join("lib/libdemo.so.1")).unwrap(),
        Path::new("libdemo.so")
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("build-version")).unwrap(),
        "1.0"
    );
    let pc = std::fs::read_to_string(dir.join("pkgconfig/demo.pc")).unwrap();
    assert_eq!(
        pc,
        format!("prefix={}\nlibdir=${{prefix}}/lib\n", dir.display())
    );
    let empty = std::fs::read(dir.join("lib/libempty.so")).unwrap();
    assert_eq!(&empty[..4], b"\x7fELF", "cc built a shared library");
    assert!(dir.join(MARKER).is_file());
    assert!(f.leftovers().is_empty(), "{:?}", f.leftovers());
}

#[test]
fn provisions_from_a_local_index_then_reuses_everything() {
    let f = Fixture::small();
    let done = provision(&f.cache(), &f.pins(), &[], true).unwrap();
    assert_eq!(done.installed, vec!["demo"]);
    assert_eq!(done.downloaded, vec!["demolib-1.0-py3-none-any.whl"]);
    assert_installed(&f);
    assert!(
        f.cache
            .path()
            .join("downloads/demolib-1.0-py3-none-any.whl")
            .is_file(),
        "the wheel is kept"
    );

    let again = provision(&f.cache(), &f.pins(), &[], true).unwrap();
    assert_eq!(again.present, vec!["demo"]);
    assert!(again.installed.is_empty() && again.downloaded.is_empty());

    // An install whose marker is gone counts as incomplete and is rebuilt from the kept wheel.
    std::fs::remove_file(f.install_dir().join(MARKER)).unwrap();
    std::fs::write(f.install_dir().join("junk"), "x").unwrap();
    let redo = provision(&f.cache(), &f.pins(), &[], true).unwrap();
    assert_eq!(redo.installed, vec!["demo"]);
    assert!(redo.downloaded.is_empty());
    assert!(!f.install_dir().join("junk").exists());
    assert_installed(&f);
}

#[test]
fn hash_mismatch_is_reported_and_the_bad_file_deleted() {
    let wrong = "0".repeat(64);
    let f = Fixture::new(&small_entries(), &[], Some(&wrong));
    let err = provision(&f.cache(), &f.pins(), &[], true).unwrap_err();
    let msg = format!("{err:#}");
    let wheel = f
        .cache
        .path()
        .join("downloads/demolib-1.0-py3-none-any.whl");
    let actual = hex::encode(Sha256::digest(
        std::fs::read(f.wheels.path().join("demolib-1.0-py3-none-any.whl")).unwrap(),
    ));
    assert!(
        msg.starts_with(&format!("sha256 mismatch for {}:", wheel.display())),
        "{msg}"
    );
    assert!(msg.contains(&format!("expected {wrong}")), "{msg}");
    assert!(msg.contains(&format!("got {actual}")), "{msg}");
    assert!(msg.contains("the file was deleted"), "{msg}");
    assert!(msg.contains("Run `benchbook setup` again"), "{msg}");
    assert!(!wheel.exists(), "the bad file is deleted");
    assert!(
        !f.install_dir().exists(),
        "nothing is installed from an unverified wheel"
    );

    // The same through the command line: exit 1 and the message on stderr.
    let out = f.setup_cmd(&["-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: sha256 mismatch for "),
        "{stderr}"
    );
}

#[test]
fn a_wheel_without_a_pinned_entry_installs_nothing() {
    let f = Fixture::new(&small_entries(), &["demolib/lib/libmissing.so"], None);
    let msg = format!(
        "{:#}",
        provision(&f.cache(), &f.pins(), &[], true).unwrap_err()
    );
    assert!(
        msg.contains("has no entry `demolib/lib/libmissing.so` (install `demo`)"),
        "{msg}"
    );
    assert!(!f.install_dir().exists());
    assert!(
        f.leftovers().is_empty(),
        "the temporary dir is removed: {:?}",
        f.leftovers()
    );
}

#[test]
fn an_interrupted_extract_leaves_no_install_and_a_rerun_completes() {
    // Big, well-compressed entries so that extracting takes long enough to be killed.
    let big = vec![0u8; 120 << 20];
    let mut entries = small_entries();
    entries.push(("demolib/lib/big1.bin", big.clone()));
    entries.push(("demolib/lib/big2.bin", big.clone()));
    entries.push(("demolib/lib/big3.bin", big));
    let f = Fixture::new(
        &entries,
        &[
            "demolib/lib/big1.bin",
            "demolib/lib/big2.bin",
            "demolib/lib/big3.bin",
        ],
        None,
    );

    let mut child = f
        .setup_cmd(&[])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let go = line.contains("extracting demolib/lib/big1.bin");
        seen.push(line);
        if go {
            child.kill().unwrap(); // SIGKILL: no cleanup code runs
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "setup was killed mid-extract; its output: {seen:#?}"
    );
    assert!(
        !f.install_dir().exists(),
        "no half-installed dir after a kill"
    );
    assert_eq!(
        f.leftovers().len(),
        1,
        "the killed setup left its temporary dir"
    );

    let out = f.setup_cmd(&[]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_installed(&f);
    assert_eq!(
        std::fs::metadata(f.install_dir().join("lib/big3.bin"))
            .unwrap()
            .len(),
        120 << 20
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("downloading"),
        "the rerun reuses the downloaded wheel: {stderr}"
    );
}

#[test]
fn two_concurrent_setups_both_succeed_and_extract_once() {
    // Two threads (each its own lock file handle, as two processes would have).
    let f = Fixture::small();
    let barrier = std::sync::Barrier::new(2);
    let (cache, pins) = (f.cache(), f.pins());
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    provision(&cache, &pins, &[], true)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap().unwrap()).collect()
    });
    let installs: usize = results.iter().map(|r| r.installed.len()).sum();
    let downloads: usize = results.iter().map(|r| r.downloaded.len()).sum();
    assert_eq!((installs, downloads), (1, 1), "{results:?}");
    assert!(results.iter().any(|r| r.present == vec!["demo"]));
    assert_installed(&f);

    // Two processes of the real command.
    let f = Fixture::small();
    let children: Vec<_> = (0..2)
        .map(|_| {
            f.setup_cmd(&[])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let stderr: Vec<String> = outs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .collect();
    assert!(outs.iter().all(|o| o.status.success()), "{stderr:#?}");
    let extracted = stderr
        .iter()
        .filter(|s| s.contains("demo 1.0 installed in"))
        .count();
    let already = stderr
        .iter()
        .filter(|s| s.contains("already installed"))
        .count();
    assert_eq!((extracted, already), (1, 1), "{stderr:#?}");
    assert_installed(&f);
}

#[test]
fn check_on_an_empty_cache_says_what_is_missing_and_installs_nothing() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("--root")
        .arg(repo)
        .args(["setup", "--check"])
        .env("BENCHBOOK_CACHE", cache.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    for (name, version) in [
        ("libtorch", "2.13.0"),
        ("libtensorflow", "2.21.0"),
        ("digits", "1.5.2"),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in\n{stdout}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[..3], [name, version, "MISSING"], "{line}");
    }
    let pins = benchbook::setup::pins::Pins::load(repo).unwrap();
    assert!(
        stdout.contains(&format!("0 of {} wheels", pins.wheels.len())),
        "{stdout}"
    );
    assert!(
        stdout.contains("runner torch") && stdout.contains("NOT BUILT"),
        "{stdout}"
    );
    assert!(
        stderr.starts_with("error: not set up: libtorch 2.13.0, libtensorflow 2.21.0, digits 1.5.2, python 3.11-torch-2.13.0-tensorflow-2.21.0, runner keras_fit, runner tensorflow, runner tf_eager, runner tf_function, runner tf_xla, runner torch, runner torch_compile, runner torch_eager missing in"),
        "{stderr}"
    );
    assert!(stderr.contains("run `benchbook setup`"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "--check writes nothing"
    );
}

#[test]
fn check_after_setup_reports_sizes_and_succeeds() {
    let f = Fixture::small();
    assert_eq!(
        f.setup_cmd(&["--check"]).output().unwrap().status.code(),
        Some(1)
    );
    let out = f.setup_cmd(&["-q"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty() && out.stdout.is_empty(),
        "-q prints nothing on success"
    );
    let out = f.setup_cmd(&["--check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().find(|l| l.starts_with("demo ")).unwrap();
    let words: Vec<&str> = line.split_whitespace().take(3).collect();
    assert_eq!(words, ["demo", "1.0", "installed"], "{line}");
    assert!(
        stdout.contains(&f.install_dir().display().to_string()),
        "{stdout}"
    );
    assert!(stdout.contains("1 of 1 wheels"), "{stdout}");
}

/// A PATH holding only the named programs (symlinks to the real ones).
fn path_with(programs: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for p in programs {
        let real = which(p).unwrap_or_else(|| panic!("{p} is not installed"));
        std::os::unix::fs::symlink(real, dir.path().join(p)).unwrap();
    }
    dir
}

fn which(program: &str) -> Option<PathBuf> {
    if program == "python3" {
        // Resolve shims (pyenv) to the interpreter itself.
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .ok()?;
        return Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

#[test]
fn missing_python_is_explained() {
    let f = Fixture::small();
    let empty = path_with(&[]);
    let out = f.setup_cmd(&[]).env("PATH", empty.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: python3 was not found on PATH"),
        "{stderr}"
    );
    assert!(stderr.contains("install Python 3 with pip"), "{stderr}");
    assert!(!f.install_dir().exists());
}

#[test]
fn an_unreachable_registry_is_explained_with_pips_own_words() {
    let f = Fixture::small();
    let pins_path = f.root.path().join("benchmarks/frameworks.yaml");
    let pins = std::fs::read_to_string(&pins_path).unwrap();
    // A port nothing listens on: connection refused, fast and offline.
    let unreachable = r#"pip_args: ["--index-url", "http://127.0.0.1:9/simple", "--retries", "1", "--timeout", "2"]"#;
    let pins = pins
        .lines()
        .map(|l| {
            if l.starts_with("pip_args") {
                unreachable
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&pins_path, pins).unwrap();
    let out = f
        .setup_cmd(&["-q"])
        .env_remove("PIP_FIND_LINKS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: pip download failed"), "{stderr}");
    assert!(
        stderr.contains("the package registry is unreachable"),
        "{stderr}"
    );
    assert!(stderr.contains("last lines of pip's output"), "{stderr}");
    assert!(
        stderr.contains("127.0.0.1"),
        "pip's own words are shown: {stderr}"
    );
}

#[test]
fn a_missing_c_compiler_is_explained() {
    let f = Fixture::small();
    let only_python = path_with(&["python3"]);
    let out = f
        .setup_cmd(&[])
        .env("PATH", only_python.path())
        .env_remove("CC")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: `cc` (a C compiler) was not found"),
        "{stderr}"
    );
    assert!(stderr.contains("apt-get install gcc"), "{stderr}");
    assert!(!f.install_dir().exists(), "nothing half-installed");
    assert!(f.leftovers().is_empty());
}

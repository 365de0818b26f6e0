//! Helpers shared by tests/suite/bench*.rs and benches/bench_overhead.rs: a site in a
//! temporary directory whose benchmarks run the fake runner (tests/support/fake_runner.rs),
//! and the real `benchbook` binary to run them.
#![allow(dead_code)]

use benchbook::results::StoredBenchmark;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const FAKE: &str = env!("CARGO_BIN_EXE_benchbook-fake-runner");
pub const BENCHBOOK: &str = env!("CARGO_BIN_EXE_benchbook");

pub struct Site {
    pub dir: tempfile::TempDir,
    /// Every fake runner start appends a line here.
    pub log: PathBuf,
}

impl Site {
    pub fn new() -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("benchmarks")).expect("mkdir");
        let log = dir.path().join("fake.log");
        Site { dir, log }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A site with one benchmark, `quick`: the fake runner in mode `ok`, `repetitions` runs.
    pub fn quick(repetitions: u32) -> Site {
        let site = Site::new();
        site.declare(
            "quick",
            &format!(
                "
title: Quick
runners:
  - {{name: fake, command: [FAKE]}}
workload: {{mode: ok}}
repetitions: {repetitions}
"
            ),
        );
        site
    }

    /// Write `benchmarks/<name>.yaml`; `FAKE` in the text is the fake runner's path.
    pub fn declare(&self, name: &str, yaml: &str) {
        let text = yaml.replace("FAKE", FAKE);
        std::fs::write(self.root().join(format!("benchmarks/{name}.yaml")), text).expect("write");
    }

    /// A `benchbook` command for this site (not started).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BENCHBOOK);
        cmd.arg("--root")
            .arg(self.root())
            .args(args)
            .env("BENCHBOOK_FAKE_LOG", &self.log);
        cmd
    }

    /// Run `benchbook --root <site> <args>` to the end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run benchbook")
    }

    /// Lines of the fake runner's log that start with `start`.
    pub fn starts(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("start "))
            .map(str::to_string)
            .collect()
    }

    /// Pids the fake runner logged with `prefix` (`start` or `grandchild`): the last field.
    pub fn pids(&self, prefix: &str) -> Vec<i32> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
            .collect()
    }

    pub fn result_path(&self, id: &str) -> PathBuf {
        self.root().join(format!("benchmarks/results/{id}.json"))
    }

    pub fn result_bytes(&self, id: &str) -> Option<Vec<u8>> {
        std::fs::read(self.result_path(id)).ok()
    }

    pub fn stored(&self, id: &str) -> StoredBenchmark {
        let bytes = self.result_bytes(id).expect("a stored result");
        serde_json::from_slice(&bytes).expect("a valid stored result")
    }

    /// Every file in benchmarks/results (names), sorted.
    pub fn result_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root().join("benchmarks/results"))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether process `pid` is gone (or a zombie nobody has reaped yet, which runs nothing).
pub fn is_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']))
            .unwrap_or(false),
    }
}

/// Wait up to `secs` for `cond`.
pub fn wait_for(secs: f64, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_secs_f64(secs);
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    cond()
}

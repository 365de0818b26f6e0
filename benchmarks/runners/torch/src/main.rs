//! benchbook's PyTorch runner: libtorch 2.13.0 through `tch`, one process per run.
//!
//! Reads one spec on stdin, runs its workload (train, matmul, probes or cold_start) exactly as the
//! TensorFlow runner does (same data, batches, initial weights and optimizer arithmetic,
//! all from `benchbook-runner-common`), prints one result on stdout. See notes/RUNNERS.md.

mod cold;
mod facts;
mod matmul;
mod model;
mod optim;
mod probes;
mod train;

use benchbook_runner_common as common;
use common::protocol::{self, Metric, RunResult, RunnerInfo, Spec, Threads, Unit};
use common::Workload;

/// The framework name every result carries.
pub const FRAMEWORK: &str = "PyTorch (libtorch, via tch)";

fn main() {
    protocol::run_main(run)
}

fn run(spec: &Spec) -> Result<RunResult, String> {
    let workload = Workload::from_spec(spec)?;
    set_threads(workload.threads())?;
    let mut result = match &workload {
        Workload::Train(t) => train::run(t)?,
        Workload::Matmul(m) => matmul::run(m)?,
        Workload::Probes(p) => probes::run(p)?,
        Workload::ColdStart(c) => cold::run(spec, c)?,
    };
    // Libraries are read last so that everything the workload made torch load is listed.
    let library_paths = common::loaded_libraries("/lib");
    let library_paths: Vec<String> = library_paths
        .into_iter()
        .filter(|p| is_framework_library(p))
        .collect();
    result.metrics.insert(
        "library_size".into(),
        Metric::new(Unit::Bytes, vec![common::total_size(&library_paths) as f64]),
    );
    let facts = facts::Facts::read();
    result.runner = RunnerInfo {
        name: "torch".into(),
        framework: FRAMEWORK.into(),
        version: facts
            .version
            .clone()
            .or_else(|| build_version(&library_paths))
            .unwrap_or_else(|| "unknown".into()),
        library_paths,
        threads: Some(Threads {
            intra_op: tch::get_num_threads() as u32,
            inter_op: tch::get_num_interop_threads() as u32,
        }),
        cpu_features: {
            let mut f = common::cpu_features();
            if let Some(cap) = &facts.cpu_capability {
                f.push(format!("aten:{cap}"));
            }
            f
        },
    };
    facts.add_to(&mut result.info);
    result.info.insert("device".into(), "cpu".into());
    result.info.insert(
        "flush_denormal".into(),
        format!(
            "{} (FTZ+DAZ in the main thread and the OpenMP workers, as TensorFlow's kernel threads run; \
             torch.set_flush_denormal(True) in Python)",
            if facts::flushes_denormals() { "on" } else { "off" }
        )
        .into(),
    );
    Ok(result)
}

/// The `build-version` file of the libtorch directory the loaded libtorch_cpu.so came from
/// (what torch-sys checks), when the library's own `show_config` could not be read.
fn build_version(library_paths: &[String]) -> Option<String> {
    let cpu = library_paths.iter().find(|p| p.contains("libtorch_cpu"))?;
    let dir = std::path::Path::new(cpu).parent()?.parent()?;
    let text = std::fs::read_to_string(dir.join("build-version")).ok()?;
    Some(text.trim().to_string()).filter(|v| !v.is_empty())
}

/// The shared libraries that make up libtorch as shipped (not libc, libstdc++ or libm).
fn is_framework_library(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    [
        "libtorch",
        "libc10",
        "libgomp",
        "libcudart",
        "libcupti",
        "libshm",
    ]
    .iter()
    .any(|p| file.starts_with(p))
}

/// Intra-op `n`, inter-op 1, denormals flushed to zero as in TensorFlow. Must run before any
/// parallel work (torch refuses to change the inter-op pool once it has started).
fn set_threads(n: u32) -> Result<(), String> {
    if n == 0 {
        return Err("threads must be at least 1".into());
    }
    tch::set_num_interop_threads(1);
    tch::set_num_threads(n as i32);
    facts::flush_denormals(n);
    Ok(())
}

/// A placeholder RunnerInfo, replaced in [`run`] once the workload is done.
pub fn pending_info() -> RunnerInfo {
    RunnerInfo {
        name: "torch".into(),
        framework: FRAMEWORK.into(),
        version: String::new(),
        library_paths: Vec::new(),
        threads: None,
        cpu_features: Vec::new(),
    }
}

/// Where c10::Error::what() starts appending the C++ stack trace of this process.
const BACKTRACE_MARK: &str = "\nException raised from ";

/// The text of a tch error as libtorch wrote it, without tch's "Internal torch error: " prefix
/// and without the C++ stack trace that `c10::Error::what()` appends (addresses of this
/// process, different every run; Python shows the same cut by default).
pub fn torch_message(e: &tch::TchError) -> String {
    let text = match e {
        tch::TchError::Torch(m) => m.clone(),
        other => other.to_string(),
    };
    let message = text
        .find(BACKTRACE_MARK)
        .map_or(text.as_str(), |at| &text[..at]);
    message.trim_end().to_string()
}

/// Turn a tch error into the runner's error text.
pub fn err(context: &str) -> impl Fn(tch::TchError) -> String + '_ {
    move |e| format!("{context}: {}", torch_message(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_version_is_found_next_to_the_library() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("build-version"), "2.13.0\n").unwrap();
        let lib = dir.path().join("lib/libtorch_cpu.so").display().to_string();
        assert_eq!(build_version(&[lib]).as_deref(), Some("2.13.0"));
        assert_eq!(build_version(&["/usr/lib/libc.so.6".into()]), None);
    }

    #[test]
    fn framework_libraries_are_told_from_the_system_ones() {
        assert!(is_framework_library("/x/lib/libtorch_cpu.so"));
        assert!(is_framework_library("/x/lib/libc10.so"));
        assert!(!is_framework_library("/lib/x86_64-linux-gnu/libc.so.6"));
        assert!(!is_framework_library(
            "/lib/x86_64-linux-gnu/libstdc++.so.6"
        ));
    }

    #[test]
    fn messages_lose_the_cpp_stack_trace() {
        let e = tch::TchError::Torch("bad shapes\nException raised from mm at x.cpp:1 (most recent call first):\nframe #0: ...".into());
        assert_eq!(torch_message(&e), "bad shapes");
    }
}

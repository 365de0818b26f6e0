//! benchbook's PyTorch runner: libtorch 2.13.0 through `tch`, one process per run.
//!
//! The harness of `benchbook-runner-common` reads the spec, runs the workload with the same
//! data, batches and initial weights as every runner, times it and prints the result; this
//! runner supplies what is torch's: threads, the model, its training step and optimizer
//! arithmetic, TorchScript save/load, the matrix product, the probes' programs and the facts
//! libtorch reports about itself.

mod facts;
mod matmul;
mod model;
mod optim;
mod probes;
mod train;

use benchbook_runner_common as common;
use common::harness::{self, Info, ModelSetup, ProbeEnd};
use common::protocol::{RunnerInfo, Spec, Threads};
use common::Workload;
use std::path::{Path, PathBuf};

fn main() {
    harness::main(Torch::default())
}

/// The PyTorch runner. Holds the no-grad guard of the inference part of a task.
#[derive(Default)]
struct Torch {
    no_grad: Option<tch::NoGradGuard>,
}

impl harness::Runner for Torch {
    const NAME: &'static str = "torch";
    const MODEL_FORMAT: &'static str =
        "TorchScript (traced forward, parameters as constants; torch.jit.save zip)";
    const SAVED_MODEL_FILE: &'static str = train::MODEL_FILE;
    const RELOAD_TOLERANCE: (f32, f32) = (1e-5, 0.0);

    type Trainer = train::Training;
    type Loaded = train::Loaded;
    type Matmul = matmul::Operands;

    /// Intra-op `n`, inter-op 1, denormals flushed to zero as in TensorFlow. Runs before any
    /// parallel work (torch refuses to change the inter-op pool once it has started).
    fn setup(&mut self, _spec: &Spec, workload: &Workload) -> Result<(), String> {
        let n = workload.threads();
        tch::set_num_interop_threads(1);
        tch::set_num_threads(n as i32);
        facts::flush_denormals(n);
        Ok(())
    }

    fn trainer(&mut self, setup: &ModelSetup) -> Result<train::Training, String> {
        train::Training::new(setup)
    }

    fn model_path(dir: &Path) -> PathBuf {
        dir.join(train::MODEL_FILE)
    }

    fn load(&mut self, path: &Path, _threads: u32) -> Result<train::Loaded, String> {
        train::Loaded::load(path)
    }

    fn inference_only(&mut self) {
        self.no_grad.get_or_insert_with(tch::no_grad_guard);
    }

    fn matmul(
        &mut self,
        n: usize,
        a: &[f32],
        b: &[f32],
        _threads: u32,
    ) -> Result<matmul::Operands, String> {
        matmul::Operands::new(n, a, b)
    }

    fn probe(&mut self, name: &str, _threads: u32) -> Result<ProbeEnd, String> {
        probes::run(name)
    }

    fn task_info(&self, workload: &Workload, info: &mut Info) {
        match workload {
            Workload::Train(_) => {
                info.insert(
                    "optimizer_arithmetic".into(),
                    "TensorFlow's ApplyAdam / ApplyMomentum, run by ATen's fused CPU kernels \
                     (_fused_adam_ / _fused_sgd_, as torch.optim.Adam(fused=True) / SGD(fused=True)); \
                     Adam's eps passed as eps/sqrt(1-beta2^t) so that it sits outside the bias correction"
                        .into(),
                );
            }
            Workload::Probes(_) => {
                info.insert(
                    "probe_messages".into(),
                    "libtorch's error text verbatim, without the C++ stack trace c10::Error appends (as Python shows it)".into(),
                );
            }
            Workload::Matmul(_) | Workload::ColdStart(_) => {}
        }
    }

    fn describe(&mut self, _workload: &Workload, info: &mut Info) -> Result<RunnerInfo, String> {
        // Libraries are read last so that everything the workload made torch load is listed.
        let library_paths: Vec<String> = common::loaded_libraries("/lib")
            .into_iter()
            .filter(|p| is_framework_library(p))
            .collect();
        let facts = facts::Facts::read();
        facts.add_to(info);
        info.insert("device".into(), "cpu".into());
        info.insert(
            "flush_denormal".into(),
            format!(
                "{} (FTZ+DAZ in the main thread and the OpenMP workers, as TensorFlow's kernel threads run; \
                 torch.set_flush_denormal(True) in Python)",
                if facts::flushes_denormals() { "on" } else { "off" }
            )
            .into(),
        );
        let mut cpu_features = common::cpu_features();
        if let Some(cap) = &facts.cpu_capability {
            cpu_features.push(format!("aten:{cap}"));
        }
        Ok(RunnerInfo {
            name: String::new(),
            framework: "libtorch via tch (PyTorch's C++ library driven eagerly from Rust)".into(),
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
            cpu_features,
        })
    }
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

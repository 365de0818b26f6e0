//! benchbook runner for TensorFlow: the C API of TensorFlow 2.21 through the `tensorflow`
//! crate, in graph mode (ops built in a `Scope`, gradients from `TF_AddGradients`, one
//! `Session` per graph). The harness of `benchbook-runner-common` reads the spec, runs and
//! times the workload and prints the result; this runner supplies the graphs, sessions,
//! SavedModel save/load, the probes' programs and the facts about this TensorFlow.

mod graph;
mod matmul;
mod probes;
mod train;

use benchbook_runner_common as common;
use common::harness::{self, Info, ModelSetup, ProbeEnd};
use common::protocol::{RunnerInfo, Spec, Threads};
use common::{OptimizerSpec, TrainSpec, Workload};
use serde_json::json;
use std::path::Path;

fn main() {
    // TensorFlow's info logging is quieted by TF_CPP_MIN_LOG_LEVEL=2 in the environment the
    // caller starts this program with: TF 2.21 reads it while the library initialises, before
    // `main`, so setting it here has no effect (checked), and re-executing costs ~0.5 s.
    harness::main(TensorFlow)
}

/// The TensorFlow runner.
struct TensorFlow;

impl harness::Runner for TensorFlow {
    const NAME: &'static str = "tensorflow";
    const MODEL_FORMAT: &'static str = "TensorFlow SavedModel (inference graph + variables checkpoint, tag \"serve\", signature \"serving_default\")";
    const SAVED_MODEL_FILE: &'static str = "saved_model.pb";
    const RELOAD_TOLERANCE: (f32, f32) = (1e-4, 1e-4);

    type Trainer = train::Training;
    type Loaded = train::Loaded;
    type Matmul = matmul::Operands;

    /// Sessions get intra-op n and inter-op 1 from [`session_options`]; what a train spec
    /// sets for the whole process is set here, before any session exists.
    fn setup(&mut self, spec: &Spec, workload: &Workload) -> Result<(), String> {
        if let Workload::Train(t) = workload {
            // oneDNN is chosen while libtensorflow initialises: set the variable and start again.
            if let Some(on) = t.tf_onednn {
                if onednn_on() != on {
                    let value = if on { "1" } else { "0" };
                    return Err(common::reexec(
                        spec,
                        &[("TF_ENABLE_ONEDNN_OPTS", value.to_string())],
                    ));
                }
            }
            let _ = CALLER_THREAD.set(t.tf_run_in_caller_thread.unwrap_or(false));
        }
        Ok(())
    }

    /// This runner honours the TensorFlow-only keys.
    fn check_train(&self, _spec: &TrainSpec) -> Result<(), String> {
        Ok(())
    }

    fn trainer(&mut self, setup: &ModelSetup) -> Result<train::Training, String> {
        train::Training::new(setup)
    }

    fn load(&mut self, path: &Path, threads: u32) -> Result<train::Loaded, String> {
        train::Loaded::load(path, threads)
    }

    fn matmul(
        &mut self,
        n: usize,
        a: &[f32],
        b: &[f32],
        threads: u32,
    ) -> Result<matmul::Operands, String> {
        matmul::Operands::new(n, a, b, threads)
    }

    fn probe(&mut self, name: &str, threads: u32) -> Result<ProbeEnd, String> {
        probes::run(name, threads)
    }

    fn task_info(&self, workload: &Workload, info: &mut Info) {
        if let Workload::Train(t) = workload {
            info.insert(
                "optimizer_formula".into(),
                json!(match t.optimizer {
                    OptimizerSpec::Adam { .. } => "ApplyAdam: m+=(g-m)(1-b1); v+=(g^2-v)(1-b2); lr_t=lr*sqrt(1-b2^t)/(1-b1^t); w-=lr_t*m/(sqrt(v)+eps)",
                    OptimizerSpec::Sgd { .. } => "ApplyMomentum: a=momentum*a+g; w-=lr*a",
                }),
            );
        }
    }

    fn describe(&mut self, workload: &Workload, info: &mut Info) -> Result<RunnerInfo, String> {
        let version = tensorflow::version()
            .map_err(|e| format!("cannot read the TensorFlow version: {e}"))?;
        add_build_facts(info);
        Ok(RunnerInfo {
            name: String::new(),
            framework: "TensorFlow graph via the C API (a TF1-style graph and Session::run, from Rust via the tensorflow crate)".into(),
            version,
            // Read last, so the libraries mapped by the work itself are listed.
            library_paths: common::loaded_libraries("libtensorflow"),
            threads: Some(Threads {
                intra_op: workload.threads(),
                inter_op: 1,
            }),
            cpu_features: common::cpu_features(),
        })
    }
}

/// Whether oneDNN's custom ops are on: TensorFlow's x86 default unless TF_ENABLE_ONEDNN_OPTS
/// says 0 or false.
fn onednn_on() -> bool {
    let v = std::env::var("TF_ENABLE_ONEDNN_OPTS").unwrap_or_default();
    v.is_empty() || !(v == "0" || v.eq_ignore_ascii_case("false"))
}

/// What is known about how this TensorFlow was built and configured.
fn add_build_facts(info: &mut Info) {
    info.insert("device".into(), json!("cpu"));
    info.insert(
        "session_run".into(),
        json!(if caller_thread() {
            "in the caller's thread (inter_op_parallelism_threads = -1, tf_run_in_caller_thread)"
        } else {
            "handed to a one-thread inter-op pool (inter_op_parallelism_threads = 1)"
        }),
    );
    info.insert(
        "onednn".into(),
        json!(if onednn_on() {
            "on (TensorFlow's x86 default; oneDNN is linked into libtensorflow_cc)"
        } else {
            "off (TF_ENABLE_ONEDNN_OPTS=0)"
        }),
    );
    info.insert(
        "execution".into(),
        json!("graph mode: Scope + ops, TF_AddGradients, Session::run"),
    );
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
}

/// A serialized `tensorflow.ConfigProto` with `intra_op_parallelism_threads = intra`
/// (field 2) and `inter_op_parallelism_threads` (field 5) 1, or -1 to run every
/// `Session::run` in the caller's thread. The crate keeps its ConfigProto type private, so
/// the fields are written by hand.
pub(crate) fn thread_config(intra: u32, caller_thread: bool) -> Vec<u8> {
    let mut out = vec![0x10];
    varint(&mut out, intra as u64);
    out.push(0x28);
    // int32 fields are sign-extended to 64 bits on the wire.
    varint(&mut out, if caller_thread { -1i64 as u64 } else { 1 });
    out
}

/// Whether sessions run in the caller's thread (`tf_run_in_caller_thread`), set once from
/// the workload before any session exists.
static CALLER_THREAD: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

fn caller_thread() -> bool {
    CALLER_THREAD.get().copied().unwrap_or(false)
}

/// Session options with the thread settings every runner uses (intra-op n, inter-op 1, or
/// the caller's thread when the workload asks for it).
pub(crate) fn session_options(intra: u32) -> Result<tensorflow::SessionOptions, String> {
    let mut opts = tensorflow::SessionOptions::new();
    opts.set_config(&thread_config(intra, caller_thread()))
        .map_err(|e| format!("cannot set the thread config: {e}"))?;
    Ok(opts)
}

/// `?`-friendly conversion of the crate's errors into messages with what was being done.
pub(crate) trait Context<T> {
    fn ctx(self, what: &str) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn ctx(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_config_encodes_varints() {
        assert_eq!(thread_config(1, false), vec![0x10, 1, 0x28, 1]);
        assert_eq!(thread_config(127, false), vec![0x10, 127, 0x28, 1]);
        assert_eq!(thread_config(300, false), vec![0x10, 0xac, 0x02, 0x28, 1]);
        let mut minus_one = vec![0x10, 1, 0x28];
        minus_one.extend_from_slice(&[0xff; 9]);
        minus_one.push(0x01);
        assert_eq!(thread_config(1, true), minus_one);
    }
}

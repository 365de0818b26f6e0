//! Temporary stand-in for the provisioning contract of `crate::setup` (same signatures),
//! until `src/setup.rs` provides it. Built-in runners cannot run through this shim.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[allow(dead_code)]
pub struct RunnerProgram {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub fingerprint: String,
    pub versions: BTreeMap<String, String>,
}

pub const BUILTIN_RUNNERS: &[&str] = &["torch", "tensorflow"];

pub fn runner_fingerprint(_root: &Path, name: &str) -> anyhow::Result<String> {
    anyhow::bail!("the `{name}` runner cannot be fingerprinted yet (setup is not implemented)")
}

pub fn ensure_runner(_root: &Path, name: &str, _quiet: bool) -> anyhow::Result<RunnerProgram> {
    anyhow::bail!("the `{name}` runner is not available yet (setup is not implemented)")
}

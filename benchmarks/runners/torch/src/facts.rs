//! What libtorch reports about itself at run time (`at::show_config()`,
//! `at::get_parallel_info()`, `at::get_cpu_capability()`, through csrc/facts.cpp).

use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, CStr};

extern "C" {
    fn benchbook_torch_fact(which: c_int) -> *mut c_char;
    fn benchbook_torch_free(p: *mut c_char);
    fn benchbook_torch_flush_denormal(threads: c_int);
    fn benchbook_torch_flushes_denormals() -> c_int;
}

/// Flush denormals to zero in this thread and in the `threads` OpenMP workers, the mode
/// TensorFlow computes in (see csrc/facts.cpp). Call after setting the thread count.
pub fn flush_denormals(threads: u32) {
    // SAFETY: sets MXCSR bits in this thread and the OpenMP team; no memory is touched.
    unsafe { benchbook_torch_flush_denormal(threads as c_int) }
}

/// Whether FTZ and DAZ are on in the calling thread.
pub fn flushes_denormals() -> bool {
    // SAFETY: reads MXCSR.
    unsafe { benchbook_torch_flushes_denormals() != 0 }
}

fn fact(which: c_int) -> Option<String> {
    // SAFETY: the shim returns NULL or a malloc'd NUL-terminated copy that we free once.
    unsafe {
        let p = benchbook_torch_fact(which);
        if p.is_null() {
            return None;
        }
        let s = CStr::from_ptr(p).to_string_lossy().into_owned();
        benchbook_torch_free(p);
        Some(s)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `TORCH_VERSION` from the library's build settings.
    pub version: Option<String>,
    /// The SIMD level ATen dispatches to (e.g. `AVX2`).
    pub cpu_capability: Option<String>,
    pub show_config: Option<String>,
    pub parallel_info: Option<String>,
}

impl Facts {
    pub fn read() -> Facts {
        let show_config = fact(0);
        let version = show_config.as_deref().and_then(version_from_config);
        Facts {
            version,
            cpu_capability: fact(2).map(|s| s.trim().to_string()),
            show_config,
            parallel_info: fact(1),
        }
    }

    /// Record the build facts (MKL, oneDNN, OpenMP, capability, parallel settings) in `info`.
    pub fn add_to(&self, info: &mut BTreeMap<String, serde_json::Value>) {
        if let Some(c) = &self.show_config {
            let lines: Vec<&str> = c
                .lines()
                .map(|l| l.trim().trim_start_matches("- "))
                .collect();
            for (key, needle) in [
                ("mkl", "Math Kernel Library"),
                ("onednn", "MKL-DNN"),
                ("openmp", "OpenMP"),
                ("cpu_capability_usage", "CPU capability usage"),
            ] {
                if let Some(l) = lines.iter().find(|l| l.contains(needle)) {
                    info.insert(format!("torch_{key}"), (*l).into());
                }
            }
            // The list of features, without the compiler and CUDA flag soup of "Build settings".
            let config: Vec<&str> = c
                .lines()
                .take_while(|l| !l.contains("Build settings"))
                .collect();
            info.insert("torch_show_config".into(), config.join("\n").into());
        }
        if let Some(p) = &self.parallel_info {
            info.insert("torch_parallel_info".into(), p.trim_end().into());
        }
        info.insert("torch_has_mkl".into(), tch::utils::has_mkl().into());
        info.insert("torch_has_mkldnn".into(), tch::utils::has_mkldnn().into());
        info.insert("torch_has_openmp".into(), tch::utils::has_openmp().into());
    }
}

/// `TORCH_VERSION=2.13.0` in the "Build settings" line of `show_config`.
fn version_from_config(config: &str) -> Option<String> {
    let at = config.find("TORCH_VERSION=")? + "TORCH_VERSION=".len();
    let rest = &config[at..];
    let end = rest
        .find(|c: char| c == ',' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(rest[..end].to_string()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_reports_its_version() {
        let f = Facts::read();
        assert_eq!(
            f.version.as_deref(),
            Some("2.13.0"),
            "show_config: {:?}",
            f.show_config
        );
        assert!(f.cpu_capability.is_some());
    }

    #[test]
    fn denormals_are_flushed_once_asked() {
        flush_denormals(1);
        assert!(flushes_denormals());
        let tiny = tch::Tensor::from_slice(&[1e-39f32]);
        let doubled = (&tiny * 2.0).double_value(&[0]);
        assert_eq!(doubled, 0.0, "a denormal input should read as zero");
    }

    #[test]
    fn version_is_cut_at_the_comma() {
        assert_eq!(
            version_from_config("a, TORCH_VERSION=2.1.0, USE_X=ON").as_deref(),
            Some("2.1.0")
        );
        assert_eq!(version_from_config("nothing"), None);
    }
}

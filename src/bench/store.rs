//! Stored results on disk (`benchmarks/results/<id>.json`) and the machine description.

use crate::diagnostics::Diagnostic;
use crate::results::{Machine, StoredBenchmark};
use anyhow::Context;
use benchbook_protocol::PROTOCOL_VERSION;
use serde::Deserialize;
use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `benchmarks/results` under the root.
pub fn results_dir(root: &Path) -> PathBuf {
    root.join("benchmarks").join("results")
}

/// The stored file of benchmark `id`.
pub fn result_path(root: &Path, id: &str) -> PathBuf {
    results_dir(root).join(format!("{id}.json"))
}

/// Read the stored result of `id`; `Ok(None)` when there is none. The error of an unreadable
/// or invalid file names it (relative to the root) with line and column.
pub fn load(root: &Path, id: &str) -> Result<Option<StoredBenchmark>, Diagnostic> {
    let path = result_path(root, id);
    let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Diagnostic::new(
                rel,
                0,
                0,
                format!("cannot read the stored result: {e}"),
            ))
        }
    };
    match serde_json::from_str::<StoredBenchmark>(&text) {
        Ok(s) if s.id == id => match foreign_protocol(&text) {
            None => Ok(Some(s)),
            Some((version, line, column)) => Err(Diagnostic::new(
                rel,
                line,
                column,
                format!(
                    "the stored result speaks protocol {version}, which this benchbook cannot read; expected protocol {PROTOCOL_VERSION} (`benchbook bench --rerun {id}` replaces it)"
                ),
            )),
        },
        Ok(s) => Err(Diagnostic::new(
            rel,
            1,
            1,
            format!(
                "the stored result is for benchmark `{}`; expected `{id}` (`benchbook bench --rerun {id}` replaces it)",
                s.id
            ),
        )),
        Err(e) => Err(Diagnostic::new(
            rel,
            e.line(),
            e.column(),
            format!(
                "invalid stored result: {e}; expected a file written by `benchbook bench` (`benchbook bench --rerun {id}` replaces it)"
            ),
        )),
    }
}

/// The first `protocol` of a stored result (a run's spec, or a runner result of one of its
/// processes) that is not [`PROTOCOL_VERSION`], in file order: the version with the line and
/// column of its key. A result written for another protocol parses as this one's types (the
/// version is a plain number), so it is refused here rather than read as protocol 1.
///
/// A second, cheap pass over the text with a shadow of the stored shape that fails at the
/// first foreign version, so serde_json tells where it is; it runs only when one is there.
fn foreign_protocol(text: &str) -> Option<(u64, usize, usize)> {
    thread_local!(static FOUND: Cell<Option<u64>> = const { Cell::new(None) });

    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        #[allow(dead_code)]
        runs: Vec<Run>,
    }
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Run {
        spec: Versioned,
        #[serde(default)]
        repetitions: Vec<Process>,
        #[serde(default)]
        discarded: Vec<Process>,
    }
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Process {
        result: Versioned,
    }
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Versioned {
        protocol: Version,
    }
    struct Version;
    impl<'de> Deserialize<'de> for Version {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let v = u64::deserialize(d)?;
            if v == u64::from(PROTOCOL_VERSION) {
                Ok(Version)
            } else {
                FOUND.with(|f| f.set(Some(v)));
                Err(serde::de::Error::custom("foreign protocol"))
            }
        }
    }

    FOUND.with(|f| f.set(None));
    let err = serde_json::from_str::<File>(text).err()?;
    let version = FOUND.with(|f| f.take())?;
    // serde_json stops just after the number: point at the `"protocol"` key of its line.
    let (line, column) = (err.line(), err.column());
    let column = text
        .lines()
        .nth(line.saturating_sub(1))
        .and_then(|l| {
            let upto = l.get(..column.min(l.len()))?;
            let key = upto.rfind("\"protocol\"")?;
            Some(upto[..key].chars().count() + 1)
        })
        .unwrap_or(column);
    Some((version, line, column))
}

/// The exact bytes stored for a benchmark: pretty JSON, keys in a stable order, final newline.
pub fn to_bytes(stored: &StoredBenchmark) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(stored).context("cannot encode the result")?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Write `stored` atomically (temporary file in the same directory, then rename). Does nothing
/// when the file already holds these bytes. Returns whether the file changed.
pub fn save(root: &Path, stored: &StoredBenchmark) -> anyhow::Result<bool> {
    let dir = results_dir(root);
    let path = result_path(root, &stored.id);
    let bytes = to_bytes(stored)?;
    if std::fs::read(&path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", stored.id))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    // tempfile creates 0600 files; a committed, published result should be readable (0644).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.write_all(&bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", tmp.path().display()))?;
    tmp.persist(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}

/// Describe this machine: CPU model, cores, memory, OS and kernel. Unknown parts are
/// `unknown` (or 0) rather than an error: a result is still worth storing.
pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            matches!(k.trim(), "model name" | "Hardware" | "cpu model")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(0);
    let memory_bytes = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(0);
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            let line = t.lines().find(|l| l.starts_with("PRETTY_NAME="))?;
            Some(
                line["PRETTY_NAME=".len()..]
                    .trim()
                    .trim_matches('"')
                    .to_string(),
            )
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    Machine {
        cpu_model,
        cores,
        memory_bytes,
        os,
        kernel: kernel(),
    }
}

fn kernel() -> String {
    // SAFETY: uname fills a zeroed struct of NUL-terminated arrays.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return "unknown".to_string();
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!("{} {}", field(&u.sysname), field(&u.release))
}

/// Now, as RFC 3339 in UTC to the second.
pub fn now_rfc3339() -> String {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_is_described() {
        let m = machine();
        assert!(m.cores >= 1);
        assert!(m.memory_bytes > 0);
        assert!(m.kernel.starts_with("Linux "), "{}", m.kernel);
        assert_ne!(m.cpu_model, "");
    }

    #[test]
    fn dates_are_rfc3339() {
        let d = now_rfc3339();
        assert!(chrono::DateTime::parse_from_rfc3339(&d).is_ok(), "{d}");
        assert!(d.ends_with('Z'));
    }
}

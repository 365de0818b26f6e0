//! Running one runner process: its own process group, spec on stdin, stdout captured,
//! stderr kept as a bounded tail, measured from outside with wait4, killed (with its whole
//! group) on timeout or Ctrl-C.

use crate::results::Outside;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Most bytes of stdout kept (a result is JSON; a runaway runner must not exhaust memory).
const STDOUT_LIMIT: u64 = 512 << 20;
/// Lines and bytes of stderr kept for the failure report.
const TAIL_LINES: usize = 20;
const TAIL_LINE_BYTES: usize = 400;

/// What to start.
#[derive(Debug, Clone)]
pub struct Program {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Signaled(i32),
    /// Killed by benchbook after `timeout`.
    TimedOut,
    /// Killed by benchbook because the user pressed Ctrl-C.
    Interrupted,
}

#[derive(Debug)]
pub struct Finished {
    pub ended: Ended,
    pub outside: Outside,
    pub stdout: Vec<u8>,
    /// The last lines of stderr.
    pub stderr_tail: String,
    /// Whether stdout went over [`STDOUT_LIMIT`] (the rest was discarded).
    pub stdout_truncated: bool,
}

/// Process group of the running child (0: none).
static CURRENT_PGID: AtomicI32 = AtomicI32::new(0);

/// Whether Ctrl-C (SIGINT, SIGTERM or SIGHUP) arrived during the current bench step.
pub fn interrupted() -> bool {
    crate::interrupt::interrupted()
}

/// While alive, Ctrl-C kills the running child's process group and sets [`interrupted`];
/// the bench step then stops between two steps. Outside a guard (and any other
/// [`crate::interrupt::Deferred`]), Ctrl-C exits 130 at once.
pub struct Guard(Option<crate::interrupt::Deferred>);

impl Guard {
    pub fn new() -> anyhow::Result<Guard> {
        // Forget an earlier Ctrl-C first: one that comes after this is deferred, not lost.
        // Inside another guard (serve's) the flag is that guard's to honour: kept.
        if !crate::interrupt::deferring() {
            crate::interrupt::clear();
        }
        let deferred = crate::interrupt::Deferred::with_action(|| {
            kill_group(CURRENT_PGID.load(Ordering::SeqCst))
        })?;
        Ok(Guard(Some(deferred)))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Ctrl-C exits at once again (unless another guard is alive), then the flag is
        // cleared: the user asked to stop and nothing half-done remains, so the caller
        // honours it now or not at all. An enclosing guard (serve's) keeps the flag: its
        // holder stops at its next check.
        self.0.take();
        if !crate::interrupt::deferring() {
            crate::interrupt::clear();
        }
    }
}

fn kill_group(pgid: i32) {
    if pgid > 0 {
        // SAFETY: plain syscall; a stale group gives ESRCH, which is fine.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// Environment variable holding `CLOCK_MONOTONIC` in nanoseconds just before a runner is
/// spawned (see the runner protocol in the README).
pub const SPAWN_CLOCK_VAR: &str = "BENCHBOOK_SPAWN_MONOTONIC_NS";

/// `CLOCK_MONOTONIC` now, in nanoseconds.
fn monotonic_ns() -> u128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}

/// Run `prog` once with `input` on stdin. `on_stderr` sees every stderr line as it comes.
/// Errors are faults of starting the process (missing program, no permission).
pub fn run(
    prog: &Program,
    input: &[u8],
    timeout: Duration,
    on_stderr: &(dyn Fn(&str) + Sync),
) -> std::io::Result<Finished> {
    let mut cmd = Command::new(&prog.program);
    cmd.args(&prog.args)
        .envs(prog.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&prog.cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // A runner measuring a cold start counts from here: library loading happens before its
    // `main`, so it cannot time that itself. CLOCK_MONOTONIC is one clock for all processes.
    cmd.env(SPAWN_CLOCK_VAR, monotonic_ns().to_string());
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child.id() as i32;
    CURRENT_PGID.store(pid, Ordering::SeqCst);
    if interrupted() {
        kill_group(pid);
    }

    let timed_out = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");

    let (outcome, usage, wall) = std::thread::scope(|s| {
        s.spawn(move || {
            // A runner that exits without reading its spec gives EPIPE: not our fault to report.
            let _ = stdin.write_all(input);
        });
        let out = s.spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut stdout).take(STDOUT_LIMIT).read_to_end(&mut buf);
            let extra = std::io::copy(&mut stdout, &mut std::io::sink()).unwrap_or(0);
            (buf, extra > 0)
        });
        let err = s.spawn(move || {
            let mut tail: VecDeque<String> = VecDeque::new();
            let mut reader = BufReader::new(stderr);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches(['\n', '\r']);
                on_stderr(text);
                let mut kept: String = text.chars().take(TAIL_LINE_BYTES).collect();
                if kept.len() < text.len() {
                    kept.push('…');
                }
                tail.push_back(kept);
                if tail.len() > TAIL_LINES {
                    tail.pop_front();
                }
                line.clear();
            }
            tail.into_iter().collect::<Vec<_>>().join("\n")
        });
        let watchdog_flag = timed_out.clone();
        s.spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(timeout) {
                watchdog_flag.store(true, Ordering::SeqCst);
                kill_group(pid);
            }
        });
        let (status, usage) = wait4(pid);
        let wall = start.elapsed();
        let _ = done_tx.send(());
        // Whatever the runner left behind in its group goes too (and closes our pipes).
        kill_group(pid);
        CURRENT_PGID.store(0, Ordering::SeqCst);
        let (stdout, truncated) = out.join().unwrap_or_default();
        let tail = err.join().unwrap_or_default();
        ((status, stdout, truncated, tail), usage, wall)
    });
    let (status, stdout, stdout_truncated, stderr_tail) = outcome;
    // The child was reaped by wait4; make sure std never waits on it again.
    drop(child);

    let ended = if interrupted() {
        Ended::Interrupted
    } else if timed_out.load(Ordering::SeqCst) {
        Ended::TimedOut
    } else if libc::WIFEXITED(status) {
        Ended::Exited(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Ended::Signaled(libc::WTERMSIG(status))
    } else {
        Ended::Exited(-1)
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Finished {
        ended,
        outside: Outside {
            wall_s: wall.as_secs_f64(),
            user_s: secs(usage.ru_utime),
            system_s: secs(usage.ru_stime),
            // Linux reports ru_maxrss in KiB.
            max_rss_bytes: (usage.ru_maxrss.max(0) as u64) * 1024,
        },
        stdout,
        stderr_tail,
        stdout_truncated,
    })
}

/// Block until `pid` ends; its status and resource usage.
fn wait4(pid: i32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return (status, usage);
        }
        if r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        // ECHILD cannot happen for our own unreaped child; report "no status".
        return (-1, usage);
    }
}

/// The name of a signal for messages (`SIGKILL`), or its number.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGINT => "SIGINT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGTERM => "SIGTERM",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// Resolve a declared command's program: with a `/` it is relative to `root`, a bare name
/// is looked up in `PATH`.
pub fn resolve_program(root: &Path, program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = root.join(program);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

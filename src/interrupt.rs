//! Ctrl-C (and SIGTERM/SIGHUP) for the whole process: one handler, installed once.
//!
//! `ctrlc` allows a single handler per process, so every part of benchbook that must clean up
//! on Ctrl-C goes through this module. By default Ctrl-C exits 130 at once, which is right
//! whenever nothing half-done is on disk. Code that has something to undo holds a
//! [`Deferred`] while it works: Ctrl-C then only sets the [`interrupted`] flag (and runs the
//! holder's action, e.g. killing a benchmark's child process group), and that code stops at
//! its next check, cleans up, and returns [`crate::error::Interrupted`] (exit 130).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Live [`Deferred`] guards: while any is alive, Ctrl-C does not exit at once.
static DEFERRED: AtomicUsize = AtomicUsize::new(0);
static HANDLER: OnceLock<Result<(), String>> = OnceLock::new();
/// A live guard's id and the action it asked for.
type Action = (u64, fn());
/// Actions of live guards, run by the handler on Ctrl-C.
static ACTIONS: Mutex<Vec<Action>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Whether Ctrl-C arrived while a [`Deferred`] guard was alive (and was not cleared since).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Whether any [`Deferred`] guard is alive.
pub fn deferring() -> bool {
    DEFERRED.load(Ordering::SeqCst) > 0
}

/// Forget an earlier Ctrl-C (the bench step does so when it starts and ends).
pub fn clear() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}

/// Install the process's Ctrl-C handler (once; later calls return the first outcome).
pub fn install() -> anyhow::Result<()> {
    let installed = HANDLER.get_or_init(|| {
        ctrlc::set_handler(|| {
            // The flag first: a guard made after the check below sees it (see Deferred::new).
            INTERRUPTED.store(true, Ordering::SeqCst);
            if DEFERRED.load(Ordering::SeqCst) == 0 {
                std::process::exit(130);
            }
            let actions: Vec<fn()> = ACTIONS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|(_, f)| *f)
                .collect();
            for action in actions {
                action();
            }
        })
        .map_err(|e| e.to_string())
    });
    match installed {
        Ok(()) => Ok(()),
        Err(e) => anyhow::bail!("cannot install the Ctrl-C handler: {e}"),
    }
}

/// While alive, Ctrl-C sets [`interrupted`] (and runs the action, if any) instead of exiting;
/// the holder must check [`interrupted`] and stop. Guards nest.
///
/// Check [`interrupted`] right after making one: a Ctrl-C that came just before was
/// handled by exiting, or set the flag that this check sees.
pub struct Deferred {
    action: Option<u64>,
}

impl Deferred {
    /// Defer Ctrl-C (installing the handler if need be).
    pub fn new() -> anyhow::Result<Deferred> {
        Self::make(None)
    }

    /// Defer Ctrl-C and run `action` (on the handler's thread) when it comes.
    pub fn with_action(action: fn()) -> anyhow::Result<Deferred> {
        Self::make(Some(action))
    }

    fn make(action: Option<fn()>) -> anyhow::Result<Deferred> {
        install()?;
        let action = action.map(|f| {
            let id = NEXT_ID.fetch_add(1, Ordering::SeqCst);
            ACTIONS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((id, f));
            id
        });
        DEFERRED.fetch_add(1, Ordering::SeqCst);
        Ok(Deferred { action })
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        DEFERRED.fetch_sub(1, Ordering::SeqCst);
        if let Some(id) = self.action {
            ACTIONS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|(i, _)| *i != id);
        }
    }
}

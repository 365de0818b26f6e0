//! Errors any stage can return that decide the exit status on their own (see `cli`):
//! [`UsageError`] exits 2, [`Interrupted`] and [`InterruptedAfterWrite`] exit 130. Every
//! other error exits 1.

/// Wrong usage discovered after parsing (e.g. `--root` is not a directory): exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The user pressed Ctrl-C; cleanup is done: exit 130.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

/// Ctrl-C arrived after the new output was swapped in: the build completed, and the user is
/// told so (exit 130, as for any Ctrl-C).
#[derive(Debug, thiserror::Error)]
#[error("interrupted after the new site was written: {} holds this build", .0.display())]
pub struct InterruptedAfterWrite(pub std::path::PathBuf);

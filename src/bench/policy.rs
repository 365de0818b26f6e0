//! How a command that needs results treats stored, stale and missing ones: plain options,
//! made by `cli` from its flags (`--frozen`, `--rerun`, `--keep-going`) or by a command
//! that fixes them (`serve`, `check`).

/// What to do with the stored result of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResultPolicy {
    /// Never run a benchmark: use what is stored, stale or not; a missing result is an error
    /// (or, with [`BenchPolicy::missing_ok`], a failure of its run). `--frozen`.
    Frozen,
    /// Run the stale and missing runs, reuse the fresh ones.
    #[default]
    Reuse,
    /// Run every run again, fresh or not. `--rerun`.
    Rerun,
}

/// How the bench stage treats stored results and failed runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchPolicy {
    pub results: ResultPolicy,
    /// Go on after a failed run; pages show "measurement failed" in its place.
    /// `--keep-going`.
    pub keep_going: bool,
    /// With [`ResultPolicy::Frozen`]: a missing result is not an error; it becomes a failure
    /// of that run (a warning, and a visible badge on the page). Set by `serve` and `check`,
    /// no flag.
    pub missing_ok: bool,
}

impl BenchPolicy {
    /// Run nothing and show what is stored (`serve`, `check`): stale results are used, missing
    /// ones become failures shown on their pages.
    pub fn stored_only() -> BenchPolicy {
        BenchPolicy {
            results: ResultPolicy::Frozen,
            keep_going: false,
            missing_ok: true,
        }
    }
}

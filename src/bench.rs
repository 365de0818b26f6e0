//! `benchbook bench`: plan, run or reuse declared benchmarks.

use crate::cli::{BenchArgs, Global};

pub fn run(_global: &Global, _args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("bench is not implemented yet")
}

//! `benchbook setup`: provision libtorch and libtensorflow from pinned PyPI wheels.

use crate::cli::{Global, SetupArgs};

pub fn run(_global: &Global, _args: &SetupArgs) -> anyhow::Result<()> {
    anyhow::bail!("setup is not implemented yet")
}

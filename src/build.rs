//! `benchbook build`: load → bench → merge → markdown → render → write.

use crate::cli::{BuildArgs, Global};

pub fn run(_global: &Global, _args: &BuildArgs) -> anyhow::Result<()> {
    anyhow::bail!("build is not implemented yet")
}

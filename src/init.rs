//! `benchbook init DIR`: scaffold a working site.

use crate::cli::{Global, InitArgs};

pub fn run(_global: &Global, _args: &InitArgs) -> anyhow::Result<()> {
    anyhow::bail!("init is not implemented yet")
}

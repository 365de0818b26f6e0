//! Command-line parsing (clap) into plain option structs, and exit codes.
//!
//! Exit status: 0 success; 1 anything wrong with the site or the machine; 2 wrong usage;
//! 130 after Ctrl-C. Handlers return `anyhow::Result<()>`; the error's type decides the
//! status: [`crate::diagnostics::Diagnostics`] and other errors → 1, [`UsageError`] → 2,
//! [`Interrupted`] → 130.

use crate::bench::{BenchPolicy, ResultPolicy};
use crate::diagnostics::Diagnostics;
use crate::error::{Interrupted, InterruptedAfterWrite, UsageError};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "benchbook",
    version,
    about = "Static sites for reports whose numbers are measured, not written"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// The site root (holds site.yaml, content/, benchmarks/)
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub root: PathBuf,
    /// Silence progress and summaries (never errors)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more about what is done
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the site into the output directory (running stale benchmarks first)
    Build(BuildArgs),
    /// Create a new site with one lesson, one pitfall and one quiz
    Init(InitArgs),
    /// Install the frameworks (libtorch, libtensorflow) and build the runners
    Setup(SetupArgs),
    /// Run declared benchmarks whose stored results are stale (or the given ones)
    Bench(BenchArgs),
    /// Build, serve on 127.0.0.1, rebuild on change and reload open pages
    Serve(crate::serve::ServeArgs),
    /// Validate everything a build would, and result freshness; write nothing
    Check(crate::check::CheckArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// Output directory, relative to the current directory [default: <root>/public]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Include pages marked `draft: true`
    #[arg(long)]
    pub drafts: bool,
    #[command(flatten)]
    pub bench: BenchFlags,
}

/// How a command that needs results treats stale or missing ones.
#[derive(Debug, Clone, Args)]
pub struct BenchFlags {
    /// Never run a benchmark; fail if a needed result is missing
    #[arg(long, conflicts_with = "rerun")]
    pub frozen: bool,
    /// Re-run benchmarks even when their stored results are fresh
    #[arg(long)]
    pub rerun: bool,
    /// Go on after a failed run; pages show "measurement failed" in its place
    #[arg(long)]
    pub keep_going: bool,
}

impl BenchFlags {
    /// The bench stage's policy these flags ask for.
    pub fn policy(&self) -> BenchPolicy {
        BenchPolicy {
            results: if self.frozen {
                ResultPolicy::Frozen
            } else if self.rerun {
                ResultPolicy::Rerun
            } else {
                ResultPolicy::Reuse
            },
            keep_going: self.keep_going,
            missing_ok: false,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Directory to create (must not exist or be empty)
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct SetupArgs {
    /// Report what is installed, where, and its size; install nothing
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Benchmark ids to run (default: every declared benchmark)
    pub ids: Vec<String>,
    #[command(flatten)]
    pub bench: BenchFlags,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = run(cli);
    exit_code(outcome)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if !cli.global.root.is_dir() {
        return Err(UsageError(format!(
            "--root {}: no such directory",
            cli.global.root.display()
        ))
        .into());
    }
    match &cli.command {
        Command::Build(args) => crate::build::run(&cli.global, args),
        Command::Init(args) => crate::init::run(&cli.global, args),
        Command::Setup(args) => crate::setup::run(&cli.global, args),
        Command::Bench(args) => crate::bench::run(&cli.global, args),
        Command::Serve(args) => crate::serve::run(&cli.global, args),
        Command::Check(args) => crate::check::run(&cli.global, args),
    }
}

/// Print the error (every diagnostic, or the cause chain) and pick the exit status.
pub fn exit_code(outcome: anyhow::Result<()>) -> ExitCode {
    let Err(err) = outcome else {
        return ExitCode::SUCCESS;
    };
    if let Some(diags) = err.downcast_ref::<Diagnostics>() {
        eprint!("{diags}");
        let n = diags.clone().sorted().len();
        eprintln!(
            "error: {n} error{} found; nothing was written",
            if n == 1 { "" } else { "s" }
        );
        return ExitCode::from(1);
    }
    if err.downcast_ref::<Interrupted>().is_some() {
        eprintln!("interrupted");
        return ExitCode::from(130);
    }
    if let Some(done) = err.downcast_ref::<InterruptedAfterWrite>() {
        eprintln!("{done}");
        return ExitCode::from(130);
    }
    eprintln!("error: {err:#}");
    if err.downcast_ref::<UsageError>().is_some() {
        return ExitCode::from(2);
    }
    ExitCode::from(1)
}

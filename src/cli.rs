//! Command-line parsing (clap) into plain option structs, and exit codes.
//!
//! Exit status: 0 success; 1 anything wrong with the site or the machine; 2 wrong usage;
//! 130 after Ctrl-C. Handlers return `anyhow::Result<()>`; the error's type decides the
//! status: [`crate::diagnostics::Diagnostics`] and other errors → 1, [`UsageError`] → 2,
//! [`Interrupted`] → 130.

use crate::bench::{BenchPolicy, ResultPolicy};
use crate::build::BuildOptions;
use crate::check::CheckOptions;
use crate::diagnostics::Diagnostics;
use crate::error::{Interrupted, InterruptedAfterWrite, UsageError};
use crate::serve::ServeOptions;
use crate::setup::SetupOptions;
use clap::{Args, Parser, Subcommand};
use std::net::{IpAddr, SocketAddr};
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
    Serve(ServeArgs),
    /// Validate everything a build would, and result freshness; write nothing
    Check(CheckArgs),
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

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port)
    #[arg(long, default_value_t = 1111, value_name = "N")]
    pub port: u16,
    /// Address to listen on; anything but loopback exposes the preview to the network
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub bind: IpAddr,
    /// Also write the site to this directory (relative to the current directory) and serve it
    /// from there [default: served from memory, nothing written]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Include pages marked `draft: true`
    #[arg(long)]
    pub drafts: bool,
    /// Run stale or missing benchmarks when building (never by default: pages show a badge)
    #[arg(long)]
    pub bench: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Include pages marked `draft: true`
    #[arg(long)]
    pub drafts: bool,
    /// Also check external (http, https) links; needs the network
    #[arg(long)]
    pub external: bool,
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
    let global = &cli.global;
    let root = global.root.clone();
    match &cli.command {
        Command::Build(args) => crate::build::run(
            &root,
            &out_dir(global, args),
            &BuildOptions {
                drafts: args.drafts,
                bench: args.bench.policy(),
                quiet: global.quiet,
                defer_reader_extras: false,
            },
            global.verbose,
        ),
        Command::Init(args) => crate::init::run(&args.dir, global.quiet),
        Command::Setup(args) => crate::setup::run(&SetupOptions {
            root,
            check: args.check,
            quiet: global.quiet,
        }),
        Command::Bench(args) => crate::bench::run(
            &root,
            &args.ids,
            &args.bench.policy(),
            crate::bench::Options {
                quiet: global.quiet,
                verbose: global.verbose,
            },
        ),
        Command::Serve(args) => crate::serve::run(&ServeOptions {
            root,
            addr: SocketAddr::new(args.bind, args.port),
            out: args.out.clone(),
            drafts: args.drafts,
            // No benchmark is run unless `--bench`: pages show stored results and badges.
            bench: if args.bench {
                BenchPolicy {
                    keep_going: true,
                    ..Default::default()
                }
            } else {
                BenchPolicy::stored_only()
            },
            quiet: global.quiet,
            verbose: global.verbose,
        }),
        Command::Check(args) => crate::check::run(&CheckOptions {
            root,
            drafts: args.drafts,
            external: args.external,
            quiet: global.quiet,
        }),
    }
}

/// The output directory of `benchbook build`: `--out` (relative to the current directory)
/// or `<root>/public`.
fn out_dir(global: &Global, args: &BuildArgs) -> PathBuf {
    match &args.out {
        Some(out) => out.clone(),
        None => global.root.join("public"),
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

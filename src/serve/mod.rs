//! `benchbook serve`: build the site, serve it on 127.0.0.1, rebuild on change, reload pages.
//!
//! - **Builds** (`rebuild`): every rebuild runs the whole pipeline over the whole site, so
//!   its pages and errors are those of a full build and a page is never served stale. The
//!   rebuild loop owns one [`crate::incremental::Memo`] and lends it to each rebuild: each
//!   stage reuses its work for a source whose inputs did not change (keys in
//!   `src/incremental.rs`). No benchmark is run
//!   unless `--bench`: results are used as stored (frozen), stale ones carry the merge stage's
//!   "stale" badge and missing ones a "no stored result" badge in their place
//!   ([`BenchPolicy::missing_ok`]) instead of failing the build.
//! - **Output** (`store`): by default the output files of the last good build are kept in
//!   memory and swapped whole after each good rebuild (nothing is written: writing the
//!   10,000-page benchmark site's 450 MB took longer than everything else together). The
//!   search index and the print edition are made when first asked for (they took 40% of a
//!   rebuild of that site, and most previews never open them). With `--out DIR` each rebuild
//!   is written by the write stage (a new tree swapped in whole) and served from disk. Either
//!   way a failed rebuild leaves the last good site in place and served.
//! - **Watching** (`watch`): `content/`, `themes/`, `templates/`, `benchmarks/` and
//!   `site.yaml` under the root (notify, debounced); editor droppings, hidden files and
//!   `target/` folders are ignored.
//! - **Reloading** (`reload`): HTML responses get a small script, added at response time
//!   (files on disk never hold it, and `build` output never does). It listens on [`EVENTS`]
//!   (Server-Sent Events): `hello` with the current generation on connect, `reload` after a
//!   good rebuild, `builderror` with the error text after a failed one (shown in an overlay,
//!   as text), and `buildok` when the errors are gone.
//! - **HTTP** (`http`): hyper's HTTP/1.1 server on one thread. What a client can make it
//!   hold is bounded: a request line over 8 KB is answered 414 and a header block over 64 KB
//!   (or 4,096 fields) 431; hyper reads at most 72 KB of any request head, then answers 431
//!   and closes the connection.
//! - **Safety** (`http`): only regular files under the output directory are served. A path
//!   with `..` (plain or percent-encoded), a backslash or a NUL, or one whose canonical form
//!   (symlinks resolved) leaves the output directory, is answered 404. Only GET and HEAD.
//! - **Ctrl-C** (and SIGTERM/SIGHUP) goes through the bench stage's handler
//!   ([`crate::bench::Guard`]): serve stops between two builds, removes its temporary
//!   directory and exits 130.

mod http;
mod rebuild;
mod reload;
mod store;
mod watch;

use crate::bench::BenchPolicy;
use crate::build::BuildOptions;
use crate::error::{Interrupted, UsageError};
use anyhow::Context;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use reload::EVENTS;

/// What `benchbook serve` does (made by `cli` from its flags).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The site root.
    pub root: PathBuf,
    /// Where to listen (port 0: any free port).
    pub addr: SocketAddr,
    /// Also write each build to this directory and serve it from there (`None`: served from
    /// memory, nothing written).
    pub out: Option<PathBuf>,
    /// Include pages marked `draft: true`.
    pub drafts: bool,
    /// How builds treat stored results: [`BenchPolicy::stored_only`] unless `--bench`.
    pub bench: BenchPolicy,
    /// No summaries (errors and warnings still go to stderr).
    pub quiet: bool,
    /// Print the time of each stage of each build and what it reused.
    pub verbose: bool,
}

/// `benchbook serve`: build, serve and rebuild on change until Ctrl-C, then clean up and
/// return [`Interrupted`] (exit 130).
pub fn run(options: &ServeOptions) -> anyhow::Result<()> {
    let root = options
        .root
        .canonicalize()
        .with_context(|| format!("cannot open the site root {}", options.root.display()))?;
    let store = Arc::new(match &options.out {
        Some(out) => store::Store::Disk(crate::write::check_out_dir(&root, out)?),
        None => store::Store::memory(),
    });
    let addr = options.addr;
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: --bind {}: the preview is reachable from other machines on the network (no authentication; drafts are served with --drafts)",
            addr.ip()
        );
    }
    // Listen before the first build, so a busy port is reported at once.
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        UsageError(format!(
            "cannot listen on {addr}: {e}; expected a free port (choose another with --port)"
        ))
    })?;
    let local = listener
        .local_addr()
        .context("the server has no IP address")?;

    // Ctrl-C sets the bench stage's flag instead of exiting at once, so cleanup runs.
    // It stays alive while serving: a bench step's own guard nests inside it and leaves the
    // flag set for this loop to see.
    let _guard = crate::bench::Guard::new()?;

    let opts = BuildOptions {
        drafts: options.drafts,
        bench: options.bench.clone(),
        quiet: options.quiet,
        // In memory, the search index and the print edition are made on request.
        defer_reader_extras: options.out.is_none(),
    };
    // Watch before the first build and before any page is served: an edit made while the
    // site builds, or right after a reader's page connects, must not be missed.
    let mut watcher = watch::Watch::start(&root, store.out())?;

    let live = Arc::new(reload::Live::default());
    let mut builder = rebuild::Builder::new(
        root.clone(),
        store.clone(),
        opts,
        live.clone(),
        options.verbose,
        options.quiet,
    );
    builder.build(&[])?;

    let server = http::Server::start(listener, store, live)?;
    let host = match local.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    println!(
        "serving {} at http://{host}:{}/ (Ctrl-C to stop)",
        shown(&root),
        local.port()
    );
    let _ = std::io::stdout().flush();

    rebuild::rebuild_on_change(&mut watcher, &mut builder)?;
    drop(watcher);
    server.stop();
    if !options.quiet {
        eprintln!("serve: stopped");
    }
    Err(Interrupted.into())
}

/// `path` as the user would like to read it: relative to the current directory if inside it.
fn shown(path: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    let s = rel
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string();
    if s.is_empty() {
        ".".to_string()
    } else {
        s
    }
}

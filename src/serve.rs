//! `benchbook serve`: build the site, serve it on 127.0.0.1, rebuild on change, reload pages.
//!
//! - **Builds** are whole builds (`build::build_site`), never incremental, so a page is never
//!   served stale. No benchmark is run unless `--bench`: results are used as stored (frozen),
//!   stale ones carry the merge stage's "stale" badge and missing ones a "no stored result"
//!   badge in their place ([`BenchPolicy::missing_ok`]) instead of failing the build.
//! - **Output**: by default the output files of the last good build are kept in memory and
//!   swapped whole after each good rebuild (nothing is written: writing the 10,000-page
//!   benchmark site's 450 MB took longer than everything else together). The search index
//!   and the print edition are made when first asked for (they took 40% of a rebuild of that
//!   site, and most previews never open them). With `--out DIR` each
//!   rebuild is written by the write stage (a new tree swapped in whole) and served from disk.
//!   Either way a failed rebuild leaves the last good site in place and served.
//! - **Watching**: `content/`, `themes/`, `templates/`, `benchmarks/` and `site.yaml` under the
//!   root (notify, debounced); editor droppings, hidden files and `target/` folders are ignored.
//! - **Reloading**: HTML responses get a small script, added at response time (files on disk
//!   never hold it, and `build` output never does). It listens on [`EVENTS`] (Server-Sent
//!   Events): `hello` with the current generation on connect, `reload` after a good rebuild,
//!   `builderror` with the error text after a failed one (shown in an overlay, as text), and
//!   `buildok` when the errors are gone.
//! - **Safety**: only regular files under the output directory are served. A path with `..`
//!   (plain or percent-encoded), a backslash or a NUL, or one whose canonical form (symlinks
//!   resolved) leaves the output directory, is answered 404. Only GET and HEAD.
//! - **Ctrl-C** (and SIGTERM/SIGHUP) goes through the bench stage's handler
//!   ([`crate::bench::Guard`]): serve stops between two requests or builds, removes its
//!   temporary directory and exits 130.

use crate::build::{build_site, prepare, BuildOptions};
use crate::cli::{BenchPolicy, Global, Interrupted, UsageError};
use crate::diagnostics::Diagnostics;
use crate::model::{OutputFile, Site};
use anyhow::Context;
use clap::Args;
use notify::{EventKind, RecursiveMode, Watcher};
use percent_encoding::percent_decode_str;
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

/// The reload channel's path (Server-Sent Events).
pub const EVENTS: &str = "/__benchbook/events";

/// What the watcher looks at, under the root.
const WATCHED_DIRS: [&str; 4] = ["content", "themes", "templates", "benchmarks"];
const WATCHED_FILES: [&str; 1] = ["site.yaml"];

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

/// The state the reload channel reports.
#[derive(Debug, Clone, Default, PartialEq)]
struct LiveState {
    /// Good builds so far (0: none yet).
    generation: u64,
    /// The errors of the last build, when it failed.
    error: Option<String>,
    /// Bumped on every change, to wake the event streams.
    version: u64,
}

#[derive(Default)]
struct Live {
    state: Mutex<LiveState>,
    changed: Condvar,
}

impl Live {
    fn snapshot(&self) -> LiveState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    fn update(&self, f: impl FnOnce(&mut LiveState)) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut st);
        st.version += 1;
        self.changed.notify_all();
    }
    /// Wait until the state's version differs from `seen`, or `timeout` passes.
    fn wait(&self, seen: u64, timeout: Duration) -> LiveState {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (st, _) = self
            .changed
            .wait_timeout_while(st, timeout, |s| s.version == seen)
            .unwrap_or_else(|e| e.into_inner());
        st.clone()
    }
}

/// What the HTTP workers need.
struct Ctx {
    store: Arc<Store>,
    live: Arc<Live>,
}

/// Where the served site lives.
enum Store {
    /// `--out DIR` (absolute): written by the write stage, served from disk.
    Disk(PathBuf),
    /// The default: the output files of the last good build, in memory, swapped whole.
    Memory(RwLock<Arc<MemSite>>),
}

/// Output files by their path with `/` separators (`lesson/index.html`).
type Files = HashMap<String, OutputFile>;

/// One good build, in memory.
#[derive(Default)]
struct MemSite {
    files: Files,
    /// What the search index and the print edition are made from, when first asked for:
    /// they are by far the slowest part of a build and most previews never open them.
    extras: Option<Extras>,
}

struct Extras {
    site: Site,
    /// The theme's style sheets (for the print edition).
    css: Vec<String>,
    search: OnceLock<OutputFile>,
    print: OnceLock<OutputFile>,
}

impl MemSite {
    /// The search index or the print edition of this build, made on first use.
    fn extra(&self, raw: &str) -> Option<&OutputFile> {
        let x = self.extras.as_ref()?;
        let (segs, _) = segments(raw)?;
        let key = segs.join("/");
        if key == crate::search::INDEX_FILE && x.site.config.search {
            Some(x.search.get_or_init(|| crate::search::build_index(&x.site)))
        } else if key == crate::print::PRINT_FILE && x.site.config.print {
            Some(
                x.print
                    .get_or_init(|| crate::print::print_page(&x.site, &x.css)),
            )
        } else {
            None
        }
    }
}

/// `path` (relative, plain) as a [`MemSite`] key.
fn mem_key(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The output files of a build, keyed for serving; two files on one path are an error.
fn mem_site(files: Vec<OutputFile>) -> anyhow::Result<Files> {
    let mut map = HashMap::with_capacity(files.len());
    for f in files {
        let Some(key) = mem_key(f.path()) else {
            anyhow::bail!(
                "output path {} is not a plain relative path (a bug in benchbook)",
                f.path().display()
            );
        };
        if let Some(old) = map.insert(key, f) {
            anyhow::bail!(
                "two output files would be written to {} (a bug in benchbook or the theme)",
                old.path().display()
            );
        }
    }
    Ok(map)
}

pub fn run(global: &Global, args: &ServeArgs) -> anyhow::Result<()> {
    let root = global
        .root
        .canonicalize()
        .with_context(|| format!("cannot open the site root {}", global.root.display()))?;
    let store = Arc::new(match &args.out {
        Some(out) => Store::Disk(crate::write::check_out_dir(&root, out)?),
        None => Store::Memory(RwLock::new(Arc::new(MemSite::default()))),
    });
    let out = match &*store {
        Store::Disk(out) => Some(out.clone()),
        Store::Memory(_) => None,
    };
    let addr = SocketAddr::new(args.bind, args.port);
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: --bind {}: the preview is reachable from other machines on the network (no authentication; drafts are served with --drafts)",
            args.bind
        );
    }
    // Listen before the first build, so a busy port is reported at once.
    let http = tiny_http::Server::http(addr).map_err(|e| {
        UsageError(format!(
            "cannot listen on {addr}: {e}; expected a free port (choose another with --port)"
        ))
    })?;
    let http = Arc::new(http);
    let local = http
        .server_addr()
        .to_ip()
        .context("the server has no IP address")?;

    // Ctrl-C sets the bench stage's flag instead of exiting at once, so cleanup runs.
    // It stays alive while serving: a bench step's own guard nests inside it and leaves the
    // flag set for this loop to see.
    let _guard = crate::bench::Guard::new()?;

    let opts = BuildOptions {
        drafts: args.drafts,
        bench: if args.bench {
            BenchPolicy {
                keep_going: true,
                ..Default::default()
            }
        } else {
            BenchPolicy::stored_only()
        },
        quiet: global.quiet,
        // In memory, the search index and the print edition are made on request.
        defer_reader_extras: args.out.is_none(),
        // Reuse unchanged pages across rebuilds.
        memo: Some(Arc::new(crate::incremental::Memo::default())),
    };
    // Watch before the first build and before any page is served: an edit made while the
    // site builds, or right after a reader's page connects, must not be missed.
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher =
        notify::recommended_watcher(tx).context("cannot watch the site for changes")?;
    watcher
        .watch(&root, RecursiveMode::NonRecursive)
        .with_context(|| format!("cannot watch {}", root.display()))?;
    for dir in WATCHED_DIRS {
        let d = root.join(dir);
        if d.is_dir() {
            watcher
                .watch(&d, RecursiveMode::Recursive)
                .with_context(|| format!("cannot watch {}", d.display()))?;
        }
    }

    let live = Arc::new(Live::default());
    let mut builder = Builder {
        root: root.clone(),
        store: store.clone(),
        opts,
        live: live.clone(),
        verbose: global.verbose,
        quiet: global.quiet,
        warnings: BTreeSet::new(),
    };
    builder.build(&[])?;

    let ctx = Arc::new(Ctx {
        store: store.clone(),
        live: live.clone(),
    });
    for _ in 0..4 {
        let http = http.clone();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            while let Ok(req) = http.recv() {
                handle(req, &ctx);
            }
        });
    }
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

    while !crate::bench::interrupted() {
        let mut changed = BTreeSet::new();
        // Wait for a change, then gather what follows it closely (an editor saving several
        // files, a `git checkout`): a quiet gap of DEBOUNCE, at most 2 s in all.
        let mut first_at: Option<Instant> = None;
        loop {
            let wait = if first_at.is_some() {
                DEBOUNCE
            } else {
                Duration::from_millis(100)
            };
            match rx.recv_timeout(wait) {
                Ok(Ok(ev)) => {
                    for rel in changes(&root, out.as_deref(), &ev) {
                        // A watched folder made (or made again) after serve started.
                        if rel.components().count() == 1 && root.join(&rel).is_dir() {
                            let _ = watcher.watch(&root.join(&rel), RecursiveMode::Recursive);
                        }
                        changed.insert(rel);
                        first_at.get_or_insert_with(Instant::now);
                    }
                }
                Ok(Err(e)) => eprintln!("warning: watching the site: {e}"),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if first_at.is_some() || crate::bench::interrupted() {
                        break;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    anyhow::bail!("the file watcher stopped")
                }
            }
            if first_at.is_some_and(|t| t.elapsed() > Duration::from_secs(2)) {
                break;
            }
        }
        if changed.is_empty() {
            continue;
        }
        let changed: Vec<PathBuf> = changed.into_iter().collect();
        builder.build(&changed)?;
    }
    drop(watcher);
    http.unblock();
    if !global.quiet {
        eprintln!("serve: stopped");
    }
    Err(Interrupted.into())
}

/// Builds the site and tells the reload channel.
struct Builder {
    root: PathBuf,
    store: Arc<Store>,
    opts: BuildOptions,
    live: Arc<Live>,
    verbose: bool,
    quiet: bool,
    /// Warnings of the last build (only new ones are printed again).
    warnings: BTreeSet<String>,
}

impl Builder {
    /// Build once; `changed` (paths relative to the root) is what triggered it. Only Ctrl-C
    /// during a bench step is returned as an error: a failed build is reported and served.
    fn build(&mut self, changed: &[PathBuf]) -> anyhow::Result<()> {
        if !changed.is_empty() && !self.quiet {
            let first = changed[0].display();
            match changed.len() {
                1 => eprintln!("change: {first}; rebuilding"),
                n => eprintln!("change: {first} and {} more; rebuilding", n - 1),
            }
        }
        let start = Instant::now();
        let built = match &*self.store {
            Store::Disk(out) => {
                build_site(&self.root, out, &self.opts).map(|r| (r.pages, r.stages, r.warnings))
            }
            Store::Memory(slot) => prepare(&self.root, &self.opts).and_then(|p| {
                let pages = p.site.pages.len() + p.site.sections.len();
                let mut stages = p.stages;
                let swap = Instant::now();
                let css = crate::print::stylesheets(&p.files);
                let site = Arc::new(MemSite {
                    files: mem_site(p.files)?,
                    extras: Some(Extras {
                        site: p.site,
                        css,
                        search: OnceLock::new(),
                        print: OnceLock::new(),
                    }),
                });
                // The previous site is freed here, outside the lock.
                let old =
                    std::mem::replace(&mut *slot.write().unwrap_or_else(|e| e.into_inner()), site);
                drop(old);
                stages.push(("swap", swap.elapsed()));
                Ok((pages, stages, p.measured.warnings))
            }),
        };
        match built {
            Ok(report) => {
                let warnings: BTreeSet<String> = report.2.iter().cloned().collect();
                for w in warnings.difference(&self.warnings) {
                    eprintln!("warning: {w}");
                }
                self.warnings = warnings;
                if self.verbose {
                    for (stage, took) in &report.1 {
                        eprintln!("  {stage:<12} {:>6} ms", took.as_millis());
                    }
                    if let Some(memo) = &self.opts.memo {
                        let r = memo.reused();
                        eprintln!(
                            "  reused: {} files not parsed again, {} bodies not rendered again, {} pages not templated again",
                            r.load, r.markdown, r.render
                        );
                    }
                }
                if !self.quiet {
                    eprintln!(
                        "built {} page{} in {} ms",
                        report.0,
                        if report.0 == 1 { "" } else { "s" },
                        start.elapsed().as_millis()
                    );
                }
                self.live.update(|s| {
                    s.generation += 1;
                    s.error = None;
                });
            }
            Err(err) if err.downcast_ref::<Interrupted>().is_some() => return Err(err),
            Err(err) => {
                let text = match err.downcast_ref::<Diagnostics>() {
                    Some(d) => {
                        let n = d.clone().sorted().len();
                        format!("{d}{n} error{} found", if n == 1 { "" } else { "s" })
                    }
                    None => format!("error: {err:#}"),
                };
                let good = self.live.snapshot().generation > 0;
                eprint!("{text}");
                if !text.ends_with('\n') {
                    eprintln!();
                }
                eprintln!(
                    "{}",
                    if good {
                        "the rebuild failed; still serving the last good site"
                    } else {
                        "the site does not build yet; fix the errors above (serve keeps watching)"
                    }
                );
                self.live.update(|s| s.error = Some(text));
            }
        }
        Ok(())
    }
}

/// How long the watcher waits for the next change of a burst before rebuilding.
const DEBOUNCE: Duration = Duration::from_millis(80);

/// The paths (relative to `root`) of a watcher event that should trigger a rebuild. Reads
/// (the build itself opens every source) are not changes.
fn changes(root: &Path, out: Option<&Path>, ev: &notify::Event) -> Vec<PathBuf> {
    use notify::event::{MetadataKind, ModifyKind};
    match ev.kind {
        EventKind::Access(_)
        | EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => Vec::new(),
        _ => ev
            .paths
            .iter()
            .filter_map(|p| relevant(root, out, p))
            .collect(),
    }
}

/// `path` relative to `root`, when a change there should trigger a rebuild.
fn relevant(root: &Path, out: Option<&Path>, path: &Path) -> Option<PathBuf> {
    if out.is_some_and(|o| path.starts_with(o)) {
        return None;
    }
    let rel = path.strip_prefix(root).ok()?;
    let mut comps = rel.components();
    let first = match comps.next()? {
        Component::Normal(s) => s.to_str()?,
        _ => return None,
    };
    let top_level = comps.next().is_none();
    if top_level {
        if !WATCHED_FILES.contains(&first) && !WATCHED_DIRS.contains(&first) {
            return None;
        }
    } else if !WATCHED_DIRS.contains(&first) {
        return None;
    }
    for c in rel.components() {
        let Component::Normal(name) = c else {
            return None;
        };
        let name = name.to_string_lossy();
        // Hidden files and folders (.git, editor state), build folders of runners.
        if name.starts_with('.') || name == "target" {
            return None;
        }
    }
    let name = rel.file_name()?.to_string_lossy();
    // Editor droppings: backups, swap files, vim's write probe.
    if name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name == "4913"
    {
        return None;
    }
    Some(rel.to_path_buf())
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

// ── HTTP ─────────────────────────────────────────────────────────────────────────────────

/// Where a request path leads.
#[derive(Debug, PartialEq)]
enum Target {
    File(PathBuf),
    /// A directory asked for without its trailing slash: where to send the browser.
    Redirect(String),
    NotFound,
}

/// The segments of a request path (`/a%20b/c.html` → `a b`, `c.html`) and whether it ends
/// with `/`. `None` for anything that tries to leave the tree or is not a plain path: `..`
/// (also percent-encoded), backslashes, NUL, invalid UTF-8.
fn segments(raw: &str) -> Option<(Vec<String>, bool)> {
    if !raw.starts_with('/') || raw.contains('\\') {
        return None;
    }
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    if decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let mut segs = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return None,
            s => segs.push(s.to_string()),
        }
    }
    Some((segs, decoded.ends_with('/')))
}

/// Resolve the path part of a request in the in-memory site.
fn resolve_mem<'a>(site: &'a Files, raw: &str) -> Result<(&'a str, &'a OutputFile), Target> {
    let Some((segs, dir)) = segments(raw) else {
        return Err(Target::NotFound);
    };
    let key = segs.join("/");
    let index = if key.is_empty() {
        "index.html".to_string()
    } else {
        format!("{key}/index.html")
    };
    if !dir {
        if let Some((k, f)) = site.get_key_value(&key) {
            return Ok((k, f));
        }
        if site.contains_key(&index) {
            return Err(Target::Redirect(format!("{raw}/")));
        }
        return Err(Target::NotFound);
    }
    site.get_key_value(&index)
        .map(|(k, f)| (k.as_str(), f))
        .ok_or(Target::NotFound)
}

/// Resolve the path part of a request (`/lesson/`, `/a%20b.png`) inside `out`.
fn resolve(out: &Path, raw: &str) -> Target {
    let Some((segs, dir)) = segments(raw) else {
        return Target::NotFound;
    };
    let mut path = out.to_path_buf();
    path.extend(&segs);
    let Ok(base) = out.canonicalize() else {
        return Target::NotFound;
    };
    let inside = |p: &Path| -> Option<PathBuf> {
        let real = p.canonicalize().ok()?;
        real.starts_with(&base).then_some(real)
    };
    let Some(real) = inside(&path) else {
        return Target::NotFound;
    };
    if real.is_dir() {
        if !dir {
            return Target::Redirect(format!("{raw}/"));
        }
        return match inside(&real.join("index.html")) {
            Some(index) if index.is_file() => Target::File(index),
            _ => Target::NotFound,
        };
    }
    if real.is_file() {
        Target::File(real)
    } else {
        Target::NotFound
    }
}

/// The Content-Type of a file, by its extension.
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "xml" => "application/xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// Answer `req` and close its connection. The answer is written by hand because tiny_http
/// drops a `Connection: close` header (tiny-http issue 244) and serves each connection on a
/// pool thread for as long as it stays open: a connection queued behind kept-alive ones
/// (a browser opens six at once, and the reload channel never ends) was left unread, and
/// pages never finished loading.
fn send(req: tiny_http::Request, status: u16, headers: &[(&str, &str)], body: &[u8]) {
    let head_only = *req.method() == tiny_http::Method::Head;
    let reason = match status {
        200 => "OK",
        301 => "Moved Permanently",
        404 => "Not Found",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        _ => "",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut w = req.into_writer();
    let _ = w
        .write_all(head.as_bytes())
        .and_then(|_| if head_only { Ok(()) } else { w.write_all(body) })
        .and_then(|_| w.flush());
}

fn respond(req: tiny_http::Request, status: u16, ctype: &str, body: Vec<u8>) {
    send(req, status, &[("Content-Type", ctype)], &body);
}

fn handle(req: tiny_http::Request, ctx: &Arc<Ctx>) {
    use tiny_http::Method;
    if !matches!(req.method(), Method::Get | Method::Head) {
        send(
            req,
            405,
            &[
                ("Allow", "GET, HEAD"),
                ("Content-Type", "text/plain; charset=utf-8"),
            ],
            b"405 method not allowed\n",
        );
        return;
    }
    let url = req.url().to_string();
    let path = url.split(['?', '#']).next().unwrap_or("");
    if path == EVENTS {
        let live = ctx.live.clone();
        std::thread::spawn(move || stream_events(req, &live));
        return;
    }
    let state = ctx.live.snapshot();
    if state.generation == 0 {
        // Nothing good to serve yet: the errors, and a reload when they are fixed.
        let text = state.error.unwrap_or_else(|| "building…".to_string());
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>benchbook: the site does not build</title></head><body><h1>The site does not build yet</h1><pre>{}</pre></body></html>",
            escape_html(&text)
        );
        respond(
            req,
            503,
            "text/html; charset=utf-8",
            inject(page.as_bytes(), 0),
        );
        return;
    }
    match find(&ctx.store, path) {
        Found::File(file, bytes) => {
            let ctype = content_type(&file);
            if ctype.starts_with("text/html") {
                respond(req, 200, ctype, inject(&bytes, state.generation));
            } else {
                send(req, 200, &[("Content-Type", ctype)], &bytes);
            }
        }
        Found::Redirect(to) => {
            send(req, 301, &[("Location", &to)], b"");
        }
        Found::Missing => not_found(req, ctx, state.generation),
    }
}

/// What a request path finds in the served site.
enum Found {
    /// A file's path (for its type) and its bytes.
    File(PathBuf, Arc<Vec<u8>>),
    Redirect(String),
    Missing,
}

fn find(store: &Store, path: &str) -> Found {
    match store {
        Store::Disk(out) => match resolve(out, path) {
            Target::File(file) => match std::fs::read(&file) {
                Ok(bytes) => Found::File(file, bytes.into()),
                Err(_) => Found::Missing,
            },
            Target::Redirect(to) => Found::Redirect(to),
            Target::NotFound => Found::Missing,
        },
        Store::Memory(slot) => {
            let site = slot.read().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(OutputFile::Bytes { path: p, bytes }) = site.extra(path) {
                return Found::File(p.clone(), bytes.clone());
            }
            match resolve_mem(&site.files, path) {
                Ok((key, OutputFile::Bytes { bytes, .. })) => {
                    Found::File(PathBuf::from(key), bytes.clone())
                }
                // Copied files (assets, theme files) are read from their source.
                Ok((key, OutputFile::Copy { from, .. })) => match std::fs::read(from) {
                    Ok(bytes) => Found::File(PathBuf::from(key), bytes.into()),
                    Err(_) => Found::Missing,
                },
                Err(Target::Redirect(to)) => Found::Redirect(to),
                Err(_) => Found::Missing,
            }
        }
    }
}

/// 404, with the site's own 404 page when it has one.
fn not_found(req: tiny_http::Request, ctx: &Ctx, generation: u64) {
    if let Found::File(_, bytes) = find(&ctx.store, "/404.html") {
        {
            respond(
                req,
                404,
                "text/html; charset=utf-8",
                inject(&bytes, generation),
            );
            return;
        }
    }
    respond(
        req,
        404,
        "text/plain; charset=utf-8",
        b"404 not found\n".to_vec(),
    );
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let _ = pulldown_cmark_escape::escape_html(&mut out, s);
    out
}

/// The reload script for a page of build `generation`. It never puts server text into the
/// page as markup: errors go in with `textContent`.
fn reload_script(generation: u64) -> String {
    format!(
        r#"<script data-benchbook-serve>/* benchbook serve: live reload (not part of the built site) */
(function () {{
  var generation = {generation};
  if (!window.EventSource) return;
  var box = null;
  function show(text) {{
    if (!box) {{
      box = document.createElement("div");
      box.id = "benchbook-serve-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:1.5rem;background:rgba(24,24,24,.95);color:#ffd7d7;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap";
      document.body.appendChild(box);
    }}
    box.textContent = "benchbook serve: the rebuild failed; this is the last good version of the page.\n\n" + text;
  }}
  function hide() {{ if (box) {{ box.remove(); box = null; }} }}
  var events = new EventSource("{EVENTS}");
  events.addEventListener("hello", function (e) {{ if (Number(e.data) !== generation) location.reload(); }});
  events.addEventListener("reload", function () {{ location.reload(); }});
  events.addEventListener("builderror", function (e) {{ show(e.data); }});
  events.addEventListener("buildok", hide);
}})();
</script>
"#
    )
}

/// `html` with the reload script before its last `</body>` (or at the end).
fn inject(html: &[u8], generation: u64) -> Vec<u8> {
    let script = reload_script(generation);
    let lower: Vec<u8> = html.iter().map(u8::to_ascii_lowercase).collect();
    let at = lower
        .windows(7)
        .rposition(|w| w == b"</body>")
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + script.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(script.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

/// One Server-Sent Event; every line of `data` becomes a `data:` line.
fn event(name: &str, data: &str) -> String {
    let mut s = format!("event: {name}\n");
    for line in data.split('\n') {
        s.push_str("data: ");
        s.push_str(line.trim_end_matches('\r'));
        s.push('\n');
    }
    s.push('\n');
    s
}

/// The reload channel: holds the connection open and writes an event on every change.
fn stream_events(req: tiny_http::Request, live: &Live) {
    let mut w = req.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nretry: 1000\n\n";
    let mut last = live.snapshot();
    let mut first = event("hello", &last.generation.to_string());
    if let Some(e) = &last.error {
        first.push_str(&event("builderror", e));
    }
    if w.write_all(head.as_bytes()).is_err()
        || w.write_all(first.as_bytes()).is_err()
        || w.flush().is_err()
    {
        return;
    }
    loop {
        let now = live.wait(last.version, Duration::from_secs(15));
        let msg = if now.version == last.version {
            ": keep-alive\n\n".to_string()
        } else if now.generation != last.generation {
            event("reload", &now.generation.to_string())
        } else if now.error != last.error {
            match &now.error {
                Some(e) => event("builderror", e),
                None => event("buildok", ""),
            }
        } else {
            String::new()
        };
        last = now;
        if msg.is_empty() {
            continue;
        }
        if w.write_all(msg.as_bytes()).is_err() || w.flush().is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_only_inside_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        std::fs::create_dir_all(out.join("lesson")).unwrap();
        std::fs::write(out.join("index.html"), "i").unwrap();
        std::fs::write(out.join("lesson/index.html"), "l").unwrap();
        std::fs::write(out.join("a b.css"), "c").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        let base = out.canonicalize().unwrap();
        assert_eq!(resolve(&out, "/"), Target::File(base.join("index.html")));
        assert_eq!(
            resolve(&out, "/lesson/"),
            Target::File(base.join("lesson/index.html"))
        );
        assert_eq!(
            resolve(&out, "/lesson"),
            Target::Redirect("/lesson/".into())
        );
        assert_eq!(
            resolve(&out, "/a%20b.css"),
            Target::File(base.join("a b.css"))
        );
        for bad in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E/secret.txt",
            "/..%2fsecret.txt",
            "/..%2Fsecret.txt",
            "/lesson/../../secret.txt",
            "/..\\secret.txt",
            "/%5c..%5csecret.txt",
            "/index.html%00",
            "secret.txt",
            "/missing.html",
        ] {
            assert_eq!(resolve(&out, bad), Target::NotFound, "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.txt"), out.join("link.txt"))
                .unwrap();
            std::os::unix::fs::symlink(dir.path(), out.join("up")).unwrap();
            assert_eq!(resolve(&out, "/link.txt"), Target::NotFound);
            assert_eq!(resolve(&out, "/up/secret.txt"), Target::NotFound);
            std::os::unix::fs::symlink(out.join("a b.css"), out.join("inner.css")).unwrap();
            assert_eq!(
                resolve(&out, "/inner.css"),
                Target::File(base.join("a b.css"))
            );
        }
    }

    #[test]
    fn resolves_in_memory() {
        let file = |p: &str| OutputFile::Bytes {
            path: PathBuf::from(p),
            bytes: p.as_bytes().to_vec().into(),
        };
        let site = mem_site(vec![
            file("index.html"),
            file("lesson/index.html"),
            file("a b.css"),
        ])
        .unwrap();
        let key = |raw: &str| resolve_mem(&site, raw).map(|(k, _)| k.to_string());
        assert_eq!(key("/"), Ok("index.html".into()));
        assert_eq!(key("/lesson/"), Ok("lesson/index.html".into()));
        assert_eq!(key("/lesson"), Err(Target::Redirect("/lesson/".into())));
        assert_eq!(key("/a%20b.css"), Ok("a b.css".into()));
        for bad in [
            "/../index.html",
            "/%2e%2e/index.html",
            "/lesson/../index.html",
            "/..%2findex.html",
            "/lesson\\index.html",
            "/missing.html",
            "index.html",
        ] {
            assert_eq!(key(bad), Err(Target::NotFound), "{bad}");
        }
        assert!(mem_site(vec![file("a.html"), file("a.html")]).is_err());
        assert!(mem_site(vec![file("../a.html")]).is_err());
    }

    #[test]
    fn injects_before_the_last_body_end() {
        let html = b"<html><body><p>x</p></BODY></html>";
        let out = String::from_utf8(inject(html, 3)).unwrap();
        let at = out.find("<script data-benchbook-serve>").unwrap();
        assert!(at < out.find("</BODY>").unwrap());
        assert!(out.contains("var generation = 3;"));
        let bare = String::from_utf8(inject(b"<p>no body</p>", 1)).unwrap();
        assert!(bare.starts_with("<p>no body</p><script"));
    }

    #[test]
    fn events_split_lines() {
        assert_eq!(
            event("builderror", "a.md:1:2: bad\r\nb.md:3:4: worse"),
            "event: builderror\ndata: a.md:1:2: bad\ndata: b.md:3:4: worse\n\n"
        );
    }

    #[test]
    fn watches_only_sources() {
        let root = Path::new("/s");
        let out = Path::new("/s/public");
        let yes = |p: &str| relevant(root, Some(out), Path::new(p)).is_some();
        assert!(yes("/s/content/a.md"));
        assert!(yes("/s/site.yaml"));
        assert!(yes("/s/themes/default/templates/page.html"));
        assert!(yes("/s/benchmarks/results/x.json"));
        assert!(yes("/s/templates"));
        assert!(!yes("/s/public/index.html"));
        assert!(!yes("/s/README.md"));
        assert!(!yes("/s/content/.a.md.swp"));
        assert!(!yes("/s/content/a.md~"));
        assert!(!yes("/s/content/4913"));
        assert!(!yes("/s/benchmarks/runners/torch/target/debug/x"));
        assert!(!yes("/s/.git/index"));
    }

    #[test]
    fn content_types() {
        for (f, t) in [
            ("a.html", "text/html; charset=utf-8"),
            ("a.css", "text/css; charset=utf-8"),
            ("a.js", "text/javascript; charset=utf-8"),
            ("a.json", "application/json"),
            ("a.svg", "image/svg+xml"),
            ("a.PNG", "image/png"),
            ("a.jpg", "image/jpeg"),
            ("a.xml", "application/xml"),
            ("a.txt", "text/plain; charset=utf-8"),
            ("a.woff2", "font/woff2"),
            ("a", "application/octet-stream"),
        ] {
            assert_eq!(content_type(Path::new(f)), t, "{f}");
        }
    }
}

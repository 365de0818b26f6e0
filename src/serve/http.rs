//! The HTTP side of serve: hyper's HTTP/1.1 server on one thread, the responses, and the
//! safety of request paths (only files of the site, never anything outside it).
//!
//! Request heads are bounded, so a client cannot make the server buffer without limit:
//! hyper reads at most [`MAX_HEAD`] bytes of a head (answered 431, connection closed, beyond),
//! at most [`MAX_HEADER_FIELDS`] header fields (431), and within that serve refuses a request
//! line over [`MAX_REQUEST_LINE`] (414) and a header block over [`MAX_HEADERS_BYTES`] (431).
//! A head not sent within hyper's header read timeout (30 s) closes its connection.

use super::reload::{inject, Live, EVENTS};
use super::store::{Files, Store};
use crate::model::OutputFile;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::percent_decode_str;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The longest request line served (method, target and version): 8 KB, 414 beyond.
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// The largest header block served (every `Name: value` line): 64 KB, 431 beyond.
pub const MAX_HEADERS_BYTES: usize = 64 * 1024;
/// The most hyper reads of one request head before answering 431 and closing: the request
/// line, the header block and their line ends.
pub const MAX_HEAD: usize = MAX_REQUEST_LINE + MAX_HEADERS_BYTES + 4;
/// The most header fields in one request (431 beyond). hyper's default, 100, would refuse
/// requests far under the 64 KB a header block may take; a browser sends about 20.
pub const MAX_HEADER_FIELDS: usize = 4096;

type Body = BoxBody<Bytes, Infallible>;

/// What the connections need.
struct Ctx {
    store: Arc<Store>,
    live: Arc<Live>,
}

/// The HTTP server, running on its own thread until [`Server::stop`].
pub struct Server {
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    /// Serve `store` on `listener` (already bound), with the reload channel of `live`.
    pub fn start(
        listener: std::net::TcpListener,
        store: Arc<Store>,
        live: Arc<Live>,
    ) -> anyhow::Result<Server> {
        use anyhow::Context;
        // One thread serves every connection; a lookup that may make the search index or
        // the print edition runs on the runtime's blocking pool.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .context("cannot start the HTTP server")?;
        listener
            .set_nonblocking(true)
            .context("cannot start the HTTP server")?;
        let listener = {
            let _entered = rt.enter();
            tokio::net::TcpListener::from_std(listener).context("cannot start the HTTP server")?
        };
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let ctx = Arc::new(Ctx { store, live });
        std::thread::Builder::new()
            .name("serve-http".into())
            .spawn(move || {
                rt.block_on(async move {
                    let accepting = tokio::spawn(accept(listener, ctx));
                    let _ = stopped.await;
                    accepting.abort();
                });
                // Open connections (the event streams never end) are dropped, not awaited.
                rt.shutdown_background();
            })
            .context("cannot start the HTTP server")?;
        Ok(Server { stop })
    }

    /// Stop accepting and drop every connection.
    pub fn stop(self) {
        let _ = self.stop.send(());
    }
}

/// Accept connections, each served by its own task.
async fn accept(listener: tokio::net::TcpListener, ctx: Arc<Ctx>) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_buf_size(MAX_HEAD)
        .max_header_size(MAX_HEAD)
        .max_headers(MAX_HEADER_FIELDS)
        .timer(TokioTimer::new());
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, for instance: wait instead of spinning.
                eprintln!("warning: serve: cannot accept a connection: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let ctx = ctx.clone();
        let conn = http.serve_connection(
            TokioIo::new(stream),
            hyper::service::service_fn(move |req| handle(req, ctx.clone())),
        );
        tokio::spawn(async move {
            // A client that goes away or sends a bad request is no error of the server's.
            let _ = conn.await;
        });
    }
}

/// A response with the headers every answer of serve has.
fn response(status: StatusCode, ctype: &'static str, body: Body) -> Response<Body> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

fn full(status: StatusCode, ctype: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    response(status, ctype, Full::new(body.into()).boxed())
}

/// A plain-text refusal after which the connection is closed.
fn refuse(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut res = full(status, "text/plain; charset=utf-8", text);
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// The length of `req`'s request line as sent (`GET /a?b HTTP/1.1`), and of its header block
/// (`Name: value` and the line end, for each field).
fn head_sizes(req: &Request<Incoming>) -> (usize, usize) {
    let uri = req.uri();
    let target = match (uri.scheme_str(), uri.authority(), uri.path_and_query()) {
        (Some(scheme), Some(authority), pq) => {
            scheme.len() + 3 + authority.as_str().len() + pq.map_or(0, |p| p.as_str().len())
        }
        (_, Some(authority), None) => authority.as_str().len(),
        (_, _, pq) => pq.map_or(1, |p| p.as_str().len()),
    };
    let line = req.method().as_str().len() + 1 + target + " HTTP/1.1".len();
    let headers = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    (line, headers)
}

async fn handle(req: Request<Incoming>, ctx: Arc<Ctx>) -> Result<Response<Body>, Infallible> {
    let (line, headers) = head_sizes(&req);
    if line > MAX_REQUEST_LINE {
        return Ok(refuse(
            StatusCode::URI_TOO_LONG,
            "414 the request line is longer than 8 KB\n",
        ));
    }
    if headers > MAX_HEADERS_BYTES {
        return Ok(refuse(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "431 the request headers are larger than 64 KB\n",
        ));
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let mut res = full(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "405 method not allowed\n",
        );
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(res);
    }
    let path = req.uri().path().to_string();
    if path == EVENTS {
        return Ok(response(
            StatusCode::OK,
            "text/event-stream; charset=utf-8",
            ctx.live.stream().boxed(),
        ));
    }
    let state = ctx.live.snapshot();
    if state.generation == 0 {
        // Nothing good to serve yet: the errors, and a reload when they are fixed.
        let text = state.error.unwrap_or_else(|| "building…".to_string());
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>benchbook: the site does not build</title></head><body><h1>The site does not build yet</h1><pre>{}</pre></body></html>",
            crate::html::escape(&text)
        );
        return Ok(full(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html; charset=utf-8",
            inject(page.as_bytes(), 0),
        ));
    }
    // Reading files, or making the search index or the print edition on first use, blocks.
    let store = ctx.store.clone();
    let generation = state.generation;
    let res = tokio::task::spawn_blocking(move || answer(&store, &path, generation))
        .await
        .unwrap_or_else(|_| {
            full(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain; charset=utf-8",
                "500 internal error\n",
            )
        });
    Ok(res)
}

/// The answer to a GET of `path` (the path part of the request target, as sent).
fn answer(store: &Store, path: &str, generation: u64) -> Response<Body> {
    match find(store, path) {
        Found::File(file, bytes) => {
            let ctype = content_type(&file);
            if ctype.starts_with("text/html") {
                full(StatusCode::OK, ctype, inject(&bytes, generation))
            } else {
                full(StatusCode::OK, ctype, Bytes::from_owner(Shared(bytes)))
            }
        }
        Found::Redirect(to) => {
            let mut res = full(
                StatusCode::MOVED_PERMANENTLY,
                "text/plain; charset=utf-8",
                "",
            );
            if let Ok(to) = HeaderValue::from_str(&to) {
                res.headers_mut().insert(header::LOCATION, to);
            }
            res
        }
        // 404, with the site's own 404 page when it has one.
        Found::Missing => match find(store, "/404.html") {
            Found::File(_, bytes) => full(
                StatusCode::NOT_FOUND,
                "text/html; charset=utf-8",
                inject(&bytes, generation),
            ),
            _ => full(
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                "404 not found\n",
            ),
        },
    }
}

/// A file's bytes shared with the served site, as a response body without a copy.
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
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
            let extra = segments(path).and_then(|(segs, _)| site.extra(&segs.join("/")));
            if let Some(OutputFile::Bytes { path: p, bytes }) = extra {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::store::mem_site;

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

//! Live reload: the state of the builds, the reload channel (Server-Sent Events) and the script
//! that HTML responses get at response time.

use hyper::body::{Body, Bytes, Frame};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The reload channel's path (Server-Sent Events).
pub const EVENTS: &str = "/__benchbook/events";

/// How often an idle event stream gets a comment (which also finds closed connections).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The state the reload channel reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    /// Good builds so far (0: none yet).
    pub generation: u64,
    /// The errors of the last build, when it failed.
    pub error: Option<String>,
}

/// The state of the builds, shared by the rebuild loop (which writes it) and the event
/// streams (which wait for its changes).
pub struct Live {
    state: watch::Sender<LiveState>,
}

impl Default for Live {
    fn default() -> Live {
        Live {
            state: watch::Sender::new(LiveState::default()),
        }
    }
}

impl Live {
    pub fn snapshot(&self) -> LiveState {
        self.state.borrow().clone()
    }

    /// Change the state and wake every event stream.
    pub fn update(&self, f: impl FnOnce(&mut LiveState)) {
        self.state.send_modify(f);
    }

    /// The body of a reload channel response: `retry`, `hello` (and `builderror` when the last
    /// build failed) at once, then an event on every change. Must be called on the server's
    /// runtime: a task feeds the stream until the client goes away.
    pub fn stream(&self) -> EventStream {
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(feed(self.state.subscribe(), tx));
        EventStream(rx)
    }
}

/// Write the events of `state`'s changes to `tx`, until the response is dropped.
async fn feed(mut state: watch::Receiver<LiveState>, tx: mpsc::Sender<Bytes>) {
    let mut last = state.borrow_and_update().clone();
    let mut first = String::from("retry: 1000\n\n");
    first.push_str(&event("hello", &last.generation.to_string()));
    if let Some(e) = &last.error {
        first.push_str(&event("builderror", e));
    }
    if tx.send(first.into()).await.is_err() {
        return;
    }
    loop {
        let msg = match tokio::time::timeout(KEEP_ALIVE, state.changed()).await {
            Err(_) => ": keep-alive\n\n".to_string(),
            // The server is stopping.
            Ok(Err(_)) => return,
            Ok(Ok(())) => {
                let now = state.borrow_and_update().clone();
                let msg = if now.generation != last.generation {
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
                msg
            }
        };
        if msg.is_empty() {
            continue;
        }
        if tx.send(msg.into()).await.is_err() {
            return;
        }
    }
}

/// A response body that never ends: the events [`feed`] sends.
pub struct EventStream(mpsc::Receiver<Bytes>);

impl Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
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
pub fn inject(html: &[u8], generation: u64) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

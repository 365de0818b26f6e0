//! GitHub's extended autolinks, which pulldown-cmark does not have: a bare `https://…` or
//! `http://…` URL, a `www.` address and an email address in text become links, as GitHub
//! renders them (the GFM spec's "Autolinks (extension)"). Finding where a link ends
//! (trailing punctuation, balanced parentheses) is `linkify`'s job; this adapter decides
//! which of its finds GitHub would link and makes the link events.
//!
//! Text inside links, images and code is left alone, and so is raw HTML.

use linkify::{LinkFinder, LinkKind};
use pulldown_cmark::{CowStr, Event, LinkType, Tag, TagEnd};

/// `events` with the extended autolinks of their text turned into links.
pub fn autolink(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut inside = 0usize;
    let mut text: Option<String> = None;
    let finder = finder();
    for ev in events {
        if let Event::Text(t) = &ev {
            if inside == 0 {
                text.get_or_insert_with(String::new).push_str(t);
                continue;
            }
        }
        if let Some(t) = text.take() {
            push_linked(&finder, t, &mut out);
        }
        match &ev {
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_)) => inside += 1,
            Event::End(TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock) => {
                inside = inside.saturating_sub(1)
            }
            Event::InlineHtml(h) if is_tag(h, "a") => inside += 1,
            Event::InlineHtml(h) if is_end_tag(h, "a") => inside = inside.saturating_sub(1),
            _ => {}
        }
        out.push(ev);
    }
    if let Some(t) = text.take() {
        push_linked(&finder, t, &mut out);
    }
    out
}

fn finder() -> LinkFinder {
    let mut f = LinkFinder::new();
    // `www.` addresses have no scheme; other scheme-less domains are not links on GitHub
    // and are dropped in `target`.
    f.url_must_have_scheme(false);
    f.kinds(&[LinkKind::Url, LinkKind::Email]);
    f
}

/// The kind of link and where it points (an email link's `mailto:` is added when it is
/// written), or `None` when GitHub would not link what was found.
fn target(kind: &LinkKind, found: &str) -> Option<(LinkType, String)> {
    let lower = found.to_ascii_lowercase();
    match kind {
        LinkKind::Email => {
            // GFM: the domain has a dot, and the address does not end in `-` or `_`.
            let domain = found.rsplit_once('@')?.1;
            (domain.contains('.') && !found.ends_with(['-', '_']))
                .then(|| (LinkType::Email, found.to_string()))
        }
        LinkKind::Url if lower.starts_with("https://") || lower.starts_with("http://") => {
            Some((LinkType::Autolink, found.to_string()))
        }
        LinkKind::Url if lower.starts_with("www.") => {
            Some((LinkType::Autolink, format!("http://{found}")))
        }
        _ => None,
    }
}

fn push_linked<'a>(finder: &LinkFinder, text: String, out: &mut Vec<Event<'a>>) {
    let mut last = 0;
    for span in finder.links(&text) {
        if span.start() < last {
            continue;
        }
        // linkify finds the link; for a URL, GFM's rule says where it ends.
        let end = match span.kind() {
            LinkKind::Url => gfm_url_end(&text, span.start()),
            // GFM: an address whose domain goes on with `-` or `_` is not a link at all.
            _ if text[span.end()..].starts_with(['-', '_']) => continue,
            _ => span.end(),
        };
        let found = &text[span.start()..end];
        let Some((link_type, url)) = target(span.kind(), found) else {
            continue;
        };
        // GFM: a `www.` link starts at the beginning of a line, after whitespace, or after
        // `*`, `_`, `~` or `(`; so does a URL with a scheme here (no `xhttp://`).
        let before = text[..span.start()].chars().next_back();
        if before.is_some_and(|c| !(c.is_whitespace() || "*_~(".contains(c))) {
            continue;
        }
        if span.start() > last {
            out.push(Event::Text(CowStr::from(
                text[last..span.start()].to_string(),
            )));
        }
        out.push(Event::Start(Tag::Link {
            link_type,
            dest_url: CowStr::from(url),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        out.push(Event::Text(CowStr::from(found.to_string())));
        out.push(Event::End(TagEnd::Link));
        last = end;
    }
    if last < text.len() {
        out.push(Event::Text(CowStr::from(text[last..].to_string())));
    }
}

/// Where GFM ends an extended URL autolink that starts at `start`: at whitespace or `<`,
/// then without trailing `?!.,:*_~`, without trailing `)` while they outnumber `(`, and
/// without a trailing entity-like `&name;`.
fn gfm_url_end(text: &str, start: usize) -> usize {
    let rest = &text[start..];
    let mut end = rest
        .find(|c: char| c.is_whitespace() || c == '<')
        .unwrap_or(rest.len());
    while let Some(c) = rest[..end].chars().next_back() {
        let s = &rest[..end];
        let unbalanced = || c == ')' && s.matches(')').count() > s.matches('(').count();
        if "?!.,:*_~".contains(c) || unbalanced() {
            end -= 1;
        } else if let Some(amp) = s.strip_suffix(';').and_then(|s| s.rfind('&')) {
            let name = &s[amp + 1..s.len() - 1];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                break;
            }
            end = amp;
        } else {
            break;
        }
    }
    start + end
}

/// `<name` followed by whitespace, `>` or `/`.
fn is_tag(html: &str, name: &str) -> bool {
    tag_name(html.strip_prefix('<')) == Some(name)
}

fn is_end_tag(html: &str, name: &str) -> bool {
    tag_name(html.strip_prefix("</")) == Some(name)
}

fn tag_name(rest: Option<&str>) -> Option<&str> {
    let rest = rest?;
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(rest.len());
    let name = &rest[..end];
    (!name.is_empty())
        .then_some(name)
        .filter(|n| n.eq_ignore_ascii_case("a") || n.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{html, Options, Parser};

    /// The GFM spec's rendering, with pulldown-cmark's GFM options and this adapter.
    fn render(md: &str) -> String {
        let events: Vec<Event> = Parser::new_ext(
            md,
            Options::ENABLE_GFM | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
        )
        .collect();
        let mut out = String::new();
        html::push_html(&mut out, autolink(events).into_iter());
        out
    }

    /// Examples of the GFM spec 0.29's "Autolinks (extension)" section (621–631).
    #[test]
    fn gfm_spec_examples() {
        let cases = [
            (
                "www.commonmark.org\n",
                "<p><a href=\"http://www.commonmark.org\">www.commonmark.org</a></p>\n",
            ),
            (
                "Visit www.commonmark.org/help for more information.\n",
                "<p>Visit <a href=\"http://www.commonmark.org/help\">www.commonmark.org/help</a> for more information.</p>\n",
            ),
            (
                "Visit www.commonmark.org.\n\nVisit www.commonmark.org/a.b.\n",
                "<p>Visit <a href=\"http://www.commonmark.org\">www.commonmark.org</a>.</p>\n<p>Visit <a href=\"http://www.commonmark.org/a.b\">www.commonmark.org/a.b</a>.</p>\n",
            ),
            (
                "www.google.com/search?q=Markup+(business)\n\nwww.google.com/search?q=Markup+(business)))\n\n(www.google.com/search?q=Markup+(business))\n\n(www.google.com/search?q=Markup+(business)\n",
                "<p><a href=\"http://www.google.com/search?q=Markup+(business)\">www.google.com/search?q=Markup+(business)</a></p>\n<p><a href=\"http://www.google.com/search?q=Markup+(business)\">www.google.com/search?q=Markup+(business)</a>))</p>\n<p>(<a href=\"http://www.google.com/search?q=Markup+(business)\">www.google.com/search?q=Markup+(business)</a>)</p>\n<p>(<a href=\"http://www.google.com/search?q=Markup+(business)\">www.google.com/search?q=Markup+(business)</a></p>\n",
            ),
            (
                "www.google.com/search?q=(business))+ok\n",
                "<p><a href=\"http://www.google.com/search?q=(business))+ok\">www.google.com/search?q=(business))+ok</a></p>\n",
            ),
            (
                "http://commonmark.org\n\n(Visit https://encrypted.google.com/search?q=Markup+(business))\n",
                "<p><a href=\"http://commonmark.org\">http://commonmark.org</a></p>\n<p>(Visit <a href=\"https://encrypted.google.com/search?q=Markup+(business)\">https://encrypted.google.com/search?q=Markup+(business)</a>)</p>\n",
            ),
            (
                "foo@bar.baz\n",
                "<p><a href=\"mailto:foo@bar.baz\">foo@bar.baz</a></p>\n",
            ),
            (
                "hello@mail+xyz.example isn't valid, but hello+xyz@mail.example is.\n",
                "<p>hello@mail+xyz.example isn't valid, but <a href=\"mailto:hello+xyz@mail.example\">hello+xyz@mail.example</a> is.</p>\n",
            ),
            // The spec's domain is `a.b`; linkify wants a top-level domain of two letters or
            // more (no one-letter one exists), so this example uses `a.bc`.
            (
                "a.b-c_d@a.bc\n\na.b-c_d@a.bc.\n\na.b-c_d@a.bc-\n\na.b-c_d@a.bc_\n",
                "<p><a href=\"mailto:a.b-c_d@a.bc\">a.b-c_d@a.bc</a></p>\n<p><a href=\"mailto:a.b-c_d@a.bc\">a.b-c_d@a.bc</a>.</p>\n<p>a.b-c_d@a.bc-</p>\n<p>a.b-c_d@a.bc_</p>\n",
            ),
            (
                "www.google.com/search?q=commonmark&hl=en\n\nwww.google.com/search?q=commonmark&hl;\n",
                "<p><a href=\"http://www.google.com/search?q=commonmark&amp;hl=en\">www.google.com/search?q=commonmark&amp;hl=en</a></p>\n<p><a href=\"http://www.google.com/search?q=commonmark\">www.google.com/search?q=commonmark</a>&amp;hl;</p>\n",
            ),
            (
                "www.commonmark.org/he<lp\n",
                "<p><a href=\"http://www.commonmark.org/he\">www.commonmark.org/he</a>&lt;lp</p>\n",
            ),
        ];
        let mut failed = Vec::new();
        for (md, want) in cases {
            let got = render(md);
            if got != want {
                failed.push(format!("{md:?}\n  want {want:?}\n  got  {got:?}"));
            }
        }
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    }

    #[test]
    fn leaves_links_code_and_html_alone() {
        assert_eq!(
            render("[see https://a.example](https://b.example) `https://c.example` <a href=\"x\">https://d.example</a>\n"),
            "<p><a href=\"https://b.example\">see https://a.example</a> <code>https://c.example</code> <a href=\"x\">https://d.example</a></p>\n"
        );
        assert_eq!(
            render("```\nhttps://e.example\n```\n"),
            "<pre><code>https://e.example\n</code></pre>\n"
        );
        assert_eq!(
            render("example.org and xhttp://a.example\n"),
            "<p>example.org and xhttp://a.example</p>\n"
        );
    }
}

//! Escaping for every piece of result- or user-derived text that the merge stage writes
//! into a page: [`crate::html::escape`] plus what a fragment inside markdown needs.

/// Escape text for element content and quoted attribute values ([`crate::html::escape`]).
/// Also, line breaks become `&#10;` so that every fragment stays on one line (the page's
/// line numbers depend on it; inside `<pre>` they still render as line breaks), `\r` is
/// dropped, and `{` becomes `&#123;`.
pub fn esc(s: &str) -> String {
    let html = crate::html::escape(s);
    // The entities written by `escape` hold none of these, so they can be replaced after.
    if !html.contains(['\n', '\r', '{']) {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 8);
    for c in html.chars() {
        match c {
            '\n' => out.push_str("&#10;"),
            '\r' => {}
            // Markdown never sees these as emphasis or templates once inside HTML blocks,
            // but `{` is escaped so that a stored value can never look like an expression.
            '{' => out.push_str("&#123;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape text for one line: line breaks become spaces (inline text, titles).
pub fn esc_line(s: &str) -> String {
    esc(&s.replace("\r\n", " ").replace(['\n', '\r'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_breaks() {
        assert_eq!(
            esc("</pre><script>alert('x\")</script>\nnext"),
            "&lt;/pre&gt;&lt;script&gt;alert(&#39;x&quot;)&lt;/script&gt;&#10;next"
        );
        assert_eq!(esc_line("a\r\nb\nc"), "a b c");
        assert_eq!(esc("{{ x }}"), "&#123;&#123; x }}");
    }
}

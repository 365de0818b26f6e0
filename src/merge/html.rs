//! Escaping for every piece of result- or user-derived text that reaches HTML.

/// Escape text for element content and quoted attribute values. Line breaks become
/// `&#10;` so that every fragment stays on one line (the page's line numbers depend on it);
/// inside `<pre>` they still render as line breaks.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
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

//! HTML escaping, one set of helpers for every stage (merge, markdown, render, print, serve).
//!
//! - [`escape`]: `&<>"'` — any text that reaches HTML, element content or a quoted attribute
//!   value. The templates' escape (Tera's own also escapes `/`, which would turn every
//!   relative URL into `..&#x2F;a&#x2F;b.html`), and what pulldown-cmark writes in attributes.
//! - [`escape_text`]: `&<>` only — element content, where quotes may stay as they are (what
//!   pulldown-cmark writes for text; the highlighted code blocks keep the same bytes).
//! - [`script_json`]: JSON text placed inside a `<script>` element or a served script.
//!
//! The merge stage's `esc` (also escaping line breaks and `{`) is a variant built on
//! [`escape`], in `merge/html.rs`.

/// Escape text for element content and quoted attribute values (single or double): `&`,
/// `<`, `>`, `"` and `'` become `&amp;`, `&lt;`, `&gt;`, `&quot;` and `&#39;`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, s);
    out
}

/// Escape text for element content only: `&`, `<` and `>`; quotes are left as they are, so
/// the result must not go into an attribute value.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let _ = pulldown_cmark_escape::escape_html_body_text(&mut out, s);
    out
}

/// JSON text for a script: `<`, `>` and `&` become `\u003c`, `\u003e`, `\u0026` (they only
/// occur inside JSON strings, where the escapes mean the same characters), so no string can
/// close the `<script>` element.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut from = 0;
    // The three are ASCII, so every other byte (of any character) is copied as it is.
    for (i, b) in json.bytes().enumerate() {
        let escape = match b {
            b'<' => "\\u003c",
            b'>' => "\\u003e",
            b'&' => "\\u0026",
            _ => continue,
        };
        out.push_str(&json[from..i]);
        out.push_str(escape);
        from = i + 1;
    }
    out.push_str(&json[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom's & co</a> é"#),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; co&lt;/a&gt; é"
        );
        assert_eq!(escape("../a/b.html"), "../a/b.html");
    }

    #[test]
    fn text_keeps_quotes() {
        assert_eq!(escape_text(r#"a < "b" & 'c'"#), r#"a &lt; "b" &amp; 'c'"#);
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        assert_eq!(
            script_json(r#"{"t":"</script>&"}"#),
            r#"{"t":"\u003c/script\u003e\u0026"}"#
        );
        assert_eq!(script_json("\"é<\""), "\"é\\u003c\"");
    }
}

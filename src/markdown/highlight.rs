//! Build-time syntax highlighting of fenced code with syntect, as CSS classes.
//!
//! Code is marked up with classes prefixed `hl-` ([`CLASS_PREFIX`]), never inline colours,
//! so one stylesheet ([`stylesheet`]) can colour it for both light and dark modes. The theme
//! includes that stylesheet (the render stage writes it out, e.g. as `static/highlight.css`).
//!
//! Markup of a highlighted block:
//! ```html
//! <div class="code-block" data-lang="rust">
//!   <div class="code-lang">Rust</div>
//!   <pre class="hl-code"><code class="language-rust">…<span class="hl-keyword">fn</span>…</code></pre>
//! </div>
//! ```
//! Without a language there is no label; an unknown language is shown plain with its name.

use crate::html::{escape, escape_text};
use crate::incremental::{self, Highlighted};
use std::sync::{Arc, Mutex, OnceLock};
use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Prefix of every class the highlighter emits.
pub const CLASS_PREFIX: &str = "hl-";
const STYLE: ClassStyle = ClassStyle::SpacedPrefixed {
    prefix: CLASS_PREFIX,
};
/// syntect theme used for light mode.
pub const LIGHT_THEME: &str = "InspiredGitHub";
/// syntect theme used for dark mode.
pub const DARK_THEME: &str = "base16-ocean.dark";

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Common names that syntect's default set does not know by token.
fn alias(lang: &str) -> &str {
    match lang {
        "shell" | "console" | "zsh" => "bash",
        "py3" | "python3" => "py",
        "yml" => "yaml",
        "jsonc" => "json",
        "c++" => "cpp",
        _ => lang,
    }
}

/// The label shown over a block: syntect's name for the syntax, except where that name
/// says more than the author wrote (syntect highlights `sh`, `shell`, `zsh` and `console`
/// with its Bash syntax, named "Bourne Again Shell (bash)").
fn label<'a>(lang: &'a str, syntax: Option<&'a str>) -> &'a str {
    match lang.to_ascii_lowercase().as_str() {
        "sh" | "shell" => "Shell",
        "bash" => "Bash",
        "zsh" => "Zsh",
        "console" => "Console",
        _ => syntax.unwrap_or(lang),
    }
}

/// Highlight `code` written in `lang` (the first word of the fence's info string, if any),
/// through `cache` when given (`serve` keeps one in its memo, src/incremental.rs: most blocks
/// are the same from one rebuild to the next; a one-shot build would only pay for storing
/// them).
pub(crate) fn highlight_with(
    lang: Option<&str>,
    code: &str,
    cache: Option<&Mutex<Highlighted>>,
) -> String {
    let Some(cache) = cache else {
        return highlight(lang, code);
    };
    let key = (lang.unwrap_or("").to_string(), code.to_string());
    if let Some(html) = incremental::lock(cache).get(&key) {
        return html.to_string();
    }
    let html = highlight(lang, code);
    incremental::lock(cache).insert(key, Arc::from(html.as_str()));
    html
}

/// Highlight `code` written in `lang`.
pub fn highlight(lang: Option<&str>, code: &str) -> String {
    let lang = lang.map(str::trim).filter(|l| !l.is_empty());
    let set = syntaxes();
    let syntax = lang.and_then(|l| {
        let l = l.to_ascii_lowercase();
        set.find_syntax_by_token(alias(&l))
    });
    let body = match syntax {
        Some(syntax) => {
            let mut gen = ClassedHTMLGenerator::new_with_class_style(syntax, set, STYLE);
            let mut ok = true;
            for line in LinesWithEndings::from(code) {
                if gen
                    .parse_html_for_line_which_includes_newline(line)
                    .is_err()
                {
                    ok = false;
                    break;
                }
            }
            if ok {
                gen.finalize()
            } else {
                escape_text(code)
            }
        }
        None => escape_text(code),
    };
    let mut html = String::with_capacity(body.len() + 160);
    match lang {
        Some(l) => {
            let label = label(l, syntax.map(|s| s.name.as_str()));
            let l = escape(l);
            html.push_str(&format!(
                "<div class=\"code-block\" data-lang=\"{l}\"><div class=\"code-lang\">{}</div><pre class=\"{CLASS_PREFIX}code\"><code class=\"language-{l}\">",
                escape_text(label)
            ));
        }
        None => html.push_str(&format!(
            "<div class=\"code-block\"><pre class=\"{CLASS_PREFIX}code\"><code>"
        )),
    }
    html.push_str(&body);
    html.push_str("</code></pre></div>\n");
    html
}

/// Prefix every selector of a syntect stylesheet with `scope` (`:root[data-theme="dark"]`).
fn scoped(css: &str, scope: &str) -> String {
    let mut out = String::with_capacity(css.len() * 2);
    for line in css.lines() {
        let t = line.trim_end();
        if let Some(selectors) = t.strip_suffix('{') {
            let sel: Vec<String> = selectors
                .split(',')
                .map(|s| format!("{scope} {}", s.trim()))
                .collect();
            out.push_str(&sel.join(", "));
            out.push_str(" {\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The highlighting stylesheet: light colours by default, dark colours when the page is
/// `<html data-theme="dark">`, or when the system prefers dark and no `data-theme="light"`
/// overrides it (the default theme's toggle sets `data-theme`).
pub fn stylesheet() -> String {
    let themes = ThemeSet::load_defaults();
    let css = |name: &str| {
        themes
            .themes
            .get(name)
            .and_then(|t| css_for_theme_with_class_style(t, STYLE).ok())
            .unwrap_or_default()
    };
    let light = css(LIGHT_THEME);
    let dark = css(DARK_THEME);
    let mut out =
        String::from("/* Syntax highlighting (generated by benchbook from syntect themes). */\n");
    out.push_str(&light);
    out.push_str("\n/* Dark mode: chosen with the toggle */\n");
    out.push_str(&scoped(&dark, ":root[data-theme=\"dark\"]"));
    out.push_str("\n/* Dark mode: system setting, unless light was chosen */\n@media (prefers-color-scheme: dark) {\n");
    out.push_str(&scoped(&dark, ":root:not([data-theme=\"light\"])"));
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_is_highlighted_with_classes() {
        let html = highlight(Some("rust"), "fn main() { let x = \"<b>\"; }\n");
        assert!(
            html.contains("<div class=\"code-lang\">Rust</div>"),
            "{html}"
        );
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
        assert!(!html.contains("style="), "{html}");
    }

    #[test]
    fn shell_blocks_are_labelled_as_written_not_bourne_again_shell() {
        for (lang, shown) in [
            ("sh", "Shell"),
            ("shell", "Shell"),
            ("bash", "Bash"),
            ("zsh", "Zsh"),
            ("console", "Console"),
        ] {
            let html = highlight(Some(lang), "echo hi\n");
            assert!(
                html.contains(&format!("<div class=\"code-lang\">{shown}</div>")),
                "{lang}: {html}"
            );
            assert!(!html.contains("Bourne"), "{lang}: {html}");
            // Still highlighted as shell.
            assert!(html.contains("class=\"hl-"), "{lang}: {html}");
        }
    }

    #[test]
    fn unknown_and_missing_languages_are_plain() {
        let html = highlight(Some("nosuchlang"), "a < b\n");
        assert!(html.contains("<div class=\"code-lang\">nosuchlang</div>"));
        assert!(html.contains("a &lt; b"));
        let html = highlight(None, "x\n");
        assert!(!html.contains("code-lang"));
    }

    #[test]
    fn cached_blocks_are_the_same_and_dropped_when_unused() {
        let cache = Mutex::new(Highlighted::default());
        let code = "let cached_block_test = 1;\n";
        let a = highlight_with(Some("rust"), code, Some(&cache));
        assert_eq!(highlight_with(Some("rust"), code, Some(&cache)), a);
        assert_eq!(highlight(Some("rust"), code), a);
        let key = ("rust".to_string(), code.to_string());
        assert!(incremental::lock(&cache).contains(&key));
        incremental::lock(&cache).next_generation();
        incremental::lock(&cache).next_generation();
        assert!(!incremental::lock(&cache).contains(&key));
    }

    #[test]
    fn stylesheet_has_both_modes() {
        let css = stylesheet();
        assert!(css.contains(".hl-code"));
        assert!(css.contains(":root[data-theme=\"dark\"] .hl-code"));
        assert!(css.contains("@media (prefers-color-scheme: dark)"));
    }
}

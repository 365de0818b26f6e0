//! The offline search index, built at build time and loaded by `static/search.js` as a plain
//! `<script>` (never `fetch`), so search works from file:// and under any sub-path.
//!
//! # Format
//! `search-index.js` assigns `window.BENCHBOOK_SEARCH = {...}` (JSON with `<`, `>`, `&`
//! written as `\u003c` etc., so no text can close a script element):
//!
//! - `words`: the vocabulary: every distinct word and every distinct run of punctuation
//!   (whitespace collapsed) of the indexed text, most frequent first.
//! - `terms`: the distinct search keys of the words (folded: NFKD, combining marks dropped,
//!   lower case), sorted by UTF-16 code units so that JS can binary-search prefixes.
//! - `wt`: for each word, `1 + ` its term index, or 0 for punctuation.
//! - `stems` / `ts` (English sites only): the distinct Porter2 stems, sorted, and each term's
//!   stem index. `search.js` stems the query with its own Porter2 port (tested against
//!   `rust-stemmers` in `tests/search_stemmer.rs`).
//! - `pages`: `[title, url]`; `docs`: `[page, anchor, kind, heading, body]`, one per heading
//!   of every page (kind 0), per pitfall not already in a heading's text (kind 1) and per
//!   quiz question (kind 2, read from the quiz markup, since text sections leave quizzes out).
//!
//! Titles, headings and bodies are sequences of word numbers written as variable-length
//! numbers in 89 safe ASCII characters (50 final digits, 39 leading digits: the 50 most
//! frequent words and punctuation runs take one character, the next 1,900 two). A single
//! space between two words is implied. The text is therefore stored once, about three times
//! smaller than itself, and it is both what is searched (a scan of the word numbers, about
//! as fast as an inverted index at this size) and what the snippets are cut from.
//!
//! # Why not elasticlunr-rs
//! Zola and mdBook use elasticlunr, whose index stores every term's postings with
//! frequencies per document, and mdBook adds a copy of every document's text for snippets.
//! Measured on the same text sections (`examples/search_measure.rs`, Nov 2026):
//!
//! | 10,000-page site | HTML | elasticlunr-rs index (no stored text) | this index |
//! |---|---|---|---|
//! | `gen_site` (templated lessons) | 312 MB | 33.9 MB (10.9 %) | 5.2 MB (1.7 %) |
//! | `search_measure prose` (Zipf prose) | 202 MB | 131 MB (65 %) | 16.3 MB (8.1 %) |
//!
//! The target is 15 % of the HTML, with snippets; elasticlunr misses it on real prose without
//! even storing the text. This format keeps one
//! compressed copy of the text and nothing else.

use crate::model::{OutputFile, Page, Site};
use crate::render::links::url_path;
use rayon::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Output path of the index, at the site root (`<root>search-index.js` from any page).
pub const INDEX_FILE: &str = "search-index.js";

/// Characters of the variable-length numbers: printable ASCII without `"`, `\`, `<`, `>`,
/// `&` (nothing that JSON or the script escaping would lengthen).
const DIGITS: &[u8] =
    b"!#$%'()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";
/// The first `FINAL` digits end a number; the others are its leading digits.
const FINAL: usize = 50;
const LEADING: usize = DIGITS.len() - FINAL;

/// Kind of a search entry: the text under a heading, or a pitfall callout.
const KIND_SECTION: u8 = 0;
const KIND_PITFALL: u8 = 1;
const KIND_QUIZ: u8 = 2;

/// The search key of a word: NFKD, combining marks dropped, lower case, only letters and
/// digits kept. `search.js` folds queries the same way.
pub fn fold(word: &str) -> String {
    word.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Whether `c` belongs to a word (letters, digits, and the marks that decorate them).
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric() || is_combining_mark(c)
    }
}

/// Whether words of this language are stemmed (English only, Porter2).
pub fn stems_language(language: &str) -> bool {
    language.to_ascii_lowercase().starts_with("en")
}

/// Calls `emit(token, in_text, is_word)` for each word and each punctuation run of `text`,
/// with whitespace collapsed to one space and the single space between two words left
/// out. `in_text` is the token as a slice of `text` when it is one (no whitespace had to
/// be collapsed); otherwise `token` lives only during the call.
fn for_each_token<'a>(text: &'a str, mut emit: impl FnMut(&str, Option<&'a str>, bool)) {
    let text = text.trim();
    let mut sep = String::new();
    let mut flush = |run: &'a str, word: bool| {
        if word {
            emit(run, Some(run), true);
            return;
        }
        // The text is trimmed, so a run of whitespace only lies between two words.
        if run == " " {
            return;
        }
        if !run.contains(|c: char| c.is_whitespace()) {
            emit(run, Some(run), false);
            return;
        }
        sep.clear();
        let mut space = false;
        for c in run.chars() {
            if c.is_whitespace() {
                space = true;
            } else {
                if space {
                    sep.push(' ');
                    space = false;
                }
                sep.push(c);
            }
        }
        if space {
            sep.push(' ');
        }
        if sep == run {
            emit(run, Some(run), false);
        } else if sep != " " {
            emit(&sep, None, false);
        }
    };
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut in_word: Option<bool> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (w, len) = if b.is_ascii() {
            (b.is_ascii_alphanumeric(), 1)
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            (is_word_char(c), c.len_utf8())
        };
        match in_word {
            Some(prev) if prev == w => {}
            Some(prev) => {
                flush(&text[start..i], prev);
                start = i;
                in_word = Some(w);
            }
            None => in_word = Some(w),
        }
        i += len;
    }
    if let Some(prev) = in_word {
        flush(&text[start..], prev);
    }
}

/// The tokens of a slice of texts, numbered in order of first appearance.
struct Chunk<'a> {
    /// Each distinct token and whether it is a word.
    tokens: Vec<(Cow<'a, str>, bool)>,
    counts: Vec<u64>,
    /// Token numbers of all the texts, one after the other.
    stream: Vec<u32>,
    /// End of each text in `stream`.
    ends: Vec<usize>,
}

fn tokenize_chunk<'a>(texts: &[&'a str]) -> Chunk<'a> {
    let mut ids: FxHashMap<Cow<'a, str>, u32> = FxHashMap::default();
    let mut chunk = Chunk {
        tokens: Vec::new(),
        counts: Vec::new(),
        stream: Vec::new(),
        ends: Vec::with_capacity(texts.len()),
    };
    for t in texts {
        for_each_token(t, |tok, in_text, word| {
            let id = match ids.get(tok) {
                Some(&id) => id,
                None => {
                    let id = chunk.tokens.len() as u32;
                    let tok: Cow<'a, str> = match in_text {
                        Some(slice) => Cow::Borrowed(slice),
                        None => Cow::Owned(tok.to_string()),
                    };
                    chunk.tokens.push((tok.clone(), word));
                    chunk.counts.push(0);
                    ids.insert(tok, id);
                    id
                }
            };
            chunk.counts[id as usize] += 1;
            chunk.stream.push(id);
        });
        chunk.ends.push(chunk.stream.len());
    }
    chunk
}

/// Appends `n` as a variable-length number (leading digits, then one final digit).
fn push_number(out: &mut String, n: usize) {
    let mut q = n / FINAL;
    let r = n % FINAL;
    let mut lead = [0u8; 8];
    let mut len = 0;
    while q > 0 {
        lead[len] = DIGITS[FINAL + q % LEADING];
        q /= LEADING;
        len += 1;
    }
    for &b in lead[..len].iter().rev() {
        out.push(b as char);
    }
    out.push(DIGITS[r] as char);
}

/// Reads the numbers written by [`push_number`] (the Rust twin of `search.js`'s decoder).
pub fn decode_numbers(s: &str) -> Vec<usize> {
    let mut pos = [usize::MAX; 128];
    for (i, &b) in DIGITS.iter().enumerate() {
        pos[b as usize] = i;
    }
    let mut out = Vec::new();
    let mut acc = 0usize;
    for b in s.bytes() {
        let d = pos.get(b as usize).copied().unwrap_or(usize::MAX);
        if d == usize::MAX {
            continue;
        }
        if d < FINAL {
            out.push(acc * FINAL + d);
            acc = 0;
        } else {
            acc = acc * LEADING + (d - FINAL);
        }
    }
    out
}

/// One searchable piece of text before encoding.
struct Doc<'a> {
    page: usize,
    anchor: Cow<'a, str>,
    kind: u8,
    heading: &'a str,
    body: Cow<'a, str>,
}

#[derive(Serialize)]
struct IndexJson {
    /// Format version, checked by `search.js`.
    v: u32,
    lang: String,
    words: Vec<String>,
    terms: Vec<String>,
    wt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stems: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<String>,
    pages: Vec<(String, String)>,
    docs: Vec<(usize, String, u8, String, String)>,
}

/// The pages the index covers, in reading order: every page and section whose markdown
/// was rendered and whose front matter does not say `search: false`.
fn searchable_pages(site: &Site) -> Vec<&Page> {
    crate::print::reading_order(site)
        .into_iter()
        .filter(|p| p.front.search && p.rendered.is_some())
        .collect()
}

/// Builds `search-index.js` for the whole site.
pub fn build_index(site: &Site) -> OutputFile {
    let pages = searchable_pages(site);
    let stem = stems_language(&site.config.language);

    // Quiz questions are not in the text sections: read them from the page HTML.
    let quizzes: Vec<Vec<(String, String)>> = pages
        .par_iter()
        .map(|p| match &p.rendered {
            Some(r) if r.quiz_count > 0 => quiz_questions(&r.html),
            _ => Vec::new(),
        })
        .collect();

    let mut docs: Vec<Doc> = Vec::new();
    for (pi, page) in pages.iter().enumerate() {
        let Some(r) = &page.rendered else { continue };
        let first = docs.len();
        for s in &r.sections {
            docs.push(Doc {
                page: pi,
                anchor: Cow::Borrowed(s.id.as_deref().unwrap_or("")),
                kind: KIND_SECTION,
                heading: if s.id.is_some() { &s.heading } else { "" },
                body: Cow::Borrowed(&s.text),
            });
        }
        // Every page gets an entry for its top (title matches land there).
        if docs[first..].iter().all(|d| !d.anchor.is_empty()) {
            docs.insert(
                first,
                Doc {
                    page: pi,
                    anchor: Cow::Borrowed(""),
                    kind: KIND_SECTION,
                    heading: "",
                    body: Cow::Borrowed(""),
                },
            );
        }
        for p in &r.pitfalls {
            let text = p.text.trim();
            if text.is_empty() || r.sections.iter().any(|s| s.text.contains(text)) {
                continue;
            }
            docs.push(Doc {
                page: pi,
                anchor: Cow::Borrowed(&p.id),
                kind: KIND_PITFALL,
                heading: p.heading.as_deref().unwrap_or(""),
                body: Cow::Borrowed(text),
            });
        }
        for (id, question) in &quizzes[pi] {
            docs.push(Doc {
                page: pi,
                anchor: Cow::Owned(id.clone()),
                kind: KIND_QUIZ,
                heading: "",
                body: Cow::Owned(question.clone()),
            });
        }
    }

    // Every text that is encoded: titles, then headings and bodies.
    let mut texts: Vec<&str> = pages.iter().map(|p| p.front.title.as_str()).collect();
    for d in &docs {
        texts.push(d.heading);
        texts.push(&d.body);
    }

    // Every text tokenized once, in parallel chunks, each numbering its own tokens.
    // A few chunks per thread: fewer chunks, fewer vocabularies to merge.
    let chunk_len = (texts.len() / (rayon::current_num_threads() * 4)).max(256);
    let chunks: Vec<Chunk> = texts.par_chunks(chunk_len).map(tokenize_chunk).collect();
    // One vocabulary: each chunk's numbers mapped to global ones, counts added up.
    let mut global: FxHashMap<&str, u32> = FxHashMap::default();
    let mut vocab: Vec<(&str, u64, bool)> = Vec::new();
    let local_to_global: Vec<Vec<u32>> = chunks
        .iter()
        .map(|c| {
            c.tokens
                .iter()
                .zip(&c.counts)
                .map(|((tok, word), &n)| {
                    let id = *global.entry(tok.as_ref()).or_insert_with(|| {
                        vocab.push((tok.as_ref(), 0, *word));
                        (vocab.len() - 1) as u32
                    });
                    vocab[id as usize].1 += n;
                    id
                })
                .collect()
        })
        .collect();
    // Most frequent first (shortest numbers), ties by text for a deterministic index.
    let mut order: Vec<u32> = (0..vocab.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (&vocab[a as usize], &vocab[b as usize]);
        b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0))
    });
    let mut rank = vec![0u32; vocab.len()];
    for (r, &g) in order.iter().enumerate() {
        rank[g as usize] = r as u32;
    }
    let words: Vec<(&str, bool)> = order
        .iter()
        .map(|&g| (vocab[g as usize].0, vocab[g as usize].2))
        .collect();

    // Search keys and stems.
    let keys: Vec<Option<String>> = words
        .par_iter()
        .map(|(w, is_word)| Some(fold(w)).filter(|k| *is_word && !k.is_empty()))
        .collect();
    let mut terms: Vec<String> = keys.iter().flatten().cloned().collect();
    sort_utf16(&mut terms);
    terms.dedup();
    let term_ids: HashMap<&str, usize> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let mut wt = String::with_capacity(words.len() * 2);
    for k in &keys {
        push_number(&mut wt, k.as_deref().map_or(0, |k| term_ids[k] + 1));
    }
    let (stems, ts) = if stem {
        let stemmer = Stemmer::create(Algorithm::English);
        let term_stems: Vec<String> = terms.iter().map(|t| stemmer.stem(t).into_owned()).collect();
        let mut stems = term_stems.clone();
        sort_utf16(&mut stems);
        stems.dedup();
        let stem_ids: HashMap<&str, usize> = stems
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let mut ts = String::with_capacity(terms.len() * 2);
        for s in &term_stems {
            push_number(&mut ts, stem_ids[s.as_str()]);
        }
        (Some(stems), Some(ts))
    } else {
        (None, None)
    };

    // Every text written with the final numbers, in parallel.
    let rank = &rank;
    let encoded: Vec<String> = chunks
        .par_iter()
        .zip(&local_to_global)
        .flat_map_iter(|(c, to_global)| {
            let mut start = 0;
            c.ends.iter().map(move |&end| {
                let mut s = String::with_capacity((end - start) * 2);
                for &tok in &c.stream[start..end] {
                    push_number(&mut s, rank[to_global[tok as usize] as usize] as usize);
                }
                start = end;
                s
            })
        })
        .collect();
    let mut encoded = encoded.into_iter();
    let pages_json: Vec<(String, String)> = pages
        .iter()
        .map(|p| (encoded.next().unwrap_or_default(), url_path(&p.output)))
        .collect();
    let docs_json = docs
        .iter()
        .map(|d| {
            let heading = encoded.next().unwrap_or_default();
            let body = encoded.next().unwrap_or_default();
            (d.page, d.anchor.to_string(), d.kind, heading, body)
        })
        .collect();

    let index = IndexJson {
        v: 1,
        lang: site.config.language.clone(),
        words: words.iter().map(|w| w.0.to_string()).collect(),
        terms,
        wt,
        stems,
        ts,
        pages: pages_json,
        docs: docs_json,
    };
    let json = serde_json::to_string(&index).unwrap_or_default();
    let mut js = String::with_capacity(json.len() + 64);
    js.push_str("window.BENCHBOOK_SEARCH=");
    js.push_str(&escape_script_json(&json));
    js.push_str(";\n");
    OutputFile::Bytes {
        path: PathBuf::from(INDEX_FILE),
        bytes: js.into_bytes().into(),
    }
}

/// The id and plain text of each quiz question in a page's HTML (the markup of
/// `markdown::quiz`: an element of class `quiz` with an id, holding `.quiz-question` and,
/// for a long question, `.quiz-question-body`, before its choices or its answer). Only the
/// stretch from each quiz's start to its choices is parsed, so pages cost little.
fn quiz_questions(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(found) = html[pos..].find("class=\"quiz") {
        let at = pos + found;
        let after = html.as_bytes().get(at + 12).copied();
        pos = at + 12;
        if after != Some(b'"') && after != Some(b' ') {
            continue; // `quiz-choices`, `quiz-question`, …
        }
        let Some(start) = html[..at].rfind('<') else {
            continue;
        };
        let rest = &html[start..];
        let end = ["<ul class=\"quiz-choices\"", "<details"]
            .iter()
            .filter_map(|m| rest.find(m))
            .min()
            .unwrap_or(rest.len());
        out.extend(quiz_fragment(&rest[..end]));
        pos = start + end.max(1);
    }
    out
}

/// The quizzes' ids and question texts in a fragment of HTML.
fn quiz_fragment(html: &str) -> Vec<(String, String)> {
    let found: RefCell<Vec<(String, String)>> = RefCell::new(Vec::new());
    let settings = lol_html::RewriteStrSettings {
        element_content_handlers: vec![
            lol_html::element!(".quiz[id]", |el| {
                let id = el.get_attribute("id").unwrap_or_default();
                found.borrow_mut().push((id, String::new()));
                Ok(())
            }),
            lol_html::text!(".quiz .quiz-question, .quiz .quiz-question-body", |t| {
                if let Some(last) = found.borrow_mut().last_mut() {
                    last.1.push_str(&decode_entities(t.as_str()));
                    if t.last_in_text_node() {
                        last.1.push(' ');
                    }
                }
                Ok(())
            }),
        ],
        ..lol_html::RewriteStrSettings::new()
    };
    // Errors only come from handlers (ours return none) or memory limits: index nothing.
    if lol_html::rewrite_str(html, settings).is_err() {
        return Vec::new();
    }
    found
        .into_inner()
        .into_iter()
        .map(|(id, text)| (id, text.split_whitespace().collect::<Vec<_>>().join(" ")))
        .filter(|(_, text)| !text.is_empty())
        .collect()
}

/// Decodes the character references of HTML text (`&amp;`, `&#39;`, `&#x2014;`, …).
fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[..rest.len().min(12)].find(';');
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let n = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(n)
                }
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Sorts strings by UTF-16 code units, the order of JavaScript's `<` on strings.
fn sort_utf16(v: &mut [String]) {
    v.sort_unstable_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
}

/// JSON inside a script: `<`, `>` and `&` become `\u003c`, `\u003e`, `\u0026` (they only
/// occur inside JSON strings, where the escapes mean the same characters).
pub fn escape_script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<(String, bool)> {
        let mut v = Vec::new();
        for_each_token(text, |t, _, w| v.push((t.to_string(), w)));
        v
    }

    #[test]
    fn tokens_keep_punctuation_and_drop_single_spaces() {
        assert_eq!(
            tokens("  Hello,  world (café)\n"),
            vec![
                ("Hello".into(), true),
                (", ".into(), false),
                ("world".into(), true),
                (" (".into(), false),
                ("café".into(), true),
                (")".into(), false),
            ]
        );
    }

    #[test]
    fn numbers_round_trip() {
        let ns: Vec<usize> = (0..5000)
            .chain([49, 50, 1949, 1950, 99_999, 3_000_000])
            .collect();
        let mut s = String::new();
        for &n in &ns {
            push_number(&mut s, n);
        }
        assert_eq!(decode_numbers(&s), ns);
        assert_eq!(
            s[..FINAL].len(),
            FINAL,
            "the first 50 numbers take one character"
        );
        assert!(!s.contains(['"', '\\', '<', '>', '&']));
    }

    #[test]
    fn folding_drops_case_and_accents() {
        assert_eq!(fold("Ÿ-Café"), "ycafe");
        assert_eq!(fold("NAÏVE"), "naive");
        assert_eq!(fold("ﬁle"), "file");
    }

    #[test]
    fn quiz_questions_are_read_from_the_markup() {
        let html = r#"<p>x</p><form class="quiz" data-quiz id="warmup"><fieldset><legend class="quiz-question">Why <em>discard</em> &amp; drop?</legend><ul><li>No</li></ul></fieldset></form>
<div class="quiz quiz-open" id="quiz-2"><div class="quiz-question">Open &#x2014; one</div><details>answer</details></div>"#;
        assert_eq!(
            quiz_questions(html),
            vec![
                ("warmup".to_string(), "Why discard & drop?".to_string()),
                ("quiz-2".to_string(), "Open \u{2014} one".to_string()),
            ]
        );
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        assert_eq!(
            escape_script_json(r#"{"t":"</script>&"}"#),
            r#"{"t":"\u003c/script\u003e\u0026"}"#
        );
    }
}

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
//!   `rust-stemmers` in `tests/suite/search_stemmer.rs`).
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
//!
//! # Build time
//! The target is under 20 % of the build (load, markdown, render, write). On 2 cores
//! (`search_measure measure`, Nov 2026, medians of 5), the prose site's index takes about
//! 290 ms, 13 % of that build (it was 540 ms, 23 %, before the compact token table and
//! the parallel stages below); `gen_site`'s about 130 ms, 3 %. The output does not depend on
//! the number of threads (tested).

use crate::html::script_json;
use crate::model::{OutputFile, Page, Site};
use crate::render::links::url_path;
use hashbrown::HashTable;
use rayon::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::hash::BuildHasher;
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
    if word.is_ascii() {
        return word
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase() as char)
            .collect();
    }
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

/// Each byte's class for [`for_each_token`]: 1 for an ASCII letter or digit, 0 for other
/// ASCII, 2 for the bytes of other characters.
const BYTE_CLASS: [u8; 256] = {
    let mut t = [2u8; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = (b as u8).is_ascii_alphanumeric() as u8;
        b += 1;
    }
    t
};

/// Calls `emit(token, is_word)` for each word and each punctuation run of `text`, with
/// whitespace collapsed to one space and the single space between two words left out.
fn for_each_token(text: &str, mut emit: impl FnMut(&str, bool)) {
    let text = text.trim();
    let bytes = text.as_bytes();
    // Where the run of words (`word`) or of other characters starting at `i` ends.
    let run_end = |mut i: usize, word: bool| {
        let want = u8::from(word);
        loop {
            // ASCII bytes by table, in a tight loop; other characters one by one.
            while i < bytes.len() && BYTE_CLASS[bytes[i] as usize] == want {
                i += 1;
            }
            if i == bytes.len() || bytes[i].is_ascii() {
                return i;
            }
            let c = text[i..].chars().next().unwrap_or(' ');
            if is_word_char(c) != word {
                return i;
            }
            i += c.len_utf8();
        }
    };
    let mut sep = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        i = run_end(i, true);
        if i > start {
            emit(&text[start..i], true);
            // The commonest separator, one space before another word, is left out here
            // without the general path below.
            if bytes.get(i) == Some(&b' ')
                && bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric)
            {
                i += 1;
            }
            continue;
        }
        i = run_end(i, false);
        let run = &text[start..i];
        // The text is trimmed, so a run of whitespace only lies between two words.
        if run == " " {
            continue;
        }
        if !run.contains(|c: char| c.is_whitespace()) {
            emit(run, false);
            continue;
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
        if sep != " " {
            emit(&sep, false);
        }
    }
}

/// The tokens of a slice of texts, numbered in order of first appearance.
struct Chunk {
    /// The distinct tokens, one after the other.
    text: String,
    /// Where each distinct token is in `text`, and whether it is a word.
    tokens: Vec<TokenAt>,
    counts: Vec<u64>,
    /// Token numbers of all the texts, one after the other.
    stream: Vec<u32>,
    /// End of each text in `stream`.
    ends: Vec<usize>,
}

#[derive(Clone, Copy)]
struct TokenAt {
    start: u32,
    len: u32,
    word: bool,
}

impl Chunk {
    fn token(&self, id: usize) -> &str {
        let t = self.tokens[id];
        &self.text[t.start as usize..(t.start + t.len) as usize]
    }
}

/// An entry of [`tokenize_chunk`]'s table: a token's number and count, with what is needed
/// to compare it (its first 16 bytes, where the rest is) in the entry itself.
struct Entry {
    head: [u64; 2],
    start: u32,
    len: u32,
    id: u32,
    count: u32,
}

/// The first 16 bytes of `s`, zero-padded.
fn head(s: &[u8]) -> [u64; 2] {
    let mut h = [0u64; 2];
    for (i, &b) in s.iter().take(16).enumerate() {
        h[i / 8] |= u64::from(b) << (8 * (i % 8));
    }
    h
}

/// Tokenizes `texts`. The distinct tokens are copied into one string and found through a
/// table whose entries hold each token's first bytes and count: a lookup touches the table
/// and, for tokens longer than 16 bytes, that compact string. (A map keyed by slices of the
/// pages' text, scattered over tens of megabytes, cost several cache misses per token and
/// was most of the time of the index.)
fn tokenize_chunk(texts: &[&str]) -> Chunk {
    let hasher = rustc_hash::FxBuildHasher;
    let mut table: HashTable<Entry> = HashTable::with_capacity(4096);
    let mut text = String::new();
    let mut tokens: Vec<TokenAt> = Vec::new();
    let mut stream = Vec::with_capacity(texts.iter().map(|t| t.len() / 5).sum());
    let mut ends = Vec::with_capacity(texts.len());
    for t in texts {
        for_each_token(t, |tok, word| {
            let bytes = tok.as_bytes();
            let hash = hasher.hash_one(bytes);
            let (h, len) = (head(bytes), bytes.len() as u32);
            let found = table.find_mut(hash, |e| {
                e.head == h
                    && e.len == len
                    && (len <= 16
                        || text.as_bytes()[e.start as usize + 16..(e.start + len) as usize]
                            == bytes[16..])
            });
            let id = match found {
                Some(e) => {
                    e.count += 1;
                    e.id
                }
                None => {
                    let id = tokens.len() as u32;
                    let start = text.len() as u32;
                    text.push_str(tok);
                    tokens.push(TokenAt { start, len, word });
                    let entry = Entry {
                        head: h,
                        start,
                        len,
                        id,
                        count: 1,
                    };
                    table.insert_unique(hash, entry, |e| {
                        hasher.hash_one(
                            &text.as_bytes()[e.start as usize..(e.start + e.len) as usize],
                        )
                    });
                    id
                }
            };
            stream.push(id);
        });
        ends.push(stream.len());
    }
    let mut counts = vec![0u64; tokens.len()];
    for e in table {
        counts[e.id as usize] = u64::from(e.count);
    }
    Chunk {
        text,
        tokens,
        counts,
        stream,
        ends,
    }
}

/// `n` as a variable-length number: its digits and how many there are.
fn number_code(n: usize) -> ([u8; 8], u8) {
    let mut s = String::new();
    push_number(&mut s, n);
    let mut code = [0u8; 8];
    code[..s.len()].copy_from_slice(s.as_bytes());
    (code, s.len() as u8)
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

/// The index's JSON object (what [`index_json`] writes, faster, in parallel).
#[cfg_attr(not(test), allow(dead_code))]
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

/// The entries of one page: one per heading (and one for its top, where title matches
/// land), one per pitfall not already in a heading's text, one per quiz question.
fn page_docs<'a>(pi: usize, page: &'a Page, quizzes: Vec<(String, String)>) -> Vec<Doc<'a>> {
    let Some(r) = &page.rendered else {
        return Vec::new();
    };
    let mut docs = Vec::with_capacity(r.sections.len() + r.pitfalls.len() + quizzes.len() + 1);
    if r.sections
        .iter()
        .all(|s| s.id.as_deref().is_some_and(|id| !id.is_empty()))
    {
        docs.push(Doc {
            page: pi,
            anchor: Cow::Borrowed(""),
            kind: KIND_SECTION,
            heading: "",
            body: Cow::Borrowed(""),
        });
    }
    for s in &r.sections {
        docs.push(Doc {
            page: pi,
            anchor: Cow::Borrowed(s.id.as_deref().unwrap_or("")),
            kind: KIND_SECTION,
            heading: if s.id.is_some() { &s.heading } else { "" },
            body: Cow::Borrowed(&s.text),
        });
    }
    for p in &r.pitfalls {
        let text = p.text.trim();
        let finder = memchr::memmem::Finder::new(text);
        if text.is_empty()
            || r.sections
                .iter()
                .any(|s| finder.find(s.text.as_bytes()).is_some())
        {
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
    for (id, question) in quizzes {
        docs.push(Doc {
            page: pi,
            anchor: Cow::Owned(id),
            kind: KIND_QUIZ,
            heading: "",
            body: Cow::Owned(question),
        });
    }
    docs
}

/// Builds `search-index.js` for the whole site.
///
/// Every stage that touches the text runs on all cores (rayon); whatever depends on order
/// (numbering, ties) is decided on merged, sorted data, so the bytes do not depend on the
/// number of threads or their timing (tested in `tests/suite/search.rs`).
pub fn build_index(site: &Site) -> OutputFile {
    let pages = searchable_pages(site);
    let stem = stems_language(&site.config.language);

    // Each page's entries. Quiz questions are not in the text sections: they are read
    // from the page HTML.
    let docs: Vec<Doc> = pages
        .par_iter()
        .enumerate()
        .map(|(pi, p)| {
            let quizzes = match &p.rendered {
                Some(r) if r.quiz_count > 0 => quiz_questions(&r.html),
                _ => Vec::new(),
            };
            page_docs(pi, p, quizzes)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();

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
            (0..c.tokens.len())
                .map(|local| {
                    let tok = c.token(local);
                    let id = *global.entry(tok).or_insert_with(|| {
                        vocab.push((tok, 0, c.tokens[local].word));
                        (vocab.len() - 1) as u32
                    });
                    vocab[id as usize].1 += c.counts[local];
                    id
                })
                .collect()
        })
        .collect();
    drop(global);
    // Most frequent first (shortest numbers), ties by text for a deterministic index.
    let mut order: Vec<u32> = (0..vocab.len() as u32).collect();
    order.par_sort_unstable_by(|&a, &b| {
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

    // The search keys and stems (mostly serial work) while every text is written with the
    // final numbers (in parallel: each chunk first spells the number of each of its tokens
    // once).
    let rank = &rank;
    let ((terms, wt, stems, ts, words_json), encoded) = rayon::join(
        || {
            let keys: Vec<Option<String>> = words
                .par_iter()
                .map(|(w, is_word)| Some(fold(w)).filter(|k| *is_word && !k.is_empty()))
                .collect();
            let mut terms: Vec<String> = keys.iter().flatten().cloned().collect();
            sort_utf16(&mut terms);
            terms.dedup();
            let term_ids: FxHashMap<&str, usize> = terms
                .iter()
                .enumerate()
                .map(|(i, t)| (t.as_str(), i))
                .collect();
            let words_json: Vec<String> = words.iter().map(|w| w.0.to_string()).collect();
            let mut wt = String::with_capacity(words.len() * 2);
            for k in &keys {
                push_number(&mut wt, k.as_deref().map_or(0, |k| term_ids[k] + 1));
            }
            let (stems, ts) = if stem {
                let term_stems: Vec<String> = terms
                    .par_iter()
                    .map_init(
                        || Stemmer::create(Algorithm::English),
                        |stemmer, t| stemmer.stem(t).into_owned(),
                    )
                    .collect();
                let mut stems = term_stems.clone();
                sort_utf16(&mut stems);
                stems.dedup();
                let stem_ids: FxHashMap<&str, usize> = stems
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
            (terms, wt, stems, ts, words_json)
        },
        || -> Vec<String> {
            chunks
                .par_iter()
                .zip(&local_to_global)
                .flat_map_iter(|(c, to_global)| {
                    let codes: Vec<([u8; 8], u8)> = to_global
                        .iter()
                        .map(|&g| number_code(rank[g as usize] as usize))
                        .collect();
                    let mut start = 0;
                    c.ends.iter().map(move |&end| {
                        let mut s = Vec::with_capacity((end - start) * 2);
                        for &tok in &c.stream[start..end] {
                            let (code, len) = &codes[tok as usize];
                            // One or two digits for most: a call to copy them costs more.
                            for &b in &code[..*len as usize] {
                                s.push(b);
                            }
                        }
                        start = end;
                        // The digits are ASCII.
                        String::from_utf8(s).unwrap_or_default()
                    })
                })
                .collect()
        },
    );
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
        words: words_json,
        terms,
        wt,
        stems,
        ts,
        pages: pages_json,
        docs: docs_json,
    };
    let mut js = String::from("window.BENCHBOOK_SEARCH=");
    index_json(&mut js, &index);
    js.push_str(";\n");
    OutputFile::Bytes {
        path: PathBuf::from(INDEX_FILE),
        bytes: js.into_bytes().into(),
    }
}

/// Bytes that a JSON string inside a script holds as they are: printable ASCII but `"`,
/// `\`, `<`, `>` and `&`.
const JSON_SAFE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = b' ';
    while b <= b'~' {
        t[b as usize] = !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&');
        b += 1;
    }
    t
};

/// `serde_json::to_string(index)` escaped by [`script_json`], the same bytes, written
/// faster: in parallel pieces, and strings that need no escaping (all the encoded texts,
/// most words) copied as they are.
fn index_json(out: &mut String, index: &IndexJson) {
    /// Appends `s` as a JSON string, escaped for a script.
    fn string(out: &mut String, s: &str) {
        if s.bytes().all(|b| JSON_SAFE[b as usize]) {
            out.push('"');
            out.push_str(s);
            out.push('"');
        } else {
            out.push_str(&script_json(&serde_json::to_string(s).unwrap_or_default()));
        }
    }
    /// Appends `"key":[...]`, the items written by `item` in parallel pieces.
    fn array<T: Sync>(out: &mut String, key: &str, items: &[T], item: fn(&mut String, &T)) {
        let parts: Vec<String> = items
            .par_chunks(2048)
            .map(|c| {
                let mut s = String::with_capacity(c.len() * 16);
                for (i, x) in c.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    item(&mut s, x);
                }
                s
            })
            .collect();
        out.reserve(parts.iter().map(|p| p.len() + 1).sum::<usize>() + key.len() + 6);
        out.push_str(",\"");
        out.push_str(key);
        out.push_str("\":[");
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(p);
        }
        out.push(']');
    }
    fn field(out: &mut String, key: &str, value: &str) {
        out.push_str(",\"");
        out.push_str(key);
        out.push_str("\":");
        string(out, value);
    }
    out.push_str("{\"v\":");
    out.push_str(&index.v.to_string());
    field(out, "lang", &index.lang);
    array(out, "words", &index.words, |o, w| string(o, w));
    array(out, "terms", &index.terms, |o, t| string(o, t));
    field(out, "wt", &index.wt);
    if let Some(stems) = &index.stems {
        array(out, "stems", stems, |o, t| string(o, t));
    }
    if let Some(ts) = &index.ts {
        field(out, "ts", ts);
    }
    array(out, "pages", &index.pages, |o, (title, url)| {
        o.push('[');
        string(o, title);
        o.push(',');
        string(o, url);
        o.push(']');
    });
    array(
        out,
        "docs",
        &index.docs,
        |o, (page, anchor, kind, heading, body)| {
            let _ = write!(o, "[{page},");
            string(o, anchor);
            let _ = write!(o, ",{kind},");
            string(o, heading);
            o.push(',');
            string(o, body);
            o.push(']');
        },
    );
    out.push('}');
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
    // UTF-8 byte order is code point order, which is UTF-16 order except between
    // characters above U+FFFF and those from U+E000 to U+FFFF: only then compare UTF-16.
    v.par_sort_unstable_by(|a, b| {
        if a.is_ascii() || b.is_ascii() {
            a.cmp(b)
        } else {
            a.encode_utf16().cmp(b.encode_utf16())
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<(String, bool)> {
        let mut v = Vec::new();
        for_each_token(text, |t, w| v.push((t.to_string(), w)));
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
    fn the_parallel_json_is_serde_jsons() {
        let words: Vec<String> = (0..5000)
            .map(|i| match i % 4 {
                0 => format!("w<{i}>&\"é"),
                1 => format!("plain{i}"),
                2 => format!("c\u{1}\\{i}\u{7f}\u{2028}"),
                _ => format!("{i}!#$%'()*+,-./:;=?@[]^_`{{|}}~"),
            })
            .collect();
        let mut index = IndexJson {
            v: 1,
            lang: "en<".into(),
            words: words.clone(),
            terms: words[..10].to_vec(),
            wt: "ab\\".into(),
            stems: Some(words[..3].to_vec()),
            ts: Some("x".into()),
            pages: (0..3000)
                .map(|i| (format!("t{i}"), format!("u&{i}")))
                .collect(),
            docs: (0..4100)
                .map(|i| (i, format!("a{i}"), 1, "h".to_string(), "<b>".to_string()))
                .collect(),
        };
        let expected = script_json(&serde_json::to_string(&index).unwrap());
        let mut json = String::new();
        index_json(&mut json, &index);
        assert_eq!(json, expected);
        // Without stems (not an English site).
        index.stems = None;
        index.ts = None;
        let expected = script_json(&serde_json::to_string(&index).unwrap());
        let mut json = String::new();
        index_json(&mut json, &index);
        assert_eq!(json, expected);
    }
}

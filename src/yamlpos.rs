//! Where things are in a YAML text: the line and column of every mapping key and every node,
//! by path (`choices.1.text`), so errors found after parsing still point at their key's line.
//!
//! serde_yaml loses positions at deserialisation, so a second, marked parse (yaml-rust2's event
//! parser) records them. Paths join mapping keys and sequence indices (0-based) with `.`;
//! the document itself is the empty path.

use crate::diagnostics::Diagnostics;
use std::collections::HashMap;
use std::path::Path;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// 1-based line and column of keys and nodes in one YAML text.
#[derive(Debug, Default, Clone)]
pub struct Positions {
    keys: HashMap<String, (usize, usize)>,
    nodes: HashMap<String, (usize, usize)>,
    /// Mappings whose first key was seen.
    keys_seen: std::collections::HashSet<String>,
}

impl Positions {
    /// Positions in `text`; empty when the text is not valid YAML (serde_yaml reports that).
    pub fn of(text: &str) -> Positions {
        let mut recv = Recv {
            lines: text.lines().collect(),
            ..Recv::default()
        };
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut recv, false).is_err() {
            return Positions::default();
        }
        recv.pos
    }

    /// The position of the key at `path` (`title`, `choices.1.text`), if it is a mapping key.
    pub fn key(&self, path: &str) -> Option<(usize, usize)> {
        self.keys.get(path).copied()
    }

    /// The position of the key at `path` or, for a sequence item, of the item itself.
    pub fn key_or_node(&self, path: &str) -> Option<(usize, usize)> {
        self.key(path).or_else(|| self.node(path))
    }

    /// The position of the node at `path` itself (for a mapping value, the value, not its
    /// key).
    pub fn node(&self, path: &str) -> Option<(usize, usize)> {
        self.nodes.get(path).copied()
    }

    /// Every top-level key with its line, in no particular order.
    pub fn top_level_keys(&self) -> impl Iterator<Item = (&str, usize)> {
        self.keys
            .iter()
            .filter(|(k, _)| !k.contains('.'))
            .map(|(k, (l, _))| (k.as_str(), *l))
    }
}

/// Split a serde_yaml error into its message (without "at line N column M") and its
/// 1-based position in the parsed text, if known.
pub fn split_error(err: &serde_yaml::Error) -> (String, Option<(usize, usize)>) {
    let pos = err.location().map(|l| (l.line(), l.column()));
    let mut msg = err.to_string();
    // Drop every " at line N column M" / " at position N": positions are reported separately,
    // in the user's file, and a YAML-relative line would mislead.
    for marker in [" at line ", " at position "] {
        while let Some(at) = msg.find(marker) {
            let rest = &msg[at + marker.len()..];
            let len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == ' ' || "column".contains(c)))
                .unwrap_or(rest.len());
            let cut = rest[..len].trim_end().len();
            msg.replace_range(at..at + marker.len() + cut, "");
        }
    }
    (msg, pos)
}

/// [`split_error`] for an error of parsing `text`, with a position even where serde_yaml has
/// none: an alias bomb (aliases that expand to far more nodes than the text holds) fails with
/// "repetition limit exceeded" and no location, so it is placed at the alias whose expansion
/// crosses serde_yaml's limit (see [`alias_bomb`]).
pub fn split_error_in(err: &serde_yaml::Error, text: &str) -> (String, Option<(usize, usize)>) {
    let (mut msg, pos) = split_error(err);
    if pos.is_some() {
        return (msg, pos);
    }
    let pos = alias_bomb(text);
    if pos.is_some() && msg == "repetition limit exceeded" {
        msg.push_str(" (aliases here expand to far more nodes than the file holds)");
    }
    (msg, pos)
}

/// The 1-based position of the alias at which expanding `text` would exceed serde_yaml's
/// repetition limit (more alias expansions, nested ones included, than 100 per event of the
/// document), or failing that of the alias that expands the most. `None` without aliases.
///
/// serde_yaml replays an anchored node at every use of its alias, including the aliases inside
/// it; yaml-rust2's event parser never expands them, so the cost of each alias is counted here
/// from the events (memoised per anchor), without building anything.
pub fn alias_bomb(text: &str) -> Option<(usize, usize)> {
    #[derive(Default)]
    struct Events {
        /// (anchor id or 0, alias target or 0, depth change, mark)
        list: Vec<(usize, usize, i32, (usize, usize))>,
    }
    impl MarkedEventReceiver for Events {
        fn on_event(&mut self, ev: Event, mark: Marker) {
            let at = (mark.line(), mark.col() + 1);
            let e = match ev {
                Event::Scalar(_, _, anchor, _) => (anchor, 0, 0, at),
                Event::Alias(id) => (0, id, 0, at),
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    (anchor, 0, 1, at)
                }
                Event::SequenceEnd | Event::MappingEnd => (0, 0, -1, at),
                _ => return,
            };
            self.list.push(e);
        }
    }
    let mut events = Events::default();
    let mut parser = Parser::new_from_str(text);
    // An error after some events still leaves those to look at.
    let _ = parser.load(&mut events, false);
    let list = events.list;
    // Each anchor's span of events: [start, end).
    let mut spans: HashMap<usize, (usize, usize)> = HashMap::new();
    let mut open: Vec<(usize, usize, i32)> = Vec::new(); // (anchor, start, depth)
    let mut depth = 0;
    for (i, &(anchor, _, change, _)) in list.iter().enumerate() {
        if change == 1 {
            if anchor != 0 {
                open.push((anchor, i, depth));
            }
            depth += 1;
        } else if change == -1 {
            depth -= 1;
            if let Some(&(a, start, d)) = open.last() {
                if d == depth {
                    open.pop();
                    spans.insert(a, (start, i + 1));
                }
            }
        } else if anchor != 0 {
            spans.insert(anchor, (i, i + 1));
        }
    }
    // Expansions caused by one use of an alias: itself plus those of the aliases it replays.
    fn cost(
        id: usize,
        list: &[(usize, usize, i32, (usize, usize))],
        spans: &HashMap<usize, (usize, usize)>,
        memo: &mut HashMap<usize, u64>,
    ) -> u64 {
        if let Some(&c) = memo.get(&id) {
            return c;
        }
        // An alias inside its own anchor is invalid YAML; count it once.
        memo.insert(id, 1);
        let inner = spans.get(&id).map_or(0, |&(start, end)| {
            list[start..end]
                .iter()
                .filter(|e| e.1 != 0)
                .fold(0u64, |sum, e| {
                    sum.saturating_add(cost(e.1, list, spans, memo))
                })
        });
        let c = inner.saturating_add(1);
        memo.insert(id, c);
        c
    }
    let mut memo = HashMap::new();
    let limit = (list.len() as u64).saturating_mul(100);
    let mut total = 0u64;
    let mut worst: Option<(u64, (usize, usize))> = None;
    for &(_, alias, _, at) in &list {
        if alias == 0 {
            continue;
        }
        let c = cost(alias, &list, &spans, &mut memo);
        total = total.saturating_add(c);
        if total > limit {
            return Some(at);
        }
        if worst.is_none_or(|(w, _)| c > w) {
            worst = Some((c, at));
        }
    }
    worst.map(|(_, at)| at)
}

/// Reads the keys of one YAML mapping with positions, reporting every unknown key and every
/// value of the wrong type as a [`Diagnostic`] in the user's file (line offset added back).
/// The one YAML validator: front matter, quizzes, site.yaml and benchmark declarations.
pub struct Fields<'a> {
    /// The file reported in errors (relative to the site root).
    pub file: &'a Path,
    pub map: &'a serde_yaml::Mapping,
    pub pos: &'a Positions,
    /// Added to a YAML line to get the line in `file`.
    pub line_offset: usize,
    /// Path of this mapping inside the document (`""`, `choices.1`).
    pub prefix: String,
    /// What the keys are called in messages: `front matter`, `quiz`, `site.yaml`.
    pub what: &'a str,
    /// Position (in `file`) used when a key's own position is unknown.
    pub fallback: (usize, usize),
}

/// A short name of a YAML value's kind, for "found a list" messages.
pub fn kind_of(v: &serde_yaml::Value) -> &'static str {
    use serde_yaml::Value;
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

impl<'a> Fields<'a> {
    /// The mapping `map` at `prefix` (a path of the same document, `runners.1`), read with
    /// the same file and positions; `what` names its keys in messages.
    pub fn nested(
        &self,
        prefix: String,
        map: &'a serde_yaml::Mapping,
        what: &'a str,
        fallback: (usize, usize),
    ) -> Fields<'a> {
        Fields {
            file: self.file,
            map,
            pos: self.pos,
            line_offset: self.line_offset,
            prefix,
            what,
            fallback,
        }
    }

    /// Line and column in `file` of `key`, a key of this mapping or a path below it
    /// (`size.0`), or else of its nearest ancestor that has a position, up to this mapping
    /// itself; else the fallback.
    pub fn at(&self, key: &str) -> (usize, usize) {
        let mut path = child(&self.prefix, key);
        loop {
            if let Some((l, c)) = self.pos.key_or_node(&path) {
                return (l + self.line_offset, c);
            }
            if path.len() <= self.prefix.len() {
                return self.fallback;
            }
            match path.rfind('.') {
                Some(i) if i >= self.prefix.len() => path.truncate(i),
                _ => path.clone_from(&self.prefix),
            }
        }
    }

    /// Line and column in `file` of this mapping itself.
    pub fn here(&self) -> (usize, usize) {
        self.pos
            .key_or_node(&self.prefix)
            .map(|(l, c)| (l + self.line_offset, c))
            .unwrap_or(self.fallback)
    }

    /// Report an error at `key`.
    pub fn error(&self, diags: &mut Diagnostics, key: &str, message: impl Into<String>) {
        let (line, col) = self.at(key);
        diags.error(self.file, line, col, message);
    }

    /// Report every key that is not in `allowed`.
    pub fn check_keys(&self, allowed: &[&str], diags: &mut Diagnostics) {
        for k in self.map.keys() {
            match k.as_str() {
                Some(name) if allowed.contains(&name) => {}
                Some(name) => self.error(
                    diags,
                    name,
                    format!(
                        "unknown {} key `{name}`; expected one of: {}",
                        self.what,
                        allowed.join(", ")
                    ),
                ),
                None => {
                    let (line, col) = self.here();
                    diags.error(
                        self.file,
                        line,
                        col,
                        format!(
                            "{} key is {}; expected one of: {}",
                            self.what,
                            kind_of(k),
                            allowed.join(", ")
                        ),
                    );
                }
            }
        }
    }

    /// The value of `key`; an explicit empty value (`key:`) counts as absent.
    pub fn get(&self, key: &str) -> Option<&'a serde_yaml::Value> {
        match self.map.get(key) {
            Some(serde_yaml::Value::Null) | None => None,
            Some(v) => Some(v),
        }
    }

    fn wrong(&self, diags: &mut Diagnostics, key: &str, v: &serde_yaml::Value, expected: &str) {
        self.error(
            diags,
            key,
            format!("`{key}` is {}; expected {expected}", kind_of(v)),
        );
    }

    /// A text value; numbers are taken as their text.
    pub fn string(&self, key: &str, diags: &mut Diagnostics) -> Option<String> {
        self.text(self.get(key)?, key, diags)
    }

    /// [`string`](Self::string) for a value found at `key` (a path below this mapping:
    /// `runners.0.name`); an empty value is an error.
    pub fn text(
        &self,
        v: &serde_yaml::Value,
        key: &str,
        diags: &mut Diagnostics,
    ) -> Option<String> {
        match v {
            serde_yaml::Value::String(s) => Some(s.clone()),
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            _ => {
                self.wrong(diags, key, v, "text");
                None
            }
        }
    }

    pub fn bool(&self, key: &str, diags: &mut Diagnostics) -> Option<bool> {
        let v = self.get(key)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong(diags, key, v, "true or false");
                None
            }
        }
    }

    pub fn int(&self, key: &str, diags: &mut Diagnostics) -> Option<i64> {
        let v = self.get(key)?;
        match v.as_i64() {
            Some(i) => Some(i),
            None => {
                self.wrong(diags, key, v, "a whole number");
                None
            }
        }
    }

    /// A list of texts; a single text is taken as a list of one.
    pub fn string_list(&self, key: &str, diags: &mut Diagnostics) -> Option<Vec<String>> {
        let items = self.list(self.get(key)?, key, true, diags)?;
        Some(items.into_iter().map(|(s, _)| s).collect())
    }

    /// [`string_list`](Self::string_list) with the line and column in `file` of each text
    /// (of the value itself when a single text is written after the key).
    pub fn string_list_at(
        &self,
        key: &str,
        diags: &mut Diagnostics,
    ) -> Option<Vec<(String, (usize, usize))>> {
        self.list(self.get(key)?, key, true, diags)
    }

    /// A list of names for a value found at `key` (a path below this mapping): like
    /// [`string_list`](Self::string_list), but numbers are not names; empty when the value
    /// is not a list.
    pub fn names(&self, v: &serde_yaml::Value, key: &str, diags: &mut Diagnostics) -> Vec<String> {
        let items = self.list(v, key, false, diags).unwrap_or_default();
        items.into_iter().map(|(s, _)| s).collect()
    }

    /// The texts of a list (or a single text) at `key`, each with its position in `file`.
    fn list(
        &self,
        v: &serde_yaml::Value,
        key: &str,
        numbers: bool,
        diags: &mut Diagnostics,
    ) -> Option<Vec<(String, (usize, usize))>> {
        match v {
            serde_yaml::Value::String(s) => {
                let at = match self.pos.node(&child(&self.prefix, key)) {
                    Some((l, c)) => (l + self.line_offset, c),
                    None => self.at(key),
                };
                Some(vec![(s.clone(), at)])
            }
            serde_yaml::Value::Sequence(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{key}.{i}");
                    match item {
                        serde_yaml::Value::String(s) => out.push((s.clone(), self.at(&path))),
                        serde_yaml::Value::Number(n) if numbers => {
                            out.push((n.to_string(), self.at(&path)))
                        }
                        other => self.error(
                            diags,
                            &path,
                            format!(
                                "item {} of `{key}` is {}; expected text",
                                i + 1,
                                kind_of(other)
                            ),
                        ),
                    }
                }
                Some(out)
            }
            _ => {
                let expected = if numbers {
                    "a list of texts"
                } else {
                    "a list of names"
                };
                self.wrong(diags, key, v, expected);
                None
            }
        }
    }
}

fn child(parent: &str, seg: &str) -> String {
    if parent.is_empty() {
        seg.to_string()
    } else {
        format!("{parent}.{seg}")
    }
}

enum Kind {
    /// `Some(key)` while the value of `key` is awaited.
    Map(Option<String>),
    Seq(usize),
}

struct Frame {
    path: String,
    kind: Kind,
    /// A complex key (a mapping or sequence used as a key): its end does not end a value.
    is_key: bool,
}

#[derive(Default)]
struct Recv<'t> {
    stack: Vec<Frame>,
    pos: Positions,
    /// The text's lines: yaml-rust2 sometimes marks a key at its `:`, so the key's column
    /// is looked up on its line.
    lines: Vec<&'t str>,
}

impl Recv<'_> {
    /// A node starts: a scalar (`container == None`) or a mapping/sequence.
    fn node(&mut self, scalar: Option<String>, at: (usize, usize), container: Option<Kind>) {
        let path = match self.stack.last_mut() {
            None => String::new(),
            Some(Frame {
                path,
                kind: Kind::Map(key),
                ..
            }) => match key {
                None => {
                    // This node is a key.
                    match scalar {
                        Some(s) => {
                            let p = child(path, &s);
                            let at = match self.lines.get(at.0.wrapping_sub(1)) {
                                Some(line) if !s.is_empty() => match line.find(s.as_str()) {
                                    Some(i) => (at.0, line[..i].chars().count() + 1),
                                    None => at,
                                },
                                _ => at,
                            };
                            self.pos.keys.insert(p, at);
                            // A mapping is where its first key is (its own mark can be late).
                            if !path.is_empty() && !self.pos.keys_seen.contains(path.as_str()) {
                                self.pos.keys_seen.insert(path.clone());
                                self.pos.nodes.insert(path.clone(), at);
                            }
                            *key = Some(s);
                        }
                        None => {
                            let p = child(path, "?");
                            *key = Some("?".to_string());
                            if let Some(kind) = container {
                                self.stack.push(Frame {
                                    path: p,
                                    kind,
                                    is_key: true,
                                });
                            }
                        }
                    }
                    return;
                }
                Some(k) => child(path, k),
            },
            Some(Frame {
                path,
                kind: Kind::Seq(i),
                ..
            }) => child(path, &i.to_string()),
        };
        self.pos.nodes.entry(path.clone()).or_insert(at);
        match container {
            Some(kind) => self.stack.push(Frame {
                path,
                kind,
                is_key: false,
            }),
            None => self.value_done(),
        }
    }

    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame {
                kind: Kind::Map(key),
                ..
            }) => *key = None,
            Some(Frame {
                kind: Kind::Seq(i), ..
            }) => *i += 1,
            None => {}
        }
    }

    fn end(&mut self) {
        if let Some(frame) = self.stack.pop() {
            if !frame.is_key {
                self.value_done();
            }
        }
    }
}

impl MarkedEventReceiver for Recv<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let at = (mark.line(), mark.col() + 1);
        match ev {
            Event::Scalar(s, ..) => self.node(Some(s), at, None),
            Event::Alias(_) => self.node(Some(String::new()), at, None),
            Event::MappingStart(..) => self.node(None, at, Some(Kind::Map(None))),
            Event::SequenceStart(..) => self.node(None, at, Some(Kind::Seq(0))),
            Event::MappingEnd | Event::SequenceEnd => self.end(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_items_have_their_lines() {
        let text = "title: Hello\nweight: 3\nchoices:\n  - text: a\n    correct: true\n  - text: b\n    explain: |\n      long\n      text\nlast: {x: 1}\n";
        let p = Positions::of(text);
        assert_eq!(p.key("title"), Some((1, 1)));
        assert_eq!(p.key("weight"), Some((2, 1)));
        assert_eq!(p.key("choices"), Some((3, 1)));
        assert_eq!(p.key("choices.0.text"), Some((4, 5)));
        assert_eq!(p.key("choices.0.correct"), Some((5, 5)));
        assert_eq!(p.key("choices.1.text"), Some((6, 5)));
        assert_eq!(p.key("choices.1.explain"), Some((7, 5)));
        assert_eq!(p.key_or_node("choices.1"), Some((6, 5)));
        assert_eq!(p.key("last.x"), Some((10, 8)));
        let mut top: Vec<_> = p.top_level_keys().collect();
        top.sort();
        assert_eq!(
            top,
            vec![("choices", 3), ("last", 10), ("title", 1), ("weight", 2)]
        );
    }

    #[test]
    fn an_alias_bomb_is_placed_at_the_alias_that_crosses_the_limit() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (prev, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
            let uses = vec![format!("*{prev}"); 10].join(", ");
            text.push_str(&format!("{name}: &{name} [{uses}]\n"));
        }
        let err = serde_yaml::from_str::<serde_yaml::Value>(&text).unwrap_err();
        let (msg, pos) = split_error(&err);
        assert_eq!((msg.as_str(), pos), ("repetition limit exceeded", None));
        // 10 events per line: b's aliases cost 1 each, c's 11, d's 111, e's 1111; the
        // limit (about 9000 expansions) is crossed at e's last alias.
        let (_, pos) = split_error_in(&err, &text);
        assert_eq!(pos, Some((5, 44)), "{text}");
        // Aliases that stay within the limit: the biggest one.
        assert_eq!(
            alias_bomb("a: &a [1, 2]\nb: *a\nc: [*a, *a]\n"),
            Some((2, 4))
        );
        assert_eq!(alias_bomb("a: 1\n"), None);
    }

    #[test]
    fn fields_report_at_paths_below_a_key() {
        let text = "a: 1\nlist:\n  - x\n  - 3\nm: {k: v}\n";
        let map: serde_yaml::Mapping = serde_yaml::from_str(text).unwrap();
        let pos = Positions::of(text);
        let f = Fields {
            file: Path::new("f.yaml"),
            map: &map,
            pos: &pos,
            line_offset: 10,
            prefix: String::new(),
            what: "test",
            fallback: (1, 1),
        };
        assert_eq!(f.at("list.1"), (14, 5));
        // No such key: its nearest ancestor.
        assert_eq!(f.at("m.nope"), (15, 1));
        let mut diags = Diagnostics::new();
        let list = map.get("list").unwrap();
        assert_eq!(f.names(list, "list", &mut diags), vec!["x".to_string()]);
        assert_eq!(diags.len(), 1, "a number is not a name");
        assert_eq!(
            f.string_list("list", &mut diags),
            Some(vec!["x".to_string(), "3".to_string()])
        );
        assert_eq!(diags.len(), 1);
    }

    #[test]
    fn invalid_yaml_gives_no_positions() {
        let p = Positions::of("a: [1, 2\nb: c: d\n");
        assert_eq!(p.key("a"), None);
    }

    #[test]
    fn error_message_loses_its_location() {
        let err = serde_yaml::from_str::<serde_yaml::Value>("a: b\nc: d: e\n").unwrap_err();
        let (msg, pos) = split_error(&err);
        assert!(!msg.contains("line"), "{msg}");
        let err = serde_yaml::from_str::<serde_yaml::Value>("a: b\nt: [a, b\n").unwrap_err();
        let (msg, _) = split_error(&err);
        assert_eq!(
            msg,
            "did not find expected ',' or ']', while parsing a flow sequence"
        );
        assert_eq!(pos.map(|p| p.0), Some(2));
    }
}

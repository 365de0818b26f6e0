//! The expression language inside `{{ ... }}`: a lexer and a parser that keep byte offsets
//! (into the page body) for every token, so errors point at the exact column.
//!
//! ```text
//! expression := head ( "|" filter )*
//! head       := "bench" "." ID "." RUNNER selector? "." METRIC "." STATISTIC
//!             | NAME "(" args? ")"
//! selector   := "[" PARAM "=" scalar ( "," PARAM "=" scalar )* "]"
//! filter     := NAME ( "(" args? ")" )?
//! args       := NAME "=" literal ( "," NAME "=" literal )* ","?
//! literal    := scalar | "[" ( literal ( "," literal )* ","? )? "]"
//! scalar     := "string" | 'string' | number | true | false | bare-word
//! ```
//! Names and words are letters, digits, `_` and `-` (not first).

use std::fmt;

/// Byte offsets `[start, end)` into the page body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub at: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(f64),
    Punct(char),
    End,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Word(w) => write!(f, "`{w}`"),
            Tok::Str(s) => write!(f, "string \"{s}\""),
            Tok::Num(n) => write!(f, "number {n}"),
            Tok::Punct(c) => write!(f, "`{c}`"),
            Tok::End => write!(f, "the end of the expression"),
        }
    }
}

/// A literal value with its span.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    /// A bare word (`threads=one` or `x=batch_size`).
    Word(String),
    List(Vec<(Literal, Span)>),
}

impl Literal {
    /// The literal as a JSON value, for comparison with matrix parameters.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Literal::Str(s) | Literal::Word(s) => serde_json::Value::String(s.clone()),
            Literal::Num(n) => serde_json::Number::from_f64(*n)
                .map(|n| {
                    // Integers compare equal to YAML integers.
                    if n.as_f64()
                        .is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15)
                    {
                        serde_json::Value::from(n.as_f64().unwrap_or(0.0) as i64)
                    } else {
                        serde_json::Value::Number(n)
                    }
                })
                .unwrap_or(serde_json::Value::Null),
            Literal::Bool(b) => serde_json::Value::Bool(*b),
            Literal::List(items) => items.iter().map(|(l, _)| l.to_json()).collect(),
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Literal::Str(_) => "a string",
            Literal::Num(_) => "a number",
            Literal::Bool(_) => "true or false",
            Literal::Word(_) => "a bare word",
            Literal::List(_) => "a list",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: String,
    pub name_span: Span,
    pub value: Literal,
    pub value_span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `[batch_size=32, threads=1]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selector {
    pub pairs: Vec<(Ident, Literal, Span)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PathExpr {
    pub bench: Ident,
    pub runner: Ident,
    pub selector: Selector,
    pub metric: Ident,
    pub stat: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: Ident,
    pub args: Vec<Arg>,
    /// Span of the whole call, for "missing argument" errors.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Head {
    Path(PathExpr),
    Call(Call),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    pub head: Head,
    pub filters: Vec<Call>,
}

struct Lexer<'a> {
    src: &'a str,
    base: usize,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn skip_ws(&mut self) {
        while let Some(c) = self.src[self.pos..].chars().next() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    /// The next token and its span (absolute offsets).
    fn next(&mut self) -> Result<(Tok, Span), ParseError> {
        self.skip_ws();
        let start = self.pos;
        let rest = &self.src[self.pos..];
        let Some(c) = rest.chars().next() else {
            return Ok((Tok::End, self.span(start, start)));
        };
        let word_char = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
        if c.is_alphabetic() || c == '_' {
            let len = rest.find(|c: char| !word_char(c)).unwrap_or(rest.len());
            self.pos += len;
            return Ok((
                Tok::Word(rest[..len].to_string()),
                self.span(start, self.pos),
            ));
        }
        if c.is_ascii_digit()
            || (c == '-' && rest[1..].starts_with(|d: char| d.is_ascii_digit() || d == '.'))
            || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit()))
        {
            let mut len = c.len_utf8();
            let bytes = rest.as_bytes();
            while len < bytes.len() {
                let b = bytes[len];
                let exp_sign = (b == b'-' || b == b'+') && matches!(bytes[len - 1], b'e' | b'E');
                if b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || exp_sign {
                    len += 1;
                } else {
                    break;
                }
            }
            self.pos += len;
            let text = &rest[..len];
            return match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok((Tok::Num(n), self.span(start, self.pos))),
                _ => Err(ParseError {
                    at: self.base + start,
                    message: format!("`{text}` is not a number"),
                }),
            };
        }
        if c == '"' || c == '\'' {
            let mut out = String::new();
            let mut chars = rest.char_indices().skip(1);
            while let Some((i, ch)) = chars.next() {
                if ch == c {
                    self.pos += i + 1;
                    return Ok((Tok::Str(out), self.span(start, self.pos)));
                }
                if ch == '\\' {
                    match chars.next() {
                        Some((_, e @ ('"' | '\'' | '\\'))) => out.push(e),
                        Some((_, 'n')) => out.push('\n'),
                        Some((j, other)) => {
                            return Err(ParseError {
                                at: self.base + start + j,
                                message: format!(
                                    "unknown escape `\\{other}` in a string; expected \\\", \\', \\\\ or \\n"
                                ),
                            })
                        }
                        None => break,
                    }
                } else {
                    out.push(ch);
                }
            }
            return Err(ParseError {
                at: self.base + start,
                message: format!("unclosed string; expected a closing {c}"),
            });
        }
        if "[](),=|.".contains(c) {
            self.pos += 1;
            return Ok((Tok::Punct(c), self.span(start, self.pos)));
        }
        Err(ParseError {
            at: self.base + start,
            message: format!("unexpected character `{c}`"),
        })
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span {
            start: self.base + start,
            end: self.base + end,
        }
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<(Tok, Span)>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, base: usize) -> Self {
        Parser {
            lexer: Lexer { src, base, pos: 0 },
            peeked: None,
        }
    }

    fn peek(&mut self) -> Result<&(Tok, Span), ParseError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next()?);
        }
        Ok(self.peeked.as_ref().expect("just filled"))
    }

    fn bump(&mut self) -> Result<(Tok, Span), ParseError> {
        self.peek()?;
        Ok(self.peeked.take().expect("just peeked"))
    }

    fn expect_punct(&mut self, c: char, what: &str) -> Result<Span, ParseError> {
        let (tok, span) = self.bump()?;
        if tok == Tok::Punct(c) {
            Ok(span)
        } else {
            Err(ParseError {
                at: span.start,
                message: format!("expected `{c}` {what}, found {tok}"),
            })
        }
    }

    fn ident(&mut self, what: &str) -> Result<Ident, ParseError> {
        let (tok, span) = self.bump()?;
        match tok {
            Tok::Word(name) => Ok(Ident { name, span }),
            other => Err(ParseError {
                at: span.start,
                message: format!("expected {what}, found {other}"),
            }),
        }
    }

    fn at_punct(&mut self, c: char) -> Result<bool, ParseError> {
        Ok(self.peek()?.0 == Tok::Punct(c))
    }

    fn expression(&mut self) -> Result<Expression, ParseError> {
        let first = self.ident("`bench.<id>...` or a function such as `table(...)`")?;
        let head = if first.name == "bench" && self.at_punct('.')? {
            Head::Path(self.path(first)?)
        } else if self.at_punct('(')? {
            Head::Call(self.call(first)?)
        } else {
            let (tok, span) = self.bump()?;
            return Err(ParseError {
                at: span.start,
                message: format!(
                    "expected `(` after `{}` (a function call) or a value path `bench.<id>.<runner>.<metric>.<statistic>`, found {tok}",
                    first.name
                ),
            });
        };
        let mut filters = Vec::new();
        while self.at_punct('|')? {
            self.bump()?;
            let name = self.ident("a filter name after `|`")?;
            if self.at_punct('(')? {
                filters.push(self.call(name)?);
            } else {
                let span = name.span;
                filters.push(Call {
                    name,
                    args: Vec::new(),
                    span,
                });
            }
        }
        let (tok, span) = self.bump()?;
        if tok != Tok::End {
            return Err(ParseError {
                at: span.start,
                message: format!("unexpected {tok}; expected `|` and a filter, or `}}}}`"),
            });
        }
        Ok(Expression { head, filters })
    }

    fn path(&mut self, _bench: Ident) -> Result<PathExpr, ParseError> {
        const SHAPE: &str = "(a value is `bench.<id>.<runner>.<metric>.<statistic>`)";
        self.expect_punct('.', SHAPE)?;
        let bench = self.ident(&format!("a benchmark id {SHAPE}"))?;
        self.expect_punct('.', SHAPE)?;
        let runner = self.ident(&format!("a runner name {SHAPE}"))?;
        let selector = if self.at_punct('[')? {
            self.selector()?
        } else {
            Selector::default()
        };
        self.expect_punct('.', SHAPE)?;
        let metric = self.ident(&format!("a metric name {SHAPE}"))?;
        self.expect_punct('.', SHAPE)?;
        let stat = self.ident(&format!("a statistic such as `median` {SHAPE}"))?;
        Ok(PathExpr {
            bench,
            runner,
            selector,
            metric,
            stat,
        })
    }

    fn selector(&mut self) -> Result<Selector, ParseError> {
        self.expect_punct('[', "")?;
        let mut pairs = Vec::new();
        loop {
            if self.at_punct(']')? && !pairs.is_empty() {
                self.bump()?;
                break;
            }
            let key = self.ident("a matrix parameter name, as in `[batch_size=32]`")?;
            self.expect_punct('=', &format!("after `{}`", key.name))?;
            let (value, span) = self.scalar()?;
            pairs.push((key, value, span));
            let (tok, span) = self.bump()?;
            match tok {
                Tok::Punct(',') => continue,
                Tok::Punct(']') => break,
                other => {
                    return Err(ParseError {
                        at: span.start,
                        message: format!("expected `,` or `]` in a matrix selector, found {other}"),
                    })
                }
            }
        }
        Ok(Selector { pairs })
    }

    fn scalar(&mut self) -> Result<(Literal, Span), ParseError> {
        let (tok, span) = self.bump()?;
        let lit = match tok {
            Tok::Str(s) => Literal::Str(s),
            Tok::Num(n) => Literal::Num(n),
            Tok::Word(w) if w == "true" => Literal::Bool(true),
            Tok::Word(w) if w == "false" => Literal::Bool(false),
            Tok::Word(w) => Literal::Word(w),
            other => {
                return Err(ParseError {
                    at: span.start,
                    message: format!(
                        "expected a value (string, number, true/false), found {other}"
                    ),
                })
            }
        };
        Ok((lit, span))
    }

    fn literal(&mut self) -> Result<(Literal, Span), ParseError> {
        if self.at_punct('[')? {
            let open = self.bump()?.1;
            let mut items = Vec::new();
            loop {
                if self.at_punct(']')? {
                    let close = self.bump()?.1;
                    return Ok((
                        Literal::List(items),
                        Span {
                            start: open.start,
                            end: close.end,
                        },
                    ));
                }
                items.push(self.literal()?);
                let (tok, span) = self.bump()?;
                match tok {
                    Tok::Punct(',') => {}
                    Tok::Punct(']') => {
                        return Ok((
                            Literal::List(items),
                            Span {
                                start: open.start,
                                end: span.end,
                            },
                        ))
                    }
                    other => {
                        return Err(ParseError {
                            at: span.start,
                            message: format!("expected `,` or `]` in a list, found {other}"),
                        })
                    }
                }
            }
        }
        self.scalar()
    }

    fn call(&mut self, name: Ident) -> Result<Call, ParseError> {
        self.expect_punct('(', "")?;
        let mut args: Vec<Arg> = Vec::new();
        let end;
        loop {
            if self.at_punct(')')? {
                end = self.bump()?.1.end;
                break;
            }
            let arg = self.ident(&format!(
                "an argument name (arguments are `name=value`) in `{}(...)`",
                name.name
            ))?;
            self.expect_punct('=', &format!("after the argument name `{}`", arg.name))?;
            let (value, value_span) = self.literal()?;
            if args.iter().any(|a| a.name == arg.name) {
                return Err(ParseError {
                    at: arg.span.start,
                    message: format!("argument `{}` is given twice", arg.name),
                });
            }
            args.push(Arg {
                name: arg.name,
                name_span: arg.span,
                value,
                value_span,
            });
            let (tok, span) = self.bump()?;
            match tok {
                Tok::Punct(',') => {}
                Tok::Punct(')') => {
                    end = span.end;
                    break;
                }
                other => {
                    return Err(ParseError {
                        at: span.start,
                        message: format!(
                            "expected `,` or `)` in the arguments of `{}`, found {other}",
                            name.name
                        ),
                    })
                }
            }
        }
        let span = Span {
            start: name.span.start,
            end,
        };
        Ok(Call { name, args, span })
    }
}

/// Parse the text between `{{` and `}}`; `base` is its offset in the page body.
pub fn parse(src: &str, base: usize) -> Result<Expression, ParseError> {
    Parser::new(src, base).expression()
}

/// Parse a benchmark reference `id` or `id[param=value,...]` (the `bench=` argument of
/// shortcodes); `base` is the offset of the string's first character.
pub fn parse_bench_ref(src: &str, base: usize) -> Result<(Ident, Selector), ParseError> {
    let mut p = Parser::new(src, base);
    let id = p.ident(
        "a benchmark id, as in `bench=\"mlp_digits\"` or `bench=\"mlp_synth[batch_size=32]\"`",
    )?;
    let selector = if p.at_punct('[')? {
        p.selector()?
    } else {
        Selector::default()
    };
    let (tok, span) = p.bump()?;
    if tok != Tok::End {
        return Err(ParseError {
            at: span.start,
            message: format!(
                "unexpected {tok} after the benchmark id; expected `[param=value]` or nothing"
            ),
        });
    }
    Ok((id, selector))
}

/// Parse a cell reference `id.runner` or `id.runner[param=value,...]` (the `a=` and `b=`
/// arguments of two-cell comparisons); `base` is the offset of the string's first character.
pub fn parse_cell_ref(src: &str, base: usize) -> Result<(Ident, Ident, Selector), ParseError> {
    const SHAPE: &str =
        "(a cell is `<id>.<runner>` or `<id>.<runner>[param=value,...]`, as in `mlp_synth.torch[batch_size=32]`)";
    let mut p = Parser::new(src, base);
    let id = p.ident(&format!("a benchmark id {SHAPE}"))?;
    p.expect_punct('.', &format!("after the benchmark id {SHAPE}"))?;
    let runner = p.ident(&format!("a runner name {SHAPE}"))?;
    let selector = if p.at_punct('[')? {
        p.selector()?
    } else {
        Selector::default()
    };
    let (tok, span) = p.bump()?;
    if tok != Tok::End {
        return Err(ParseError {
            at: span.start,
            message: format!(
                "unexpected {tok} after the runner; expected `[param=value]` or nothing {SHAPE}"
            ),
        });
    }
    Ok((id, runner, selector))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cell_references() {
        let (id, runner, sel) = parse_cell_ref("mlp.torch[batch_size=32,threads=1]", 4).unwrap();
        assert_eq!(id.name, "mlp");
        assert_eq!(runner.name, "torch");
        assert_eq!(runner.span, Span { start: 8, end: 13 });
        assert_eq!(sel.pairs.len(), 2);
        let (_, runner, sel) = parse_cell_ref("probes.tensorflow", 0).unwrap();
        assert_eq!(runner.name, "tensorflow");
        assert!(sel.pairs.is_empty());
        let err = parse_cell_ref("mlp[threads=1]", 0).unwrap_err();
        assert_eq!(err.at, 3);
        assert!(err.message.starts_with("expected `.`"), "{}", err.message);
        let err = parse_cell_ref("mlp.torch.x", 0).unwrap_err();
        assert_eq!(err.at, 9);
    }

    #[test]
    fn parses_a_path_with_selector_and_filters() {
        let e = parse(
            " bench.mlp.torch[batch_size=32, threads=1].step_time.median | duration ",
            10,
        )
        .unwrap();
        let Head::Path(p) = e.head else { panic!() };
        assert_eq!(p.bench.name, "mlp");
        assert_eq!(p.bench.span, Span { start: 17, end: 20 });
        assert_eq!(p.selector.pairs.len(), 2);
        assert_eq!(p.selector.pairs[0].1, Literal::Num(32.0));
        assert_eq!(p.stat.name, "median");
        assert_eq!(e.filters[0].name.name, "duration");
    }

    #[test]
    fn parses_calls_with_lists() {
        let e = parse(r#"table(bench="a", metrics=["x", 'y'], log_x=true,)"#, 0).unwrap();
        let Head::Call(c) = e.head else { panic!() };
        assert_eq!(c.name.name, "table");
        assert_eq!(c.args.len(), 3);
        assert!(matches!(&c.args[1].value, Literal::List(v) if v.len() == 2));
        assert_eq!(c.args[2].value, Literal::Bool(true));
    }

    #[test]
    fn errors_point_at_the_token() {
        let err = parse("bench.a.b.c", 5).unwrap_err();
        assert_eq!(err.at, 16);
        assert!(err.message.starts_with("expected `.`"), "{}", err.message);
        let err = parse("table(bench=)", 0).unwrap_err();
        assert_eq!(err.at, 12);
        let err = parse("x + 1", 0).unwrap_err();
        assert_eq!(err.at, 2);
    }
}

//! Quiz blocks: a fenced ```` ```quiz ```` block holding YAML.
//!
//! ```yaml
//! id: warmup            # optional anchor; default quiz-1, quiz-2, … in page order
//! question: Why discard the first iterations?     # markdown
//! # EITHER an open self-check answer (markdown):
//! answer: Because they include one-off costs (allocation, JIT, caches).
//! # OR choices, at least two, at least one correct (several correct → checkboxes):
//! choices:
//!   - text: They are slower because of warm-up effects   # markdown (inline)
//!     correct: true
//!     explain: Allocation and caches settle first.     # markdown, optional
//!   - text: To save time
//!     explain: Warm-up runs cost time, they do not save it.
//! ```
//!
//! Unknown keys, a missing or empty question, both or neither of `answer`/`choices`, fewer than
//! two choices, no correct choice, two choices with the same text and bad YAML are errors at
//! the line of the offending key in the `.md` file.
//!
//! # Markup (the contract with `themes/default/static/quiz.js`)
//!
//! ```html
//! <form class="quiz" data-quiz id="quiz-1" data-kind="single">     <!-- or "multiple" -->
//!   <fieldset>
//!     <legend class="quiz-question">Question (inline HTML)</legend>
//!     <!-- a question of several blocks: legend "Question", then
//!          <div class="quiz-question-body">blocks</div> -->
//!     <ul class="quiz-choices">
//!       <li class="quiz-choice">
//!         <input type="radio" name="quiz-1" id="quiz-1-1" value="1" data-correct>
//!         <label for="quiz-1-1">Choice (inline HTML)</label>
//!         <div class="quiz-explanation" id="quiz-1-1-why" hidden>Why (HTML)</div>
//!       </li>
//!       … one per choice; type="checkbox" when several are correct; correct inputs carry
//!       the `data-correct` attribute
//!     </ul>
//!   </fieldset>
//!   <div class="quiz-actions"><button type="submit" class="quiz-check" hidden>Check</button></div>
//!   <p class="quiz-feedback" aria-live="polite"></p>
//!   <details class="quiz-answer"><summary>Show the answer</summary>
//!     <ul class="quiz-solution"><li class="is-correct"><strong>Correct:</strong> choice — explanation</li>
//!     <li class="is-wrong"><strong>Wrong:</strong> choice — explanation</li></ul>
//!   </details>
//! </form>
//! ```
//!
//! The Check button is hidden until the script shows it, so without JavaScript a reader
//! sees the choices and the details/summary answer. An open question needs no script:
//!
//! ```html
//! <div class="quiz quiz-open" id="quiz-2"><div class="quiz-question">Question (HTML)</div>
//!   <details class="quiz-answer"><summary>Show the answer</summary>Answer (HTML)</details></div>
//! ```

use crate::diagnostics::Diagnostics;
use crate::yamlpos::{kind_of, split_error_in, Fields, Positions};
use std::path::Path;

/// Keys of a quiz block.
pub const QUIZ_KEYS: &[&str] = &["id", "question", "answer", "choices"];
/// Keys of one choice.
pub const CHOICE_KEYS: &[&str] = &["text", "correct", "explain"];

/// Markdown text from the quiz YAML, with the position of its key in the `.md` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub markdown: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub text: Text,
    pub correct: bool,
    pub explain: Option<Text>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// An open self-check question.
    Open(Text),
    Choices(Vec<Choice>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Quiz {
    /// The explicit `id`, if any.
    pub id: Option<String>,
    pub question: Text,
    pub body: Body,
}

/// Whether `id` can be used as an HTML id and URL fragment as it is.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The `id` of a quiz block, if it has a usable one (for collecting anchors before rendering).
pub fn peek_id(yaml: &str) -> Option<String> {
    let v: serde_yaml::Value = serde_yaml::from_str(yaml).ok()?;
    let id = v.get("id")?.as_str()?;
    valid_id(id).then(|| id.to_string())
}

/// Parse a quiz block. `fence_line` is the `.md` line of the opening fence; YAML line `n`
/// is file line `fence_line + n`. Every problem found is reported; `None` if any.
pub fn parse(file: &Path, yaml: &str, fence_line: usize, diags: &mut Diagnostics) -> Option<Quiz> {
    let before = diags.len();
    let value: serde_yaml::Value = match serde_yaml::from_str(yaml) {
        Ok(v) => v,
        Err(e) => {
            let (msg, pos) = split_error_in(&e, yaml);
            let (line, col) = pos
                .map(|(l, c)| (l + fence_line, c))
                .unwrap_or((fence_line, 1));
            diags.error(
                file,
                line,
                col,
                format!("invalid YAML in quiz: {msg}; expected `question:` with `answer:` or `choices:`"),
            );
            return None;
        }
    };
    let serde_yaml::Value::Mapping(map) = &value else {
        diags.error(
            file,
            fence_line,
            1,
            format!(
                "quiz holds {}; expected `question:` with `answer:` or `choices:`",
                kind_of(&value)
            ),
        );
        return None;
    };
    let pos = Positions::of(yaml);
    let f = Fields {
        file,
        map,
        pos: &pos,
        line_offset: fence_line,
        prefix: String::new(),
        what: "quiz",
        fallback: (fence_line, 1),
    };
    f.check_keys(QUIZ_KEYS, diags);
    let text = |f: &Fields, key: &str, diags: &mut Diagnostics| -> Option<Text> {
        let s = f.string(key, diags)?;
        let (line, column) = f.at(key);
        Some(Text {
            markdown: s,
            line,
            column,
        })
    };

    let id = f.string("id", diags);
    if let Some(id) = &id {
        if !valid_id(id) {
            f.error(
                diags,
                "id",
                format!("quiz id `{id}` cannot be used as an anchor; expected letters, digits, `-` and `_` only"),
            );
        }
    }
    let question = text(&f, "question", diags);
    match &question {
        Some(q) if q.markdown.trim().is_empty() => f.error(
            diags,
            "question",
            "quiz `question` is empty; expected the question's text",
        ),
        Some(_) => {}
        None if f.map.contains_key("question") => {
            if f.get("question").is_none() {
                f.error(
                    diags,
                    "question",
                    "quiz `question` is empty; expected the question's text",
                )
            }
        }
        None => diags.error(
            file,
            fence_line,
            1,
            "quiz has no `question`; expected `question: ...`",
        ),
    }

    let has_answer = map.contains_key("answer");
    let has_choices = map.contains_key("choices");
    let body = match (has_answer, has_choices) {
        (true, true) => {
            f.error(
                diags,
                "answer",
                "quiz has both `answer` and `choices`; expected an open `answer` or a list of `choices`, not both",
            );
            None
        }
        (false, false) => {
            diags.error(
                file,
                fence_line,
                1,
                "quiz has neither `answer` nor `choices`; expected an open `answer: ...` or a list of `choices`",
            );
            None
        }
        (true, false) => match text(&f, "answer", diags) {
            Some(a) if !a.markdown.trim().is_empty() => Some(Body::Open(a)),
            Some(_) => {
                f.error(
                    diags,
                    "answer",
                    "quiz `answer` is empty; expected the answer's text",
                );
                None
            }
            None => {
                if f.get("answer").is_none() {
                    f.error(
                        diags,
                        "answer",
                        "quiz `answer` is empty; expected the answer's text",
                    );
                }
                None
            }
        },
        (false, true) => parse_choices(&f, diags).map(Body::Choices),
    };
    if diags.len() > before {
        return None;
    }
    Some(Quiz {
        id,
        question: question?,
        body: body?,
    })
}

fn parse_choices(f: &Fields, diags: &mut Diagnostics) -> Option<Vec<Choice>> {
    let items = match f.get("choices") {
        Some(serde_yaml::Value::Sequence(items)) => items,
        other => {
            let found = other.map(kind_of).unwrap_or("empty");
            f.error(
                diags,
                "choices",
                format!("quiz `choices` is {found}; expected a list of choices (`- text: ...`)"),
            );
            return None;
        }
    };
    if items.len() < 2 {
        f.error(
            diags,
            "choices",
            format!(
                "quiz has {} choice{}; expected at least two",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            ),
        );
    }
    let mut choices: Vec<Choice> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let n = i + 1;
        let prefix = format!("choices.{i}");
        let serde_yaml::Value::Mapping(map) = item else {
            let (line, col) = f
                .pos
                .key_or_node(&prefix)
                .map(|(l, c)| (l + f.line_offset, c))
                .unwrap_or_else(|| f.at("choices"));
            diags.error(
                f.file,
                line,
                col,
                format!(
                    "quiz choice {n} is {}; expected `text:`, `correct:` and `explain:` keys",
                    kind_of(item)
                ),
            );
            continue;
        };
        let c = f.nested(prefix, map, "quiz choice", f.at("choices"));
        c.check_keys(CHOICE_KEYS, diags);
        let text = c.string("text", diags);
        let (line, column) = c.at("text");
        let text = match text {
            Some(t) if !t.trim().is_empty() => t,
            _ => {
                if c.get("text").is_none() {
                    let (line, column) = c.here();
                    diags.error(
                        f.file,
                        line,
                        column,
                        format!("quiz choice {n} has no `text`; expected `text: ...`"),
                    );
                }
                continue;
            }
        };
        if let Some(first) = choices
            .iter()
            .position(|o| o.text.markdown.trim() == text.trim())
        {
            c.error(
                diags,
                "text",
                format!(
                    "quiz choice {n} repeats choice {} (`{}`); expected distinct choices",
                    first + 1,
                    text.trim()
                ),
            );
        }
        let correct = c.bool("correct", diags).unwrap_or(false);
        let explain = c.string("explain", diags).map(|s| {
            let (line, column) = c.at("explain");
            Text {
                markdown: s,
                line,
                column,
            }
        });
        choices.push(Choice {
            text: Text {
                markdown: text,
                line,
                column,
            },
            correct,
            explain,
        });
    }
    if !items.is_empty() && !choices.is_empty() && !choices.iter().any(|c| c.correct) {
        f.error(
            diags,
            "choices",
            "quiz has no correct choice; expected at least one choice with `correct: true`",
        );
    }
    Some(choices)
}

/// Render a parsed quiz as HTML with anchor `id`. `md(text, inline)` renders a text's
/// markdown (inline: without the wrapping `<p>` of a single paragraph, `None` if it has
/// several blocks).
pub fn render(quiz: &Quiz, id: &str, md: &mut dyn FnMut(&Text, bool) -> Option<String>) -> String {
    let id = crate::html::escape(id);
    let mut h = String::with_capacity(1024);
    match &quiz.body {
        Body::Open(answer) => {
            let q = md(&quiz.question, false).unwrap_or_default();
            let a = md(answer, false).unwrap_or_default();
            h.push_str(&format!(
                "<div class=\"quiz quiz-open\" id=\"{id}\"><div class=\"quiz-question\">{q}</div>\n<details class=\"quiz-answer\"><summary>Show the answer</summary>\n{a}</details></div>\n"
            ));
        }
        Body::Choices(choices) => {
            let several = choices.iter().filter(|c| c.correct).count() > 1;
            let (kind, input) = if several {
                ("multiple", "checkbox")
            } else {
                ("single", "radio")
            };
            h.push_str(&format!(
                "<form class=\"quiz\" data-quiz id=\"{id}\" data-kind=\"{kind}\">\n<fieldset>\n"
            ));
            match md(&quiz.question, true) {
                Some(inline) => h.push_str(&format!(
                    "<legend class=\"quiz-question\">{inline}</legend>\n"
                )),
                None => {
                    let blocks = md(&quiz.question, false).unwrap_or_default();
                    h.push_str(&format!(
                        "<legend class=\"quiz-question\">Question</legend>\n<div class=\"quiz-question-body\">{blocks}</div>\n"
                    ));
                }
            }
            if several {
                h.push_str("<p class=\"quiz-hint\">Choose every correct answer.</p>\n");
            }
            h.push_str("<ul class=\"quiz-choices\">\n");
            let mut solution = String::new();
            for (i, c) in choices.iter().enumerate() {
                let n = i + 1;
                let text =
                    md(&c.text, true).unwrap_or_else(|| md(&c.text, false).unwrap_or_default());
                let why = c.explain.as_ref().map(|e| md(e, false).unwrap_or_default());
                let correct = if c.correct { " data-correct" } else { "" };
                h.push_str(&format!(
                    "<li class=\"quiz-choice\"><input type=\"{input}\" name=\"{id}\" id=\"{id}-{n}\" value=\"{n}\"{correct}> <label for=\"{id}-{n}\">{text}</label>"
                ));
                if let Some(why) = &why {
                    h.push_str(&format!(
                        "<div class=\"quiz-explanation\" id=\"{id}-{n}-why\" hidden>{why}</div>"
                    ));
                }
                h.push_str("</li>\n");
                let (class, verdict) = if c.correct {
                    ("is-correct", "Correct:")
                } else {
                    ("is-wrong", "Wrong:")
                };
                solution.push_str(&format!(
                    "<li class=\"{class}\"><strong>{verdict}</strong> {text}"
                ));
                if let Some(why) = &why {
                    solution.push_str(&format!("<div class=\"quiz-why\">{why}</div>"));
                }
                solution.push_str("</li>\n");
            }
            h.push_str("</ul>\n</fieldset>\n");
            h.push_str("<div class=\"quiz-actions\"><button type=\"submit\" class=\"quiz-check\" hidden>Check</button></div>\n");
            h.push_str("<p class=\"quiz-feedback\" aria-live=\"polite\"></p>\n");
            h.push_str(&format!(
                "<details class=\"quiz-answer\"><summary>Show the answer</summary>\n<ul class=\"quiz-solution\">\n{solution}</ul>\n</details>\n</form>\n"
            ));
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(yaml: &str) -> Vec<String> {
        let mut d = Diagnostics::new();
        let q = parse(Path::new("content/q.md"), yaml, 10, &mut d);
        assert_eq!(q.is_none(), !d.is_empty());
        d.sorted().0.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn valid_quizzes() {
        let mut d = Diagnostics::new();
        let q = parse(
            Path::new("q.md"),
            "question: Why?\nchoices:\n  - text: A\n    correct: true\n    explain: because\n  - text: B\n",
            5,
            &mut d,
        )
        .unwrap();
        assert!(d.is_empty());
        let Body::Choices(c) = &q.body else { panic!() };
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].text.line, 11);
        assert_eq!(q.question.line, 6);
        let q = parse(
            Path::new("q.md"),
            "id: w\nquestion: Q\nanswer: A\n",
            1,
            &mut d,
        )
        .unwrap();
        assert_eq!(q.id.as_deref(), Some("w"));
        assert!(matches!(q.body, Body::Open(_)));
    }

    #[test]
    fn every_problem_at_its_line() {
        assert_eq!(
            errors("question: Q\nchoices:\n  - text: A\n  - text: B\n"),
            vec!["content/q.md:12:1: quiz has no correct choice; expected at least one choice with `correct: true`"]
        );
        assert_eq!(
            errors("question: Q\nchoices:\n  - text: A\n    correct: true\n  - text: A\n"),
            vec!["content/q.md:15:5: quiz choice 2 repeats choice 1 (`A`); expected distinct choices"]
        );
        assert_eq!(
            errors("questoin: Q\nanswer: A\n"),
            vec![
                "content/q.md:10:1: quiz has no `question`; expected `question: ...`",
                "content/q.md:11:1: unknown quiz key `questoin`; expected one of: id, question, answer, choices",
            ]
        );
        assert_eq!(
            errors("question: Q\nchoices:\n  - text: A\n    corect: true\n  - text: B\n"),
            vec![
                "content/q.md:12:1: quiz has no correct choice; expected at least one choice with `correct: true`",
                "content/q.md:14:5: unknown quiz choice key `corect`; expected one of: text, correct, explain",
            ]
        );
        let e = errors("question: [Q\n");
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("content/q.md:12:1: invalid YAML in quiz: "),
            "{e:?}"
        );
        assert_eq!(
            errors("question: ''\nanswer: A\nchoices: []\n"),
            vec![
                "content/q.md:11:1: quiz `question` is empty; expected the question's text",
                "content/q.md:12:1: quiz has both `answer` and `choices`; expected an open `answer` or a list of `choices`, not both",
            ]
        );
    }

    #[test]
    fn markup_follows_the_contract() {
        let mut d = Diagnostics::new();
        let q = parse(
            Path::new("q.md"),
            "question: Q\nchoices:\n  - text: A\n    correct: true\n    explain: yes\n  - text: B\n    correct: true\n  - text: C\n",
            1,
            &mut d,
        )
        .unwrap();
        let html = render(&q, "quiz-1", &mut |t, _| Some(t.markdown.clone()));
        assert!(
            html.contains("<form class=\"quiz\" data-quiz id=\"quiz-1\" data-kind=\"multiple\">")
        );
        assert_eq!(html.matches("type=\"checkbox\"").count(), 3);
        assert_eq!(html.matches(" data-correct>").count(), 2);
        assert!(html.contains("id=\"quiz-1-1-why\" hidden>yes</div>"));
        assert!(html.contains("<details class=\"quiz-answer\">"));
        assert!(html.contains("aria-live=\"polite\""));
    }
}

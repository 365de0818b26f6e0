//! No figure in the flagship report is typed by hand: every number that looks like a
//! measurement must come from an expression over stored results (`{{ ... }}`), never from prose.

use std::path::Path;

/// Units that make a number look measured: durations, sizes, rates, percentages, ratios.
const UNITS: &[&str] = &[
    "ns",
    "µs",
    "us",
    "ms",
    "s",
    "sec",
    "secs",
    "seconds",
    "second",
    "min",
    "minutes",
    "%",
    "x",
    "×",
    "B",
    "KB",
    "kB",
    "KiB",
    "MB",
    "MiB",
    "GB",
    "GiB",
    "GFLOP/s",
    "GFLOPS",
    "TFLOP/s",
    "FLOP/s",
    "items/s",
    "examples/s",
    "samples/s",
    "steps/s",
    "it/s",
    "times",
];

/// Remove `{{ ... }}` expressions (they are computed from results), code spans and fenced code
/// (not prose), keeping everything else, including quiz text.
fn prose_without_expressions(text: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    let mut fence_is_quiz = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            if in_fence {
                in_fence = false;
            } else {
                in_fence = true;
                fence_is_quiz = trimmed.trim_start_matches('`').trim() == "quiz";
            }
            out.push('\n');
            continue;
        }
        if in_fence && !fence_is_quiz {
            out.push('\n');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // Drop expressions.
    let mut cleaned = String::new();
    let mut rest = out.as_str();
    while let Some(start) = rest.find("{{") {
        cleaned.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => rest = &rest[start + end + 2..],
            None => {
                rest = "";
            }
        }
    }
    cleaned.push_str(rest);
    // Drop inline code spans.
    let mut no_code = String::new();
    let mut in_code = false;
    for c in cleaned.chars() {
        if c == '`' {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            no_code.push(c);
        }
    }
    no_code
}

/// Numbers in `text` that look like measurements, with their line number.
fn measurement_like(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut k = 0;
        while k < chars.len() {
            if !chars[k].is_ascii_digit()
                || (k > 0 && (chars[k - 1].is_alphanumeric() || chars[k - 1] == '_'))
            {
                k += 1;
                continue;
            }
            let start = k;
            while k < chars.len()
                && (chars[k].is_ascii_digit() || chars[k] == '.' || chars[k] == ',')
            {
                k += 1;
            }
            let number: String = chars[start..k].iter().collect::<String>();
            let number = number.trim_end_matches(['.', ',']).to_string();
            let after: String = chars[k..].iter().collect();
            let unit_text = after.trim_start();
            let unit: String = unit_text
                .chars()
                .take_while(|c| {
                    !c.is_whitespace() && !matches!(c, ',' | ';' | ')' | '(' | ':' | '.')
                })
                .collect();
            let spaced = after.len() != unit_text.len();
            let unit_matches = UNITS.iter().any(|u| {
                unit == *u && (spaced || !matches!(*u, "times" | "seconds" | "second" | "minutes"))
            });
            // A bare decimal with two or more places (0.97, 12.34) is also measurement-like.
            let long_decimal = number
                .split_once('.')
                .is_some_and(|(_, frac)| frac.len() >= 2);
            // The confidence level of an interval is a convention, not a measurement.
            let convention = unit == "%" && {
                let next = unit_text[1..].trim_start();
                next.starts_with("confidence") || next.starts_with("interval")
            };
            if unit_matches && !convention {
                found.push((
                    i + 1,
                    format!("{number}{}{unit}", if spaced { " " } else { "" }),
                ));
            } else if long_decimal {
                found.push((i + 1, number));
            }
        }
    }
    found
}

#[test]
fn the_detector_catches_typed_figures_and_ignores_expressions() {
    let text =
        "Step time was 3.2 ms and TensorFlow was 1.4x faster, 97% accurate, 0.973 overall.\n\
                It used 512 MiB.\n\
                Batch 32, 30 epochs, 8,192 examples, threshold 0.5.\n\
                Median {{ bench.a.torch.step_time.median }} with its 95% confidence interval.\n\
                ```text\nlog: 12 ms\n```\n`45 ms` in code.\n";
    let found: Vec<String> = measurement_like(&prose_without_expressions(text))
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    assert_eq!(found, vec!["3.2 ms", "1.4x", "97%", "0.973", "512 MiB"]);
}

#[test]
fn no_lesson_contains_a_hand_typed_measurement() {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let mut offenders = Vec::new();
    let mut pages = 0;
    for entry in walkdir::WalkDir::new(&content) {
        let entry = entry.unwrap();
        if entry.path().extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        pages += 1;
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (line, figure) in measurement_like(&prose_without_expressions(&text)) {
            offenders.push(format!(
                "{}:{line}: {figure}",
                entry.path().strip_prefix(&content).unwrap().display()
            ));
        }
    }
    assert!(
        pages >= 9,
        "the flagship report should have its lessons, found {pages} pages"
    );
    assert!(
        offenders.is_empty(),
        "figures typed by hand (use an expression over a stored result):\n{}",
        offenders.join("\n")
    );
}

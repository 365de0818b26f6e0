//! The merge stage against hand-written stored results (tests/fixtures/merge/).

use crate::merge_support;

use benchbook::merge::{expand, MergeContext};
use benchbook::model::{OutputFile, Page};
use merge_support::{declared, fixture};
use scraper::{ElementRef, Html, Selector};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The shared context, plus a benchmark that is declared but never listed by a page.
fn context() -> MergeContext {
    let mut ctx = merge_support::context();
    ctx.declared
        .insert("unused".into(), declared("Declared, never listed", &[]));
    ctx
}

/// A page `content/training/speed.md` whose body starts on line 5.
fn page(body: &str) -> Page {
    merge_support::page_at(
        "content/training/speed.md",
        "training/speed.html",
        "Speed",
        body,
    )
}

/// Expand and return the new body; panics on errors.
fn ok(body: &str) -> String {
    ok_with(&context(), body)
}

fn ok_with(ctx: &MergeContext, body: &str) -> String {
    let mut p = page(body);
    let d = expand(&mut p, ctx);
    assert!(d.is_empty(), "unexpected errors:\n{d}");
    assert_eq!(
        p.body.lines().count(),
        body.lines().count(),
        "line count changed"
    );
    p.body
}

/// Expand and return the error lines.
fn errors(body: &str) -> Vec<String> {
    let mut p = page(body);
    let d = expand(&mut p, &context());
    d.sorted().0.iter().map(|d| d.to_string()).collect()
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn cells<'a>(r: &ElementRef<'a>) -> Vec<ElementRef<'a>> {
    r.select(&sel("td")).collect()
}

fn text(e: ElementRef) -> String {
    e.text().collect::<String>()
}

fn nbsp(s: &str) -> String {
    s.replace(' ', "\u{a0}")
}

// ---------------------------------------------------------------------------------------
// Values

#[test]
fn values_are_over_processes() {
    // torch step_time: 6 processes of 5 samples, the first of each marked as warm-up (about
    // 0.2 s, the one-off first step) and left out. The medians of the 4 steady samples of
    // each process: 10.30 10.35 10.65 10.45 10.15 14.05 ms → median 10.4 ms (of 6 values,
    // 24 pooled samples). The sixth process, slow throughout, is an outlier process (MAD
    // 0.175 ms, modified z-score 0.6745 × 3.65 / 0.175 = 14); it does not make the median
    // noisy (spread 1.4826 × 0.175 / 10.4 = 2.5%), although the coefficient of variation between processes is 13.7%.
    // The single 50 ms step of the third process moves only the max of the pooled samples,
    // and the 0.2 s warm-up samples not even that.
    let out = ok(
        "Median {{ bench.cnn_digits.torch.step_time.median | duration }}, \
         n {{ bench.cnn_digits.torch.step_time.n }}, \
         samples {{ bench.cnn_digits.torch.step_time.samples }}, \
         outliers {{ bench.cnn_digits.torch.step_time.outliers }}, \
         max {{ bench.cnn_digits.torch.step_time.max }}, \
         min {{ bench.cnn_digits.torch.step_time.min }}, \
         cv {{ bench.cnn_digits.torch.step_time.cv }}, \
         spread {{ bench.cnn_digits.torch.step_time.spread }}, \
         TF {{ bench.cnn_digits.tensorflow.step_time.median }}.\n",
    );
    assert_eq!(
        out,
        format!(
            "Median {}, n 6, samples 24, outliers 1, max {}, min {}, cv 13.7%, spread 2.5%, TF {}.\n",
            nbsp("10.4 ms"),
            nbsp("50.0 ms"),
            nbsp("10.0 ms"),
            nbsp("7.10 ms")
        )
    );
    // The interval is about the typical process: the geometric mean of the 6 per-process
    // medians (10.92 ms), mean log ± t(5) × sd of the logs / √6 → 9.58–12.4 ms. The mean is
    // the plain mean of the per-process values (10.99 ms).
    assert_eq!(
        ok("{{ bench.cnn_digits.torch.step_time.center }} ({{ bench.cnn_digits.torch.step_time.ci_low }}–{{ bench.cnn_digits.torch.step_time.ci_high }}), mean {{ bench.cnn_digits.torch.step_time.mean }}\n"),
        format!(
            "{} ({}–{}), mean {}\n",
            nbsp("10.9 ms"),
            nbsp("9.58 ms"),
            nbsp("12.4 ms"),
            nbsp("11.0 ms")
        )
    );
    // Model load times vary by about 40% from one process to the next (process medians 0.10
    // 0.20 0.15 0.30 0.12 0.15 s: MAD 0.04 s): noisy, and the badge says by how much.
    assert_eq!(
        ok("Load {{ bench.cnn_digits.torch.model_load_time.median }}.\n"),
        format!(
            "Load {} <span class=\"bb-noisy\" title=\"processes typically 39.5% from their median (scaled MAD; above 10.0%)\">noisy</span>.\n",
            nbsp("150 ms")
        )
    );
}

/// The demonstration shortcode of the registry: one file, one registration line.
#[test]
fn processes_counts_the_processes_behind_a_value() {
    let out = ok(
        "{{ processes(bench=\"cnn_digits\", runner=\"torch\", metric=\"step_time\") }} processes, \
         like {{ bench.cnn_digits.torch.step_time.n }}.",
    );
    assert_eq!(out, "6 processes, like 6.");
    let errs = errors("{{ processes(bench=\"cnn_digits\", metric=\"step_time\") }}");
    assert_eq!(errs, ["content/training/speed.md:5:4: `processes` shows one runner; benchmark `cnn_digits` has torch, tensorflow; expected `runner=\"...\"`"]);
}

#[test]
fn filters_and_units() {
    let out = ok("{{ bench.cnn_digits.torch.test_accuracy.median }} \
         {{ bench.cnn_digits.torch.library_size.median | bytes }} \
         {{ bench.cnn_digits.torch.test_accuracy.median | number }} \
         {{ bench.cnn_digits.torch.peak_rss.median }} \
         {{ bench.cnn_digits.tensorflow.wall_time.median }} \
         {{ bench.cnn_digits.torch.test_accuracy.stddev }}\n");
    // Accuracy median of 0.950 0.960 0.955 0.953 0.957 0.958 → 0.956; library 500e6 B =
    // 476.837 MiB; peak RSS 100 MiB; TensorFlow's wall times 1.5 1.6 1.7 1.55 1.65 1.6 s.
    // The standard deviation between the 6 one-sample processes exists (0.36 points).
    assert_eq!(
        out,
        format!(
            "95.6% {} 0.956 {} {} 0.4%\n",
            nbsp("477 MiB"),
            nbsp("100 MiB"),
            nbsp("1.60 s")
        )
    );
}

#[test]
fn single_sample_statistics_are_not_available() {
    let out = ok("{{ bench.digit3.torch.test_accuracy.stddev }} and {{ bench.digit3.torch.test_accuracy.ci_low }}\n");
    let html = Html::parse_fragment(&out);
    let na: Vec<String> = html.select(&sel("span.bb-na")).map(text).collect();
    assert_eq!(na, ["n/a", "n/a"]);
}

#[test]
fn noisy_values_are_flagged_inline() {
    // torch model_load_time: process medians 0.10 0.20 0.15 0.30 0.12 0.15 s: CV 42%.
    let out = ok("{{ bench.cnn_digits.torch.model_load_time.median }}\n");
    let html = Html::parse_fragment(&out);
    let noisy = html
        .select(&sel("span.bb-noisy"))
        .next()
        .expect("noisy span");
    assert_eq!(text(noisy), "noisy");
    assert!(out.starts_with(&format!("{} <span class=\"bb-noisy\"", nbsp("150 ms"))));
    // A spread statistic is not itself flagged.
    assert_eq!(
        ok("{{ bench.cnn_digits.torch.model_load_time.iqr }}\n"),
        format!("{}\n", nbsp("80.0 ms"))
    );
}

#[test]
fn verdict_alone_on_its_line_is_a_block() {
    let out = ok("{{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }}\n\nText.\n");
    let html = Html::parse_fragment(&out);
    let p = html
        .select(&sel("p.bb-verdict"))
        .next()
        .expect("block verdict");
    let strong = p.select(&sel("strong")).next().unwrap();
    assert_eq!(text(strong), "TensorFlow 1.54x faster");
    assert_eq!(text(p), "TensorFlow 1.54x faster (1.35x–1.75x)");
    assert!(html.select(&sel(".bb-verdict-inline")).next().is_none());
}

#[test]
fn matrix_points_are_selected() {
    // torch at batch 32: 1e-4 * (1 + 32/16) = 0.3 ms, samples ×(1, 1.01, .99, 1.02, .98).
    let out = ok("{{ bench.mlp_synth.torch[batch_size=32].step_time.median }} {{ bench.mlp_synth.tensorflow[batch_size=1, threads=1].step_time.median }}\n");
    assert_eq!(out, format!("{} {}\n", nbsp("300 µs"), nbsp("128 µs")));
}

// ---------------------------------------------------------------------------------------
// Where expressions expand

#[test]
fn code_is_never_touched() {
    let body = r#"Prose {{ bench.cnn_digits.torch.step_time.n }} and `{{ bench.nope.x.y.z }}` inline.

```toml
x = "{{ bench.nope.a.b.c }}"
```

~~~
{{ table(bench="nope") }}
~~~

    {{ indented.code }}

- a list item

      {{ indented.code.in.a.list }}

``{{ double `ticks` }}`` and \{{ escaped }}
"#;
    let out = ok(body);
    let expected = body.replacen("{{ bench.cnn_digits.torch.step_time.n }}", "6", 1);
    assert_eq!(out, expected);
}

#[test]
fn line_numbers_are_preserved() {
    let body = "# Title\n\
                \n\
                A value split over lines {{ bench.cnn_digits.torch.step_time.n\n\
                }} then text.\n\
                \n\
                {{ table(bench=\"cnn_digits\",\n\
                   metrics=[\"step_time\"]) }}\n\
                \n\
                Last line {{ bench.cnn_digits.torch.step_time.n }}\n";
    let out = ok(body);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 9);
    assert_eq!(lines[0], "# Title");
    assert_eq!(lines[2], "A value split over lines 6");
    assert_eq!(lines[3], " then text.");
    assert!(lines[5].starts_with("<div class=\"bb-table-wrap\""));
    assert_eq!(lines[6], "");
    assert_eq!(lines[8], "Last line 6");
}

#[test]
fn quiz_blocks_take_answers_from_results() {
    let body = r#"```quiz
question: Which framework took less time per training step here?
choices:
  - text: PyTorch
    correct: {{ is_faster(bench="cnn_digits", metric="step_time", runner="torch") }}
  - text: TensorFlow
    correct: {{ is_faster(bench="cnn_digits", metric="step_time", runner="tensorflow") }}
  - text: No clear difference
    correct: {{ no_difference(bench="cnn_digits", metric="step_time") }}
    explain: "{{ verdict(bench="cnn_digits", metric="step_time") }}; accuracy: {{ faster(bench="cnn_digits", metric="test_accuracy") }}; \{{ literal"
```
"#;
    let out = ok(body);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[4], "    correct: false");
    assert_eq!(lines[6], "    correct: true");
    assert_eq!(lines[8], "    correct: false");
    // Plain text in quizzes: no HTML. The typical processes (geometric means) 10.92 ms
    // against 7.10 ms → 1.54x.
    assert!(
        lines[9].starts_with("    explain: \"TensorFlow 1.54x faster (1.35x–1.75x); "),
        "{}",
        lines[9]
    );
    assert!(
        lines[9].ends_with("; accuracy: no practical difference; {{ literal\""),
        "{}",
        lines[9]
    );
    assert!(!lines[9].contains('<'));
}

#[test]
fn verdict_inline_names_the_winner_only_when_the_interval_excludes_one() {
    let out = ok("{{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }} / {{ verdict(bench=\"cnn_digits\", metric=\"test_accuracy\") }} / {{ faster(bench=\"cnn_digits\", metric=\"step_time\") }} / {{ ratio(bench=\"cnn_digits\", metric=\"step_time\") }}\n");
    let html = Html::parse_fragment(&out);
    let v: Vec<String> = html
        .select(&sel("span.bb-verdict-inline"))
        .map(text)
        .collect();
    // One outlier process on the torch side does not make the verdict noisy.
    let re_win = v[0]
        .strip_prefix("TensorFlow 1.54x faster (")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{}", v[0]));
    let (lo, hi) = re_win.split_once('–').unwrap();
    let lo: f64 = lo.trim_end_matches('x').parse().unwrap();
    let hi: f64 = hi.trim_end_matches('x').parse().unwrap();
    // A winner is named only when the whole interval lies beyond the ±5% margin.
    assert!(lo > 1.05 && lo <= 1.54 && hi >= 1.54, "{lo} {hi}");
    assert!(!out.contains("bb-noisy"), "{out}");
    // Accuracy: the interval 0.997x–1.01x lies inside ±5%.
    assert_eq!(
        v[1],
        "no practical difference (PyTorch / TensorFlow 0.997x–1.01x, within ±5%)"
    );
    assert!(out.contains(" / TensorFlow / 1.54x"), "{out}");
    assert_eq!(
        ok("{{ no_difference(bench=\"cnn_digits\", metric=\"test_accuracy\") }} {{ no_difference(bench=\"cnn_digits\", metric=\"step_time\") }}\n"),
        "true false\n"
    );
}

// ---------------------------------------------------------------------------------------
// Errors

#[test]
fn errors_name_file_line_and_column() {
    let body = "line 5\n\
                {{ bench.nope.torch.step_time.median }}\n\
                ab {{ bench.unused.torch.step_time.median }}\n\
                {{ bench.cnn_digits.jax.step_time.median }}\n\
                {{ bench.cnn_digits.torch.flops.median }}\n\
                {{ bench.cnn_digits.torch.step_time.average }}\n\
                {{ bench.cnn_digits.torch.step_time.median | seconds }}\n\
                {{ bench.cnn_digits.torch.step_time.median | bytes }}\n\
                {{ bench.mlp_synth.torch.step_time.median }}\n\
                {{ bench.mlp_synth.torch[batch_size=64].step_time.median }}\n\
                {{ bench.cnn_digits.torch.step_time\n\
                {{ bench.cnn_digits.torch.train_time.median }}\n";
    let errs = errors(body);
    let f = "content/training/speed.md";
    let expected = vec![
        format!("{f}:6:10: unknown benchmark `nope`; declared benchmarks: `cnn_digits`, `digit3`, `mlp_synth`, `probes`, `unused`"),
        format!("{f}:7:13: benchmark `unused` is not listed in this page's front matter; add it to `benchmarks:` (listed: `cnn_digits`, `digit3`, `mlp_synth`, `probes`)"),
        format!("{f}:8:21: unknown runner `jax` for benchmark `cnn_digits`; its runners: `torch`, `tensorflow`"),
        format!("{f}:9:27: metric `flops` is not declared for benchmark `cnn_digits`; declared: `step_time`, `test_accuracy`, `library_size`, `model_load_time`, or measured outside: wall_time, cpu_user, cpu_system, peak_rss"),
        format!("{f}:10:37: unknown statistic `average`; expected one of: median, mean, center, stddev, min, max, q1, q3, iqr, p50, p90, p99, ci_low, ci_high, cv, spread, n, samples, outliers"),
        format!("{f}:11:46: unknown filter `seconds`; expected one of: duration, bytes, rate, flops, percent, ratio, number"),
        format!("{f}:12:46: filter `bytes` formats values in bytes; this value is in seconds; expected `duration` or `number`"),
        format!("{f}:13:25: benchmark `mlp_synth` varies `batch_size` (1, 32, 128); select one point, e.g. `torch[batch_size=1]`"),
        format!("{f}:14:26: `batch_size=64` is not in the matrix of `mlp_synth`; its values: 1, 32, 128"),
        format!("{f}:15:1: unclosed `{{{{`; expected `}}}}` to end the expression (write `\\{{{{` for a literal `{{{{`)"),
        format!("{f}:16:27: metric `train_time` is not declared for benchmark `cnn_digits`; declared: `step_time`, `test_accuracy`, `library_size`, `model_load_time`, or measured outside: wall_time, cpu_user, cpu_system, peak_rss"),
    ];
    assert_eq!(errs, expected);
}

#[test]
fn missing_results_are_errors() {
    let mut ctx = context();
    ctx.declared
        .get_mut("cnn_digits")
        .unwrap()
        .metrics
        .push("train_time".into());
    ctx.results.remove("digit3");
    let mut p = page("{{ bench.cnn_digits.torch.train_time.median }}\n{{ bench.digit3.torch.test_accuracy.median }}\n");
    let errs: Vec<String> = expand(&mut p, &ctx)
        .sorted()
        .0
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(errs, [
        "content/training/speed.md:5:27: missing result: runner `torch` reported no metric `train_time` for benchmark `cnn_digits`; it reported: `first_step_time`, `library_size`, `model_load_time`, `step_time`, `test_accuracy`",
        "content/training/speed.md:6:10: missing result: benchmark `digit3` has no stored result; expected benchmarks/results/digit3.json (run `benchbook bench digit3`)",
    ]);
}

#[test]
fn syntax_and_placement_errors() {
    let body = "{{ bench.cnn_digits.torch }}\n\
                Text {{ table(bench=\"cnn_digits\") }}\n\
                \n\
                {{ table(bench=\"cnn_digits\") }}\n\
                Not blank after.\n\
                \n\
                {{ table(bench=\"cnn_digits\", colour=\"red\") }}\n\
                \n\
                {{ confusion(bench=\"cnn_digits\") }}\n\
                \n\
                {{ plot(x=1) }}\n\
                \n\
                {{ line_chart(bench=\"cnn_digits\", series=[\"train_loss\", \"val_accuracy\"]) }}\n";
    let errs = errors(body);
    let f = "content/training/speed.md";
    let (blocks, inlines) = benchbook::merge::shortcode_names();
    assert_eq!(errs, [
        format!("{f}:5:27: expected `.` (a value is `bench.<id>.<runner>.<metric>.<statistic>`), found the end of the expression"),
        format!("{f}:6:6: a block shortcode must stand alone on its line; expected nothing else on this line"),
        format!("{f}:8:1: a block shortcode must be followed by a blank line; expected an empty line after it"),
        format!("{f}:11:30: unknown argument `colour` of `table`; expected one of: bench, metrics, runners"),
        format!("{f}:13:4: `confusion` shows one runner; benchmark `cnn_digits` has torch, tensorflow; expected `runner=\"...\"`"),
        format!("{f}:15:4: unknown function `plot`; expected a shortcode ({}) or an inline function ({})", blocks.join(", "), inlines.join(", ")),
        format!("{f}:17:58: series `val_accuracy` is in a fraction but `train_loss` is in plain numbers; one chart takes series of one unit"),
    ]);
}

// ---------------------------------------------------------------------------------------
// Failed and stale benchmarks

#[test]
fn failed_benchmarks_show_a_visible_box() {
    let mut ctx = context();
    ctx.failed.insert(
        "cnn_digits".into(),
        "runner `torch` timed out after 60 s\nstderr tail: <killed>".into(),
    );
    let out = ok_with(
        &ctx,
        "Median {{ bench.cnn_digits.torch.step_time.median }}.\n\n{{ table(bench=\"cnn_digits\") }}\n",
    );
    let html = Html::parse_fragment(&out);
    let inline = html
        .select(&sel("span.bb-failed"))
        .next()
        .expect("inline failed");
    assert_eq!(
        text(inline),
        "measurement failed: cnn_digits: runner `torch` timed out after 60 s stderr tail: <killed>"
    );
    let block = html
        .select(&sel("div.bb-failed[role=alert]"))
        .next()
        .expect("failed box");
    assert!(text(block).starts_with("measurement failed: cnn_digits: runner `torch` timed out"));
    assert!(
        html.select(&sel("table")).next().is_none(),
        "no numbers for a failed benchmark"
    );
}

#[test]
fn stale_results_are_marked() {
    let mut ctx = context();
    ctx.stale.insert("cnn_digits".into());
    let out = ok_with(
        &ctx,
        "{{ bench.cnn_digits.torch.step_time.n }}\n\n{{ table(bench=\"cnn_digits\") }}\n",
    );
    let html = Html::parse_fragment(&out);
    assert_eq!(html.select(&sel(".bb-stale")).count(), 2);
}

// ---------------------------------------------------------------------------------------
// Shortcodes

#[test]
fn results_table_marks_the_better_value_with_text() {
    let out = ok("{{ table(bench=\"cnn_digits\") }}\n");
    assert_eq!(out.lines().count(), 1);
    let html = Html::parse_fragment(&out);
    let heads: Vec<String> = html
        .select(&sel("table.bb-table thead th"))
        .map(text)
        .collect();
    assert_eq!(heads, ["metric", "PyTorch", "TensorFlow", "comparison"]);
    let rows: Vec<ElementRef> = html.select(&sel("table.bb-table tbody tr")).collect();
    assert_eq!(rows.len(), 4);
    // step_time: TensorFlow clearly better, marked by class and by the word "better".
    let step = cells(&rows[0]);
    assert!(text(rows[0]).starts_with("step time (lower is better)"));
    assert!(!step[0].value().classes().any(|c| c == "bb-better"));
    assert!(step[1].value().classes().any(|c| c == "bb-better"));
    assert!(text(step[1]).contains("better"));
    assert_eq!(
        text(step[0].select(&sel(".bb-value")).next().unwrap()),
        nbsp("10.4 ms")
    );
    // The unit of the interval is the process; the title says how many and how many samples.
    assert_eq!(
        step[0].value().attr("title"),
        Some("6 processes, 24 samples")
    );
    assert_eq!(
        text(step[0].select(&sel(".bb-ci")).next().unwrap()),
        format!("({})", nbsp("9.58–12.4 ms"))
    );
    // Outliers are processes (the slow sixth one), not samples: the single 50 ms step of the
    // third process is not one.
    assert!(text(step[0]).contains("1 outlier"));
    let outlier = step[0].select(&sel(".bb-outliers")).next().unwrap();
    assert_eq!(
        outlier.value().attr("title"),
        Some(
            format!(
                "by the median absolute deviation; kept in every statistic: process 6: {}",
                nbsp("14.0 ms")
            )
            .as_str()
        )
    );
    assert_eq!(text(step[2]), "TensorFlow 1.54x faster (1.35x–1.75x)");
    // test_accuracy: no practical difference, nobody marked.
    let acc = cells(&rows[1]);
    assert!(acc
        .iter()
        .all(|c| !c.value().classes().any(|c| c == "bb-better")));
    assert_eq!(
        text(acc[2]),
        "no practical difference (PyTorch / TensorFlow 0.997x–1.01x, within ±5%)"
    );
    // library_size: every process reported the same size: exact, no interval, TF smaller.
    let lib = cells(&rows[2]);
    assert_eq!(
        text(lib[0].select(&sel(".bb-ci")).next().unwrap()),
        "(exact: same in every process)"
    );
    assert_eq!(
        text(lib[2]),
        "TensorFlow 1.25x smaller (exact: every process measured the same value)"
    );
    assert!(lib[1].value().classes().any(|c| c == "bb-better"));
    // model_load_time: torch is noisy.
    let load = cells(&rows[3]);
    assert!(load[0].value().classes().any(|c| c == "bb-noisy-value"));
    let badge = load[0].select(&sel("span.bb-noisy")).next().unwrap();
    assert_eq!(text(badge), "noisy");
    assert_eq!(
        badge.value().attr("title"),
        Some("processes typically 39.5% from their median (scaled MAD; above 10.0%)")
    );
    assert!(!load[1].value().classes().any(|c| c == "bb-noisy-value"));
    assert!(load[1].select(&sel("span.bb-noisy")).next().is_none());
    // Intervals are shown beside medians; the caption says what they are.
    assert!(step[0].select(&sel(".bb-ci")).next().is_some());
    assert!(
        text(html.select(&sel("caption")).next().unwrap())
            .starts_with("CNN on digits: median over processes and 95% interval"),
        "{out}"
    );
    // The caption links to the stored result, relative to training/speed.html.
    let link = html
        .select(&sel("caption a.bb-measured-link"))
        .next()
        .unwrap();
    assert_eq!(
        link.value().attr("href"),
        Some("../results/cnn_digits.html")
    );
}

#[test]
fn bar_chart_has_title_axes_legend_and_data() {
    let out = ok("{{ bar_chart(bench=\"cnn_digits\", metric=\"step_time\") }}\n");
    let html = Html::parse_fragment(&out);
    let fig = html.select(&sel("figure.bb-chart")).next().unwrap();
    let svg = fig.select(&sel("svg")).next().unwrap();
    assert_eq!(svg.value().attr("role"), Some("img"));
    assert!(svg.value().attr("viewBox").is_some());
    assert_eq!(svg.value().attr("width"), Some("100%"));
    assert_eq!(
        text(svg.select(&sel("title")).next().unwrap()),
        "CNN on digits: step time"
    );
    assert!(svg.select(&sel("desc")).next().is_some());
    let axis_label: Vec<String> = svg.select(&sel(".bb-axis-label")).map(text).collect();
    assert_eq!(axis_label, ["step time (ms)"]);
    let legend: String = svg.select(&sel(".bb-chart-legend")).map(text).collect();
    assert!(legend.contains("PyTorch") && legend.contains("TensorFlow"));
    assert_eq!(svg.select(&sel("rect.bb-bar")).count(), 2);
    let rows: Vec<Vec<String>> = fig
        .select(&sel("details table tbody tr"))
        .map(|r| r.select(&sel("th, td")).map(text).collect())
        .collect();
    let head: Vec<String> = fig.select(&sel("details thead th")).map(text).collect();
    assert_eq!(head, ["runner", "median", "95% interval", "processes"]);
    assert_eq!(rows[0][0], "PyTorch");
    assert_eq!(rows[0][1], nbsp("10.4 ms"));
    assert_eq!(rows[0][3], "6");
    // The interval over the 6 processes (as the `ci_low`, `ci_high` values).
    assert_eq!(rows[0][2], nbsp("9.58–12.4 ms"));
    assert_eq!(rows[1][1], nbsp("7.10 ms"));
    assert_eq!(rows[1][2], nbsp("7.03–7.17 ms"));
    assert!(fig.select(&sel("figcaption")).next().is_some());
    // Colours come from the theme's variables.
    assert!(out.contains("var(--series-1"));
    assert!(out.contains("var(--series-2"));
}

#[test]
fn line_chart_of_curves_per_epoch() {
    let out = ok("{{ line_chart(bench=\"cnn_digits\", series=[\"train_loss\", \"val_loss\"]) }}\n");
    let html = Html::parse_fragment(&out);
    let svg = html.select(&sel("figure.bb-chart svg")).next().unwrap();
    assert_eq!(svg.select(&sel("polyline")).count(), 4);
    let labels: Vec<String> = svg.select(&sel(".bb-axis-label")).map(text).collect();
    assert_eq!(labels, ["train loss / val loss", "epoch"]);
    let rows: Vec<Vec<String>> = html
        .select(&sel("details table tbody tr"))
        .map(|r| r.select(&sel("th, td")).map(text).collect())
        .collect();
    assert_eq!(rows.len(), 12);
    // torch train_loss at epoch 1: median of 1.0, 1.1, 0.9 = 1.0; epoch 3: of .4 .5 .4 = .4.
    assert_eq!(rows[0], ["PyTorch train loss", "1", "1"]);
    assert_eq!(rows[2], ["PyTorch train loss", "3", "0.400"]);
    let legend: String = svg.select(&sel(".bb-chart-legend")).map(text).collect();
    assert!(legend.contains("TensorFlow val loss"));
}

#[test]
fn line_chart_sweep_over_a_parameter_on_log_axes() {
    let out = ok("{{ line_chart(bench=\"mlp_synth\", metric=\"step_time\", x=\"batch_size\", log_x=true, log_y=true) }}\n");
    let html = Html::parse_fragment(&out);
    let svg = html.select(&sel("svg")).next().unwrap();
    let x_ticks: Vec<String> = svg.select(&sel(".bb-axis-x > text")).map(text).collect();
    assert_eq!(x_ticks, ["1", "32", "128", "batch size"]);
    let y_label: Vec<String> = svg
        .select(&sel(".bb-axis-y .bb-axis-label"))
        .map(text)
        .collect();
    // The largest median is TensorFlow's 0.88 ms at batch 128: the axis is in µs.
    assert_eq!(y_label, ["median step time (µs)"]);
    assert_eq!(svg.select(&sel("polyline")).count(), 2);
    assert!(text(html.select(&sel("figcaption")).next().unwrap()).contains("Log scale on x and y"));
    let first: Vec<String> = html
        .select(&sel("details table tbody tr"))
        .next()
        .unwrap()
        .select(&sel("th, td"))
        .map(text)
        .collect();
    // torch at batch 1: 1e-4 × 17/16 = 106 µs.
    assert_eq!(
        first[..3],
        ["PyTorch".to_string(), "1".into(), nbsp("106 µs")]
    );
}

#[test]
fn confusion_matrix_counts_and_per_class_scores() {
    let out = ok("{{ confusion(bench=\"cnn_digits\", runner=\"torch\") }}\n");
    let html = Html::parse_fragment(&out);
    let wrap = html.select(&sel("div.bb-confusion")).next().unwrap();
    // Hand-computed from truth 0000111222, predicted 0001122220:
    let expected = [["3", "1", "0"], ["0", "2", "1"], ["1", "0", "2"]];
    let counts = wrap
        .select(&sel("details table.bb-confusion-table"))
        .next()
        .unwrap();
    let rows: Vec<Vec<String>> = counts
        .select(&sel("tbody tr"))
        .map(|r| r.select(&sel("td")).map(text).collect())
        .collect();
    assert_eq!(
        rows,
        expected.map(|r| r.map(String::from).to_vec()).to_vec()
    );
    let normalised = wrap
        .select(&sel("details table.bb-confusion-table"))
        .nth(1)
        .unwrap();
    let first: Vec<String> = normalised
        .select(&sel("tbody tr td"))
        .take(3)
        .map(text)
        .collect();
    assert_eq!(first, ["75.0%", "25.0%", "0.0%"]);
    // Heatmap cells carry the counts too, in the desktop and in the phone drawing.
    assert_eq!(
        wrap.select(&sel("svg.bb-chart-wide rect.bb-cell")).count(),
        9
    );
    assert_eq!(
        wrap.select(&sel("svg.bb-chart-narrow rect.bb-cell"))
            .count(),
        9
    );
    let prf: Vec<Vec<String>> = wrap
        .select(&sel("table.bb-class-metrics tbody tr"))
        .map(|r| r.select(&sel("th, td")).map(text).collect())
        .collect();
    // zero: P 3/4, R 3/4; one: P 2/3, R 2/3; two: P 2/3, R 2/3.
    assert_eq!(prf[0], ["zero", "75.0%", "75.0%", "75.0%", "4"]);
    assert_eq!(prf[1], ["one", "66.7%", "66.7%", "66.7%", "3"]);
    assert_eq!(prf[2], ["two", "66.7%", "66.7%", "66.7%", "3"]);
}

#[test]
fn precision_recall_threshold_table() {
    let out = ok("{{ pr_curve(bench=\"digit3\", thresholds=[0.25, 0.5, 0.75, 0.95]) }}\n");
    let html = Html::parse_fragment(&out);
    assert_eq!(
        html.select(&sel("figure.bb-chart svg.bb-chart-wide polyline"))
            .count(),
        2
    );
    let rows: Vec<Vec<String>> = html
        .select(&sel("table.bb-thresholds tbody tr"))
        .map(|r| r.select(&sel("th, td")).map(text).collect())
        .collect();
    // torch scores .9 .8 .7 .6 .4 .3 .2 .1, truth T F T T F F T F (4 positives):
    // ≥0.25 → 6 predicted, 3 TP: P 50%, R 75%, 3 false alarms, 1 miss.
    // ≥0.5 → 4 predicted, 3 TP: P 75%, R 75%, 1 false alarm, 1 miss.
    // ≥0.75 → 2 predicted, 1 TP: P 50%, R 25%, 1 false alarm, 3 misses.
    // ≥0.95 → none predicted: P n/a, R 0%, 0 false alarms, 4 misses.
    // TensorFlow: positives .95 .85 .8 .7, negatives .3 .2 .1 .05 (one false alarm at ≥ 0.25).
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[0], ["0.250", "PyTorch", "50.0%", "75.0%", "3", "1"]);
    assert_eq!(rows[1], ["TensorFlow", "80.0%", "100.0%", "1", "0"]);
    assert_eq!(rows[2], ["0.500", "PyTorch", "75.0%", "75.0%", "1", "1"]);
    assert_eq!(rows[3], ["TensorFlow", "100.0%", "100.0%", "0", "0"]);
    assert_eq!(rows[4], ["0.750", "PyTorch", "50.0%", "25.0%", "1", "3"]);
    assert_eq!(rows[5], ["TensorFlow", "100.0%", "75.0%", "0", "1"]);
    assert_eq!(rows[6], ["0.950", "PyTorch", "n/a", "0.0%", "0", "4"]);
    assert_eq!(rows[7], ["TensorFlow", "100.0%", "25.0%", "0", "3"]);
    // Average precision of torch: recall steps at .9 (P 1), .7 (P 2/3), .6 (P 3/4), .2 (P 4/7):
    // 0.25 × (1 + 2/3 + 3/4 + 4/7) = 0.7470 → 74.7%.
    let legend: String = html.select(&sel(".bb-chart-legend")).map(text).collect();
    assert!(legend.contains("PyTorch (AP 74.7%)"), "{legend}");
    assert!(legend.contains("TensorFlow (AP 100.0%)"), "{legend}");
}

#[test]
fn probe_messages_are_escaped_verbatim() {
    let out = ok("{{ probes(bench=\"probes\") }}\n");
    assert_eq!(out.lines().count(), 1);
    assert!(!out.contains("<script>"));
    let html = Html::parse_fragment(&out);
    assert!(html.select(&sel("script")).next().is_none());
    let pres: Vec<String> = html.select(&sel(".bb-probes pre")).map(text).collect();
    assert_eq!(
        pres[0],
        "shape '[2, 3]' is invalid for input of size 5\n</pre><script>alert(\"x\")</script>"
    );
    assert_eq!(
        pres[1],
        "Incompatible shapes: [2,3] vs. [5] <unknown> & 'quoted'"
    );
    let rows: Vec<Vec<String>> = html
        .select(&sel(".bb-probes tbody tr"))
        .map(|r| r.select(&sel("th")).map(text).collect())
        .collect();
    assert_eq!(rows, [["shape_mismatch"], ["dtype_promotion"]]);
    let observed: Vec<String> = html.select(&sel(".bb-observed")).map(text).collect();
    assert_eq!(
        observed,
        ["no error: result dtype float32 (int64 promoted)"]
    );
}

#[test]
fn environment_box_states_what_was_held_equal() {
    let out = ok("{{ environment(bench=\"cnn_digits\") }}\n");
    let html = Html::parse_fragment(&out);
    let env = html.select(&sel("aside.bb-env")).next().unwrap();
    let t = text(env);
    for needle in [
        "optimizer: adam (lr 0.001, beta1 0.9, beta2 0.999, eps 1e-7)",
        "dataset: digits",
        "seed: 7",
        "threads: 1",
        "PyTorch: PyTorch (libtorch, via tch) 2.13.0, threads: 1 intra-op, 1 inter-op",
        "TensorFlow: TensorFlow (C API, via the tensorflow crate) 2.21.0",
        "Test CPU 3000 (fixture), 2 cores, 8.00\u{a0}GiB memory",
        // Both runners ran together, interleaved: one date.
        "Measured2026-11-20T10:05:00Z; 6 separate processes per runner and point, after 1 discarded warmup run",
        "Orderthe runners' processes interleaved at each point (one of each in turn), after the warm-up processes of each; the order is stored with the result",
        // What the runners said their timer covers, and the leading samples they set apart.
        "step_time: one optimizer step: forward, loss, backward and update of one batch; 1 leading sample of each process kept apart as one-off costs",
    ] {
        assert!(t.contains(needle), "missing {needle:?} in {t}");
    }
    // Nothing varied between the runners' workloads.
    assert!(!t.contains("Varied"));
}

#[test]
fn measured_link_and_result_files_to_copy() {
    let out = ok("See {{ measured(bench=\"probes\") }}.\n");
    let html = Html::parse_fragment(&out);
    let a = html.select(&sel("a.bb-measured-link")).next().unwrap();
    assert_eq!(a.value().attr("href"), Some("../results/probes.html"));
    assert_eq!(text(a), "how this was measured");
    let ctx = context();
    let copies = ctx.result_copies();
    assert_eq!(copies.len(), 4);
    match &copies[0] {
        OutputFile::Copy { path, from } => {
            assert_eq!(path, Path::new("results/cnn_digits.json"));
            assert!(from.is_absolute());
            assert!(from.ends_with("benchmarks/results/cnn_digits.json"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn declared_compare_pair_is_the_default_with_more_runners() {
    let mut ctx = context();
    let d = ctx.declared.get_mut("cnn_digits").unwrap();
    d.runners.push("jax".into());
    let mut p = page("{{ faster(bench=\"cnn_digits\", metric=\"step_time\") }}\n");
    let errs = expand(&mut p, &ctx);
    assert_eq!(
        errs.0[0].to_string(),
        "content/training/speed.md:5:4: `faster` compares exactly two runners; benchmark `cnn_digits` has 3 (torch, tensorflow, jax); expected `runners=[\"a\", \"b\"]`"
    );
    ctx.declared.get_mut("cnn_digits").unwrap().compare =
        Some(("torch".into(), "tensorflow".into()));
    assert_eq!(
        ok_with(
            &ctx,
            "{{ faster(bench=\"cnn_digits\", metric=\"step_time\") }}\n"
        ),
        "TensorFlow\n"
    );
}

/// The markdown stage must pass every shortcode through as one raw HTML block, untouched.
#[test]
fn shortcodes_survive_markdown_as_html_blocks() {
    let body = "Intro with {{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }} inline.\n\
                \n\
                {{ table(bench=\"cnn_digits\") }}\n\
                \n\
                {{ bar_chart(bench=\"cnn_digits\", metric=\"step_time\") }}\n\
                \n\
                {{ confusion(bench=\"cnn_digits\", runner=\"tensorflow\") }}\n\
                \n\
                {{ pr_curve(bench=\"digit3\") }}\n\
                \n\
                {{ environment(bench=\"cnn_digits\") }}\n\
                \n\
                {{ probes(bench=\"probes\") }}\n\
                \n\
                {{ line_chart(bench=\"cnn_digits\", series=[\"val_accuracy\"]) }}\n\
                \n\
                Outro.\n";
    let mut ctx = context();
    ctx.stale.insert("digit3".into());
    let out = ok_with(&ctx, body);
    let mut html = String::new();
    let opts = pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_GFM;
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(&out, opts));
    for (i, line) in out.lines().enumerate() {
        if line.starts_with('<') {
            assert!(
                html.contains(line),
                "line {} was altered by markdown",
                i + 1
            );
        }
    }
    assert!(html.contains(
        "<p>Intro with <span class=\"bb-verdict-inline\"><strong>TensorFlow 1.54x faster</strong> ("
    ));
    assert!(html.contains("<p>Outro.</p>"));
    let doc = Html::parse_fragment(&html);
    assert_eq!(doc.select(&sel("figure.bb-chart")).count(), 4);
    assert_eq!(doc.select(&sel("p.bb-stale-note")).count(), 1);
    assert!(doc.select(&sel("script")).next().is_none());
}

#[test]
fn context_from_the_bench_stage_outcome() {
    use benchbook::bench::decl::{Declaration, RunnerDecl};
    use benchbook::bench::{BenchOutcome, Failure};
    let decl = |id: &str| Declaration {
        id: id.into(),
        title: format!("{id} title"),
        description: String::new(),
        source: PathBuf::from(format!("benchmarks/{id}.yaml")),
        runners: ["torch", "tensorflow"]
            .map(|n| RunnerDecl {
                name: n.into(),
                command: None,
            })
            .to_vec(),
        workload: serde_json::Map::new(),
        matrix: vec![("batch_size".into(), vec![json!(1), json!(32), json!(128)])],
        repetitions: 3,
        warmup: 1,
        timeout_s: 60.0,
        metrics: Some(vec!["step_time".into()]),
        compare: Some(("torch".into(), "tensorflow".into())),
        margin: 0.05,
        margins: Default::default(),
    };
    let mut results = BTreeMap::new();
    results.insert("mlp_synth".to_string(), fixture("mlp_synth"));
    let outcome = BenchOutcome {
        declarations: vec![decl("mlp_synth"), decl("cnn_digits")],
        results,
        failures: vec![
            Failure {
                benchmark: "cnn_digits".into(),
                runner: "torch".into(),
                params: BTreeMap::new(),
                message: "torch on cnn_digits: exit status 1".into(),
            },
            Failure {
                benchmark: "cnn_digits".into(),
                runner: "tensorflow".into(),
                params: BTreeMap::new(),
                message: "tensorflow on cnn_digits: timed out".into(),
            },
        ],
        warnings: Vec::new(),
        stale: ["mlp_synth".to_string()].into_iter().collect(),
        ran: 0,
        reused: 6,
        processes: 0,
        runs: Vec::new(),
    };
    let ctx = MergeContext::from_outcome(Path::new("/site"), &outcome);
    assert_eq!(ctx.declared["mlp_synth"].matrix["batch_size"].len(), 3);
    assert_eq!(ctx.declared["mlp_synth"].metrics, ["step_time"]);
    assert_eq!(
        ctx.failed["cnn_digits"],
        "torch on cnn_digits: exit status 1; tensorflow on cnn_digits: timed out"
    );
    assert_eq!(
        ctx.result_files["mlp_synth"],
        Path::new("/site/benchmarks/results/mlp_synth.json")
    );
    let out = ok_with(
        &ctx,
        "{{ bench.mlp_synth.torch[batch_size=32].step_time.median }} {{ bench.cnn_digits.torch[batch_size=1].step_time.median }}\n",
    );
    let html = Html::parse_fragment(&out);
    assert!(html.select(&sel("span.bb-stale")).next().is_some());
    assert!(text(html.select(&sel("span.bb-failed")).next().unwrap()).contains("timed out"));
}

#[test]
fn non_finite_series_points_are_left_out() {
    let mut ctx = context();
    for run in &mut ctx.results.get_mut("cnn_digits").unwrap().runs {
        if run.runner == "torch" {
            for rep in &mut run.repetitions {
                rep.result.series.get_mut("train_loss").unwrap().y[2] = f64::NAN;
            }
        }
    }
    let out = ok_with(
        &ctx,
        "{{ line_chart(bench=\"cnn_digits\", series=[\"train_loss\"]) }}\n",
    );
    let html = Html::parse_fragment(&out);
    let rows: Vec<Vec<String>> = html
        .select(&sel("details table tbody tr"))
        .map(|r| r.select(&sel("th, td")).map(text).collect())
        .collect();
    assert_eq!(
        rows.len(),
        5,
        "torch keeps epochs 1 and 2, TensorFlow all three"
    );
    assert!(!out.contains("NaN"));
}

#[test]
fn shortcodes_are_refused_inside_quizzes() {
    let errs =
        errors("```quiz\nquestion: Which?\nanswer: {{ table(bench=\"cnn_digits\") }}\n```\n");
    assert_eq!(errs, ["content/training/speed.md:7:9: a shortcode cannot be used inside a quiz; expected a value or `faster(...)`, `is_faster(...)`, `verdict(...)`"]);
}

// ---------------------------------------------------------------------------------------
// Inline functions over one runner's result: probe, probe_is, pr_at, majority_accuracy, info

fn errors_with(ctx: &MergeContext, body: &str) -> Vec<String> {
    let mut p = page(body);
    let d = expand(&mut p, ctx);
    d.sorted().0.iter().map(|d| d.to_string()).collect()
}

#[test]
fn probe_fields_in_prose() {
    let out = ok(
        r#"{{ probe(bench="probes", runner="tensorflow", name="shape_mismatch", field="stage") }}
{{ probe(bench="probes", runner="torch", name="shape_mismatch", field="stage") }}
{{ probe(bench="probes", runner="torch", name="dtype_promotion", field="stage") }}
{{ probe(bench="probes", runner="torch", name="shape_mismatch", field="seconds") }}
{{ probe(bench="probes", runner="torch", name="shape_mismatch", field="outcome") }}
{{ probe(bench="probes", runner="tensorflow", name="shape_mismatch", field="outcome") }}
{{ probe(bench="probes", runner="torch", name="dtype_promotion", field="outcome") }}
{{ probe(bench="probes", runner="tensorflow", name="shape_mismatch", field="message") }}
"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "run");
    assert_eq!(lines[1], "build");
    assert_eq!(lines[2], "none");
    // 0.0012 s, formatted as a duration.
    assert_eq!(lines[3], nbsp("1.20 ms"));
    assert_eq!(lines[4], "raised an error while building");
    assert_eq!(lines[5], "raised an error while running");
    assert_eq!(lines[6], "no error: result dtype float32 (int64 promoted)");
    // Verbatim, escaped for HTML.
    assert_eq!(
        lines[7],
        "Incompatible shapes: [2,3] vs. [5] &lt;unknown&gt; &amp; &#39;quoted&#39;"
    );
}

#[test]
fn probe_message_is_escaped_in_prose_and_plain_in_a_quiz() {
    let body = r#"Said: {{ probe(bench="probes", runner="torch", name="shape_mismatch", field="message") }}.
No message: {{ probe(bench="probes", runner="torch", name="dtype_promotion", field="message") }}.

```quiz
question: "Where did TensorFlow report the shape mismatch?"
choices:
  - text: While building
    correct: {{ probe_is(bench="probes", runner="tensorflow", name="shape_mismatch", stage="build") }}
  - text: While running
    correct: {{ probe_is(bench="probes", runner="tensorflow", name="shape_mismatch", stage="run") }}
    explain: 'At the {{ probe(bench="probes", runner="tensorflow", name="shape_mismatch", field="stage") }} stage; PyTorch {{ probe(bench="probes", runner="torch", name="shape_mismatch", field="outcome") }}: {{ probe(bench="probes", runner="torch", name="shape_mismatch", field="message") }}'
```
"#;
    let out = ok(body);
    let lines: Vec<&str> = out.lines().collect();
    // The message's line break becomes a space; its markup is text, never a tag.
    assert_eq!(
        lines[0],
        "Said: shape &#39;[2, 3]&#39; is invalid for input of size 5 &lt;/pre&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;."
    );
    let html = Html::parse_fragment(lines[1]);
    assert_eq!(
        html.select(&sel("span.bb-na"))
            .map(text)
            .collect::<Vec<_>>(),
        ["n/a"]
    );
    assert_eq!(lines[7], "    correct: false");
    assert_eq!(lines[9], "    correct: true");
    // Plain text in the quiz: the quiz stage escapes it when it renders the page.
    assert_eq!(
        lines[10],
        "    explain: 'At the run stage; PyTorch raised an error while building: shape '[2, 3]' is invalid for input of size 5 </pre><script>alert(\"x\")</script>'"
    );
}

#[test]
fn probe_without_message_or_observation_raised_no_error() {
    let mut ctx = context();
    for run in &mut ctx.results.get_mut("probes").unwrap().runs {
        for rep in &mut run.repetitions {
            for p in &mut rep.result.probes {
                p.observed = None;
            }
        }
    }
    assert_eq!(
        ok_with(
            &ctx,
            "{{ probe(bench=\"probes\", runner=\"torch\", name=\"dtype_promotion\", field=\"outcome\") }}\n"
        ),
        "raised no error\n"
    );
}

#[test]
fn probe_errors_list_what_exists() {
    let body = r#"{{ probe(bench="probes", runner="torch", name="shape", field="stage") }}
{{ probe(bench="probes", runner="torch", name="shape_mismatch", field="where") }}
{{ probe(bench="probes", name="shape_mismatch", field="stage") }}
{{ probe_is(bench="probes", runner="torch", name="shape_mismatch", stage="compile") }}
{{ probe_is(bench="probes", runner="jax", name="shape_mismatch", stage="run") }}
{{ probe(bench="probes", runner="torch", name="shape_mismatch") }}
"#;
    let f = "content/training/speed.md";
    assert_eq!(errors(body), [
        format!("{f}:5:48: unknown probe `shape`: runner `torch` reported no such probe for benchmark `probes`; its probes: `shape_mismatch`, `dtype_promotion`"),
        format!("{f}:6:72: unknown field `where` of `probe`; expected one of: stage, seconds, message, outcome"),
        format!("{f}:7:4: `probe` shows one runner; benchmark `probes` has torch, tensorflow; expected `runner=\"...\"`"),
        format!("{f}:8:75: unknown stage `compile` of `probe_is`; expected one of: build, run, none"),
        format!("{f}:9:37: unknown runner `jax` for benchmark `probes`; its runners: `torch`, `tensorflow`"),
        format!("{f}:10:4: `probe` needs the argument `field`; its arguments: bench, runner, name, field"),
    ]);
}

#[test]
fn precision_recall_at_a_threshold() {
    // torch scores .9 .8 .7 .6 .4 .3 .2 .1, truth T F T T F F T F (as in the pr_curve test):
    // ≥0.5 → TP 3, FP 1, FN 1, TN 3: P 75%, R 75%, accuracy 6/8.
    // ≥0.25 → TP 3, FP 3, FN 1, TN 1: P 50%, accuracy 4/8.
    // ≥0.95 → nothing predicted positive: precision n/a, 4 misses.
    let out = ok(
        r#"{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="precision") }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="recall", name="test") }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="accuracy") }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="false_alarms") }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="misses") }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.25, field="precision") }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.25, field="accuracy") }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.95, field="misses") }}
{{ pr_at(bench="digit3", runner="tensorflow", threshold=0.25, field="precision") }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="recall") | number }}
"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        ["75.0%", "75.0%", "75.0%", "1", "1", "50.0%", "50.0%", "4", "80.0%", "0.750"]
    );
    let na = ok(
        "{{ pr_at(bench=\"digit3\", runner=\"torch\", threshold=0.95, field=\"precision\") }}\n",
    );
    let html = Html::parse_fragment(&na);
    assert_eq!(
        html.select(&sel("span.bb-na"))
            .map(text)
            .collect::<Vec<_>>(),
        ["n/a"]
    );
    // In a quiz, plain text.
    let quiz = ok("```quiz\nquestion: \"P? {{ pr_at(bench=\"digit3\", runner=\"torch\", threshold=0.95, field=\"precision\") }} R? {{ pr_at(bench=\"digit3\", runner=\"torch\", threshold=0.5, field=\"recall\") }}\"\n```\n");
    assert_eq!(quiz.lines().nth(1), Some("question: \"P? n/a R? 75.0%\""));
}

#[test]
fn precision_and_recall_with_their_wilson_intervals() {
    // ≥0.5 → TP 3, FP 1, FN 1, TN 3 (see above). Wilson 95% for 3/4: 30.1%–95.4%; 6/8:
    // 40.9%–92.9% (R: prop.test(x, n, correct = FALSE)$conf.int).
    let out = ok(
        r#"{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="precision", interval=true) }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="recall", interval=true) }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="accuracy", interval=true) }}
"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "75.0% (95% interval 30.1%–95.4%, 3 of 4)",
            "75.0% (95% interval 30.1%–95.4%, 3 of 4)",
            "75.0% (95% interval 40.9%–92.9%, 6 of 8)",
        ]
    );
    let e = errors(
        "{{ pr_at(bench=\"digit3\", runner=\"torch\", threshold=0.5, field=\"misses\", interval=true) }}\n",
    );
    assert_eq!(e.len(), 1);
    assert!(
        e[0].contains("`interval=true` applies to precision, recall and accuracy"),
        "{e:?}"
    );
}

#[test]
fn pr_at_errors() {
    let body = r#"{{ pr_at(bench="digit3", runner="torch", threshold=1.5, field="recall") }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="f1") }}
{{ pr_at(bench="digit3", runner="torch", threshold="high", field="recall") }}
{{ pr_at(bench="digit3", runner="torch", threshold=0.5, field="recall", name="val") }}
{{ pr_at(bench="cnn_digits", runner="torch", threshold=0.5, field="recall") }}
"#;
    let f = "content/training/speed.md";
    assert_eq!(errors(body), [
        format!("{f}:5:52: threshold 1.5 is outside 0..1; expected a probability"),
        format!("{f}:6:64: unknown field `f1` of `pr_at`; expected one of: precision, recall, false_alarms, misses, accuracy"),
        format!("{f}:7:52: `threshold` must be a number, found a string"),
        format!("{f}:8:79: missing result: runner `torch` reported no scores `val` for benchmark `digit3`; it reported: `test`"),
        format!("{f}:9:4: missing result: runner `torch` reported no scores `test` for benchmark `cnn_digits`; it reported: none"),
    ]);
}

#[test]
fn majority_accuracy_from_scores_or_classes() {
    // digit3: 4 positives of 8 in both runners → 50%. cnn_digits has no scores; its
    // classification `test` has supports 4, 3, 3 → 40%.
    let out = ok(
        r#"{{ majority_accuracy(bench="digit3", runner="torch") }} {{ majority_accuracy(bench="digit3", runner="tensorflow", name="test") }} {{ majority_accuracy(bench="cnn_digits", runner="torch") }}
"#,
    );
    assert_eq!(out, "50.0% 50.0% 40.0%\n");
    // Imbalanced: flip three positives of torch's digit3 to negatives → 7 of 8 negative.
    let mut ctx = context();
    for run in &mut ctx.results.get_mut("digit3").unwrap().runs {
        for rep in &mut run.repetitions {
            for s in rep.result.scores.values_mut() {
                let mut flipped = 0;
                for t in &mut s.truth {
                    if *t && flipped < 3 {
                        *t = false;
                        flipped += 1;
                    }
                }
            }
        }
    }
    assert_eq!(
        ok_with(
            &ctx,
            "{{ majority_accuracy(bench=\"digit3\", runner=\"torch\") }}\n"
        ),
        "87.5%\n"
    );
    let f = "content/training/speed.md";
    assert_eq!(
        errors("{{ majority_accuracy(bench=\"digit3\", runner=\"torch\", name=\"val\") }}\n"),
        [format!("{f}:5:60: missing result: runner `torch` reported no scores or classification `val` for benchmark `digit3`; it reported: `test`")]
    );
}

#[test]
fn info_reads_a_reported_fact() {
    let mut ctx = context();
    for run in &mut ctx.results.get_mut("cnn_digits").unwrap().runs {
        for rep in &mut run.repetitions {
            rep.result.info.insert("onednn".into(), json!(true));
            rep.result.info.insert("omp_threads".into(), json!(2));
            rep.result
                .info
                .insert("libraries".into(), json!(["a.so", "b.so"]));
        }
    }
    let out = ok_with(
        &ctx,
        r#"{{ info(bench="cnn_digits", runner="torch", key="model_format") }} / {{ info(bench="cnn_digits", runner="tensorflow", key="model_format") }} / {{ info(bench="cnn_digits", runner="torch", key="onednn") }} / {{ info(bench="cnn_digits", runner="torch", key="omp_threads") }}
"#,
    );
    assert_eq!(out, "TorchScript / SavedModel / true / 2\n");
    let f = "content/training/speed.md";
    assert_eq!(
        errors_with(
            &ctx,
            "{{ info(bench=\"cnn_digits\", runner=\"torch\", key=\"format\") }}\n{{ info(bench=\"cnn_digits\", runner=\"torch\", key=\"libraries\") }}\n"
        ),
        [
            format!("{f}:5:50: unknown info key `format`: runner `torch` reported no such fact for benchmark `cnn_digits`; its keys: `device`, `inputs`, `libraries`, `model_format`, `omp_threads`, `onednn`"),
            format!("{f}:6:50: info `libraries` of `torch` in `cnn_digits` is a list, not a single value; expected a key holding a string, number or boolean"),
        ]
    );
}

#[test]
fn absolute_paths_from_results_reach_no_page() {
    // A machine where the site is /home/u/site and the cache ~/.cache/benchbook.
    let mut ctx = context();
    ctx.paths = benchbook::merge::paths::MachinePaths {
        root: vec!["/home/u/site".into()],
        cache: vec!["/home/u/.cache/benchbook".into()],
        home: vec!["/home/u".into()],
    };
    for (id, runs) in ctx.results.iter_mut() {
        for run in &mut runs.runs {
            for rep in &mut run.repetitions {
                let r = &mut rep.result;
                if id == "cnn_digits" {
                    r.info.insert(
                        "dataset".into(),
                        json!("digits (/home/u/.cache/benchbook/datasets/digits.csv.gz)"),
                    );
                    r.info
                        .insert("data".into(), json!("/home/u/site/benchmarks/data/x.csv"));
                    r.info.insert(
                        "notes".into(),
                        json!("see /home/u/notes.txt and /usr/lib/libgomp.so.1"),
                    );
                    // Another machine's cache and home, as a result measured there records them.
                    r.info.insert(
                        "model_path".into(),
                        json!("/root/.cache/benchbook/models/torch/model.pt"),
                    );
                }
                for probe in &mut r.probes {
                    probe.message = Some("cannot open /home/bob/data/x.csv".into());
                }
            }
        }
    }
    let out = ok_with(
        &ctx,
        "{{ info(bench=\"cnn_digits\", runner=\"torch\", key=\"dataset\") }} | {{ info(bench=\"cnn_digits\", runner=\"torch\", key=\"data\") }} | {{ info(bench=\"cnn_digits\", runner=\"torch\", key=\"notes\") }} | {{ info(bench=\"cnn_digits\", runner=\"torch\", key=\"model_path\") }}\n\
         {{ probe(bench=\"probes\", runner=\"torch\", name=\"shape_mismatch\", field=\"message\") }}\n\
         \n\
         {{ environment(bench=\"cnn_digits\") }}\n\
         \n\
         {{ probes(bench=\"probes\") }}\n",
    );
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "digits (&lt;benchbook cache&gt;/datasets/digits.csv.gz) | benchmarks/data/x.csv | see ~/notes.txt and libgomp.so.1 | &lt;benchbook cache&gt;/models/torch/model.pt"
    );
    assert_eq!(out.lines().nth(1).unwrap(), "cannot open ~/data/x.csv");
    assert!(
        out.contains("<li>dataset: digits (&lt;benchbook cache&gt;/datasets/digits.csv.gz)</li>")
    );
    assert!(out.contains("<pre>cannot open ~/data/x.csv</pre>"));
    for machine in ["/home/", "/root/", "/usr/", "/.cache/"] {
        assert!(!out.contains(machine), "{machine} on the page:\n{out}");
    }
}

// ---------------------------------------------------------------------------------------
// Two-cell comparisons and aliases

#[test]
fn ratio_and_verdict_of_any_two_cells() {
    // Ratios of the typical processes (geometric means of the per-process medians; mlp_synth's
    // processes scale by 1, 1.012, 0.992, 1, 0.996, 1.008 for PyTorch and 0.996, 1, 1.01,
    // 0.99, 1, 1.006 for TensorFlow): torch b128 0.9012 ms over TF b1 0.1275 ms → 7.07x;
    // torch b32 0.3004 ms over TF b32 0.3601 ms → 0.834x; cnn_digits torch 10.92 ms over
    // mlp_synth torch b128 0.9012 ms → 12.1x.
    let out = ok(
        r#"{{ ratio(a="mlp_synth.torch[batch_size=128]", b="mlp_synth.tensorflow[batch_size=1]", metric="step_time") }} {{ ratio(a="mlp_synth.torch[batch_size=32,threads=1]", b="mlp_synth.tensorflow[batch_size=32]", metric="step_time") }} {{ ratio(a="cnn_digits.torch", b="mlp_synth.torch[batch_size=128]", metric="step_time") }} {{ ratio(bench="mlp_synth[batch_size=32]", metric="step_time") }}
"#,
    );
    assert_eq!(out, "7.07x 0.834x 12.1x 0.834x\n");
    // Each cell is named by its runner plus what sets it apart from the other cell.
    let out = ok(
        r#"{{ verdict(a="mlp_synth.torch[batch_size=32]", b="mlp_synth.tensorflow[batch_size=128]", metric="step_time") }} / {{ verdict(a="mlp_synth.torch[batch_size=32]", b="mlp_synth.torch[batch_size=128]", metric="step_time") }} / {{ verdict(a="mlp_synth.torch[batch_size=32]", b="mlp_synth.tensorflow[batch_size=32]", metric="step_time") }}
"#,
    );
    let html = Html::parse_fragment(&out);
    let v: Vec<String> = html
        .select(&sel("span.bb-verdict-inline"))
        .map(text)
        .collect();
    assert_eq!(v[0], "PyTorch [batch_size=32] 2.93x faster (2.90x–2.96x)");
    assert_eq!(v[1], "PyTorch [batch_size=32] 3.00x faster (2.97x–3.03x)");
    // Same point: the labels are the runners' names, as in the `bench=` form.
    assert_eq!(v[2], "PyTorch 1.20x faster (1.19x–1.21x)");
    let quiz = ok(r#"```quiz
question: '{{ verdict(a="mlp_synth.torch[batch_size=32]", b="mlp_synth.tensorflow[batch_size=128]", metric="step_time") }}'
```
"#);
    let q = quiz.lines().nth(1).unwrap();
    assert!(
        q.starts_with("question: 'PyTorch [batch_size=32] 2.93x faster (") && !q.contains('<'),
        "{q}"
    );
}

#[test]
fn two_cell_errors_check_each_cell() {
    let body = r#"{{ ratio(a="unused.torch", b="cnn_digits.torch", metric="step_time") }}
{{ ratio(a="cnn_digits.jax", b="cnn_digits.torch", metric="step_time") }}
{{ ratio(a="cnn_digits.torch", b="mlp_synth.torch", metric="step_time") }}
{{ ratio(a="cnn_digits.torch", b="mlp_synth.torch[batch_size=64]", metric="step_time") }}
{{ ratio(a="cnn_digits.torch", b="cnn_digits.tensorflow", metric="flops") }}
{{ ratio(a="cnn_digits[threads=1]", b="cnn_digits.tensorflow", metric="step_time") }}
{{ ratio(a="cnn_digits.torch", bench="cnn_digits", metric="step_time") }}
{{ verdict(a="cnn_digits.torch", metric="step_time") }}
{{ ratio(a="cnn_digits.torch", b="cnn_digits.tensorflow", metric="test_accuracy") | percent }}
"#;
    let f = "content/training/speed.md";
    assert_eq!(errors(body), [
        format!("{f}:5:13: benchmark `unused` is not listed in this page's front matter; add it to `benchmarks:` (listed: `cnn_digits`, `digit3`, `mlp_synth`, `probes`)"),
        format!("{f}:6:24: unknown runner `jax` for benchmark `cnn_digits`; its runners: `torch`, `tensorflow`"),
        format!("{f}:7:50: benchmark `mlp_synth` varies `batch_size` (1, 32, 128); select one point, e.g. `mlp_synth.torch[batch_size=1]`"),
        format!("{f}:8:51: `batch_size=64` is not in the matrix of `mlp_synth`; its values: 1, 32, 128"),
        format!("{f}:9:67: metric `flops` is not declared for benchmark `cnn_digits`; declared: `step_time`, `test_accuracy`, `library_size`, `model_load_time`, or measured outside: wall_time, cpu_user, cpu_system, peak_rss"),
        format!("{f}:10:23: expected `.` after the benchmark id (a cell is `<id>.<runner>` or `<id>.<runner>[param=value,...]`, as in `mlp_synth.torch[batch_size=32]`), found `[`"),
        format!("{f}:11:32: unknown argument `bench` of `ratio`; expected one of: a, b, metric"),
        format!("{f}:12:4: `verdict` needs the argument `b`; its arguments: a, b, metric"),
        format!("{f}:13:85: filter `percent` formats values in a fraction; this value is in plain numbers; expected `ratio` or `number`"),
    ]);
}

#[test]
fn no_clear_difference_is_no_difference() {
    assert_eq!(
        ok("{{ no_clear_difference(bench=\"cnn_digits\", metric=\"test_accuracy\") }} {{ no_clear_difference(bench=\"cnn_digits\", metric=\"step_time\") }}\n"),
        "true false\n"
    );
    let quiz = ok("```quiz\nquestion: Q\nchoices:\n  - text: Neither\n    correct: {{ no_clear_difference(bench=\"cnn_digits\", metric=\"step_time\") }}\n```\n");
    assert_eq!(quiz.lines().nth(4), Some("    correct: false"));
}

#[test]
fn new_functions_show_failed_and_stale_results() {
    let mut ctx = context();
    ctx.failed
        .insert("probes".into(), "runner `torch` exited with 1".into());
    ctx.stale.insert("mlp_synth".into());
    let out = ok_with(
        &ctx,
        r#"{{ probe(bench="probes", runner="torch", name="shape_mismatch", field="stage") }} / {{ ratio(a="mlp_synth.torch[batch_size=1]", b="cnn_digits.torch", metric="step_time") }}

```quiz
question: Q
choices:
  - text: Build
    correct: {{ probe_is(bench="probes", runner="torch", name="shape_mismatch", stage="build") }}
```
"#,
    );
    let html = Html::parse_fragment(out.lines().next().unwrap());
    let failed = html.select(&sel("span.bb-failed")).next().unwrap();
    assert!(text(failed).contains("exited with 1"), "{out}");
    // The typical processes 0.1065 ms over 10.92 ms, from a stale result: the ratio carries
    // the badge.
    assert!(
        out.lines()
            .next()
            .unwrap()
            .contains(" / 0.00975x <span class=\"bb-stale\""),
        "{out}"
    );
    assert_eq!(
        out.lines().nth(6),
        Some("    correct: measurement failed (probes)")
    );
}

// ---------------------------------------------------------------------------------------
// Verdicts over processes: outcomes, margins, timed regions, claims, sweeps, Holm

/// Give `runner`'s runs of `bench` one process per value of `metric` (its other metrics
/// copied from the first process when processes are added): three samples per process with
/// the value in the middle, so that each process's median is exactly that value.
fn set_processes(ctx: &mut MergeContext, bench: &str, runner: &str, metric: &str, values: &[f64]) {
    let runs = &mut ctx.results.get_mut(bench).unwrap().runs;
    for run in runs.iter_mut().filter(|r| r.runner == runner) {
        let first = run.repetitions[0].clone();
        run.repetitions.resize(values.len(), first);
        for (rep, &v) in run.repetitions.iter_mut().zip(values) {
            let m = rep.result.metrics.get_mut(metric).unwrap();
            m.samples = vec![v * 0.99, v, v * 1.01];
            m.warmup = 0;
        }
    }
}

/// Milliseconds as seconds.
fn ms(values: &[f64]) -> Vec<f64> {
    values.iter().map(|v| v / 1000.0).collect()
}

/// The text of every verdict (inline, or a block alone on its line) of an expanded body.
fn inline_verdicts(out: &str) -> Vec<String> {
    Html::parse_fragment(out)
        .select(&sel("span.bb-verdict-inline, p.bb-verdict"))
        .map(text)
        .collect()
}

/// The same results and declarations in a new context: a context computes each summary and
/// comparison once, so a test that edits them after a first expansion starts afresh.
fn fresh(ctx: MergeContext) -> MergeContext {
    let mut new = MergeContext::new(ctx.results, ctx.declared);
    new.failed = ctx.failed;
    new.stale = ctx.stale;
    new.result_files = ctx.result_files;
    new.runner_labels = ctx.runner_labels;
    new
}

/// The fixtures with cnn_digits replaced by the result stored before benchbook interleaved
/// runners (tests/fixtures/merge/legacy/): three processes per runner.
fn legacy_context() -> MergeContext {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/merge/legacy/cnn_digits.json");
    let stored = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut ctx = context();
    ctx.results.insert("cnn_digits".into(), stored);
    ctx
}

#[test]
fn too_few_processes_give_no_verdict_and_say_how_many() {
    // The old result has 3 processes a side: however clear the difference (10.4 against
    // 7.10 ms), no winner is named, and the text says why.
    let ctx = legacy_context();
    let out = ok_with(
        &ctx,
        "{{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }} / {{ faster(bench=\"cnn_digits\", metric=\"step_time\") }} / {{ is_faster(bench=\"cnn_digits\", metric=\"step_time\", runner=\"tensorflow\") }} / {{ no_difference(bench=\"cnn_digits\", metric=\"step_time\") }} / {{ no_practical_difference(bench=\"cnn_digits\", metric=\"step_time\") }} / {{ inconclusive(bench=\"cnn_digits\", metric=\"step_time\") }}\n",
    );
    assert_eq!(
        inline_verdicts(&out),
        ["too few runs for a verdict (3 and 3 processes; 5 a side needed)"]
    );
    assert!(
        out.ends_with(" / too few runs for a verdict / false / true / false / true\n"),
        "{out}"
    );
    // The same in a table: nobody is marked better.
    let table = ok_with(
        &ctx,
        "{{ table(bench=\"cnn_digits\", metrics=[\"step_time\"]) }}\n",
    );
    let html = Html::parse_fragment(&table);
    let row = html.select(&sel("tbody tr")).next().unwrap();
    let c = cells(&row);
    assert_eq!(
        text(c[2]),
        "too few runs for a verdict (3 and 3 processes; 5 a side needed)"
    );
    assert!(html.select(&sel("td.bb-better")).next().is_none());
    // Five a side is enough: the first five processes of today's fixture give a verdict.
    let mut ctx = context();
    for run in &mut ctx.results.get_mut("cnn_digits").unwrap().runs {
        run.repetitions.truncate(5);
    }
    let out = ok_with(
        &ctx,
        "{{ faster(bench=\"cnn_digits\", metric=\"step_time\") }}\n",
    );
    assert_eq!(out, "TensorFlow\n");
    run_with_four(&mut ctx);
}

/// Four processes on one side and five on the other: still too few.
fn run_with_four(ctx: &mut MergeContext) {
    for run in &mut ctx.results.get_mut("cnn_digits").unwrap().runs {
        if run.runner == "torch" {
            run.repetitions.truncate(4);
        }
    }
    let ctx = fresh(std::mem::take(ctx));
    let out = ok_with(
        &ctx,
        "{{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }}\n",
    );
    assert_eq!(
        inline_verdicts(&out),
        ["too few runs for a verdict (4 and 5 processes; 5 a side needed)"]
    );
}

#[test]
fn values_every_process_measured_alike_compare_exactly() {
    // library_size: 500e6 B in every PyTorch process, 400e6 B in every TensorFlow one.
    let out = ok("{{ verdict(bench=\"cnn_digits\", metric=\"library_size\") }} / {{ faster(bench=\"cnn_digits\", metric=\"library_size\") }} / {{ ratio(bench=\"cnn_digits\", metric=\"library_size\") }}\n");
    assert_eq!(
        inline_verdicts(&out),
        ["TensorFlow 1.25x smaller (exact: every process measured the same value)"]
    );
    assert!(out.ends_with(" / TensorFlow / 1.25x\n"), "{out}");
    // Exact and fewer than 5 processes a side: an exact ratio needs no interval, so the
    // 3 processes of the old result still give a verdict.
    let out = ok_with(
        &legacy_context(),
        "{{ verdict(bench=\"cnn_digits\", metric=\"library_size\") }}\n",
    );
    assert_eq!(
        inline_verdicts(&out),
        ["TensorFlow 1.25x smaller (exact: every process measured the same value)"]
    );
    // Within the margin, an exact ratio is no practical difference, and says it is exact.
    let mut ctx = context();
    set_processes(
        &mut ctx,
        "cnn_digits",
        "tensorflow",
        "library_size",
        &[4.96e8; 6],
    );
    set_processes(&mut ctx, "cnn_digits", "torch", "library_size", &[5.0e8; 6]);
    let out = ok_with(
        &ctx,
        "{{ verdict(bench=\"cnn_digits\", metric=\"library_size\") }} {{ no_practical_difference(bench=\"cnn_digits\", metric=\"library_size\") }}\n",
    );
    assert_eq!(
        inline_verdicts(&out),
        ["no practical difference (PyTorch / TensorFlow = 1.01x exactly, within ±5%)"]
    );
    assert!(out.ends_with(" true\n"), "{out}");
    // A narrower margin for this metric (`margin: {library_size: 0.005}` in the declaration)
    // makes the same 0.8% a difference.
    ctx.declared
        .get_mut("cnn_digits")
        .unwrap()
        .margins
        .insert("library_size".into(), 0.005);
    let ctx = fresh(ctx);
    let out = ok_with(
        &ctx,
        "{{ verdict(bench=\"cnn_digits\", metric=\"library_size\") }}\n",
    );
    assert_eq!(
        inline_verdicts(&out),
        ["TensorFlow 1.01x smaller (exact: every process measured the same value)"]
    );
}

#[test]
fn the_margin_decides_between_no_practical_difference_and_inconclusive() {
    // PyTorch 3% slower, every process within ±1% of its runner's level: the interval
    // lies inside ±5%, so no practical difference; with a ±2% margin it lies beyond it.
    let mut ctx = context();
    let tf = [10.0, 10.1, 9.9, 10.05, 9.95, 10.0];
    set_processes(&mut ctx, "cnn_digits", "tensorflow", "step_time", &ms(&tf));
    let torch: Vec<f64> = tf.iter().map(|v| v * 1.03).collect();
    set_processes(&mut ctx, "cnn_digits", "torch", "step_time", &ms(&torch));
    let body = "{{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }} {{ faster(bench=\"cnn_digits\", metric=\"step_time\") }}\n";
    let out = ok_with(&ctx, body);
    let v = inline_verdicts(&out);
    assert!(
        v[0].starts_with("no practical difference (PyTorch / TensorFlow 1.0")
            && v[0].ends_with(", within ±5%)"),
        "{}",
        v[0]
    );
    assert!(out.ends_with(" no practical difference\n"), "{out}");
    ctx.declared.get_mut("cnn_digits").unwrap().margin = 0.02;
    let mut ctx = fresh(ctx);
    let out = ok_with(&ctx, body);
    assert!(
        inline_verdicts(&out)[0].starts_with("TensorFlow 1.03x faster ("),
        "{out}"
    );
    // A margin between the interval's ends: inconclusive, and `faster` names nobody.
    ctx.declared.get_mut("cnn_digits").unwrap().margin = 0.03;
    let ctx = fresh(ctx);
    let out = ok_with(
        &ctx,
        "{{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }} {{ faster(bench=\"cnn_digits\", metric=\"step_time\") }} {{ inconclusive(bench=\"cnn_digits\", metric=\"step_time\") }} {{ no_difference(bench=\"cnn_digits\", metric=\"step_time\") }}\n",
    );
    let v = inline_verdicts(&out);
    assert!(
        v[0].starts_with("inconclusive (PyTorch / TensorFlow 1.0")
            && v[0].ends_with(", across the ±3% margin)"),
        "{}",
        v[0]
    );
    assert!(out.ends_with(" no clear winner true true\n"), "{out}");
}

#[test]
fn a_verdict_refuses_two_runs_that_timed_different_regions() {
    let mut ctx = context();
    for run in &mut ctx.results.get_mut("cnn_digits").unwrap().runs {
        if run.runner == "tensorflow" {
            for rep in &mut run.repetitions {
                rep.result.metrics.get_mut("step_time").unwrap().region =
                    Some("the forward pass only".into());
            }
        }
    }
    let body = "A verdict: {{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }}.\n\
                {{ claim(bench=\"cnn_digits\", metric=\"step_time\", expect=\"tensorflow\", text=\"TensorFlow is faster\") }}\n\
                \n\
                {{ table(bench=\"cnn_digits\", metrics=[\"test_accuracy\", \"step_time\"]) }}\n\
                \n\
                Values are fine: {{ bench.cnn_digits.tensorflow.step_time.median }}; so are other metrics: {{ faster(bench=\"cnn_digits\", metric=\"test_accuracy\") }}.\n";
    let f = "content/training/speed.md";
    let why = "cannot compare `step_time`: the two runs timed different regions (\"one optimizer step: forward, loss, backward and update of one batch\" against \"the forward pass only\"); expected both runners to time the same region";
    assert_eq!(
        errors_with(&ctx, body),
        [
            format!("{f}:5:51: {why}"),
            format!("{f}:6:38: {why}"),
            // The table points at the metric in its list.
            format!("{f}:8:57: {why}"),
        ]
    );
    // A region reported on one side only (an older result, a runner that does not say) is
    // not a disagreement.
    for run in &mut ctx.results.get_mut("cnn_digits").unwrap().runs {
        if run.runner == "torch" {
            for rep in &mut run.repetitions {
                rep.result.metrics.get_mut("step_time").unwrap().region = None;
            }
        }
    }
    let ctx = fresh(ctx);
    let out = ok_with(
        &ctx,
        "{{ faster(bench=\"cnn_digits\", metric=\"step_time\") }}\n",
    );
    assert_eq!(out, "TensorFlow\n");
}

#[test]
fn a_claim_writes_its_text_only_while_the_results_agree() {
    let body = "Measured: {{ claim(bench=\"cnn_digits\", metric=\"step_time\", expect=\"tensorflow\", text=\"TensorFlow trains this CNN faster\") }}; \
                {{ claim(bench=\"cnn_digits\", metric=\"test_accuracy\", expect=\"no_practical_difference\", text=\"both are as accurate\") }}.\n";
    assert_eq!(
        ok(body),
        "Measured: TensorFlow trains this CNN faster; both are as accurate.\n"
    );
    // Too few processes are inconclusive, and a claim may say so.
    let out = ok_with(
        &legacy_context(),
        "{{ claim(bench=\"cnn_digits\", metric=\"step_time\", expect=\"inconclusive\", text=\"not enough runs yet\") }}\n",
    );
    assert_eq!(out, "not enough runs yet\n");
    // When the stored results say otherwise the page fails at the claim, quoting them.
    let f = "content/training/speed.md";
    assert_eq!(
        errors("Text.\nWe found that {{ claim(bench=\"cnn_digits\", metric=\"step_time\", expect=\"torch\", text=\"PyTorch is faster\") }}.\n{{ claim(bench=\"cnn_digits\", metric=\"test_accuracy\", expect=\"tensorflow\", text=\"TensorFlow is more accurate\") }}\n"),
        [
            format!("{f}:6:18: this claim no longer holds: it expects `torch`, but the stored results of `cnn_digits` say: TensorFlow 1.54x faster (1.35x–1.75x); expected the prose to follow the data (rewrite the sentence, or compute it with `verdict(...)`)"),
            format!("{f}:7:4: this claim no longer holds: it expects `tensorflow`, but the stored results of `cnn_digits` say: no practical difference (PyTorch / TensorFlow 0.997x–1.01x, within ±5%); expected the prose to follow the data (rewrite the sentence, or compute it with `verdict(...)`)"),
        ]
    );
    let errs = errors(
        "{{ claim(bench=\"cnn_digits\", metric=\"step_time\", expect=\"faster\", text=\"x\") }}\n{{ claim(bench=\"cnn_digits\", metric=\"step_time\", expect=\"torch\") }}\n",
    );
    assert_eq!(
        errs,
        [
            format!("{f}:5:58: `expect` is `faster`; expected one of: torch, tensorflow, no_practical_difference, inconclusive"),
            format!("{f}:6:4: `claim` needs the argument `text`; its arguments: bench, metric, runners, expect, text"),
        ]
    );
    // A claim reads the data behind it as a verdict does: a changed result breaks the build.
    let mut ctx = context();
    set_processes(
        &mut ctx,
        "cnn_digits",
        "torch",
        "step_time",
        &ms(&[6.0, 6.1, 5.9, 6.05, 5.95, 6.0]),
    );
    let errs = errors_with(
        &ctx,
        "{{ claim(bench=\"cnn_digits\", metric=\"step_time\", expect=\"tensorflow\", text=\"TensorFlow is faster\") }}\n",
    );
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with(&format!("{f}:5:4: this claim no longer holds: it expects `tensorflow`, but the stored results of `cnn_digits` say: PyTorch 1.18x faster (")),
        "{}",
        errs[0]
    );
}

#[test]
fn verdicts_along_a_sweep_are_computed() {
    // mlp_synth: TensorFlow 1.2x PyTorch's step time at batch 1 and 32; at 128 0.88 against
    // 0.90 ms, within the margin.
    let out = ok(
        "{{ verdicts_by(bench=\"mlp_synth\", metric=\"step_time\", by=\"batch_size\") }}. Changes: {{ verdict_changes(bench=\"mlp_synth\", metric=\"step_time\", by=\"batch_size\") }}\n",
    );
    assert_eq!(
        out,
        "batch size 1: PyTorch 1.20x faster; 32: PyTorch 1.20x faster; 128: no practical difference. Changes: true\n"
    );
    // The other runner first: the same verdicts, named from its side.
    assert_eq!(
        ok("{{ verdicts_by(bench=\"mlp_synth[threads=1]\", metric=\"step_time\", by=\"batch_size\", runners=[\"tensorflow\", \"torch\"]) }}\n"),
        "batch size 1: PyTorch 1.20x faster; 32: PyTorch 1.20x faster; 128: no practical difference\n"
    );
    // TensorFlow 1.2x slower at 128 too: the same winner everywhere.
    let mut ctx = context();
    for run in &mut ctx.results.get_mut("mlp_synth").unwrap().runs {
        if run.runner == "tensorflow" && run.params["batch_size"] == 128 {
            for rep in &mut run.repetitions {
                for v in &mut rep.result.metrics.get_mut("step_time").unwrap().samples {
                    *v *= 1.08 / 0.88;
                }
            }
        }
    }
    assert_eq!(
        ok_with(
            &ctx,
            "{{ verdicts_by(bench=\"mlp_synth\", metric=\"step_time\", by=\"batch_size\") }} / {{ verdict_changes(bench=\"mlp_synth\", metric=\"step_time\", by=\"batch_size\") }}\n"
        ),
        "batch size 1: PyTorch 1.20x faster; 32: PyTorch 1.20x faster; 128: PyTorch 1.20x faster / false\n"
    );
    // In a quiz, plain text and a boolean.
    let quiz = ok("```quiz\nquestion: \"{{ verdicts_by(bench=\"mlp_synth\", metric=\"step_time\", by=\"batch_size\") }}?\"\nanswer: \"{{ verdict_changes(bench=\"mlp_synth\", metric=\"step_time\", by=\"batch_size\") }}\"\n```\n");
    assert_eq!(quiz.lines().nth(2), Some("answer: \"true\""), "{quiz}");
    let f = "content/training/speed.md";
    assert_eq!(
        errors("{{ verdicts_by(bench=\"mlp_synth\", metric=\"step_time\", by=\"batch\") }}\n{{ verdict_changes(bench=\"mlp_synth\", metric=\"step_time\") }}\n"),
        [
            format!("{f}:5:59: benchmark `mlp_synth` has no matrix parameter `batch`; its parameters: `batch_size`, `threads`"),
            format!("{f}:6:4: `verdict_changes` needs the argument `by`; its arguments: bench, metric, by, runners"),
        ]
    );
}

/// A classification of 359 examples (classes 0..9) with `wrong` of them mispredicted.
fn classification(wrong: &[usize]) -> benchbook_protocol::Classification {
    let truth: Vec<u32> = (0..359u32).map(|i| i % 10).collect();
    let mut predicted = truth.clone();
    for &i in wrong {
        predicted[i] = (predicted[i] + 1) % 10;
    }
    benchbook_protocol::Classification {
        classes: (0..10).map(|d| d.to_string()).collect(),
        truth,
        predicted,
    }
}

fn set_classification(
    ctx: &mut MergeContext,
    runner: &str,
    process: Option<usize>,
    c: &benchbook_protocol::Classification,
) {
    for run in &mut ctx.results.get_mut("cnn_digits").unwrap().runs {
        if run.runner == runner {
            for (i, rep) in run.repetitions.iter_mut().enumerate() {
                if process.is_none_or(|p| p == i) {
                    rep.result.classifications.insert("test".into(), c.clone());
                }
            }
        }
    }
}

#[test]
fn accuracy_has_its_wilson_interval_and_counts() {
    // 354 of 359: R's prop.test(354, 359, correct = FALSE) gives 96.78%–99.40%.
    let mut ctx = context();
    set_classification(
        &mut ctx,
        "torch",
        None,
        &classification(&[3, 50, 100, 200, 300]),
    );
    assert_eq!(
        ok_with(
            &ctx,
            "{{ accuracy(bench=\"cnn_digits\", runner=\"torch\") }}\n"
        ),
        "98.6% (95% interval 96.8%–99.4%, 354 of 359 correct, the same in all 6 processes)\n"
    );
    // One process predicted differently: the first is quoted, and the text says so.
    set_classification(&mut ctx, "torch", Some(3), &classification(&[3, 50]));
    assert_eq!(
        ok_with(&ctx, "{{ accuracy(bench=\"cnn_digits\", runner=\"torch\", name=\"test\") }}\n"),
        "98.6% (95% interval 96.8%–99.4%, 354 of 359 correct; the first of 6 processes, whose predictions differ)\n"
    );
    // The fixture's own: 7 of 10 for PyTorch, 9 of 10 for TensorFlow.
    assert_eq!(
        ok("{{ accuracy(bench=\"cnn_digits\", runner=\"torch\") }} / {{ accuracy(bench=\"cnn_digits\", runner=\"tensorflow\") }}\n"),
        "70.0% (95% interval 39.7%–89.2%, 7 of 10 correct, the same in all 6 processes) / 90.0% (95% interval 59.6%–98.2%, 9 of 10 correct, the same in all 6 processes)\n"
    );
    let f = "content/training/speed.md";
    assert_eq!(
        errors("{{ accuracy(bench=\"cnn_digits\") }}\n{{ accuracy(bench=\"cnn_digits\", runner=\"torch\", name=\"val\") }}\n{{ accuracy(bench=\"mlp_synth[batch_size=1]\", runner=\"torch\") }}\n"),
        [
            format!("{f}:5:4: `accuracy` shows one runner; benchmark `cnn_digits` has torch, tensorflow; expected `runner=\"...\"`"),
            format!("{f}:6:55: missing result: runner `torch` reported no classification `val` for benchmark `cnn_digits`"),
            format!("{f}:7:4: missing result: runner `torch` reported no classification `test` for benchmark `mlp_synth`"),
        ]
    );
}

#[test]
fn predictions_are_compared_over_every_process() {
    // The fixture: PyTorch wrong on examples 4, 7, 10; TensorFlow on 10 (with another
    // class): they differ on 3, only TensorFlow right on 2 → McNemar p = 2 × 0.25 = 0.5.
    assert_eq!(
        ok("{{ predictions(bench=\"cnn_digits\") }} / {{ same_predictions(bench=\"cnn_digits\") }}\n"),
        "different on 3 of 10 examples (first processes): only PyTorch right on 0, only TensorFlow on 2; McNemar&#39;s exact test p = 0.500, no evidence that either is more accurate / false\n"
    );
    // The same classes everywhere (as with fixed seeds and deterministic kernels).
    let mut ctx = context();
    let c = classification(&[3, 50, 100]);
    set_classification(&mut ctx, "torch", None, &c);
    set_classification(&mut ctx, "tensorflow", None, &c);
    assert_eq!(
        ok_with(&ctx, "{{ predictions(bench=\"cnn_digits\", runners=[\"torch\", \"tensorflow\"], name=\"test\") }} / {{ same_predictions(bench=\"cnn_digits\") }}\n"),
        "identical: PyTorch and TensorFlow predicted the same class for all 359 examples, in all 12 processes / true\n"
    );
    // One later process of one runner differs: no longer identical.
    set_classification(&mut ctx, "tensorflow", Some(4), &classification(&[3, 50]));
    assert_eq!(
        ok_with(&ctx, "{{ same_predictions(bench=\"cnn_digits\") }}\n"),
        "false\n"
    );
    // A clear difference in accuracy: PyTorch wrong on 12 examples TensorFlow gets right.
    let wrong: Vec<usize> = (0..12).map(|i| i * 29).collect();
    set_classification(&mut ctx, "torch", None, &classification(&wrong));
    set_classification(&mut ctx, "tensorflow", None, &classification(&[]));
    assert_eq!(
        ok_with(&ctx, "{{ predictions(bench=\"cnn_digits\") }}\n"),
        "different on 12 of 359 examples (first processes): only PyTorch right on 0, only TensorFlow on 12; McNemar&#39;s exact test p = 0, a real difference in accuracy\n"
    );
    // Different test sets cannot be compared example by example.
    let mut other = classification(&[]);
    other.truth.swap(0, 1);
    set_classification(&mut ctx, "tensorflow", None, &other);
    assert_eq!(
        errors_with(&ctx, "{{ predictions(bench=\"cnn_digits\") }}\n"),
        ["content/training/speed.md:5:4: `torch` and `tensorflow` classified different test sets `test` in `cnn_digits`; expected the same examples in the same order"]
    );
}

#[test]
fn several_verdicts_on_a_page_are_corrected_together() {
    // Step time: PyTorch about 9% slower, processes within ±2%: the interval 1.05x–1.12x
    // just clears the ±5% margin (p ≈ 0.03). Model load: no clear difference (p ≈ 0.13).
    let mut ctx = context();
    let tf = [10.0, 10.2, 9.8, 10.1, 9.9, 10.0];
    set_processes(&mut ctx, "cnn_digits", "tensorflow", "step_time", &ms(&tf));
    set_processes(
        &mut ctx,
        "cnn_digits",
        "torch",
        "step_time",
        &ms(&[10.88, 11.32, 10.44, 11.10, 10.66, 10.88]),
    );
    set_processes(
        &mut ctx,
        "cnn_digits",
        "tensorflow",
        "model_load_time",
        &ms(&tf),
    );
    set_processes(
        &mut ctx,
        "cnn_digits",
        "torch",
        "model_load_time",
        &ms(&[10.0, 10.8, 9.4, 10.5, 9.6, 10.3]),
    );
    let step = "{{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }}";
    let load = "{{ verdict(bench=\"cnn_digits\", metric=\"model_load_time\") }}";
    let claim = "{{ claim(bench=\"cnn_digits\", metric=\"step_time\", expect=\"tensorflow\", text=\"TensorFlow is faster\") }}";

    // Alone on its page, the claim stands.
    let alone = ok_with(&ctx, &format!("{step} / {claim}\n"));
    assert_eq!(
        inline_verdicts(&alone),
        ["TensorFlow 1.09x faster (1.05x–1.12x)"]
    );
    assert!(alone.ends_with(" / TensorFlow is faster\n"), "{alone}");
    let load_alone = ok_with(&ctx, &format!("{load}\n"));
    assert_eq!(
        inline_verdicts(&load_alone),
        ["inconclusive (PyTorch / TensorFlow 0.954x–1.07x, across the ±5% margin)"]
    );

    // With the second verdict on the page, Holm's correction over the two (0.03 > 0.05 / 2)
    // leaves the first without its claim, and the text says why.
    let both = ok_with(
        &ctx,
        &format!(
            "{step} / {load} / {{{{ faster(bench=\"cnn_digits\", metric=\"step_time\") }}}}\n"
        ),
    );
    assert_eq!(
        inline_verdicts(&both),
        [
            "inconclusive (PyTorch / TensorFlow 1.05x–1.12x; not clear once the 2 verdicts of this page are corrected for together)",
            "inconclusive (PyTorch / TensorFlow 0.954x–1.07x, across the ±5% margin)",
        ]
    );
    assert!(both.ends_with(" / no clear winner\n"), "{both}");
    // ...and a claim of it fails the build, anywhere on the page (here in a later paragraph).
    let errs = errors_with(&ctx, &format!("{claim}\n\nLater: {load}.\n"));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("content/training/speed.md:5:4: this claim no longer holds: it expects `tensorflow`, but the stored results of `cnn_digits` say: inconclusive (PyTorch / TensorFlow 1.05x–1.12x; not clear once the 2 verdicts of this page are corrected for together)"),
        "{}",
        errs[0]
    );

    // Holm steps down: next to a clear verdict (accuracy: p ≈ 1e-9) the borderline one
    // keeps its claim (0.03 ≤ 0.05 / 1 once the first is rejected).
    let with_clear = ok_with(
        &ctx,
        &format!("{step} / {{{{ verdict(bench=\"cnn_digits\", metric=\"test_accuracy\") }}}}\n"),
    );
    assert_eq!(
        inline_verdicts(&with_clear),
        [
            "TensorFlow 1.09x faster (1.05x–1.12x)",
            "no practical difference (PyTorch / TensorFlow 0.997x–1.01x, within ±5%)",
        ]
    );
    // The same verdict twice is one test, not two; exact verdicts are not tested at all.
    let twice = ok_with(
        &ctx,
        &format!(
            "{step} / {step} / {{{{ verdict(bench=\"cnn_digits\", metric=\"library_size\") }}}}\n"
        ),
    );
    assert_eq!(
        inline_verdicts(&twice)[..2],
        [
            "TensorFlow 1.09x faster (1.05x–1.12x)",
            "TensorFlow 1.09x faster (1.05x–1.12x)",
        ]
    );
    // A results table's verdicts count too: its rows are verdicts of the page.
    let table = ok_with(
        &ctx,
        &format!("{step}\n\n{{{{ table(bench=\"cnn_digits\", metrics=[\"step_time\", \"model_load_time\"]) }}}}\n"),
    );
    assert!(
        table.starts_with("<p class=\"bb-verdict\"><strong>inconclusive</strong> (PyTorch / TensorFlow 1.05x–1.12x; not clear once the 2 verdicts of this page are corrected for together)</p>"),
        "{table}"
    );
}

// ---------------------------------------------------------------------------------------
// A result stored before the process model

#[test]
fn a_result_stored_before_interleaving_still_loads_and_renders() {
    // Through the bench stage's own loader, from a site's benchmarks/results/.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("benchmarks/results")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/merge/legacy/cnn_digits.json"),
        dir.path().join("benchmarks/results/cnn_digits.json"),
    )
    .unwrap();
    let stored = benchbook::bench::store::load(dir.path(), "cnn_digits")
        .unwrap()
        .expect("the stored result");
    for run in &stored.runs {
        assert!(run.schedule.is_empty() && run.discarded.is_empty());
        assert_eq!(run.repetitions.len(), 3);
        for rep in &run.repetitions {
            assert_eq!(rep.sequence, None);
            for m in rep.result.metrics.values() {
                assert_eq!((m.warmup, &m.region), (0, &None));
            }
        }
    }
    let mut ctx = context();
    ctx.results.insert("cnn_digits".into(), stored);
    // Every sample counts (no warm-up marks): torch's per-process medians 10.3, 10.35,
    // 10.65 ms → 10.35 ms; the 50 ms step is still the max.
    let out = ok_with(
        &ctx,
        "{{ bench.cnn_digits.torch.step_time.median }} n {{ bench.cnn_digits.torch.step_time.n }} samples {{ bench.cnn_digits.torch.step_time.samples }} max {{ bench.cnn_digits.torch.step_time.max }}\n",
    );
    assert_eq!(
        out,
        format!(
            "{} n 3 samples 12 max {}\n",
            nbsp("10.3 ms"),
            nbsp("50.0 ms")
        )
    );
    let body = "{{ table(bench=\"cnn_digits\") }}\n\n{{ environment(bench=\"cnn_digits\") }}\n\n{{ bar_chart(bench=\"cnn_digits\", metric=\"step_time\") }}\n\n{{ line_chart(bench=\"cnn_digits\", series=[\"train_loss\"]) }}\n";
    let out = ok_with(&ctx, body);
    let html = Html::parse_fragment(&out);
    let rows: Vec<ElementRef> = html.select(&sel("table.bb-results tbody tr")).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        cells(&rows[0])[0].value().attr("title"),
        Some("3 processes, 12 samples")
    );
    assert_eq!(
        text(cells(&rows[0])[2]),
        "too few runs for a verdict (3 and 3 processes; 5 a side needed)"
    );
    assert_eq!(
        text(cells(&rows[2])[2]),
        "TensorFlow 1.25x smaller (exact: every process measured the same value)"
    );
    let env = text(html.select(&sel("aside.bb-env")).next().unwrap());
    for needle in [
        "2026-11-20T10:00:00Z to 2026-11-20T10:05:00Z; 3 separate processes per runner and point, after 1 discarded warmup run",
        "Ordereach runner's processes one after another (measured before benchbook interleaved runners)",
    ] {
        assert!(env.contains(needle), "missing {needle:?} in {env}");
    }
    assert!(!env.contains("What each timer covers"), "{env}");
    assert_eq!(html.select(&sel("figure.bb-chart")).count(), 2);
}

// ---------------------------------------------------------------------------------------
// The distribution of the pooled samples beside the statistics over processes

#[test]
fn p50_describes_the_pooled_samples_not_the_processes() {
    // Six processes: three of 1 ms, three whose samples are mostly 9 ms. Per-process medians
    // 1 1 1 9 9 9 → median 5 ms; the 18 pooled samples (nine 1s, 2, 3, 4, six 9s) → p50 1.5 ms
    // (mod.rs: `min`, `max`, `q1`, `q3`, `iqr`, `p50`, `p90`, `p99` describe the pooled
    // steady-state samples).
    let mut ctx = context();
    for run in &mut ctx.results.get_mut("cnn_digits").unwrap().runs {
        if run.runner == "torch" {
            let processes = [
                [1.0, 1.0, 1.0],
                [1.0, 1.0, 1.0],
                [1.0, 1.0, 1.0],
                [2.0, 9.0, 9.0],
                [3.0, 9.0, 9.0],
                [4.0, 9.0, 9.0],
            ];
            for (rep, samples) in run.repetitions.iter_mut().zip(processes) {
                let m = rep.result.metrics.get_mut("step_time").unwrap();
                m.samples = samples.iter().map(|v| v / 1000.0).collect();
                m.warmup = 0;
            }
        }
    }
    let out = ok_with(
        &ctx,
        "{{ bench.cnn_digits.torch.step_time.median }} / {{ bench.cnn_digits.torch.step_time.p50 }} {{ bench.cnn_digits.torch.step_time.q1 }}\n",
    );
    // The median over processes is noisy (MAD 4 ms: 1.4826 × 4 / 5 = 119%); the pooled
    // quantiles describe samples and carry no badge.
    assert_eq!(
        out,
        format!(
            "{} <span class=\"bb-noisy\" title=\"processes typically 118.6% from their median (scaled MAD; above 10.0%)\">noisy</span> / {} {}\n",
            nbsp("5.00 ms"),
            nbsp("1.50 ms"),
            nbsp("1.00 ms")
        )
    );
}

#[test]
fn bar_chart_data_table_counts_what_its_header_says() {
    // torch step_time: 6 processes, 24 steady samples.
    let out = ok("{{ bar_chart(bench=\"cnn_digits\", metric=\"step_time\") }}\n");
    let html = Html::parse_fragment(&out);
    let head: Vec<String> = html.select(&sel("details thead th")).map(text).collect();
    let first: Vec<String> = html
        .select(&sel("details tbody tr"))
        .next()
        .unwrap()
        .select(&sel("th, td"))
        .map(text)
        .collect();
    let count = match head[3].as_str() {
        "samples" => "24",
        "processes" => "6",
        other => panic!("unexpected column {other}"),
    };
    assert_eq!(first[3], count, "{head:?} {first:?}");
}

// ---------------------------------------------------------------------------------------
// Bugs the tests above found in src/, fixed: kept as regression tests

/// Six processes a side whose medians are all equal (10 and 7 ms) though their samples differ.
fn equal_process_medians() -> MergeContext {
    let mut ctx = context();
    for run in &mut ctx.results.get_mut("cnn_digits").unwrap().runs {
        let base = if run.runner == "torch" { 0.010 } else { 0.007 };
        for (i, rep) in run.repetitions.iter_mut().enumerate() {
            let m = rep.result.metrics.get_mut("step_time").unwrap();
            m.samples = if i % 2 == 0 {
                vec![base * 0.9, base, base * 1.1]
            } else {
                vec![base * 1.1, base, base * 0.95]
            };
            m.warmup = 0;
        }
    }
    ctx
}

#[test]
fn processes_that_agree_exactly_on_their_medians_are_not_one_process() {
    let ctx = equal_process_medians();
    let out = ok_with(
        &ctx,
        "{{ table(bench=\"cnn_digits\", metrics=[\"step_time\"]) }}\n",
    );
    assert!(!out.contains("one process"), "{out}");
    let out = ok_with(
        &ctx,
        "{{ bench.cnn_digits.torch.step_time.ci_low }} {{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }}\n",
    );
    assert!(!out.contains("zero mean"), "{out}");
    assert!(!out.contains("(1.43x–1.43x)"), "{out}");
}

#[test]
fn predictions_that_differ_only_in_a_later_process_say_so() {
    let mut ctx = context();
    let first = ctx.results["cnn_digits"].runs[0].repetitions[0]
        .result
        .classifications["test"]
        .clone();
    for run in &mut ctx.results.get_mut("cnn_digits").unwrap().runs {
        let tensorflow = run.runner == "tensorflow";
        for (i, rep) in run.repetitions.iter_mut().enumerate() {
            let mut c = first.clone();
            if tensorflow && i == 3 {
                c.predicted[0] = 2;
            }
            rep.result.classifications.insert("test".into(), c);
        }
    }
    let out = ok_with(
        &ctx,
        "{{ predictions(bench=\"cnn_digits\") }} / {{ same_predictions(bench=\"cnn_digits\") }}\n",
    );
    assert!(out.ends_with(" / false\n"), "{out}");
    assert!(!out.contains("different on 0 of"), "{out}");
}

#[test]
fn a_ratio_is_not_one_of_the_page_verdicts() {
    // The borderline verdict of `several_verdicts_on_a_page_are_corrected_together` next to
    // a ratio (not a verdict) of another metric keeps its claim.
    let mut ctx = context();
    let tf = [10.0, 10.2, 9.8, 10.1, 9.9, 10.0];
    set_processes(&mut ctx, "cnn_digits", "tensorflow", "step_time", &ms(&tf));
    set_processes(
        &mut ctx,
        "cnn_digits",
        "torch",
        "step_time",
        &ms(&[10.88, 11.32, 10.44, 11.10, 10.66, 10.88]),
    );
    set_processes(
        &mut ctx,
        "cnn_digits",
        "tensorflow",
        "model_load_time",
        &ms(&tf),
    );
    set_processes(
        &mut ctx,
        "cnn_digits",
        "torch",
        "model_load_time",
        &ms(&[10.0, 10.8, 9.4, 10.5, 9.6, 10.3]),
    );
    let out = ok_with(
        &ctx,
        "{{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }} / {{ ratio(bench=\"cnn_digits\", metric=\"model_load_time\") }}\n",
    );
    assert_eq!(
        inline_verdicts(&out),
        ["TensorFlow 1.09x faster (1.05x–1.12x)"]
    );
}

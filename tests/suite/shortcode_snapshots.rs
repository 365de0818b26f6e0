//! Snapshot tests: the HTML (or text) of every registered shortcode and inline function on
//! the fixed results of tests/fixtures/merge/, compared by `insta` with the snapshots in
//! tests/snapshots/shortcodes/.
//!
//! A registered name without a case here fails [`every_registered_shortcode_has_a_snapshot`].
//! After an intended change of markup: `cargo insta review` (or `INSTA_UPDATE=always cargo
//! test --test suite shortcode_snapshots::`, then `git diff`). Under `CI=true` a changed or
//! missing snapshot fails and nothing is written.

use crate::merge_support;

use benchbook::merge::expand;
use benchbook::model::Page;

/// One case per registered name: `(snapshot name, body)`, the name before `__` being the
/// shortcode's.
const CASES: &[(&str, &str)] = &[
    (
        "table",
        r#"{{ table(bench="cnn_digits", metrics=["step_time", "test_accuracy", "library_size"]) }}"#,
    ),
    (
        "bar_chart",
        r#"{{ bar_chart(bench="cnn_digits", metric="step_time") }}"#,
    ),
    (
        "line_chart",
        r#"{{ line_chart(bench="cnn_digits", series=["train_loss", "val_loss"]) }}"#,
    ),
    (
        "line_chart__sweep",
        r#"{{ line_chart(bench="mlp_synth", metric="step_time", x="batch_size", log_x=true, log_y=true) }}"#,
    ),
    (
        "confusion",
        r#"{{ confusion(bench="cnn_digits", runner="torch") }}"#,
    ),
    (
        "pr_curve",
        r#"{{ pr_curve(bench="digit3", thresholds=[0.25, 0.5, 0.75]) }}"#,
    ),
    ("environment", r#"{{ environment(bench="cnn_digits") }}"#),
    ("probes", r#"{{ probes(bench="probes") }}"#),
    (
        "margin",
        r#"{{ margin(bench="cnn_digits", metric="step_time") }}"#,
    ),
    (
        "break_even",
        r#"{{ break_even(compiled="cnn_digits.tensorflow", eager="cnn_digits.torch") }}"#,
    ),
    (
        "break_even__not",
        r#"{{ break_even(compiled="cnn_digits.torch", eager="cnn_digits.tensorflow") }}"#,
    ),
    (
        "info__dotted",
        r#"{{ info(bench="cnn_digits", runner="torch", key="inputs.initial_weights_from") }}"#,
    ),
    (
        "series_last",
        r#"{{ series_last(bench="cnn_digits", runner="torch", series="train_loss", field="y") }}"#,
    ),
    (
        "series_min",
        r#"{{ series_min(bench="cnn_digits", runner="torch", series="val_loss") }}"#,
    ),
    (
        "series_max",
        r#"{{ series_max(bench="cnn_digits", runner="torch", series="val_loss", field="y") }}"#,
    ),
    (
        "verdicts_by",
        r#"{{ verdicts_by(bench="mlp_synth", metric="step_time", by="batch_size") }}"#,
    ),
    (
        "verdict_changes",
        r#"{{ verdict_changes(bench="mlp_synth", metric="step_time", by="batch_size") }}"#,
    ),
    (
        "claim",
        r#"{{ claim(bench="cnn_digits", metric="step_time", expect="tensorflow", text="TensorFlow is faster") }}"#,
    ),
    (
        "accuracy",
        r#"{{ accuracy(bench="cnn_digits", runner="torch") }}"#,
    ),
    ("predictions", r#"{{ predictions(bench="cnn_digits") }}"#),
    (
        "same_predictions",
        r#"{{ same_predictions(bench="cnn_digits") }}"#,
    ),
    (
        "verdict",
        r#"Inline: {{ verdict(bench="cnn_digits", metric="step_time") }}."#,
    ),
    (
        "verdict__block",
        "{{ verdict(bench=\"cnn_digits\", metric=\"step_time\") }}\n\nnext",
    ),
    (
        "verdict__cells",
        r#"{{ verdict(a="cnn_digits.torch", b="cnn_digits.tensorflow", metric="step_time") }}"#,
    ),
    (
        "faster",
        r#"{{ faster(bench="cnn_digits", metric="step_time") }}"#,
    ),
    (
        "better",
        r#"{{ better(bench="cnn_digits", metric="test_accuracy") }}"#,
    ),
    (
        "is_faster",
        r#"{{ is_faster(bench="cnn_digits", metric="step_time", runner="torch") }}"#,
    ),
    (
        "is_better",
        r#"{{ is_better(bench="cnn_digits", metric="step_time", runner="tensorflow") }}"#,
    ),
    (
        "no_difference",
        r#"{{ no_difference(bench="cnn_digits", metric="step_time") }}"#,
    ),
    (
        "no_clear_difference",
        r#"{{ no_clear_difference(bench="cnn_digits", metric="step_time") }}"#,
    ),
    (
        "no_practical_difference",
        r#"{{ no_practical_difference(bench="cnn_digits", metric="library_size") }}"#,
    ),
    (
        "inconclusive",
        r#"{{ inconclusive(bench="cnn_digits", metric="step_time") }}"#,
    ),
    (
        "ratio",
        r#"{{ ratio(bench="cnn_digits", metric="library_size") }}"#,
    ),
    (
        "ratio__cells",
        r#"{{ ratio(a="cnn_digits.torch", b="cnn_digits.tensorflow", metric="step_time") }}"#,
    ),
    ("measured", r#"{{ measured(bench="probes") }}"#),
    (
        "label",
        r#"{{ label(bench="cnn_digits", runner="tensorflow") }}"#,
    ),
    (
        "probe",
        r#"{{ probe(bench="probes", runner="torch", name="shape_mismatch", field="message") }}"#,
    ),
    (
        "probe_is",
        r#"{{ probe_is(bench="probes", runner="tensorflow", name="shape_mismatch", stage="run") }}"#,
    ),
    (
        "pr_at",
        r#"{{ pr_at(bench="digit3", runner="torch", threshold=0.25, field="precision") }}"#,
    ),
    (
        "majority_accuracy",
        r#"{{ majority_accuracy(bench="digit3", runner="torch") }}"#,
    ),
    (
        "info",
        r#"{{ info(bench="cnn_digits", runner="torch", key="model_format") }}"#,
    ),
    (
        "processes",
        r#"{{ processes(bench="cnn_digits", runner="torch", metric="step_time") }}"#,
    ),
];

fn page(body: &str) -> Page {
    merge_support::page_at("content/snap.md", "snap.html", "Snapshots", body)
}

#[test]
fn every_registered_shortcode_has_a_snapshot() {
    let (blocks, inlines) = benchbook::merge::shortcode_names();
    for name in blocks.iter().chain(&inlines) {
        assert!(
            CASES
                .iter()
                .any(|(case, _)| case.split("__").next() == Some(*name)),
            "no snapshot case for `{name}` in tests/suite/shortcode_snapshots.rs"
        );
    }
}

#[test]
fn shortcode_html_matches_its_snapshot() {
    let ctx = merge_support::context();
    insta::with_settings!({
        snapshot_path => "../snapshots/shortcodes",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        for (case, body) in CASES {
            let mut p = page(body);
            let d = expand(&mut p, &ctx);
            assert!(d.is_empty(), "{case}: unexpected errors:\n{d}");
            insta::assert_snapshot!(*case, p.body);
        }
    });
}

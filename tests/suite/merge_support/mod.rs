//! Shared by the merge tests: the hand-written stored results of tests/fixtures/merge/ and
//! a merge context declaring them.
#![allow(dead_code)]

use benchbook::merge::{DeclaredBenchmark, MergeContext};
use benchbook::results::StoredBenchmark;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

pub fn fixture(id: &str) -> StoredBenchmark {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/merge")
        .join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn declared(title: &str, metrics: &[&str]) -> DeclaredBenchmark {
    DeclaredBenchmark {
        title: title.into(),
        runners: vec!["torch".into(), "tensorflow".into()],
        metrics: metrics.iter().map(|m| m.to_string()).collect(),
        matrix: BTreeMap::new(),
        compare: None,
        ..Default::default()
    }
}

/// The fixtures, declared as their pages expect them.
pub fn context() -> MergeContext {
    let mut results = BTreeMap::new();
    for id in ["cnn_digits", "digit3", "mlp_synth", "probes"] {
        results.insert(id.to_string(), fixture(id));
    }
    let mut decl = BTreeMap::new();
    decl.insert(
        "cnn_digits".into(),
        declared(
            "CNN on digits",
            &[
                "step_time",
                "test_accuracy",
                "library_size",
                "model_load_time",
            ],
        ),
    );
    decl.insert("digit3".into(), declared("Is it a 3?", &["test_accuracy"]));
    let mut mlp = declared("MLP on synthetic data", &["step_time"]);
    mlp.matrix
        .insert("batch_size".into(), vec![json!(1), json!(32), json!(128)]);
    mlp.matrix.insert("threads".into(), vec![json!(1)]);
    decl.insert("mlp_synth".into(), mlp);
    decl.insert("probes".into(), declared("Debugging probes", &[]));
    MergeContext::new(results, decl).with_result_dir(Path::new("benchmarks/results"))
}

/// A page at `source` (written to `output`) that lists the fixture benchmarks in its front
/// matter (title on line 2, `benchmarks:` on line 3) and whose body starts on line 5.
pub fn page_at(source: &str, output: &str, title: &str, body: &str) -> benchbook::model::Page {
    benchbook::model::Page {
        source: source.into(),
        output: output.into(),
        front: benchbook::model::FrontMatter {
            title: title.into(),
            benchmarks: vec![
                "cnn_digits".into(),
                "digit3".into(),
                "mlp_synth".into(),
                "probes".into(),
            ],
            ..Default::default()
        },
        front_lines: vec![("title".into(), 2), ("benchmarks".into(), 3)],
        body: body.to_string(),
        body_line: 5,
        rendered: None,
    }
}

//! The runner binary end to end: the conformance checks every runner passes
//! (`benchbook-runner-conformance`), then what only TensorFlow says. Needs libtensorflow on
//! the library path (LD_LIBRARY_PATH, as `benchbook setup` provides) and the digits data set
//! in the benchbook cache.

use benchbook_runner_common::protocol::Stage;
use benchbook_runner_conformance::{conformance_tests, Subject};
use serde_json::json;

fn tensorflow() -> Subject {
    Subject::new(
        "tensorflow",
        env!("CARGO_BIN_EXE_benchbook-runner-tensorflow"),
    )
    .env("TF_CPP_MIN_LOG_LEVEL", "2")
    .version("2.21.0")
    .library("libtensorflow")
}

conformance_tests!(tensorflow());

#[test]
fn probes_report_graph_construction_errors() {
    let r = tensorflow().run(json!({"task": "probes", "threads": 1}));
    let shape = &r.probes[0];
    assert_eq!(shape.stage, Stage::Build);
    assert!(
        shape
            .message
            .as_deref()
            .unwrap()
            .contains("Dimensions must be equal"),
        "{shape:?}"
    );
    let dtype = &r.probes[1];
    assert_eq!(dtype.stage, Stage::Build);
    assert!(
        dtype.message.as_deref().unwrap().contains("DT_INT64"),
        "{dtype:?}"
    );
}

#[test]
fn sessions_can_run_in_the_callers_thread() {
    let mut w = benchbook_runner_conformance::tiny_train(
        json!({"name": "digits"}),
        json!({"kind": "logreg"}),
        json!({"kind": "sgd", "lr": 0.1, "momentum": 0.0}),
    );
    w["tf_run_in_caller_thread"] = json!(true);
    w["save_model"] = json!(false);
    let r = tensorflow().run(w);
    assert!(r.info["session_run"]
        .as_str()
        .unwrap()
        .contains("caller's thread"));
    assert!(r.info.contains_key("first_step_breakdown_s"));
}

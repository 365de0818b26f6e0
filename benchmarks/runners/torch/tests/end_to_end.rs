//! The runner binary end to end: the conformance checks every runner passes
//! (`benchbook-runner-conformance`), then what only libtorch says. Needs the digits data
//! (`benchbook setup`) and libtorch (linked with an rpath at build time).

use benchbook_runner_common::protocol::Stage;
use benchbook_runner_conformance::{conformance_tests, Subject};
use serde_json::json;

fn torch() -> Subject {
    Subject::new("torch", env!("CARGO_BIN_EXE_benchbook-runner-torch"))
        .version("2.13.0")
        .library("libtorch_cpu")
}

conformance_tests!(torch());

#[test]
fn probes_record_libtorch_messages_verbatim() {
    let r = torch().run(json!({"task": "probes", "threads": 1}));
    let p = &r.probes[0];
    assert_eq!(p.stage, Stage::Run);
    assert_eq!(
        p.message.as_deref(),
        Some("mat1 and mat2 shapes cannot be multiplied (32x64 and 32x10)")
    );
    assert_eq!(r.probes[1].stage, Stage::None);
    assert_eq!(
        r.probes[1].observed.as_deref(),
        Some("no error: result dtype float32 (int64 promoted)")
    );
    assert_eq!(r.probes[2].stage, Stage::Run);
    assert!(r.probes[2]
        .message
        .as_deref()
        .unwrap()
        .contains("does not require grad"));
    assert!(r.info["probe_messages"].as_str().is_some());
}

#[test]
fn tensorflow_only_keys_are_refused() {
    let mut w = benchbook_runner_conformance::tiny_train(
        json!({"name": "digits"}),
        json!({"kind": "logreg"}),
        json!({"kind": "sgd", "lr": 0.1, "momentum": 0.0}),
    );
    w["tf_onednn"] = json!(false);
    let s = torch();
    let out = s.run_raw(&s.spec(&w).to_string(), &[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("TensorFlow runner only"),
        "{}",
        out.stderr
    );
}

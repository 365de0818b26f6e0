//! The `cold_start` task: this process loads the saved model and predicts once, timed from
//! the moment benchbook spawned it (see `common::cold` and `common::regions`).

use crate::train::{save_model, Loaded, MODEL_FORMAT};
use crate::{graph, new_result, session_options, Context};
use benchbook_runner_common::{self as common, cold, protocol, regions, ColdStartSpec};
use protocol::{Metric, RunResult, Spec, Unit};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tensorflow::{Session, SessionRunArgs};

/// The framework's directory name under `<cache>/models/`.
const FRAMEWORK_DIR: &str = "tensorflow";

fn seconds(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

pub fn run(spec: &Spec, cs: &ColdStartSpec) -> Result<RunResult, String> {
    let spawned = cold::spawn_ns()?;
    let model = cs.model_spec()?;
    let (shape, classes) = cs.dataset.shape_and_classes();
    let features: usize = shape.iter().product();
    let dir = cold::model_dir(FRAMEWORK_DIR, &model, shape, classes, cs.seed);
    let row = cold::input_row(features, cs.seed);
    if !dir.join("saved_model.pb").is_file() {
        if cold::created_before().is_some() {
            return Err(format!(
                "{} is still missing after creating it",
                dir.display()
            ));
        }
        let begin = Instant::now();
        create(&model, shape, classes, cs.seed, cs.threads, &dir)?;
        eprintln!(
            "created {} in {:.2} s; re-executing to measure a fresh process",
            dir.display(),
            seconds(begin)
        );
        return Err(cold::reexec(spec, seconds(begin)));
    }

    // The measured work: load, then one prediction (regions::COLD_LOAD, COLD_PREDICT).
    let begin = Instant::now();
    let loaded = Loaded::load(&dir, cs.threads)?;
    let load = seconds(begin);
    let begin = Instant::now();
    let logits = loaded.predict(&row, features)?;
    let predict = seconds(begin);
    let to_prediction = cold::seconds_since(spawned);

    if logits.len() != classes || logits.iter().any(|v| !v.is_finite()) {
        return Err(format!(
            "the loaded model predicts {logits:?}, expected {classes} finite logits"
        ));
    }
    let mut result = new_result();
    let m = &mut result.metrics;
    let one = |value, region| Metric::new(Unit::Seconds, vec![value]).with_region(region);
    m.insert(
        "spawn_to_prediction".into(),
        one(to_prediction, regions::COLD_SPAWN_TO_PREDICTION),
    );
    m.insert("cold_load_time".into(), one(load, regions::COLD_LOAD));
    m.insert(
        "cold_predict_time".into(),
        one(predict, regions::COLD_PREDICT),
    );
    m.insert(
        "model_size".into(),
        Metric::new(Unit::Bytes, vec![common::dir_size(&dir) as f64]),
    );
    let created = cold::created_before();
    result
        .info
        .insert("model_created_first".into(), json!(created.is_some()));
    if let Some(s) = created {
        result.info.insert("model_creation_s".into(), json!(s));
    }
    result
        .info
        .insert("model_path".into(), json!(dir.display().to_string()));
    result
        .info
        .insert("model_format".into(), json!(MODEL_FORMAT));
    result.info.insert(
        "cold_start_input".into(),
        json!(format!(
            "one row of {features} uniform pixels from seed {}",
            cs.seed
        )),
    );
    Ok(result)
}

/// Save the seed's initial model exactly as the train task saves a trained one (through the
/// training graph's variables), atomically.
fn create(
    model: &common::ModelSpec,
    shape: [usize; 3],
    classes: usize,
    seed: u64,
    threads: u32,
    dir: &Path,
) -> Result<(), String> {
    let layers = common::layers(model, shape, classes);
    let init = common::initial_params(&layers, seed);
    // The optimizer is never run; the saved model holds the inference graph only.
    let sgd = common::OptimizerSpec::Sgd {
        lr: 0.0,
        momentum: 0.0,
    };
    let g = graph::build_train(&layers, shape, classes, &init, &sgd)
        .ctx("building the training graph")?;
    let session =
        Session::new(&session_options(threads)?, &g.scope.graph()).ctx("creating the session")?;
    let mut init_args = SessionRunArgs::new();
    for op in &g.init {
        init_args.add_target(op);
    }
    session
        .run(&mut init_args)
        .ctx("initialising the variables")?;
    let parent = dir
        .parent()
        .ok_or_else(|| format!("{} has no parent", dir.display()))?;
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let partial = PathBuf::from(format!("{}.partial-{}", dir.display(), std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    save_model(&session, &g, &layers, shape, &init, threads, &partial)
        .map_err(|e| format!("creating the cold-start model: {e}"))?;
    match std::fs::rename(&partial, dir) {
        Ok(()) => Ok(()),
        // Another process made it first: theirs is as good.
        Err(_) if dir.join("saved_model.pb").is_file() => {
            let _ = std::fs::remove_dir_all(&partial);
            Ok(())
        }
        Err(e) => Err(format!("{} → {}: {e}", partial.display(), dir.display())),
    }
}

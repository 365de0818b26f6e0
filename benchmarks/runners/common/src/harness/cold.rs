//! The `cold_start` task: this process loads the saved model and predicts once, timed from
//! the moment benchbook spawned it (see [`crate::cold`] and [`crate::regions`]). The first
//! process to need a model creates it (the seed's initial weights, saved exactly as `train`
//! saves a trained model) and re-executes itself, so the measured process never includes it.

use super::{new_result, seconds, ModelSetup, Predict, Runner, Trainer};
use crate::cold;
use crate::metrics as names;
use crate::protocol::{RunResult, Spec};
use crate::{ColdStartSpec, ModelSpec, OptimizerSpec};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn run<R: Runner>(
    runner: &mut R,
    spec: &Spec,
    cs: &ColdStartSpec,
) -> Result<RunResult, String> {
    let spawned = cold::spawn_ns()?;
    let model = cs.model_spec()?;
    let (shape, classes) = cs.dataset.shape_and_classes();
    let features: usize = shape.iter().product();
    let dir = cold::model_dir(R::NAME, &model, shape, classes, cs.seed);
    let path = R::model_path(&dir);
    let row = cold::input_row(features, cs.seed);
    if !dir.join(R::SAVED_MODEL_FILE).is_file() {
        if cold::created_before().is_some() {
            return Err(format!(
                "{} is still missing after creating it",
                path.display()
            ));
        }
        let begin = Instant::now();
        create(runner, &model, shape, classes, cs, &row, &dir)?;
        eprintln!(
            "created {} in {:.2} s; re-executing to measure a fresh process",
            path.display(),
            seconds(begin)
        );
        return Err(cold::reexec(spec, seconds(begin)));
    }

    // The measured work: load, then one prediction (regions::COLD_LOAD, COLD_PREDICT).
    runner.inference_only();
    let begin = Instant::now();
    let mut loaded = runner.load(&path, cs.threads)?;
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
    let size = crate::dir_size(&path) as f64;
    for (def, value) in [
        (names::SPAWN_TO_PREDICTION, to_prediction),
        (names::COLD_LOAD_TIME, load),
        (names::COLD_PREDICT_TIME, predict),
        (names::MODEL_SIZE, size),
    ] {
        result.metrics.insert(def.name.into(), def.one(value));
    }
    let created = cold::created_before();
    let info = &mut result.info;
    info.insert("model_created_first".into(), json!(created.is_some()));
    if let Some(s) = created {
        info.insert("model_creation_s".into(), json!(s));
    }
    info.insert("model_path".into(), json!(path.display().to_string()));
    info.insert("model_format".into(), json!(R::MODEL_FORMAT));
    info.insert(
        "cold_start_input".into(),
        json!(format!(
            "one row of {features} uniform pixels from seed {}",
            cs.seed
        )),
    );
    Ok(result)
}

/// Save the seed's initial model exactly as the train task saves a trained one (a trainer
/// that never steps), atomically: into a partial directory, then renamed.
fn create<R: Runner>(
    runner: &mut R,
    model: &ModelSpec,
    shape: [usize; 3],
    classes: usize,
    cs: &ColdStartSpec,
    row: &[f32],
    dir: &Path,
) -> Result<(), String> {
    let layers = crate::layers(model, shape, classes);
    let init = crate::initial_params(&layers, cs.seed);
    // The optimizer never runs; the saved model holds the forward pass only.
    let sgd = OptimizerSpec::Sgd {
        lr: 0.0,
        momentum: 0.0,
    };
    let mut trainer = runner.trainer(&ModelSetup {
        layers: &layers,
        init: &init,
        shape,
        classes,
        optimizer: &sgd,
        threads: cs.threads,
        start: Instant::now(),
    })?;
    let parent = dir
        .parent()
        .ok_or_else(|| format!("{} has no parent", dir.display()))?;
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let partial = PathBuf::from(format!("{}.partial-{}", dir.display(), std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    trainer
        .save(&partial, row)
        .map_err(|e| format!("creating the cold-start model: {e}"))?;
    match std::fs::rename(&partial, dir) {
        Ok(()) => Ok(()),
        // Another process made it first: theirs is as good.
        Err(_) if dir.join(R::SAVED_MODEL_FILE).is_file() => {
            let _ = std::fs::remove_dir_all(&partial);
            Ok(())
        }
        Err(e) => Err(format!("{} → {}: {e}", partial.display(), dir.display())),
    }
}

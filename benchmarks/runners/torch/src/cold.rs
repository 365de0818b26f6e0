//! The `cold_start` task: this process loads the saved model and predicts once, timed from
//! the moment benchbook spawned it (see `common::cold` and `common::regions`).

use crate::model::Net;
use crate::pending_info;
use crate::train::{self, seconds};
use benchbook_runner_common as common;
use common::protocol::{Metric, RunResult, Spec, Unit};
use common::{cold, regions, ColdStartSpec};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The framework's directory name under `<cache>/models/`.
const FRAMEWORK_DIR: &str = "torch";

pub fn run(spec: &Spec, cs: &ColdStartSpec) -> Result<RunResult, String> {
    let spawned = cold::spawn_ns()?;
    let model = cs.model_spec()?;
    let (shape, classes) = cs.dataset.shape_and_classes();
    let features: usize = shape.iter().product();
    let dir = cold::model_dir(FRAMEWORK_DIR, &model, shape, classes, cs.seed);
    let path = dir.join("model.pt");
    let row = cold::input_row(features, cs.seed);
    if !path.is_file() {
        if cold::created_before().is_some() {
            return Err(format!(
                "{} is still missing after creating it",
                path.display()
            ));
        }
        let begin = Instant::now();
        create(&model, shape, classes, cs.seed, &row, &dir)?;
        eprintln!(
            "created {} in {:.2} s; re-executing to measure a fresh process",
            path.display(),
            seconds(begin)
        );
        return Err(cold::reexec(spec, seconds(begin)));
    }

    // The measured work: load, then one prediction (regions::COLD_LOAD, COLD_PREDICT).
    let _guard = tch::no_grad_guard();
    let begin = Instant::now();
    let module = train::load_model(&path)?;
    let load = seconds(begin);
    let begin = Instant::now();
    let logits = train::predict(&row, features, |x| train::run_loaded(&module, x))?;
    let predict = seconds(begin);
    let to_prediction = cold::seconds_since(spawned);

    if logits.len() != classes || logits.iter().any(|v| !v.is_finite()) {
        return Err(format!(
            "the loaded model predicts {logits:?}, expected {classes} finite logits"
        ));
    }
    let mut result = RunResult::new(pending_info());
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
        Metric::new(Unit::Bytes, vec![common::dir_size(&path) as f64]),
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
        .insert("model_path".into(), json!(path.display().to_string()));
    result
        .info
        .insert("model_format".into(), json!(train::MODEL_FORMAT));
    result.info.insert(
        "cold_start_input".into(),
        json!(format!(
            "one row of {features} uniform pixels from seed {}",
            cs.seed
        )),
    );
    Ok(result)
}

/// Save the seed's initial model exactly as the train task saves a trained one, atomically.
fn create(
    model: &common::ModelSpec,
    shape: [usize; 3],
    classes: usize,
    seed: u64,
    row: &[f32],
    dir: &Path,
) -> Result<(), String> {
    let layers = common::layers(model, shape, classes);
    let init = common::initial_params(&layers, seed);
    let net = Net::new(&layers, &init, shape)?;
    let parent = dir
        .parent()
        .ok_or_else(|| format!("{} has no parent", dir.display()))?;
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let partial = PathBuf::from(format!("{}.partial-{}", dir.display(), std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    let features = row.len();
    let example = tch::Tensor::from_slice(row).view([1, features as i64]);
    train::save_torchscript(&net, &example, &partial.join("model.pt"))
        .map_err(|e| format!("creating the cold-start model: {e}"))?;
    match std::fs::rename(&partial, dir) {
        Ok(()) => Ok(()),
        // Another process made it first: theirs is as good.
        Err(_) if dir.join("model.pt").is_file() => {
            let _ = std::fs::remove_dir_all(&partial);
            Ok(())
        }
        Err(e) => Err(format!("{} → {}: {e}", partial.display(), dir.display())),
    }
}

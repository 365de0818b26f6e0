//! Every name a runner reports under, in one table: each metric with its unit, the region its
//! timer covers ([`crate::regions`]) and its leading warm-up samples ([`crate::warmup`]); the
//! series, classifications and scores of the `train` task. The harness builds every metric
//! from this table, and the conformance tests check every runner's output against it.

use crate::protocol::{Metric, Unit};
use crate::{regions, warmup};

/// A metric as every runner reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricDef {
    pub name: &'static str,
    pub unit: Unit,
    /// What its timer covers ([`crate::regions`]); `None` for a metric that is not timed.
    pub region: Option<&'static str>,
    /// Leading samples that are one-off costs.
    pub warmup: usize,
}

impl MetricDef {
    const fn plain(name: &'static str, unit: Unit) -> MetricDef {
        MetricDef {
            name,
            unit,
            region: None,
            warmup: 0,
        }
    }

    const fn timed(name: &'static str, unit: Unit, region: &'static str, warmup: usize) -> Self {
        MetricDef {
            name,
            unit,
            region: Some(region),
            warmup,
        }
    }

    /// The metric with these samples, its unit, region and warm-up count.
    pub fn metric(&self, samples: Vec<f64>) -> Metric {
        let m = Metric::new(self.unit, samples).with_warmup(self.warmup);
        match self.region {
            Some(r) => m.with_region(r),
            None => m,
        }
    }

    /// The metric of one sample.
    pub fn one(&self, value: f64) -> Metric {
        self.metric(vec![value])
    }
}

// ---- train
pub const TIME_TO_FIRST_STEP: MetricDef = MetricDef::timed(
    "time_to_first_step",
    Unit::Seconds,
    regions::TIME_TO_FIRST_STEP,
    0,
);
pub const FIRST_STEP_TIME: MetricDef =
    MetricDef::timed("first_step_time", Unit::Seconds, regions::FIRST_STEP, 0);
pub const STEP_TIME: MetricDef = MetricDef::timed(
    "step_time",
    Unit::Seconds,
    regions::TRAIN_STEP,
    warmup::STEPS,
);
pub const TRAIN_TIME: MetricDef =
    MetricDef::timed("train_time", Unit::Seconds, regions::TRAIN_LOOP, 0);
pub const TRAIN_THROUGHPUT: MetricDef = MetricDef::timed(
    "train_throughput",
    Unit::ItemsPerSecond,
    regions::TRAIN_STEADY,
    0,
);
pub const TRAIN_GFLOPS: MetricDef = MetricDef::timed(
    "train_gflops",
    Unit::FlopsPerSecond,
    regions::TRAIN_STEADY_FLOPS,
    0,
);
pub const PARAMETERS: MetricDef = MetricDef::plain("parameters", Unit::Count);
pub const TEST_ACCURACY: MetricDef = MetricDef::plain("test_accuracy", Unit::Fraction);
pub const TEST_LOSS: MetricDef = MetricDef::plain("test_loss", Unit::Plain);
pub const LATENCY_B1: MetricDef = MetricDef::timed(
    "latency_b1",
    Unit::Seconds,
    regions::LATENCY,
    warmup::LATENCY,
);
pub const INFER_THROUGHPUT: MetricDef = MetricDef::timed(
    "infer_throughput",
    Unit::ItemsPerSecond,
    regions::INFER_BATCH,
    warmup::INFER_BATCHES,
);
/// Bytes of the saved model (train and cold_start).
pub const MODEL_SIZE: MetricDef = MetricDef::plain("model_size", Unit::Bytes);
pub const MODEL_LOAD_TIME: MetricDef = MetricDef::timed(
    "model_load_time",
    Unit::Seconds,
    regions::MODEL_RELOAD,
    warmup::RELOADS,
);

// ---- cold_start
pub const SPAWN_TO_PREDICTION: MetricDef = MetricDef::timed(
    "spawn_to_prediction",
    Unit::Seconds,
    regions::COLD_SPAWN_TO_PREDICTION,
    0,
);
pub const COLD_LOAD_TIME: MetricDef =
    MetricDef::timed("cold_load_time", Unit::Seconds, regions::COLD_LOAD, 0);
pub const COLD_PREDICT_TIME: MetricDef =
    MetricDef::timed("cold_predict_time", Unit::Seconds, regions::COLD_PREDICT, 0);

// ---- every task
/// Bytes on disk of the framework's shared libraries this process loaded.
pub const LIBRARY_SIZE: MetricDef = MetricDef::plain("library_size", Unit::Bytes);
/// Times a compiled variant (torch.compile, tf.function, XLA) traced or compiled again after
/// its first call during training; reported only by runners that compile.
pub const RECOMPILATIONS: MetricDef = MetricDef::plain("recompilations", Unit::Count);

/// Metrics of any task: [`LIBRARY_SIZE`] and [`RECOMPILATIONS`].
pub const OTHERS: &[MetricDef] = &[LIBRARY_SIZE, RECOMPILATIONS];

// ---- matmul
/// `matmul_<n>`: FLOP/s of one n x n product, one sample per timed repetition.
pub const MATMUL_PREFIX: &str = "matmul_";

/// The metric of the n x n matrix product.
pub fn matmul(n: usize) -> (String, MetricDef) {
    (
        format!("{MATMUL_PREFIX}{n}"),
        MetricDef::plain("matmul_<n>", Unit::FlopsPerSecond),
    )
}

/// The metrics of the `train` task (the last five only when the spec asks for their work:
/// `latency_samples`, `throughput_batch`, `save_model`; the steady-state two only past the
/// first step).
pub const TRAIN: &[MetricDef] = &[
    TIME_TO_FIRST_STEP,
    FIRST_STEP_TIME,
    STEP_TIME,
    TRAIN_TIME,
    PARAMETERS,
    TEST_ACCURACY,
    TEST_LOSS,
    TRAIN_THROUGHPUT,
    TRAIN_GFLOPS,
    LATENCY_B1,
    INFER_THROUGHPUT,
    MODEL_SIZE,
    MODEL_LOAD_TIME,
];

/// The metrics of the `cold_start` task.
pub const COLD_START: &[MetricDef] = &[
    SPAWN_TO_PREDICTION,
    COLD_LOAD_TIME,
    COLD_PREDICT_TIME,
    MODEL_SIZE,
];

/// The definition of a metric name any runner may report.
pub fn find(name: &str) -> Option<MetricDef> {
    if let Some(n) = name.strip_prefix(MATMUL_PREFIX) {
        return n.parse::<usize>().ok().map(|n| matmul(n).1);
    }
    TRAIN
        .iter()
        .chain(COLD_START)
        .chain(OTHERS)
        .find(|m| m.name == name)
        .copied()
}

/// A series against the epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesDef {
    pub name: &'static str,
    pub unit: Unit,
}

/// The x label of every series of the `train` task.
pub const EPOCH: &str = "epoch";
pub const TRAIN_LOSS: SeriesDef = SeriesDef {
    name: "train_loss",
    unit: Unit::Plain,
};
pub const TRAIN_ACCURACY: SeriesDef = SeriesDef {
    name: "train_accuracy",
    unit: Unit::Fraction,
};
pub const VAL_LOSS: SeriesDef = SeriesDef {
    name: "val_loss",
    unit: Unit::Plain,
};
pub const VAL_ACCURACY: SeriesDef = SeriesDef {
    name: "val_accuracy",
    unit: Unit::Fraction,
};
/// The series of the `train` task, one point per epoch.
pub const SERIES: &[SeriesDef] = &[TRAIN_LOSS, TRAIN_ACCURACY, VAL_LOSS, VAL_ACCURACY];

/// The test-set classification (and, on a one-vs-rest task, the binary scores).
pub const TEST: &str = "test";
/// The test rows that leaked into training, and those never seen (`leak_fraction` > 0).
pub const TEST_LEAKED: &str = "test_leaked";
pub const TEST_UNSEEN: &str = "test_unseen";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let mut names: Vec<&str> = TRAIN.iter().map(|m| m.name).collect();
        names.extend(
            COLD_START
                .iter()
                .map(|m| m.name)
                .filter(|n| *n != "model_size"),
        );
        names.extend(OTHERS.iter().map(|m| m.name));
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for n in names {
            assert_eq!(find(n).unwrap().name, n);
        }
        assert_eq!(find("matmul_512").unwrap().unit, Unit::FlopsPerSecond);
        assert!(find("matmul_x").is_none() && find("nope").is_none());
    }

    #[test]
    fn metrics_carry_region_and_warmup() {
        let m = STEP_TIME.metric(vec![1.0, 2.0]);
        assert_eq!(m.warmup, warmup::STEPS);
        assert_eq!(m.region.as_deref(), Some(regions::TRAIN_STEP));
        let p = PARAMETERS.one(3.0);
        assert_eq!((p.warmup, p.region), (0, None));
    }
}

//! Classification maths: confusion matrices (per-class precision, recall, F1, accuracy) and
//! precision–recall curves of binary scores. Pure, like the rest of [`crate::stats`]; the
//! merge stage's shortcodes and inline functions draw and quote them.

use benchbook_protocol::{BinaryScores, Classification};

/// Counts of a classification, `counts[true][predicted]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConfusionMatrix {
    pub classes: Vec<String>,
    pub counts: Vec<Vec<u64>>,
}

impl ConfusionMatrix {
    pub(crate) fn from_classification(c: &Classification) -> Result<Self, String> {
        let n = c.classes.len();
        if n == 0 {
            return Err("no classes".into());
        }
        if c.truth.len() != c.predicted.len() {
            return Err(format!(
                "{} true labels but {} predictions",
                c.truth.len(),
                c.predicted.len()
            ));
        }
        let mut counts = vec![vec![0u64; n]; n];
        for (&t, &p) in c.truth.iter().zip(&c.predicted) {
            let (t, p) = (t as usize, p as usize);
            if t >= n || p >= n {
                return Err(format!("label {} is outside the {n} classes", t.max(p)));
            }
            counts[t][p] += 1;
        }
        Ok(ConfusionMatrix {
            classes: c.classes.clone(),
            counts,
        })
    }

    pub(crate) fn precision(&self, k: usize) -> Option<f64> {
        let col: u64 = self.counts.iter().map(|r| r[k]).sum();
        (col > 0).then(|| self.counts[k][k] as f64 / col as f64)
    }

    pub(crate) fn recall(&self, k: usize) -> Option<f64> {
        let row: u64 = self.counts[k].iter().sum();
        (row > 0).then(|| self.counts[k][k] as f64 / row as f64)
    }

    pub(crate) fn f1(&self, k: usize) -> Option<f64> {
        let (p, r) = (self.precision(k)?, self.recall(k)?);
        (p + r > 0.0).then(|| 2.0 * p * r / (p + r))
    }

    pub(crate) fn accuracy(&self) -> f64 {
        let total: u64 = self.counts.iter().flatten().sum();
        let diag: u64 = (0..self.classes.len()).map(|i| self.counts[i][i]).sum();
        if total == 0 {
            0.0
        } else {
            diag as f64 / total as f64
        }
    }
}

impl ConfusionMatrix {
    /// The accuracy of always answering the most frequent true class.
    pub(crate) fn majority_accuracy(&self) -> f64 {
        let support: Vec<u64> = self.counts.iter().map(|r| r.iter().sum()).collect();
        majority_share(&support)
    }
}

/// The largest count's share of the total (0 when there is nothing).
fn majority_share(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let most = counts.iter().copied().max().unwrap_or(0);
    if total == 0 {
        0.0
    } else {
        most as f64 / total as f64
    }
}

/// Counts at one threshold (an example is predicted positive when its score ≥ threshold).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AtThreshold {
    pub threshold: f64,
    pub true_positives: usize,
    pub false_alarms: usize,
    pub misses: usize,
    pub true_negatives: usize,
    pub precision: Option<f64>,
    pub recall: f64,
    /// (true positives + true negatives) / examples.
    pub accuracy: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct PrCurve {
    pub positive: String,
    truth: Vec<bool>,
    scores: Vec<f64>,
    /// (threshold, precision, recall), thresholds decreasing.
    pub points: Vec<(f64, f64, f64)>,
    /// Average precision: Σ (Rₖ − Rₖ₋₁) · Pₖ.
    pub average_precision: f64,
}

impl PrCurve {
    pub(crate) fn new(s: &BinaryScores) -> Result<Self, String> {
        if s.truth.len() != s.scores.len() {
            return Err(format!(
                "{} labels but {} scores",
                s.truth.len(),
                s.scores.len()
            ));
        }
        if let Some(x) = s.scores.iter().find(|x| !x.is_finite()) {
            return Err(format!("score {x} is not a finite number"));
        }
        let positives = s.truth.iter().filter(|t| **t).count();
        if positives == 0 {
            return Err("no positive examples, so recall is undefined".into());
        }
        let mut order: Vec<usize> = (0..s.scores.len()).collect();
        order.sort_by(|&a, &b| s.scores[b].total_cmp(&s.scores[a]));
        let mut points = Vec::new();
        let (mut tp, mut fp) = (0usize, 0usize);
        let mut ap = 0.0;
        let mut last_recall = 0.0;
        let mut i = 0;
        while i < order.len() {
            let t = s.scores[order[i]];
            while i < order.len() && s.scores[order[i]] == t {
                if s.truth[order[i]] {
                    tp += 1;
                } else {
                    fp += 1;
                }
                i += 1;
            }
            let precision = tp as f64 / (tp + fp) as f64;
            let recall = tp as f64 / positives as f64;
            ap += (recall - last_recall) * precision;
            last_recall = recall;
            points.push((t, precision, recall));
        }
        Ok(PrCurve {
            positive: s.positive.clone(),
            truth: s.truth.clone(),
            scores: s.scores.clone(),
            points,
            average_precision: ap,
        })
    }

    pub(crate) fn at(&self, threshold: f64) -> AtThreshold {
        let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
        for (&t, &x) in self.truth.iter().zip(&self.scores) {
            match (t, x >= threshold) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fn_ += 1,
                (false, false) => tn += 1,
            }
        }
        AtThreshold {
            threshold,
            true_positives: tp,
            false_alarms: fp,
            misses: fn_,
            true_negatives: tn,
            precision: (tp + fp > 0).then(|| tp as f64 / (tp + fp) as f64),
            recall: tp as f64 / (tp + fn_).max(1) as f64,
            accuracy: (tp + tn) as f64 / self.truth.len().max(1) as f64,
        }
    }

    /// The accuracy of always answering the more frequent class (positive or negative).
    pub(crate) fn majority_accuracy(&self) -> f64 {
        let positives = self.truth.iter().filter(|t| **t).count() as u64;
        majority_share(&[positives, self.truth.len() as u64 - positives])
    }
}

//! Statistics against values computed by hand (or by NumPy/R where noted).

use benchbook::stats::{compare, summarize, Side, StatsError, NOISY_SPREAD};
use benchbook_protocol::Better;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * (1.0 + b.abs())
}

#[test]
fn one_to_eight_by_hand() {
    let s = summarize(&[5.0, 3.0, 8.0, 1.0, 2.0, 7.0, 4.0, 6.0]).unwrap();
    assert_eq!(s.n, 8);
    assert!(close(s.median, 4.5));
    assert!(close(s.mean, 4.5));
    // Sum of squared deviations = 42, divided by n-1 = 7 → variance 6.
    assert!(close(s.stddev.unwrap(), 6f64.sqrt()));
    assert_eq!((s.min, s.max), (1.0, 8.0));
    // Type 7: h = 7 * 0.25 = 1.75 → 2 + 0.75 = 2.75; h = 5.25 → 6.25.
    assert!(close(s.q1, 2.75));
    assert!(close(s.q3, 6.25));
    assert!(close(s.iqr, 3.5));
    // numpy.percentile(range(1, 9), [90, 99]) = [7.3, 7.93]
    assert!(close(s.p90, 7.3));
    assert!(close(s.p99, 7.93));
    assert!(close(s.p50, 4.5));
    assert!(close(s.cv.unwrap(), 6f64.sqrt() / 4.5));
    // Spread: 1.4826 * 2.0 / 4.5 = 0.659.
    assert!(close(s.spread.unwrap(), 1.4826 * 2.0 / 4.5));
    assert!(s.noisy(), "a spread of 66% is above {NOISY_SPREAD}");
    // MAD: deviations from 4.5 are 0.5,0.5,1.5,1.5,2.5,2.5,3.5,3.5 → median 2.0.
    assert!(close(s.mad, 2.0));
    assert!(s.outliers.is_empty());
    let ci = s.ci.unwrap();
    assert!(ci.low <= s.median && s.median <= ci.high);
    assert!(ci.low >= 1.0 && ci.high <= 8.0);
}

#[test]
fn single_sample_has_no_spread() {
    let s = summarize(&[0.25]).unwrap();
    assert_eq!(s.n, 1);
    assert_eq!(s.median, 0.25);
    assert_eq!(s.stddev, None);
    assert_eq!(s.ci, None);
    assert_eq!(s.cv, None);
    assert_eq!(s.spread, None);
    assert!(!s.noisy());
    assert_eq!(s.iqr, 0.0);
}

#[test]
fn empty_and_non_finite_are_errors() {
    assert_eq!(summarize(&[]), Err(StatsError::Empty));
    match summarize(&[1.0, f64::NAN]) {
        Err(StatsError::NotFinite { index: 1, .. }) => {}
        other => panic!("expected NotFinite at 1, got {other:?}"),
    }
}

#[test]
fn outliers_are_reported_not_dropped() {
    let samples = [10.0, 10.1, 9.9, 10.0, 10.2, 9.8, 30.0];
    let s = summarize(&samples).unwrap();
    assert_eq!(s.outliers.len(), 1);
    assert_eq!(s.outliers[0].index, 6);
    assert_eq!(s.outliers[0].value, 30.0);
    // MAD = median(|x - 10|) = median(0, .1, .1, 0, .2, .2, 20) = 0.1; z = 0.6745 * 20 / 0.1.
    assert!(close(s.outliers[0].score, 0.6745 * 20.0 / 0.1));
    // The outlier still counts: the max is 30 and the mean includes it.
    assert_eq!(s.max, 30.0);
    assert!(close(s.mean, 90.0 / 7.0));
}

#[test]
fn zero_mad_falls_back_to_mean_absolute_deviation() {
    // Five equal samples and one far away: MAD is 0, but 50 is plainly an outlier.
    let s = summarize(&[1.0, 1.0, 1.0, 1.0, 1.0, 50.0]).unwrap();
    assert_eq!(s.mad, 0.0);
    assert_eq!(s.outliers.iter().map(|o| o.index).collect::<Vec<_>>(), [5]);
    // All equal: nothing is an outlier, nothing is noisy.
    let flat = summarize(&[2.0; 5]).unwrap();
    assert!(flat.outliers.is_empty());
    assert_eq!(flat.cv, Some(0.0));
}

#[test]
fn bootstrap_is_reproducible() {
    let samples: Vec<f64> = (1..=50).map(|i| (i as f64).sqrt()).collect();
    assert_eq!(
        summarize(&samples).unwrap().ci,
        summarize(&samples).unwrap().ci
    );
}

/// Two log-normal-ish sets whose true median ratio is exactly 2.
fn constructed(seed: u64, n: usize, scale: f64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| scale * (1.0 + rng.gen_range(-0.08..0.08)))
        .collect()
}

#[test]
fn ratio_interval_contains_the_true_ratio() {
    let slow = constructed(1, 40, 2.0e-3);
    let fast = constructed(2, 40, 1.0e-3);
    let c = compare(&slow, &fast, Some(Better::Lower)).unwrap();
    let ci = c.ci.unwrap();
    assert!(ci.contains(2.0), "{ci:?} must contain 2");
    assert!(ci.low > 1.8 && ci.high < 2.2, "{ci:?} should be tight");
    assert!(c.differs());
    // Lower is better: the second set (fast) wins by about 2x.
    assert_eq!(c.winner, Some(Side::B));
    let (factor, fci) = c.factor().unwrap();
    assert!((factor - 2.0).abs() < 0.2);
    assert!(fci.contains(2.0));
    assert!(!c.noisy);
    // Higher is better (a throughput): the first set wins.
    let h = compare(&slow, &fast, Some(Better::Higher)).unwrap();
    assert_eq!(h.winner, Some(Side::A));
    // No direction: a clear difference but no winner.
    let none = compare(&slow, &fast, None).unwrap();
    assert!(none.differs());
    assert_eq!(none.winner, None);
}

#[test]
fn same_distribution_gives_no_clear_difference() {
    let a = constructed(3, 30, 1.0);
    let b = constructed(4, 30, 1.0);
    let c = compare(&a, &b, Some(Better::Lower)).unwrap();
    assert!(c.ci.unwrap().contains(1.0));
    assert!(!c.differs());
    assert_eq!(c.winner, None);
    assert_eq!(c.factor(), None);
}

#[test]
fn single_values_cannot_be_compared_with_confidence() {
    let c = compare(&[2.0], &[1.0], Some(Better::Lower)).unwrap();
    assert_eq!(c.ratio, 2.0);
    assert_eq!(c.ci, None);
    assert_eq!(c.winner, None);
    assert_eq!(compare(&[1.0], &[0.0], None), Err(StatsError::ZeroMedian));
}

#[test]
fn noisy_comparisons_are_flagged() {
    let calm = constructed(5, 20, 1.0);
    let wild: Vec<f64> = (0..20)
        .map(|i| if i % 2 == 0 { 0.5 } else { 1.5 })
        .collect();
    assert!(compare(&calm, &wild, Some(Better::Lower)).unwrap().noisy);
    assert!(!compare(&calm, &calm, Some(Better::Lower)).unwrap().noisy);
}

#[test]
fn a_few_slow_samples_do_not_make_a_steady_measurement_noisy() {
    // 1,000 steps within ±1% of 10 ms, and five that took 100 times as long (a page fault, a
    // collection): the standard deviation is ten times the mean, the middle is steady.
    let mut steps: Vec<f64> = (0..1000)
        .map(|i| 0.010 * (0.99 + 0.02 * (i % 11) as f64 / 10.0))
        .collect();
    steps.extend([1.0; 5]);
    let s = summarize(&steps).unwrap();
    assert!(s.cv.unwrap() > 1.0, "cv {:?}", s.cv);
    assert!(s.spread.unwrap() < 0.02, "spread {:?}", s.spread);
    assert!(!s.noisy());
    assert_eq!(s.outliers.len(), 5);
    assert!(!compare(&steps, &steps, Some(Better::Lower)).unwrap().noisy);

    // Steps spread evenly between 5 and 15 ms are noisy, whatever their tail.
    let spread: Vec<f64> = (0..1000)
        .map(|i| 0.005 + 0.010 * f64::from(i) / 999.0)
        .collect();
    let s = summarize(&spread).unwrap();
    assert!(s.noisy(), "spread {:?}", s.spread);
    assert!(compare(&steps, &spread, Some(Better::Lower)).unwrap().noisy);
}

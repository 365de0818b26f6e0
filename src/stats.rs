//! Statistics computed by benchbook from raw samples (never by a runner).
//!
//! Choices, used everywhere on a site so that every number means the same thing:
//! - Quantiles (quartiles, p50, p90, p99) interpolate linearly between order statistics
//!   (Hyndman & Fan type 7, the default of R and NumPy); the median is the 0.5 quantile.
//! - The standard deviation is the sample one (divisor n − 1). It is `None`, not zero, for a
//!   single sample, and so is the coefficient of variation (stddev / |mean|).
//! - The 95% confidence interval is the **percentile bootstrap of the median**:
//!   [`BOOTSTRAP_RESAMPLES`] resamples with replacement (for large sets the resample median is
//!   drawn from its computed distribution: see `Resampler`), drawn from a ChaCha8 generator seeded
//!   with [`BOOTSTRAP_SEED`], so the same samples always give the same interval. It is `None`
//!   for a single sample. The median (not the mean) is what pages quote, so its interval is the
//!   one shown beside it; timings are skewed, which a t interval of the mean would ignore.
//! - Comparisons of two sample sets are the ratio of their medians, with a bootstrap 95%
//!   interval of that ratio (each set resampled independently). A difference is "clear" only
//!   when the interval excludes 1.
//! - Outliers are found with the median absolute deviation (MAD): the modified z-score
//!   `0.6745 · (x − median) / MAD` beyond [`OUTLIER_Z`] (Iglewicz & Hoaglin). When the MAD is 0
//!   (more than half the samples equal), the mean absolute deviation scaled by 1.2533 stands in
//!   for it; when that is 0 too, nothing is an outlier. Outliers are reported with their
//!   indices, never removed from any statistic.
//! - A measurement is *noisy* when its typical deviation, the scaled MAD relative to the median
//!   (`1.4826 · MAD / |median|`, the robust counterpart of the coefficient of variation, see
//!   [`Summary::spread`]), exceeds [`NOISY_SPREAD`]. The median is what pages quote, so its
//!   noise is judged by the middle of the samples: a few slow steps (a page fault, a
//!   collection) inflate the standard deviation of thousands of otherwise steady steps, and
//!   are reported as outliers instead.

use benchbook_protocol::Better;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;

/// Typical deviation ([`Summary::spread`]) above which a measurement is flagged as noisy.
pub const NOISY_SPREAD: f64 = 0.10;
/// Number of bootstrap resamples for every confidence interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;
/// Seed of the bootstrap generator ("benchboo" in ASCII).
pub const BOOTSTRAP_SEED: u64 = 0x6265_6e63_6862_6f6f;
/// Confidence level of every interval.
pub const CONFIDENCE: f64 = 0.95;
/// Modified z-score beyond which a sample is an outlier.
pub const OUTLIER_Z: f64 = 3.5;

/// Why samples could not be summarised.
#[derive(Debug, Clone, PartialEq)]
pub enum StatsError {
    /// No samples at all.
    Empty,
    /// A sample is NaN or infinite (index in the input).
    NotFinite { index: usize, value: f64 },
    /// A ratio of medians with a zero median below it.
    ZeroMedian,
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsError::Empty => write!(f, "no samples"),
            StatsError::NotFinite { index, value } => {
                write!(f, "sample {} is {value}, not a finite number", index + 1)
            }
            StatsError::ZeroMedian => write!(f, "the median of the second set is 0, so no ratio"),
        }
    }
}

impl std::error::Error for StatsError {}

/// A closed interval `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// A sample flagged by the MAD rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outlier {
    /// Index in the input samples (0-based).
    pub index: usize,
    pub value: f64,
    /// Its modified z-score (signed: negative below the median).
    pub score: f64,
}

/// Everything a page may quote about one set of samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub mean: f64,
    /// Sample standard deviation; `None` for one sample.
    pub stddev: Option<f64>,
    pub min: f64,
    pub max: f64,
    /// First and third quartiles and their difference.
    pub q1: f64,
    pub q3: f64,
    pub iqr: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    /// Bootstrap 95% interval of the median; `None` for one sample.
    pub ci: Option<Interval>,
    /// stddev / |mean|; `None` for one sample or a zero mean.
    pub cv: Option<f64>,
    /// Median absolute deviation (unscaled).
    pub mad: f64,
    /// Typical deviation relative to the median: `1.4826 · MAD / |median|` (1.4826 makes the MAD
    /// estimate the standard deviation of normal samples). `None` for one sample or a zero
    /// median.
    pub spread: Option<f64>,
    pub outliers: Vec<Outlier>,
}

impl Summary {
    /// Whether the typical deviation is above [`NOISY_SPREAD`].
    pub fn noisy(&self) -> bool {
        is_noisy(self.spread)
    }
}

fn check(samples: &[f64]) -> Result<(), StatsError> {
    if samples.is_empty() {
        return Err(StatsError::Empty);
    }
    if let Some((index, &value)) = samples.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(StatsError::NotFinite { index, value });
    }
    Ok(())
}

fn sorted(samples: &[f64]) -> Vec<f64> {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// The `p` quantile (0..=1) of sorted, non-empty data, type 7 (linear interpolation).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Median of unsorted data, reordering `scratch` in place (O(n)).
fn median_in_place(scratch: &mut [f64]) -> f64 {
    let n = scratch.len();
    let mid = n / 2;
    let (_, upper, _) = scratch.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower = scratch[..mid]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// Median of any finite, non-empty samples.
pub fn median(samples: &[f64]) -> Result<f64, StatsError> {
    check(samples)?;
    Ok(median_in_place(&mut samples.to_vec()))
}

/// Summarise raw samples.
pub fn summarize(samples: &[f64]) -> Result<Summary, StatsError> {
    check(samples)?;
    let n = samples.len();
    let s = sorted(samples);
    let median = quantile_sorted(&s, 0.5);
    let mean = samples.iter().sum::<f64>() / n as f64;
    let stddev = (n > 1).then(|| {
        let ss: f64 = samples.iter().map(|x| (x - mean).powi(2)).sum();
        (ss / (n - 1) as f64).sqrt()
    });
    let cv = stddev.and_then(|sd| (mean != 0.0).then(|| sd / mean.abs()));
    let q1 = quantile_sorted(&s, 0.25);
    let q3 = quantile_sorted(&s, 0.75);
    let mad = mad_about(samples, median);
    let spread = relative_spread(n, median, mad);
    Ok(Summary {
        n,
        median,
        mean,
        stddev,
        min: s[0],
        max: s[n - 1],
        q1,
        q3,
        iqr: q3 - q1,
        p50: median,
        p90: quantile_sorted(&s, 0.90),
        p99: quantile_sorted(&s, 0.99),
        ci: bootstrap_median_ci(samples),
        cv,
        mad,
        spread,
        outliers: outliers(samples, median, mad),
    })
}

/// Scale that makes the MAD estimate the standard deviation of normal samples.
const MAD_TO_SD: f64 = 1.4826;

/// Median absolute deviation of `samples` from their `median` (unscaled).
fn mad_about(samples: &[f64], median: f64) -> f64 {
    median_in_place(
        &mut samples
            .iter()
            .map(|x| (x - median).abs())
            .collect::<Vec<_>>(),
    )
}

/// [`Summary::spread`] from the sample count, median and MAD.
fn relative_spread(n: usize, median: f64, mad: f64) -> Option<f64> {
    (n > 1 && median != 0.0).then(|| MAD_TO_SD * mad / median.abs())
}

/// The one noise rule, for summaries and comparisons alike.
fn is_noisy(spread: Option<f64>) -> bool {
    spread.is_some_and(|spread| spread > NOISY_SPREAD)
}

fn outliers(samples: &[f64], median: f64, mad: f64) -> Vec<Outlier> {
    let scale = if mad > 0.0 {
        mad / 0.6745
    } else {
        let mean_ad =
            samples.iter().map(|x| (x - median).abs()).sum::<f64>() / samples.len() as f64;
        1.253_314 * mean_ad
    };
    if scale <= 0.0 {
        return Vec::new();
    }
    samples
        .iter()
        .enumerate()
        .filter_map(|(index, &value)| {
            let score = (value - median) / scale;
            (score.abs() > OUTLIER_Z).then_some(Outlier {
                index,
                value,
                score,
            })
        })
        .collect()
}

/// Draws bootstrap resamples of one sample set and returns their medians.
///
/// A resample is drawn as counts over the *sorted* samples (how many times each was picked),
/// so its median is found by one walk over the counts instead of a selection: about four
/// times faster than sorting or selecting each resample, with the same distribution.
///
/// From [`COMPUTED_BOOTSTRAP_MIN`] samples on, the resample's median is not drawn sample by
/// sample but from its exact distribution: the r-th smallest of n draws is at most the k-th
/// smallest sample exactly when at least r of the n draws fall among the k smallest, a
/// Binomial(n, k/n) tail (taken here with its normal approximation, which is very close at
/// this size), with r the lower middle rank. One uniform number and a binary search then
/// replace n random draws, so runs of tens of thousands of steps summarise in microseconds.
struct Resampler {
    sorted: Vec<f64>,
    counts: Vec<u32>,
    /// For large sets: P(resample median <= sorted[k]) for every k.
    cdf: Option<Vec<f64>>,
}

/// Sample count from which the bootstrap distribution of the median is computed, not drawn.
pub const COMPUTED_BOOTSTRAP_MIN: usize = 500;

/// Standard normal distribution function (Abramowitz & Stegun 7.1.26, error below 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

impl Resampler {
    fn new(samples: &[f64]) -> Self {
        let sorted = sorted(samples);
        let n = sorted.len();
        let cdf = (n >= COMPUTED_BOOTSTRAP_MIN).then(|| {
            let r = n.div_ceil(2); // lower middle rank, 1-based
            (1..=n)
                .map(|k| {
                    let p = k as f64 / n as f64;
                    let var = n as f64 * p * (1.0 - p);
                    if var == 0.0 {
                        return 1.0;
                    }
                    // P(Binomial(n, p) >= r) with a continuity correction.
                    1.0 - normal_cdf((r as f64 - 0.5 - n as f64 * p) / var.sqrt())
                })
                .collect()
        });
        Resampler {
            sorted,
            counts: vec![0; samples.len()],
            cdf,
        }
    }

    fn median(&mut self, rng: &mut ChaCha8Rng) -> f64 {
        if let Some(cdf) = &self.cdf {
            let u: f64 = rng.gen();
            let k = cdf.partition_point(|&c| c < u);
            return self.sorted[k.min(self.sorted.len() - 1)];
        }
        let n = self.sorted.len();
        self.counts.fill(0);
        for _ in 0..n {
            self.counts[rng.gen_range(0..n)] += 1;
        }
        // 1-based ranks of the middle order statistics (equal when n is odd).
        let (lo_rank, hi_rank) = ((n - 1) / 2 + 1, n / 2 + 1);
        let mut cumulative = 0usize;
        let mut lo = None;
        for (j, &c) in self.counts.iter().enumerate() {
            cumulative += c as usize;
            if lo.is_none() && cumulative >= lo_rank {
                lo = Some(self.sorted[j]);
            }
            if cumulative >= hi_rank {
                return (lo.unwrap_or(self.sorted[j]) + self.sorted[j]) / 2.0;
            }
        }
        self.sorted[n - 1]
    }
}

fn percentile_interval(mut estimates: Vec<f64>) -> Interval {
    estimates.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    Interval {
        low: quantile_sorted(&estimates, tail),
        high: quantile_sorted(&estimates, 1.0 - tail),
    }
}

/// Percentile-bootstrap 95% interval of the median; `None` below two samples.
/// Samples must be finite (as checked by [`summarize`]).
pub fn bootstrap_median_ci(samples: &[f64]) -> Option<Interval> {
    if samples.len() < 2 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
    let mut resampler = Resampler::new(samples);
    let medians = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| resampler.median(&mut rng))
        .collect();
    Some(percentile_interval(medians))
}

/// Which of the two compared sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// `a` against `b`: the ratio of medians `median(a) / median(b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub ratio: f64,
    /// Bootstrap 95% interval of the ratio; `None` when both sets have one sample
    /// (a single pair of numbers says nothing about the noise).
    pub ci: Option<Interval>,
    /// The better side, only when the interval excludes 1 and the metric has a direction.
    pub winner: Option<Side>,
    /// Either set's typical deviation ([`Summary::spread`]) is above [`NOISY_SPREAD`].
    pub noisy: bool,
}

impl Comparison {
    /// Whether the interval excludes 1 (whatever the direction of the metric).
    pub fn differs(&self) -> bool {
        self.ci.is_some_and(|ci| !ci.contains(1.0))
    }

    /// How many times larger the larger median is, with the interval of that factor:
    /// `(factor, interval, side with the larger median)`. Always ≥ 1.
    pub fn larger(&self) -> (f64, Option<Interval>, Side) {
        if self.ratio >= 1.0 {
            (self.ratio, self.ci, Side::A)
        } else {
            (
                1.0 / self.ratio,
                self.ci.map(|ci| Interval {
                    low: 1.0 / ci.high,
                    high: 1.0 / ci.low,
                }),
                Side::B,
            )
        }
    }

    /// How many times better the winner is (≥ 1: the larger median over the smaller), with
    /// its interval, when there is a winner.
    pub fn factor(&self) -> Option<(f64, Interval)> {
        self.winner?;
        let (factor, ci, _) = self.larger();
        Some((factor, ci?))
    }
}

/// Compare two sample sets; `better` decides the winner (none without a direction).
pub fn compare(a: &[f64], b: &[f64], better: Option<Better>) -> Result<Comparison, StatsError> {
    check(a)?;
    check(b)?;
    let ma = median(a)?;
    let mb = median(b)?;
    if mb == 0.0 || ma == 0.0 {
        return Err(StatsError::ZeroMedian);
    }
    let ratio = ma / mb;
    let ci = if a.len() < 2 && b.len() < 2 {
        None
    } else {
        let mut rng = ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
        let mut sa = Resampler::new(a);
        let mut sb = Resampler::new(b);
        let mut ratios = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
        for _ in 0..BOOTSTRAP_RESAMPLES {
            let ra = sa.median(&mut rng);
            let rb = sb.median(&mut rng);
            if rb != 0.0 {
                ratios.push(ra / rb);
            }
        }
        (!ratios.is_empty()).then(|| percentile_interval(ratios))
    };
    let winner = match (ci, better) {
        (Some(ci), Some(Better::Lower)) if ci.high < 1.0 => Some(Side::A),
        (Some(ci), Some(Better::Lower)) if ci.low > 1.0 => Some(Side::B),
        (Some(ci), Some(Better::Higher)) if ci.low > 1.0 => Some(Side::A),
        (Some(ci), Some(Better::Higher)) if ci.high < 1.0 => Some(Side::B),
        _ => None,
    };
    let noisy =
        |s: &[f64], median: f64| is_noisy(relative_spread(s.len(), median, mad_about(s, median)));
    Ok(Comparison {
        ratio,
        ci,
        winner,
        noisy: noisy(a, ma) || noisy(b, mb),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]).unwrap(), 2.5);
        assert_eq!(median(&[]), Err(StatsError::Empty));
    }

    #[test]
    fn computed_bootstrap_agrees_with_the_drawn_one() {
        // Skewed, step-time-like samples, large enough for the computed distribution.
        let n = 2001;
        let samples: Vec<f64> = (0..n)
            .map(|i| 1.0 + ((i * 7919) % n) as f64 / n as f64)
            .map(|u| u * u)
            .collect();
        let mut computed = Resampler::new(&samples);
        assert!(computed.cdf.is_some());
        let mut drawn = Resampler::new(&samples);
        drawn.cdf = None;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let a = percentile_interval((0..2000).map(|_| computed.median(&mut rng)).collect());
        let b = percentile_interval((0..2000).map(|_| drawn.median(&mut rng)).collect());
        let width = b.high - b.low;
        assert!((a.low - b.low).abs() < 0.15 * width, "{a:?} vs {b:?}");
        assert!((a.high - b.high).abs() < 0.15 * width, "{a:?} vs {b:?}");
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
    }

    #[test]
    fn resampled_median_matches_the_explicit_resample() {
        for n in [1usize, 2, 3, 4, 7, 10, 31] {
            let samples: Vec<f64> = (0..n)
                .map(|i| ((i * 37) % 11) as f64 + i as f64 / 100.0)
                .collect();
            let mut r = Resampler::new(&samples);
            let mut rng = ChaCha8Rng::seed_from_u64(9);
            for _ in 0..50 {
                let m = r.median(&mut rng);
                // Rebuild the resample from the counts and take its median directly.
                let explicit: Vec<f64> = r
                    .counts
                    .iter()
                    .zip(&r.sorted)
                    .flat_map(|(&c, &x)| std::iter::repeat_n(x, c as usize))
                    .collect();
                assert_eq!(explicit.len(), n);
                assert_eq!(m, median(&explicit).unwrap(), "n = {n}");
            }
        }
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let s = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        // numpy.percentile([1..10], 90) == 9.1, 99 → 9.91
        assert!((quantile_sorted(&s, 0.9) - 9.1).abs() < 1e-12);
        assert!((quantile_sorted(&s, 0.99) - 9.91).abs() < 1e-12);
    }
}

//! Statistics computed by benchbook from raw samples (never by a runner).
//!
//! # The process is the unit
//! A repetition is one runner process. Samples inside one process (the steps of one training
//! run, the latencies of one loop) are correlated: they share the process's memory layout,
//! its thread placement, the machine's state while it ran. Pooling them as if independent
//! makes intervals about ten times too narrow. So every interval and verdict here is computed
//! over **per-process values**: each process's steady-state samples (see below) reduce to
//! their median, and those medians, one per process, are the data.
//!
//! # Choices
//! - **Interval of a summary**: a Student t interval on the logs of the per-process values,
//!   back-transformed: the 95% interval of the typical process (the geometric mean of the
//!   per-process medians). Timings and sizes are positive and skewed, and differences between
//!   processes act multiplicatively, so logs make them symmetric. Values that are not all
//!   positive use the t interval of their mean instead. Why t and not a bootstrap: with 5 to
//!   20 processes a percentile bootstrap is close to the min–max range and undercovers (at
//!   n = 3 badly so), while the t interval on logs keeps its nominal coverage for log-normal
//!   spreads between processes (tested by simulation in `tests/suite/stats.rs`: 95% intervals
//!   cover the truth 93–99% of the time, with correlated steps inside each process).
//! - **Comparisons** are the ratio of geometric means of the per-process values, `a / b`, with
//!   a Welch t interval of the difference of mean logs (unequal variances, Welch–Satterthwaite
//!   degrees of freedom), back-transformed.
//! - **Three outcomes, not two.** With an equivalence margin `m` (default ±5%): `a` or `b` is
//!   larger only when the whole interval lies beyond `1 + m` (or below `1 / (1 + m)`); "no
//!   practical difference" when it lies inside `[1 / (1 + m), 1 + m]`; "inconclusive"
//!   otherwise. A verdict needs [`MIN_PROCESSES`] processes a side; below that it is "too few
//!   runs" and says how many there were.
//! - **Several verdicts on one page** are one family: [`holm`] keeps a verdict's claim only when
//!   it survives Holm's step-down correction at 5% over the page's tested verdicts (each
//!   claim's p-value is the level at which its interval would just touch the margin; see
//!   [`Comparison::p_value`]). A claim that does not survive becomes inconclusive.
//! - **Deterministic metrics** (every process reported the same samples: byte sizes, line
//!   counts, accuracy with a fixed seed) have no interval: their ratio is exact, and inside the
//!   margin it is "no practical difference", outside it a plain difference.
//! - **Steady state**: a runner marks its leading one-off samples (the first step, graph
//!   optimisation, a first load) with the metric's `warmup` count; only the samples after them
//!   form a process's value. The one-off costs stay in the stored result and are reported as
//!   metrics of their own.
//! - The pooled steady-state samples are still described as a distribution (min, max,
//!   quartiles, p50, p90, p99: type 7 quantiles, as R and NumPy), never used for an interval.
//! - A measurement is *noisy* when its processes typically stray more than [`NOISY_SPREAD`]
//!   from their median (`1.4826 · MAD / |median|` of the per-process values); *outliers* are
//!   processes whose modified z-score `0.6745 · (x − median) / MAD` is beyond [`OUTLIER_Z`]
//!   (Iglewicz & Hoaglin; when the MAD is 0 the mean absolute deviation × 1.2533 stands in for
//!   it). Outliers are listed, never removed.
//! - Proportions (accuracy, precision, recall) get Wilson score intervals ([`wilson`]); two
//!   classifiers on one test set are compared with McNemar's exact test ([`mcnemar`]).

pub mod classification;

use benchbook_protocol::Better;
use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, StudentsT};
use std::fmt;

/// Spread of the per-process values ([`Summary::spread`]) above which a measurement is noisy.
pub const NOISY_SPREAD: f64 = 0.10;
/// Confidence level of every interval.
pub const CONFIDENCE: f64 = 0.95;
/// Modified z-score beyond which a process is an outlier.
pub const OUTLIER_Z: f64 = 3.5;
/// Processes a side below which no comparison verdict is given.
pub const MIN_PROCESSES: usize = 5;
/// Default equivalence margin: differences within ±5% are "no practical difference".
pub const DEFAULT_MARGIN: f64 = 0.05;
/// Familywise error rate of a page's verdicts (Holm).
pub const FAMILY_ALPHA: f64 = 0.05;

/// Why samples could not be summarised.
#[derive(Debug, Clone, PartialEq)]
pub enum StatsError {
    /// No samples at all.
    Empty,
    /// A process kept no steady-state sample (all its samples were marked warm-up).
    NoSteadyState { process: usize },
    /// A sample is NaN or infinite (process and index in it, both 0-based).
    NotFinite {
        process: usize,
        index: usize,
        value: f64,
    },
    /// A ratio needs positive values.
    NotPositive,
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsError::Empty => write!(f, "no samples"),
            StatsError::NoSteadyState { process } => write!(
                f,
                "process {} has no steady-state sample (every sample is marked as warm-up)",
                process + 1
            ),
            StatsError::NotFinite {
                process,
                index,
                value,
            } => write!(
                f,
                "sample {} of process {} is {value}, not a finite number",
                index + 1,
                process + 1
            ),
            StatsError::NotPositive => write!(
                f,
                "a ratio needs positive values, and some per-process values are zero or negative"
            ),
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

/// A process flagged by the MAD rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outlier {
    /// Index of the process (0-based, in stored order).
    pub index: usize,
    /// Its per-process value.
    pub value: f64,
    /// Its modified z-score (signed: negative below the median).
    pub score: f64,
}

/// Everything a page may quote about one metric of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Processes (repetitions): the unit of every interval.
    pub n: usize,
    /// Steady-state samples over all processes.
    pub samples: usize,
    /// One value per process: the median of its steady-state samples.
    pub values: Vec<f64>,
    /// Median of the per-process values.
    pub median: f64,
    /// Mean of the per-process values.
    pub mean: f64,
    /// Geometric mean of the per-process values when all are positive, else their mean: the
    /// centre the interval is about.
    pub center: f64,
    /// Standard deviation between processes; `None` for one process.
    pub stddev: Option<f64>,
    /// Distribution of the pooled steady-state samples (not the basis of any interval).
    pub min: f64,
    pub max: f64,
    pub q1: f64,
    pub q3: f64,
    pub iqr: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    /// 95% interval of the centre; `None` for one process or a deterministic metric.
    pub ci: Option<Interval>,
    /// stddev / |mean| between processes; `None` for one process or a zero mean.
    pub cv: Option<f64>,
    /// Median absolute deviation of the per-process values (unscaled).
    pub mad: f64,
    /// `1.4826 · MAD / |median|` of the per-process values; `None` for one process or a zero
    /// median.
    pub spread: Option<f64>,
    /// Processes flagged by the MAD rule.
    pub outliers: Vec<Outlier>,
    /// Every process reported exactly the same samples (or the caller knows the metric is
    /// exact, e.g. a count): no interval, and differences are exact.
    pub deterministic: bool,
}

impl Summary {
    /// Whether the processes typically stray more than [`NOISY_SPREAD`] from their median.
    pub fn noisy(&self) -> bool {
        !self.deterministic && is_noisy(self.spread)
    }

    /// Whether every process has the same value (no variation between processes to build an
    /// interval from, even when the samples inside them differ).
    pub fn constant(&self) -> bool {
        self.values.iter().all(|&v| v == self.values[0])
    }

    /// Whether every per-process value is positive (so logs and ratios exist).
    fn positive(&self) -> bool {
        self.values.iter().all(|&v| v > 0.0)
    }

    /// Mean and standard deviation of the logs of the per-process values (or of the values).
    fn log_moments(&self) -> (f64, f64) {
        if self.constant() {
            // Exactly no spread (not the rounding noise of a mean of equal logs).
            return (self.values[0].ln(), 0.0);
        }
        let logs: Vec<f64> = self.values.iter().map(|v| v.ln()).collect();
        moments(&logs)
    }
}

/// Mean and sample standard deviation (0 for one value).
fn moments(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = if xs.len() > 1 {
        (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, sd)
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

/// Median of finite, non-empty samples.
pub fn median(samples: &[f64]) -> Result<f64, StatsError> {
    check(0, samples)?;
    Ok(median_in_place(&mut samples.to_vec()))
}

fn check(process: usize, samples: &[f64]) -> Result<(), StatsError> {
    if samples.is_empty() {
        return Err(StatsError::NoSteadyState { process });
    }
    if let Some((index, &value)) = samples.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(StatsError::NotFinite {
            process,
            index,
            value,
        });
    }
    Ok(())
}

/// The t quantile `t_{1−(1−level)/2, df}`.
fn t_quantile(df: f64, level: f64) -> f64 {
    let t = StudentsT::new(0.0, 1.0, df).expect("df > 0");
    t.inverse_cdf(1.0 - (1.0 - level) / 2.0)
}

/// P(T > x) for Student's t with `df` degrees of freedom.
fn t_upper(df: f64, x: f64) -> f64 {
    let t = StudentsT::new(0.0, 1.0, df).expect("df > 0");
    1.0 - t.cdf(x)
}

/// Summarise one metric of one run from its processes' steady-state samples (one slice per
/// process, in the order they ran). `exact` says the metric is deterministic by nature (a
/// count) even when a single process cannot show it.
pub fn summarize(processes: &[&[f64]], exact: bool) -> Result<Summary, StatsError> {
    if processes.is_empty() {
        return Err(StatsError::Empty);
    }
    for (i, p) in processes.iter().enumerate() {
        check(i, p)?;
    }
    let values: Vec<f64> = processes
        .iter()
        .map(|p| median_in_place(&mut p.to_vec()))
        .collect();
    let n = values.len();
    let pooled = sorted(&processes.concat());
    let sv = sorted(&values);
    let median = quantile_sorted(&sv, 0.5);
    let (mean, sd) = moments(&values);
    let stddev = (n > 1).then_some(sd);
    let cv = stddev.and_then(|sd| (mean != 0.0).then(|| sd / mean.abs()));
    let mad = mad_about(&values, median);
    // Identical processes show an exact value; one process can only when the caller knows.
    let deterministic = (n > 1 || exact) && processes.iter().all(|p| p == &processes[0]);
    let mut s = Summary {
        n,
        samples: pooled.len(),
        median,
        mean,
        center: mean,
        stddev,
        min: pooled[0],
        max: pooled[pooled.len() - 1],
        q1: quantile_sorted(&pooled, 0.25),
        q3: quantile_sorted(&pooled, 0.75),
        iqr: quantile_sorted(&pooled, 0.75) - quantile_sorted(&pooled, 0.25),
        p50: quantile_sorted(&pooled, 0.5),
        p90: quantile_sorted(&pooled, 0.90),
        p99: quantile_sorted(&pooled, 0.99),
        ci: None,
        cv,
        mad,
        spread: relative_spread(n, median, mad),
        outliers: outliers(&values, median, mad),
        deterministic,
        values,
    };
    if s.positive() {
        let (m, _) = s.log_moments();
        s.center = m.exp();
    }
    if n > 1 && !deterministic && sd > 0.0 {
        let t = t_quantile((n - 1) as f64, CONFIDENCE);
        s.ci = Some(if s.positive() {
            let (m, sdl) = s.log_moments();
            let half = t * sdl / (n as f64).sqrt();
            Interval {
                low: (m - half).exp(),
                high: (m + half).exp(),
            }
        } else {
            let half = t * sd / (n as f64).sqrt();
            Interval {
                low: mean - half,
                high: mean + half,
            }
        });
    }
    Ok(s)
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

/// [`Summary::spread`] from the count, median and MAD.
fn relative_spread(n: usize, median: f64, mad: f64) -> Option<f64> {
    (n > 1 && median != 0.0).then(|| MAD_TO_SD * mad / median.abs())
}

/// The one noise rule, for summaries and comparisons alike.
fn is_noisy(spread: Option<f64>) -> bool {
    spread.is_some_and(|spread| spread > NOISY_SPREAD)
}

fn outliers(values: &[f64], median: f64, mad: f64) -> Vec<Outlier> {
    let scale = if mad > 0.0 {
        mad / 0.6745
    } else {
        let mean_ad = values.iter().map(|x| (x - median).abs()).sum::<f64>() / values.len() as f64;
        1.253_314 * mean_ad
    };
    if scale <= 0.0 {
        return Vec::new();
    }
    values
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

/// Which of the two compared sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// What a comparison concludes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// The side with the larger values, beyond the margin.
    Larger(Side),
    /// The whole interval lies inside the margin: no practical difference.
    Equivalent,
    /// The interval straddles a margin edge (or the claim did not survive the page's
    /// correction for several verdicts).
    Inconclusive,
    /// Fewer than [`MIN_PROCESSES`] processes on a side.
    TooFew { a: usize, b: usize },
}

/// `a` against `b`: the ratio of their typical processes, `a / b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub ratio: f64,
    /// 95% interval of the ratio; `None` when both sides are deterministic (the ratio is
    /// exact) or a side has one process.
    pub ci: Option<Interval>,
    pub outcome: Outcome,
    /// The better side, when the outcome is `Larger` and the metric has a direction.
    pub winner: Option<Side>,
    /// The equivalence margin used (0.05 = ±5%).
    pub margin: f64,
    /// Processes on each side.
    pub n: (usize, usize),
    /// Both sides deterministic: the ratio is exact.
    pub exact: bool,
    /// Either side is noisy ([`Summary::noisy`]).
    pub noisy: bool,
    /// The p-value of the claim the outcome makes (or would make): for a larger side, the
    /// level at which the interval would just touch the margin; for equivalence, the level at
    /// which it would just fit inside. `None` for exact ratios and too few processes (nothing
    /// to test).
    pub p_value: Option<f64>,
    /// How many verdicts of its page were corrected together with this one (Holm), when
    /// more than one.
    pub family: Option<usize>,
    /// The claim its own interval supports did not survive that correction.
    pub demoted: bool,
}

impl Comparison {
    /// How many times larger the larger side is (≥ 1), with the interval of that factor, and
    /// the larger side.
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

    /// Whether a claim (a larger side, or no practical difference) stands.
    pub fn conclusive(&self) -> bool {
        matches!(self.outcome, Outcome::Larger(_) | Outcome::Equivalent)
    }

    /// Turn the claim into "inconclusive": it did not survive the correction over the
    /// `family` verdicts of its page.
    pub fn demote(&mut self, family: usize) {
        self.family = Some(family);
        if self.conclusive() && !self.exact {
            self.outcome = Outcome::Inconclusive;
            self.winner = None;
            self.demoted = true;
        }
    }
}

/// Compare two summaries; `better` decides the winner (none without a direction); `margin`
/// is the equivalence margin (0.05 = ±5%).
pub fn compare(
    a: &Summary,
    b: &Summary,
    better: Option<Better>,
    margin: f64,
) -> Result<Comparison, StatsError> {
    if !a.positive() || !b.positive() {
        return Err(StatsError::NotPositive);
    }
    let band = (1.0 + margin).ln();
    let (ma, sa) = a.log_moments();
    let (mb, sb) = b.log_moments();
    let d = ma - mb;
    let exact = a.deterministic && b.deterministic;
    let mut c = Comparison {
        ratio: d.exp(),
        ci: None,
        outcome: Outcome::Inconclusive,
        winner: None,
        margin,
        n: (a.n, b.n),
        exact,
        noisy: a.noisy() || b.noisy(),
        p_value: None,
        family: None,
        demoted: false,
    };
    let side = if d >= 0.0 { Side::A } else { Side::B };
    // The 95% interval of the log ratio d, as (low, high) in logs.
    let log_interval = |se: f64, df: f64| {
        let t = t_quantile(df, CONFIDENCE);
        (d - t * se, d + t * se)
    };
    if exact {
        c.outcome = if d.abs() > band {
            Outcome::Larger(side)
        } else {
            Outcome::Equivalent
        };
    } else if a.n < MIN_PROCESSES || b.n < MIN_PROCESSES {
        c.outcome = Outcome::TooFew { a: a.n, b: b.n };
        if a.n > 1 && b.n > 1 {
            c.ci = welch(a.n, sa, b.n, sb).map(|(se, df)| {
                let (lo, hi) = log_interval(se, df);
                Interval {
                    low: lo.exp(),
                    high: hi.exp(),
                }
            });
        }
    } else if let Some((se, df)) = welch(a.n, sa, b.n, sb) {
        let (lo, hi) = log_interval(se, df);
        c.ci = Some(Interval {
            low: lo.exp(),
            high: hi.exp(),
        });
        c.outcome = if lo > band {
            Outcome::Larger(Side::A)
        } else if hi < -band {
            Outcome::Larger(Side::B)
        } else if lo > -band && hi < band {
            Outcome::Equivalent
        } else {
            Outcome::Inconclusive
        };
        // The claim the estimate points to, and the level at which its interval would reach
        // the margin edge.
        let z = if d.abs() > band {
            (d.abs() - band) / se
        } else {
            (band - d.abs()) / se
        };
        c.p_value = Some((2.0 * t_upper(df, z)).min(1.0));
    } else {
        // Neither side varies, yet they are not both deterministic (e.g. one process each
        // side repeated identically): treat the ratio as exact.
        c.exact = true;
        c.outcome = if d.abs() > band {
            Outcome::Larger(side)
        } else {
            Outcome::Equivalent
        };
    }
    c.winner = match (c.outcome, better) {
        (Outcome::Larger(s), Some(Better::Higher)) => Some(s),
        (Outcome::Larger(s), Some(Better::Lower)) => Some(s.other()),
        _ => None,
    };
    Ok(c)
}

/// Welch's standard error of a difference of means and its degrees of freedom; `None` when
/// neither side varies.
fn welch(na: usize, sa: f64, nb: usize, sb: f64) -> Option<(f64, f64)> {
    let va = sa * sa / na as f64;
    let vb = sb * sb / nb as f64;
    let v = va + vb;
    if v <= 0.0 {
        return None;
    }
    let mut den = 0.0;
    if na > 1 {
        den += va * va / (na - 1) as f64;
    }
    if nb > 1 {
        den += vb * vb / (nb - 1) as f64;
    }
    let df = if den > 0.0 { v * v / den } else { 1.0 };
    Some((v.sqrt(), df.max(1.0)))
}

/// Holm's step-down procedure at `alpha`: which of the hypotheses with p-values `p` are
/// rejected (i.e. whose claims stand), controlling the familywise error rate.
pub fn holm(p: &[f64], alpha: f64) -> Vec<bool> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut keep = vec![false; m];
    for (k, &i) in order.iter().enumerate() {
        if p[i] <= alpha / (m - k) as f64 {
            keep[i] = true;
        } else {
            break;
        }
    }
    keep
}

/// Wilson score interval (95%) of a proportion `k / n`; `None` for `n = 0`.
pub fn wilson(k: u64, n: u64) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let z = 1.959_963_984_540_054;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    Some(Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// McNemar's exact test of two classifiers on the same examples: `only_a` examples only the
/// first got right, `only_b` only the second. Returns the two-sided p-value (1 when they never
/// disagree).
pub fn mcnemar(only_a: u64, only_b: u64) -> f64 {
    let n = only_a + only_b;
    if n == 0 {
        return 1.0;
    }
    let k = only_a.min(only_b);
    let binom = Binomial::new(0.5, n).expect("valid binomial");
    (2.0 * binom.cdf(k)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * (1.0 + b.abs())
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]).unwrap(), 2.5);
        assert!(median(&[]).is_err());
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let s = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        // numpy.percentile([1..10], 90) == 9.1, 99 → 9.91
        assert!((quantile_sorted(&s, 0.9) - 9.1).abs() < 1e-12);
        assert!((quantile_sorted(&s, 0.99) - 9.91).abs() < 1e-12);
    }

    #[test]
    fn t_quantiles_match_tables() {
        // R: qt(0.975, c(4, 9, 29))
        assert!((t_quantile(4.0, 0.95) - 2.776_445).abs() < 1e-5);
        assert!((t_quantile(9.0, 0.95) - 2.262_157).abs() < 1e-5);
        assert!((t_quantile(29.0, 0.95) - 2.045_230).abs() < 1e-5);
    }

    #[test]
    fn wilson_matches_a_worked_value() {
        // 354/359: R's prop.test(354, 359, correct = FALSE)$conf.int = 0.9678, 0.9940
        let ci = wilson(354, 359).unwrap();
        assert!((ci.low - 0.9678).abs() < 5e-4, "{ci:?}");
        assert!((ci.high - 0.9940).abs() < 5e-4, "{ci:?}");
        assert!(close(wilson(0, 10).unwrap().low, 0.0));
    }

    #[test]
    fn mcnemar_exact() {
        // binom.test(1, 9)$p.value = 0.03906
        assert!((mcnemar(1, 8) - 0.039_062_5).abs() < 1e-9);
        assert_eq!(mcnemar(0, 0), 1.0);
        assert_eq!(mcnemar(3, 3), 1.0);
    }

    #[test]
    fn holm_steps_down() {
        // m = 3: 0.01 <= 0.05/3, 0.02 <= 0.05/2, 0.04 <= 0.05/1 → all rejected.
        assert_eq!(holm(&[0.04, 0.01, 0.02], 0.05), [true, true, true]);
        // 0.03 > 0.05/2 stops the procedure: only the smallest survives.
        assert_eq!(holm(&[0.01, 0.03, 0.04], 0.05), [true, false, false]);
        assert_eq!(holm(&[0.2], 0.05), [false]);
    }
}

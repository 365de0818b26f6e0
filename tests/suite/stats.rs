//! Statistics with the process as the unit: hand-computed values, coverage by simulation, and
//! the three outcomes of a verdict.

use benchbook::stats::{
    compare, holm, summarize, Outcome, Side, StatsError, Summary, DEFAULT_MARGIN, MIN_PROCESSES,
    NOISY_SPREAD,
};
use benchbook_protocol::Better;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * (1.0 + b.abs())
}

fn summary(processes: &[Vec<f64>]) -> Summary {
    let slices: Vec<&[f64]> = processes.iter().map(Vec::as_slice).collect();
    summarize(&slices, false).unwrap()
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// One process of `steps` step times: the process's own level (log-normal around `truth`
/// with spread `between`), then steps that drift and are correlated (AR(1), rho 0.9) around
/// it, with a slow step now and then. What a real training run looks like.
fn process(rng: &mut ChaCha8Rng, truth: f64, between: f64, steps: usize) -> Vec<f64> {
    let level = truth.ln() + between * normal(rng);
    let mut e = 0.0;
    (0..steps)
        .map(|_| {
            e = 0.9 * e + 0.03 * normal(rng);
            let slow = if rng.gen_range(0..100) == 0 { 0.5 } else { 0.0 };
            (level + e + slow).exp()
        })
        .collect()
}

#[test]
fn per_process_values_by_hand() {
    // Three processes; their medians are 2, 4 and 8.
    let s = summary(&[vec![1.0, 2.0, 3.0], vec![4.0, 4.0, 5.0, 3.0], vec![8.0]]);
    assert_eq!(s.n, 3);
    assert_eq!(s.samples, 8);
    assert_eq!(s.values, [2.0, 3.5 + 0.5, 8.0]);
    assert!(close(s.median, 4.0));
    assert!(close(s.mean, 14.0 / 3.0));
    // Geometric mean of 2, 4, 8 = 4.
    assert!(close(s.center, 4.0));
    // Logs: ln2·(1, 2, 3): mean 2 ln2, sd ln2; t(0.975, 2) = 4.302653.
    let half = 4.302_653 * std::f64::consts::LN_2 / 3f64.sqrt();
    let ci = s.ci.unwrap();
    assert!((ci.low - (2.0 * std::f64::consts::LN_2 - half).exp()).abs() < 1e-5);
    assert!((ci.high - (2.0 * std::f64::consts::LN_2 + half).exp()).abs() < 1e-5);
    // The distribution statistics describe the pooled samples.
    assert_eq!((s.min, s.max), (1.0, 8.0));
    assert!(!s.deterministic);
}

#[test]
fn one_process_has_no_interval_and_identical_processes_are_exact() {
    let s = summary(&[vec![1.0, 1.1, 0.9, 1.0]]);
    assert_eq!(s.n, 1);
    assert_eq!(s.ci, None);
    assert_eq!(s.spread, None);
    assert!(!s.deterministic);

    let exact = summary(&[vec![156_901.0], vec![156_901.0], vec![156_901.0]]);
    assert!(exact.deterministic);
    assert_eq!(exact.ci, None);
    assert!(!exact.noisy());

    // A count is exact even from one process.
    let lines = summarize(&[&[170.0][..]], true).unwrap();
    assert!(lines.deterministic);
}

#[test]
fn bad_input_is_an_error() {
    assert_eq!(summarize(&[], false), Err(StatsError::Empty));
    assert_eq!(
        summarize(&[&[1.0][..], &[][..]], false),
        Err(StatsError::NoSteadyState { process: 1 })
    );
    match summarize(&[&[1.0, f64::NAN][..]], false) {
        Err(StatsError::NotFinite {
            process: 0,
            index: 1,
            ..
        }) => {}
        other => panic!("expected NotFinite, got {other:?}"),
    }
}

#[test]
fn outliers_and_noise_are_judged_between_processes() {
    // Nine steady processes and one slow one: one outlier process, not noisy.
    let mut ps: Vec<Vec<f64>> = (0..9).map(|i| vec![1.0 + i as f64 * 0.002; 5]).collect();
    ps.push(vec![2.0; 5]);
    let s = summary(&ps);
    assert_eq!(s.outliers.len(), 1);
    assert_eq!(s.outliers[0].index, 9);
    assert!(!s.noisy(), "spread {:?}", s.spread);

    // Thousands of wildly varying steps inside each process, but processes that agree: the
    // per-process medians decide, so this is not noisy.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let ps: Vec<Vec<f64>> = (0..6)
        .map(|_| (0..2000).map(|_| rng.gen_range(0.5..1.5)).collect())
        .collect();
    assert!(!summary(&ps).noisy());

    // Processes that disagree by ±30%: noisy.
    let ps: Vec<Vec<f64>> = [0.7, 1.0, 1.3, 0.8, 1.25]
        .iter()
        .map(|&v| vec![v])
        .collect();
    let s = summary(&ps);
    assert!(s.spread.unwrap() > NOISY_SPREAD);
    assert!(s.noisy());
}

/// Nominal 95% intervals must cover the truth 93–99% of the time: at least nominal (within
/// simulation error), and not so wide that they would waste the reader's processes.
#[test]
fn intervals_cover_the_truth_at_their_nominal_rate() {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let trials = 1000;
    let truth = 1.2e-3;
    for n in [5usize, 10] {
        let mut covered = 0;
        for _ in 0..trials {
            let ps: Vec<Vec<f64>> = (0..n)
                .map(|_| process(&mut rng, truth, 0.05, 200))
                .collect();
            let ci = summary(&ps).ci.unwrap();
            // The typical process's median: exp(mean level) (the within-process noise is
            // symmetric in logs, so a process's median sits at its level).
            if ci.contains(truth) {
                covered += 1;
            }
        }
        let rate = covered as f64 / trials as f64;
        assert!(
            (0.93..=0.99).contains(&rate),
            "n = {n}: 95% intervals covered the truth {rate:.3} of the time"
        );
    }
}

#[test]
fn ratio_intervals_cover_the_true_ratio() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let trials = 1000;
    let mut covered = 0;
    for _ in 0..trials {
        let a: Vec<Vec<f64>> = (0..10)
            .map(|_| process(&mut rng, 1.1e-3, 0.04, 150))
            .collect();
        let b: Vec<Vec<f64>> = (0..10)
            .map(|_| process(&mut rng, 1.0e-3, 0.06, 150))
            .collect();
        let c = compare(
            &summary(&a),
            &summary(&b),
            Some(Better::Lower),
            DEFAULT_MARGIN,
        )
        .unwrap();
        if c.ci.unwrap().contains(1.1) {
            covered += 1;
        }
    }
    let rate = covered as f64 / trials as f64;
    assert!((0.93..=0.99).contains(&rate), "coverage {rate:.3}");
}

/// The review's case: thousands of steps from a few processes make a pooled interval look
/// decisive, while the processes themselves do not support a winner.
#[test]
fn pooled_steps_look_clear_but_processes_do_not() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    // The same true speed on both sides, processes varying by 5%; side A happens to draw
    // faster processes (shifted by 3%).
    let a: Vec<Vec<f64>> = (0..5)
        .map(|_| process(&mut rng, 0.97e-3, 0.05, 1000))
        .collect();
    let b: Vec<Vec<f64>> = (0..5)
        .map(|_| process(&mut rng, 1.0e-3, 0.05, 1000))
        .collect();

    // Pooled as if independent: the normal interval of the difference of mean logs.
    let pooled = |ps: &[Vec<f64>]| {
        let logs: Vec<f64> = ps.iter().flatten().map(|x| x.ln()).collect();
        let n = logs.len() as f64;
        let m = logs.iter().sum::<f64>() / n;
        let v = logs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, v / n)
    };
    let ((ma, va), (mb, vb)) = (pooled(&a), pooled(&b));
    let half = 1.96 * (va + vb).sqrt();
    let pooled_ci = ((ma - mb - half).exp(), (ma - mb + half).exp());
    assert!(
        pooled_ci.1 < 1.0 || pooled_ci.0 > 1.0,
        "pooled steps give a clear difference: {pooled_ci:?}"
    );

    let c = compare(
        &summary(&a),
        &summary(&b),
        Some(Better::Lower),
        DEFAULT_MARGIN,
    )
    .unwrap();
    assert_eq!(c.winner, None, "{c:?}");
    assert_eq!(c.outcome, Outcome::Inconclusive, "{c:?}");
    let ci = c.ci.unwrap();
    assert!(
        ci.high - ci.low > 5.0 * (pooled_ci.1 - pooled_ci.0),
        "{ci:?} vs {pooled_ci:?}"
    );
}

#[test]
fn three_outcomes_and_too_few_runs() {
    let procs = |center: f64, n: usize| -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| vec![center * (1.0 + 0.004 * (i as f64 - (n as f64 - 1.0) / 2.0))])
            .collect()
    };
    // 30% apart, tight processes: B (lower time) wins.
    let c = compare(
        &summary(&procs(1.3, 6)),
        &summary(&procs(1.0, 6)),
        Some(Better::Lower),
        DEFAULT_MARGIN,
    )
    .unwrap();
    assert_eq!(c.outcome, Outcome::Larger(Side::A));
    assert_eq!(c.winner, Some(Side::B));
    assert!(c.p_value.unwrap() < 0.001);

    // 1% apart, tight: inside ±5%, no practical difference.
    let c = compare(
        &summary(&procs(1.01, 6)),
        &summary(&procs(1.0, 6)),
        Some(Better::Lower),
        DEFAULT_MARGIN,
    )
    .unwrap();
    assert_eq!(c.outcome, Outcome::Equivalent);
    assert_eq!(c.winner, None);

    // 5% apart with 4% spread: the interval crosses the margin edge.
    let spread = |center: f64| -> Vec<Vec<f64>> {
        [0.96, 1.0, 1.04, 0.97, 1.03, 1.0]
            .iter()
            .map(|f| vec![center * f])
            .collect()
    };
    let c = compare(
        &summary(&spread(1.05)),
        &summary(&spread(1.0)),
        Some(Better::Lower),
        DEFAULT_MARGIN,
    )
    .unwrap();
    assert_eq!(c.outcome, Outcome::Inconclusive);

    // Three processes a side: no verdict, however clear.
    let c = compare(
        &summary(&procs(2.0, 3)),
        &summary(&procs(1.0, 3)),
        Some(Better::Lower),
        DEFAULT_MARGIN,
    )
    .unwrap();
    assert_eq!(c.outcome, Outcome::TooFew { a: 3, b: 3 });
    assert_eq!(c.winner, None);
    assert_eq!(MIN_PROCESSES, 5);
}

#[test]
fn deterministic_values_get_no_interval_and_no_winner_inside_the_margin() {
    let a = summary(&[vec![156_901.0], vec![156_901.0]]);
    let b = summary(&[vec![158_241.0], vec![158_241.0]]);
    let c = compare(&a, &b, Some(Better::Lower), DEFAULT_MARGIN).unwrap();
    assert!(c.exact);
    assert_eq!(c.ci, None);
    assert_eq!(c.outcome, Outcome::Equivalent);
    assert_eq!(c.winner, None);

    let big = summary(&[vec![300_000.0], vec![300_000.0]]);
    let c = compare(&a, &big, Some(Better::Lower), DEFAULT_MARGIN).unwrap();
    assert_eq!(c.winner, Some(Side::A));
    assert!(close(c.ratio, 156_901.0 / 300_000.0));
}

#[test]
fn holm_demotes_the_weakest_claims_of_a_page() {
    // Three claims at p = 0.01, 0.03, 0.04: each passes alone, but as a family only the first.
    assert_eq!(holm(&[0.01, 0.03, 0.04], 0.05), [true, false, false]);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let a: Vec<Vec<f64>> = (0..5)
        .map(|_| process(&mut rng, 1.3e-3, 0.02, 50))
        .collect();
    let b: Vec<Vec<f64>> = (0..5)
        .map(|_| process(&mut rng, 1.0e-3, 0.02, 50))
        .collect();
    let mut c = compare(
        &summary(&a),
        &summary(&b),
        Some(Better::Lower),
        DEFAULT_MARGIN,
    )
    .unwrap();
    assert_eq!(c.winner, Some(Side::B));
    c.demote(4);
    assert_eq!(c.outcome, Outcome::Inconclusive);
    assert_eq!(c.winner, None);
    assert!(c.demoted);
}

//! The flagship's verdicts hold when recomputed from the committed per-process values, by a
//! second, independent implementation of the rule in the README (median of each process's
//! steady-state samples; Welch t interval of the difference of mean logs; winner only beyond
//! ±5%, no practical difference within it), and none rests on fewer than 5 processes a side.

use crate::common::{build_flagship, repo};
use scraper::{Html, Selector};
use serde_json::Value;
use statrs::distribution::{ContinuousCDF, StudentsT};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Each process's value of `metric` in the run of `runner` at `point` of benchmark `id`.
fn per_process(id: &str, runner: &str, point: &[(&str, Value)], metric: &str) -> Vec<f64> {
    let path = repo().join(format!("benchmarks/results/{id}.json"));
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let run = stored["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["runner"] == runner && point.iter().all(|(k, v)| &r["params"][k] == v))
        .unwrap_or_else(|| panic!("{id}: no run of {runner} at {point:?}"));
    run["repetitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rep| {
            if metric == "peak_rss" {
                return rep["outside"]["max_rss_bytes"].as_f64().unwrap();
            }
            let m = &rep["result"]["metrics"][metric];
            let warmup = m["warmup"].as_u64().unwrap_or(0) as usize;
            let mut steady: Vec<f64> = m["samples"].as_array().unwrap()[warmup..]
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            median(&mut steady)
        })
        .collect()
}

/// (ratio a/b, 95% interval) by Welch's t on the logs.
fn welch(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let stats = |v: &[f64]| {
        let logs: Vec<f64> = v.iter().map(|x| x.ln()).collect();
        let n = logs.len() as f64;
        let m = logs.iter().sum::<f64>() / n;
        let var = logs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, var / n, n)
    };
    let ((ma, va, na), (mb, vb, nb)) = (stats(a), stats(b));
    let se = (va + vb).sqrt();
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let t = StudentsT::new(0.0, 1.0, df).unwrap().inverse_cdf(0.975);
    let d = ma - mb;
    (d.exp(), (d - t * se).exp(), (d + t * se).exp())
}

/// A verdict to recompute: benchmark, matrix point, metric.
type Case = (&'static str, Vec<(&'static str, Value)>, &'static str);

/// Three significant digits, as the site prints ratios.
fn ratio_text(x: f64) -> String {
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}x")
}

#[test]
fn the_flagship_verdicts_hold_when_recomputed_from_the_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    build_flagship(&out, &[]);

    // No verdict anywhere rests on too few processes.
    for entry in walkdir::WalkDir::new(&out) {
        let path = entry.unwrap().into_path();
        if path.extension().is_some_and(|e| e == "html") {
            let html = std::fs::read_to_string(&path).unwrap();
            assert!(
                !html.contains("too few runs for a verdict"),
                "{} has a verdict on too few processes",
                path.display()
            );
        }
    }

    // The home page's training and deployment rows, in table order.
    let cases: Vec<Case> = vec![
        ("cnn_digits", vec![("threads", 1.into())], "step_time"),
        ("cnn_digits", vec![("threads", 2.into())], "step_time"),
        ("mlp_digits", vec![("threads", 1.into())], "step_time"),
        ("mlp_digits", vec![("threads", 2.into())], "step_time"),
        (
            "cold_start",
            vec![("model", "cnn".into())],
            "spawn_to_prediction",
        ),
        ("cold_start", vec![("model", "cnn".into())], "peak_rss"),
    ];
    let page = Html::parse_document(&std::fs::read_to_string(out.join("index.html")).unwrap());
    let verdicts: Vec<String> = page
        .select(&Selector::parse("td .bb-verdict-inline").unwrap())
        .map(|v| v.text().collect::<String>())
        .collect();
    assert!(verdicts.len() >= cases.len(), "{verdicts:?}");
    for ((id, point, metric), shown) in cases.iter().zip(&verdicts) {
        let a = per_process(id, "torch", point, metric);
        let b = per_process(id, "tensorflow", point, metric);
        assert!(a.len() >= 5 && b.len() >= 5, "{id} {metric}: {a:?} {b:?}");
        let (ratio, lo, hi) = welch(&a, &b);
        let band = 1.05;
        let what =
            format!("{id} {point:?} {metric}: shown `{shown}`, recomputed {ratio} ({lo}–{hi})");
        if lo > band || hi < 1.0 / band {
            // A winner by the rule; the page may only demote it (several verdicts corrected
            // together), never name the other side.
            // Every metric here is better lower: a ratio below 1 favours torch (a). The labels
            // are the framework names the runners report, up to " (".
            let (winner, factor, flo, fhi) = if ratio < 1.0 {
                ("libtorch via tch", 1.0 / ratio, 1.0 / hi, 1.0 / lo)
            } else {
                ("TensorFlow graph via the C API", ratio, lo, hi)
            };
            if shown.starts_with("inconclusive") {
                assert!(shown.contains("corrected for together"), "{what}");
            } else {
                let expected = format!("{winner} {} ", ratio_text(factor));
                assert!(
                    shown.starts_with(&expected),
                    "{what}; expected `{expected}…`"
                );
                assert!(
                    shown.contains(&format!("({}–{})", ratio_text(flo), ratio_text(fhi))),
                    "{what}"
                );
            }
        } else if lo > 1.0 / band && hi < band {
            assert!(shown.starts_with("no practical difference"), "{what}");
            assert!(
                shown.contains(&format!("{}–{}", ratio_text(lo), ratio_text(hi))),
                "{what}"
            );
        } else {
            assert!(shown.starts_with("inconclusive"), "{what}");
            assert!(
                shown.contains(&format!("{}–{}", ratio_text(lo), ratio_text(hi))),
                "{what}"
            );
        }
    }
}

//! The provenance pages (`results/<id>.html`) of the flagship: every "how this was measured"
//! link leads to one, and each says, from the stored result itself, whether it is fresh, how
//! every run was started and fingerprinted, the order the processes ran in, and every
//! process's value of every metric, with the raw JSON beside it as a download.

use crate::common::{build_flagship, repo};
use scraper::{Html, Selector};
use serde_json::Value;

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

#[test]
fn every_stored_result_has_a_provenance_page_built_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let stderr = build_flagship(&out, &[]);

    // Links from the lessons go to the pages, never to the raw JSON.
    let mut linked = 0;
    for e in walkdir::WalkDir::new(&out) {
        let p = e.unwrap().into_path();
        if p.extension().is_none_or(|x| x != "html") || p.starts_with(out.join("results")) {
            continue;
        }
        let doc = Html::parse_document(&std::fs::read_to_string(&p).unwrap());
        for a in doc.select(&sel("a[href*='results/']")) {
            let href = a.value().attr("href").unwrap();
            assert!(href.ends_with(".html"), "{}: {href}", p.display());
            let target = p.parent().unwrap().join(href);
            assert!(target.is_file(), "{}: {href} does not exist", p.display());
            linked += 1;
        }
    }
    assert!(linked > 10, "only {linked} links to provenance pages");

    for e in std::fs::read_dir(repo().join("benchmarks/results")).unwrap() {
        let json_path = e.unwrap().path();
        let id = json_path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let stored: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
        let page = out.join(format!("results/{id}.html"));
        let doc = Html::parse_document(&std::fs::read_to_string(&page).unwrap());
        let article = doc.select(&sel("article")).next().unwrap();
        let text: String = article.text().collect();

        // Fresh or stale, as the build itself said.
        let stale = stderr.contains(&format!(" on {id}"));
        let state: String = doc
            .select(&sel(".bb-provenance-state"))
            .next()
            .unwrap()
            .text()
            .collect();
        assert_eq!(state.starts_with("Stale"), stale, "{id}: {state}");
        assert_eq!(state.starts_with("Fresh"), !stale, "{id}: {state}");

        // The raw result as a download, beside the page.
        let download = doc.select(&sel("a[download]")).next().unwrap();
        assert_eq!(
            download.value().attr("href"),
            Some(format!("{id}.json").as_str())
        );
        assert!(out.join(format!("results/{id}.json")).is_file());

        // Every run's full fingerprint, and the run order with its warm-up processes.
        let runs = stored["runs"].as_array().unwrap();
        for run in runs {
            let fp = run["fingerprint"].as_str().unwrap();
            assert!(
                doc.select(&sel(&format!("code[title='{fp}']")))
                    .next()
                    .is_some(),
                "{id}: fingerprint {fp} missing"
            );
        }
        if runs.iter().any(|r| r.get("schedule").is_some()) {
            assert!(text.contains("(warm-up)"), "{id}: no run order");
        }

        // Per metric: one table row per run that reported it, one value per process, each
        // with its position in the run order; one dot per process in the chart.
        let metric = runs[0]["repetitions"][0]["result"]["metrics"]
            .as_object()
            .and_then(|m| m.keys().next().cloned())
            .unwrap_or_else(|| "wall_time".to_string());
        let heading = doc
            .select(&sel(&format!("h3#metric-{}", slug::slugify(&metric))))
            .next()
            .unwrap_or_else(|| panic!("{id}: no section for {metric}"));
        let mut next = heading
            .next_siblings()
            .filter_map(scraper::ElementRef::wrap);
        let figure = next.find(|e| e.value().name() == "figure").unwrap();
        let table = next
            .find(|e| e.value().attr("class") == Some("bb-table-wrap"))
            .unwrap();
        let reporting: Vec<&Value> = runs
            .iter()
            .filter(|r| {
                metric == "wall_time"
                    || r["repetitions"][0]["result"]["metrics"]
                        .get(&metric)
                        .is_some()
            })
            .collect();
        let rows: Vec<_> = table.select(&sel("tbody tr")).collect();
        assert_eq!(rows.len(), reporting.len(), "{id}: rows of {metric}");
        let mut dots = 0;
        for (row, run) in rows.iter().zip(&reporting) {
            let reps = run["repetitions"].as_array().unwrap();
            dots += reps.len();
            let cell: String = row.select(&sel("td")).nth(1).unwrap().text().collect();
            let mut positions: Vec<usize> = cell
                .split('[')
                .skip(1)
                .map(|s| s.split(']').next().unwrap().parse().unwrap())
                .collect();
            let mut want: Vec<usize> = reps
                .iter()
                .filter_map(|r| r["sequence"].as_u64().map(|s| s as usize + 1))
                .collect();
            positions.sort();
            want.sort();
            assert_eq!(
                positions, want,
                "{id}: run-order positions of {metric}: {cell}"
            );
            assert_eq!(
                cell.matches(", ").count() + 1,
                reps.len(),
                "{id}: one value per process of {metric}: {cell}"
            );
        }
        let drawn = figure.select(&sel("circle, rect")).count();
        assert_eq!(drawn, dots, "{id}: one mark per process of {metric}");
    }
}

//! Measured content through the whole pipeline and the default theme: the merge stage's
//! shortcodes (results table, bar, line and confusion charts, PR curve, environment box,
//! probes, verdicts, a noisy value) on stored results (tests/fixtures/merge/), then the
//! markdown stage, render, and headless Chromium: nothing wider than a 375 px phone, dark
//! mode and print work, no console error, no request off the machine.

use crate::merge_support;
use crate::render_support;

use benchbook::merge::expand;
use merge_support::context;
use render_support::*;
use std::path::Path;

const BODY: &str = r#"## Speed

Median step {{ bench.cnn_digits.torch.step_time.median | duration }}; model load
{{ bench.cnn_digits.torch.model_load_time.median }}.

{{ verdict(bench="cnn_digits", metric="step_time") }}

{{ table(bench="cnn_digits") }}

{{ bar_chart(bench="cnn_digits", metric="step_time") }}

{{ line_chart(bench="cnn_digits", series=["train_loss", "val_loss"]) }}

{{ line_chart(bench="mlp_synth", metric="step_time", x="batch_size", log_x=true, log_y=true) }}

## Accuracy

{{ confusion(bench="cnn_digits", runner="torch") }}

{{ pr_curve(bench="digit3", thresholds=[0.25, 0.5, 0.75, 0.95]) }}

## How it was measured

{{ environment(bench="cnn_digits") }}

{{ probes(bench="probes") }}
"#;

#[test]
fn measured_content_fits_a_phone_and_reads_in_dark_mode_and_print() {
    let tmp = tempfile::tempdir().unwrap();
    let mut site = sample_site(tmp.path(), None);
    // The Speed lesson gets the measured body, through merge and markdown like a build.
    let speed = &mut site.pages[0];
    speed.front.benchmarks = vec![
        "cnn_digits".into(),
        "digit3".into(),
        "mlp_synth".into(),
        "probes".into(),
    ];
    speed.front_lines.push(("benchmarks".into(), 3));
    speed.body = BODY.to_string();
    speed.body_line = 5;
    let d = expand(speed, &context());
    assert!(d.is_empty(), "merge errors:\n{d}");
    for p in site.pages.iter_mut().skip(1) {
        p.body = "Plain lesson.\n".into();
    }
    for s in site.sections.iter_mut() {
        s.index.body = "Intro.\n".into();
    }
    // The sample site's hand-made pitfall and quiz live in the bodies replaced above.
    for p in site.pages.iter_mut() {
        p.rendered = None;
    }
    for s in site.sections.iter_mut() {
        s.index.rendered = None;
    }
    // The markdown stage checks that linked result files exist.
    for id in ["cnn_digits", "digit3", "mlp_synth", "probes"] {
        let dir = tmp.path().join("benchmarks/results");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{id}.json")), "{}").unwrap();
    }
    benchbook::markdown::render_site(&mut site, None).unwrap_or_else(|d| panic!("markdown:\n{d}"));
    let files = render_like_build(&site).unwrap_or_else(|d| panic!("render:\n{d}"));
    let map = outputs(&files);

    let doc = html(&map, "training/speed.html");
    for selector in [
        "table.bb-table.bb-results",
        "figure.bb-chart svg",
        "aside.bb-env",
        ".bb-probes table",
        ".bb-confusion",
    ] {
        assert!(
            doc.select(&sel(selector)).count() >= 1,
            "no {selector} on the page"
        );
    }

    let public = tmp.path().join("public");
    for (path, bytes) in &map {
        let p = public.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let mut cmd = crate::browser_support::node("theme-browser.js");
    cmd.arg("pages").arg(&public).arg("training/speed.html");
    // BB_SCREENSHOTS=DIR keeps screenshots and a copy of the site there, to look at.
    if let Ok(shots) = std::env::var("BB_SCREENSHOTS") {
        cmd.arg("--screenshots").arg(&shots);
        for (path, bytes) in &map {
            let p = Path::new(&shots).join("site").join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
    }
    let out = cmd
        .output()
        .expect("node must be installed for the browser tests");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

//! The generated site used to time `benchbook build`: shared by `examples/gen_site.rs` (for
//! users) and `benches/site_build.rs` (Criterion), each of which includes it with `#[path]`.
//!
//! Pages come in sections of 100; each has front matter, headings, a table, two highlighted
//! code blocks (Rust and Python), links to its neighbours and to a heading of another
//! section, a pitfall, a note and a quiz: every feature the markdown stage checks.

use std::fmt::Write as _;
use std::path::Path;

/// Lessons per section.
const PER_SECTION: usize = 100;

fn page(i: usize, n: usize, per: usize) -> String {
    let s = i / per;
    let mut t = String::with_capacity(4096);
    let _ = write!(
        t,
        "---\ntitle: Lesson {i}\ndescription: Generated lesson number {i}\nweight: {i}\ntags: [generated, s{s}]\n---\n"
    );
    let _ = write!(
        t,
        "# Lesson {i}\n\nThis lesson measures *throughput* and **latency** of model {i}. It compares two frameworks on the same data, the same initialisation and the same batch order, so that the difference comes from the frameworks.\n\n"
    );
    let _ = write!(
        t,
        "## Setup\n\n| framework | batch | steps/s | peak MB |\n|---|---:|---:|---:|\n"
    );
    for r in 0..6 {
        let _ = writeln!(
            t,
            "| {} | {} | {}.{} | {} |",
            if r % 2 == 0 { "tch" } else { "tensorflow" },
            32 << (r / 2),
            100 + (i * 7 + r * 13) % 900,
            (i + r) % 10,
            200 + (i * 3 + r) % 500
        );
    }
    let _ = write!(
        t,
        "\n```rust\nfn train(model: &mut Model, data: &[Batch]) -> f32 {{\n    let mut loss = 0.0;\n    for (step, batch) in data.iter().enumerate() {{\n        loss = model.step(batch, 1e-3 * {i} as f32);\n        if step % 100 == 0 {{ println!(\"step {{step}}: {{loss}}\"); }}\n    }}\n    loss\n}}\n```\n\n"
    );
    let _ = write!(
        t,
        "```python\nimport torch\n\ndef warmup(model, x, n={i}):\n    for _ in range(n):\n        model(x)  # discarded\n    return model\n```\n\n"
    );
    let _ = write!(
        t,
        "> [!CAUTION]\n> Do not time the first {i} steps: they include allocation and caching.\n\n> [!NOTE]\n> Numbers on this page are generated.\n\n"
    );
    let _ = write!(t, "## Results\n\nSee the [setup](#setup)");
    if i + 1 < n {
        let next = i + 1;
        let next_s = next / per;
        if next_s == s {
            let _ = write!(t, ", the [next lesson](lesson-{next}.md#results)");
        } else {
            let _ = write!(
                t,
                ", the [next lesson](../s{next_s}/lesson-{next}.md#results)"
            );
        }
    }
    if i > 0 {
        let prev = i - 1;
        let prev_s = prev / per;
        if prev_s == s {
            let _ = write!(t, " and the [previous one](lesson-{prev}.md)");
        } else {
            let _ = write!(t, " and the [previous one](../s{prev_s}/lesson-{prev}.md)");
        }
    }
    let _ = write!(
        t,
        ".\n\nWarm-up matters: the median of {} runs is reported, never the mean.\n\n",
        5 + i % 10
    );
    let _ = write!(
        t,
        "```quiz\nquestion: Which statistic does lesson {i} report?\nchoices:\n  - text: The median\n    correct: true\n    explain: It resists outliers.\n  - text: The mean\n    explain: One slow run would move it.\n```\n"
    );
    t
}

/// Write a site of `n` lessons at `root`: `site.yaml`, a home `_index.md` and `content/s<k>/`
/// sections of [`PER_SECTION`] lessons. `root` must be missing, empty, or a site generated
/// here before (which is replaced); anything else is refused rather than deleted.
pub fn generate(root: &Path, n: usize) -> std::io::Result<()> {
    let per = PER_SECTION;
    if root.exists() {
        let generated = std::fs::read_to_string(root.join("site.yaml"))
            .is_ok_and(|s| s.contains("\nauthor: gen_site\n"));
        let empty = std::fs::read_dir(root)?.next().is_none();
        if !generated && !empty {
            return Err(std::io::Error::other(format!(
                "{} is not empty and not a generated site; expected a new or empty folder",
                root.display()
            )));
        }
        std::fs::remove_dir_all(root)?;
    }
    std::fs::create_dir_all(root.join("content"))?;
    std::fs::write(
        root.join("site.yaml"),
        format!("title: Generated site of {n} pages\nauthor: gen_site\n"),
    )?;
    std::fs::write(
        root.join("content/_index.md"),
        "---\ntitle: Generated\n---\nA generated site. Start at [section 0](s0/).\n",
    )?;
    for s in 0..n.div_ceil(per) {
        let dir = root.join(format!("content/s{s}"));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("_index.md"),
            format!(
                "---\ntitle: Section {s}\nweight: {s}\n---\nLessons {} to {}.\n",
                s * per,
                (s + 1) * per - 1
            ),
        )?;
    }
    for i in 0..n {
        let s = i / per;
        std::fs::write(
            root.join(format!("content/s{s}/lesson-{i}.md")),
            page(i, n, per),
        )?;
    }
    Ok(())
}

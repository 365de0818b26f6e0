//! Measurements of the reader features (search index size and build time, print edition):
//!
//! ```text
//! cargo run --release --example search_measure -- measure DIR   # any site, e.g. gen_site's
//! cargo run --release --example search_measure -- prose DIR [PAGES]
//! cargo run --release --example search_measure -- index DIR RUNS   # the index alone
//! ```
//!
//! `measure` loads, renders and writes the site in this process (into `$BB_MEASURE_OUT`,
//! default `$TMPDIR/search_measure-out`) and times each stage, then the search index and
//! the print edition, and compares the index with the pages' HTML and plain text. With `BB_DUMP_TEXT=file.json` it also writes every text section as
//! `[title, heading, body]` (to compare other index formats on the same text).
//!
//! Search latency in headless Chromium is measured on a built site by
//! `node tests/browser/search-browser.js keystrokes OUT index.html QUERY...`, which types each
//! query letter by letter and times every keystroke.
//!
//! `prose` writes a site whose text is not a repeated template (as `gen_site`'s is) but
//! prose drawn from a Zipf-distributed vocabulary (English function words, then 40,000
//! made-up words), the shape of real text, which compresses far less well: 20 sections ×
//! 10 subsections, several headings, a table, a code block and a pitfall per page, a quiz on
//! every tenth. Deterministic.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

const FUNCTION_WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "with",
    "was",
    "on",
    "be",
    "by",
    "this",
    "are",
    "from",
    "at",
    "or",
    "an",
    "which",
    "not",
    "have",
    "but",
    "can",
    "their",
    "more",
    "one",
    "all",
    "when",
    "each",
    "both",
    "than",
    "its",
    "so",
    "how",
    "per",
    "run",
    "time",
    "model",
    "step",
    "batch",
    "memory",
    "speed",
    "result",
    "first",
    "same",
    "two",
    "we",
    "what",
    "if",
    "there",
    "between",
    "after",
    "before",
    "only",
    "also",
    "into",
    "training",
    "tensor",
    "framework",
    "benchmark",
    "measured",
    "median",
    "seconds",
    "graph",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Words {
    vocab: Vec<String>,
    cumulative: Vec<f64>,
}

fn capitalised(w: &str, out: &mut String) {
    let mut c = w.chars();
    if let Some(f) = c.next() {
        out.extend(f.to_uppercase());
        out.push_str(c.as_str());
    }
}

impl Words {
    fn new(rng: &mut Rng, size: usize) -> Words {
        const ONSETS: &[&str] = &[
            "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "st",
            "tr", "pr", "gr", "ch", "sh", "th", "pl", "cr", "sp",
        ];
        const NUCLEI: &[&str] = &["a", "e", "i", "o", "u", "ea", "io", "ou", "ai"];
        const CODAS: &[&str] = &["", "", "n", "r", "s", "t", "l", "nd", "st", "ng", "ck"];
        const ENDINGS: &[&str] = &[
            "", "", "", "s", "ed", "ing", "ation", "ly", "ness", "ment", "er", "al", "ive",
        ];
        let mut vocab: Vec<String> = FUNCTION_WORDS.iter().map(|s| s.to_string()).collect();
        let mut seen: std::collections::HashSet<String> = vocab.iter().cloned().collect();
        while vocab.len() < size {
            let mut w = String::new();
            for _ in 0..1 + rng.below(3) {
                w.push_str(ONSETS[rng.below(ONSETS.len())]);
                w.push_str(NUCLEI[rng.below(NUCLEI.len())]);
                w.push_str(CODAS[rng.below(CODAS.len())]);
            }
            w.push_str(ENDINGS[rng.below(ENDINGS.len())]);
            if seen.insert(w.clone()) {
                vocab.push(w);
            }
        }
        // Zipf: the word of rank r is drawn with weight 1 / (r + 2.7).
        let mut total = 0.0;
        let raw: Vec<f64> = (0..vocab.len())
            .map(|r| {
                total += 1.0 / (r as f64 + 2.7);
                total
            })
            .collect();
        let cumulative = raw.into_iter().map(|c| c / total).collect();
        Words { vocab, cumulative }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let u = rng.unit();
        let i = self.cumulative.partition_point(|&c| c < u);
        &self.vocab[i.min(self.vocab.len() - 1)]
    }

    fn sentence(&self, rng: &mut Rng, out: &mut String) {
        let n = 8 + rng.below(14);
        for i in 0..n {
            let w = self.word(rng);
            if i == 0 {
                capitalised(w, out);
            } else {
                out.push(' ');
                out.push_str(w);
                if i + 1 < n && rng.below(9) == 0 {
                    out.push(',');
                }
            }
        }
        out.push_str(". ");
    }

    fn paragraph(&self, rng: &mut Rng, out: &mut String) {
        for _ in 0..3 + rng.below(4) {
            self.sentence(rng, out);
        }
        out.push_str("\n\n");
    }

    fn title(&self, rng: &mut Rng, n: usize) -> String {
        let mut t = String::new();
        for i in 0..n {
            let w = &self.vocab[FUNCTION_WORDS.len() + rng.below(self.vocab.len() - 80)];
            if i == 0 {
                capitalised(w, &mut t);
            } else {
                t.push(' ');
                t.push_str(w);
            }
        }
        t
    }
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn page(words: &Words, rng: &mut Rng, n: usize, title: &str) -> String {
    let mut s = String::with_capacity(6000);
    let _ = write!(s, "---\ntitle: {title}\nweight: {n}\n---\n");
    words.paragraph(rng, &mut s);
    for h in 0..3 {
        let n_words = 2 + rng.below(3);
        let _ = write!(s, "## {}\n\n", words.title(rng, n_words));
        words.paragraph(rng, &mut s);
        if h == 0 {
            s.push_str("| framework | steps/s | peak MB |\n|---|---|---|\n");
            for r in 0..4 {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} |",
                    if r % 2 == 0 { "tch" } else { "tensorflow" },
                    100 + rng.below(900),
                    200 + rng.below(4000)
                );
            }
            s.push('\n');
        }
        if h == 1 {
            let _ = write!(
                s,
                "```rust\nfn step_{n}(x: &Tensor) -> Tensor {{\n    let y = x.matmul(&w{n}).relu();\n    y.sum(Kind::Float) // {}\n}}\n```\n\n",
                words.word(rng)
            );
            s.push_str("> [!CAUTION]\n> ");
            words.sentence(rng, &mut s);
            s.push_str("\n\n");
        }
        words.paragraph(rng, &mut s);
    }
    if n.is_multiple_of(10) {
        let mut q = String::new();
        words.sentence(rng, &mut q);
        let _ = write!(
            s,
            "```quiz\nquestion: {}\nchoices:\n  - text: {}\n    correct: true\n  - text: {}\n```\n",
            q.trim().trim_end_matches('.').replace(':', ""),
            words.title(rng, 3),
            words.title(rng, 3)
        );
    }
    s
}

fn prose(dir: &Path, pages: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let words = Words::new(&mut rng, 40_000);
    write(
        &dir.join("site.yaml"),
        "title: Generated prose\ndescription: A generated site for measurements\nauthor: search_measure\nlanguage: en\ntheme: default\n",
    );
    write(
        &dir.join("content/_index.md"),
        "---\ntitle: Home\n---\nA generated site.\n",
    );
    let (sections, subsections) = (20, 10);
    let per = pages.div_ceil(sections * subsections);
    let mut made = 0;
    'outer: for a in 0..sections {
        let sec = dir.join(format!("content/s{a:02}"));
        write(
            &sec.join("_index.md"),
            &format!(
                "---\ntitle: {}\nweight: {a}\n---\n",
                words.title(&mut rng, 2)
            ),
        );
        for b in 0..subsections {
            let sub = sec.join(format!("t{b:02}"));
            write(
                &sub.join("_index.md"),
                &format!(
                    "---\ntitle: {}\nweight: {b}\n---\n",
                    words.title(&mut rng, 2)
                ),
            );
            for c in 0..per {
                if made == pages {
                    break 'outer;
                }
                let title = words.title(&mut rng, 3);
                write(
                    &sub.join(format!("p{c:03}.md")),
                    &page(&words, &mut rng, c, &title),
                );
                made += 1;
            }
        }
    }
    println!("{made} pages in {}", dir.display());
}

/// Times the stages of a build of `dir` in this process (nothing is written).
fn measure(dir: &Path) {
    use benchbook::load::{load, LoadOptions};
    use benchbook::model::OutputFile;
    let t = Instant::now();
    let mut site = load(dir, &LoadOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let t_load = t.elapsed();
    let t = Instant::now();
    benchbook::markdown::render_site(&mut site, None).unwrap_or_else(|d| panic!("{d}"));
    let t_md = t.elapsed();
    let t = Instant::now();
    let files = benchbook::render::render(&site, None)
        .unwrap_or_else(|d| panic!("{d}"))
        .files;
    let t_render = t.elapsed();
    let t = Instant::now();
    let index = benchbook::search::build_index(&site);
    let t_index = t.elapsed();
    let t = Instant::now();
    let print = benchbook::print::print_page(&site, &[]);
    let t_print = t.elapsed();
    let size = |f: &OutputFile| match f {
        OutputFile::Bytes { bytes, .. } => bytes.len(),
        OutputFile::Copy { from, .. } => std::fs::metadata(from)
            .map(|m| m.len() as usize)
            .unwrap_or(0),
    };
    let html: usize = files
        .iter()
        .filter(|f| f.path().extension().is_some_and(|e| e == "html"))
        .map(size)
        .sum();
    let pages = || {
        site.sections
            .iter()
            .map(|s| &s.index)
            .chain(site.pages.iter())
    };
    let text: usize = pages()
        .filter_map(|p| p.rendered.as_ref())
        .flat_map(|r| r.sections.iter())
        .map(|s| s.text.len() + s.heading.len())
        .sum();
    if let Some(dump) = std::env::var_os("BB_DUMP_TEXT") {
        let rows: Vec<[&str; 3]> = pages()
            .flat_map(|p| {
                let title = p.front.title.as_str();
                p.rendered.iter().flat_map(move |r| {
                    r.sections
                        .iter()
                        .map(move |s| [title, s.heading.as_str(), s.text.as_str()])
                })
            })
            .collect();
        std::fs::write(dump, serde_json::to_string(&rows).unwrap()).unwrap();
    }
    // The pages written as `build` writes them (index and print edition left out).
    let out = std::env::var_os("BB_MEASURE_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("search_measure-out"));
    let t = Instant::now();
    benchbook::write::write(&out, files.clone()).unwrap_or_else(|e| panic!("{e:#}"));
    let t_write = t.elapsed();
    let build = t_load + t_md + t_render + t_write;
    println!("pages: {}", site.pages.len() + site.sections.len());
    println!("load {t_load:?}, markdown {t_md:?}, render {t_render:?}, write {t_write:?}");
    println!(
        "search index: {t_index:?} = {:.1}% of load+markdown+render+write",
        100.0 * t_index.as_secs_f64() / build.as_secs_f64()
    );
    println!("print edition: {t_print:?}, {} bytes", size(&print));
    println!("HTML bytes (pages, print.html excluded): {html}");
    println!("plain text bytes (headings and text sections): {text}");
    println!(
        "search index bytes: {} = {:.2}% of the HTML, {:.1}% of the plain text",
        size(&index),
        100.0 * size(&index) as f64 / html as f64,
        100.0 * size(&index) as f64 / text as f64
    );
}

/// Builds the search index of `dir` `runs` times (after one load and markdown pass) and
/// prints the times and checks that every run gave the same bytes (written to
/// `$BB_INDEX_OUT` if set): for profiling the index alone.
fn index_only(dir: &Path, runs: usize) {
    use benchbook::load::{load, LoadOptions};
    use benchbook::model::OutputFile;
    let mut site = load(dir, &LoadOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    benchbook::markdown::render_site(&mut site, None).unwrap_or_else(|d| panic!("{d}"));
    let mut first: Option<Vec<u8>> = None;
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu_seconds());
        let index = benchbook::search::build_index(&site);
        times.push(t.elapsed());
        cpu.push(cpu_seconds() - c);
        let OutputFile::Bytes { bytes, .. } = index else {
            unreachable!("the index is built in memory")
        };
        let bytes = bytes.to_vec();
        match &first {
            None => first = Some(bytes),
            Some(f) => assert!(*f == bytes, "two builds gave different bytes"),
        }
    }
    if let (Some(path), Some(bytes)) = (std::env::var_os("BB_INDEX_OUT"), &first) {
        std::fs::write(path, bytes).unwrap();
    }
    times.sort();
    cpu.sort_by(f64::total_cmp);
    println!(
        "search index: median {:?} of {runs} runs (min {:?}, max {:?}; CPU median {:.2} s), {} bytes, identical",
        times[runs / 2],
        times[0],
        times[runs - 1],
        cpu[runs / 2],
        first.map_or(0, |f| f.len())
    );
}

/// User plus system CPU time of this process so far (all threads; Linux, 10 ms ticks).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime and stime are the
    // 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["measure", dir] => measure(Path::new(dir)),
        ["index", dir, n] => index_only(Path::new(dir), n.parse().expect("RUNS is a number")),
        ["prose", dir] => prose(Path::new(dir), 10_000),
        ["prose", dir, n] => prose(Path::new(dir), n.parse().expect("PAGES is a number")),
        _ => {
            eprintln!(
                "usage: search_measure measure DIR | search_measure prose DIR [PAGES] | search_measure index DIR RUNS"
            );
            std::process::exit(2);
        }
    }
}

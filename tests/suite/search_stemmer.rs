//! `search.js` stems queries with its own Porter2 port; the index is stemmed by
//! `rust-stemmers`. They must agree, or an English query would miss its own words. This
//! compares them, under node, on a few thousand words made to reach every rule (roots
//! crossed with the suffixes of each step, the exceptions, `y` handling, short words, and
//! words that are not English at all).

use rust_stemmers::{Algorithm, Stemmer};
use std::process::Command;

const ROOTS: &[&str] = &[
    "connect",
    "generate",
    "gener",
    "communicate",
    "commun",
    "arsen",
    "happy",
    "cry",
    "hope",
    "hop",
    "run",
    "fit",
    "sky",
    "bias",
    "news",
    "agree",
    "feed",
    "bleed",
    "size",
    "rate",
    "relate",
    "condition",
    "sense",
    "hesit",
    "digit",
    "organ",
    "valenc",
    "radic",
    "differ",
    "vile",
    "analog",
    "vietnam",
    "predic",
    "operat",
    "feud",
    "decis",
    "call",
    "form",
    "sensit",
    "sensib",
    "tripl",
    "electr",
    "good",
    "reviv",
    "allow",
    "infer",
    "airlin",
    "gyroscop",
    "adjust",
    "defens",
    "irrit",
    "replac",
    "depend",
    "adopt",
    "homolog",
    "activ",
    "angular",
    "effect",
    "bowdler",
    "prob",
    "ceas",
    "control",
    "roll",
    "yell",
    "say",
    "enjoy",
    "toy",
    "by",
    "poni",
    "ti",
    "caress",
    "cat",
    "gas",
    "this",
    "gap",
    "kiwi",
    "guarant",
    "luxuri",
    "fizz",
    "conflat",
    "troubl",
    "mat",
    "meet",
    "mill",
    "mess",
    "beauti",
    "youth",
    "yelp",
    "yay",
    "sayyid",
    "ayy",
    "train",
    "measur",
    "iter",
    "benchmark",
    "alloc",
    "cach",
    "settl",
    "framework",
    "tensor",
    "gradient",
    "accura",
    "precis",
    "matrix",
    "kernel",
    "launch",
    "fuse",
    "memor",
    "devic",
    "optim",
    "warm",
    "model",
    "leak",
    "throughput",
    "latenc",
    "median",
    "bootstrap",
    "confid",
    "interv",
    "outlier",
    "sampl",
    "discard",
    "naiv",
    "cafe",
    "a",
    "be",
    "is",
    "eye",
    "ease",
    "aa",
    "ab",
    "abc",
    "ow",
    "ox",
    "bey",
    "buy",
    "quiz",
    "x",
    "y",
    "yy",
    "ee",
    "oo",
    "hill",
    "fall",
    "ful",
    "less",
    "ness",
];

const SUFFIXES: &[&str] = &[
    "", "s", "es", "ed", "ing", "ly", "ness", "ful", "fully", "fulness", "ation", "ational",
    "tional", "er", "ers", "ment", "ments", "ement", "able", "ably", "abli", "ability", "ibility",
    "ize", "izer", "ization", "ism", "ist", "ive", "ively", "iveness", "iviti", "ous", "ously",
    "ousli", "ousness", "ance", "ence", "enci", "anci", "ent", "ently", "entli", "al", "ally",
    "alli", "alism", "aliti", "ality", "ical", "icity", "iciti", "icate", "ative", "alize", "li",
    "bli", "ogi", "logi", "y", "ies", "ied", "eed", "eedly", "ingly", "edly", "sses", "ss", "us",
    "ion", "sion", "tion", "ant", "ic", "iti", "ate", "ible", "e", "le", "ll", "lessli", "lessly",
    "at", "bl", "iz", "bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt", "'s", "'", "'s'",
];

const EXTRA: &[&str] = &[
    "skis",
    "skies",
    "dying",
    "lying",
    "tying",
    "idly",
    "gently",
    "ugly",
    "early",
    "only",
    "singly",
    "sky",
    "news",
    "howe",
    "atlas",
    "cosmos",
    "bias",
    "andes",
    "inning",
    "innings",
    "outing",
    "outings",
    "canning",
    "cannings",
    "herring",
    "earring",
    "proceed",
    "exceed",
    "succeed",
    "proceeding",
    "exceeded",
    "generously",
    "communism",
    "arsenic",
    "arsenal",
    "'tis",
    "y",
    "yo",
    "you",
    "yes",
    "ay",
    "aye",
    "oy",
    "ayyy",
    "yyy",
    "москва",
    "日本語",
    "naïve",
    "straße",
    "𝒳abcing",
    "ﬁles",
    "2024",
    "3d",
    "x86",
    "utf8",
    "iii",
    "ies",
    "ied",
    "sses",
    "eed",
    "ing",
    "ed",
    "s",
    "",
];

fn words() -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for r in ROOTS {
        for s in SUFFIXES {
            v.push(format!("{r}{s}"));
        }
    }
    v.extend(EXTRA.iter().map(|s| s.to_string()));
    v.retain(|w| !w.contains('\n'));
    v
}

#[test]
fn search_js_stems_like_rust_stemmers() {
    let words = words();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("words.txt");
    std::fs::write(&list, words.join("\n")).unwrap();
    let script = concat!(
        "const s = require(process.argv[1]);",
        "const w = require('fs').readFileSync(process.argv[2], 'utf8').split('\\n');",
        "process.stdout.write(w.map((x) => s.stem(x)).join('\\n'));"
    );
    let out = Command::new("node")
        .arg("-e")
        .arg(script)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/themes/default/static/search.js"
        ))
        .arg(&list)
        .output()
        .expect("node (Node.js 20) must be installed for the search tests");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let js = String::from_utf8(out.stdout).unwrap();
    let js: Vec<&str> = js.split('\n').collect();
    assert_eq!(js.len(), words.len());
    let stemmer = Stemmer::create(Algorithm::English);
    let differ: Vec<String> = words
        .iter()
        .zip(&js)
        .filter(|(w, j)| stemmer.stem(w) != **j)
        .map(|(w, j)| format!("{w}: rust {} js {j}", stemmer.stem(w)))
        .collect();
    assert!(
        differ.is_empty(),
        "{} of {} words differ:\n{}",
        differ.len(),
        words.len(),
        differ[..differ.len().min(40)].join("\n")
    );
}

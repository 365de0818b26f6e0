//! Generate a site of N pages for timing `benchbook build`:
//!
//! ```sh
//! cargo run --release --example gen_site -- /tmp/site-10k 10000
//! /usr/bin/time -v target/release/benchbook build -q --root /tmp/site-10k
//! ```
//!
//! The pages are those of `benches/support/gen_site.rs` (shared with the Criterion bench
//! `cargo bench --bench site_build`): a table, Rust and Python code, a pitfall, a note, a
//! quiz and checked links on each.

#[path = "../benches/support/gen_site.rs"]
mod gen_site;

use std::path::PathBuf;

const USAGE: &str = "usage: gen_site [ROOT] [PAGES]\n\
    Writes a site of PAGES lessons (default 1000) into ROOT (default /tmp/benchbook-gen),\n\
    replacing what ROOT held before.";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // ROOT is emptied first: never take an option (`--help`) for a folder to replace.
    if args.len() > 2 || args.iter().any(|a| a.starts_with('-')) {
        eprintln!("{USAGE}");
        std::process::exit(if args.iter().any(|a| a == "-h" || a == "--help") {
            0
        } else {
            2
        });
    }
    let root = PathBuf::from(args.first().map_or("/tmp/benchbook-gen", String::as_str));
    let n: usize = match args.get(1) {
        None => 1000,
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!("PAGES must be a whole number, not {s:?}\n{USAGE}");
            std::process::exit(2)
        }),
    };
    if let Err(e) = gen_site::generate(&root, n) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    println!("{n} pages in {}", root.display());
}

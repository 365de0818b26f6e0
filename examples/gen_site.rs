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

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().unwrap_or_else(|| "/tmp/benchbook-gen".into()));
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    gen_site::generate(&root, n)?;
    println!("{n} pages in {}", root.display());
    Ok(())
}

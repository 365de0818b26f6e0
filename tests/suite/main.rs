//! The integration tests, as one test binary.
//!
//! Each file here was its own test target once. Every target links the whole tool and its
//! dependencies, so thirty of them filled gigabytes of disk and spent most of `cargo test`'s
//! time linking. One binary runs the same tests, two at a time (the test harness's threads):
//! `cargo test --test suite serve::` runs one file's tests.

// Helpers shared by several files.
mod bench_common;
mod browser_support;
mod common;
#[path = "../../benches/support/gen_site.rs"]
mod gen_site;
mod merge_support;
mod render_support;

mod bench;
mod bench_decl;
mod bench_overhead;
mod build_interrupt;
mod check;
mod flagship_figures;
mod flagship_paths;
mod flagship_site;
mod flagship_verdicts;
mod incremental;
mod init;
mod merge;
mod merge_flagship;
mod print;
mod provenance;
mod reader_details;
mod reading_experience;
mod render_browser;
mod render_measured;
mod render_site;
mod render_theme;
mod runners_e2e;
mod search;
mod search_browser;
mod search_stemmer;
mod serve;
mod setup;
mod shortcode_snapshots;
mod site_build;
mod site_cli;
mod site_errors;
mod stats;

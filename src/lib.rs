//! benchbook: a static site generator for reports whose numbers are measured.
//!
//! The pipeline runs one way, one module per stage:
//! `load` → `bench` → `merge` → `markdown` → `render` → `write`, driven by `build`.

pub mod bench;
pub mod build;
pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod error;
pub mod html;
pub mod incremental;
pub mod init;
pub mod interrupt;
pub mod load;
pub mod markdown;
pub mod measure;
pub mod merge;
pub mod model;
pub mod print;
pub mod render;
pub mod results;
pub mod search;
pub mod serve;
pub mod setup;
pub mod stats;
pub mod write;
pub mod yamlpos;

//! The `markdown` stage.

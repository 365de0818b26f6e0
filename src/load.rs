//! The `load` stage.

//! The `render` stage.

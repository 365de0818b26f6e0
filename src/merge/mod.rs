//! The `merge` stage (being written).

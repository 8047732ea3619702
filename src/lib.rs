//! genseed library.

pub mod diag;
pub mod manifest;

//! Reading seed manifests: YAML files with source locations, JSON Schema validation of the
//! resulting values, CSV tables, and merging several files' top-level lists.
//!
//! Owns everything between bytes on disk and located `serde_json::Value`s. Must not know
//! about specific kinds, the Genesys API, plans or HTTP; reports problems as
//! [`crate::diag::Diagnostics`].
//!
//! Typical flow:
//! ```no_run
//! # use genseed::manifest::*;
//! # use genseed::diag::*;
//! # fn f(dir: &std::path::Path, schema: &serde_json::Value) -> Result<(), Diagnostics> {
//! let docs = load_dir(dir)?;                        // every *.yaml/*.yml, all errors at once
//! let validator = SchemaValidator::new(schema)?;    // compile once
//! let mut diags = Diagnostics::new();
//! for doc in &docs {
//!     diags.extend(validator.validate(doc));        // located, human-worded leaf errors
//! }
//! let diags = diags.into_result(())?;
//! let merged = merge(docs)?;                        // top-level lists → items with origins
//! for user in merged.items("users") {
//!     // pointers inside an item are relative to it
//!     let _where = user.locate("/email");
//!     let _problem = user.error("/email", "email already used by another user");
//! }
//! # Ok(()) }
//! ```

pub mod csv;
pub mod files;
pub mod merge;
pub mod pointer;
pub mod schema;
pub mod yaml;

pub use csv::{CsvRow, parse_csv, parse_csv_all, read_csv, read_csv_all};
pub use files::resolve_referenced;
pub use merge::load_dir;
pub use schema::{SchemaLeaf, SchemaValidator, validate_against};
pub use yaml::{Locate, LocatedDoc, Spans, load_file, load_yaml};

//! Reading seed manifests: YAML files with source locations, JSON Schema validation of the
//! resulting values, CSV tables.
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
//! diags.into_result(())?;
//! for doc in &docs {
//!     let _where = doc.locate("/users/0/email");    // file:line:col of any value
//! }
//! # Ok(()) }
//! ```

pub mod csv;
pub mod files;
pub mod merge;
pub(crate) mod parallel;
pub mod pointer;
mod quick;
pub mod schema;
pub mod spans;
mod stream;
pub mod yaml;

pub use csv::{CsvRow, parse_csv, parse_csv_all, read_csv, read_csv_all};
pub use files::resolve_referenced;
pub use merge::load_dir;
pub use schema::{SchemaLeaf, SchemaValidator, validate_against};
pub use yaml::{Locate, LocatedDoc, Spans, load_file, load_yaml};

//! Reading seed manifests: YAML files with source locations, JSON Schema validation of the
//! resulting values, CSV tables, and merging several files' top-level lists.
//!
//! Owns everything between bytes on disk and located `serde_json::Value`s. Must not know
//! about specific kinds, the Genesys API, plans or HTTP; reports problems as
//! [`crate::diag::Diagnostics`].

pub mod csv;
pub mod merge;
pub mod pointer;
pub mod schema;
pub mod yaml;

pub use csv::{CsvRow, parse_csv, read_csv};
pub use merge::{Item, Merged, SourceMap, load_dir, merge};
pub use schema::{SchemaLeaf, SchemaValidator, validate_against};
pub use yaml::{Locate, LocatedDoc, Spans, load_file, load_yaml};

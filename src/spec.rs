//! The manifest format (v1) as a JSON Schema, assembled from the kinds.
//!
//! Every kind owns its manifest entry type (serde + schemars, in its file under
//! `kinds/`); this module puts them together: one top-level key per kind (its
//! `manifest_key`, a list of its entries) plus the CSV sources (`usersFromCsv`). The
//! committed copy in `schemas/manifest.schema.json` is what validation uses and what
//! editors load; a test fails when it drifts from the types.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::kinds::KINDS;

/// The manifest schema's `$id`: stable across releases of format v1.
pub const MANIFEST_SCHEMA_ID: &str = "urn:genseed:schema:manifest:v1";

/// The JSON Schema of a manifest, generated from the kinds' entry types. `genseed
/// schema` prints it; `schemas/manifest.schema.json` is its committed copy.
pub fn manifest_schema() -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let mut properties = Map::new();
    let list = |description: &str, items: schemars::Schema| json!({"description": description, "type": "array", "items": items});
    for k in KINDS {
        if let (Some(key), Some(items)) = (k.manifest_key(), k.spec_schema(&mut generator)) {
            properties.insert(key.to_string(), list(k.manifest_doc(), items));
        }
        if let Some(csv) = k.csv_source() {
            let items = (csv.schema)(&mut generator);
            properties.insert(csv.manifest_key.to_string(), list(csv.doc, items));
        }
    }
    let defs: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": MANIFEST_SCHEMA_ID,
        "title": "genseed manifest (v1)",
        "description": "One seed file, or several merged: every top-level key is a list of objects.",
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
        "$defs": defs,
    })
}

/// The committed schema that validation uses (a test keeps it equal to
/// [`manifest_schema`]).
pub const COMMITTED_SCHEMA: &str = include_str!("../schemas/manifest.schema.json");

#[cfg(test)]
mod tests {
    #[test]
    fn committed_schema_matches_the_types() {
        let committed: serde_json::Value =
            serde_json::from_str(super::COMMITTED_SCHEMA).expect("committed schema is JSON");
        assert_eq!(
            committed,
            super::manifest_schema(),
            "schemas/manifest.schema.json is stale: run `cargo run -- schema > schemas/manifest.schema.json`"
        );
    }

    #[test]
    fn every_manifest_kind_has_a_key_in_the_schema() {
        let schema = super::manifest_schema();
        for k in crate::kinds::KINDS {
            if let Some(key) = k.manifest_key() {
                assert!(schema["properties"][key].is_object(), "{key}");
            }
        }
    }
}

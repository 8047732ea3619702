//! The JSON Schema of `genseed.yaml` (the manifests' is `spec::manifest_schema`), for
//! editors: `genseed schema project` prints it and `schemas/genseed.schema.json` is
//! its committed copy (a test keeps the two equal).

use serde_json::Value;

/// The `genseed.yaml` schema's `$id`: stable across releases of format v1.
pub(super) const PROJECT_SCHEMA_ID: &str = "urn:genseed:schema:project:v1";

/// The schema of `genseed.yaml`, generated from the settings types.
pub(super) fn project_schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(crate::settings::ProjectFile))
        .expect("a schema serializes");
    schema["$id"] = PROJECT_SCHEMA_ID.into();
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_project_schema_matches_the_types() {
        let committed: Value =
            serde_json::from_str(include_str!("../../schemas/genseed.schema.json"))
                .expect("committed schema is JSON");
        assert_eq!(
            committed,
            project_schema(),
            "schemas/genseed.schema.json is stale: run `cargo run -- schema project > schemas/genseed.schema.json`"
        );
    }
}

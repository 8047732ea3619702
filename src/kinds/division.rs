//! Authorization divisions (`/api/v2/authorization/divisions`), keyed by name.
//!
//! Create and update take `{name, description}` (the API requires a description, so
//! an empty one is sent when the manifest has none); there is no version. The home
//! division exists in every org and is only ever adopted.

use crate::api::ApiExt;
use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SMALL_PAGE_SIZE, Schema,
    SchemaGenerator, Target, create_by_name, observe_named, pick, schema_of, typed,
};

/// An authorization division.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct DivisionSpec {
    /// Division name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Description; the API requires one, so an empty string is sent when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

const PATH: &str = "/api/v2/authorization/divisions";

/// See the module docs.
pub(super) struct Division;

impl Kind for Division {
    /// From the CX as Code provider's docs (genesys-api.md §17); not in the SDK operation
    /// docs. Divisions are not division-scoped objects themselves.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["authorization:division:add"],
            Op::Update => &["authorization:division:edit"],
            Op::Delete => &["authorization:division:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Org
    }
    fn name(&self) -> &'static str {
        "division"
    }

    fn manifest_doc(&self) -> &'static str {
        "Authorization divisions, by name."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<DivisionSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn always_observed(&self) -> bool {
        true
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("divisions")
    }

    fn references(&self, _spec: &Value) -> Vec<Ref> {
        Vec::new()
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        _declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        observe_named(ctx, self.name(), PATH, SMALL_PAGE_SIZE)
    }

    fn desired_view(&self, spec: &Value) -> Value {
        pick(spec, &["name", "description"])
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        // Every org has its home division: referenced by leaving `division` out.
        if super::is_home_division(observed, resolver) {
            return None;
        }
        Some(super::fit::<DivisionSpec>(
            &self.observed_view(observed, resolver),
        ))
    }

    fn observed_view(&self, observed: &Value, _resolver: &Resolver) -> Value {
        pick(observed, &["name", "description"])
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: DivisionSpec = typed(target.declared)?;
            let name = spec.name.as_str();
            let description = spec.description.as_deref();
            match target.observed {
                None => {
                    let body = json!({"name": name, "description": description.unwrap_or("")});
                    create_by_name(ctx, self.name(), PATH, name, &body).await
                }
                Some(observed) => {
                    let id = super::id_of(observed, "a division")?;
                    let current = observed.get("description").and_then(Value::as_str);
                    let body =
                        json!({"name": name, "description": description.or(current).unwrap_or("")});
                    ctx.client.put(&format!("{PATH}/{id}"), &body).await?;
                    Ok(id)
                }
            }
        })
    }
}

//! Wrap-up codes (`/api/v2/routing/wrapupcodes`), keyed by name.
//!
//! Create and update (PUT, no version) take `{name, description, division: {id}}`;
//! division `*` means all divisions, which is also the API's default.

use crate::api::ApiExt;
use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SMALL_PAGE_SIZE, Schema,
    SchemaGenerator, Target, create_by_name, declared_or_observed, division_body, division_name,
    division_ref, id_of, observe_named, schema_of, str_field, typed, typed_value, view_of,
};

/// A wrap-up code.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct WrapupCodeSpec {
    /// Wrap-up code name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division by name, or `*` for all divisions; omitted: not managed (the API defaults to `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

const PATH: &str = "/api/v2/routing/wrapupcodes";

/// See the module docs.
pub(super) struct WrapupCode;

impl Kind for WrapupCode {
    /// From the CX as Code provider's docs (genesys-api.md §17); not in the SDK operation
    /// docs. A code without a division is in all divisions (the API's default).
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["routing:wrapupCode:add"],
            Op::Update => &["routing:wrapupCode:edit"],
            Op::Delete => &["routing:wrapupCode:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::DivisionOrAll
    }
    fn name(&self) -> &'static str {
        "wrapupcode"
    }

    fn manifest_doc(&self) -> &'static str {
        "Wrap-up codes, by name."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<WrapupCodeSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn label(&self) -> &'static str {
        "wrap-up code"
    }

    fn allows_all_divisions(&self) -> bool {
        true
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("wrapupCodes")
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        division_ref(str_field(spec, "division"))
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        _declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        observe_named(ctx, self.name(), PATH, SMALL_PAGE_SIZE)
    }

    fn desired_view(&self, spec: &Value) -> Value {
        typed_value::<WrapupCodeSpec>(spec).map_or(Value::Null, |s| view_of(&s))
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let view = self.observed_view(observed, resolver);
        Some(super::fit_in_division::<WrapupCodeSpec>(
            view, observed, resolver,
        ))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let division = division_name(observed, resolver);
        json!({"name": observed["name"], "division": division, "description": observed.get("description")})
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: WrapupCodeSpec = typed(target.declared)?;
            let name = spec.name.as_str();
            let mut body = json!({"name": name});
            if let Some(d) = division_body(ctx, spec.division.as_deref(), target.observed)? {
                body["division"] = d;
            }
            let description =
                declared_or_observed(spec.description.as_deref(), target.observed, "description");
            if let Some(d) = description {
                body["description"] = json!(d);
            }
            match target.observed {
                None => create_by_name(ctx, self.name(), PATH, name, &body).await,
                Some(observed) => {
                    let id = id_of(observed, "a wrap-up code")?;
                    ctx.client.put(&format!("{PATH}/{id}"), &body).await?;
                    Ok(id)
                }
            }
        })
    }
}

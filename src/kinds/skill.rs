//! Routing skills (`/api/v2/routing/skills`), keyed by name.
//!
//! Create takes `{name, divisionId}`. Skills cannot be renamed; the only change is the
//! division (`PATCH {divisionId}`). Soft-deleted skills are not adopted.

use crate::api::ApiExt;
use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, PAGE_SIZE, Ref, Resolver, Schema,
    SchemaGenerator, Target, create_by_name, division_name, division_ref, id_of, observe_named,
    schema_of, str_field, typed, typed_value, view_of,
};

/// A routing skill. Skills cannot be renamed through the API.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct SkillSpec {
    /// Skill name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division the skill belongs to (by name); omitted: left as the org decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
}

const PATH: &str = "/api/v2/routing/skills";

/// See the module docs.
pub(super) struct Skill;

impl Kind for Skill {
    /// `routing:skill:manage` for create is confirmed in the SDK operation docs (the
    /// provider names it for edit and delete too). Whether the server checks it in the
    /// skill's division is unconfirmed (the docs say view enforcement applies to skills in
    /// a division); any division is taken.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["routing:skill:manage"],
            Op::Update => &["routing:skill:manage"],
            Op::Delete => &["routing:skill:manage"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Org
    }
    fn name(&self) -> &'static str {
        "skill"
    }

    fn manifest_doc(&self) -> &'static str {
        "Routing skills, by name."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<SkillSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("skills")
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        division_ref(str_field(spec, "division"))
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        _declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        observe_named(ctx, self.name(), PATH, PAGE_SIZE)
    }

    fn desired_view(&self, spec: &Value) -> Value {
        typed_value::<SkillSpec>(spec).map_or(Value::Null, |s| view_of(&s))
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let view = self.observed_view(observed, resolver);
        Some(super::fit_in_division::<SkillSpec>(
            view, observed, resolver,
        ))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        json!({"name": observed["name"], "division": division_name(observed, resolver)})
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: SkillSpec = typed(target.declared)?;
            let name = spec.name.as_str();
            let division = match spec.division.as_deref() {
                Some(d) => Some(ctx.resolver.require("division", d)?),
                None => None,
            };
            match target.observed {
                None => {
                    let mut body = json!({"name": name});
                    if let Some(d) = &division {
                        body["divisionId"] = json!(d);
                    }
                    create_by_name(ctx, self.name(), PATH, name, &body).await
                }
                Some(observed) => {
                    let id = id_of(observed, "a skill")?;
                    if let Some(d) = division {
                        ctx.client
                            .patch(&format!("{PATH}/{id}"), &json!({"divisionId": d}))
                            .await?;
                    }
                    Ok(id)
                }
            }
        })
    }
}

//! Skill groups (`/api/v2/routing/skillgroups`), keyed by name.
//!
//! Listed with the cursor listing (`after` from `nextUri`); the listing's
//! `SkillGroupDefinition` has no conditions, so each declared group that exists is read
//! with `GET .../{id}`. Created with `POST {name, division: {id}, description,
//! skillConditions}`; updated with `PATCH` carrying the full definition (as Terraform
//! does). Conditions name skills and languages (not IDs), so groups come after them.
//! Member divisions are read with `GET .../{id}/members/divisions` and changed with
//! `POST .../{id}/members/divisions {addDivisionIds, removeDivisionIds}`; a create
//! sends them as `memberDivisions`.

use crate::api::ApiExt;
use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Addr, BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, Schema,
    SchemaGenerator, Target, declared_or_observed, division_body, division_name, division_ref,
    id_of, index_by_name, norm_key, schema_of, str_field, typed, typed_value, view_of,
};

/// A skill group (users are members when their skills match the conditions).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct SkillGroupSpec {
    /// Skill group name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division by name; omitted: not managed (the org's home division on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Membership conditions (the API's `skillConditions`), skills and languages by name.
    pub skill_conditions: Vec<SkillGroupConditionSpec>,
    /// Divisions whose agents the group may hold, by name. Declared: exactly these.
    /// Omitted: the group's own division is added (others already set are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_divisions: Option<Vec<String>>,
}

/// `SkillGroupCondition`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct SkillGroupConditionSpec {
    /// Conditions on routing skills.
    #[serde(default)]
    pub routing_skill_conditions: Vec<RoutingSkillConditionSpec>,
    /// Conditions on languages.
    #[serde(default)]
    pub language_skill_conditions: Vec<LanguageSkillConditionSpec>,
    /// How the conditions combine.
    pub operation: ConditionOperation,
}

/// `SkillGroupRoutingCondition`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RoutingSkillConditionSpec {
    /// Skill name (declared under `skills`).
    #[schemars(length(min = 1))]
    pub routing_skill: String,
    /// Comparison with the proficiency.
    pub comparator: Comparator,
    /// Proficiency 0-5.
    #[schemars(range(min = 0, max = 5))]
    pub proficiency: u8,
    /// Nested conditions.
    #[serde(default)]
    pub child_conditions: Vec<SkillGroupConditionSpec>,
}

/// `SkillGroupLanguageCondition`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct LanguageSkillConditionSpec {
    /// Language name (declared under `languages`).
    #[schemars(length(min = 1))]
    pub language_skill: String,
    /// Comparison with the proficiency.
    pub comparator: Comparator,
    /// Proficiency 0-5.
    #[schemars(range(min = 0, max = 5))]
    pub proficiency: u8,
    /// Nested conditions.
    #[serde(default)]
    pub child_conditions: Vec<SkillGroupConditionSpec>,
}

/// `SkillGroupCondition.operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(super) enum ConditionOperation {
    /// All must hold.
    And,
    /// Any may hold.
    Or,
    /// None may hold.
    Not,
}

/// Skill-group condition comparators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(super) enum Comparator {
    /// `=`
    EqualTo,
    /// `!=`
    NotEqualTo,
    /// `<`
    LessThan,
    /// `>`
    GreaterThan,
    /// `>=`
    GreaterThanOrEqualTo,
    /// `<=`
    LessThanOrEqualTo,
}

const PATH: &str = "/api/v2/routing/skillgroups";
const PAGE: u32 = 100;

/// See the module docs.
pub(super) struct SkillGroup;

/// Conditions as compared: skill and language names lower-cased, proficiencies as
/// numbers, `childConditions` always present.
fn conditions_view(v: &Value) -> Value {
    Value::Array(
        v.as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let side = |field: &str, name: &str| -> Value {
                    Value::Array(
                        c.get(field)
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .map(|r| {
                                json!({
                                    name: str_field(r, name).map(norm_key),
                                    "comparator": r.get("comparator"),
                                    "proficiency": r.get("proficiency"),
                                    "childConditions": conditions_view(r.get("childConditions").unwrap_or(&Value::Null)),
                                })
                            })
                            .collect(),
                    )
                };
                json!({
                    "routingSkillConditions": side("routingSkillConditions", "routingSkill"),
                    "languageSkillConditions": side("languageSkillConditions", "languageSkill"),
                    "operation": c.get("operation"),
                })
            })
            .collect(),
    )
}

/// Skill and language names in conditions as the org spells them (views lower-case).
fn recase_conditions(v: &mut Value, resolver: &Resolver) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let kind = match k.as_str() {
                    "routingSkill" => "skill",
                    "languageSkill" => "language",
                    _ => {
                        recase_conditions(x, resolver);
                        continue;
                    }
                };
                if let Some(name) = x.as_str() {
                    *x = json!(super::cased(resolver, kind, name));
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| recase_conditions(x, resolver)),
        _ => {}
    }
}

/// Every skill (language) a condition list names, with the pointer of the field.
fn condition_refs(v: &Value, at: &str, out: &mut Vec<Ref>) {
    for (i, c) in v.as_array().into_iter().flatten().enumerate() {
        for (field, name, kind) in [
            ("routingSkillConditions", "routingSkill", "skill"),
            ("languageSkillConditions", "languageSkill", "language"),
        ] {
            for (j, r) in c
                .get(field)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let here = format!("{at}/{i}/{field}/{j}");
                if let Some(n) = str_field(r, name) {
                    out.push(Ref {
                        target: Addr::new(kind, n),
                        field: format!("{here}/{name}"),
                    });
                }
                if let Some(children) = r.get("childConditions") {
                    condition_refs(children, &format!("{here}/childConditions"), out);
                }
            }
        }
    }
}

/// The manifest's conditions as the API wants them (`childConditions` always sent).
fn conditions_body(v: &Value) -> Value {
    Value::Array(
        v.as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let side = |field: &str| -> Value {
                    Value::Array(
                        c.get(field)
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .map(|r| {
                                let mut r = r.clone();
                                r["childConditions"] = conditions_body(
                                    r.get("childConditions").unwrap_or(&Value::Null),
                                );
                                r
                            })
                            .collect(),
                    )
                };
                json!({
                    "routingSkillConditions": side("routingSkillConditions"),
                    "languageSkillConditions": side("languageSkillConditions"),
                    "operation": c.get("operation"),
                })
            })
            .collect(),
    )
}

/// Look a group up by name with the cursor listing's prefix filter.
async fn find(ctx: &Ctx, name: &str) -> Result<Option<Value>, KindError> {
    let listed = ctx
        .client
        .list_cursor(PATH, &[("name", name.to_string())], PAGE)
        .await?;
    Ok(listed
        .into_iter()
        .find(|o| str_field(o, "name").map(norm_key) == Some(norm_key(name))))
}

impl Kind for SkillGroup {
    /// From the CX as Code provider's docs (genesys-api.md §17); not in the SDK operation
    /// docs.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["routing:skillGroup:add"],
            Op::Update => &["routing:skillGroup:edit"],
            Op::Delete => &["routing:skillGroup:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Division
    }
    fn name(&self) -> &'static str {
        "skillgroup"
    }

    fn manifest_doc(&self) -> &'static str {
        "Skill groups, by name."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<SkillGroupSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn label(&self) -> &'static str {
        "skill group"
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("skillGroups")
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        let mut refs = division_ref(str_field(spec, "division"));
        for (i, d) in spec
            .get("memberDivisions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            refs.extend(division_ref(d.as_str()).into_iter().map(|mut r| {
                r.field = format!("/memberDivisions/{i}");
                r
            }));
        }
        if let Some(c) = spec.get("skillConditions") {
            condition_refs(c, "/skillConditions", &mut refs);
        }
        refs
    }

    fn observes_details(&self) -> bool {
        true
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        Box::pin(async move {
            let all = ctx.client.list_cursor(PATH, &[], PAGE).await?;
            let mut out = index_by_name(self.name(), all, &ctx.resolver);
            for d in declared {
                if let Some(listed) = out.get_mut(&d.addr.norm()) {
                    let id = id_of(listed, "a skill group listing")?;
                    *listed = ctx.client.get(&format!("{PATH}/{id}"), &[]).await?;
                    let divisions = ctx
                        .client
                        .get(&format!("{PATH}/{id}/members/divisions"), &[])
                        .await?;
                    listed["memberDivisions"] = divisions
                        .get("entities")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|e| str_field(e, "id"))
                        .map(|id| json!(id))
                        .collect();
                }
            }
            Ok(out)
        })
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let Some(spec) = typed_value::<SkillGroupSpec>(spec) else {
            return Value::Null;
        };
        let mut view = view_of(&spec);
        view["skillConditions"] = conditions_view(&view_of(&spec.skill_conditions));
        if let Some(list) = &spec.member_divisions {
            view["memberDivisions"] = sorted_names(list.iter().map(String::as_str));
        }
        view
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let mut view = self.observed_view(observed, resolver);
        recase_conditions(&mut view, resolver);
        Some(super::fit_in_division::<SkillGroupSpec>(
            view, observed, resolver,
        ))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let division = division_name(observed, resolver);
        json!({
            "name": observed["name"],
            "division": division,
            "description": observed.get("description"),
            "skillConditions": conditions_view(&observed["skillConditions"]),
            "memberDivisions": sorted_names(member_division_ids(observed).iter().map(|id| {
                resolver.name("division", id).unwrap_or_else(|| id.clone())
            }).collect::<Vec<_>>().iter().map(String::as_str)),
        })
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: SkillGroupSpec = typed(target.declared)?;
            let name = spec.name.as_str();
            let mut body = json!({
                "name": name,
                "skillConditions": conditions_body(&view_of(&spec.skill_conditions)),
            });
            if let Some(d) = division_body(ctx, spec.division.as_deref(), target.observed)? {
                body["division"] = d;
            }
            let description =
                declared_or_observed(spec.description.as_deref(), target.observed, "description");
            if let Some(d) = description {
                body["description"] = json!(d);
            }
            // Member divisions: the declared list, else the group's own division. The
            // CX as Code provider always sets them; without them the group likely
            // covers only its own division's agents (unconfirmed).
            let own = body
                .pointer("/division/id")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| ctx.home_division.clone());
            let wanted: Vec<String> = match &spec.member_divisions {
                Some(list) => list
                    .iter()
                    .map(|d| ctx.resolver.require("division", d))
                    .collect::<Result<_, _>>()?,
                None => own.into_iter().collect(),
            };
            match target.observed {
                None => {
                    body["memberDivisions"] = json!(wanted);
                    create(ctx, name, &body).await
                }
                Some(observed) => {
                    let id = id_of(observed, "a skill group")?;
                    ctx.client.patch(&format!("{PATH}/{id}"), &body).await?;
                    let have = member_division_ids(observed);
                    let add: Vec<&String> = wanted.iter().filter(|d| !have.contains(d)).collect();
                    let remove: Vec<&String> = match spec.member_divisions {
                        Some(_) => have.iter().filter(|d| !wanted.contains(d)).collect(),
                        None => Vec::new(),
                    };
                    if !add.is_empty() || !remove.is_empty() {
                        let change = json!({"addDivisionIds": add, "removeDivisionIds": remove});
                        ctx.client
                            .post_safe(&format!("{PATH}/{id}/members/divisions"), &change)
                            .await?;
                    }
                    Ok(id)
                }
            }
        })
    }
}

/// The member division ids observation put on a group.
fn member_division_ids(observed: &Value) -> Vec<String> {
    observed
        .get("memberDivisions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// Division names compared as a set.
fn sorted_names<'a>(names: impl Iterator<Item = &'a str>) -> Value {
    let mut v: Vec<&str> = names.collect();
    v.sort_by_key(|n| norm_key(n));
    v.dedup_by_key(|n| norm_key(n));
    json!(v)
}

/// POST once; on a lost answer or a conflict, look the group up and adopt it.
async fn create(ctx: &Ctx, name: &str, body: &Value) -> Result<String, KindError> {
    let mut last = None;
    for _ in 0..4 {
        match ctx.client.create(PATH, body).await {
            Ok(created) => return id_of(&created, &format!("POST {PATH}")),
            Err(e) if e.is_ambiguous() || e.is_conflict() => {
                if let Some(found) = find(ctx, name).await? {
                    return id_of(&found, &format!("GET {PATH}"));
                }
                if e.is_conflict() {
                    return Err(KindError::Other(format!(
                        "skill group `{name}`: refused as a duplicate, but none of that name is visible: {e}"
                    )));
                }
                last = Some(e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last
        .map(KindError::from)
        .unwrap_or_else(|| KindError::Other(format!("skill group `{name}`: could not be created"))))
}

//! Authorization roles (`/api/v2/authorization/roles`), keyed by name.
//!
//! Listed once with `userCount=false`. Created with `POST {name, description,
//! permissions, permissionPolicies}`; updated with `PUT` (no version), sending the
//! org's current value of every field the manifest does not manage (the PUT replaces).
//! Built-in roles (`default: true`) are never renamed: an update keeps their name.
//! Grants of roles to users are the `user-roles` sub-kind.

use super::At;
use crate::api::ApiExt;
use crate::diag::{Diagnostic, Diagnostics};
use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SMALL_PAGE_SIZE, Schema,
    SchemaGenerator, Target, create_by_name, id_of, observe_named_with, schema_of, typed,
    typed_value, view_of,
};

/// An authorization role, keyed by name. Built-in roles are not declared: grants refer
/// to them by `defaultRoleId` (e.g. `employee`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RoleSpec {
    /// Role name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Legacy permission names (e.g. `group_creation`), not `domain:entity:action`
    /// policies, which go in `permissionPolicies`; omitted: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// Permission policies; omitted: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_policies: Option<Vec<PermissionPolicySpec>>,
}

/// One `DomainPermissionPolicy` of a role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PermissionPolicySpec {
    /// Permission domain, e.g. `routing`.
    #[schemars(length(min = 1))]
    pub domain: String,
    /// Entity, e.g. `queue` (`*` for all).
    #[schemars(length(min = 1))]
    pub entity_name: String,
    /// Actions, e.g. `[view, edit]` (`*` for all).
    #[schemars(length(min = 1))]
    pub action_set: Vec<String>,
}

const PATH: &str = "/api/v2/authorization/roles";

/// The `defaultRoleId`s of built-in roles a manifest may grant without declaring them.
/// Validation accepts these; the plan checks that the org really has them.
pub const BUILTIN_ROLE_IDS: &[&str] = &["employee", "admin"];

/// Is `role` (as written in a grant) a built-in role's `defaultRoleId`?
pub fn is_builtin(role: &str) -> bool {
    BUILTIN_ROLE_IDS
        .iter()
        .any(|b| b.eq_ignore_ascii_case(role.trim()))
}

/// See the module docs.
pub(super) struct Role;

/// Policies compared as sets: one `{domain, entityName, actionSet (sorted)}` per domain
/// and entity (the actions of repeated entries merged), sorted. Read fields the API adds
/// (`allowConditions`, `namedResources`, `policyName`) are not compared, so a role
/// whose policies the org stores merged or annotated shows no drift.
fn policies_view(v: &Value) -> Value {
    let mut merged: std::collections::BTreeMap<(String, String), Vec<String>> =
        std::collections::BTreeMap::new();
    for p in v.as_array().into_iter().flatten() {
        let key = (
            super::str_field(p, "domain")
                .unwrap_or_default()
                .to_string(),
            super::str_field(p, "entityName")
                .unwrap_or_default()
                .to_string(),
        );
        let actions = merged.entry(key).or_default();
        actions.extend(
            p.get("actionSet")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
    }
    Value::Array(
        merged
            .into_iter()
            .map(|((domain, entity), mut actions)| {
                actions.sort();
                actions.dedup();
                json!({"domain": domain, "entityName": entity, "actionSet": actions})
            })
            .collect(),
    )
}

fn permissions_view(v: &Value) -> Value {
    let mut out: Vec<&str> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    out.sort_unstable();
    out.dedup();
    json!(out)
}

/// `permissions` holds the API's legacy permission names (the CX as Code provider's
/// example: `group_creation`), never `domain:entity:action` strings: those are policies
/// and belong in `permissionPolicies`. Whether the real API refuses them or accepts
/// and ignores them is unconfirmed; either way the role would not grant them, so
/// genseed refuses them here.
fn check_permissions(d: &Declared, at: At<'_>, diags: &mut Diagnostics) {
    let list = d.spec.get("permissions").and_then(Value::as_array);
    for (i, p) in list.into_iter().flatten().enumerate() {
        let Some(p) = p.as_str() else { continue };
        let parts: Vec<&str> = p.split(':').collect();
        if parts.len() < 2 {
            continue;
        }
        let hint = match parts.as_slice() {
            [domain, entity, action] => format!(
                "write it under permissionPolicies: {{domain: {domain}, entityName: {entity}, actionSet: [{action}]}}"
            ),
            _ => {
                "domain:entity:action permissions are policies: write them under permissionPolicies"
                    .to_string()
            }
        };
        diags.push(
            Diagnostic::error(format!(
                "`{p}` is a permission policy, not a legacy permission name"
            ))
            .at(at(&format!("/permissions/{i}")))
            .with_hint(hint),
        );
    }
}

impl Kind for Role {
    /// From the CX as Code provider's docs (genesys-api.md §17); not in the SDK operation
    /// docs. Roles are not division-aware.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["authorization:role:add"],
            Op::Update => &["authorization:role:edit"],
            Op::Delete => &["authorization:role:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Org
    }
    fn name(&self) -> &'static str {
        "role"
    }

    fn manifest_doc(&self) -> &'static str {
        "Authorization roles, by name (built-in roles are referenced, not declared)."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<RoleSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn check(&self, d: &Declared, at: At<'_>, diags: &mut Diagnostics) {
        check_permissions(d, at, diags);
        if is_builtin(&d.addr.key) {
            diags.push(
                Diagnostic::error(format!(
                    "role `{}` has the name of a built-in role's defaultRoleId",
                    d.addr.key
                ))
                .at(at("/name"))
                .with_hint(format!(
                    "built-in roles ({}) are granted by defaultRoleId without declaring them; give a custom role another name",
                    BUILTIN_ROLE_IDS.join(", ")
                )),
            );
        }
    }

    fn missing_ref_hint(&self) -> Option<String> {
        Some(format!(
            "or grant a built-in role by its defaultRoleId ({})",
            BUILTIN_ROLE_IDS.join(", ")
        ))
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("roles")
    }

    fn references(&self, _spec: &Value) -> Vec<Ref> {
        Vec::new()
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        _declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        observe_named_with(
            ctx,
            self.name(),
            PATH,
            &[("userCount", "false")],
            SMALL_PAGE_SIZE,
        )
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let Some(spec) = typed_value::<RoleSpec>(spec) else {
            return Value::Null;
        };
        let mut view = view_of(&spec);
        if let Some(p) = &spec.permissions {
            view["permissions"] = permissions_view(&json!(p));
        }
        if let Some(p) = &spec.permission_policies {
            view["permissionPolicies"] = policies_view(&view_of(p));
        }
        view
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        // Built-in roles exist in every org; grants name them by `defaultRoleId`.
        if super::str_field(observed, "defaultRoleId").is_some_and(|d| !d.is_empty()) {
            return None;
        }
        Some(super::fit::<RoleSpec>(
            &self.observed_view(observed, resolver),
        ))
    }

    fn observed_view(&self, observed: &Value, _resolver: &Resolver) -> Value {
        json!({
            "name": observed["name"],
            "description": observed.get("description"),
            "permissions": permissions_view(&observed["permissions"]),
            "permissionPolicies": policies_view(&observed["permissionPolicies"]),
        })
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: RoleSpec = typed(target.declared)?;
            let name = spec.name.as_str();
            let current = |k: &str| target.observed.and_then(|o| o.get(k)).cloned();
            let mut body = json!({"name": name});
            if target.observed.is_some_and(|o| o["default"] == json!(true)) {
                body["name"] = current("name").unwrap_or_else(|| json!(name));
            }
            let declared = [
                ("description", spec.description.as_ref().map(|d| json!(d))),
                ("permissions", spec.permissions.as_ref().map(|p| json!(p))),
                (
                    "permissionPolicies",
                    spec.permission_policies.as_ref().map(view_of),
                ),
            ];
            for (k, v) in declared {
                if let Some(v) = v.or_else(|| current(k)) {
                    body[k] = v;
                }
            }
            match target.observed {
                None => create_by_name(ctx, self.name(), PATH, name, &body).await,
                Some(observed) => {
                    let id = id_of(observed, "a role")?;
                    ctx.client.put(&format!("{PATH}/{id}"), &body).await?;
                    Ok(id)
                }
            }
        })
    }
}

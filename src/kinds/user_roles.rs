//! A user's role grants (role × division), as the sub-kind `user-roles` of `user`.
//!
//! Additive, like memberships: genseed adds the grants the manifest lists and never
//! removes one. Observed per existing user with `GET /api/v2/authorization/subjects/{id}`;
//! added with `POST /api/v2/authorization/subjects/{id}/bulkadd?subjectType=PC_USER`
//! (`{grants: [{roleId, divisionId}]}`, `*` = all divisions). A role or division created
//! seconds earlier may answer 404 until the authorization caches catch up (§7.2), so a
//! 404 is retried with backoff for a bounded time.
//!
//! A grant's role is a declared role's name or a built-in role's `defaultRoleId`
//! ([`super::role::BUILTIN_ROLE_IDS`]); the built-ins used are looked up with
//! `?defaultRoleId=` while observing, and a missing one stops the plan. A grant without
//! a division is in the user's division (the home division when the user names none).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::api::ApiExt;
use serde_json::{Map, Value, json};

use super::role::is_builtin;
use super::{
    Addr, BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SMALL_PAGE_SIZE,
    Target, derive_sub, norm_key, parent_ref, str_field, typed_value,
};

/// A role granted to a user in a division. Additive: grants not listed are left alone.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RoleGrantSpec {
    /// A declared role's name, or a built-in role's `defaultRoleId` (e.g. `employee`).
    #[schemars(length(min = 1))]
    pub role: String,
    /// Division by name, or `*` for all divisions; omitted: the user's division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
}

/// Marker of "the org's home division" in views.
const HOME: &str = "(home division)";
/// Resolver kind of built-in roles, keyed by `defaultRoleId`.
const BUILTIN: &str = "builtin-role";
/// How long a bulkadd answering 404 (fresh role or division) is retried.
const GRANT_VISIBLE_WITHIN: Duration = Duration::from_secs(60);

/// See the module docs.
pub(super) struct UserRoles;

/// `(role, division)` of each declared grant; division `None` = the home division.
fn grants(spec: &Value) -> Vec<(String, Option<String>)> {
    let Some(spec) = typed_value::<GrantsSpec>(spec) else {
        return Vec::new();
    };
    spec.items
        .into_iter()
        .map(|g| (g.role, g.division.or_else(|| spec.user_division.clone())))
        .collect()
}

/// The sub-resource spec: the user's grants and the user's own division (the
/// default of grants that name none).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantsSpec {
    items: Vec<RoleGrantSpec>,
    #[serde(default)]
    user_division: Option<String>,
}

fn grant_key(role: &str, division: Option<&str>) -> String {
    format!(
        "{} in {}",
        norm_key(role),
        division.map(norm_key).unwrap_or(HOME.into())
    )
}

impl Kind for UserRoles {
    fn name(&self) -> &'static str {
        "user-roles"
    }

    fn label(&self) -> &'static str {
        "roles of user"
    }

    fn manifest_key(&self) -> Option<&'static str> {
        None
    }

    fn parent(&self) -> Option<&'static str> {
        Some("user")
    }

    fn derive(&self, parent: &Declared) -> Option<Declared> {
        let mut sub = derive_sub(self.name(), parent, "roles")?;
        // Grants without a division default to the user's.
        sub.spec["userDivision"] = parent.spec.get("division").cloned().unwrap_or(Value::Null);
        Some(sub)
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        let mut refs = vec![parent_ref("user", spec)];
        for (i, g) in spec
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(role) = str_field(g, "role").filter(|r| !is_builtin(r)) {
                refs.push(Ref {
                    target: Addr::new("role", role),
                    field: format!("/{i}/role"),
                });
            }
            if let Some(d) = str_field(g, "division").filter(|d| *d != "*") {
                refs.push(Ref {
                    target: Addr::new("division", d),
                    field: format!("/{i}/division"),
                });
            }
        }
        refs
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        Box::pin(async move {
            // The built-in roles the grants use must exist in the org.
            let mut builtins: Vec<String> = declared
                .iter()
                .flat_map(|d| grants(&d.spec))
                .map(|(r, _)| r)
                .filter(|r| is_builtin(r))
                .map(|r| r.trim().to_lowercase())
                .collect();
            // An export declares users without grants: name every built-in role the
            // org has by its `defaultRoleId`.
            let export = declared.iter().any(|d| d.spec.get("items").is_none());
            if export {
                builtins.extend(super::BUILTIN_ROLE_IDS.iter().map(|b| b.to_string()));
            }
            builtins.sort();
            builtins.dedup();
            if !builtins.is_empty() {
                let found = ctx
                    .client
                    .list_pages(
                        "/api/v2/authorization/roles",
                        &[
                            ("defaultRoleId", builtins.join(",")),
                            ("userCount", "false".into()),
                        ],
                        SMALL_PAGE_SIZE,
                    )
                    .await?;
                for b in &builtins {
                    let role = found.iter().find(|r| {
                        str_field(r, "defaultRoleId").is_some_and(|x| x.eq_ignore_ascii_case(b))
                    });
                    match role.and_then(|r| str_field(r, "id")) {
                        Some(id) => ctx.resolver.insert(BUILTIN, b, id),
                        None if export => {}
                        None => {
                            return Err(KindError::Other(format!(
                                "the org has no built-in role with defaultRoleId `{b}`; declare the role under `roles:` and grant it by name"
                            )));
                        }
                    }
                }
            }
            let mut out = ObservedMap::new();
            for d in declared {
                let Some(user_id) = ctx.resolver.id("user", &d.addr.key) else {
                    continue;
                };
                let subject = ctx
                    .client
                    // No `subjectType` here: the SDK's getAuthorizationSubject has no
                    // such parameter (only bulkadd/bulkremove/bulkreplace take it).
                    .get(&format!("/api/v2/authorization/subjects/{user_id}"), &[])
                    .await?;
                out.insert(d.addr.norm(), lean_subject(subject, &ctx.home_division));
            }
            Ok(out)
        })
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let mut m = Map::new();
        for (role, division) in grants(spec) {
            // Declared spelling for the plan; matched case-insensitively by `diff`.
            m.insert(
                format!("{role} in {}", division.as_deref().unwrap_or(HOME)),
                json!(true),
            );
        }
        Value::Object(m)
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let mut grants: Vec<(String, Option<String>)> = Vec::new();
        for g in observed
            .get("grants")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(role_id), Some(div_id)) = (
                g.pointer("/role/id").and_then(Value::as_str),
                g.pointer("/division/id").and_then(Value::as_str),
            ) else {
                continue;
            };
            // Built-in roles by their `defaultRoleId`, declared ones by name.
            let Some(role) = resolver
                .name(BUILTIN, role_id)
                .or_else(|| resolver.name("role", role_id))
            else {
                continue;
            };
            // The home division is not exported: a grant there names no division
            // (which means the user's own division; exact when the user is in home).
            let division = if div_id == "*" {
                Some("*".to_string())
            } else if str_field(observed, "homeDivisionId") == Some(div_id) {
                None
            } else {
                resolver.name("division", div_id)
            };
            grants.push((role, division));
        }
        grants.sort_by_key(|(r, d)| (norm_key(r), d.as_deref().map(norm_key)));
        grants.dedup();
        let list: Vec<Value> = grants
            .into_iter()
            .map(|(role, division)| match division {
                Some(d) => json!({"role": role, "division": d}),
                None => json!({"role": role}),
            })
            .collect();
        Some(json!({ "roles": list }))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let home = str_field(observed, "homeDivisionId");
        let mut m = Map::new();
        for g in observed
            .get("grants")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(role_id), Some(div_id)) = (
                g.pointer("/role/id").and_then(Value::as_str),
                g.pointer("/division/id").and_then(Value::as_str),
            ) else {
                continue;
            };
            let roles: Vec<String> = [
                resolver.name("role", role_id),
                resolver.name(BUILTIN, role_id),
            ]
            .into_iter()
            .flatten()
            .collect();
            let mut divisions: Vec<Option<String>> = Vec::new();
            if div_id == "*" {
                divisions.push(Some("*".into()));
            } else {
                if let Some(n) = resolver.name("division", div_id) {
                    divisions.push(Some(n));
                }
                if home == Some(div_id) {
                    divisions.push(None);
                }
            }
            for r in &roles {
                for d in &divisions {
                    m.insert(grant_key(r, d.as_deref()), json!(true));
                }
            }
        }
        Value::Object(m)
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let user = target.declared.addr.key.as_str();
            let user_id = ctx.resolver.require("user", user)?;
            let have = target.observed_view.cloned().unwrap_or_else(|| json!({}));
            let mut pairs = Vec::new();
            for (role, division) in grants(&target.declared.spec) {
                if have.get(grant_key(&role, division.as_deref())).is_some() {
                    continue;
                }
                let role_id = if is_builtin(&role) {
                    ctx.resolver.require(BUILTIN, &role)?
                } else {
                    ctx.resolver.require("role", &role)?
                };
                let division_id = match division.as_deref() {
                    Some("*") => "*".to_string(),
                    Some(d) => ctx.resolver.require("division", d)?,
                    None => ctx.home_division.clone().ok_or_else(|| {
                        KindError::Other("the org's home division is not known".into())
                    })?,
                };
                let pair = json!({"roleId": role_id, "divisionId": division_id});
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
            if pairs.is_empty() {
                return Ok(user_id);
            }
            let path = format!("/api/v2/authorization/subjects/{user_id}/bulkadd");
            let query = [("subjectType", "PC_USER".to_string())];
            let body = json!({ "grants": pairs });
            let started = tokio::time::Instant::now();
            let mut wait = Duration::from_millis(500);
            loop {
                match ctx.client.post_safe_query(&path, &query, &body).await {
                    Ok(_) => return Ok(user_id),
                    Err(e) if e.is_not_found() && started.elapsed() < GRANT_VISIBLE_WITHIN => {
                        tracing::debug!(
                            user,
                            "grant answered 404 (fresh role or division?); retrying"
                        );
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(5));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        })
    }
}

/// What the views read of a subject: each grant's role and division ID, and the org's
/// home division (`homeDivisionId`); a user's whole subject is not kept.
fn lean_subject(mut subject: Value, home: &Option<String>) -> Value {
    let grants: Vec<Value> = subject
        .get_mut("grants")
        .map(Value::take)
        .and_then(|g| match g {
            Value::Array(a) => Some(a),
            _ => None,
        })
        .unwrap_or_default()
        .into_iter()
        .map(|g| {
            json!({
                "role": {"id": g.pointer("/role/id")},
                "division": {"id": g.pointer("/division/id")},
            })
        })
        .collect();
    json!({"grants": grants, "homeDivisionId": home})
}

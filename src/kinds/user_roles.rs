//! A user's role grants (role × division), as the sub-kind `user-roles` of `user`.
//!
//! Additive by default, like memberships: genseed adds the grants the manifest lists and
//! removes none; with `rolesPolicy: exclusive` on the user (or `setsPolicy: exclusive`),
//! grants not listed are removed one at a time with
//! `DELETE /api/v2/authorization/subjects/{id}/divisions/{division}/roles/{role}`.
//! Observed from list pages when that is cheaper (many users, few roles): each role's
//! holders with `GET /api/v2/authorization/roles/{id}/subjectgrants`; else per user with
//! `GET /api/v2/authorization/subjects/{id}`. Added with
//! `POST /api/v2/authorization/subjects/{id}/bulkadd?subjectType=PC_USER`
//! (`{grants: [{roleId, divisionId}]}`, `*` = all divisions). A role or division created
//! seconds earlier may answer 404 until the authorization caches catch up (§7.2), so a
//! 404 is retried with backoff for a bounded time.
//!
//! A grant's role is a declared role's name or a built-in role's `defaultRoleId`
//! ([`super::role::BUILTIN_ROLE_IDS`]); the built-ins used are looked up while observing
//! (in the listing of every role, or with `?defaultRoleId=`), and a missing one stops
//! the plan. A grant without
//! a division is in the user's division (the home division when the user names none).

use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::api::ApiExt;
use serde_json::{Map, Value, json};

use super::role::is_builtin;
use super::{
    Addr, BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, PAGE_SIZE, Ref, Resolver,
    SMALL_PAGE_SIZE, Target, derive_sub_with, norm_key, parent_ref, str_field, typed_value,
};

/// A role granted to a user in a division.
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
/// Up to this many users, grants are read per user without weighing the listings.
const MIN_USERS_FOR_LISTINGS: usize = 2;
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
    /// `authorization:grant:add` (bulkadd) is confirmed in the SDK operation docs;
    /// `authorization:grant:delete` from the provider's docs. Which division the server
    /// checks a grant in is unconfirmed; any division is taken.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["authorization:grant:add"],
            Op::Update => &["authorization:grant:add"],
            Op::Delete => &[],
            Op::RemoveMembers => &["authorization:grant:delete"],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Org
    }

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

    fn derive(&self, parent: &mut Declared) -> Option<Declared> {
        parent.spec.get("roles")?;
        // Grants without a division default to the user's.
        let division = parent.spec.get("division").cloned().unwrap_or(Value::Null);
        derive_sub_with(
            self.name(),
            parent,
            "roles",
            Some(("userDivision", division)),
        )
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        let grants = spec.get("items").and_then(Value::as_array);
        // A role and a division per grant, at most.
        let mut refs = Vec::with_capacity(1 + 2 * grants.map_or(0, Vec::len));
        refs.push(parent_ref("user", spec));
        for (i, g) in grants.into_iter().flatten().enumerate() {
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
            let users: Vec<(String, String)> = declared
                .iter()
                .filter_map(|d| Some((d.addr.norm(), ctx.resolver.id("user", &d.addr.key)?)))
                .collect();
            // Many users: every role is listed once (with `userCount`), which serves the
            // built-in look-up and weighs the per-role listings against per-user reads.
            let all_roles = if users.len() > MIN_USERS_FOR_LISTINGS {
                Some(
                    ctx.client
                        .list_pages("/api/v2/authorization/roles", &[], SMALL_PAGE_SIZE)
                        .await?,
                )
            } else {
                None
            };
            find_builtins(ctx, declared, all_roles.as_deref()).await?;
            if let Some(roles) = &all_roles
                && let Some(out) = grants_by_role(ctx, &users, roles).await?
            {
                return Ok(out);
            }
            grants_by_user(ctx, &users).await
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
        for g in observed_grants(observed) {
            let (Some(role_id), Some(div_id)) = (grant_role(g), grant_division(g)) else {
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
        for g in observed_grants(observed) {
            for key in grant_keys(g, home, resolver) {
                m.insert(key, json!(true));
            }
        }
        Value::Object(m)
    }

    fn removes_members(&self) -> bool {
        true
    }

    /// A grant is extra when none of the keys it answers to (a grant in the home
    /// division answers to the division's name and to "no division") is declared; it
    /// is shown once, as `role in division` in the org's spelling.
    fn extra_members(
        &self,
        desired_view: &Value,
        _observed_view: &Value,
        observed: &Value,
        resolver: &Resolver,
    ) -> Vec<String> {
        let want: HashSet<String> = desired_view
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| norm_key(k))
            .collect();
        let home = str_field(observed, "homeDivisionId");
        let mut extra: Vec<String> = observed_grants(observed)
            .filter(|g| {
                let keys = grant_keys(g, home, resolver);
                !keys.is_empty() && !keys.iter().any(|k| want.contains(k))
            })
            .filter_map(|g| shown_grant(g, resolver))
            .collect();
        extra.sort();
        extra.dedup();
        extra
    }

    /// Each grant of the user (re-read first) that answers to one of `keys` is removed
    /// with `DELETE /authorization/subjects/{id}/divisions/{division}/roles/{role}`;
    /// one already gone (404) counts as removed.
    fn remove_members<'a>(
        &'a self,
        ctx: &'a Ctx,
        parent_key: &'a str,
        keys: &'a [String],
    ) -> BoxFut<'a, Result<(), KindError>> {
        Box::pin(async move {
            let user_id = ctx.resolver.require("user", parent_key)?;
            let wanted: HashSet<String> = keys.iter().map(|k| norm_key(k)).collect();
            let path = format!("/api/v2/authorization/subjects/{user_id}");
            let subject = ctx.client.get(&path, &[]).await?;
            let home = ctx.home_division.as_deref();
            for g in observed_grants(&subject) {
                let matched = shown_grant(g, &ctx.resolver)
                    .into_iter()
                    .chain(grant_keys(g, home, &ctx.resolver))
                    .any(|k| wanted.contains(&norm_key(&k)));
                if let (true, Some(role), Some(div)) = (matched, grant_role(g), grant_division(g)) {
                    super::delete_path(ctx, &format!("{path}/divisions/{div}/roles/{role}"))
                        .await?;
                }
            }
            Ok(())
        })
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

fn observed_grants(observed: &Value) -> impl Iterator<Item = &Value> {
    observed
        .get("grants")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn grant_role(g: &Value) -> Option<&str> {
    g.pointer("/role/id").and_then(Value::as_str)
}

fn grant_division(g: &Value) -> Option<&str> {
    g.pointer("/division/id").and_then(Value::as_str)
}

/// The view keys one observed grant answers to: its role by name (declared or
/// built-in) in its division by name, and in "no division" too when that is the home
/// division `home`.
fn grant_keys(g: &Value, home: Option<&str>, resolver: &Resolver) -> Vec<String> {
    let (Some(role_id), Some(div_id)) = (grant_role(g), grant_division(g)) else {
        return Vec::new();
    };
    let roles = [
        resolver.name("role", role_id),
        resolver.name(BUILTIN, role_id),
    ];
    let mut divisions: Vec<Option<String>> = Vec::new();
    if div_id == "*" {
        divisions.push(Some("*".into()));
    } else {
        divisions.extend(resolver.name("division", div_id).map(Some));
        if home == Some(div_id) {
            divisions.push(None);
        }
    }
    let mut keys = Vec::new();
    for r in roles.iter().flatten() {
        for d in &divisions {
            keys.push(grant_key(r, d.as_deref()));
        }
    }
    keys
}

/// How the plan shows an observed grant: `role in division`, names as the org spells
/// them (the role's name as the API gives it when genseed does not know it).
fn shown_grant(g: &Value, resolver: &Resolver) -> Option<String> {
    let (role_id, div_id) = (grant_role(g)?, grant_division(g)?);
    let role = resolver
        .name("role", role_id)
        .or_else(|| resolver.name(BUILTIN, role_id))
        .or_else(|| {
            g.pointer("/role/name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })?;
    let division = match div_id {
        "*" => "*".to_string(),
        id => resolver
            .name("division", id)
            .or_else(|| {
                g.pointer("/division/name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| id.to_string()),
    };
    Some(format!("{role} in {division}"))
}

/// Register the built-in roles the grants use (every built-in, for an export, whose
/// users declare no grants) by their `defaultRoleId`, from `all_roles` when listed, else
/// with `GET /authorization/roles?defaultRoleId=`. A declared one the org lacks stops
/// the plan.
async fn find_builtins(
    ctx: &Ctx,
    declared: &[Declared],
    all_roles: Option<&[Value]>,
) -> Result<(), KindError> {
    let mut builtins: Vec<String> = declared
        .iter()
        .flat_map(|d| grants(&d.spec))
        .map(|(r, _)| r)
        .filter(|r| is_builtin(r))
        .map(|r| r.trim().to_lowercase())
        .collect();
    let export = declared.iter().any(|d| d.spec.get("items").is_none());
    if export {
        builtins.extend(super::BUILTIN_ROLE_IDS.iter().map(|b| b.to_string()));
    }
    builtins.sort();
    builtins.dedup();
    if builtins.is_empty() {
        return Ok(());
    }
    let found = match all_roles {
        Some(roles) => roles.to_vec(),
        None => {
            let query = [
                ("defaultRoleId", builtins.join(",")),
                ("userCount", "false".into()),
            ];
            ctx.client
                .list_pages("/api/v2/authorization/roles", &query, SMALL_PAGE_SIZE)
                .await?
        }
    };
    for b in &builtins {
        let role = found
            .iter()
            .find(|r| str_field(r, "defaultRoleId").is_some_and(|x| x.eq_ignore_ascii_case(b)));
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
    Ok(())
}

/// The grants of `users` (normalized key, id), one `GET /authorization/subjects/{id}`
/// each.
async fn grants_by_user(ctx: &Ctx, users: &[(String, String)]) -> Result<ObservedMap, KindError> {
    let mut out = ObservedMap::new();
    for (key, user_id) in users {
        let subject = ctx
            .client
            // No `subjectType` here: the SDK's getAuthorizationSubject has no such
            // parameter (only bulkadd/bulkremove/bulkreplace take it).
            .get(&format!("/api/v2/authorization/subjects/{user_id}"), &[])
            .await?;
        out.insert(key.clone(), lean_subject(subject, &ctx.home_division));
    }
    Ok(out)
}

/// The grants of `users` read from list pages instead: each of `roles` (every role of
/// the org, listed with `userCount`) with its holders
/// (`GET /authorization/roles/{id}/subjectgrants`, 500 per page), shaped as the subject
/// reads are. `None` when that costs at least as many requests as one read per user
/// (few users, or many roles), judged from the roles' `userCount`.
async fn grants_by_role(
    ctx: &Ctx,
    users: &[(String, String)],
    roles: &[Value],
) -> Result<Option<ObservedMap>, KindError> {
    let per_role: usize = roles
        .iter()
        .map(|r| {
            let holders = r.get("userCount").and_then(Value::as_u64).unwrap_or(0) as usize;
            holders.div_ceil(PAGE_SIZE as usize).max(1)
        })
        .sum();
    if per_role >= users.len() {
        return Ok(None);
    }
    let wanted: HashMap<&str, &str> = users
        .iter()
        .map(|(key, id)| (id.as_str(), key.as_str()))
        .collect();
    let mut grants: HashMap<&str, Vec<Value>> = HashMap::new();
    for role in roles {
        let Some(role_id) = str_field(role, "id") else {
            continue;
        };
        let path = format!("/api/v2/authorization/roles/{role_id}/subjectgrants");
        let holders = match ctx.client.list_pages(&path, &[], PAGE_SIZE).await {
            Ok(h) => h,
            // Deleted since the roles were listed: nobody holds it any more.
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e.into()),
        };
        let role_ref = json!({"id": role_id, "name": role.get("name")});
        for h in holders {
            let Some((&user_id, _)) = str_field(&h, "id").and_then(|id| wanted.get_key_value(id))
            else {
                continue;
            };
            for d in h
                .get("divisions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                // The shape a per-user read gives (`lean_subject`): role and division as
                // `id` and `name`, nothing else of a large org's grants held.
                grants.entry(user_id).or_default().push(json!({
                    "role": role_ref,
                    "division": {"id": d.get("id"), "name": d.get("name")},
                }));
            }
        }
    }
    let mut out = ObservedMap::new();
    for (key, user_id) in users {
        let found = grants.remove(user_id.as_str()).unwrap_or_default();
        out.insert(
            key.clone(),
            json!({"id": user_id, "grants": found, "homeDivisionId": ctx.home_division}),
        );
    }
    Ok(Some(out))
}

/// What the views read of a subject: each grant's role and division (ID and name), and the org's
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
                "role": {"id": g.pointer("/role/id"), "name": g.pointer("/role/name")},
                "division": {"id": g.pointer("/division/id"), "name": g.pointer("/division/name")},
            })
        })
        .collect();
    json!({"grants": grants, "homeDivisionId": home})
}

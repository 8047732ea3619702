//! Groups (`/api/v2/groups`), keyed by name, and their members (by e-mail) as the
//! sub-kind `group-members`.
//!
//! A group is created with `POST /api/v2/groups` (`GroupCreate`: name, type,
//! visibility, rulesVisible; genseed sends the defaults `official`, `public`, `true`
//! for what the manifest leaves out, as the CX as Code provider does). The
//! description is set with a `PUT` after the create (the provider notes the API only
//! takes it on update). Updates are `PUT /api/v2/groups/{id}` (`GroupUpdate`) with the
//! group's current `version`: a PUT replaces the optional settings, so genseed sends
//! what the org has (owners included) with the declared fields laid over it, and on a
//! version conflict it re-reads the group and tries again.
//!
//! Members are additive, like queue members: genseed adds the declared users with
//! `POST /api/v2/groups/{id}/members` (`{memberIds, version}`, at most 50 per call;
//! each call bumps the group's version, so it is re-read before the next) and never
//! removes one it did not declare. Observed per existing group with
//! `GET /api/v2/groups/{id}/members` (a page of users).

use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, PAGE_SIZE, Ref, Resolver, Schema,
    SchemaGenerator, SetPolicy, SubSpec, Target, create_by_name, delete_path, derive_sub, id_of,
    list_refs, observe_named, schema_of, str_field, typed, typed_value, view_of,
};
use crate::api::ApiExt;

const PATH: &str = "/api/v2/groups";
/// Member ids per add or remove call (the API's documented maximum).
const CHUNK: usize = 50;

/// A group of users (the API's `Group`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct GroupSpec {
    /// Group name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `official` or `social`; omitted: `official` on create, not managed after.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<GroupType>,
    /// Who may see the group: `public` or `members`; omitted: `public` on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<GroupVisibility>,
    /// Whether the group's rules are visible; omitted: `true` on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_visible: Option<bool>,
    /// Members by e-mail (declared users). Additive: members added in the org are kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// `exclusive`: members not listed are removed; `additive` (default, unless
    /// genseed.yaml's `setsPolicy` says otherwise): they are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members_policy: Option<SetPolicy>,
}

/// The API's group types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum GroupType {
    /// An official group.
    Official,
    /// A social group.
    Social,
}

/// The API's group visibilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum GroupVisibility {
    /// Everyone in the org.
    Public,
    /// Only the group's members.
    Members,
}

/// Fields of a group a PUT sends back as the org has them unless declared.
const SETTINGS: &[&str] = &["description", "visibility", "rulesVisible"];
/// Fields shown in views: the settings and `type`, which `GroupUpdate` lacks (a
/// different type plans a replace).
const VIEWED: &[&str] = &["description", "type", "visibility", "rulesVisible"];

/// See the module docs.
pub(super) struct Group;

/// `group-members/<group>`: the declared members of a group.
pub(super) struct GroupMembers;

/// The sub-kind's static, for the registry.
pub(super) static GROUP_MEMBERS: GroupMembers = GroupMembers;

/// The managed fields of a declared group (members are the sub-kind's).
fn settings(spec: &GroupSpec) -> Map<String, Value> {
    let mut m = match view_of(spec) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    m.remove("members");
    m.remove("membersPolicy");
    m
}

impl Kind for Group {
    /// From the provider's docs for groups (unconfirmed in the SDK operation docs). Groups
    /// are not division-aware.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["directory:group:add"],
            Op::Update => &["directory:group:edit"],
            Op::Delete => &["directory:group:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Org
    }
    fn name(&self) -> &'static str {
        "group"
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("groups")
    }

    fn manifest_doc(&self) -> &'static str {
        "Groups of users, by name, with their members (by e-mail)."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<GroupSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn references(&self, _spec: &Value) -> Vec<Ref> {
        Vec::new()
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["type"]
    }

    fn replace<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            if let Some(o) = target.observed {
                delete_path(ctx, &format!("{PATH}/{}", id_of(o, "a group")?)).await?;
            }
            let fresh = Target {
                declared: target.declared,
                observed: None,
                observed_view: None,
            };
            self.apply(ctx, fresh).await
        })
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        _declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        observe_named(ctx, self.name(), PATH, PAGE_SIZE)
    }

    fn desired_view(&self, spec: &Value) -> Value {
        typed_value::<GroupSpec>(spec).map_or(Value::Null, |s| Value::Object(settings(&s)))
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        Some(super::fit::<GroupSpec>(
            &self.observed_view(observed, resolver),
        ))
    }

    fn observed_view(&self, observed: &Value, _resolver: &Resolver) -> Value {
        let mut v = json!({"name": observed["name"]});
        for k in VIEWED {
            if let Some(x) = observed.get(*k).filter(|x| !x.is_null()) {
                v[*k] = x.clone();
            }
        }
        v
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: GroupSpec = typed(target.declared)?;
            let id = match target.observed {
                Some(o) => id_of(o, "a group")?,
                None => {
                    let body = json!({
                        "name": spec.name,
                        "type": spec.kind.unwrap_or(GroupType::Official),
                        "visibility": spec.visibility.unwrap_or(GroupVisibility::Public),
                        "rulesVisible": spec.rules_visible.unwrap_or(true),
                    });
                    let id = create_by_name(ctx, self.name(), PATH, &spec.name, &body).await?;
                    if spec.description.is_none() {
                        return Ok(id);
                    }
                    id
                }
            };
            update(ctx, &id, &spec).await?;
            Ok(id)
        })
    }
}

/// `PUT` the group: what the org has (owners included), the declared settings laid
/// over it, with the current version; a version conflict re-reads and tries again.
async fn update(ctx: &Ctx, id: &str, spec: &GroupSpec) -> Result<(), KindError> {
    let path = format!("{PATH}/{id}");
    for attempt in 0..3 {
        let current = ctx.client.get_existing(&path, &[]).await?;
        let mut body = json!({"name": spec.name, "version": current["version"]});
        for k in SETTINGS {
            if let Some(x) = current.get(*k).filter(|x| !x.is_null()) {
                body[*k] = x.clone();
            }
        }
        let owners: Vec<&str> = current
            .get("owners")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|o| str_field(o, "id"))
            .collect();
        if !owners.is_empty() {
            body["ownerIds"] = json!(owners);
        }
        for (k, v) in settings(spec) {
            if k != "type" {
                body[k] = v;
            }
        }
        match ctx.client.put(&path, &body).await {
            Ok(_) => return Ok(()),
            Err(e) if e.is_version_mismatch() && attempt < 2 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the last attempt returns")
}

/// The declared member e-mails of a `group-members` spec, in manifest order.
fn member_emails(spec: &Value) -> Vec<String> {
    typed_value::<SubSpec<Vec<String>>>(spec).map_or_else(Vec::new, |s| s.items)
}

/// The group's current version (each membership change bumps it).
async fn version(ctx: &Ctx, group_id: &str) -> Result<Value, KindError> {
    let group = ctx
        .client
        .get_existing(&format!("{PATH}/{group_id}"), &[])
        .await?;
    Ok(group["version"].clone())
}

impl Kind for GroupMembers {
    /// Changing a group's members edits the group (provider docs; unconfirmed in the SDK
    /// operation docs).
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["directory:group:edit"],
            Op::Update => &["directory:group:edit"],
            Op::Delete => &[],
            Op::RemoveMembers => &["directory:group:edit"],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Org
    }
    fn name(&self) -> &'static str {
        "group-members"
    }

    fn label(&self) -> &'static str {
        "members of group"
    }

    fn manifest_key(&self) -> Option<&'static str> {
        None
    }

    fn parent(&self) -> Option<&'static str> {
        Some("group")
    }

    fn derive(&self, parent: &mut Declared) -> Option<Declared> {
        derive_sub(self.name(), parent, "members")
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        list_refs("group", "user", spec)
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        Box::pin(async move {
            let mut out = ObservedMap::new();
            for d in declared {
                if let Some(group_id) = ctx.resolver.id("group", &d.addr.key) {
                    let members = ctx
                        .client
                        .list_pages(&format!("{PATH}/{group_id}/members"), &[], PAGE_SIZE)
                        .await?;
                    out.insert(d.addr.norm(), Value::Array(members));
                }
            }
            Ok(out)
        })
    }

    fn desired_view(&self, spec: &Value) -> Value {
        member_emails(spec)
            .into_iter()
            .map(|e| (e, json!(true)))
            .collect::<Map<String, Value>>()
            .into()
    }

    fn to_manifest(&self, observed: &Value, _resolver: &Resolver) -> Option<Value> {
        let mut emails: Vec<&str> = observed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| str_field(u, "email"))
            .collect();
        emails.sort_by_key(|e| super::norm_key(e));
        Some(json!({"members": emails}))
    }

    fn observed_view(&self, observed: &Value, _resolver: &Resolver) -> Value {
        observed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| str_field(u, "email"))
            .map(|e| (super::norm_key(e), json!(true)))
            .collect::<Map<String, Value>>()
            .into()
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let group = target.declared.addr.key.as_str();
            let group_id = ctx.resolver.require("group", group)?;
            let have = target.observed_view.cloned().unwrap_or_else(|| json!({}));
            let mut ids = Vec::new();
            for email in member_emails(&target.declared.spec) {
                if have.get(super::norm_key(&email)).is_none() {
                    ids.push(ctx.resolver.require("user", &email)?);
                }
            }
            let path = format!("{PATH}/{group_id}/members");
            for chunk in ids.chunks(CHUNK) {
                // The call carries the group's version: repeating it after a lost
                // answer conflicts (409), is re-read and is harmless (members already
                // in the group are ignored).
                let mut attempt = 0;
                loop {
                    let body =
                        json!({"memberIds": chunk, "version": version(ctx, &group_id).await?});
                    match ctx.client.post_safe(&path, &body).await {
                        Ok(_) => break,
                        Err(e) if (e.is_version_mismatch() || e.is_conflict()) && attempt < 2 => {
                            attempt += 1;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Ok(group_id)
        })
    }

    fn removes_members(&self) -> bool {
        true
    }

    fn remove_members<'a>(
        &'a self,
        ctx: &'a Ctx,
        parent_key: &'a str,
        keys: &'a [String],
    ) -> BoxFut<'a, Result<(), KindError>> {
        Box::pin(async move {
            let group_id = ctx.resolver.require("group", parent_key)?;
            let mut ids = Vec::new();
            for email in keys {
                ids.push(ctx.resolver.require("user", email)?);
            }
            for chunk in ids.chunks(CHUNK) {
                let path = format!("{PATH}/{group_id}/members?ids={}", chunk.join(","));
                delete_path(ctx, &path).await?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{Addr, Origin};

    fn declared(spec: Value) -> Declared {
        Declared {
            addr: Addr::new("group", spec["name"].as_str().unwrap()),
            spec: std::sync::Arc::new(spec),
            origin: Origin::default(),
        }
    }

    #[test]
    fn the_desired_view_leaves_members_to_the_sub_kind() {
        let spec = json!({"name": "G", "type": "social", "members": ["a@example.com"]});
        assert_eq!(
            Group.desired_view(&spec),
            json!({"name": "G", "type": "social"})
        );
    }

    #[test]
    fn members_are_derived_as_a_sub_resource_referencing_users() {
        let mut parent = declared(json!({"name": "G", "members": ["Ann@Example.com"]}));
        let sub = GROUP_MEMBERS.derive(&mut parent).unwrap();
        assert_eq!(
            *parent.spec,
            json!({"name": "G"}),
            "the members move to the sub"
        );
        assert_eq!(sub.addr, Addr::new("group-members", "G"));
        let refs = GROUP_MEMBERS.references(&sub.spec);
        assert_eq!(refs[0].target, Addr::new("group", "G"));
        assert_eq!(refs[1].target, Addr::new("user", "Ann@Example.com"));
        assert_eq!(refs[1].field, "/0");
        assert!(
            GROUP_MEMBERS
                .derive(&mut declared(json!({"name": "H"})))
                .is_none()
        );
    }

    #[test]
    fn observed_members_compare_by_lower_cased_e_mail() {
        let want =
            GROUP_MEMBERS.desired_view(&json!({"parent": "G", "items": ["Ann@Example.com"]}));
        let have = GROUP_MEMBERS.observed_view(
            &json!([{"id": "u1", "email": "ann@example.com"}, {"id": "u2", "email": "bo@example.com"}]),
            &Resolver::default(),
        );
        assert!(crate::kinds::diff(&want, &have).is_empty());
    }
}

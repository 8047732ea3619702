//! A user's routing skills and languages, as two sub-kinds of `user`.
//!
//! Additive: genseed sets the proficiency of every skill (language) the manifest
//! lists for the user and leaves the others alone. Observed from the user listing's
//! `expand=skills,languages` when the API filled it, else with
//! `GET /api/v2/users/{id}/routingskills` (`routinglanguages`). Applied with
//! `PATCH /api/v2/users/{id}/routingskills/bulk` (`routinglanguages/bulk`), at most 50
//! entries per call. An exclusive set (`skillsPolicy: exclusive`) has the others
//! removed with `DELETE /api/v2/users/{id}/routingskills/{skillId}`
//! (`routinglanguages/{languageId}`).

use crate::api::ApiExt;
use crate::permissions::Op;
use serde_json::{Map, Value, json};

use super::{
    Addr, BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SubSpec, Target,
    derive_sub, norm_key, parent_ref, str_field, typed_value,
};

/// Entries per bulk call (the documented maximum for languages, TF's chunk for skills).
const CHUNK: usize = 50;

/// The declared proficiencies by skill (language) name, in manifest order.
fn proficiencies(spec: &Value) -> Option<Vec<(String, f64)>> {
    let sub = typed_value::<SubSpec<Map<String, Value>>>(spec)?;
    sub.items
        .into_iter()
        .map(|(name, p)| Some((name, p.as_f64()?)))
        .collect()
}

/// The skills or the languages of users.
pub(super) struct UserRouting {
    name: &'static str,
    /// How plans name it.
    label: &'static str,
    /// Manifest field of the user entry (`skills` / `languages`).
    field: &'static str,
    /// Kind of the referenced objects.
    target_kind: &'static str,
    /// Path segment under the user (`routingskills` / `routinglanguages`).
    segment: &'static str,
    /// Field of the expanded user listing (`skills` / `languages`).
    expand: &'static str,
    /// The permission assigning or removing them needs.
    permission: &'static [&'static str],
}

/// `user-skills/<email>`
pub(super) static USER_SKILLS: UserRouting = UserRouting {
    name: "user-skills",
    label: "skills of user",
    field: "skills",
    target_kind: "skill",
    segment: "routingskills",
    expand: "skills",
    // Confirmed in the SDK operation docs (`PATCH .../routingskills/bulk`).
    permission: &["routing:skill:assign"],
};

/// `user-languages/<email>`
pub(super) static USER_LANGUAGES: UserRouting = UserRouting {
    name: "user-languages",
    label: "languages of user",
    field: "languages",
    target_kind: "language",
    segment: "routinglanguages",
    expand: "languages",
    // By analogy with skills (provider docs; unconfirmed in the SDK operation docs).
    permission: &["routing:language:assign"],
};

impl UserRouting {
    /// The skill's (language's) name of an assignment, as the observed view shows it.
    fn name_of(&self, item: &Value, resolver: &Resolver) -> Option<String> {
        str_field(item, "id")
            .and_then(|id| resolver.name(self.target_kind, id))
            .or_else(|| str_field(item, "name").map(str::to_string))
    }
}

impl Kind for UserRouting {
    /// Which division the server checks an assignment in is unconfirmed; any
    /// division is taken ([`Scope::Org`], the default).
    fn permissions(&self, _op: Op) -> &'static [&'static str] {
        self.permission
    }
    fn name(&self) -> &'static str {
        self.name
    }

    fn label(&self) -> &'static str {
        self.label
    }

    fn manifest_key(&self) -> Option<&'static str> {
        None
    }

    fn parent(&self) -> Option<&'static str> {
        Some("user")
    }

    fn derive(&self, parent: &mut Declared) -> Option<Declared> {
        derive_sub(self.name, parent, self.field)
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        let items = spec.get("items").and_then(Value::as_object);
        let mut refs = Vec::with_capacity(1 + items.map_or(0, serde_json::Map::len));
        refs.push(parent_ref("user", spec));
        if let Some(items) = items {
            for name in items.keys() {
                refs.push(Ref {
                    target: Addr::new(self.target_kind, name.clone()),
                    field: crate::manifest::pointer::push("", name),
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
            let mut out = ObservedMap::new();
            for d in declared {
                let Some(user_id) = ctx.resolver.id("user", &d.addr.key) else {
                    continue;
                };
                // The user listing's copy is this observation: taken, not copied.
                let listed = match ctx.take_observed_field("user", &d.addr.key, self.expand) {
                    Some(Value::Array(items)) => items,
                    _ => {
                        ctx.client
                            .list_pages(
                                &format!("/api/v2/users/{user_id}/{}", self.segment),
                                &[],
                                100,
                            )
                            .await?
                    }
                };
                out.insert(d.addr.norm(), Value::Array(listed));
            }
            Ok(out)
        })
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let mut m = Map::new();
        for (name, p) in proficiencies(spec).unwrap_or_default() {
            m.insert(name, json!(p));
        }
        Value::Object(m)
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let mut items: Vec<(String, Value)> = Vec::new();
        for item in observed.as_array().into_iter().flatten() {
            if str_field(item, "state") == Some("deleted") {
                continue;
            }
            let name = str_field(item, "id")
                .and_then(|id| resolver.name(self.target_kind, id))
                .or_else(|| str_field(item, "name").map(str::to_string));
            if let (Some(name), Some(p)) = (name, item.get("proficiency")) {
                items.push((name, p.clone()));
            }
        }
        items.sort_by_key(|(n, _)| norm_key(n));
        Some(json!({ self.field: items.into_iter().collect::<Map<String, Value>>() }))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let mut m = Map::new();
        for item in observed.as_array().into_iter().flatten() {
            if str_field(item, "state") == Some("deleted") {
                continue;
            }
            if let Some(name) = self.name_of(item, resolver) {
                m.insert(
                    norm_key(&name),
                    item.get("proficiency").cloned().unwrap_or(Value::Null),
                );
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
            let items = proficiencies(&target.declared.spec).unwrap_or_default();
            let user = target.declared.addr.key.as_str();
            let user_id = ctx.resolver.require("user", user)?;
            let have = target.observed_view.cloned().unwrap_or_else(|| json!({}));
            let mut changes = Vec::new();
            for (name, p) in &items {
                if have
                    .get(norm_key(name))
                    .and_then(Value::as_f64)
                    .is_some_and(|h| h == *p)
                {
                    continue;
                }
                let id = ctx.resolver.require(self.target_kind, name)?;
                changes.push(json!({"id": id, "proficiency": p}));
            }
            let path = format!("/api/v2/users/{user_id}/{}/bulk", self.segment);
            for chunk in changes.chunks(CHUNK) {
                ctx.client
                    .patch(&path, &Value::Array(chunk.to_vec()))
                    .await?;
            }
            Ok(user_id)
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
            let user_id = ctx.resolver.require("user", parent_key)?;
            let path = format!("/api/v2/users/{user_id}/{}", self.segment);
            let wanted: Vec<String> = keys.iter().map(|k| norm_key(k)).collect();
            // Re-read just before removing: only assignments still there are removed.
            for item in ctx.client.list_pages(&path, &[], 100).await? {
                let remove = self
                    .name_of(&item, &ctx.resolver)
                    .is_some_and(|n| wanted.contains(&norm_key(&n)));
                if let (true, Some(id)) = (remove, str_field(&item, "id")) {
                    super::delete_path(ctx, &format!("{path}/{id}")).await?;
                }
            }
            Ok(())
        })
    }
}

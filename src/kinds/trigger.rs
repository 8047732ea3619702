//! Process-automation triggers (`/api/v2/processautomation/triggers`), keyed by name.
//!
//! Listed with the cursor listing and matched by name. A trigger starts an existing
//! Architect workflow, named in the manifest and looked up in `GET /api/v2/flows?type=
//! workflow` (genseed does not author flows). Create is `POST CreateTriggerRequest`,
//! update `PUT UpdateTriggerRequest` with the current `version`, built from the trigger
//! read by id so the full replacement keeps what the manifest does not set. The topic cannot change
//! in place: a different `topicName` is a replace (delete + create).

use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::delete_path as delete;
use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, PAGE_SIZE, Ref, Resolver, Schema,
    SchemaGenerator, Target, id_of, index_by_name, norm_key, schema_of, str_field, typed,
    typed_value, view_of,
};
use crate::api::ApiExt;
use crate::kinds::interp;

/// A process-automation trigger (`/api/v2/processautomation/triggers`), keyed by name.
/// Its `topicName` cannot change in place (replace).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct TriggerSpec {
    /// Trigger name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Notification topic, e.g. `v2.routing.queues.${queue:Support}.users`.
    #[schemars(length(min = 1))]
    pub topic_name: String,
    /// The Architect workflow it starts, by name. It must exist: genseed does not author flows.
    #[schemars(length(min = 1))]
    pub workflow: String,
    /// Enabled (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `MatchCriteria` list: `{jsonPath, operator, value | values}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_criteria: Option<Vec<Value>>,
    /// Seconds an event stays valid (at least 10); exclusive with `delayBySeconds`.
    #[serde(
        default,
        rename = "eventTTLSeconds",
        skip_serializing_if = "Option::is_none"
    )]
    // The API takes an int32.
    #[schemars(range(min = 10, max = 2_147_483_647))]
    pub event_ttl_seconds: Option<u32>,
    /// Delay before the workflow starts (60 to 900 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 60, max = 900))]
    pub delay_by_seconds: Option<u32>,
    /// Description (at most 512 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 512))]
    pub description: Option<String>,
}

const PATH: &str = "/api/v2/processautomation/triggers";
const FLOWS: &str = "/api/v2/flows";
/// Optional fields passed through as declared.
const OPTIONAL: &[&str] = &[
    "matchCriteria",
    "eventTTLSeconds",
    "delayBySeconds",
    "description",
];

/// See the module docs.
pub(super) struct Trigger;

/// The request body for create (and, with `version`, update).
fn body(ctx: &Ctx, d: &Declared) -> Result<Value, KindError> {
    let typed_spec: TriggerSpec = typed(d)?;
    let spec = &view_of(&typed_spec);
    let workflow = typed_spec.workflow.as_str();
    let flow_id = ctx.resolver.id("flow", workflow).ok_or_else(|| {
        let near = crate::suggest::hint(workflow, ctx.resolver.names_of("flow"))
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        KindError::Other(format!(
            "workflow `{workflow}` is not in the org{near}: genseed does not author flows; publish an Architect workflow of that name first"
        ))
    })?;
    let mut b = json!({
        "name": typed_spec.name,
        "topicName": interp::resolve(&json!(typed_spec.topic_name), &ctx.resolver)?,
        "target": {"type": "Workflow", "id": flow_id},
        "enabled": typed_spec.enabled.unwrap_or(true),
    });
    for k in OPTIONAL {
        if let Some(v) = spec.get(*k) {
            b[*k] = interp::resolve(v, &ctx.resolver)?;
        }
    }
    Ok(b)
}

/// The fields of `UpdateTriggerRequest` (SDK model) besides `version`.
const UPDATABLE: &[&str] = &[
    "enabled",
    "target",
    "matchCriteria",
    "name",
    "topicName",
    "eventTTLSeconds",
    "delayBySeconds",
    "description",
];

/// The update body: the trigger as the org has it now (read by id), overlaid by what
/// genseed manages. The PUT replaces the whole trigger, so a field the manifest does
/// not set (a description, match criteria, the target's `workflowTargetSettings`) must
/// be sent back as it is, not dropped. `eventTTLSeconds` and `delayBySeconds` exclude
/// each other: declaring one drops the other.
fn keep_unmanaged(current: &Value, managed: Value) -> Value {
    let mut out = serde_json::Map::new();
    for k in UPDATABLE {
        if let Some(v) = current.get(*k).filter(|v| !v.is_null()) {
            out.insert((*k).to_string(), v.clone());
        }
    }
    for (pair, other) in [
        ("eventTTLSeconds", "delayBySeconds"),
        ("delayBySeconds", "eventTTLSeconds"),
    ] {
        if managed.get(pair).is_some() {
            out.remove(other);
        }
    }
    for (k, v) in managed.as_object().into_iter().flatten() {
        match (out.get_mut(k), v) {
            (Some(Value::Object(have)), Value::Object(want)) => {
                for (wk, wv) in want {
                    have.insert(wk.clone(), wv.clone());
                }
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

impl Kind for Trigger {
    /// From the CX as Code provider's docs (genesys-api.md §17); not in the SDK operation
    /// docs.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["processautomation:trigger:add"],
            Op::Update => &["processautomation:trigger:edit"],
            Op::Delete => &["processautomation:trigger:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Org
    }
    fn name(&self) -> &'static str {
        "trigger"
    }

    fn manifest_doc(&self) -> &'static str {
        "Process-automation triggers (event topic → Architect workflow), by name."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<TriggerSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("triggers")
    }

    fn stage(&self) -> u8 {
        1
    }

    fn group(&self) -> &'static str {
        "integrations"
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["topicName"]
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        interp::references(spec)
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        _declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        Box::pin(async move {
            // Workflows by name, so views and bodies can name them. The type is sent
            // lower-case as the CX as Code provider does (the SDK's getFlows `type` is a
            // free list of strings; the API's enum is documented lower-case, the Flow
            // model's `type` upper-case; the emulator accepts both).
            let flows = ctx
                .client
                .list_pages(FLOWS, &[("type", "workflow".to_string())], PAGE_SIZE)
                .await?;
            for f in flows {
                if f.get("deleted").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                if let (Some(name), Some(id)) = (str_field(&f, "name"), str_field(&f, "id")) {
                    ctx.resolver.insert("flow", name, id);
                }
            }
            let all = ctx.client.list_cursor(PATH, &[], 200).await?;
            Ok(index_by_name(self.name(), all, &ctx.resolver))
        })
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let Some(typed_spec) = typed_value::<TriggerSpec>(spec) else {
            return Value::Null;
        };
        let spec = &view_of(&typed_spec);
        let mut v = json!({
            "topicName": interp::normalize(&json!(typed_spec.topic_name)),
            "workflow": norm_key(&typed_spec.workflow),
            "enabled": typed_spec.enabled.unwrap_or(true),
        });
        for k in OPTIONAL {
            if let Some(x) = spec.get(*k) {
                v[*k] = interp::normalize(x);
            }
        }
        v
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let mut view = self.observed_view(observed, resolver);
        if let Some(w) = view.get("workflow").and_then(Value::as_str) {
            view["workflow"] = json!(super::cased(resolver, "flow", w));
        }
        Some(super::fit::<TriggerSpec>(&view))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let mut v = interp::unresolve(observed, resolver);
        let workflow = observed
            .pointer("/target/id")
            .and_then(Value::as_str)
            .map(|id| {
                resolver
                    .name("flow", id)
                    .map(|n| norm_key(&n))
                    .unwrap_or_else(|| format!("(flow {id})"))
            });
        v["workflow"] = json!(workflow);
        v
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let d = target.declared;
            let mut b = body(ctx, d)?;
            match target.observed {
                None => create_trigger(ctx, d, &b).await,
                Some(o) => {
                    let id = id_of(o, "a trigger")?;
                    let path = format!("{PATH}/{id}");
                    let current = ctx.client.get_existing(&path, &[]).await?;
                    b = keep_unmanaged(&current, b);
                    b["version"] = current
                        .get("version")
                        .or_else(|| o.get("version"))
                        .cloned()
                        .unwrap_or(json!(1));
                    ctx.client.put(&path, &b).await?;
                    Ok(id)
                }
            }
        })
    }

    fn replace<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let b = body(ctx, target.declared)?;
            if let Some(o) = target.observed {
                let id = id_of(o, "a trigger")?;
                delete(ctx, &format!("{PATH}/{id}")).await?;
            }
            create_trigger(ctx, target.declared, &b).await
        })
    }
}

/// POST once; a lost answer is resolved by listing (the trigger collection has no name
/// filter and a cursor listing, so `create_by_name`'s look-up does not apply).
async fn create_trigger(ctx: &Ctx, d: &Declared, b: &Value) -> Result<String, KindError> {
    match ctx.client.create(PATH, b).await {
        Ok(created) => id_of(&created, &format!("POST {PATH}")),
        Err(e) if e.is_ambiguous() => {
            let all = ctx.client.list_cursor(PATH, &[], 200).await?;
            match all
                .iter()
                .find(|t| str_field(t, "name").map(norm_key) == Some(d.addr.norm()))
            {
                Some(t) => id_of(t, &format!("GET {PATH}")),
                None => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

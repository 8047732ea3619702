//! Integrations (`/api/v2/integrations`), keyed by name.
//!
//! The API has no name filter: the collection is listed and matched by name
//! client-side, and each declared one that exists has its `config/current` read.
//! Create is `POST {name, integrationType: {id}}`; the configuration is then set with
//! `PUT config/current` carrying the current `version` (re-read and retried once on a
//! version conflict), credentials are created (`POST /api/v2/integrations/credentials`)
//! for credential keys the configuration lacks and referenced by id, and the integration
//! is enabled or disabled with `PATCH {intendedState}`. An enabled integration is then
//! waited for (the generic poller) until its `reportedState.code` is ACTIVE, or fails
//! with the state's detail on ERROR.
//!
//! Secret values never enter a view: a declared credential shows as `(sensitive)`, and
//! it counts as present when the configuration references a credential under its key
//! (a changed secret is not detected; see the README).

use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SMALL_PAGE_SIZE, Schema,
    SchemaGenerator, Target, create_by_name, id_of, index_by_name, norm_key, schema_of, str_field,
    typed, typed_value, view_of,
};
use crate::api::ApiExt;
use crate::client::{ApiClient, Idempotency, Method, PollStatus, poll};
use crate::kinds::interp;

/// An integration instance (`/api/v2/integrations`), keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct IntegrationSpec {
    /// Integration name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// The integration type's id (`integrationType.id`), e.g. `amazon-eventbridge-source`
    /// or `custom-rest-actions`. Cannot change once created.
    #[serde(rename = "type")]
    #[schemars(length(min = 1))]
    pub kind: String,
    /// Whether it is enabled (`intendedState` ENABLED or DISABLED); default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Notes of the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The configuration (`config/current`): only the properties written here are managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<IntegrationConfigSpec>,
    /// Credentials by the configuration's credential key (e.g. `basicAuth`). Values come
    /// from environment variables only; they never appear in plans, state or logs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub credentials: BTreeMap<String, CredentialSpec>,
}

/// `IntegrationConfiguration` fields genseed manages.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct IntegrationConfigSpec {
    /// Type-specific properties (EventBridge: `awsAccountId`, `awsAccountRegion`,
    /// `eventSourceSuffix`, `eventFilter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
    /// Type-specific advanced settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<Map<String, Value>>,
}

/// A basic-auth credential, read from environment variables at apply time.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct CredentialSpec {
    /// Environment variable holding the user name.
    #[schemars(length(min = 1))]
    pub user_name_env: String,
    /// Environment variable holding the password.
    #[schemars(length(min = 1))]
    pub password_env: String,
}

const PATH: &str = "/api/v2/integrations";
/// How a secret shows in views and plans.
pub const SENSITIVE: &str = "(sensitive)";
/// How often and how long an enabled integration is waited for.
const WAIT_INTERVAL: Duration = Duration::from_millis(300);
const WAIT_TIMEOUT: Duration = Duration::from_secs(120);

/// See the module docs.
pub(super) struct Integration;

/// An environment-variable name made of `text`: upper-case letters, digits and `_`.
fn env_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// The environment variables an integration's credentials name.
pub fn secret_envs(spec: &Value) -> Vec<String> {
    typed_value::<IntegrationSpec>(spec)
        .into_iter()
        .flat_map(|s| s.credentials.into_values())
        .flat_map(|c| [c.user_name_env, c.password_env])
        .collect()
}

/// Integration names are not unique in the real API (the CX as Code provider's issue
/// #2437: two integrations may share a name). A declared name that two or more
/// integrations of the org carry cannot be matched safely: stop before any write and
/// name them, rather than manage whichever the listing gives first.
fn refuse_shared_names(all: &[Value], declared: &[Declared]) -> Result<(), KindError> {
    for d in declared {
        let ids: Vec<&str> = all
            .iter()
            .filter(|o| str_field(o, "name").map(norm_key) == Some(d.addr.norm()))
            .filter_map(|o| str_field(o, "id"))
            .collect();
        if ids.len() > 1 {
            return Err(KindError::Other(format!(
                "integration `{}`: {} integrations in the org have this name ({}); genseed cannot tell which one to manage: rename or delete the others in the org first",
                d.addr.key,
                ids.len(),
                ids.join(", ")
            )));
        }
    }
    Ok(())
}

impl Kind for Integration {
    /// From the CX as Code provider's docs (genesys-api.md §17); not in the SDK operation
    /// docs. A create also configures and activates the integration (edit). Integrations
    /// are not division-aware.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &[
                "integrations:integration:add",
                "integrations:integration:edit",
            ],
            Op::Update => &["integrations:integration:edit"],
            Op::Delete => &["integrations:integration:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Org
    }
    fn name(&self) -> &'static str {
        "integration"
    }

    fn manifest_doc(&self) -> &'static str {
        "Integrations (EventBridge sources, web-services data-action integrations, …), by name."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<IntegrationSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn secret_envs(&self, spec: &Value) -> Vec<String> {
        secret_envs(spec)
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        &["credentials"]
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("integrations")
    }

    fn stage(&self) -> u8 {
        1
    }

    fn group(&self) -> &'static str {
        "integrations"
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        interp::references(&spec.get("config").cloned().unwrap_or(Value::Null))
            .into_iter()
            .map(|mut r| {
                r.field = format!("/config{}", r.field);
                r
            })
            .collect()
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
            let all = ctx.client.list_pages(PATH, &[], SMALL_PAGE_SIZE).await?;
            refuse_shared_names(&all, declared)?;
            let mut found = index_by_name(self.name(), all, &ctx.resolver);
            for d in declared {
                if let Some(o) = found.get_mut(&d.addr.norm()) {
                    let id = id_of(o, "an integration")?;
                    let config = ctx
                        .client
                        .get(&format!("{PATH}/{id}/config/current"), &[])
                        .await?;
                    o["config"] = json!({"current": config});
                }
            }
            Ok(found)
        })
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let Some(spec) = typed_value::<IntegrationSpec>(spec) else {
            return Value::Null;
        };
        let mut v = json!({
            "type": spec.kind,
            "enabled": spec.enabled.unwrap_or(true),
        });
        if let Some(n) = &spec.notes {
            v["notes"] = json!(n);
        }
        if let Some(c) = &spec.config {
            v["config"] = interp::normalize(&view_of(c));
        }
        if !spec.credentials.is_empty() {
            v["credentials"] = spec
                .credentials
                .keys()
                .map(|k| (k.clone(), json!(SENSITIVE)))
                .collect();
        }
        v
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let name = str_field(observed, "name")?;
        let mut view = json!({"name": name});
        if let (Some(m), Value::Object(rest)) =
            (view.as_object_mut(), self.observed_view(observed, resolver))
        {
            m.extend(rest);
        }
        if view.get("notes").and_then(Value::as_str) == Some("") {
            view["notes"] = Value::Null;
        }
        // Secrets are never read back: each credential names environment variables
        // (NAME_KEY_USER / NAME_KEY_PASSWORD) to set before applying the export.
        if let Some(Value::Object(creds)) = view.get_mut("credentials") {
            for (key, c) in creds.iter_mut() {
                let prefix = env_name(&format!("{name} {key}"));
                *c = json!({"userNameEnv": format!("{prefix}_USER"), "passwordEnv": format!("{prefix}_PASSWORD")});
            }
        }
        Some(super::fit::<IntegrationSpec>(&view))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let current = observed.pointer("/config/current").unwrap_or(&Value::Null);
        let mut v = json!({
            "type": observed.pointer("/integrationType/id").cloned().unwrap_or(Value::Null),
            "enabled": str_field(observed, "intendedState") == Some("ENABLED"),
            "config": interp::unresolve(&json!({
                "properties": current.get("properties").cloned().unwrap_or(json!({})),
                "advanced": current.get("advanced").cloned().unwrap_or(json!({})),
            }), resolver),
        });
        if let Some(n) = current.get("notes").filter(|n| !n.is_null()) {
            v["notes"] = n.clone();
        }
        let creds: Map<String, Value> = current
            .get("credentials")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(_, c)| c.get("id").is_some())
            .map(|(k, _)| (k.clone(), json!(SENSITIVE)))
            .collect();
        v["credentials"] = Value::Object(creds);
        v
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: IntegrationSpec = typed(target.declared)?;
            let spec = &spec;
            let name = spec.name.as_str();
            let id = match target.observed {
                None => {
                    let body = json!({
                        "name": name,
                        "integrationType": {"id": spec.kind},
                    });
                    create_by_name(ctx, self.name(), PATH, name, &body).await?
                }
                Some(o) => {
                    let have = str_field(o, "integrationType")
                        .or_else(|| o.pointer("/integrationType/id").and_then(Value::as_str));
                    let want = spec.kind.as_str();
                    if have.is_some_and(|h| h != want) {
                        return Err(KindError::Other(format!(
                            "integration `{name}` is of type `{}` in the org, not `{want}`; the type cannot change (rename one of them)",
                            have.unwrap_or_default()
                        )));
                    }
                    id_of(o, "an integration")?
                }
            };
            configure(ctx, &id, name, spec).await?;
            let enabled = spec.enabled.unwrap_or(true);
            let state = if enabled { "ENABLED" } else { "DISABLED" };
            let current = ctx.client.get(&format!("{PATH}/{id}"), &[]).await?;
            if str_field(&current, "intendedState") != Some(state) {
                ctx.client
                    .patch(&format!("{PATH}/{id}"), &json!({"intendedState": state}))
                    .await?;
            }
            if enabled {
                wait_active(&ctx.client, &id, name, WAIT_INTERVAL, WAIT_TIMEOUT).await?;
            }
            Ok(id)
        })
    }
}

/// Set `config/current`: declared properties and advanced settings laid over the
/// current ones, credentials created for keys it lacks.
async fn configure(
    ctx: &Ctx,
    id: &str,
    name: &str,
    spec: &IntegrationSpec,
) -> Result<(), KindError> {
    let path = format!("{PATH}/{id}/config/current");
    let declared_config = match &spec.config {
        Some(c) => interp::resolve(&view_of(c), &ctx.resolver)?,
        None => json!({}),
    };
    let mut created_creds: Map<String, Value> = Map::new();
    for attempt in 0..2 {
        let current = ctx.client.get(&path, &[]).await?;
        let mut body = json!({
            "name": name,
            "version": current.get("version").cloned().unwrap_or(json!(1)),
            "properties": current.get("properties").cloned().filter(Value::is_object).unwrap_or(json!({})),
            "advanced": current.get("advanced").cloned().filter(Value::is_object).unwrap_or(json!({})),
            "notes": current.get("notes").cloned().filter(Value::is_string).unwrap_or(json!("")),
            "credentials": current.get("credentials").cloned().filter(Value::is_object).unwrap_or(json!({})),
        });
        for part in ["properties", "advanced"] {
            if let Some(m) = declared_config.get(part).and_then(Value::as_object) {
                for (k, v) in m {
                    body[part][k] = v.clone();
                }
            }
        }
        if let Some(n) = &spec.notes {
            body["notes"] = json!(n);
        }
        for (key, cred) in &spec.credentials {
            if body["credentials"]
                .get(key)
                .and_then(|c| c.get("id"))
                .is_some()
            {
                continue;
            }
            let cid = match created_creds.get(key) {
                Some(c) => c.clone(),
                None => {
                    let c = json!(create_credential(ctx, name, key, cred).await?);
                    created_creds.insert(key.clone(), c.clone());
                    c
                }
            };
            body["credentials"][key] = json!({"id": cid});
        }
        match ctx.client.put(&path, &body).await {
            Ok(_) => return Ok(()),
            Err(e) if attempt == 0 && (e.is_version_mismatch() || e.is_conflict()) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the loop returns")
}

/// Create a basic-auth credential from the environment; returns its id.
async fn create_credential(
    ctx: &Ctx,
    integration: &str,
    key: &str,
    cred: &CredentialSpec,
) -> Result<String, KindError> {
    let secret = |var: &str| -> Result<String, KindError> {
        ctx.secrets
            .get(var)
            .map(|s| s.expose().to_string())
            .ok_or_else(|| {
                KindError::Other(format!(
                    "integration `{integration}`: credential `{key}` needs the environment variable `{var}`, which is not set"
                ))
            })
    };
    let body = json!({
        "name": format!("{integration} {key}"),
        "type": {"name": "basicAuth"},
        "credentialFields": {"userName": secret(&cred.user_name_env)?, "password": secret(&cred.password_env)?},
    });
    let created = ctx
        .client
        .send(
            Method::POST,
            "/api/v2/integrations/credentials",
            &[],
            Some(&body),
            Idempotency::Create,
        )
        .await?;
    id_of(&created.body, "POST /api/v2/integrations/credentials")
}

/// Wait until the integration reports ACTIVE; ERROR (or a timeout) is an error naming
/// the state's detail.
pub async fn wait_active(
    client: &ApiClient,
    id: &str,
    name: &str,
    interval: Duration,
    timeout: Duration,
) -> Result<(), KindError> {
    let path = format!("{PATH}/{id}");
    poll(
        &format!("integration `{name}` to become ACTIVE"),
        interval,
        timeout,
        || {
            let path = path.clone();
            async move {
                let i = client.get(&path, &[]).await?;
                let code = i
                    .pointer("/reportedState/code")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Ok(match code {
                    "ACTIVE" => PollStatus::Done(()),
                    "ERROR" => PollStatus::Failed(format!(
                        "the integration reports ERROR: {}",
                        i.pointer("/reportedState/detail/message")
                            .or_else(|| i.pointer("/reportedState/detail"))
                            .map(|d| match d {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                            .unwrap_or_else(|| "no detail".into())
                    )),
                    _ => PollStatus::Pending,
                })
            }
        },
    )
    .await
    .map_err(|e| KindError::Other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_hide_secrets_and_compare_references() {
        let spec = json!({"name": "S", "type": "amazon-eventbridge-source",
            "config": {"properties": {"eventFilter": ["v2.routing.queues.${queue:Q}.users"]}},
            "credentials": {"basicAuth": {"userNameEnv": "U", "passwordEnv": "P"}}});
        let d = Integration.desired_view(&spec);
        assert_eq!(d["credentials"]["basicAuth"], SENSITIVE);
        assert!(!d.to_string().contains("passwordEnv"));
        let r = Resolver::default();
        let qid = "00000000-0000-4000-8000-000000000001";
        r.insert("queue", "Q", qid);
        let observed = json!({"id": "i", "name": "S", "integrationType": {"id": "amazon-eventbridge-source"},
            "intendedState": "ENABLED",
            "config": {"current": {"properties": {"eventFilter": [format!("v2.routing.queues.{qid}.users")]},
                                    "credentials": {"basicAuth": {"id": "c1"}}}}});
        let o = Integration.observed_view(&observed, &r);
        assert!(super::super::diff(&d, &o).is_empty(), "{o}");
        assert_eq!(secret_envs(&spec), vec!["U", "P"]);
    }
}

//! Integrations and what hangs off them (§15): `/api/v2/integrations` (+ `config/current`
//! with an int `version`, `intendedState` via PATCH, `reportedState` that moves
//! ACTIVATING → ACTIVE after `integration_activation`, or ERROR when the configuration
//! is unusable), `/api/v2/integrations/types`, `/api/v2/integrations/credentials`
//! (secret fields kept, never read back), `/api/v2/integrations/actions` (data actions,
//! int `version` checked on PATCH), `/api/v2/processautomation/triggers` (cursor
//! listing, `version` checked on PUT, immutable `topicName`) and `/api/v2/flows`
//! (stubs without update; a fresh org has the workflow [`crate::emulator::store::SEEDED_WORKFLOW`]; `POST` adds
//! one; a flow a trigger targets cannot be deleted).
//! There is no `/api/v2/integrations/webhooks` collection (404).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::{Reply, Rq, find, overlay, retain_listed, without};
use crate::emulator::collection::{
    Collection, Hooks, Listing, NameFilter, Rules, Update, Versioning,
};
use crate::emulator::error::{ApiError, fail};
use crate::emulator::schema::{self, opt_str, req_str};
use crate::emulator::store::Emu;
use crate::emulator::util::ieq;

/// Integration types the emulator offers: (id, name, description).
pub(crate) const TYPES: &[(&str, &str, &str)] = &[
    (
        "amazon-eventbridge-source",
        "Amazon EventBridge Source",
        "Streams notification topics to an AWS partner event bus",
    ),
    (
        "custom-rest-actions",
        "Web Services Data Actions",
        "Calls web services from flows and scripts",
    ),
    (
        "webhook",
        "Webhook",
        "Inbound webhook: external systems POST events into Genesys Cloud",
    ),
];

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

// ------------------------------------------------------------------------- types

/// The read shape of an integration type (also the `integrationType` of an integration).
fn render_type((id, name, desc): &(&str, &str, &str)) -> Value {
    json!({"id": id, "name": name, "description": desc,
           "selfUri": format!("/api/v2/integrations/types/{id}")})
}

/// `GET /integrations/types`.
pub(crate) fn types(rq: &Rq) -> Result<Reply, ApiError> {
    Listing::PAGE.reply(rq, TYPES.iter().collect(), render_type)
}

/// `GET /integrations/types/{id}`.
pub(crate) fn integration_type(id: &str) -> Result<Reply, ApiError> {
    match TYPES.iter().find(|t| t.0 == id) {
        Some(t) => Ok(Reply::json(render_type(t))),
        None => fail!(not_found, "Integration type [{id}] not found"),
    }
}

// ------------------------------------------------------------------------- integrations

/// Why an enabled integration cannot activate, if it cannot.
fn config_problem(v: &Value) -> Option<String> {
    if v["integrationType"]["id"] != "amazon-eventbridge-source" {
        return None;
    }
    let props = &v["config"]["current"]["properties"];
    let text = |k: &str| props[k].as_str().unwrap_or_default();
    let account = text("awsAccountId");
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Some(format!(
            "awsAccountId [{account}] must be a 12-digit AWS account id"
        ));
    }
    if text("awsAccountRegion").is_empty() {
        return Some("awsAccountRegion is required".into());
    }
    let suffix = text("eventSourceSuffix");
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if suffix.is_empty() || suffix.len() > 64 || !suffix.chars().all(allowed) {
        return Some(format!(
            "eventSourceSuffix [{suffix}] must be 1-64 characters of [A-Za-z0-9._-]"
        ));
    }
    None
}

/// The read shape: private fields removed, `reportedState` computed, `config.current`
/// only when expanded.
fn render_integration(v: &Value, expand_config: bool) -> Value {
    let mut out = without(v.clone(), &["activeAfterMs", "dateModified"]);
    let (code, detail) = match v["intendedState"].as_str() {
        Some("ENABLED") if now_ms() < v["activeAfterMs"].as_u64().unwrap_or(0) => {
            ("ACTIVATING", None)
        }
        Some("ENABLED") => match config_problem(v) {
            Some(p) => ("ERROR", Some(p)),
            None => ("ACTIVE", None),
        },
        _ => ("INACTIVE", None),
    };
    out["reportedState"] =
        json!({"code": code, "effective": code, "lastUpdated": v["dateModified"]});
    if let Some(d) = detail {
        out["reportedState"]["detail"] = json!({"message": d});
    }
    if !expand_config && let Some(c) = out["config"]["current"].as_object_mut() {
        c.retain(|k, _| matches!(k.as_str(), "id" | "name" | "version" | "selfUri"));
    }
    out
}

pub(crate) static INTEGRATIONS: Collection = Collection {
    uri: "/api/v2/integrations",
    word: "integration",
    map: |d| &d.integrations,
    map_mut: |d| &mut d.integrations,
    rules: Rules {
        // No name filter (§15.2): clients list and compare names.
        name_filter: NameFilter::None,
        id_filter: Some("ids"),
        unique_names: false,
        read_model: "Integration",
        list_model: "IntegrationEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        render: |_, rq, v, _| render_integration(&v, expanded(rq)),
        filter: |_, rq, items| {
            if let Some(t) = rq.q.get("integrationType") {
                items.retain(|v| v["integrationType"]["id"] == t);
            }
            if let Some(s) = rq.q.get("reportedState") {
                items.retain(|v| render_integration(v, false)["reportedState"]["code"] == s);
            }
            Ok(())
        },
        // Create (the name defaults to the type's), `intendedState`, delete (answers the
        // integration) and `config/current`.
        extra: |st, rq, rest| {
            Some(match (rq.method.as_str(), rest) {
                ("POST", []) => create_integration(st, rq),
                ("PATCH", [id]) => patch_integration(st, rq, id),
                ("DELETE", [id]) => remove_integration(st, id),
                ("GET", [id, "config", "current"]) => {
                    find(st, &st.data.integrations, id, "Integration", rq.now)
                        .map(|v| Reply::json(v["config"]["current"].clone()))
                }
                ("PUT", [id, "config", "current"]) => put_config(st, rq, id),
                _ => return None,
            })
        },
        ..Hooks::DEFAULT
    },
};

fn expanded(rq: &Rq) -> bool {
    rq.q.list("expand").iter().any(|e| e == "config.current")
}

/// `POST /integrations`: disabled, with an empty configuration at version 1; the name
/// defaults to the type's.
fn create_integration(st: &mut Emu, rq: &Rq) -> Result<Reply, ApiError> {
    let b = schema::check("CreateIntegrationRequest", rq.body()?)?;
    let type_id = b.get("integrationType").and_then(|t| t.get("id"));
    let Some(type_id) = type_id.and_then(Value::as_str) else {
        fail!(bad_request, "integrationType.id is required");
    };
    let Some(t) = TYPES.iter().find(|t| t.0 == type_id) else {
        fail!(bad_request, "Integration type [{type_id}] does not exist");
    };
    let name = opt_str(&b, "name").unwrap_or(t.1).to_string();
    let id = st.new_id();
    let v = json!({
        "id": id, "name": name, "integrationType": render_type(t),
        "notes": "", "intendedState": "DISABLED", "attributes": {},
        "config": {"current": {"id": id, "name": name, "version": 1, "properties": {},
                   "advanced": {}, "notes": "", "credentials": {},
                   "selfUri": format!("/api/v2/integrations/{id}/config/current")}},
        "dateModified": st.now_iso(),
        "selfUri": format!("/api/v2/integrations/{id}"),
    });
    st.data.integrations.insert(id.clone(), v.clone());
    st.note_created(&id, rq.now);
    Ok(Reply::json(render_integration(&v, false)))
}

/// Start (or restart) the activation of an integration now.
fn activate(st: &Emu, v: &mut Value) {
    v["activeAfterMs"] = json!(now_ms() + st.cfg.integration_activation.as_millis() as u64);
}

/// `PATCH /integrations/{id}`: `intendedState` (ENABLED starts the activation, DELETED
/// removes it) and `notes`.
fn patch_integration(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    let b = schema::check("Integration", rq.body()?)?;
    let state = req_str(&b, "intendedState")?;
    if state == "DELETED" {
        return remove_integration(st, id);
    }
    let mut v = INTEGRATIONS.writable(st, id)?;
    match state {
        "ENABLED" if v["intendedState"] != "ENABLED" => {
            v["intendedState"] = json!("ENABLED");
            activate(st, &mut v);
        }
        "DISABLED" | "RESTORED" => v["intendedState"] = json!("DISABLED"),
        _ => {}
    }
    if let Some(n) = opt_str(&b, "notes") {
        v["notes"] = json!(n);
    }
    v["dateModified"] = json!(st.now_iso());
    st.data.integrations.insert(id.to_string(), v.clone());
    Ok(Reply::json(render_integration(&v, false)))
}

/// Remove an integration; the answer is the integration removed.
fn remove_integration(st: &mut Emu, id: &str) -> Result<Reply, ApiError> {
    match st.data.integrations.remove(id) {
        Some(v) => Ok(Reply::json(render_integration(&v, false))),
        None => Err(INTEGRATIONS.not_found(id)),
    }
}

/// `PUT /integrations/{id}/config/current`: every field required, the current `version`
/// (409 otherwise), credentials that exist; an enabled integration re-activates.
fn put_config(st: &mut Emu, rq: &Rq, id: &str) -> Result<Reply, ApiError> {
    let b = schema::check("IntegrationConfiguration", rq.body()?)?;
    const FIELDS: [&str; 4] = ["properties", "advanced", "notes", "credentials"];
    let on = " on IntegrationConfiguration";
    schema::require(&b, &["name", "version"], on)?;
    schema::require(&b, &FIELDS, on)?;
    for (k, c) in b["credentials"].as_object().into_iter().flatten() {
        let cid = c["id"].as_str().unwrap_or_default();
        if !st.data.integration_credentials.contains_key(cid) {
            fail!(bad_request, "Credential [{cid}] of [{k}] does not exist");
        }
    }
    let mut v = INTEGRATIONS.writable(st, id)?;
    let current = v["config"]["current"]["version"].as_i64().unwrap_or(1);
    if b["version"].as_i64() != Some(current) {
        fail!(
            conflict,
            "The configuration version [{}] does not match the current version [{current}]",
            b["version"]
        );
    }
    let name = req_str(&b, "name")?;
    let cfg = &mut v["config"]["current"];
    for f in FIELDS {
        cfg[f] = b[f].clone();
    }
    cfg["name"] = json!(name);
    cfg["version"] = json!(current + 1);
    v["name"] = json!(name);
    v["dateModified"] = json!(st.now_iso());
    if v["intendedState"] == "ENABLED" {
        // A new configuration is applied by re-activating.
        activate(st, &mut v);
    }
    let answer = v["config"]["current"].clone();
    st.data.integrations.insert(id.to_string(), v);
    Ok(Reply::json(answer))
}

// ------------------------------------------------------------------------- credentials

pub(crate) static CREDENTIALS: Collection = Collection {
    uri: "/api/v2/integrations/credentials",
    word: "credential",
    map: |d| &d.integration_credentials,
    map_mut: |d| &mut d.integration_credentials,
    rules: Rules {
        create: Some("Credential"),
        unique_names: false,
        read_model: "Credential",
        list_model: "CredentialInfoListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        build: |_, b, _| {
            let type_name = b
                .get("type")
                .and_then(|t| t.get("name"))
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad_request("type.name is required"))?;
            // Only the field names are kept: a credential is write-only in the real API,
            // and the org file must not hold secrets in clear text.
            let fields: Map<String, Value> = b
                .get("credentialFields")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, _)| (k.clone(), json!("(set)")))
                .collect();
            Ok(json!({"name": b["name"], "type": {"name": type_name}, "credentialFields": fields}))
        },
        // Never read back.
        render: |_, _, v, _| without(v, &["credentialFields"]),
        ..Hooks::DEFAULT
    },
};

// ------------------------------------------------------------------------- data actions

pub(crate) static ACTIONS: Collection = Collection {
    uri: "/api/v2/integrations/actions",
    word: "action",
    map: |d| &d.actions,
    map_mut: |d| &mut d.actions,
    rules: Rules {
        create: Some("PostActionInput"),
        update: Update::Patch("UpdateActionInput"),
        name_on_update: false,
        versioning: Versioning::Int { required: true },
        id_filter: Some("ids"),
        // Unique per integration (checked in `validate`), not org-wide.
        unique_names: false,
        id_prefix: "custom_-_",
        read_model: "Action",
        list_model: "ActionEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        build: |_, b, old| {
            Ok(match old {
                None => json!({
                    "name": b["name"], "category": b["category"], "integrationId": b["integrationId"],
                    "contract": b["contract"], "config": b["config"],
                    "secure": b.get("secure").cloned().unwrap_or(json!(false)),
                }),
                Some(old) => overlay(old, b, &["version"]),
            })
        },
        validate: |st, b, old| match old {
            None => check_action(st, b),
            Some(old) => check_action_rename(st, b, old),
        },
        // `config` only with `includeConfig=true` on reads; `contract` only on a read of
        // one action with `expand=contract` (the listing has no `expand`: SDK
        // getIntegrationsActions vs getIntegrationsAction).
        render: |_, rq, mut v, listed| {
            let include = rq.q.get("includeConfig").is_some_and(|v| ieq(v, "true"));
            let contract = !listed && rq.q.list("expand").iter().any(|e| ieq(e, "contract"));
            if rq.method == "GET"
                && let Some(o) = v.as_object_mut()
            {
                if !include {
                    o.remove("config");
                }
                if !contract {
                    o.remove("contract");
                }
            }
            v
        },
        filter: |_, rq, items| {
            if let Some(c) = rq.q.get("category") {
                items.retain(|v| v["category"].as_str().is_some_and(|x| ieq(x, c)));
            }
            Ok(())
        },
        ..Hooks::DEFAULT
    },
};

fn check_action(st: &Emu, b: &Map<String, Value>) -> Result<(), ApiError> {
    let name = req_str(b, "name")?;
    req_str(b, "category")?;
    let integration = req_str(b, "integrationId")?;
    match st.data.integrations.get(integration) {
        Some(i) if i["integrationType"]["id"] == "custom-rest-actions" => {}
        Some(_) => fail!(
            bad_request,
            "Integration [{integration}] does not support custom actions"
        ),
        None => fail!(bad_request, "Integration [{integration}] does not exist"),
    }
    // The model makes both objects when sent.
    schema::require(b, &["config", "contract"], " on PostActionInput")?;
    if st.data.actions.values().any(|a| {
        a["integrationId"] == integration && a["name"].as_str().is_some_and(|n| ieq(n, name))
    }) {
        return Err(super::duplicate("action", name));
    }
    Ok(())
}

/// A rename keeps names unique per integration, as a create must. Whether the API checks
/// this on PATCH is unconfirmed: refused here, the side that keeps look-up by name
/// unambiguous.
fn check_action_rename(st: &Emu, b: &Map<String, Value>, old: &Value) -> Result<(), ApiError> {
    let Some(name) = b.get("name").and_then(Value::as_str) else {
        return Ok(());
    };
    let taken = st.data.actions.values().any(|a| {
        a["id"] != old["id"]
            && a["integrationId"] == old["integrationId"]
            && a["name"].as_str().is_some_and(|n| ieq(n, name))
    });
    if taken {
        return Err(super::duplicate("action", name));
    }
    Ok(())
}

// ------------------------------------------------------------------------- triggers

fn check_trigger(st: &Emu, b: &Map<String, Value>) -> Result<(), ApiError> {
    schema::require(b, &["name", "topicName", "target", "enabled"], "")?;
    // The model allows no other type; it may be left out.
    if b["target"]["type"] != "Workflow" {
        fail!(invalid_value, "Value for target.type must be Workflow");
    }
    let flow = b["target"]["id"].as_str().unwrap_or_default();
    if st
        .data
        .flows
        .get(flow)
        .is_none_or(|f| f["type"] != "WORKFLOW")
    {
        fail!(bad_request, "Target workflow [{flow}] does not exist");
    }
    if b.contains_key("eventTTLSeconds") && b.contains_key("delayBySeconds") {
        fail!(
            bad_request,
            "eventTTLSeconds and delayBySeconds are mutually exclusive"
        );
    }
    if let Some(d) = b.get("description").and_then(Value::as_str)
        && d.chars().count() > 512
    {
        fail!(bad_request, "description is limited to 512 characters");
    }
    Ok(())
}

pub(crate) static TRIGGERS: Collection = Collection {
    uri: "/api/v2/processautomation/triggers",
    word: "trigger",
    map: |d| &d.triggers,
    map_mut: |d| &mut d.triggers,
    rules: Rules {
        create: Some("CreateTriggerRequest"),
        // Full replacement: omitted optional fields are cleared.
        update: Update::Put("UpdateTriggerRequest"),
        versioning: Versioning::Int { required: true },
        listing: Listing::Cursor {
            max: 200,
            keep: &["topicName", "enabled"],
        },
        // No name filter: clients list by topic and compare names.
        name_filter: NameFilter::None,
        id_filter: None,
        unique_names: false,
        sort_by_id: true,
        read_model: "Trigger",
        list_model: "TriggerEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        build: |_, b, _| Ok(without(Value::Object(b.clone()), &["version"])),
        validate: |st, b, old| {
            check_trigger(st, b)?;
            match old {
                Some(old) if b["topicName"] != old["topicName"] => {
                    fail!(bad_request, "The topicName of a trigger cannot be changed")
                }
                _ => Ok(()),
            }
        },
        filter: |_, rq, items| {
            retain_listed(&rq.q, "topicName", "topicName", items);
            if let Some(e) = rq.q.bool("enabled")? {
                items.retain(|t| t["enabled"] == e);
            }
            Ok(())
        },
        ..Hooks::DEFAULT
    },
};

// ------------------------------------------------------------------------- flows

pub(crate) static FLOWS: Collection = Collection {
    uri: "/api/v2/flows",
    word: "flow",
    map: |d| &d.flows,
    map_mut: |d| &mut d.flows,
    rules: Rules {
        create: Some("Flow"),
        // Unique per flow type (checked in `validate`).
        unique_names: false,
        read_model: "Flow",
        list_model: "FlowEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        // The model's `type` is an upper-case enum.
        build: |_, b, _| {
            Ok(json!({"name": b["name"], "type": b["type"],
                      "description": b.get("description").cloned().unwrap_or(json!("")),
                      "active": false, "system": false, "deleted": false}))
        },
        validate: |st, b, _| {
            let (name, kind) = (req_str(b, "name")?, req_str(b, "type")?);
            if st
                .data
                .flows
                .values()
                .any(|f| f["type"] == kind && f["name"].as_str().is_some_and(|n| ieq(n, name)))
            {
                return Err(super::duplicate("flow", name));
            }
            Ok(())
        },
        // A workflow a trigger targets cannot be deleted (409; the real rule is
        // unconfirmed: refused, so a client deletes the trigger first).
        can_delete: |st, id| {
            if st.data.triggers.values().any(|t| t["target"]["id"] == id) {
                fail!(conflict, "Flow [{id}] is the target of a trigger");
            }
            Ok(())
        },
        filter: |_, rq, items| {
            let types = rq.q.list("type");
            if !types.is_empty() {
                items.retain(|f| {
                    types
                        .iter()
                        .any(|t| f["type"].as_str().is_some_and(|x| ieq(x, t)))
                });
            }
            Ok(())
        },
        ..Hooks::DEFAULT
    },
};

//! Routing queues (`/api/v2/routing/queues`), keyed by name.
//!
//! The manifest's queue settings are the API's `CreateQueueRequest` fields, so the
//! create body is the manifest entry itself with the division resolved to `{id}` (the
//! home division when omitted). Update is `PUT` with a full `QueueRequest`: the API
//! resets whatever a PUT leaves out, so genseed sends the observed queue (read-only
//! fields removed) with the declared settings laid over it. Queues have no version.
//! Members and wrap-up codes are the sub-kinds in `queue_links`.

use super::At;
use crate::api::ApiExt;
use crate::diag::{Diagnostic, Diagnostics};
use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, PAGE_SIZE, Ref, Resolver, Schema,
    SchemaGenerator, SetPolicy, Target, create_by_name, division_name, division_ref, id_of,
    observe_named, schema_of, str_field, typed, typed_value, view_of,
};

/// A routing queue. Settings follow the API's `CreateQueueRequest`; only the settings
/// written here are managed, every other setting of an existing queue is kept.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct QueueSpec {
    /// Queue name (unique, compared case-insensitively; may not contain `*`).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division by name; omitted: the org's home division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// ALL, BEST or NONE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_evaluation_method: Option<SkillEvaluationMethod>,
    /// TimestampAndPriority or PriorityOnly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring_method: Option<ScoringMethod>,
    /// Disabled, QueueMembersOnly or AnyAgent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_agent_routing_mode: Option<LastAgentRoutingMode>,
    /// After-contact-work settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acw_settings: Option<AcwSettings>,
    /// Per-media settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_settings: Option<QueueMediaSettings>,
    /// Auto-answer only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_answer_only: Option<bool>,
    /// Transcription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_transcription: Option<bool>,
    /// Audio monitoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_audio_monitoring: Option<bool>,
    /// Manual assignment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_manual_assignment: Option<bool>,
    /// Suppress in-queue call recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppress_in_queue_call_recording: Option<bool>,
    /// Calling party name for outbound calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling_party_name: Option<String>,
    /// Calling party number for outbound calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling_party_number: Option<String>,
    /// Wrap-up codes by name. Additive: codes not listed are left on the queue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wrapup_codes: Vec<String>,
    /// Member users by e-mail. Additive: members not listed are left in the queue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// `exclusive`: members not listed are removed; `additive` (default, unless
    /// genseed.yaml's `setsPolicy` says otherwise): they are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members_policy: Option<SetPolicy>,
    /// `exclusive`: wrap-up codes not listed are removed; `additive`: they are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_codes_policy: Option<SetPolicy>,
}

/// Queue `skillEvaluationMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(super) enum SkillEvaluationMethod {
    /// Disregard skills, next agent.
    #[serde(rename = "NONE")]
    None,
    /// Best available skills.
    #[serde(rename = "BEST")]
    Best,
    /// All skills matching.
    #[serde(rename = "ALL")]
    All,
}

/// Queue `scoringMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(super) enum ScoringMethod {
    /// Timestamp and priority.
    TimestampAndPriority,
    /// Priority only.
    PriorityOnly,
}

/// Queue `lastAgentRoutingMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(super) enum LastAgentRoutingMode {
    /// Disabled.
    Disabled,
    /// Queue members only.
    QueueMembersOnly,
    /// Any agent.
    AnyAgent,
}

/// Queue `acwSettings`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct AcwSettings {
    /// How agents are prompted for a wrap-up code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapup_prompt: Option<WrapupPrompt>,
    /// Timeout in ms for the timeout-style prompts (1 s to 60 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1000, max = 3_600_000))]
    pub timeout_ms: Option<u64>,
}

/// `acwSettings.wrapupPrompt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(super) enum WrapupPrompt {
    /// MANDATORY
    Mandatory,
    /// OPTIONAL
    Optional,
    /// MANDATORY_TIMEOUT
    MandatoryTimeout,
    /// MANDATORY_FORCED_TIMEOUT
    MandatoryForcedTimeout,
    /// AGENT_REQUESTED
    AgentRequested,
}

/// Queue `mediaSettings`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct QueueMediaSettings {
    /// Voice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<MediaSettings>,
    /// Callbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackMediaSettings>,
    /// Chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<MediaSettings>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<MediaSettings>,
    /// Messaging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MediaSettings>,
}

/// Settings shared by every media type.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct MediaSettings {
    /// Auto-answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_auto_answer: Option<bool>,
    /// Seconds an agent is alerted before the interaction moves on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // The API takes an int32; a tighter upper limit per media type is unconfirmed.
    #[schemars(range(min = 7, max = 2_147_483_647))]
    pub alerting_timeout_seconds: Option<u32>,
    /// Service-level target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level: Option<ServiceLevel>,
    /// Alert tone seconds for auto-answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_answer_alert_tone_seconds: Option<f64>,
    /// Alert tone seconds for manual answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_answer_alert_tone_seconds: Option<f64>,
}

/// Callback settings: the shared ones plus the callback mode.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct CallbackMediaSettings {
    /// Auto-answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_auto_answer: Option<bool>,
    /// Seconds an agent is alerted before the interaction moves on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // The API takes an int32; a tighter upper limit per media type is unconfirmed.
    #[schemars(range(min = 7, max = 2_147_483_647))]
    pub alerting_timeout_seconds: Option<u32>,
    /// Service-level target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level: Option<ServiceLevel>,
    /// AgentFirst or CustomerFirst.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<CallbackMode>,
}

/// Callback `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(super) enum CallbackMode {
    /// The agent is connected first.
    AgentFirst,
    /// The customer is dialled first.
    CustomerFirst,
}

/// A service-level target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ServiceLevel {
    /// Fraction of interactions answered in time, 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub percentage: f64,
    /// Target answer time in milliseconds (at least 1000).
    // The API takes an int64.
    #[schemars(range(min = 1000, max = 9_223_372_036_854_775_807_u64))]
    pub duration_ms: u64,
}

const PATH: &str = "/api/v2/routing/queues";

/// Manifest fields that are not queue settings.
const NOT_SETTINGS: &[&str] = &[
    "division",
    "wrapupCodes",
    "members",
    "membersPolicy",
    "wrapupCodesPolicy",
];

/// Fields of a read queue that a write must not send back.
const READ_ONLY: &[&str] = &[
    "id",
    "selfUri",
    "dateCreated",
    "dateModified",
    "createdBy",
    "modifiedBy",
    "memberCount",
    "userMemberCount",
    "joinedMemberCount",
];

/// See the module docs.
pub(super) struct Queue;

fn settings(spec: &QueueSpec) -> Map<String, Value> {
    let mut m = match view_of(spec) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for k in NOT_SETTINGS {
        m.remove(*k);
    }
    m
}

/// Lay `over` onto `base`, object by object; other values replace.
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

impl Kind for Queue {
    /// `routing:queue:add` is confirmed in the SDK operation docs; edit and delete from the
    /// provider's docs.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["routing:queue:add"],
            Op::Update => &["routing:queue:edit"],
            Op::Delete => &["routing:queue:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Division
    }
    fn name(&self) -> &'static str {
        "queue"
    }

    fn manifest_doc(&self) -> &'static str {
        "Routing queues, by name, with their members and wrap-up codes."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<QueueSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn check(&self, d: &Declared, at: At<'_>, diags: &mut Diagnostics) {
        if d.addr.key.contains('*') {
            diags.push(
                Diagnostic::error(format!("queue name `{}` contains `*`", d.addr.key))
                    .at(at("/name"))
                    .with_hint(
                        "the API treats `*` in queue names as a wildcard; choose another name",
                    ),
            );
        }
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("queues")
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
        let Some(spec) = typed_value::<QueueSpec>(spec) else {
            return Value::Null;
        };
        let mut m = settings(&spec);
        if let Some(d) = spec.division {
            m.insert("division".into(), json!(d));
        }
        Value::Object(m)
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let view = self.observed_view(observed, resolver);
        Some(super::fit_in_division::<QueueSpec>(
            view, observed, resolver,
        ))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let mut v = observed.clone();
        if let Some(name) = division_name(observed, resolver) {
            v["division"] = json!(name);
        }
        v
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: QueueSpec = typed(target.declared)?;
            let name = spec.name.as_str();
            let division = match spec.division.as_deref() {
                Some(d) => Some(ctx.resolver.require("division", d)?),
                None => None,
            };
            match target.observed {
                None => {
                    let mut body = Value::Object(settings(&spec));
                    if let Some(d) = division.or_else(|| ctx.home_division.clone()) {
                        body["division"] = json!({"id": d});
                    }
                    // Paced (`queueCreateIntervalMs`): fast bulk queue creates are known
                    // to leave the service's queue caches stale.
                    if let Some(pacing) = &ctx.queue_pacing {
                        pacing.acquire().await;
                    }
                    create_by_name(ctx, self.name(), PATH, name, &body).await
                }
                Some(observed) => {
                    let id = id_of(observed, "a queue")?;
                    // The PUT replaces the whole queue: build it from the queue as
                    // `GET /routing/queues/{id}` returns it, never from the listing
                    // entity, which may omit fields (flows, prompts, scripts) that the
                    // PUT would then wipe. The provider also reads by id first.
                    let path = format!("{PATH}/{id}");
                    let mut body = ctx.client.get_existing(&path, &[]).await?;
                    if let Some(o) = body.as_object_mut() {
                        for k in READ_ONLY {
                            o.remove(*k);
                        }
                    }
                    merge(&mut body, &Value::Object(settings(&spec)));
                    let division = division.or_else(|| {
                        observed
                            .pointer("/division/id")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    });
                    if let Some(d) = division {
                        body["division"] = json!({"id": d});
                    }
                    ctx.client.put(&path, &body).await?;
                    Ok(id)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_unmanaged_settings() {
        let mut base = json!({"mediaSettings": {"call": {"alertingTimeoutSeconds": 30, "enableAutoAnswer": true}}, "queueFlow": {"id": "f"}});
        merge(
            &mut base,
            &json!({"mediaSettings": {"call": {"alertingTimeoutSeconds": 8}}}),
        );
        assert_eq!(base["mediaSettings"]["call"]["alertingTimeoutSeconds"], 8);
        assert_eq!(base["mediaSettings"]["call"]["enableAutoAnswer"], true);
        assert_eq!(base["queueFlow"]["id"], "f");
    }

    #[test]
    fn desired_view_leaves_out_links() {
        let v = Queue.desired_view(&json!({"name": "Q", "division": "D", "members": ["a@b.c"], "wrapupCodes": ["W"], "description": "x"}));
        assert_eq!(v, json!({"name": "Q", "description": "x", "division": "D"}));
    }
}

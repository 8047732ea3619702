//! The manifest format (v1): the Rust types that seed files deserialize into.
//!
//! These types are the single source of the JSON Schema in
//! `schemas/manifest.schema.json` (generated with schemars; a test fails when the
//! committed file drifts). Inside an object, fields carry the Genesys API's names
//! wherever they map one to one, so a queue's `mediaSettings` here is the API's
//! `mediaSettings`. References to other objects use natural keys: names, or e-mail
//! addresses for users.
//!
//! This module owns the shapes only. Loading (with source locations) lives in
//! `manifest`, semantic checks in `validate`, and the mapping to API bodies in `kinds`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod access_hours;
pub use access_hours::*;
mod integrations;
pub use integrations::{
    CredentialSpec, DataActionSpec, IntegrationConfigSpec, IntegrationSpec, TriggerSpec,
};

/// One seed file, or several merged: every top-level key is a list of objects.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "genseed manifest (v1)")]
pub struct Manifest {
    /// Authorization divisions, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub divisions: Vec<DivisionSpec>,
    /// Routing skills, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<SkillSpec>,
    /// Routing languages, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<LanguageSpec>,
    /// Wrap-up codes, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wrapup_codes: Vec<WrapupCodeSpec>,
    /// Users, by e-mail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserSpec>,
    /// Users read from CSV files (columns `first_name,last_name,email,phone_number,division`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users_from_csv: Vec<UsersFromCsv>,
    /// Routing queues, by name, with their members and wrap-up codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<QueueSpec>,
    /// Authorization roles, by name (built-in roles are referenced, not declared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleSpec>,
    /// Skill groups, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skill_groups: Vec<SkillGroupSpec>,
    /// Architect schedules, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<ScheduleSpec>,
    /// Architect schedule groups (business hours), by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule_groups: Vec<ScheduleGroupSpec>,
    /// Integrations (EventBridge sources, web-services data-action integrations, …), by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integrations: Vec<IntegrationSpec>,
    /// Web-services data actions, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_actions: Vec<DataActionSpec>,
    /// Process-automation triggers (event topic → Architect workflow), by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<TriggerSpec>,
}

/// An authorization division.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DivisionSpec {
    /// Division name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Description; the API requires one, so an empty string is sent when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A routing skill. Skills cannot be renamed through the API.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SkillSpec {
    /// Skill name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division the skill belongs to (by name); omitted: left as the org decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
}

/// A routing language (free text, not an ISO code). Languages have no update call.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LanguageSpec {
    /// Language name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
}

/// A wrap-up code.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WrapupCodeSpec {
    /// Wrap-up code name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division by name, or `*` for all divisions; omitted: not managed (the API defaults to `*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A user, keyed by e-mail (compared lower-cased).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserSpec {
    /// E-mail address; also the user's login name.
    #[schemars(length(min = 3))]
    pub email: String,
    /// Full display name (the API has no first/last name fields).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division by name; omitted: the org's home division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Phone numbers (E.164), sent to the API as `addresses`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phones: Option<Vec<PhoneSpec>>,
    /// Routing skills by name with a proficiency from 0 to 5. Additive: skills not
    /// listed here are left alone.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skills: BTreeMap<String, f64>,
    /// Routing languages by name with a proficiency from 0 to 5. Additive.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub languages: BTreeMap<String, f64>,
    /// Roles granted to the user, each in a division. Additive: grants not listed are
    /// left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleGrantSpec>,
}

/// A phone number of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PhoneSpec {
    /// The number in E.164 form, e.g. `+12025550101`.
    pub number: String,
    /// Kind of number (the API's Contact `type`).
    #[serde(default, rename = "type")]
    pub kind: PhoneType,
}

/// Contact types the API accepts for a phone (written in lower case here).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PhoneType {
    /// WORK
    #[default]
    Work,
    /// WORK2
    Work2,
    /// WORK3
    Work3,
    /// WORK4
    Work4,
    /// HOME
    Home,
    /// MOBILE
    Mobile,
    /// MAIN
    Main,
    /// OTHER
    Other,
}

impl PhoneType {
    /// The API's spelling (`Contact.type`).
    pub fn api_name(self) -> &'static str {
        match self {
            PhoneType::Work => "WORK",
            PhoneType::Work2 => "WORK2",
            PhoneType::Work3 => "WORK3",
            PhoneType::Work4 => "WORK4",
            PhoneType::Home => "HOME",
            PhoneType::Mobile => "MOBILE",
            PhoneType::Main => "MAIN",
            PhoneType::Other => "OTHER",
        }
    }
}

/// A CSV file of users, relative to the seed file that names it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UsersFromCsv {
    /// Path of the CSV file, relative to the folder of the manifest that names it.
    /// Header row required; columns `first_name,last_name,email,phone_number,division`.
    #[schemars(length(min = 1))]
    pub file: String,
    /// Division for rows whose `division` cell is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Title given to every user of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Department given to every user of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

/// A routing queue. Settings follow the API's `CreateQueueRequest`; only the settings
/// written here are managed, every other setting of an existing queue is kept.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QueueSpec {
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
}

/// Queue `skillEvaluationMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SkillEvaluationMethod {
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
pub enum ScoringMethod {
    /// Timestamp and priority.
    TimestampAndPriority,
    /// Priority only.
    PriorityOnly,
}

/// Queue `lastAgentRoutingMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LastAgentRoutingMode {
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
pub struct AcwSettings {
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
pub enum WrapupPrompt {
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
pub struct QueueMediaSettings {
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
pub struct MediaSettings {
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
pub struct CallbackMediaSettings {
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
pub enum CallbackMode {
    /// The agent is connected first.
    AgentFirst,
    /// The customer is dialled first.
    CustomerFirst,
}

/// A service-level target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceLevel {
    /// Fraction of interactions answered in time, 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub percentage: f64,
    /// Target answer time in milliseconds (at least 1000).
    // The API takes an int64.
    #[schemars(range(min = 1000, max = 9_223_372_036_854_775_807_u64))]
    pub duration_ms: u64,
}

/// The JSON Schema of [`Manifest`], generated from these types. `genseed schema`
/// prints it; `schemas/manifest.schema.json` is its committed copy.
pub fn manifest_schema() -> serde_json::Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(Manifest)).expect("a schema serializes");
    // A stable identifier for editors and tools (the file is committed under schemas/).
    schema["$id"] = MANIFEST_SCHEMA_ID.into();
    schema
}

/// The manifest schema's `$id`: stable across releases of format v1.
pub const MANIFEST_SCHEMA_ID: &str = "urn:genseed:schema:manifest:v1";

/// The committed schema that validation uses (a test keeps it equal to
/// [`manifest_schema`]).
pub const COMMITTED_SCHEMA: &str = include_str!("../schemas/manifest.schema.json");

#[cfg(test)]
mod tests {
    #[test]
    fn committed_schema_matches_the_types() {
        let committed: serde_json::Value =
            serde_json::from_str(super::COMMITTED_SCHEMA).expect("committed schema is JSON");
        assert_eq!(
            committed,
            super::manifest_schema(),
            "schemas/manifest.schema.json is stale: run `cargo run -- schema > schemas/manifest.schema.json`"
        );
    }
}

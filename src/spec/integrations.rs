//! The integrations tier ("webhooks" done the Genesys way): integrations, web-services
//! data actions and process-automation triggers. Field names follow the API's.
//!
//! Strings may hold `${var.NAME}` (the environment's `vars:`) and `${KIND:KEY}` (the ID
//! of a declared object); every other `${…}` passes through (see `interp`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An integration instance (`/api/v2/integrations`), keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IntegrationSpec {
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
pub struct IntegrationConfigSpec {
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
pub struct CredentialSpec {
    /// Environment variable holding the user name.
    #[schemars(length(min = 1))]
    pub user_name_env: String,
    /// Environment variable holding the password.
    #[schemars(length(min = 1))]
    pub password_env: String,
}

/// A web-services data action (`/api/v2/integrations/actions`), keyed by name.
/// `contract`, `integration` and `secure` cannot change in place (replace).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataActionSpec {
    /// Action name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The integration it belongs to, by name (declared under `integrations:`).
    #[schemars(length(min = 1))]
    pub integration: String,
    /// Category shown in Architect.
    #[schemars(length(min = 1))]
    pub category: String,
    /// Secure action (inputs and outputs hidden from logs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
    /// `ActionConfig`: `request` (`requestUrlTemplate`, `requestType`, `headers`,
    /// `requestTemplate`) and `response` (`translationMap`, `successTemplate`).
    pub config: Map<String, Value>,
    /// `ActionContractInput`: `input.inputSchema`, `output.successSchema`.
    pub contract: Map<String, Value>,
}

/// A process-automation trigger (`/api/v2/processautomation/triggers`), keyed by name.
/// Its `topicName` cannot change in place (replace).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TriggerSpec {
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

//! Request-body model tables (wire names from `wire-models.md`) and the strict validator:
//! unknown property → 400 `invalid.property`, wrong JSON type → 400 `bad.request`, enum
//! value outside the allowed set → 400 `invalid.value`. Read-only fields are accepted and
//! dropped (§16.1: presumably ignored on write, unconfirmed). Required fields are checked by
//! the route modules. Adding a kind = adding its `Model` statics here.

use serde_json::{Map, Value};

use super::error::ApiError;

/// A field type.
#[derive(Debug)]
pub enum Ty {
    Str,
    Int,
    Num,
    Bool,
    Enum(&'static str, &'static [&'static str]),
    Obj(&'static Model),
    List(&'static Ty),
    Map(&'static Ty),
    /// Accepted as is (models the emulator does not inspect).
    Any,
}

/// One field: wire name, type, read-only (accepted and dropped on write).
#[derive(Debug)]
pub struct Field(pub &'static str, pub Ty, pub bool);

/// A request model.
#[derive(Debug)]
pub struct Model {
    pub name: &'static str,
    pub fields: &'static [Field],
}

const RW: bool = false;
const RO: bool = true;

static STR: Ty = Ty::Str;

/// Validate `v` against `model` and return its writable fields (nulls dropped).
pub fn check(model: &'static Model, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let obj = v.as_object().ok_or_else(|| {
        ApiError::bad_request(format!(
            "Unable to parse the request body: expected a JSON object ({})",
            model.name
        ))
    })?;
    check_obj(model, obj, "")?;
    let mut out = Map::new();
    for (k, val) in obj {
        if val.is_null() {
            continue;
        }
        let f = model.fields.iter().find(|f| f.0 == k).expect("checked");
        if !f.2 {
            out.insert(k.clone(), val.clone());
        }
    }
    Ok(out)
}

/// Validate a JSON array body whose items follow `model`; returns the cleaned items.
pub fn check_list(model: &'static Model, v: &Value) -> Result<Vec<Map<String, Value>>, ApiError> {
    let arr = v.as_array().ok_or_else(|| {
        ApiError::bad_request(format!(
            "Unable to parse the request body: expected a JSON array of {}",
            model.name
        ))
    })?;
    arr.iter().map(|item| check(model, item)).collect()
}

fn check_obj(model: &'static Model, obj: &Map<String, Value>, at: &str) -> Result<(), ApiError> {
    for (k, val) in obj {
        let path = if at.is_empty() {
            k.clone()
        } else {
            format!("{at}.{k}")
        };
        let Some(f) = model.fields.iter().find(|f| f.0 == k) else {
            return Err(ApiError::invalid_property(format!(
                "Unrecognized field \"{k}\" (class {}), not marked as ignorable: {path}",
                model.name
            )));
        };
        check_ty(&f.1, val, &path)?;
    }
    Ok(())
}

fn check_ty(ty: &'static Ty, v: &Value, path: &str) -> Result<(), ApiError> {
    if v.is_null() {
        return Ok(());
    }
    let wrong = |what: &str| {
        ApiError::bad_request(format!(
            "Unable to parse the request body: field '{path}' must be {what}"
        ))
    };
    match ty {
        Ty::Any => Ok(()),
        Ty::Str => v.as_str().map(|_| ()).ok_or_else(|| wrong("a string")),
        Ty::Bool => v.as_bool().map(|_| ()).ok_or_else(|| wrong("a boolean")),
        Ty::Int => {
            if v.is_i64() || v.is_u64() {
                Ok(())
            } else {
                Err(wrong("an integer"))
            }
        }
        Ty::Num => v.as_f64().map(|_| ()).ok_or_else(|| wrong("a number")),
        Ty::Enum(name, allowed) => {
            let s = v.as_str().ok_or_else(|| wrong("a string"))?;
            if allowed.contains(&s) {
                Ok(())
            } else {
                Err(ApiError::invalid_value(format!(
                    "Value [{s}] is not valid for field type [{name}]. Allowable values are: {}",
                    allowed.join(", ")
                )))
            }
        }
        Ty::Obj(m) => {
            let o = v.as_object().ok_or_else(|| wrong("an object"))?;
            check_obj(m, o, path)
        }
        Ty::List(t) => {
            let a = v.as_array().ok_or_else(|| wrong("an array"))?;
            for (i, item) in a.iter().enumerate() {
                check_ty(t, item, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        Ty::Map(t) => {
            let o = v.as_object().ok_or_else(|| wrong("an object"))?;
            for (k, item) in o {
                check_ty(t, item, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
    }
}

/// A required non-empty string field of a cleaned body.
pub fn req_str<'a>(m: &'a Map<String, Value>, field: &str) -> Result<&'a str, ApiError> {
    match m.get(field).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::bad_request(format!(
            "The field '{field}' is required and may not be empty"
        ))),
    }
}

/// An optional string field.
pub fn opt_str<'a>(m: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    m.get(field).and_then(Value::as_str)
}

// ---------------------------------------------------------------- reference shapes

pub static WRITABLE_DIVISION: Model = Model {
    name: "WritableDivision",
    fields: &[
        Field("id", Ty::Str, RW),
        Field("name", Ty::Str, RO),
        Field("selfUri", Ty::Str, RO),
    ],
};
pub static DOMAIN_ENTITY_REF: Model = Model {
    name: "DomainEntityRef",
    fields: &[
        Field("id", Ty::Str, RW),
        Field("name", Ty::Str, RW),
        Field("selfUri", Ty::Str, RO),
    ],
};
pub static WRITABLE_ENTITY: Model = Model {
    name: "WritableEntity",
    fields: &[Field("id", Ty::Str, RW)],
};
pub static WRAPUP_CODE_REFERENCE: Model = Model {
    name: "WrapUpCodeReference",
    fields: &[Field("id", Ty::Str, RW)],
};

// ---------------------------------------------------------------- divisions, skills, ...

pub static AUTHZ_DIVISION: Model = Model {
    name: "AuthzDivision",
    fields: &[
        Field("id", Ty::Str, RO),
        Field("name", Ty::Str, RW),
        Field("description", Ty::Str, RW),
        Field("homeDivision", Ty::Bool, RO),
        Field("objectCounts", Ty::Any, RO),
        Field("selfUri", Ty::Str, RO),
    ],
};
pub static CREATE_ROUTING_SKILL: Model = Model {
    name: "CreateRoutingSkill",
    fields: &[Field("name", Ty::Str, RW), Field("divisionId", Ty::Str, RW)],
};
/// Body of `PATCH /routing/skills/{id}`: only `divisionId` is writable.
pub static ROUTING_SKILL_DIVISION: Model = Model {
    name: "RoutingSkillDivision",
    fields: &[
        Field("id", Ty::Str, RO),
        Field("name", Ty::Str, RO),
        Field("divisionId", Ty::Str, RW),
        Field("selfUri", Ty::Str, RO),
    ],
};
pub static LANGUAGE: Model = Model {
    name: "Language",
    fields: &[
        Field("id", Ty::Str, RO),
        Field("name", Ty::Str, RW),
        Field("dateModified", Ty::Str, RO),
        Field(
            "state",
            Ty::Enum("State", &["active", "inactive", "deleted"]),
            RO,
        ),
        Field("version", Ty::Str, RO),
        Field("selfUri", Ty::Str, RO),
    ],
};
pub static WRAPUP_CODE_REQUEST: Model = Model {
    name: "WrapupCodeRequest",
    fields: &[
        Field("id", Ty::Str, RO),
        Field("name", Ty::Str, RW),
        Field("division", Ty::Obj(&WRITABLE_DIVISION), RW),
        Field("description", Ty::Str, RW),
        Field("dateCreated", Ty::Str, RO),
        Field("dateModified", Ty::Str, RO),
        Field("createdBy", Ty::Str, RO),
        Field("modifiedBy", Ty::Str, RO),
        Field("selfUri", Ty::Str, RO),
    ],
};

// ---------------------------------------------------------------- users

const USER_STATES: &[&str] = &["active", "inactive", "deleted"];

pub static CONTACT: Model = Model {
    name: "Contact",
    fields: &[
        Field("address", Ty::Str, RW),
        Field("display", Ty::Str, RO),
        Field(
            "mediaType",
            Ty::Enum("MediaType", &["PHONE", "EMAIL", "SMS"]),
            RW,
        ),
        Field(
            "type",
            Ty::Enum(
                "Type",
                &[
                    "PRIMARY", "WORK", "WORK2", "WORK3", "WORK4", "HOME", "MOBILE", "MAIN", "OTHER",
                ],
            ),
            RW,
        ),
        Field("extension", Ty::Str, RW),
        Field("countryCode", Ty::Str, RW),
        Field("integration", Ty::Str, RW),
    ],
};

pub static CREATE_USER: Model = Model {
    name: "CreateUser",
    fields: &[
        Field("name", Ty::Str, RW),
        Field("department", Ty::Str, RW),
        Field("email", Ty::Str, RW),
        Field("addresses", Ty::List(&Ty::Obj(&CONTACT)), RW),
        Field("title", Ty::Str, RW),
        Field("password", Ty::Str, RW),
        Field("divisionId", Ty::Str, RW),
        Field("state", Ty::Enum("State", USER_STATES), RW),
    ],
};
static CHAT: Model = Model {
    name: "Chat",
    fields: &[Field("jabberId", Ty::Str, RW)],
};
pub static UPDATE_USER: Model = Model {
    name: "UpdateUser",
    fields: &[
        Field("id", Ty::Str, RO),
        Field("name", Ty::Str, RW),
        Field("chat", Ty::Obj(&CHAT), RO),
        Field("department", Ty::Str, RW),
        Field("email", Ty::Str, RW),
        // Derived from email + addresses; echoed values are ignored.
        Field("primaryContactInfo", Ty::List(&Ty::Obj(&CONTACT)), RO),
        Field("addresses", Ty::List(&Ty::Obj(&CONTACT)), RW),
        Field("title", Ty::Str, RW),
        Field("username", Ty::Str, RO),
        Field("preferredName", Ty::Str, RW),
        Field("manager", Ty::Str, RW),
        Field("images", Ty::Any, RW),
        Field("version", Ty::Int, RW),
        Field("profileSkills", Ty::List(&STR), RW),
        Field("locations", Ty::Any, RW),
        Field("groups", Ty::Any, RW),
        Field("state", Ty::Enum("State", USER_STATES), RW),
        Field("acdAutoAnswer", Ty::Bool, RW),
        Field("certifications", Ty::List(&STR), RW),
        Field("biography", Ty::Any, RW),
        Field("employerInfo", Ty::Any, RW),
        Field("selfUri", Ty::Str, RO),
    ],
};
pub static USER_SEARCH_CRITERIA: Model = Model {
    name: "UserSearchCriteria",
    fields: &[
        Field("endValue", Ty::Str, RW),
        Field("values", Ty::List(&STR), RW),
        Field("startValue", Ty::Str, RW),
        Field("value", Ty::Str, RW),
        Field("operator", Ty::Enum("Operator", &["AND", "OR", "NOT"]), RW),
        Field("group", Ty::List(&Ty::Obj(&USER_SEARCH_CRITERIA)), RW),
        Field("dateFormat", Ty::Str, RW),
        Field("fields", Ty::List(&STR), RW),
        Field(
            "type",
            Ty::Enum(
                "Type",
                &[
                    "EXACT",
                    "STARTS_WITH",
                    "CONTAINS",
                    "REGEX",
                    "TERM",
                    "TERMS",
                    "REQUIRED_FIELDS",
                    "MATCH_ALL",
                    "QUERY_STRING",
                    "RANGE",
                    "LESS_THAN",
                    "LESS_THAN_EQUAL_TO",
                    "GREATER_THAN",
                    "GREATER_THAN_EQUAL_TO",
                ],
            ),
            RW,
        ),
    ],
};
pub static USER_SEARCH_REQUEST: Model = Model {
    name: "UserSearchRequest",
    fields: &[
        Field(
            "sortOrder",
            Ty::Enum("SortOrder", &["ASC", "DESC", "SCORE"]),
            RW,
        ),
        Field("sortBy", Ty::Str, RW),
        Field("pageSize", Ty::Int, RW),
        Field("pageNumber", Ty::Int, RW),
        Field("sort", Ty::Any, RW),
        Field("expand", Ty::List(&STR), RW),
        Field("query", Ty::List(&Ty::Obj(&USER_SEARCH_CRITERIA)), RW),
        Field(
            "integrationPresenceSource",
            Ty::Enum(
                "IntegrationPresenceSource",
                &["MicrosoftTeams", "ZoomPhone", "EightByEight", "RingCentral"],
            ),
            RW,
        ),
        Field("enforcePermissions", Ty::Bool, RW),
    ],
};
pub static USER_ROUTING_SKILL_POST: Model = Model {
    name: "UserRoutingSkillPost",
    fields: &[
        Field("id", Ty::Str, RW),
        Field("proficiency", Ty::Num, RW),
        Field("skillUri", Ty::Str, RO),
        Field("selfUri", Ty::Str, RO),
    ],
};
pub static USER_ROUTING_LANGUAGE_POST: Model = Model {
    name: "UserRoutingLanguagePost",
    fields: &[
        Field("id", Ty::Str, RW),
        Field("proficiency", Ty::Num, RW),
        Field("languageUri", Ty::Str, RO),
        Field("selfUri", Ty::Str, RO),
    ],
};

// ---------------------------------------------------------------- queues

static SERVICE_LEVEL: Model = Model {
    name: "ServiceLevel",
    fields: &[
        Field("percentage", Ty::Num, RW),
        Field("durationMs", Ty::Int, RW),
    ],
};
macro_rules! media_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            Field("enableAutoAnswer", Ty::Bool, RW),
            Field("alertingTimeoutSeconds", Ty::Int, RW),
            Field("serviceLevel", Ty::Obj(&SERVICE_LEVEL), RW),
            Field("autoAnswerAlertToneSeconds", Ty::Num, RW),
            Field("manualAnswerAlertToneSeconds", Ty::Num, RW),
            $($extra),*
        ]
    };
}
static MEDIA_SETTINGS: Model = Model {
    name: "MediaSettings",
    fields: media_fields!(),
};
const REACTION: &[&str] = &["HangUp", "TransferToQueue", "TransferToFlow"];
static CALLBACK_MEDIA_SETTINGS: Model = Model {
    name: "CallbackMediaSettings",
    fields: media_fields!(
        Field(
            "mode",
            Ty::Enum("Mode", &["AgentFirst", "CustomerFirst"]),
            RW
        ),
        Field("enableAutoDialAndEnd", Ty::Bool, RW),
        Field("autoDialDelaySeconds", Ty::Int, RW),
        Field("autoEndDelaySeconds", Ty::Int, RW),
        Field("pacingModifier", Ty::Num, RW),
        Field("maxRetryCount", Ty::Int, RW),
        Field("retryDelaySeconds", Ty::Int, RW),
        Field(
            "liveVoiceReactionType",
            Ty::Enum("LiveVoiceReactionType", REACTION),
            RW
        ),
        Field("liveVoiceFlow", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
        Field(
            "answeringMachineReactionType",
            Ty::Enum("AnsweringMachineReactionType", REACTION),
            RW
        ),
        Field("answeringMachineFlow", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
        Field("edgeGroup", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
        Field("site", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
    ),
};
static EMAIL_MEDIA_SETTINGS: Model = Model {
    name: "EmailMediaSettings",
    fields: media_fields!(Field("allOutboundEmailAddresses", Ty::Any, RW)),
};
static MESSAGE_MEDIA_SETTINGS: Model = Model {
    name: "MessageMediaSettings",
    fields: media_fields!(
        Field("subTypeSettings", Ty::Any, RW),
        Field("enableInactivityTimeout", Ty::Bool, RW),
        Field("inactivityTimeoutSettings", Ty::Any, RW),
    ),
};
static QUEUE_MEDIA_SETTINGS: Model = Model {
    name: "QueueMediaSettings",
    fields: &[
        Field("call", Ty::Obj(&MEDIA_SETTINGS), RW),
        Field("callback", Ty::Obj(&CALLBACK_MEDIA_SETTINGS), RW),
        Field("chat", Ty::Obj(&MEDIA_SETTINGS), RW),
        Field("email", Ty::Obj(&EMAIL_MEDIA_SETTINGS), RW),
        Field("message", Ty::Obj(&MESSAGE_MEDIA_SETTINGS), RW),
    ],
};
static ROUTING_RULE: Model = Model {
    name: "RoutingRule",
    fields: &[
        Field(
            "operator",
            Ty::Enum("Operator", &["MEETS_THRESHOLD", "ANY"]),
            RW,
        ),
        Field("threshold", Ty::Int, RW),
        Field("waitSeconds", Ty::Num, RW),
    ],
};
static MEMBER_GROUP: Model = Model {
    name: "MemberGroup",
    fields: &[
        Field("id", Ty::Str, RW),
        Field("name", Ty::Str, RO),
        Field("division", Ty::Any, RO),
        Field(
            "type",
            Ty::Enum("Type", &["TEAM", "GROUP", "SKILLGROUP"]),
            RW,
        ),
        Field("memberCount", Ty::Int, RO),
        Field("selfUri", Ty::Str, RO),
    ],
};
static CGR_RULE: Model = Model {
    name: "ConditionalGroupRoutingRule",
    fields: &[
        Field("queue", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
        Field(
            "metric",
            Ty::Enum("Metric", &["EstimatedWaitTime", "ServiceLevel"]),
            RW,
        ),
        Field(
            "operator",
            Ty::Enum(
                "Operator",
                &[
                    "GreaterThan",
                    "GreaterThanOrEqualTo",
                    "LessThan",
                    "LessThanOrEqualTo",
                ],
            ),
            RW,
        ),
        Field("conditionValue", Ty::Num, RW),
        Field("groups", Ty::List(&Ty::Obj(&MEMBER_GROUP)), RW),
        Field("waitSeconds", Ty::Int, RW),
    ],
};
static CGR: Model = Model {
    name: "ConditionalGroupRouting",
    fields: &[Field("rules", Ty::List(&Ty::Obj(&CGR_RULE)), RW)],
};
static RING: Model = Model {
    name: "Ring",
    fields: &[
        Field("expansionCriteria", Ty::Any, RW),
        Field("actions", Ty::Any, RW),
        Field("memberGroups", Ty::List(&Ty::Obj(&MEMBER_GROUP)), RW),
    ],
};
static BULLSEYE: Model = Model {
    name: "Bullseye",
    fields: &[Field("rings", Ty::List(&Ty::Obj(&RING)), RW)],
};
static ACW_SETTINGS: Model = Model {
    name: "AcwSettings",
    fields: &[
        Field(
            "wrapupPrompt",
            Ty::Enum(
                "WrapupPrompt",
                &[
                    "MANDATORY",
                    "OPTIONAL",
                    "MANDATORY_TIMEOUT",
                    "MANDATORY_FORCED_TIMEOUT",
                    "AGENT_REQUESTED",
                ],
            ),
            RW,
        ),
        Field("timeoutMs", Ty::Int, RW),
    ],
};
static CANNED: Model = Model {
    name: "CannedResponseLibraries",
    fields: &[
        Field("libraryIds", Ty::List(&STR), RW),
        Field(
            "mode",
            Ty::Enum("Mode", &["All", "SelectedOnly", "None"]),
            RW,
        ),
    ],
};
static AGENT_OWNED: Model = Model {
    name: "AgentOwnedRouting",
    fields: &[
        Field("enableAgentOwnedCallbacks", Ty::Bool, RW),
        Field("maxOwnedCallbackHours", Ty::Int, RW),
        Field("maxOwnedCallbackDelayHours", Ty::Int, RW),
    ],
};
static DR_MEDIA: Model = Model {
    name: "DirectRoutingMediaSettings",
    fields: &[Field("useAgentAddressOutbound", Ty::Bool, RW)],
};
static DIRECT_ROUTING: Model = Model {
    name: "DirectRouting",
    fields: &[
        Field("callMediaSettings", Ty::Obj(&DR_MEDIA), RW),
        Field("emailMediaSettings", Ty::Obj(&DR_MEDIA), RW),
        Field("messageMediaSettings", Ty::Obj(&DR_MEDIA), RW),
        Field("backupQueueId", Ty::Str, RW),
        Field("waitForAgent", Ty::Bool, RW),
        Field("agentWaitSeconds", Ty::Int, RW),
    ],
};
static MESSAGING_ADDRESSES: Model = Model {
    name: "QueueMessagingAddresses",
    fields: &[
        Field("smsAddress", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
        Field("openMessagingRecipient", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
        Field("whatsAppRecipient", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
    ],
};
static EMAIL_ADDRESS: Model = Model {
    name: "QueueEmailAddress",
    fields: &[
        Field("domain", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
        Field("route", Ty::Any, RW),
    ],
};

macro_rules! queue_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            Field("id", Ty::Str, RO),
            Field("name", Ty::Str, RW),
            Field("division", Ty::Obj(&WRITABLE_DIVISION), RW),
            Field("description", Ty::Str, RW),
            Field("dateCreated", Ty::Str, RO),
            Field("dateModified", Ty::Str, RO),
            Field("modifiedBy", Ty::Str, RO),
            Field("createdBy", Ty::Str, RO),
            Field("memberCount", Ty::Int, RO),
            Field("userMemberCount", Ty::Int, RO),
            Field("joinedMemberCount", Ty::Int, RO),
            Field("mediaSettings", Ty::Obj(&QUEUE_MEDIA_SETTINGS), RW),
            Field("routingRules", Ty::List(&Ty::Obj(&ROUTING_RULE)), RW),
            Field("conditionalGroupRouting", Ty::Obj(&CGR), RW),
            Field("conditionalGroupActivation", Ty::Any, RW),
            Field("bullseye", Ty::Obj(&BULLSEYE), RW),
            Field("scoringMethod", Ty::Enum("ScoringMethod", &["TimestampAndPriority", "PriorityOnly"]), RW),
            Field(
                "lastAgentRoutingMode",
                Ty::Enum("LastAgentRoutingMode", &["Disabled", "QueueMembersOnly", "AnyAgent"]),
                RW,
            ),
            Field("acwSettings", Ty::Obj(&ACW_SETTINGS), RW),
            Field("skillEvaluationMethod", Ty::Enum("SkillEvaluationMethod", &["NONE", "BEST", "ALL"]), RW),
            Field("memberGroups", Ty::List(&Ty::Obj(&MEMBER_GROUP)), RW),
            Field("queueFlow", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
            Field("emailInQueueFlow", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
            Field("messageInQueueFlow", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
            Field("whisperPrompt", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
            Field("onHoldPrompt", Ty::Obj(&DOMAIN_ENTITY_REF), RW),
            Field("defaultMediaLanguage", Ty::Str, RW),
            Field("autoAnswerOnly", Ty::Bool, RW),
            Field("cannedResponseLibraries", Ty::Obj(&CANNED), RW),
            Field("enableTranscription", Ty::Bool, RW),
            Field("enableAudioMonitoring", Ty::Bool, RW),
            Field("enableManualAssignment", Ty::Bool, RW),
            Field("agentOwnedRouting", Ty::Obj(&AGENT_OWNED), RW),
            Field("directRouting", Ty::Obj(&DIRECT_ROUTING), RW),
            Field("callingPartyName", Ty::Str, RW),
            Field("callingPartyNumber", Ty::Str, RW),
            Field("defaultScripts", Ty::Map(&Ty::Any), RW),
            Field("outboundMessagingAddresses", Ty::Obj(&MESSAGING_ADDRESSES), RW),
            Field("outboundEmailAddress", Ty::Obj(&EMAIL_ADDRESS), RW),
            Field("peerId", Ty::Str, RW),
            Field("suppressInQueueCallRecording", Ty::Bool, RW),
            Field("selfUri", Ty::Str, RO),
            $($extra),*
        ]
    };
}
pub static CREATE_QUEUE_REQUEST: Model = Model {
    name: "CreateQueueRequest",
    fields: queue_fields!(Field("sourceQueueId", Ty::Str, RW)),
};
pub static QUEUE_REQUEST: Model = Model {
    name: "QueueRequest",
    fields: queue_fields!(),
};

// ---------------------------------------------------------------- roles, grants

pub static ROLE_CREATE: Model = Model {
    name: "DomainOrganizationRoleCreate",
    fields: &[
        Field("id", Ty::Str, RO),
        Field("name", Ty::Str, RW),
        Field("description", Ty::Str, RW),
        Field("defaultRoleId", Ty::Str, RW),
        Field("permissions", Ty::List(&STR), RW),
        Field("unusedPermissions", Ty::List(&STR), RO),
        Field("permissionPolicies", Ty::Any, RW),
        Field("userCount", Ty::Int, RO),
        Field("roleNeedsUpdate", Ty::Bool, RO),
        Field("baseLicense", Ty::Str, RO),
        Field("addonLicenses", Ty::Any, RO),
        Field("dateLicenseLastUpdated", Ty::Str, RO),
        Field("default", Ty::Bool, RO),
        Field("base", Ty::Bool, RO),
        Field("selfUri", Ty::Str, RO),
    ],
};
pub static ROLE_UPDATE: Model = Model {
    name: "DomainOrganizationRoleUpdate",
    fields: &[
        Field("id", Ty::Str, RO),
        Field("name", Ty::Str, RW),
        Field("description", Ty::Str, RW),
        Field("permissions", Ty::List(&STR), RW),
        Field("permissionPolicies", Ty::Any, RW),
        Field("selfUri", Ty::Str, RO),
    ],
};
static ROLE_DIVISION_PAIR: Model = Model {
    name: "RoleDivisionPair",
    fields: &[
        Field("roleId", Ty::Str, RW),
        Field("divisionId", Ty::Str, RW),
    ],
};
pub static ROLE_DIVISION_GRANTS: Model = Model {
    name: "RoleDivisionGrants",
    fields: &[Field("grants", Ty::List(&Ty::Obj(&ROLE_DIVISION_PAIR)), RW)],
};

// ---------------------------------------------------------------- skill groups

static SKILL_GROUP_CONDITION: Model = Model {
    name: "SkillGroupCondition",
    fields: &[
        Field("routingSkillConditions", Ty::Any, RW),
        Field("languageSkillConditions", Ty::Any, RW),
        Field(
            "operation",
            Ty::Enum("Operation", &["And", "Not", "Or"]),
            RW,
        ),
    ],
};
macro_rules! skill_group_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            Field("id", Ty::Str, RO),
            Field("name", Ty::Str, RW),
            Field("division", Ty::Obj(&WRITABLE_DIVISION), RW),
            Field("description", Ty::Str, RW),
            Field("memberCount", Ty::Int, RO),
            Field("dateModified", Ty::Str, RO),
            Field("dateCreated", Ty::Str, RO),
            Field("status", Ty::Enum("Status", &["InProgress", "Complete"]), RO),
            Field("skillConditions", Ty::List(&Ty::Obj(&SKILL_GROUP_CONDITION)), RW),
            Field("selfUri", Ty::Str, RO),
            $($extra),*
        ]
    };
}
pub static SKILL_GROUP_WITH_MEMBER_DIVISIONS: Model = Model {
    name: "SkillGroupWithMemberDivisions",
    fields: skill_group_fields!(Field("memberDivisions", Ty::List(&STR), RW)),
};
pub static SKILL_GROUP: Model = Model {
    name: "SkillGroup",
    fields: skill_group_fields!(),
};

// ---------------------------------------------------------------- schedules

pub static SCHEDULE: Model = Model {
    name: "Schedule",
    fields: &[
        Field("id", Ty::Str, RO),
        Field("name", Ty::Str, RW),
        Field("division", Ty::Obj(&WRITABLE_DIVISION), RW),
        Field("description", Ty::Str, RW),
        Field("version", Ty::Int, RW),
        Field("dateCreated", Ty::Str, RO),
        Field("dateModified", Ty::Str, RO),
        Field("modifiedBy", Ty::Str, RO),
        Field("createdBy", Ty::Str, RO),
        Field("state", Ty::Enum("State", USER_STATES), RO),
        Field("modifiedByApp", Ty::Str, RO),
        Field("createdByApp", Ty::Str, RO),
        Field("start", Ty::Str, RW),
        Field("end", Ty::Str, RW),
        Field("rrule", Ty::Str, RW),
        Field("selfUri", Ty::Str, RO),
    ],
};
pub static SCHEDULE_GROUP: Model = Model {
    name: "ScheduleGroup",
    fields: &[
        Field("id", Ty::Str, RO),
        Field("name", Ty::Str, RW),
        Field("division", Ty::Obj(&WRITABLE_DIVISION), RW),
        Field("description", Ty::Str, RW),
        Field("version", Ty::Int, RW),
        Field("dateCreated", Ty::Str, RO),
        Field("dateModified", Ty::Str, RO),
        Field("modifiedBy", Ty::Str, RO),
        Field("createdBy", Ty::Str, RO),
        Field("state", Ty::Enum("State", USER_STATES), RO),
        Field("modifiedByApp", Ty::Str, RO),
        Field("createdByApp", Ty::Str, RO),
        Field("timeZone", Ty::Str, RW),
        Field("openSchedules", Ty::List(&Ty::Obj(&DOMAIN_ENTITY_REF)), RW),
        Field(
            "closedSchedules",
            Ty::List(&Ty::Obj(&DOMAIN_ENTITY_REF)),
            RW,
        ),
        Field(
            "holidaySchedules",
            Ty::List(&Ty::Obj(&DOMAIN_ENTITY_REF)),
            RW,
        ),
        Field("selfUri", Ty::Str, RO),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strict_bodies() {
        let ok = check(
            &CREATE_USER,
            &json!({"name": "A", "email": "a@x", "state": "active"}),
        )
        .unwrap();
        assert_eq!(ok.len(), 3);
        let e = check(&CREATE_USER, &json!({"name": "A", "nope": 1})).unwrap_err();
        assert_eq!(e.code, "invalid.property");
        assert!(e.message.contains("nope"));
        let e = check(&CREATE_USER, &json!({"name": 5})).unwrap_err();
        assert_eq!(e.code, "bad.request");
        let e = check(
            &QUEUE_REQUEST,
            &json!({"name": "q", "mediaSettings": {"callback": {"mode": ""}}}),
        )
        .unwrap_err();
        assert_eq!(e.code, "invalid.value");
        assert!(
            e.message.contains("AgentFirst, CustomerFirst"),
            "{}",
            e.message
        );
        let cleaned = check(
            &QUEUE_REQUEST,
            &json!({"name": "q", "id": "x", "memberCount": 3}),
        )
        .unwrap();
        assert_eq!(cleaned.len(), 1);
        let e = check(
            &CREATE_QUEUE_REQUEST,
            &json!({"name": "q", "division": {"id": "d", "zz": 1}}),
        )
        .unwrap_err();
        assert!(e.message.contains("division.zz"), "{}", e.message);
    }
}

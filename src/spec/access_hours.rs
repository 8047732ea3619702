//! Manifest shapes of roles and grants, skill groups, schedules and schedule groups
//! (issue 5). Field names are the API's (`DomainOrganizationRoleCreate`,
//! `SkillGroupWithMemberDivisions`, `Schedule`, `ScheduleGroup`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An authorization role, keyed by name. Built-in roles are not declared: grants refer
/// to them by `defaultRoleId` (e.g. `employee`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleSpec {
    /// Role name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Permission strings (`domain:entity:action`); omitted: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// Permission policies; omitted: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_policies: Option<Vec<PermissionPolicySpec>>,
}

/// One `DomainPermissionPolicy` of a role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PermissionPolicySpec {
    /// Permission domain, e.g. `routing`.
    #[schemars(length(min = 1))]
    pub domain: String,
    /// Entity, e.g. `queue` (`*` for all).
    #[schemars(length(min = 1))]
    pub entity_name: String,
    /// Actions, e.g. `[view, edit]` (`*` for all).
    #[schemars(length(min = 1))]
    pub action_set: Vec<String>,
}

/// A role granted to a user in a division. Additive: grants not listed are left alone.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleGrantSpec {
    /// A declared role's name, or a built-in role's `defaultRoleId` (e.g. `employee`).
    #[schemars(length(min = 1))]
    pub role: String,
    /// Division by name, or `*` for all divisions; omitted: the user's division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
}

/// A skill group (users are members when their skills match the conditions).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SkillGroupSpec {
    /// Skill group name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division by name; omitted: not managed (the org's home division on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Membership conditions (the API's `skillConditions`), skills and languages by name.
    pub skill_conditions: Vec<SkillGroupConditionSpec>,
}

/// `SkillGroupCondition`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SkillGroupConditionSpec {
    /// Conditions on routing skills.
    #[serde(default)]
    pub routing_skill_conditions: Vec<RoutingSkillConditionSpec>,
    /// Conditions on languages.
    #[serde(default)]
    pub language_skill_conditions: Vec<LanguageSkillConditionSpec>,
    /// How the conditions combine.
    pub operation: ConditionOperation,
}

/// `SkillGroupRoutingCondition`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoutingSkillConditionSpec {
    /// Skill name (declared under `skills`).
    #[schemars(length(min = 1))]
    pub routing_skill: String,
    /// Comparison with the proficiency.
    pub comparator: Comparator,
    /// Proficiency 0-5.
    #[schemars(range(min = 0, max = 5))]
    pub proficiency: u8,
    /// Nested conditions.
    #[serde(default)]
    pub child_conditions: Vec<SkillGroupConditionSpec>,
}

/// `SkillGroupLanguageCondition`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LanguageSkillConditionSpec {
    /// Language name (declared under `languages`).
    #[schemars(length(min = 1))]
    pub language_skill: String,
    /// Comparison with the proficiency.
    pub comparator: Comparator,
    /// Proficiency 0-5.
    #[schemars(range(min = 0, max = 5))]
    pub proficiency: u8,
    /// Nested conditions.
    #[serde(default)]
    pub child_conditions: Vec<SkillGroupConditionSpec>,
}

/// `SkillGroupCondition.operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ConditionOperation {
    /// All must hold.
    And,
    /// Any may hold.
    Or,
    /// None may hold.
    Not,
}

/// Skill-group condition comparators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Comparator {
    /// `=`
    EqualTo,
    /// `!=`
    NotEqualTo,
    /// `<`
    LessThan,
    /// `>`
    GreaterThan,
    /// `>=`
    GreaterThanOrEqualTo,
    /// `<=`
    LessThanOrEqualTo,
}

/// An Architect schedule: a first occurrence (`start`..`end`, local time without zone)
/// and an optional RRULE repeating it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScheduleSpec {
    /// Schedule name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division by name; omitted: not managed (the org's home division on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Start of the first occurrence, `yyyy-MM-ddTHH:mm:ss.SSS` (local, no zone).
    pub start: String,
    /// End of the first occurrence, `yyyy-MM-ddTHH:mm:ss.SSS` (local, no zone).
    pub end: String,
    /// iCal RRULE without the `RRULE:` prefix, e.g. `FREQ=WEEKLY;BYDAY=MO,TU`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rrule: Option<String>,
}

/// A schedule group (business hours): schedules by name and an IANA time zone.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScheduleGroupSpec {
    /// Schedule group name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Division by name; omitted: not managed (the org's home division on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// IANA time zone name, e.g. `America/New_York`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Schedules when open, by name; omitted: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_schedules: Option<Vec<String>>,
    /// Schedules when closed, by name; omitted: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_schedules: Option<Vec<String>>,
    /// Holiday schedules, by name; omitted: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holiday_schedules: Option<Vec<String>>,
}

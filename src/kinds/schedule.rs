//! Architect schedules (`/api/v2/architect/schedules`) and schedule groups
//! (`/api/v2/architect/schedulegroups`), keyed by name.
//!
//! Both are listed once (page-number listings). Created with `POST`; updated with `PUT`
//! (a full replacement: fields the manifest does not manage keep the org's value)
//! carrying the current `version`; on a version conflict the object is re-read and the
//! PUT retried. Groups name their schedules (`openSchedules`, `closedSchedules`,
//! `holidaySchedules`), so they come after them; the lists are compared as sets.

use super::At;
use crate::api::ApiExt;
use crate::diag::Diagnostics;
use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Addr, BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SMALL_PAGE_SIZE,
    Schema, SchemaGenerator, Target, create_by_name, declared_or_observed, division_body,
    division_name, division_ref, id_of, index_by_name, norm_key, observe_named, schema_of,
    str_field, typed, typed_value, view_of,
};

/// An Architect schedule: a first occurrence (`start`..`end`, local time without zone)
/// and an optional RRULE repeating it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ScheduleSpec {
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
pub(super) struct ScheduleGroupSpec {
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

const SCHEDULES: &str = "/api/v2/architect/schedules";
const GROUPS: &str = "/api/v2/architect/schedulegroups";
/// The schedule lists of a group.
const LISTS: &[&str] = &["openSchedules", "closedSchedules", "holidaySchedules"];

/// `yyyy-MM-ddTHH:mm:ss.SSS`: the API's local date-time, compared at millisecond
/// precision (the API may answer with more or fewer fractional digits).
pub fn local_time_view(s: &str) -> String {
    let (main, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut ms: String = frac.chars().take(3).collect();
    while ms.len() < 3 {
        ms.push('0');
    }
    format!("{main}.{ms}")
}

/// Create, or PUT with the current version (re-read and retried on a conflict).
async fn upsert(
    ctx: &Ctx,
    kind: &str,
    path: &str,
    name: &str,
    observed: Option<&Value>,
    body: Value,
) -> Result<String, KindError> {
    let Some(observed) = observed else {
        return create_by_name(ctx, kind, path, name, &body).await;
    };
    let id = id_of(observed, &format!("a {kind}"))?;
    let item = format!("{path}/{id}");
    let mut version = observed.get("version").cloned();
    for attempt in 0..3 {
        let mut body = body.clone();
        if let Some(v) = version.as_ref().filter(|v| !v.is_null()) {
            body["version"] = v.clone();
        }
        match ctx.client.put(&item, &body).await {
            Ok(_) => return Ok(id),
            Err(e) if e.is_version_mismatch() && attempt < 2 => {
                let current = ctx.client.get(&item, &[]).await?;
                version = current.get("version").cloned();
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the last attempt returns")
}

/// The division and description of a body: declared, else the org's current value.
fn common_body(
    ctx: &Ctx,
    (name, division, description): (&str, Option<&str>, Option<&str>),
    observed: Option<&Value>,
) -> Result<Value, KindError> {
    let mut body = json!({"name": name});
    if let Some(d) = division_body(ctx, division, observed)? {
        body["division"] = d;
    }
    if let Some(d) = declared_or_observed(description, observed, "description") {
        body["description"] = json!(d);
    }
    Ok(body)
}

/// See the module docs.
pub(super) struct Schedule;

impl Kind for Schedule {
    /// From the CX as Code provider's docs (genesys-api.md §17); not in the SDK operation
    /// docs.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["routing:schedule:add"],
            Op::Update => &["routing:schedule:edit"],
            Op::Delete => &["routing:schedule:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Division
    }
    fn name(&self) -> &'static str {
        "schedule"
    }

    fn manifest_doc(&self) -> &'static str {
        "Architect schedules, by name."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<ScheduleSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(SCHEDULES)
    }

    fn check(&self, d: &Declared, at: At<'_>, diags: &mut Diagnostics) {
        super::access_hours::check_schedule(&d.spec, at, diags);
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("schedules")
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        division_ref(str_field(spec, "division"))
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        _declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        Box::pin(async move {
            let all = ctx
                .client
                .list_pages(SCHEDULES, &[], SMALL_PAGE_SIZE)
                .await?;
            Ok(index_by_name(self.name(), all, &ctx.resolver))
        })
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let Some(mut spec) = typed_value::<ScheduleSpec>(spec) else {
            return Value::Null;
        };
        spec.start = local_time_view(&spec.start);
        spec.end = local_time_view(&spec.end);
        view_of(&spec)
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let view = self.observed_view(observed, resolver);
        Some(super::fit_in_division::<ScheduleSpec>(
            view, observed, resolver,
        ))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        json!({
            "name": observed["name"],
            "division": division_name(observed, resolver),
            "description": observed.get("description"),
            "rrule": observed.get("rrule"),
            "start": str_field(observed, "start").map(local_time_view),
            "end": str_field(observed, "end").map(local_time_view),
        })
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: ScheduleSpec = typed(target.declared)?;
            let name = spec.name.as_str();
            let common = (name, spec.division.as_deref(), spec.description.as_deref());
            let mut body = common_body(ctx, common, target.observed)?;
            body["start"] = json!(spec.start);
            body["end"] = json!(spec.end);
            if let Some(v) = declared_or_observed(spec.rrule.as_deref(), target.observed, "rrule") {
                body["rrule"] = json!(v);
            }
            upsert(ctx, self.name(), SCHEDULES, name, target.observed, body).await
        })
    }
}

/// See the module docs.
pub(super) struct ScheduleGroup;

impl ScheduleGroupSpec {
    /// The three schedule lists, by wire name.
    fn lists(&self) -> [(&'static str, Option<&Vec<String>>); 3] {
        [
            ("openSchedules", self.open_schedules.as_ref()),
            ("closedSchedules", self.closed_schedules.as_ref()),
            ("holidaySchedules", self.holiday_schedules.as_ref()),
        ]
    }
}

fn names_view(list: &Value, resolver: &Resolver) -> Value {
    let mut names: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| match s {
            Value::String(n) => Some(n.clone()),
            _ => str_field(s, "id")
                .and_then(|id| resolver.name("schedule", id))
                .or_else(|| str_field(s, "name").map(str::to_string)),
        })
        .map(|n| norm_key(&n))
        .collect();
    names.sort();
    names.dedup();
    json!(names)
}

impl Kind for ScheduleGroup {
    /// From the CX as Code provider's docs (genesys-api.md §17); not in the SDK operation
    /// docs.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["routing:scheduleGroup:add"],
            Op::Update => &["routing:scheduleGroup:edit"],
            Op::Delete => &["routing:scheduleGroup:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Division
    }
    fn name(&self) -> &'static str {
        "schedulegroup"
    }

    fn manifest_doc(&self) -> &'static str {
        "Architect schedule groups (business hours), by name."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<ScheduleGroupSpec>(generator)
    }

    fn label(&self) -> &'static str {
        "schedule group"
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(GROUPS)
    }

    fn check(&self, d: &Declared, at: At<'_>, diags: &mut Diagnostics) {
        super::access_hours::check_time_zone(&d.spec, at, diags);
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("scheduleGroups")
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        let mut refs: Vec<Ref> = division_ref(str_field(spec, "division"));
        for list in LISTS {
            for (i, s) in spec
                .get(*list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(s) = s.as_str() {
                    refs.push(Ref {
                        target: Addr::new("schedule", s),
                        field: format!("/{list}/{i}"),
                    });
                }
            }
        }
        refs
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        _declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        observe_named(ctx, self.name(), GROUPS, SMALL_PAGE_SIZE)
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let Some(spec) = typed_value::<ScheduleGroupSpec>(spec) else {
            return Value::Null;
        };
        let mut view = view_of(&spec);
        for (list, names) in spec.lists() {
            if let Some(names) = names {
                view[list] = names_view(&json!(names), &Resolver::default());
            }
        }
        view
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let mut view = self.observed_view(observed, resolver);
        for list in LISTS {
            if let Some(Value::Array(names)) = view.get_mut(*list) {
                for n in names.iter_mut() {
                    *n = json!(super::cased(
                        resolver,
                        "schedule",
                        n.as_str().unwrap_or_default()
                    ));
                }
            }
        }
        Some(super::fit_in_division::<ScheduleGroupSpec>(
            view, observed, resolver,
        ))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let mut v = json!({
            "name": observed["name"],
            "division": division_name(observed, resolver),
            "description": observed.get("description"),
            "timeZone": observed.get("timeZone"),
        });
        for list in LISTS {
            v[*list] = names_view(observed.get(*list).unwrap_or(&Value::Null), resolver);
        }
        v
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: ScheduleGroupSpec = typed(target.declared)?;
            let name = spec.name.as_str();
            let common = (name, spec.division.as_deref(), spec.description.as_deref());
            let mut body = common_body(ctx, common, target.observed)?;
            if let Some(tz) =
                declared_or_observed(spec.time_zone.as_deref(), target.observed, "timeZone")
            {
                body["timeZone"] = json!(tz);
            }
            for (list, names) in spec.lists() {
                let refs = match names {
                    Some(names) => {
                        let mut ids = Vec::new();
                        for n in names {
                            ids.push(json!({"id": ctx.resolver.require("schedule", n)?}));
                        }
                        Value::Array(ids)
                    }
                    None => Value::Array(
                        target
                            .observed
                            .and_then(|o| o.get(list))
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|s| s.get("id").map(|id| json!({"id": id})))
                            .collect(),
                    ),
                };
                body[list] = refs;
            }
            upsert(ctx, self.name(), GROUPS, name, target.observed, body).await
        })
    }
}

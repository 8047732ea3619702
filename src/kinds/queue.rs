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
use serde_json::{Map, Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, PAGE_SIZE, Ref, Resolver, Target,
    create_by_name, division_name, division_ref, id_of, observe_named, str_field,
};

const PATH: &str = "/api/v2/routing/queues";

/// Manifest fields that are not queue settings.
const NOT_SETTINGS: &[&str] = &["division", "wrapupCodes", "members"];

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
pub struct Queue;

fn settings(spec: &Value) -> Map<String, Value> {
    let mut m = spec.as_object().cloned().unwrap_or_default();
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
    fn name(&self) -> &'static str {
        "queue"
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
        division_ref(spec)
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        _declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        observe_named(ctx, self.name(), PATH, PAGE_SIZE)
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let mut m = settings(spec);
        if let Some(d) = str_field(spec, "division") {
            m.insert("division".into(), json!(d));
        }
        Value::Object(m)
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
            let spec = &target.declared.spec;
            let name = target.declared.addr.key.as_str();
            let division = match str_field(spec, "division") {
                Some(d) => Some(ctx.resolver.require("division", d)?),
                None => None,
            };
            match target.observed {
                None => {
                    let mut body = Value::Object(settings(spec));
                    if let Some(d) = division.or_else(|| ctx.home_division.clone()) {
                        body["division"] = json!({"id": d});
                    }
                    create_by_name(ctx, self.name(), PATH, name, &body).await
                }
                Some(observed) => {
                    let id = id_of(observed, "a queue")?;
                    let mut body = observed.clone();
                    if let Some(o) = body.as_object_mut() {
                        for k in READ_ONLY {
                            o.remove(*k);
                        }
                    }
                    merge(&mut body, &Value::Object(settings(spec)));
                    let division = division.or_else(|| {
                        observed
                            .pointer("/division/id")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    });
                    if let Some(d) = division {
                        body["division"] = json!({"id": d});
                    }
                    ctx.client.put(&format!("{PATH}/{id}"), &body).await?;
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

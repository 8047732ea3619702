//! Web-services data actions (`/api/v2/integrations/actions`), keyed by name.
//!
//! Listed with `includeConfig=true` (100 a page) and matched by name; each declared
//! action is then read with `expand=contract`, as the listing never carries it. Create is
//! `POST PostActionInput {name, category, integrationId, config, contract, secure}`;
//! update is `PATCH UpdateActionInput {name, category, config, version}`. The contract,
//! the integration and the `secure` flag cannot change in place: a difference there is
//! a replace (delete + create, with `--allow-replace`).

use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    Addr, BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SMALL_PAGE_SIZE,
    Schema, SchemaGenerator, Target, create_by_name, id_of, norm_key, observe_named_with,
    schema_of, str_field, typed, typed_value,
};
use crate::api::ApiExt;
use crate::kinds::interp;
use std::collections::BTreeSet;

/// A web-services data action (`/api/v2/integrations/actions`), keyed by name.
/// `contract`, `integration` and `secure` cannot change in place (replace).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct DataActionSpec {
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

const PATH: &str = "/api/v2/integrations/actions";

/// See the module docs.
pub(super) struct DataAction;

impl DataAction {
    fn create<'a>(
        &'a self,
        ctx: &'a Ctx,
        d: &'a Declared,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let spec: DataActionSpec = typed(d)?;
            let mut body = json!({
                "name": spec.name,
                "category": spec.category,
                "integrationId": ctx.resolver.require("integration", &spec.integration)?,
                "config": interp::resolve(&Value::Object(spec.config), &ctx.resolver)?,
                "contract": interp::resolve(&Value::Object(spec.contract), &ctx.resolver)?,
            });
            if let Some(s) = spec.secure {
                body["secure"] = json!(s);
            }
            create_by_name(ctx, self.name(), PATH, &spec.name, &body).await
        })
    }
}

impl Kind for DataAction {
    /// From the provider's docs for data actions (unconfirmed in the SDK operation docs).
    /// Not division-aware.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["integrations:action:add"],
            Op::Update => &["integrations:action:edit"],
            Op::Delete => &["integrations:action:delete"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Org
    }
    fn name(&self) -> &'static str {
        "data-action"
    }

    fn manifest_doc(&self) -> &'static str {
        "Web-services data actions, by name."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<DataActionSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn label(&self) -> &'static str {
        "data action"
    }

    fn preflight_url(&self, spec: &Value) -> Option<String> {
        let spec = typed_value::<DataActionSpec>(spec)?;
        crate::preflight::url_template(&Value::Object(spec.config)).map(str::to_string)
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("dataActions")
    }

    fn stage(&self) -> u8 {
        1
    }

    fn group(&self) -> &'static str {
        "integrations"
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["contract", "integration", "secure"]
    }

    fn references(&self, spec: &Value) -> Vec<Ref> {
        let mut refs = vec![Ref {
            target: Addr::new(
                "integration",
                str_field(spec, "integration").unwrap_or_default(),
            ),
            field: "/integration".into(),
        }];
        for part in ["config", "contract"] {
            refs.extend(
                interp::references(spec.get(part).unwrap_or(&Value::Null))
                    .into_iter()
                    .map(|mut r| {
                        r.field = format!("/{part}{}", r.field);
                        r
                    }),
            );
        }
        refs
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
            // The listing has no `expand`, so it never carries `contract` (SDK
            // getIntegrationsActions); the CX as Code provider pages it by 100 and reads
            // each action with `expand=contract&includeConfig=true`. genseed does the
            // same, but only for the actions the manifests declare.
            let mut all = observe_named_with(
                ctx,
                self.name(),
                PATH,
                &[("includeConfig", "true")],
                SMALL_PAGE_SIZE,
            )
            .await?;
            let wanted: BTreeSet<String> = declared.iter().map(|d| norm_key(&d.addr.key)).collect();
            for (key, listed) in all.iter_mut() {
                if !wanted.contains(key) {
                    continue;
                }
                let id = id_of(listed, "a listed data action")?;
                let query = [
                    ("expand", "contract".to_string()),
                    ("includeConfig", "true".to_string()),
                ];
                *listed = ctx
                    .client
                    .get_existing(&format!("{PATH}/{id}"), &query)
                    .await?;
            }
            Ok(all)
        })
    }

    fn desired_view(&self, spec: &Value) -> Value {
        let Some(spec) = typed_value::<DataActionSpec>(spec) else {
            return Value::Null;
        };
        let mut v = json!({
            "integration": spec.integration,
            "category": spec.category,
            "config": interp::normalize(&Value::Object(spec.config)),
            "contract": interp::normalize(&Value::Object(spec.contract)),
        });
        if let Some(s) = spec.secure {
            v["secure"] = json!(s);
        }
        v
    }

    fn to_manifest(&self, observed: &Value, resolver: &Resolver) -> Option<Value> {
        let mut view = json!({"name": str_field(observed, "name")?});
        if let (Some(m), Value::Object(rest)) =
            (view.as_object_mut(), self.observed_view(observed, resolver))
        {
            m.extend(rest);
        }
        // Not secure is the default.
        if view.get("secure") == Some(&json!(false)) {
            view["secure"] = Value::Null;
        }
        Some(super::fit::<DataActionSpec>(&view))
    }

    fn observed_view(&self, observed: &Value, resolver: &Resolver) -> Value {
        let integration = str_field(observed, "integrationId")
            .map(|id| {
                resolver
                    .name("integration", id)
                    .unwrap_or_else(|| id.to_string())
            })
            .unwrap_or_default();
        let mut v = json!({
            "integration": integration,
            "category": observed.get("category").cloned().unwrap_or(Value::Null),
            "config": interp::unresolve(observed.get("config").unwrap_or(&Value::Null), resolver),
            "contract": interp::unresolve(observed.get("contract").unwrap_or(&Value::Null), resolver),
            "secure": observed.get("secure").cloned().unwrap_or(json!(false)),
        });
        if v["config"].is_null() {
            v["config"] = json!({});
        }
        v
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let d = target.declared;
            match target.observed {
                None => self.create(ctx, d).await,
                Some(o) => {
                    let id = id_of(o, "a data action")?;
                    let spec: DataActionSpec = typed(d)?;
                    let body = json!({
                        "name": spec.name,
                        "category": spec.category,
                        "config": interp::resolve(&Value::Object(spec.config), &ctx.resolver)?,
                        "version": o.get("version").cloned().unwrap_or(json!(1)),
                    });
                    ctx.client.patch(&format!("{PATH}/{id}"), &body).await?;
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
            if let Some(o) = target.observed {
                let id = id_of(o, "a data action")?;
                super::delete_path(ctx, &format!("{PATH}/{id}")).await?;
            }
            self.create(ctx, target.declared).await
        })
    }
}

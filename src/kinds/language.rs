//! Routing languages (`/api/v2/routing/languages`), keyed by name.
//!
//! Languages have a name only and no update call: an existing language is adopted.
//! Soft-deleted languages (`state: deleted`) are not adopted.

use crate::permissions::{Op, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SMALL_PAGE_SIZE, Schema,
    SchemaGenerator, Target, create_by_name, id_of, observe_named, pick, schema_of, typed_value,
    view_of,
};

/// A routing language (free text, not an ISO code). Languages have no update call.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct LanguageSpec {
    /// Language name (unique, compared case-insensitively).
    #[schemars(length(min = 1))]
    pub name: String,
}

const PATH: &str = "/api/v2/routing/languages";

/// See the module docs.
pub(super) struct Language;

impl Kind for Language {
    /// Languages are managed with `routing:skill:manage` (confirmed for create in the SDK
    /// operation docs; provider docs). Not division-aware.
    fn permissions(&self, op: Op) -> &'static [&'static str] {
        match op {
            Op::Create => &["routing:skill:manage"],
            Op::Update => &["routing:skill:manage"],
            Op::Delete => &["routing:skill:manage"],
            Op::RemoveMembers => &[],
        }
    }

    fn permission_scope(&self) -> Scope {
        Scope::Org
    }
    fn name(&self) -> &'static str {
        "language"
    }

    fn manifest_doc(&self) -> &'static str {
        "Routing languages, by name."
    }

    fn spec_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        schema_of::<LanguageSpec>(generator)
    }

    fn api_path(&self) -> Option<&'static str> {
        Some(PATH)
    }

    fn manifest_key(&self) -> Option<&'static str> {
        Some("languages")
    }

    fn references(&self, _spec: &Value) -> Vec<Ref> {
        Vec::new()
    }

    fn observe<'a>(
        &'a self,
        ctx: &'a Ctx,
        _declared: &'a [Declared],
    ) -> BoxFut<'a, Result<ObservedMap, KindError>> {
        observe_named(ctx, self.name(), PATH, SMALL_PAGE_SIZE)
    }

    fn desired_view(&self, spec: &Value) -> Value {
        typed_value::<LanguageSpec>(spec).map_or(Value::Null, |s| view_of(&s))
    }

    fn observed_view(&self, observed: &Value, _resolver: &Resolver) -> Value {
        pick(observed, &["name"])
    }

    fn apply<'a>(
        &'a self,
        ctx: &'a Ctx,
        target: Target<'a>,
    ) -> BoxFut<'a, Result<String, KindError>> {
        Box::pin(async move {
            let name = target.declared.addr.key.as_str();
            match target.observed {
                None => create_by_name(ctx, self.name(), PATH, name, &json!({"name": name})).await,
                Some(observed) => id_of(observed, "a language"),
            }
        })
    }
}

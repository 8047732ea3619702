//! Routing languages (`/api/v2/routing/languages`), keyed by name.
//!
//! Languages have a name only and no update call: an existing language is adopted.
//! Soft-deleted languages (`state: deleted`) are not adopted.

use serde_json::{Value, json};

use super::{
    BoxFut, Ctx, Declared, Kind, KindError, ObservedMap, Ref, Resolver, SMALL_PAGE_SIZE, Target,
    create_by_name, id_of, observe_named, pick,
};

const PATH: &str = "/api/v2/routing/languages";

/// See the module docs.
pub struct Language;

impl Kind for Language {
    fn name(&self) -> &'static str {
        "language"
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
        pick(spec, &["name"])
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

//! Helpers for [`super::Kind::to_manifest`]: shaping an observed view into a manifest
//! entry that `apply` reads back to the same org state.

use schemars::JsonSchema;
use serde_json::{Map, Value};

use super::{Resolver, str_field, strip_defaults};

/// Where export registers the org's home division with the resolver (not a kind).
const HOME: &str = "home-division";

/// Record the org's home division, so that entries leave it out (omitted = home).
pub fn register_home_division(resolver: &Resolver, id: &str) {
    resolver.insert(HOME, "home", id);
}

/// The division name of an observed object for its manifest entry: `None` when it is
/// the org's home division (what an omitted division means) or absent.
pub fn exported_division(observed: &Value, resolver: &Resolver) -> Option<String> {
    let id = observed.pointer("/division/id").and_then(Value::as_str)?;
    if resolver.id(HOME, "home").as_deref() == Some(id) {
        return None;
    }
    super::division_name(observed, resolver)
}

/// Whether `observed` is the org's home division (every org has one; never exported).
pub fn is_home_division(observed: &Value, resolver: &Resolver) -> bool {
    observed.get("homeDivision").and_then(Value::as_bool) == Some(true)
        || str_field(observed, "id")
            .is_some_and(|id| resolver.id(HOME, "home").as_deref() == Some(id))
}

/// The name of `kind/key` as the org spells it (views compare lower-cased keys).
pub fn cased(resolver: &Resolver, kind: &str, key: &str) -> String {
    resolver
        .id(kind, key)
        .and_then(|id| resolver.name(kind, &id))
        .unwrap_or_else(|| key.to_string())
}

/// [`fit`] an object that lives in a division: the division named, or left out when
/// it is the home division.
pub fn fit_in_division<T: JsonSchema>(
    mut view: Value,
    observed: &Value,
    resolver: &Resolver,
) -> Value {
    if let Some(m) = view.as_object_mut() {
        match exported_division(observed, resolver) {
            Some(d) => {
                m.insert("division".into(), Value::String(d));
            }
            None => {
                m.remove("division");
            }
        }
    }
    fit::<T>(&view)
}

/// Shape `view` as the manifest entry type `T` declares it: fields `T` does not have
/// are dropped (recursively), fields are put in `T`'s order, empties left out.
pub fn fit<T: JsonSchema>(view: &Value) -> Value {
    let root = serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null);
    let defs = root.get("$defs").cloned().unwrap_or(Value::Null);
    strip_defaults(prune(view, &root, &defs))
}

fn resolve<'a>(schema: &'a Value, defs: &'a Value) -> &'a Value {
    match str_field(schema, "$ref").and_then(|r| r.rsplit('/').next()) {
        Some(name) => defs.get(name).map_or(schema, |s| resolve(s, defs)),
        None => schema,
    }
}

/// Whether a (resolved) schema may describe `v`'s JSON type.
fn admits(schema: &Value, v: &Value) -> bool {
    let want = match v {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::Null => "null",
        _ => return !matches!(str_field(schema, "type"), Some("object" | "array" | "null")),
    };
    match schema.get("type") {
        Some(Value::String(t)) => t == want,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == want),
        _ => true,
    }
}

fn prune(v: &Value, schema: &Value, defs: &Value) -> Value {
    let s = resolve(schema, defs);
    for alt in ["anyOf", "oneOf", "allOf"] {
        if let Some(branches) = s.get(alt).and_then(Value::as_array) {
            let fitting = branches
                .iter()
                .map(|b| resolve(b, defs))
                .find(|b| admits(b, v) && str_field(b, "type") != Some("null"));
            if let Some(b) = fitting {
                return prune(v, b, defs);
            }
        }
    }
    match v {
        Value::Object(m) => {
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                let mut out = Map::new();
                for (k, ps) in props {
                    if let Some(x) = m.get(k) {
                        out.insert(k.clone(), prune(x, ps, defs));
                    }
                }
                Value::Object(out)
            } else if let Some(ap) = s.get("additionalProperties").filter(|a| a.is_object()) {
                Value::Object(
                    m.iter()
                        .map(|(k, x)| (k.clone(), prune(x, ap, defs)))
                        .collect(),
                )
            } else {
                v.clone()
            }
        }
        Value::Array(a) => match s.get("items") {
            Some(items) => Value::Array(a.iter().map(|x| prune(x, items, defs)).collect()),
            None => v.clone(),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        keep: Option<u32>,
    }

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
        list: Vec<Inner>,
    }

    #[test]
    fn fit_keeps_declared_fields_in_declared_order() {
        let v = json!({"id": "x", "inner": {"keep": 1, "drop": 2}, "name": "n", "list": [{"keep": 3, "selfUri": "/"}], "empty": []});
        assert_eq!(
            fit::<Outer>(&v),
            json!({"name": "n", "inner": {"keep": 1}, "list": [{"keep": 3}]})
        );
        assert_eq!(
            serde_json::to_string(&fit::<Outer>(&v)).unwrap(),
            r#"{"name":"n","inner":{"keep":1},"list":[{"keep":3}]}"#
        );
    }
}

//! `${…}` interpolation in manifest strings.
//!
//! Two forms are genseed's; every other `${…}` (the Velocity templates of data actions,
//! e.g. `${input.rawRequest}`) passes through untouched, with no escaping:
//!
//! - `${var.NAME}` — the environment's `vars:` in `genseed.yaml`, substituted when the
//!   manifests are loaded (an undefined one is a validation error);
//! - `${KIND:KEY}` — the ID of a declared object, e.g. `${queue:Seed Support Queue}`,
//!   where KIND is a kind name (`queue`, `user`, `skill`, …). It is a reference (it
//!   orders the graph; an undeclared object is a validation error) and is resolved at
//!   apply time from the resolver.
//!
//! In views (what plans compare and show) references are kept as `${kind:key}` with the
//! key normalized, and IDs read back from the org are mapped to the same form.
//! Pure: no I/O.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Addr, KINDS, KindError, Ref, Resolver, kind, norm_key};

/// One `${…}` in a string: its byte range and inner text.
fn placeholders(s: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = s[at..].find("${").map(|i| i + at) {
        let Some(end) = s[start + 2..].find('}').map(|i| i + start + 2) else {
            break;
        };
        out.push((start, end + 1, &s[start + 2..end]));
        at = end + 1;
    }
    out
}

/// The reference inside `${KIND:KEY}`, when KIND is a kind that objects can be
/// declared of.
fn as_ref(inner: &str) -> Option<(&'static str, &str)> {
    let (k, key) = inner.split_once(':')?;
    let k = kind(k.trim()).filter(|k| k.is_object())?;
    Some((k.name(), key.trim()))
}

/// Replace every placeholder of `s` for which `f` answers `Some`.
fn rewrite(s: &str, mut f: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (start, end, inner) in placeholders(s) {
        if let Some(r) = f(inner) {
            out.push_str(&s[last..start]);
            out.push_str(&r);
            last = end;
        }
    }
    out.push_str(&s[last..]);
    out
}

/// Apply `f` to every string of `v` (object keys excluded), with its JSON pointer
/// (`pointer` is the pointer of `v`, grown and cut back in place).
fn walk_mut(v: &mut Value, pointer: &mut String, f: &mut dyn FnMut(&str, &mut String)) {
    match v {
        Value::String(s) => f(pointer, s),
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                let len = pointer.len();
                push_index(pointer, i);
                walk_mut(x, pointer, f);
                pointer.truncate(len);
            }
        }
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let len = pointer.len();
                push_key(pointer, k);
                walk_mut(x, pointer, f);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// [`walk_mut`] for reading: `f` sees every string of `v` with its JSON pointer.
fn walk(v: &Value, pointer: &mut String, f: &mut dyn FnMut(&str, &str)) {
    match v {
        Value::String(s) => f(pointer, s),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = pointer.len();
                push_index(pointer, i);
                walk(x, pointer, f);
                pointer.truncate(len);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let len = pointer.len();
                push_key(pointer, k);
                walk(x, pointer, f);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn push_index(pointer: &mut String, i: usize) {
    use std::fmt::Write as _;
    let _ = write!(pointer, "/{i}");
}

/// Appends `/` and the key escaped as a pointer token (`~` → `~0`, `/` → `~1`).
fn push_key(pointer: &mut String, key: &str) {
    pointer.push('/');
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Whether any string of `v` (object keys excluded) contains `needle`: most objects
/// have no placeholder at all, and this finds that without building pointers.
pub(crate) fn any_string_contains(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s.contains(needle),
        Value::Array(a) => a.iter().any(|x| any_string_contains(x, needle)),
        Value::Object(m) => m.values().any(|x| any_string_contains(x, needle)),
        _ => false,
    }
}

/// Substitute `${var.NAME}` in every string of `v`. Returns the undefined variables as
/// (pointer of the string, NAME).
pub(crate) fn substitute_vars(
    v: &mut Value,
    vars: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut missing = Vec::new();
    walk_mut(v, &mut String::new(), &mut |pointer, s| {
        if !s.contains("${var.") {
            return;
        }
        *s = rewrite(s, |inner| {
            let name = inner.strip_prefix("var.")?.trim();
            match vars.get(name) {
                Some(value) => Some(value.clone()),
                None => {
                    missing.push((pointer.to_string(), name.to_string()));
                    None
                }
            }
        });
    });
    missing
}

/// The `${KIND:KEY}` references in the strings of `v`, with their pointers.
pub(crate) fn references(v: &Value) -> Vec<Ref> {
    let mut out = Vec::new();
    walk(v, &mut String::new(), &mut |pointer, s| {
        for (_, _, inner) in placeholders(s) {
            if let Some((k, key)) = as_ref(inner) {
                out.push(Ref {
                    target: Addr::new(k, key),
                    field: pointer.to_string(),
                });
            }
        }
    });
    out
}

/// The `${KIND:KEY}` placeholders of `v` that sit in a string none of `resolved` (the
/// pointers of the strings a kind interpolates) names: they would reach the org as
/// written. Returns (pointer of the string, the placeholder's text).
pub(crate) fn uninterpolated(v: &Value, resolved: &[Ref]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(v, &mut String::new(), &mut |pointer, s| {
        if resolved.iter().any(|r| r.field == pointer) {
            return;
        }
        for (start, end, inner) in placeholders(s) {
            if as_ref(inner).is_some() {
                out.push((pointer.to_string(), s[start..end].to_string()));
            }
        }
    });
    out
}

/// `v` with every `${KIND:KEY}` replaced by the object's ID.
pub(crate) fn resolve(v: &Value, resolver: &Resolver) -> Result<Value, KindError> {
    let mut v = v.clone();
    let mut err = None;
    walk_mut(&mut v, &mut String::new(), &mut |_, s| {
        *s = rewrite(s, |inner| {
            let (k, key) = as_ref(inner)?;
            match resolver.require(k, key) {
                Ok(id) => Some(id),
                Err(e) => {
                    err.get_or_insert(e);
                    None
                }
            }
        });
    });
    match err {
        Some(e) => Err(e),
        None => Ok(v),
    }
}

/// `v` with references in their canonical view form, `${kind:normalized key}`.
pub(crate) fn normalize(v: &Value) -> Value {
    let mut v = v.clone();
    walk_mut(&mut v, &mut String::new(), &mut |_, s| {
        *s = rewrite(s, |inner| {
            as_ref(inner).map(|(k, key)| format!("${{{k}:{}}}", norm_key(key)))
        });
    });
    v
}

/// `v` (read from the org) with every ID the resolver knows written as
/// `${kind:normalized key}`, so it compares with [`normalize`]d declarations.
pub(crate) fn unresolve(v: &Value, resolver: &Resolver) -> Value {
    let mut v = v.clone();
    walk_mut(&mut v, &mut String::new(), &mut |_, s| {
        let mut out = String::with_capacity(s.len());
        let mut rest = s.as_str();
        while !rest.is_empty() {
            let id = rest.get(..36).filter(|c| is_uuid(c));
            let name = id.and_then(|id| {
                KINDS
                    .iter()
                    .filter(|k| k.is_object())
                    .find_map(|k| resolver.name(k.name(), id).map(|n| (k.name(), n)))
            });
            match name {
                Some((k, n)) => {
                    out.push_str(&format!("${{{k}:{}}}", norm_key(&n)));
                    rest = &rest[36..];
                }
                None => {
                    let c = rest.chars().next().expect("non-empty");
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        *s = out;
    });
    v
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vars_are_substituted_and_velocity_passes_through() {
        let mut v = json!({"url": "${var.crm_url}/events", "t": "${input.rawRequest}", "x": ["${var.nope}"]});
        let vars = BTreeMap::from([("crm_url".to_string(), "https://crm".to_string())]);
        let missing = substitute_vars(&mut v, &vars);
        assert_eq!(v["url"], "https://crm/events");
        assert_eq!(v["t"], "${input.rawRequest}");
        assert_eq!(missing, vec![("/x/0".to_string(), "nope".to_string())]);
    }

    #[test]
    fn references_resolve_and_round_trip() {
        let v = json!({"topic": "v2.routing.queues.${queue:Seed Queue}.users", "other": "${foo:bar} ${rawResult}"});
        let refs = references(&v);
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].target, Addr::new("queue", "Seed Queue"));
        assert_eq!(refs[0].field, "/topic");
        let r = Resolver::default();
        assert!(resolve(&v, &r).is_err());
        let id = "0f1c2d3e-0000-4000-8000-00000000abcd";
        r.insert("queue", "seed queue", id);
        let resolved = resolve(&v, &r).unwrap();
        assert_eq!(resolved["topic"], format!("v2.routing.queues.{id}.users"));
        assert_eq!(resolved["other"], "${foo:bar} ${rawResult}");
        assert_eq!(unresolve(&resolved, &r), normalize(&v));
        assert_eq!(
            normalize(&v)["topic"],
            "v2.routing.queues.${queue:seed queue}.users"
        );
    }
}

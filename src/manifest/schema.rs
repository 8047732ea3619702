//! JSON Schema (draft 2020-12) validation of located documents, with readable messages.
//!
//! Owns turning jsonschema's evaluation tree into [`Diagnostics`]: collapsing schemars'
//! `anyOf [T, null]` / `oneOf [const…]` wrappers to the real leaf error, and wording
//! unknown-field / type / enum / required errors for humans. Must not know about kinds or
//! embed any particular schema (the caller passes it in).

use serde_json::Value;

use super::pointer;
use super::yaml::{Locate, LocatedDoc};
use crate::diag::{Diagnostic, Diagnostics, excerpt};

/// A compiled schema; build once, validate many documents.
pub struct SchemaValidator {
    validator: jsonschema::Validator,
    schema: Value,
}

/// One failed leaf keyword after wrapper collapsing.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaLeaf {
    /// JSON pointer of the failing value, relative to the validated value.
    pub instance: String,
    /// Keyword that failed (`type`, `enum`, `required`, `additionalProperties`, …).
    pub keyword: String,
    /// Where the keyword sits in the schema (JSON pointer, or absolute URI with `$id`).
    pub schema_location: String,
    /// jsonschema's own message, used when we have no better wording.
    pub message: String,
    /// For `oneOf`/`anyOf` of constants: the allowed values.
    pub allowed: Option<Vec<Value>>,
}

impl SchemaValidator {
    /// Compiles `schema` as draft 2020-12. No remote `$ref`s are fetched.
    pub fn new(schema: &Value) -> Result<Self, Diagnostics> {
        let mut schema = schema.clone();
        strict_integers(&mut schema);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .with_keyword(WHOLE_NUMBER, |_, _, _| Ok(Box::new(WholeNumber)))
            .build(&schema)
            .map_err(|e| {
                Diagnostics::from(Diagnostic::error(format!("invalid JSON Schema: {e}")))
            })?;
        Ok(SchemaValidator { validator, schema })
    }

    /// Validates a whole document; every problem is located in its file.
    pub fn validate(&self, doc: &LocatedDoc) -> Diagnostics {
        self.validate_value(&doc.value, doc)
    }

    /// Validates `value`, locating problems with `at` (a [`LocatedDoc`], or a merged item
    /// whose pointers are relative to the item).
    pub fn validate_value(&self, value: &Value, at: &dyn Locate) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for leaf in self.leaf_errors(value) {
            diags.extend(leaf.to_diagnostics(&self.schema, value, at));
        }
        diags
    }

    /// The collapsed leaf errors, for callers that want their own wording.
    pub fn leaf_errors(&self, value: &Value) -> Vec<SchemaLeaf> {
        // The yes/no check builds nothing; the detailed evaluation tree is built only for
        // a value that fails.
        if self.validator.is_valid(value) {
            return Vec::new();
        }
        let evaluation = self.validator.evaluate(value);
        if evaluation.is_valid() {
            return Vec::new();
        }
        let mut leaves = collect(evaluation.root(), &self.schema);
        drop_redundant_type_errors(&mut leaves);
        leaves
    }
}

/// The keyword [`strict_integers`] adds to every integer-typed schema.
const WHOLE_NUMBER: &str = "x-genseed-whole-number";

/// JSON Schema counts `1000.0` (and so YAML's `1e3`) as an integer, but the API receives
/// it as a float and refuses it. This keyword rejects numbers that carry a fraction or an
/// exponent where an integer is expected (non-integers already fail `type`).
struct WholeNumber;

impl<'i> jsonschema::Keyword<'i> for WholeNumber {
    fn validate(&self, instance: &'i Value) -> Result<(), jsonschema::ValidationError<'i>> {
        if self.is_valid(instance) {
            Ok(())
        } else {
            Err(jsonschema::ValidationError::custom(
                "a number with a fraction or an exponent is not an integer",
            ))
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        match instance {
            Value::Number(n) => !n.is_f64() || n.as_f64().is_some_and(|f| f.fract() != 0.0),
            _ => true,
        }
    }
}

/// Makes every integer-typed schema strict: a [`WHOLE_NUMBER`] check, plus the bounds of
/// its `format` (`uint32`, `int64`, …) where it states none, so that no value passes
/// validation that the typed spec or the API would refuse later.
fn strict_integers(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let integer = match map.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
                _ => false,
            };
            if integer {
                map.insert(WHOLE_NUMBER.into(), Value::Bool(true));
                if let Some((min, max)) = map
                    .get("format")
                    .and_then(Value::as_str)
                    .and_then(format_bounds)
                {
                    map.entry("minimum").or_insert(min);
                    map.entry("maximum").or_insert(max);
                }
            }
            for child in map.values_mut() {
                strict_integers(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strict_integers),
        _ => {}
    }
}

/// The range of a schemars integer `format`.
fn format_bounds(format: &str) -> Option<(Value, Value)> {
    Some(match format {
        "uint8" => (0.into(), u8::MAX.into()),
        "uint16" => (0.into(), u16::MAX.into()),
        "uint32" => (0.into(), u32::MAX.into()),
        "uint64" | "uint" => (0.into(), u64::MAX.into()),
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "int64" | "int" => (i64::MIN.into(), i64::MAX.into()),
        _ => return None,
    })
}

/// A string the YAML loader kept because it is a number in a form the API would not
/// take as written (`0x10`, `1_000`, `+5`, or an integer too large for 64 bits).
fn looks_numeric(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    digits.starts_with(|c: char| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// One-shot helper: compile `schema` and validate `doc`.
pub fn validate_against(schema: &Value, doc: &LocatedDoc) -> Diagnostics {
    match SchemaValidator::new(schema) {
        Ok(v) => v.validate(doc),
        Err(d) => d,
    }
}

fn last_keyword(unit: &jsonschema::OutputUnit<'_>) -> String {
    pointer::last_token(unit.evaluation_path().as_str()).unwrap_or_default()
}

fn collect(unit: jsonschema::OutputUnit<'_>, schema: &Value) -> Vec<SchemaLeaf> {
    if unit.valid() {
        return Vec::new();
    }
    let instance = unit.instance_location().as_str().to_owned();
    let mut leaves: Vec<SchemaLeaf> = unit
        .errors()
        .iter()
        .map(|e| SchemaLeaf {
            instance: instance.clone(),
            keyword: e.keyword().to_owned(),
            schema_location: unit.schema_location().to_owned(),
            message: e.message().to_owned(),
            allowed: None,
        })
        .collect();
    let keyword = last_keyword(&unit);
    if keyword == "anyOf" || keyword == "oneOf" {
        let branches: Vec<Vec<SchemaLeaf>> = unit
            .children()
            .filter(|c| !c.valid())
            .map(|c| collect(c, schema))
            .filter(|l| !l.is_empty())
            .map(|mut l| {
                drop_redundant_type_errors(&mut l);
                l
            })
            .collect();
        if !branches.is_empty() {
            // The combinator's own error ("not valid under any of …") adds nothing once we
            // show the branch that came closest.
            leaves.retain(|l| l.keyword != "anyOf" && l.keyword != "oneOf");
            leaves.extend(choose_branch(branches, &instance, schema));
        }
    } else {
        for child in unit.children() {
            leaves.extend(collect(child, schema));
        }
    }
    leaves
}

/// `state: 3` against `{type: string, enum: [...]}` fails both keywords; the enum error says
/// more, so the type error at the same place is dropped.
fn drop_redundant_type_errors(leaves: &mut Vec<SchemaLeaf>) {
    let enum_at: Vec<String> = leaves
        .iter()
        .filter(|l| l.keyword == "enum" || l.keyword == "const")
        .map(|l| l.instance.clone())
        .collect();
    leaves.retain(|l| l.keyword != "type" || !enum_at.contains(&l.instance));
}

/// Picks what to report from the failed branches of an `anyOf`/`oneOf`.
fn choose_branch(
    branches: Vec<Vec<SchemaLeaf>>,
    instance: &str,
    schema: &Value,
) -> Vec<SchemaLeaf> {
    let is_null_branch = |b: &[SchemaLeaf]| {
        b.iter().all(|l| {
            l.keyword == "type"
                && l.instance == instance
                && schema_at(schema, &l.schema_location) == Some(&Value::from("null"))
        })
    };
    let mut branches: Vec<Vec<SchemaLeaf>> = match branches.iter().all(|b| is_null_branch(b)) {
        true => branches,
        false => branches
            .into_iter()
            .filter(|b| !is_null_branch(b))
            .collect(),
    };
    // oneOf [{const: a}, {const: b}] (schemars' documented enum variants) → one enum error.
    let consts: Option<Vec<Value>> = branches
        .iter()
        .map(|b| match b.as_slice() {
            [l] if l.keyword == "const" && l.instance == instance => {
                schema_at(schema, &l.schema_location).cloned()
            }
            [l] if l.keyword == "enum" && l.instance == instance => {
                Some(schema_at(schema, &l.schema_location)?.clone())
            }
            _ => None,
        })
        .collect();
    if let Some(consts) = consts
        && branches.len() > 1
    {
        let mut allowed = Vec::new();
        for c in consts {
            match c {
                Value::Array(values) => allowed.extend(values),
                other => allowed.push(other),
            }
        }
        let first = &branches[0][0];
        return vec![SchemaLeaf {
            instance: instance.to_owned(),
            keyword: "enum".to_owned(),
            schema_location: first.schema_location.clone(),
            message: first.message.clone(),
            allowed: Some(allowed),
        }];
    }
    // Otherwise report the branch that got furthest into the value: deepest errors first,
    // then fewest errors.
    let depth = |b: &Vec<SchemaLeaf>| b.iter().map(|l| l.instance.matches('/').count()).max();
    branches.sort_by(|a, b| depth(b).cmp(&depth(a)).then(a.len().cmp(&b.len())));
    branches.into_iter().next().unwrap_or_default()
}

/// The schema value at a keyword location (a JSON pointer, or a URI whose fragment is one).
fn schema_at<'s>(schema: &'s Value, location: &str) -> Option<&'s Value> {
    let fragment = match location.split_once('#') {
        Some((_, f)) => f,
        None => location,
    };
    let decoded = percent_decode(fragment);
    schema.pointer(&decoded)
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl SchemaLeaf {
    /// Words this error for humans and locates it with `at`. `root` is the validated value
    /// (used to see what was actually there); `schema` the schema it was validated against.
    pub fn to_diagnostics(&self, schema: &Value, root: &Value, at: &dyn Locate) -> Vec<Diagnostic> {
        let w = Wording {
            leaf: self,
            found: root.pointer(&self.instance),
            keyword_schema: schema_at(schema, &self.schema_location),
            parent_schema: pointer::parent(&self.schema_location)
                .and_then(|p| schema_at(schema, p)),
            at,
        };
        match self.keyword.as_str() {
            "additionalProperties" | "unevaluatedProperties" => w.unknown_fields(),
            "type" => w.wrong_type(),
            "enum" | "const" => w.not_allowed(),
            "required" => w.missing_fields(),
            WHOLE_NUMBER => w.not_whole(),
            _ => w.as_reported(),
        }
    }
}

/// What wording one leaf error needs: the leaf, the value found at its instance, the
/// failing keyword's schema and its parent schema, and where to locate it.
struct Wording<'a> {
    leaf: &'a SchemaLeaf,
    found: Option<&'a Value>,
    keyword_schema: Option<&'a Value>,
    parent_schema: Option<&'a Value>,
    at: &'a dyn Locate,
}

impl Wording<'_> {
    /// `d` located at the leaf's instance.
    fn here(&self, d: Diagnostic) -> Diagnostic {
        d.at(self.at.locate(&self.leaf.instance))
            .with_pointer(self.at.pointer(&self.leaf.instance))
    }

    /// jsonschema's own message, when there is no better wording.
    fn as_reported(&self) -> Vec<Diagnostic> {
        vec![self.here(Diagnostic::error(self.leaf.message.clone()))]
    }

    /// One `unknown field` per key the schema does not know, at the key.
    fn unknown_fields(&self) -> Vec<Diagnostic> {
        let known: Vec<String> = self
            .parent_schema
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let unknown: Vec<String> = match self.found.and_then(Value::as_object) {
            Some(obj) if !known.is_empty() || self.keyword_schema == Some(&Value::Bool(false)) => {
                obj.keys().filter(|k| !known.contains(k)).cloned().collect()
            }
            _ => Vec::new(),
        };
        if unknown.is_empty() {
            return self.as_reported();
        }
        unknown
            .into_iter()
            .map(|name| {
                let ptr = pointer::push(&self.leaf.instance, &name);
                let mut d = Diagnostic::error(format!("unknown field `{}`", excerpt(&name)))
                    .at(self.at.locate_key(&ptr))
                    .with_pointer(self.at.pointer(&ptr));
                if let Some(hint) = allowed_hint(&name, &known, "field") {
                    d = d.with_hint(hint);
                }
                d
            })
            .collect()
    }

    /// `expected an integer, found a string`, with a hint for numbers written oddly.
    fn wrong_type(&self) -> Vec<Diagnostic> {
        let expected: Vec<&str> = match self.keyword_schema {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let non_null: Vec<&str> = expected.iter().copied().filter(|t| *t != "null").collect();
        let expected = if non_null.is_empty() {
            expected
        } else {
            non_null
        };
        let Some(found) = self.found.filter(|_| !expected.is_empty()) else {
            return self.as_reported();
        };
        let names: Vec<&str> = expected.iter().map(|t| type_phrase(t)).collect();
        if let Value::String(text) = found
            && looks_numeric(text)
            && expected.iter().any(|t| *t == "integer" || *t == "number")
        {
            let msg = format!("expected {}, found `{}`", join_or(&names), excerpt(text));
            return vec![self.here(Diagnostic::error(msg).with_hint(NUMBER_HINT))];
        }
        let msg = format!(
            "expected {}, found {}",
            join_or(&names),
            value_phrase(found)
        );
        vec![self.here(Diagnostic::error(msg))]
    }

    /// `` `x` is not one of a, b ``, with a did-you-mean hint.
    fn not_allowed(&self) -> Vec<Diagnostic> {
        let allowed: Vec<Value> = match (&self.leaf.allowed, self.keyword_schema) {
            (Some(a), _) => a.clone(),
            (None, Some(Value::Array(a))) if self.leaf.keyword == "enum" => a.clone(),
            (None, Some(v)) if self.leaf.keyword == "const" => vec![v.clone()],
            _ => return self.as_reported(),
        };
        let shown: Vec<String> = allowed.iter().map(show).collect();
        let value = excerpt(&self.found.map(show).unwrap_or_default());
        let msg = match shown.as_slice() {
            [one] => format!("expected `{one}`, found `{value}`"),
            _ => format!("`{value}` is not one of {}", shown.join(", ")),
        };
        let mut d = self.here(Diagnostic::error(msg));
        if let Some(hint) = did_you_mean(&value, &shown) {
            d = d.with_hint(hint);
        }
        vec![d]
    }

    /// One `missing required field` per absent field, at the object.
    fn missing_fields(&self) -> Vec<Diagnostic> {
        let required: Vec<&str> = self
            .keyword_schema
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let missing: Vec<&str> = match self.found.and_then(Value::as_object) {
            Some(obj) => required
                .into_iter()
                .filter(|r| !obj.contains_key(*r))
                .collect(),
            None => Vec::new(),
        };
        if missing.is_empty() {
            return self.as_reported();
        }
        missing
            .into_iter()
            .map(|m| self.here(Diagnostic::error(format!("missing required field `{m}`"))))
            .collect()
    }

    /// A [`WHOLE_NUMBER`] failure: `1e3` or `1000.0` where an integer is expected.
    fn not_whole(&self) -> Vec<Diagnostic> {
        let shown = excerpt(&self.found.map(show).unwrap_or_default());
        let msg = format!(
            "expected an integer, found `{shown}` (a number written with a fraction or an exponent)"
        );
        vec![self.here(Diagnostic::error(msg).with_hint(NUMBER_HINT))]
    }
}

const NUMBER_HINT: &str = "write integers as plain decimal digits (`16`, `1000`), without `0x`, `0o`, `_`, an exponent or a fraction, and within the field's range";

fn type_phrase(t: &str) -> &'static str {
    match t {
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean (true/false)",
        "object" => "a mapping",
        "array" => "a list",
        "null" => "null",
        _ => "a value of another type",
    }
}

fn value_phrase(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number with a fraction",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Strings unquoted, everything else as JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn allowed_hint(name: &str, known: &[String], what: &str) -> Option<String> {
    if known.is_empty() {
        return None;
    }
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(match did_you_mean(name, known) {
        Some(dym) => format!("{dym}; expected one of {list}"),
        None => format!("expected {what}s: {list}"),
    })
}

/// `did you mean `X`?` (transpositions count as one edit; see `suggest`).
fn did_you_mean(value: &str, candidates: &[String]) -> Option<String> {
    crate::suggest::hint(value, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml::load_yaml;
    use serde_json::json;
    use std::path::Path;

    /// Shaped like schemars 1.x output for:
    /// struct Manifest { users: Vec<User> } (deny_unknown_fields)
    /// struct User { name: String, email: Option<String>, state: Option<State>,
    ///               prefs: Option<Prefs>, kind: Option<Kind> }
    fn schema() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Manifest",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "users": {"type": "array", "items": {"$ref": "#/$defs/User"}}
            },
            "$defs": {
                "User": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "email": {"type": ["string", "null"]},
                        "state": {"anyOf": [{"$ref": "#/$defs/State"}, {"type": "null"}]},
                        "prefs": {"anyOf": [{"$ref": "#/$defs/Prefs"}, {"type": "null"}]},
                        "kind": {"anyOf": [{"$ref": "#/$defs/Kind"}, {"type": "null"}]}
                    }
                },
                "State": {"type": "string", "enum": ["active", "inactive"]},
                "Kind": {"oneOf": [
                    {"description": "A person", "type": "string", "const": "person"},
                    {"description": "A bot", "type": "string", "const": "bot"}
                ]},
                "Prefs": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {"language": {"type": "string"}, "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}
                }
            }
        })
    }

    fn check(yaml: &str) -> Vec<(usize, usize, String, Option<String>)> {
        let doc = load_yaml(Path::new("m.yaml"), yaml).unwrap();
        let mut diags = validate_against(&schema(), &doc);
        diags.sort();
        diags
            .into_iter()
            .map(|d| {
                let l = d.location.expect("located");
                (l.line, l.col, d.message, d.hint)
            })
            .collect()
    }

    #[test]
    fn valid_document_has_no_errors() {
        let yaml = "users:\n  - name: Ann\n    email: ~\n    state: active\n    kind: bot\n    prefs: {language: en, limit: 3}\n";
        assert_eq!(check(yaml), vec![]);
    }

    #[test]
    fn unknown_field_at_key_with_hint() {
        let out = check("users:\n  - name: Ann\n    stat: active\n");
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!((out[0].0, out[0].1), (3, 5));
        assert_eq!(out[0].2, "unknown field `stat`");
        let hint = out[0].3.as_deref().unwrap();
        assert!(hint.starts_with("did you mean `state`?"), "{hint}");
        assert!(
            hint.contains("`name`, `email`, `state`, `prefs`, `kind`"),
            "{hint}"
        );
    }

    #[test]
    fn bad_enum_inside_option_collapses_to_the_enum() {
        let out = check("users:\n  - name: Ann\n    state: activ\n");
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!((out[0].0, out[0].1), (3, 12));
        assert_eq!(out[0].2, "`activ` is not one of active, inactive");
        assert_eq!(out[0].3.as_deref(), Some("did you mean `active`?"));
    }

    #[test]
    fn long_input_values_are_echoed_only_as_short_excerpts() {
        let long = "SECRET".repeat(500);
        let key = "KEY".repeat(300); // YAML keys stop at 1024 characters
        let out = check(&format!(
            "users:\n  - name: Ann\n    state: {long}\n    {key}: 1\n"
        ));
        assert_eq!(out.len(), 2, "{out:?}");
        for (_, _, message, hint) in out {
            assert!(message.chars().count() < 120, "{message}");
            assert!(hint.unwrap_or_default().chars().count() < 200);
        }
    }

    #[test]
    fn one_of_consts_becomes_an_enum() {
        let out = check("users:\n  - name: Ann\n    kind: robot\n");
        assert_eq!(
            out,
            vec![(3, 11, "`robot` is not one of person, bot".into(), None)]
        );
        let out = check("users:\n  - name: Ann\n    kind: 3\n");
        assert_eq!(
            out,
            vec![(3, 11, "`3` is not one of person, bot".into(), None)]
        );
    }

    #[test]
    fn missing_required_field_at_the_object() {
        let out = check("users:\n  - name: Ann\n  - email: b@x.io\n");
        assert_eq!(
            out,
            vec![(3, 5, "missing required field `name`".into(), None)]
        );
    }

    #[test]
    fn wrong_type_inside_option_field() {
        let out = check(
            "users:\n  - name: Ann\n    prefs:\n      language: 5\n      limit: 1.5\n    email: [a]\n",
        );
        let msgs: Vec<_> = out.iter().map(|o| (o.0, o.1, o.2.as_str())).collect();
        assert_eq!(
            msgs,
            vec![
                (4, 17, "expected a string, found a number"),
                (5, 14, "expected an integer, found a number with a fraction"),
                (6, 12, "expected a string, found a list"),
            ]
        );
    }

    #[test]
    fn renders_like_the_cli_shows_it() {
        let text = "users:\n  - name: Ann\n    stat: active\n";
        let doc = load_yaml(Path::new("seeds/main.yaml"), text).unwrap();
        let cache = crate::diag::SourceCache::empty();
        cache.insert("seeds/main.yaml", text);
        let out = crate::diag::render(&validate_against(&schema(), &doc), &cache);
        assert!(
            out.starts_with(
                "seeds/main.yaml:3:5: error: unknown field `stat`\n    3 |     stat: active\n      |     ^\n  hint: did you mean `state`?"
            ),
            "{out}"
        );
        assert!(out.ends_with("\n1 error\n"), "{out}");
    }

    #[test]
    fn every_problem_is_reported_with_pointer() {
        let doc = load_yaml(
            Path::new("m.yaml"),
            "users:\n  - nme: x\n    state: 3\nextra: 1\n",
        )
        .unwrap();
        let diags = validate_against(&schema(), &doc);
        let mut ptrs: Vec<_> = diags.iter().map(|d| d.pointer.clone().unwrap()).collect();
        ptrs.sort();
        assert_eq!(
            ptrs,
            ["/extra", "/users/0", "/users/0/nme", "/users/0/state"]
        );
    }
}

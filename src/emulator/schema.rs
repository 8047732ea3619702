//! The wire models the emulator enforces and the strict validator over them. The models
//! are data: `assets/emulator-models.json`, generated from the official Genesys Cloud Python SDK by
//! `scripts/gen-emulator-models.py` (see its header to regenerate), embedded once and
//! parsed on first use into a lookup table by model name.
//!
//! Checking a body: unknown property → 400 `invalid.property`, wrong JSON type → 400
//! `bad.request`, enum value outside the allowed set → 400 `invalid.value` (listing the
//! allowed values). Fields the file marks `readOnly` are accepted and dropped on write
//! (§16.1: presumably ignored by the server, unconfirmed). Required fields are checked by
//! the collections, since the SDK over-marks them.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::util::capitalized;

/// The generated models file.
const MODELS_JSON: &str = include_str!("../../assets/emulator-models.json");

/// A field type, parsed from the SDK's type string.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ty {
    Str,
    Int,
    Num,
    Bool,
    /// `object`: any JSON value.
    Any,
    /// Another model, by name.
    Obj(String),
    List(Box<Ty>),
    Map(Box<Ty>),
}

impl Ty {
    /// Parse `str`, `int`, `float`, `bool`, `datetime`, `date`, `LocalDateTime`,
    /// `YearMonth`, `object`, `list[T]`, `dict(str, T)` or a model name.
    pub(super) fn parse(s: &str) -> Ty {
        if let Some(inner) = s.strip_prefix("list[").and_then(|r| r.strip_suffix(']')) {
            return Ty::List(Box::new(Ty::parse(inner)));
        }
        if let Some(inner) = s
            .strip_prefix("dict(str, ")
            .and_then(|r| r.strip_suffix(')'))
        {
            return Ty::Map(Box::new(Ty::parse(inner)));
        }
        match s {
            // Dates travel as strings; their format is not checked (as before the models
            // were generated).
            "str" | "datetime" | "date" | "LocalDateTime" | "YearMonth" => Ty::Str,
            "int" => Ty::Int,
            "float" => Ty::Num,
            "bool" => Ty::Bool,
            "object" => Ty::Any,
            name => Ty::Obj(name.to_string()),
        }
    }
}

/// One field of a model, as `assets/emulator-models.json` spells it.
#[derive(Debug, Deserialize)]
pub(super) struct Field {
    #[serde(rename = "type", deserialize_with = "ty")]
    pub ty: Ty,
    /// Allowed values of an enum field.
    #[serde(rename = "enum")]
    pub allowed: Option<Vec<String>>,
    /// Accepted and dropped on write.
    #[serde(rename = "readOnly", default)]
    pub read_only: bool,
}

fn ty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Ty, D::Error> {
    String::deserialize(d).map(|s| Ty::parse(&s))
}

/// A wire model: its fields by wire name.
pub(super) type Model = BTreeMap<String, Field>;

/// Every model of the file `{"sdk": "<the SDK and version it came from>", "models":
/// {...}}`, by name.
#[derive(Deserialize)]
pub(super) struct Models {
    models: HashMap<String, Model>,
}

impl Models {
    /// A model by name, if the file has it.
    pub(super) fn get(&self, name: &str) -> Option<&Model> {
        self.models.get(name)
    }

    /// A model the emulator serves. Every served model is checked by a test
    /// (`routes::tests::served_models_exist`), so a miss is a bug.
    fn model(&self, name: &str) -> &Model {
        self.get(name)
            .unwrap_or_else(|| panic!("model {name} is missing from emulator-models.json"))
    }
}

/// The loaded models (parsed once).
pub(super) static MODELS: LazyLock<Models> =
    LazyLock::new(|| serde_json::from_str(MODELS_JSON).expect("emulator-models.json is valid"));

/// Validate `v` against model `name` and return its writable fields (nulls dropped).
pub(super) fn check(name: &str, v: &Value) -> Result<Map<String, Value>, ApiError> {
    let model = MODELS.model(name);
    let obj = v.as_object().ok_or_else(|| {
        ApiError::bad_request(format!(
            "Unable to parse the request body: expected a JSON object ({name})"
        ))
    })?;
    check_obj(name, model, obj, "")?;
    Ok(obj
        .iter()
        .filter(|(k, val)| !val.is_null() && !model[k.as_str()].read_only)
        .map(|(k, val)| (k.clone(), val.clone()))
        .collect())
}

/// Validate a JSON array body whose items follow model `name`; returns the cleaned items.
pub(super) fn check_list(name: &str, v: &Value) -> Result<Vec<Map<String, Value>>, ApiError> {
    let arr = v.as_array().ok_or_else(|| {
        ApiError::bad_request(format!(
            "Unable to parse the request body: expected a JSON array of {name}"
        ))
    })?;
    arr.iter().map(|item| check(name, item)).collect()
}

fn check_obj(
    name: &str,
    model: &Model,
    obj: &Map<String, Value>,
    at: &str,
) -> Result<(), ApiError> {
    for (k, val) in obj {
        let path = if at.is_empty() {
            k.clone()
        } else {
            format!("{at}.{k}")
        };
        let Some(f) = model.get(k) else {
            return Err(ApiError::invalid_property(format!(
                "Unrecognized field \"{k}\" (class {name}), not marked as ignorable: {path}"
            )));
        };
        check_ty(&f.ty, val, &path)?;
        if let (Some(allowed), Some(s)) = (&f.allowed, val.as_str())
            && !allowed.iter().any(|a| a == s)
        {
            return Err(ApiError::invalid_value(format!(
                "Value [{s}] is not valid for field type [{}]. Allowable values are: {}",
                capitalized(k),
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

fn check_ty(ty: &Ty, v: &Value, path: &str) -> Result<(), ApiError> {
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
        Ty::Int if v.is_i64() || v.is_u64() => Ok(()),
        Ty::Int => Err(wrong("an integer")),
        Ty::Num => v.as_f64().map(|_| ()).ok_or_else(|| wrong("a number")),
        Ty::Obj(name) => {
            let o = v.as_object().ok_or_else(|| wrong("an object"))?;
            check_obj(name, MODELS.model(name), o, path)
        }
        Ty::List(t) => {
            let a = v.as_array().ok_or_else(|| wrong("an array"))?;
            a.iter()
                .enumerate()
                .try_for_each(|(i, item)| check_ty(t, item, &format!("{path}[{i}]")))
        }
        Ty::Map(t) => {
            let o = v.as_object().ok_or_else(|| wrong("an object"))?;
            o.iter()
                .try_for_each(|(k, item)| check_ty(t, item, &format!("{path}.{k}")))
        }
    }
}

/// A required non-empty string field of a cleaned body.
pub(super) fn req_str<'a>(m: &'a Map<String, Value>, field: &str) -> Result<&'a str, ApiError> {
    match m.get(field).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::bad_request(format!(
            "The field '{field}' is required and may not be empty"
        ))),
    }
}

/// 400 `The field [f] is required{on}` for the first of `fields` the body lacks.
pub(super) fn require(b: &Map<String, Value>, fields: &[&str], on: &str) -> Result<(), ApiError> {
    match fields.iter().find(|f| !b.contains_key(**f)) {
        Some(f) => Err(ApiError::bad_request(format!(
            "The field [{f}] is required{on}"
        ))),
        None => Ok(()),
    }
}

/// An optional string field.
pub(super) fn opt_str<'a>(m: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    m.get(field).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model a type names (directly or inside lists and maps).
    fn model_name(ty: &Ty) -> Option<&str> {
        match ty {
            Ty::Obj(n) => Some(n),
            Ty::List(t) | Ty::Map(t) => model_name(t),
            _ => None,
        }
    }

    /// Names of models referenced by another model of the file but missing from it.
    pub(super) fn dangling_references(models: &Models) -> Vec<String> {
        let mut out: Vec<String> = models
            .models
            .values()
            .flat_map(|m| m.values())
            .filter_map(|f| model_name(&f.ty))
            .filter(|n| models.get(n).is_none())
            .map(str::to_string)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn the_file_is_closed_under_references() {
        assert!(MODELS_JSON.contains("\"sdk\": \"PureCloudPlatformClientV2 "));
        assert_eq!(dangling_references(&MODELS), Vec::<String>::new());
        assert_eq!(
            Ty::parse("dict(str, list[Contact])"),
            Ty::Map(Box::new(Ty::List(Box::new(Ty::Obj("Contact".into())))))
        );
    }
}

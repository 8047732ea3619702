//! OAuth clients (`/api/v2/oauth/clients`: list, get, create, `PUT` with
//! `roleDivisions`) and the token's own information (`GET /api/v2/tokens/me`). Only one
//! client gets tokens: the one `/oauth/token` accepts (`--client-id`), which starts with
//! the built-in admin role in all divisions (see `authz::seed`); an admin restricts it
//! by `PUT`ting its `roleDivisions`, as in Genesys Cloud. Other clients can be created
//! and read (no secret is issued or stored); deleting clients is not served.

use serde_json::{Map, Value, json};

use super::{Reply, elements, known, overlay};
use crate::emulator::collection::{Collection, Hooks, Rules, Update};
use crate::emulator::error::ApiError;
use crate::emulator::store::Emu;

pub(crate) static OAUTH_CLIENTS: Collection = Collection {
    uri: "/api/v2/oauth/clients",
    word: "OAuth client",
    map: |d| &d.oauth_clients,
    map_mut: |d| &mut d.oauth_clients,
    rules: Rules {
        create: Some("OAuthClientRequest"),
        update: Update::Put("OAuthClientRequest"),
        // Client names need not be unique (unconfirmed); no name filter.
        unique_names: false,
        name_filter: crate::emulator::collection::NameFilter::None,
        delete: crate::emulator::collection::Delete::None,
        read_model: "OAuthClient",
        list_model: "OAuthClientEntityListing",
        ..Rules::DEFAULT
    },
    hooks: Hooks {
        build,
        validate,
        ..Hooks::DEFAULT
    },
};

/// A PUT replaces what the request names; what the server owns (creation date, the
/// secret, which the emulator never stores) stays.
fn build(st: &Emu, b: &Map<String, Value>, old: Option<&Value>) -> Result<Value, ApiError> {
    let fresh = || json!({"state": "active", "scope": [], "roleDivisions": [], "dateCreated": st.now_iso()});
    let mut v = overlay(&old.cloned().unwrap_or_else(fresh), b, &[]);
    // `roleIds` mirrors the roles of `roleDivisions` on reads (the SDK model has both).
    let roles = elements(&v["roleDivisions"]).map(|rd| rd["roleId"].clone());
    let roles: Vec<Value> = roles.collect();
    v["roleIds"] = Value::Array(roles);
    v["dateModified"] = json!(st.now_iso());
    Ok(v)
}

/// Every granted role and division must exist (`*`: all divisions). The real error
/// code for an unknown one is unconfirmed; 400 `bad.request` is taken.
fn validate(st: &Emu, b: &Map<String, Value>, _: Option<&Value>) -> Result<(), ApiError> {
    if b.get("authorizedGrantType").is_none() {
        return Err(ApiError::bad_request(
            "The field 'authorizedGrantType' is required",
        ));
    }
    for rd in elements(b.get("roleDivisions")) {
        let role = rd["roleId"].as_str().unwrap_or_default().to_lowercase();
        let div = rd["divisionId"].as_str().unwrap_or_default().to_lowercase();
        known(&st.data.roles, &role, "Role")?;
        if div != "*" {
            known(&st.data.divisions, &div, "Division")?;
        }
    }
    Ok(())
}

/// `GET /api/v2/tokens/me`: the organization and the OAuth client behind the token
/// (the SDK's `TokenInfo`; the client field is spelled `OAuthClient`). Needs no
/// permission (SDK operation docs).
pub(crate) fn token_info(st: &Emu) -> Reply {
    let org = json!({"id": st.data.organization["id"], "name": st.data.organization["name"]});
    let client = super::super::authz::client(st);
    let mut oauth = json!({"organization": org});
    for k in ["id", "name", "authorizedGrantType", "state", "dateCreated"] {
        if let Some(x) = client.get(k) {
            oauth[k] = x.clone();
        }
    }
    Reply::json(json!({
        "organization": org, "homeOrganization": org, "authorizedScope": [],
        "OAuthClient": oauth,
    }))
}

//! Reading the token's grants: `GET /api/v2/tokens/me` names the OAuth client,
//! `GET /api/v2/oauth/clients/{id}` its `roleDivisions`, and
//! `GET /api/v2/authorization/roles/{id}` each role's permission policies.
//!
//! Reading one's own client needs `oauth:client:view` and reading roles
//! `authorization:role:view` (SDK operation docs); a client without them gets a 403,
//! which is not an error here: the grants are then [`Access::Unknown`].

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Grant, policies_of, role_divisions};
use crate::client::{ApiClient, ApiError};
use crate::kinds::Resolver;

/// What the token may do, as far as it can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    /// The client's grants were read.
    Grants {
        /// The client's name (or ID when it has none).
        client: String,
        /// Its grants.
        grants: Vec<Grant>,
    },
    /// They could not be read, and why.
    Unknown(String),
}

/// Read the token's grants. Division names come from `resolver` (divisions are
/// always observed), roles are read once each.
pub(crate) async fn fetch(client: &ApiClient, resolver: &Resolver) -> Result<Access, ApiError> {
    let me = match read(client, "/api/v2/tokens/me").await? {
        Ok(v) => v,
        Err(why) => return Ok(Access::Unknown(why)),
    };
    let Some(id) = me.pointer("/OAuthClient/id").and_then(Value::as_str) else {
        return Ok(Access::Unknown(
            "the token belongs to no OAuth client (GET /api/v2/tokens/me names none)".into(),
        ));
    };
    let oauth = match read(client, &format!("/api/v2/oauth/clients/{id}")).await? {
        Ok(v) => v,
        Err(why) => return Ok(Access::Unknown(why)),
    };
    let name = oauth
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .unwrap_or(id)
        .to_string();
    let pairs = role_divisions(&oauth);
    let role_ids: BTreeSet<&str> = pairs.iter().map(|(r, _)| r.as_str()).collect();
    let mut roles = std::collections::HashMap::new();
    for role in role_ids {
        match read(client, &format!("/api/v2/authorization/roles/{role}")).await? {
            Ok(v) => roles.insert(role.to_string(), v),
            Err(why) => return Ok(Access::Unknown(why)),
        };
    }
    let grants = pairs
        .iter()
        .map(|(role, division)| {
            let r = &roles[role];
            Grant {
                role: r
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(role)
                    .to_string(),
                division: division.clone(),
                division_name: if division == "*" {
                    "*".into()
                } else {
                    resolver
                        .division_name(division)
                        .unwrap_or_else(|| division.clone())
                },
                policies: policies_of(r),
            }
        })
        .collect();
    Ok(Access::Grants {
        client: name,
        grants,
    })
}

/// `GET path`: the body, or (403/404) why the grants cannot be read; other failures
/// are errors.
async fn read(client: &ApiClient, path: &str) -> Result<Result<Value, String>, ApiError> {
    match client.get(path, &[]).await {
        Ok(v) => Ok(Ok(v)),
        Err(e) if e.status() == Some(403) => Ok(Err(format!(
            "GET {path} was refused (403: {}); the OAuth client needs oauth:client:view and authorization:role:view to read its own grants",
            e.code().unwrap_or("forbidden")
        ))),
        Err(e) if e.is_not_found() => Ok(Err(format!("GET {path} answered 404"))),
        Err(e) => Err(e),
    }
}

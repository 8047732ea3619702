//! Embedded emulator of the Genesys Cloud Platform API v2: an in-process, stateful axum
//! server that the CLI, client and planner talk to over HTTP exactly as to the real service.
//!
//! Layout: `config` (knobs), `faults` (scripted faults + YAML), `error` (§2.3 error body),
//! `schema` (the wire models of `assets/emulator-models.json`, generated from the official SDK by
//! `scripts/gen-emulator-models.py`, and the strict validator), `collection` (the
//! descriptor of a collection and the generic handlers serving it), `store` (the org and
//! run-time state), `table` (the map behind each collection, noting changed rows),
//! `journal` (the data file and its journal), `listing` (paging shapes), `server` (handle
//! and pipeline: auth, rate limit, faults, logging), `routes/*` (the collections'
//! descriptors and hooks, and the hand-written families), `util` (ids, time, query).
//!
//! Reserved routes without auth: `GET /__emulator/requests` (request log), `POST
//! /__emulator/reset` (clear the log), `GET /__emulator/data` (the org dump).
//!
//! Faults file (YAML, unknown keys are errors):
//! ```yaml
//! - match: {method: POST, path: /api/v2/users}   # path exact (case-insensitive) or glob with *
//!   status: 503
//!   probability: 0.1     # or times: 3; neither = always
//!   afterCommit: true    # apply the request, then answer the fault (lost response)
//! - match: {path: "/api/v2/routing/*"}
//!   latencyMs: 50
//! - match: {method: POST, path: /api/v2/routing/queues}
//!   accepted: true       # 202 + Location: /api/v2/emulator/tasks/{id}; polls: 2
//! ```

mod authz;
mod collection;
mod config;
mod error;
mod faults;
mod journal;
mod listing;
mod routes;
mod schema;
mod server;
mod store;
mod table;
mod util;

pub use config::{
    Consistency, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_RATE_LIMIT, DEFAULT_SEED,
    DEFAULT_TOKEN_RATE_LIMIT, DEFAULT_TOKEN_TTL, EmulatorConfig, RateLimit,
};
pub use error::EmulatorError;
pub use faults::{FaultMatch, FaultRule, load_faults, parse_faults};
pub use listing::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use server::{EmulatorHandle, serve_until_ctrl_c};
pub use store::{LoggedRequest, OrgData};

/// Check a JSON value against one of the SDK wire models in `assets/emulator-models.json` (unknown field,
/// wrong type, value outside an enum): the error message says what is wrong. For tests
/// that hold the emulator's answers to the SDK's read models.
pub fn check_wire_model(model: &str, v: &serde_json::Value) -> Result<(), String> {
    if schema::MODELS.get(model).is_none() {
        return Err(format!("emulator-models.json has no model {model}"));
    }
    schema::check(model, v).map(|_| ()).map_err(|e| e.message)
}

/// The collections served by the generic handlers: `(uri, read model, listing model)`.
pub fn collections() -> Vec<(&'static str, &'static str, &'static str)> {
    routes::COLLECTIONS
        .iter()
        .map(|c| (c.uri, c.rules.read_model, c.rules.list_model))
        .collect()
}

//! Embedded emulator of the Genesys Cloud Platform API v2: an in-process, stateful axum
//! server that the CLI, client and planner talk to over HTTP exactly as to the real service.
//!
//! Layout: `config` (knobs), `faults` (scripted faults + YAML), `error` (§2.3 error body),
//! `schema` (the wire models generated from the SDK + strict validation), `collection`
//! (one descriptor per collection, served by generic handlers), `store` (the org and run-time state,
//! persistence), `listing` (paging shapes), `server` (handle + pipeline: auth, rate limit,
//! faults, logging), `routes/*` (one module per resource family), `util` (ids, time, query).
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

mod collection;
mod config;
mod error;
mod faults;
mod listing;
mod routes;
mod schema;
mod server;
mod store;
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

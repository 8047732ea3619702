//! genseed bootstraps a Genesys Cloud CX org from YAML seed manifests, idempotently.
//!
//! The flow, one module per stage:
//!
//! 1. `settings` — CLI flags + `genseed.yaml` + environment variables → `Settings`.
//! 2. `manifest` — read seed files (YAML with line/column spans, CSV) → documents.
//! 3. `validate` — JSON Schema (from `spec`) + semantic checks → declared objects, or
//!    every problem at once as `diag::Diagnostic`s.
//! 4. `graph` — references → tiers (divisions before users before queue members…).
//! 5. `reconcile::observe` — list each kind once from the org (`client`), match by
//!    natural key; `reconcile::plan` → `plan::Plan` (create / update / adopt / no-op).
//! 6. `report` — print the plan; `reconcile::apply` — execute tier by tier, writing
//!    `state` (a journal line) after every completed change.
//!
//! Everything resource-specific sits behind `kinds::Kind` (one file per kind,
//! registered in `kinds::KINDS`). `emulator` is an in-process Genesys Cloud API that
//! shares nothing with the client side but the wire format.

pub(crate) mod api;
pub mod cli;
pub mod client;
pub mod commands;
pub mod diag;
pub mod emulator;
pub(crate) mod export;
pub(crate) mod graph;
pub mod kinds;
pub mod logging;
pub mod manifest;
pub mod permissions;
pub(crate) mod plan;
pub(crate) mod planfile;
pub(crate) mod preflight;
pub(crate) mod prune;
pub(crate) mod reconcile;
pub(crate) mod report;
pub(crate) mod settings;
pub mod spec;
pub(crate) mod state;
pub(crate) mod suggest;
pub(crate) mod tz;
pub mod validate;

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
//!    `state` after every completed change.
//!
//! Everything resource-specific sits behind `kinds::Kind` (one file per kind,
//! registered in `kinds::KINDS`). `emulator` is an in-process Genesys Cloud API that
//! shares nothing with the client side but the wire format.

pub mod api;
pub mod cli;
pub mod client;
pub mod commands;
pub mod diag;
pub mod emulator;
pub mod export;
pub mod graph;
pub mod interp;
pub mod kinds;
pub mod logging;
pub mod manifest;
pub mod plan;
pub mod preflight;
pub mod reconcile;
pub mod report;
pub mod settings;
pub mod spec;
pub mod state;
pub mod suggest;
pub mod validate;

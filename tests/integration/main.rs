//! One integration-test binary: runs the real `genseed` binary against the in-process
//! emulator and inspects the emulator's request log and data. Modules per feature.

mod support;

mod access_hours;
mod apply;
mod cli;
mod emulator_http;
mod export;
mod fuzz;
mod groups;
mod hardening;
mod integrations;
mod resilience;
mod ux;
mod validation;

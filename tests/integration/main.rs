//! One integration-test binary: runs the real `genseed` binary against the in-process
//! emulator and inspects the emulator's request log and data. Modules per feature.

// The test binary is not the product: its helpers are `pub` for its modules, and a
// few tests print the figures they measured.
#![allow(
    unreachable_pub,
    missing_docs,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod support;

mod access_hours;
mod apply;
mod cli;
mod emulator_golden;
mod emulator_http;
mod export;
mod fuzz;
mod groups;
mod hardening;
mod integrations;
mod permissions;
mod planfile;
mod prune;
mod real_service;
mod resilience;
mod ux;
mod validation;

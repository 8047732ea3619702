//! genseed: bootstrap a Genesys Cloud CX org from YAML manifests.

pub mod emulator;

//! genseed: bootstrap a Genesys Cloud CX org from YAML seed manifests.

pub mod client;

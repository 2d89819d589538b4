//! ketenpost routes Dutch care EDIFACT messages into the client record system: the commands,
//! the configuration and the always-on daemon behind the `ketenpost` binary.

pub mod cli;
pub mod commands;
pub mod config;
pub mod intake;
pub mod report;
pub mod resend;
pub mod service;
pub mod store;
pub mod telemetry;

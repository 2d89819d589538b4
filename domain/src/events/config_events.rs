//! The events of the `configuration` stream: a version proposed, approved or rejected by a
//! reviewer who is not its author, and activated. The proposed value holds its secrets sealed.

use serde::{Deserialize, Serialize};

use crate::configuration::RoutingConfig;

/// A new version of the routing configuration was proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationProposed {
    /// Its number (1, 2, ...).
    pub version: u64,
    /// The version in force it was made from (0: none).
    pub base: u64,
    /// Who proposed it: a user stream id, or `configuratiebestand`.
    pub author: String,
    /// When, milliseconds since 1970-01-01 UTC.
    pub at_ms: i64,
    /// The whole proposed configuration, secrets sealed.
    pub routing: RoutingConfig,
}

/// A proposed version was approved by someone other than its author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationApproved {
    /// The version.
    pub version: u64,
    /// Who approved it (a `servicedesk` user's stream id, or `configuratiebestand`).
    pub by: String,
    /// When.
    pub at_ms: i64,
}

/// A proposed version was rejected, with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationRejected {
    /// The version.
    pub version: u64,
    /// Who rejected it.
    pub by: String,
    /// When.
    pub at_ms: i64,
    /// Why (shown to the author; no client data).
    pub reason: String,
}

/// An approved version is in force from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationActivated {
    /// The version.
    pub version: u64,
    /// Who activated it.
    pub by: String,
    /// When.
    pub at_ms: i64,
}

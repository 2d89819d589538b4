//! The routing configuration as events: the organisation, the mailboxes (EDI accounts), the
//! record systems (Ons accounts) and the routes with their per-type settings, recorded in the
//! `configuration` stream as numbered versions. A version is proposed, reviewed by someone
//! else (four eyes), and only then activated; the version in force decides every message.
//! Pure: the daemon seals the secrets, validates and applies a version.

pub mod diff;
pub mod history;
pub mod value;

pub use diff::{differences, Difference};
pub use history::{History, Refusal, Status, VersionRecord};
pub use value::{
    ContactEntry, MailboxEntry, OrganisationEntry, RecordSystemEntry, RetryEntry, RouteEntry,
    RoutingConfig, SecretText,
};

/// The stream the configuration's versions are recorded in.
pub const CONFIGURATION_STREAM: &str = "configuration";

/// The author recorded for the version taken from the configuration file.
pub const FROM_FILE: &str = "configuratiebestand";

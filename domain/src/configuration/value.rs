//! The routing configuration as a value: the same keys as the configuration file's routing
//! sections (`[organisation]`, `[[mailboxes]]`, `[record_systems.NAME]`, `[routes.NAME]`,
//! `manual_route`), so that a version reads, validates and exports exactly like the file.
//! Secrets are [`SecretText`]: in an event always sealed with the data key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::routing::TypeSettings;

/// A secret as stored: sealed with the data key (in a recorded version always). `Debug` never
/// shows it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// The routing part of the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    /// The route for messages recorded with `ketenpost import`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_route: Option<String>,
    /// `[organisation]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrganisationEntry>,
    /// `[[mailboxes]]`: the EDI accounts and drop folders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mailboxes: Vec<MailboxEntry>,
    /// `[record_systems.NAME]`: the Ons accounts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub record_systems: BTreeMap<String, RecordSystemEntry>,
    /// `[routes.NAME]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub routes: BTreeMap<String, RouteEntry>,
}

impl RoutingConfig {
    /// Every secret in it, mutably, with its key (`mailboxes.NAME.password`).
    pub fn secrets_mut(&mut self) -> Vec<(String, &mut SecretText)> {
        self.mailboxes
            .iter_mut()
            .filter_map(|m| {
                let key = format!("mailboxes.{}.password", m.name);
                m.password.as_mut().map(|p| (key, p))
            })
            .collect()
    }

    /// The keys that hold secrets (`mailboxes.NAME.password`): a difference there shows only
    /// that it changed.
    pub fn secret_keys(&self) -> Vec<String> {
        self.mailboxes
            .iter()
            .filter(|m| m.password.is_some())
            .map(|m| format!("mailboxes.{}.password", m.name))
            .collect()
    }
}

/// `[organisation]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationEntry {
    /// Organisatienaam.
    pub name: String,
    /// Kamer van Koophandel number (checked as 8 digits when validated).
    pub kvk: String,
    /// BTW nummer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat: Option<String>,
    /// Contacts by role key (`medisch_secretariaat`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub contacts: BTreeMap<String, ContactEntry>,
}

/// `[organisation.contacts.<role>]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactEntry {
    /// Naam.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Telefoonnummer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// One `[[mailboxes]]` entry (`kind` `zorgmail`: an Enovation EDI account; `folder`: a map).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxEntry {
    /// Its name.
    pub name: String,
    /// `zorgmail` or `folder`.
    pub kind: String,
    /// ZorgMail: the mail web service URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// ZorgMail: the mailbox account (Postbus nummer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// ZorgMail: the user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// ZorgMail: the password (Access-key), sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretText>,
    /// ZorgMail: the CA to trust (a path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    /// Folder: the folder files are dropped in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How often to look, e.g. `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval: Option<String>,
    /// The largest message taken in, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_message_mib: Option<u64>,
    /// The memory the messages being taken in may hold at once, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight_mib: Option<u64>,
    /// ZorgMail: how many calls may be under way at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_requests: Option<u64>,
    /// ZorgMail: how long the service may take, e.g. `20s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// The route its messages take.
    pub route: String,
}

/// One `[record_systems.NAME]` table (a Nedap Ons account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSystemEntry {
    /// `nedap_ons`.
    pub kind: String,
    /// The API's base URL.
    pub base_url: String,
    /// The client certificate (a path).
    pub client_cert: String,
    /// The client key (a path to a file, itself sealed with `ketenpost seal`).
    pub client_key: String,
    /// The CA of the server (a path).
    pub ca_cert: String,
    /// The employee documents are placed as.
    pub employee_object_id: String,
    /// `X-Cupido-User-Name`.
    pub user_name: String,
    /// `X-Cupido-Active-Identity`.
    pub active_identity: String,
    /// How long one request may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

/// One `[routes.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteEntry {
    /// The record system's name.
    pub record_system: String,
    /// MEDVRI from these senders becomes a PDF document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medvri_pdf_senders: Vec<String>,
    /// Whether incoming PDF payloads are placed.
    #[serde(default)]
    pub place_incoming_pdf: bool,
    /// The retry budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryEntry>,
    /// Settings per message type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, TypeSettings>,
}

/// `retry = { attempts, first_delay, max_delay }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryEntry {
    /// Attempts in all.
    pub attempts: u32,
    /// e.g. `1s`.
    pub first_delay: String,
    /// e.g. `10m`.
    pub max_delay: String,
}

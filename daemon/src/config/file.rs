//! The configuration as written: a TOML file plus `KETENPOST_` environment variables, before
//! validation. Field names are the documented keys (see `deploy/ketenpost.example.toml`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use ketenpost_domain::routing::TypeSettings;
use serde::Deserialize;

use super::limits::HttpLimitsFile;
use super::secret::Secret;

/// The whole file, as far as it could be read: an entry that is `None` is there but has
/// problems (already reported), so that nothing else reports it missing.
#[derive(Debug, Default)]
pub struct ConfigFile {
    /// The data folder: event log, payloads, projections.
    pub data_dir: PathBuf,
    /// The key file that encrypts payloads at rest; default `<data_dir>/data.key`.
    pub key_file: Option<PathBuf>,
    /// `text` or `json` (JSON lines).
    pub log_format: String,
    /// How many messages are worked on at once.
    pub workers: usize,
    /// How long a stop lets the placements in hand finish, e.g. `30s`.
    pub drain_timeout: Option<String>,
    /// The route for messages recorded with `ketenpost import` (mailbox `manual`).
    pub manual_route: Option<String>,
    /// The HTTP API.
    pub api: Option<ApiFile>,
    /// The mailboxes to pull.
    pub mailboxes: Vec<Option<MailboxFile>>,
    /// The record systems, by name.
    pub record_systems: BTreeMap<String, Option<RecordSystemFile>>,
    /// The routes, by name.
    pub routes: BTreeMap<String, Option<RouteFile>>,
    /// `[portal]`, when the portal is served.
    pub portal: Option<super::portal::PortalFile>,
    /// `[smtp]`, when mails are sent.
    pub smtp: Option<super::portal::SmtpFile>,
    /// `[retention]`.
    pub retention: Option<super::retention::RetentionFile>,
    /// `[amqp]`: scale-out over RabbitMQ.
    pub amqp: Option<super::amqp::AmqpFile>,
    /// `[organisation]`.
    pub organisation: Option<super::organisation::OrganisationFile>,
    /// `[notifications]`.
    pub notifications: Option<super::notifications::NotificationsFile>,
}

/// `[api]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiFile {
    /// The address to listen on.
    pub listen: String,
    /// The bearer token.
    #[serde(default)]
    pub token: Secret,
    /// `[[api.tokens]]`: bearer tokens with a name (the access log's user).
    #[serde(default)]
    pub tokens: Vec<ApiTokenFile>,
    /// `[api.limits]`: timeouts and the connection limit.
    #[serde(default)]
    pub limits: HttpLimitsFile,
}

/// One `[[api.tokens]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenFile {
    /// The name the access log records for requests with this token.
    pub name: String,
    /// The bearer token (may be sealed with `ketenpost seal`).
    pub token: Secret,
}

/// One `[[mailboxes]]` entry; which fields are needed depends on `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxFile {
    /// The mailbox's name (recorded with every message from it).
    pub name: String,
    /// `zorgmail` or `folder`.
    pub kind: String,
    /// ZorgMail: the mail web service URL (the inline endpoint).
    pub endpoint: Option<String>,
    /// ZorgMail: the mailbox account.
    pub account_id: Option<String>,
    /// ZorgMail: the user name.
    pub username: Option<String>,
    /// ZorgMail: the password.
    pub password: Option<Secret>,
    /// ZorgMail: the CA to trust for the https endpoint instead of the system's roots (PEM).
    pub ca_cert: Option<PathBuf>,
    /// Folder: the folder files are dropped in.
    pub path: Option<PathBuf>,
    /// How often to look, e.g. `30s`.
    pub poll_interval: Option<String>,
    /// The largest message taken in, in MiB; a larger one stays where it is.
    pub max_message_mib: Option<u64>,
    /// The memory the messages being taken in may hold at once, in MiB.
    pub max_in_flight_mib: Option<u64>,
    /// ZorgMail: how many calls may be under way at once.
    pub max_concurrent_requests: Option<usize>,
    /// ZorgMail: how long the service may take to begin an answer or go silent in one, e.g. `20s`.
    pub timeout: Option<String>,
    /// The route its messages take.
    pub route: String,
}

/// One `[record_systems.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSystemFile {
    /// `nedap_ons`.
    pub kind: String,
    /// The API's base URL.
    pub base_url: String,
    /// The client certificate (PEM).
    pub client_cert: PathBuf,
    /// The client key (PEM); a secret file.
    pub client_key: PathBuf,
    /// The CA that signed the server's certificate (PEM).
    pub ca_cert: PathBuf,
    /// The employee documents are placed as.
    pub employee_object_id: String,
    /// `X-Cupido-User-Name`.
    pub user_name: String,
    /// `X-Cupido-Active-Identity`.
    pub active_identity: String,
    /// How long one request may take, e.g. `30s`.
    pub timeout: Option<String>,
}

/// One `[routes.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFile {
    /// The record system's name.
    pub record_system: String,
    /// MEDVRI from these senders becomes a PDF document.
    #[serde(default)]
    pub medvri_pdf_senders: Vec<String>,
    /// Whether incoming PDF payloads are placed.
    #[serde(default)]
    pub place_incoming_pdf: bool,
    /// The retry budget.
    pub retry: Option<RetryFile>,
    /// Settings per message type.
    #[serde(default)]
    pub types: BTreeMap<String, TypeSettings>,
}

/// `retry = { attempts, first_delay, max_delay }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryFile {
    /// Attempts in all.
    pub attempts: u32,
    /// e.g. `1s`.
    pub first_delay: String,
    /// e.g. `10m`.
    pub max_delay: String,
}

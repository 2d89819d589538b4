//! The daemon's configuration: a TOML file plus `KETENPOST_` environment variables (`__` for
//! nesting, e.g. `KETENPOST_API__TOKEN`), over embedded defaults; validated at start with
//! errors that name the key.

mod amqp;
pub mod defaults;
mod file;
mod limits;
mod mailbox;
mod notifications;
mod organisation;
mod portal;
mod read;
mod retention;
pub mod routing;
mod schema;
mod secret;
mod source;
mod unseal;
mod validate;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ketenpost_adapters::ons::OnsConfig;
use ketenpost_adapters::zorgmail::ZorgMailConfig;
use ketenpost_domain::routing::Route;

pub use amqp::AmqpSettings;
pub use ketenpost_portal::mail::SmtpSettings;
pub use limits::HttpLimits;
pub use notifications::NotificationSettings;
pub use portal::PortalSettings;
pub use retention::RetentionSettings;
pub use routing::ActiveRouting;
pub use secret::Secret;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The validated configuration.
#[derive(Debug)]
pub struct Settings {
    /// The data folder.
    pub data_dir: PathBuf,
    /// The key file.
    pub key_file: PathBuf,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// How many messages are worked on at once.
    pub workers: usize,
    /// How long a stop lets the placements in hand finish; what is still in hand then is
    /// left (recorded as far as it got) for the next start.
    pub drain_timeout: Duration,
    /// The route for the `manual` mailbox (`ketenpost import`).
    pub manual_route: Option<String>,
    /// The HTTP API.
    pub api: ApiSettings,
    /// The mailboxes.
    pub mailboxes: Vec<Mailbox>,
    /// The record systems, by name.
    pub record_systems: BTreeMap<String, OnsConfig>,
    /// The routes, by name.
    pub routes: BTreeMap<String, Route>,
    /// The portal, when `[portal]` is configured.
    pub portal: Option<PortalSettings>,
    /// The mail server, when `[smtp]` is configured.
    pub smtp: Option<SmtpSettings>,
    /// `[retention]`: how long personal data is kept.
    pub retention: RetentionSettings,
    /// Things that work but deserve attention (e.g. a plain-http endpoint).
    pub warnings: Vec<String>,
    /// `[amqp]`: work handed to `ketenpost worker` processes; `None` runs it in-process.
    pub amqp: Option<AmqpSettings>,
    /// `[organisation]`: the organisation and its contacts, when configured.
    pub organisation: Option<ketenpost_domain::organisation::Organisation>,
    /// The file's routing sections as a configuration version (secrets as written): recorded
    /// as version 1 when the log holds none, else compared with the version in force.
    pub routing_file: ketenpost_domain::configuration::RoutingConfig,
    /// `[notifications]`: how often the medical secretariat gets a digest.
    pub notifications: NotificationSettings,
}

/// The HTTP API's settings.
#[derive(Debug)]
pub struct ApiSettings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The bearer token of `[api] token` (empty when only named tokens are configured): the
    /// one the commands use to ask the running daemon.
    pub token: Secret,
    /// Every accepted bearer token with its name (`api` for `[api] token`, then
    /// `[[api.tokens]]`): the access log records the name.
    pub tokens: Vec<(String, Secret)>,
    /// What protects the API from clients that never finish or hold connections open.
    pub limits: HttpLimits,
}

/// A mailbox to pull.
#[derive(Debug, Clone)]
pub struct Mailbox {
    /// Its name.
    pub name: String,
    /// How often to look.
    pub poll_interval: Duration,
    /// The largest message taken in, in bytes: a larger one stays in the mailbox or folder,
    /// reported as a mailbox problem, so that one huge file cannot exhaust the memory.
    pub max_message_bytes: u64,
    /// The memory the messages being taken in may hold at once, in bytes (one message larger
    /// than this is taken in alone).
    pub max_in_flight_bytes: u64,
    /// The route its messages take.
    pub route: String,
    /// What it is.
    pub kind: MailboxKind,
}

/// The kinds of mailbox.
#[derive(Debug, Clone)]
pub enum MailboxKind {
    /// A ZorgMail mailbox over the mail web service.
    ZorgMail(ZorgMailConfig),
    /// A folder files are dropped in; they move to `done/` once recorded.
    Folder(PathBuf),
}

impl Settings {
    /// The route for messages from `mailbox`.
    pub fn route_for_mailbox(&self, mailbox: &str) -> Option<&Route> {
        let name = self
            .mailboxes
            .iter()
            .find(|m| m.name == mailbox)
            .map(|m| m.route.as_str())
            .or(if mailbox == "manual" {
                self.manual_route.as_deref()
            } else {
                None
            })?;
        self.routes.get(name)
    }
}

/// Why the configuration cannot be used: every problem, each naming its key.
#[derive(Debug, thiserror::Error)]
#[error("the configuration cannot be used:\n  {}", .problems.join("\n  "))]
pub struct ConfigError {
    /// The problems.
    pub problems: Vec<String>,
}

/// Loads the embedded defaults, then `path` (if given), then `KETENPOST_` environment
/// variables, and validates all of it: what `run` needs.
///
/// # Errors
/// A file that cannot be read or parsed, or settings with problems: every problem at once,
/// each naming its key.
pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
    let root = merged(path)?;
    let sections = read::routing_sections(&root, &mut Vec::new());
    let mut problems = Vec::new();
    let file = read::read(root, read::Need::All, &mut problems);
    let mut settings = validate::validate(file, problems)?;
    settings.routing_file = routing::from_sections(sections)?;
    unseal::unseal(&mut settings)?;
    if let Some(amqp) = &mut settings.amqp {
        amqp.config_version = config_version(path);
    }
    Ok(settings)
}

/// The data folder and key file a configuration names.
#[derive(Debug, Clone)]
pub struct DataPlace {
    /// The data folder.
    pub data_dir: PathBuf,
    /// The key file.
    pub key_file: PathBuf,
}

/// Loads only `data_dir` and `key_file` (for the commands that open the data folder); the
/// rest of the file is not checked.
///
/// # Errors
/// The file cannot be read or parsed, or those keys have problems.
pub fn load_data_place(path: &Path) -> Result<DataPlace, ConfigError> {
    let (file, problems) = parsed(Some(path), read::Need::Data)?;
    if !problems.is_empty() {
        return Err(ConfigError { problems });
    }
    Ok(data_place(&file))
}

/// Loads only what asking the running daemon needs: `[api]` (its token opened with the key
/// file when sealed); the rest of the file, such as certificates, is not checked.
///
/// # Errors
/// The file cannot be read or parsed, or `[api]`, `data_dir` or `key_file` have problems.
pub fn load_api(path: &Path) -> Result<ApiSettings, ConfigError> {
    let (file, mut problems) = parsed(Some(path), read::Need::Api)?;
    let place = data_place(&file);
    let api = file.api.map(|api| validate::api(api, &mut problems));
    let (Some(mut api), true) = (api, problems.is_empty()) else {
        return Err(ConfigError { problems });
    };
    api.token = unseal::open_token(&api.token, &place.key_file)?;
    for (_, token) in &mut api.tokens {
        *token = unseal::open_token(token, &place.key_file)?;
    }
    Ok(api)
}

/// Loads only the routes and reads the `place_incoming_pdf` of the route `parse` shows: the
/// `manual_route`, else the first route by name. `(route name, setting)`; the rest of the file
/// is not checked.
///
/// # Errors
/// The file cannot be read or parsed, the routes have problems, or there is no route.
pub fn load_pdf_setting(path: &Path) -> Result<(String, bool), ConfigError> {
    let (file, mut problems) = parsed(Some(path), read::Need::Routes)?;
    let name = file
        .manual_route
        .clone()
        .or_else(|| file.routes.keys().next().cloned());
    let route = name.as_ref().and_then(|n| file.routes.get(n));
    match (name, route) {
        (Some(name), Some(Some(route))) if problems.is_empty() => {
            Ok((name, route.place_incoming_pdf))
        }
        (Some(name), None) => {
            problems.push(format!(
                "manual_route names {name:?}, but there is no [routes.{name}]"
            ));
            Err(ConfigError { problems })
        }
        (None, _) => {
            problems.push("no [routes.NAME] is configured".to_owned());
            Err(ConfigError { problems })
        }
        _ => Err(ConfigError { problems }),
    }
}

/// What the `user` commands need: the data folder, `[portal]` (for the links' base) and
/// `[smtp]` (its password opened with the key file when sealed).
#[derive(Debug)]
pub struct PeopleSettings {
    /// The data folder and key file.
    pub place: DataPlace,
    /// `[portal]`, if configured.
    pub portal: Option<PortalSettings>,
    /// `[smtp]`, if configured.
    pub smtp: Option<SmtpSettings>,
}

/// Loads only what the `user` commands need; the rest of the file is not checked.
///
/// # Errors
/// The file cannot be read or parsed, or those sections have problems.
pub fn load_people(path: &Path) -> Result<PeopleSettings, ConfigError> {
    let (file, mut problems) = parsed(Some(path), read::Need::People)?;
    let place = data_place(&file);
    let portal = file.portal.map(|file| portal::portal(file, &mut problems));
    let smtp = file.smtp.map(|file| portal::smtp(file, &mut problems));
    if !problems.is_empty() {
        return Err(ConfigError { problems });
    }
    let smtp = match smtp {
        Some(smtp) => Some(unseal::open_smtp(smtp, &place.key_file)?),
        None => None,
    };
    Ok(PeopleSettings {
        place,
        portal,
        smtp,
    })
}

/// Reads `[retention]` (and the data folder) from a configuration file, for `ketenpost retention`.
///
/// # Errors
/// The file cannot be read, or a duration in it cannot be.
pub fn load_retention(path: &Path) -> Result<RetentionSettings, ConfigError> {
    let (file, mut problems) = parsed(Some(path), read::Need::Retention)?;
    let settings = retention::validate(file.retention, &mut problems);
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(ConfigError { problems })
    }
}

fn data_place(file: &file::ConfigFile) -> DataPlace {
    DataPlace {
        data_dir: file.data_dir.clone(),
        key_file: file
            .key_file
            .clone()
            .unwrap_or_else(|| defaults::key_file(&file.data_dir)),
    }
}

/// The merged configuration read into its typed form, with the problems found on the way.
fn parsed(
    path: Option<&Path>,
    need: read::Need,
) -> Result<(file::ConfigFile, Vec<String>), ConfigError> {
    let root = merged(path)?;
    let mut problems = Vec::new();
    let file = read::read(root, need, &mut problems);
    Ok((file, problems))
}

/// The defaults, the file and the environment merged.
fn merged(path: Option<&Path>) -> Result<serde_json::Map<String, serde_json::Value>, ConfigError> {
    source::merged(&defaults::toml(), path, &read::top_level_names()).map_err(|problem| {
        ConfigError {
            problems: vec![problem],
        }
    })
}

/// The configuration version: the first 16 hex digits of the SHA-256 of the file as written
/// (`none` without a file). The owner names it in every work item; a worker acts only on
/// items of its own version.
fn config_version(path: Option<&Path>) -> String {
    use sha2::{Digest, Sha256};
    let Some(bytes) = path.and_then(|p| std::fs::read(p).ok()) else {
        return "none".to_owned();
    };
    let digest = Sha256::digest(&bytes);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

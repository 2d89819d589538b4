//! Reading the merged configuration (defaults, file, environment) into the typed structs of
//! `file.rs`: every key is checked against the shape below first, and an entry with problems
//! is kept as `None`, so that it is reported once and never again as "not configured".

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::defaults;
use super::file::ConfigFile;
use super::schema::{self, optional, required, Key, Kind};

/// Which parts of the configuration a command uses, and so checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The data folder and key file (commands that open the data folder).
    Data,
    /// The data folder, key file and `[api]` (commands that ask the running daemon).
    Api,
    /// `manual_route` and `[routes]` (`parse`, for the route's `place_incoming_pdf`).
    Routes,
    /// The data folder, key file, `[portal]` and `[smtp]` (the `user` commands).
    People,
    /// The data folder, key file and `[retention]` (`retention`).
    Retention,
    /// The routing sections: `manual_route`, `[organisation]`, `[[mailboxes]]`,
    /// `[record_systems]` and `[routes]` (a configuration version).
    Routing,
    /// Everything (`run`).
    All,
}

const LIMITS: &[Key] = &[
    optional("header_timeout", Kind::Text),
    optional("request_timeout", Kind::Text),
    optional("max_connections", Kind::Number(1)),
    optional("shutdown_grace", Kind::Text),
];

const API_TOKEN: &[Key] = &[
    required("name", Kind::Text),
    required("token", Kind::Secret),
];

const API: &[Key] = &[
    required("listen", Kind::Text),
    optional("token", Kind::Secret),
    optional("tokens", Kind::List(API_TOKEN)),
    optional("limits", Kind::Table(LIMITS)),
];

const MAILBOX: &[Key] = &[
    required("name", Kind::Text),
    required("kind", Kind::OneOf(&["zorgmail", "folder"])),
    optional("endpoint", Kind::Text),
    optional("account_id", Kind::Text),
    optional("username", Kind::Text),
    optional("password", Kind::Secret),
    optional("ca_cert", Kind::Text),
    optional("path", Kind::Text),
    optional("poll_interval", Kind::Text),
    optional("max_message_mib", Kind::Number(1)),
    optional("max_in_flight_mib", Kind::Number(1)),
    optional("max_concurrent_requests", Kind::Number(1)),
    optional("timeout", Kind::Text),
    required("route", Kind::Text),
];

const RECORD_SYSTEM: &[Key] = &[
    required("kind", Kind::OneOf(&["nedap_ons"])),
    required("base_url", Kind::Text),
    required("client_cert", Kind::Text),
    required("client_key", Kind::Text),
    required("ca_cert", Kind::Text),
    required("employee_object_id", Kind::Text),
    required("user_name", Kind::Text),
    required("active_identity", Kind::Text),
    optional("timeout", Kind::Text),
];

const RETRY: &[Key] = &[
    required("attempts", Kind::Number(1)),
    required("first_delay", Kind::Text),
    required("max_delay", Kind::Text),
];

const TYPE: &[Key] = &[
    optional("labels", Kind::TextList),
    optional("actions", Kind::TextList),
    optional(
        "right_selection",
        Kind::OneOf(&["Me", "Group", "Education", "Nobody", "All"]),
    ),
    optional("expertise_groups", Kind::TextList),
    optional("expertise_profiles", Kind::TextList),
];

const ROUTE: &[Key] = &[
    required("record_system", Kind::Text),
    optional("medvri_pdf_senders", Kind::TextList),
    optional("place_incoming_pdf", Kind::Bool),
    optional("retry", Kind::Table(RETRY)),
    optional("types", Kind::Named(TYPE)),
];

/// The keys of the top level.
const TOP: &[Key] = &[
    required("data_dir", Kind::Text),
    optional("key_file", Kind::Text),
    optional("log_format", Kind::OneOf(&["text", "json"])),
    optional("workers", Kind::Number(1)),
    optional("drain_timeout", Kind::Text),
    optional("manual_route", Kind::Text),
    required("api", Kind::Table(API)),
    optional("mailboxes", Kind::List(MAILBOX)),
    optional("record_systems", Kind::Named(RECORD_SYSTEM)),
    optional("routes", Kind::Named(ROUTE)),
    optional("portal", Kind::Table(super::portal::PORTAL)),
    optional("smtp", Kind::Table(super::portal::SMTP)),
    optional("retention", Kind::Table(super::retention::KEYS)),
    optional("amqp", Kind::Table(super::amqp::KEYS)),
    optional("organisation", Kind::Table(super::organisation::KEYS)),
    optional("notifications", Kind::Table(super::notifications::KEYS)),
];

/// The top-level keys of the routing sections: what a configuration version holds.
pub const ROUTING: &[&str] = &[
    "manual_route",
    "organisation",
    "mailboxes",
    "record_systems",
    "routes",
];

/// Checks the routing sections of `root` against their shape (turning text from the
/// environment into numbers where wanted) and returns them; a problem is added to `problems`.
pub fn routing_sections(
    root: &Map<String, Value>,
    problems: &mut Vec<String>,
) -> Map<String, Value> {
    let mut sections = Map::new();
    for key in TOP.iter().filter(|k| ROUTING.contains(&k.name)) {
        if let Some(value) = root.get(key.name) {
            let mut value = value.clone();
            schema::check(key.name, &mut value, key.kind, problems);
            sections.insert(key.name.to_owned(), value);
        }
    }
    sections
}

/// The names of the top-level keys.
pub fn top_level_names() -> Vec<&'static str> {
    TOP.iter().map(|k| k.name).collect()
}

/// Reads what `need` asks for from `root`, adding every problem to `problems`.
pub fn read(mut root: Map<String, Value>, need: Need, problems: &mut Vec<String>) -> ConfigFile {
    let wanted: &[&str] = match need {
        Need::Data => &["data_dir", "key_file"],
        Need::Api => &["data_dir", "key_file", "api"],
        Need::Routes => &["manual_route", "routes"],
        Need::People => &["data_dir", "key_file", "portal", "smtp"],
        Need::Retention => &["data_dir", "key_file", "retention"],
        Need::Routing => ROUTING,
        Need::All => &[],
    };
    if need == Need::All {
        schema::refuse_unknown("", &root, TOP, problems);
    } else {
        root.retain(|name, _| wanted.contains(&name.as_str()));
    }
    let mut file = ConfigFile {
        log_format: defaults::LOG_FORMAT.to_owned(),
        workers: defaults::WORKERS,
        ..ConfigFile::default()
    };
    for key in TOP
        .iter()
        .filter(|k| need == Need::All || wanted.contains(&k.name))
    {
        let Some(mut value) = root.remove(key.name) else {
            if key.required {
                problems.push(schema::missing(key.name, key.kind));
            }
            continue;
        };
        match (key.name, key.kind) {
            ("mailboxes", Kind::List(keys)) => match value {
                Value::Array(items) => {
                    file.mailboxes = items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| entry(&format!("mailboxes[{i}]"), item, keys, problems))
                        .collect();
                }
                mut other => {
                    schema::check("mailboxes", &mut other, key.kind, problems);
                }
            },
            (name @ ("record_systems" | "routes"), Kind::Named(keys)) => match value {
                Value::Object(tables) => {
                    for (entry_name, table) in tables {
                        let key = format!("{name}.{entry_name}");
                        if name == "routes" {
                            let route = entry(&key, table, keys, problems);
                            file.routes.insert(entry_name, route);
                        } else {
                            let system = entry(&key, table, keys, problems);
                            file.record_systems.insert(entry_name, system);
                        }
                    }
                }
                mut other => {
                    schema::check(name, &mut other, key.kind, problems);
                }
            },
            (name, kind) => {
                if !schema::check(name, &mut value, kind, problems) {
                    continue;
                }
                let read = match name {
                    "data_dir" => typed(value).map(|v| file.data_dir = v),
                    "key_file" => typed(value).map(|v| file.key_file = Some(v)),
                    "log_format" => typed(value).map(|v| file.log_format = v),
                    "workers" => typed(value).map(|v| file.workers = v),
                    "drain_timeout" => typed(value).map(|v| file.drain_timeout = Some(v)),
                    "manual_route" => typed(value).map(|v| file.manual_route = Some(v)),
                    "api" => typed(value).map(|v| file.api = Some(v)),
                    "portal" => typed(value).map(|v| file.portal = Some(v)),
                    "smtp" => typed(value).map(|v| file.smtp = Some(v)),
                    "retention" => typed(value).map(|v| file.retention = Some(v)),
                    "amqp" => typed(value).map(|v| file.amqp = Some(v)),
                    "organisation" => typed(value).map(|v| file.organisation = Some(v)),
                    "notifications" => typed(value).map(|v| file.notifications = Some(v)),
                    _ => Ok(()),
                };
                if let Err(e) = read {
                    problems.push(format!("{name} cannot be read: {e}"));
                }
            }
        }
    }
    file
}

/// One `[[mailboxes]]` entry or named table: `Some` when it has no problems.
fn entry<T: DeserializeOwned>(
    key: &str,
    mut value: Value,
    keys: &'static [Key],
    problems: &mut Vec<String>,
) -> Option<T> {
    if !schema::check(key, &mut value, Kind::Table(keys), problems) {
        return None;
    }
    let typed = typed(value);
    if let Err(e) = &typed {
        problems.push(format!("{key} cannot be read: {e}"));
    }
    typed.ok()
}

/// A value that passed its check, as its type (which cannot fail but is not assumed).
fn typed<T: DeserializeOwned>(value: Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(value)
}

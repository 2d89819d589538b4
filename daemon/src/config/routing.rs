//! The routing configuration as a value that has versions (see
//! `ketenpost_domain::configuration`): read from the file's routing sections, checked by the
//! same rules as the start-up configuration, its secrets sealed with the data key for the
//! event and opened for use.

use std::collections::BTreeMap;
use std::path::Path;

use ketenpost_adapters::ons::OnsConfig;
use ketenpost_adapters::sealed::{is_sealed, open, seal};
use ketenpost_domain::configuration::{RoutingConfig, SecretText};
use ketenpost_domain::organisation::Organisation;
use ketenpost_domain::routing::Route;
use serde_json::Value;

use super::{read, validate, ConfigError, Mailbox, MailboxKind};

/// The routing settings of one version, checked and with their secrets opened: what decides
/// messages while it is in force.
#[derive(Debug, Clone, Default)]
pub struct ActiveRouting {
    /// The version (0 before the log holds one).
    pub version: u64,
    /// The mailboxes.
    pub mailboxes: Vec<Mailbox>,
    /// The record systems, by name.
    pub record_systems: BTreeMap<String, OnsConfig>,
    /// The routes, by name.
    pub routes: BTreeMap<String, Route>,
    /// The route for the `manual` mailbox (`ketenpost import`).
    pub manual_route: Option<String>,
    /// `[organisation]`.
    pub organisation: Option<Organisation>,
    /// The version as recorded (secrets sealed): what a change is made from, and what tells
    /// whether a mailbox changed.
    pub source: RoutingConfig,
}

impl ActiveRouting {
    /// The medical secretariat's address, told when messages wait: the contact
    /// `[organisation.contacts.medisch_secretariaat]` of the version in force.
    pub fn secretariat_address(&self) -> Option<String> {
        use ketenpost_domain::organisation::ContactRole;
        self.organisation
            .as_ref()?
            .contact(ContactRole::MedischSecretariaat)
            .map(|c| c.email.clone())
    }

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

/// Checks `routing` by the rules of the start-up configuration and opens its sealed secrets
/// with `key`: the settings it gives, or every problem, each naming its key.
///
/// # Errors
/// The problems found.
pub fn check(
    routing: &RoutingConfig,
    key: Option<&[u8; 32]>,
) -> Result<ActiveRouting, ConfigError> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let root = match serde_json::to_value(routing) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(ConfigError {
                problems: vec!["the configuration version cannot be read".to_owned()],
            })
        }
    };
    let mut file = read::read(root, read::Need::Routing, &mut problems);
    let parts = validate::routing(&mut file, &mut problems, &mut warnings);
    let organisation = file
        .organisation
        .and_then(|file| super::organisation::validate(file, &mut problems));
    let mut active = ActiveRouting {
        version: 0,
        mailboxes: parts.mailboxes,
        record_systems: parts.record_systems,
        routes: parts.routes,
        manual_route: file.manual_route,
        organisation,
        source: routing.clone(),
    };
    open_active(&mut active, key, &mut problems);
    if problems.is_empty() {
        Ok(active)
    } else {
        Err(ConfigError { problems })
    }
}

/// Opens the sealed mailbox passwords and marks sealed client-key files for opening.
fn open_active(active: &mut ActiveRouting, key: Option<&[u8; 32]>, problems: &mut Vec<String>) {
    for mailbox in &mut active.mailboxes {
        if let MailboxKind::ZorgMail(z) = &mut mailbox.kind {
            if is_sealed(&z.password) {
                match key.map(|key| open(key, &z.password).map(String::from_utf8)) {
                    Some(Ok(Ok(plain))) => z.password = plain,
                    _ => problems.push(format!(
                        "mailboxes.{}.password: the sealed value does not open with the data key",
                        mailbox.name
                    )),
                }
            }
        }
    }
    for ons in active.record_systems.values_mut() {
        let sealed = std::fs::read(&ons.client_key)
            .is_ok_and(|bytes| is_sealed(&String::from_utf8_lossy(&bytes)));
        if sealed {
            ons.data_key = key.copied();
        }
    }
}

/// The routing sections of the merged configuration as a value (secrets as written).
///
/// # Errors
/// They do not fit (only when they also have problems the start reports).
pub fn from_sections(
    sections: serde_json::Map<String, Value>,
) -> Result<RoutingConfig, ConfigError> {
    serde_json::from_value(Value::Object(sections)).map_err(|e| ConfigError {
        problems: vec![format!("the routing sections cannot be read: {e}")],
    })
}

/// Seals every secret of `routing` that is not sealed yet: what an event holds.
///
/// # Errors
/// Sealing failed.
pub fn seal_secrets(routing: &mut RoutingConfig, key: &[u8; 32]) -> Result<(), ConfigError> {
    for (name, secret) in routing.secrets_mut() {
        if !is_sealed(&secret.0) {
            let sealed = seal(key, secret.0.as_bytes()).map_err(|_| ConfigError {
                problems: vec![format!("{name}: could not be sealed")],
            })?;
            *secret = SecretText(sealed);
        }
    }
    Ok(())
}

/// `routing` with its secrets opened, to compare two versions (never to show).
pub fn opened(routing: &RoutingConfig, key: &[u8; 32]) -> RoutingConfig {
    let mut routing = routing.clone();
    for (_, secret) in routing.secrets_mut() {
        if is_sealed(&secret.0) {
            if let Ok(Ok(plain)) = open(key, &secret.0).map(String::from_utf8) {
                *secret = SecretText(plain);
            }
        }
    }
    routing
}

/// `routing` as TOML, its secrets sealed (for `ketenpost config export`).
///
/// # Errors
/// It cannot be written as TOML.
pub fn to_toml(routing: &RoutingConfig) -> Result<String, String> {
    toml::to_string_pretty(routing).map_err(|e| e.to_string())
}

/// The data key in `key_file`, which must exist (a worker's: the daemon makes it).
///
/// # Errors
/// It cannot be read.
pub fn existing_data_key(key_file: &Path) -> Result<[u8; 32], ConfigError> {
    ketenpost_adapters::event_log::load_key(key_file).map_err(|e| ConfigError {
        problems: vec![format!("key_file: {e}")],
    })
}

/// The data key in `key_file`.
///
/// # Errors
/// It cannot be read.
pub fn data_key(key_file: &Path) -> Result<[u8; 32], ConfigError> {
    ketenpost_adapters::event_log::load_or_create_key(key_file).map_err(|e| ConfigError {
        problems: vec![format!("key_file: {e}")],
    })
}

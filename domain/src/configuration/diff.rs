//! The difference between two versions, key by key (`routes.ons.types.MEDLAB.labels`), as the
//! start-up warning, the review queue and the pages show it. A secret's difference shows only
//! that it changed.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::RoutingConfig;

/// One key that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The dotted key, mailboxes by name: `mailboxes.lab.poll_interval`.
    pub key: String,
    /// The value before, as text (`None`: not set); `gewijzigd` for a secret.
    pub before: Option<String>,
    /// The value after, as text (`None`: removed); `gewijzigd` for a secret.
    pub after: Option<String>,
}

/// Shown instead of a secret's value.
pub const CHANGED: &str = "gewijzigd";

/// Every key whose value differs between `before` and `after`, in key order. Secrets must be
/// compared opened (sealed values differ each time): the caller passes them opened or
/// identical, and their values are never put in the result.
pub fn differences(before: &RoutingConfig, after: &RoutingConfig) -> Vec<Difference> {
    let mut secret_keys = before.secret_keys();
    secret_keys.extend(after.secret_keys());
    let old = flatten(before);
    let new = flatten(after);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| old.get(*key) != new.get(*key))
        .map(|key| {
            let secret = secret_keys.contains(key);
            let shown = |value: Option<&String>| {
                value.map(|v| {
                    if secret {
                        CHANGED.to_owned()
                    } else {
                        v.clone()
                    }
                })
            };
            Difference {
                key: key.clone(),
                before: shown(old.get(key)),
                after: shown(new.get(key)),
            }
        })
        .collect()
}

/// The leaves of `config` by dotted key; lists of text are one leaf.
fn flatten(config: &RoutingConfig) -> BTreeMap<String, String> {
    let mut leaves = BTreeMap::new();
    if let Ok(value) = serde_json::to_value(config) {
        walk("", &value, &mut leaves);
    }
    leaves
}

fn walk(prefix: &str, value: &Value, leaves: &mut BTreeMap<String, String>) {
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        }
    };
    match value {
        Value::Object(map) => {
            for (name, inner) in map {
                walk(&join(name), inner, leaves);
            }
        }
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            for (index, item) in items.iter().enumerate() {
                let name = item
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| index.to_string(), str::to_owned);
                walk(&join(&name), item, leaves);
            }
        }
        Value::Array(items) => {
            let texts: Vec<String> = items.iter().map(text).collect();
            leaves.insert(prefix.to_owned(), texts.join(", "));
        }
        Value::Null => {}
        other => {
            leaves.insert(prefix.to_owned(), text(other));
        }
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configuration::{MailboxEntry, RouteEntry, SecretText};
    use crate::routing::{RightSelection, TypeSettings};

    fn config() -> RoutingConfig {
        let mut config = RoutingConfig::default();
        config.mailboxes.push(MailboxEntry {
            name: "lab".into(),
            kind: "zorgmail".into(),
            endpoint: Some("https://zm.example/ws".into()),
            account_id: Some("1234".into()),
            username: Some("u".into()),
            password: Some(SecretText("hunter2-secret".into())),
            ca_cert: None,
            path: None,
            poll_interval: None,
            max_message_mib: None,
            max_in_flight_mib: None,
            max_concurrent_requests: None,
            timeout: None,
            route: "ons".into(),
        });
        config.routes.insert(
            "ons".into(),
            RouteEntry {
                record_system: "ons".into(),
                medvri_pdf_senders: vec![],
                place_incoming_pdf: false,
                retry: None,
                types: [(
                    "MEDLAB".to_owned(),
                    TypeSettings {
                        labels: vec!["lab".into()],
                        actions: vec![],
                        right_selection: Some(RightSelection::Me),
                        expertise_groups: vec![],
                        expertise_profiles: vec![],
                    },
                )]
                .into(),
            },
        );
        config
    }

    #[test]
    fn a_changed_label_is_named_by_its_key_with_both_values() {
        let before = config();
        let mut after = config();
        after
            .routes
            .get_mut("ons")
            .unwrap()
            .types
            .get_mut("MEDLAB")
            .unwrap()
            .labels
            .push("uitslag".into());
        let found = differences(&before, &after);
        assert_eq!(
            found,
            [Difference {
                key: "routes.ons.types.MEDLAB.labels".into(),
                before: Some("lab".into()),
                after: Some("lab, uitslag".into()),
            }]
        );
    }

    #[test]
    fn a_changed_secret_shows_only_that_it_changed() {
        let before = config();
        let mut after = config();
        after.mailboxes[0].password = Some(SecretText("other-secret".into()));
        let found = differences(&before, &after);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "mailboxes.lab.password");
        assert_eq!(found[0].after.as_deref(), Some(CHANGED));
        assert!(!format!("{found:?}").contains("secret"), "{found:?}");
    }

    #[test]
    fn equal_versions_have_no_differences() {
        assert!(differences(&config(), &config()).is_empty());
    }
}

//! Turning the configuration as written into settings the daemon can use, collecting every
//! problem with the key it is about.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ketenpost_adapters::ons::OnsConfig;
use ketenpost_domain::routing::{RetryPolicy, Route};

use super::defaults;
use super::file::{ApiFile, ConfigFile, RecordSystemFile, RouteFile};
use super::{ApiSettings, ConfigError, LogFormat, Settings};

/// Validates the whole configuration; `problems` holds those found while reading it. An entry
/// read as `None` has problems already reported: it counts as configured, so that nothing that
/// refers to it is reported again.
pub fn validate(mut raw: ConfigFile, mut problems: Vec<String>) -> Result<Settings, ConfigError> {
    let mut warnings = Vec::new();

    let log_format = match raw.log_format.as_str() {
        "json" => LogFormat::Json,
        _ => LogFormat::Text,
    };
    let api = raw.api.map(|file| api(file, &mut problems));
    let amqp = raw
        .amqp
        .map(|file| super::amqp::validate(file, &mut problems));
    let drain_timeout = drain_timeout(raw.drain_timeout.as_deref(), &mut problems);
    let portal = raw
        .portal
        .map(|file| super::portal::portal(file, &mut problems));
    let smtp = raw
        .smtp
        .map(|file| super::portal::smtp(file, &mut problems));

    let Routing {
        mailboxes,
        record_systems,
        routes,
    } = routing(
        &mut ConfigFile {
            mailboxes: std::mem::take(&mut raw.mailboxes),
            record_systems: std::mem::take(&mut raw.record_systems),
            routes: std::mem::take(&mut raw.routes),
            manual_route: raw.manual_route.clone(),
            ..ConfigFile::default()
        },
        &mut problems,
        &mut warnings,
    );

    if mailboxes.is_empty() && problems.is_empty() {
        warnings.push("no [[mailboxes]] is configured: nothing will be pulled".to_owned());
    }
    let retention = super::retention::validate(raw.retention, &mut problems);
    let organisation = raw
        .organisation
        .and_then(|file| super::organisation::validate(file, &mut problems));
    let notifications = super::notifications::validate(raw.notifications, &mut problems);
    let (Some(api), true) = (api, problems.is_empty()) else {
        return Err(ConfigError { problems });
    };
    let key_file = raw
        .key_file
        .unwrap_or_else(|| defaults::key_file(&raw.data_dir));
    Ok(Settings {
        data_dir: raw.data_dir,
        key_file,
        log_format,
        workers: raw.workers,
        drain_timeout,
        manual_route: raw.manual_route,
        api,
        mailboxes,
        record_systems,
        routes,
        portal,
        smtp,
        retention,
        warnings,
        amqp,
        organisation,
        notifications,
        routing_file: Default::default(),
    })
}

/// The routing sections, validated: what a configuration version decides.
pub struct Routing {
    /// The mailboxes.
    pub mailboxes: Vec<super::Mailbox>,
    /// The record systems, by name.
    pub record_systems: BTreeMap<String, OnsConfig>,
    /// The routes, by name.
    pub routes: BTreeMap<String, Route>,
}

/// Validates the routing sections of `raw` (`[[mailboxes]]`, `[record_systems]`, `[routes]`
/// and `manual_route`; `[organisation]` separately), taking them out of it.
pub fn routing(
    raw: &mut ConfigFile,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Routing {
    let system_names: BTreeSet<String> = raw.record_systems.keys().cloned().collect();
    let route_names: BTreeSet<String> = raw.routes.keys().cloned().collect();
    let record_systems: BTreeMap<String, OnsConfig> = std::mem::take(&mut raw.record_systems)
        .into_iter()
        .filter_map(|(name, file)| {
            let file = file?;
            record_system(&name, file, problems, warnings).map(|c| (name, c))
        })
        .collect();

    let routes: BTreeMap<String, Route> = std::mem::take(&mut raw.routes)
        .into_iter()
        .filter_map(|(name, file)| {
            let file = file?;
            if !system_names.contains(&file.record_system) {
                problems.push(format!(
                    "routes.{name}.record_system = {:?}: no [record_systems.{}] is configured",
                    file.record_system, file.record_system
                ));
            }
            route(&name, file, problems)
        })
        .map(|r| (r.name.clone(), r))
        .collect();

    let mut names = BTreeSet::new();
    let mailboxes: Vec<super::Mailbox> = std::mem::take(&mut raw.mailboxes)
        .into_iter()
        .enumerate()
        .filter_map(|(index, file)| {
            let file = file?;
            let key = format!("mailboxes[{index}]");
            if file.name.trim().is_empty() || file.name == "manual" {
                problems.push(format!(
                    "{key}.name must be set and must not be \"manual\" (used by ketenpost import)"
                ));
            } else if !names.insert(file.name.clone()) {
                problems.push(format!("{key}.name = {:?} is used twice", file.name));
            }
            if !route_names.contains(&file.route) {
                problems.push(format!(
                    "{key}.route = {:?}: no [routes.{}] is configured",
                    file.route, file.route
                ));
            }
            super::mailbox::mailbox(&key, file, problems, warnings)
        })
        .collect();

    if let Some(manual) = &raw.manual_route {
        if !route_names.contains(manual) {
            problems.push(format!(
                "manual_route = {manual:?}: no [routes.{manual}] is configured"
            ));
        }
    }

    Routing {
        mailboxes,
        record_systems,
        routes,
    }
}

/// Validates `drain_timeout` (zero is allowed: a stop then leaves the work in hand at once).
fn drain_timeout(text: Option<&str>, problems: &mut Vec<String>) -> Duration {
    let Some(text) = text else {
        return defaults::DRAIN_TIMEOUT;
    };
    humantime::parse_duration(text).unwrap_or_else(|e| {
        problems.push(format!(
            "drain_timeout = {text:?} is not a duration like \"30s\": {e}"
        ));
        defaults::DRAIN_TIMEOUT
    })
}

/// Validates `[api]`.
pub fn api(file: ApiFile, problems: &mut Vec<String>) -> ApiSettings {
    let listen = file.listen.parse().unwrap_or_else(|_| {
        problems.push(format!(
            "api.listen = {:?}: use an address like \"127.0.0.1:8080\"",
            file.listen
        ));
        // Never used: the problem stops the start.
        std::net::SocketAddr::from(([127, 0, 0, 1], 0))
    });
    if file.token.is_empty() && file.tokens.is_empty() {
        problems.push(
            "api.token is missing: the API needs a bearer token (a long random string), or \
             name tokens with [[api.tokens]] name and token"
                .to_owned(),
        );
    } else if !file.token.is_empty() && file.token.expose().len() < 16 {
        problems
            .push("api.token is shorter than 16 characters: use a long random string".to_owned());
    }
    let mut names = std::collections::BTreeSet::new();
    for (index, entry) in file.tokens.iter().enumerate() {
        let name = entry.name.trim();
        if name.is_empty() || name.len() > 64 || name.contains(char::is_whitespace) {
            problems.push(format!(
                "api.tokens[{index}].name = {:?}: use a short name without spaces, e.g. \"monitoring\"",
                entry.name
            ));
        } else if !names.insert(name.to_owned()) || (name == "api" && !file.token.is_empty()) {
            problems.push(format!(
                "api.tokens[{index}].name = {name:?} is used twice (api.token is named \"api\")"
            ));
        }
        if entry.token.expose().len() < 16 {
            problems.push(format!(
                "api.tokens[{index}].token is shorter than 16 characters: use a long random string"
            ));
        }
    }
    let mut tokens: Vec<(String, crate::config::Secret)> = Vec::new();
    if !file.token.is_empty() {
        tokens.push(("api".to_owned(), file.token.clone()));
    }
    tokens.extend(
        file.tokens
            .into_iter()
            .map(|t| (t.name.trim().to_owned(), t.token)),
    );
    let limits = super::limits::validate("api", file.limits, problems);
    ApiSettings {
        listen,
        token: file.token,
        tokens,
        limits,
    }
}

/// A duration like `30s` or `10m`.
pub(super) fn duration(key: &str, text: &str, problems: &mut Vec<String>) -> Option<Duration> {
    match humantime::parse_duration(text) {
        Ok(d) if !d.is_zero() => Some(d),
        Ok(_) => {
            problems.push(format!("{key} must be longer than 0"));
            None
        }
        Err(e) => {
            problems.push(format!(
                "{key} = {text:?} is not a duration like \"30s\": {e}"
            ));
            None
        }
    }
}

fn record_system(
    name: &str,
    file: RecordSystemFile,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Option<OnsConfig> {
    let key = format!("record_systems.{name}");
    if file.kind != "nedap_ons" {
        problems.push(format!("{key}.kind = {:?}: use \"nedap_ons\"", file.kind));
        return None;
    }
    let before = problems.len();
    for (field, path) in [
        ("client_cert", &file.client_cert),
        ("client_key", &file.client_key),
        ("ca_cert", &file.ca_cert),
    ] {
        if !path.is_file() {
            problems.push(format!("{key}.{field} = {}: no such file", path.display()));
        }
    }
    for (field, value) in [
        ("employee_object_id", &file.employee_object_id),
        ("user_name", &file.user_name),
        ("active_identity", &file.active_identity),
    ] {
        if value.trim().is_empty() {
            problems.push(format!("{key}.{field} is empty"));
        }
    }
    if !file.base_url.starts_with("https://") {
        problems.push(format!(
            "{key}.base_url = {:?}: the record system is reached over https with mutual TLS",
            file.base_url
        ));
    }
    let timeout = match &file.timeout {
        Some(text) => duration(&format!("{key}.timeout"), text, problems),
        None => Some(defaults::RECORD_SYSTEM_TIMEOUT),
    };
    let _ = warnings;
    if problems.len() > before {
        return None;
    }
    Some(OnsConfig {
        base_url: file.base_url.trim_end_matches('/').to_owned(),
        client_cert: file.client_cert,
        client_key: file.client_key,
        ca_cert: file.ca_cert,
        employee_object_id: file.employee_object_id,
        user_name: file.user_name,
        active_identity: file.active_identity,
        timeout: timeout?,
        data_key: None,
    })
}

fn route(name: &str, file: RouteFile, problems: &mut Vec<String>) -> Option<Route> {
    let key = format!("routes.{name}");
    let retry = match &file.retry {
        Some(retry) => RetryPolicy {
            attempts: retry.attempts,
            first_delay: duration(
                &format!("{key}.retry.first_delay"),
                &retry.first_delay,
                problems,
            )?,
            max_delay: duration(
                &format!("{key}.retry.max_delay"),
                &retry.max_delay,
                problems,
            )?,
        },
        None => RetryPolicy {
            attempts: defaults::RETRY_ATTEMPTS,
            first_delay: defaults::RETRY_FIRST_DELAY,
            max_delay: defaults::RETRY_MAX_DELAY,
        },
    };
    let route = Route {
        name: name.to_owned(),
        record_system: file.record_system,
        medvri_pdf_senders: file.medvri_pdf_senders,
        place_incoming_pdf: file.place_incoming_pdf,
        retry,
        types: file.types,
    };
    let found = route.problems();
    if !found.is_empty() {
        problems.extend(found.iter().map(ToString::to_string));
        return None;
    }
    if route.types.is_empty() {
        problems.push(format!(
            "{key}.types is empty: configure [{key}.types.MEDVRI] and/or [{key}.types.MEDLAB]"
        ));
        return None;
    }
    Some(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drain_timeout_defaults_to_30_s_and_a_bad_one_is_named_with_its_key() {
        let mut problems = Vec::new();
        assert_eq!(drain_timeout(None, &mut problems), Duration::from_secs(30));
        assert_eq!(
            drain_timeout(Some("2s"), &mut problems),
            Duration::from_secs(2)
        );
        assert!(problems.is_empty());
        drain_timeout(Some("soon"), &mut problems);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("drain_timeout = \"soon\" is not a duration"),
            "{problems:?}"
        );
    }
}

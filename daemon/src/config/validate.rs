//! Turning the configuration as written into settings the daemon can use, collecting every
//! problem with the key it is about.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ketenpost_adapters::ons::OnsConfig;
use ketenpost_adapters::zorgmail::ZorgMailConfig;
use ketenpost_domain::routing::{RetryPolicy, Route};

use super::file::{ConfigFile, MailboxFile, RecordSystemFile, RouteFile};
use super::{ApiSettings, ConfigError, LogFormat, Mailbox, MailboxKind, Settings};

/// Validates the whole configuration.
pub fn validate(raw: ConfigFile) -> Result<Settings, ConfigError> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();

    let log_format = match raw.log_format.as_str() {
        "text" => LogFormat::Text,
        "json" => LogFormat::Json,
        other => {
            problems.push(format!("log_format = {other:?}: use \"text\" or \"json\""));
            LogFormat::Text
        }
    };
    if raw.workers == 0 {
        problems.push("workers must be at least 1".to_owned());
    }
    let listen = raw.api.listen.parse().unwrap_or_else(|_| {
        problems.push(format!(
            "api.listen = {:?} is not an address like 127.0.0.1:8080",
            raw.api.listen
        ));
        std::net::SocketAddr::from(([127, 0, 0, 1], 8080))
    });
    if raw.api.token.is_empty() {
        problems.push(
            "api.token is missing: the API needs a bearer token (a long random string)".to_owned(),
        );
    } else if raw.api.token.expose().len() < 16 {
        problems.push("api.token is shorter than 16 characters".to_owned());
    }
    let api_limits = super::limits::validate("api", raw.api.limits, &mut problems);

    let record_systems: BTreeMap<String, OnsConfig> = raw
        .record_systems
        .into_iter()
        .filter_map(|(name, file)| {
            record_system(&name, file, &mut problems, &mut warnings).map(|c| (name, c))
        })
        .collect();

    let routes: BTreeMap<String, Route> = raw
        .routes
        .into_iter()
        .filter_map(|(name, file)| {
            let known = record_systems.contains_key(&file.record_system);
            if !known {
                problems.push(format!(
                    "routes.{name}.record_system = {:?}: no [record_systems.{}] is configured",
                    file.record_system, file.record_system
                ));
            }
            route(&name, file, &mut problems)
        })
        .map(|r| (r.name.clone(), r))
        .collect();

    let mut names = BTreeSet::new();
    let mailboxes = raw
        .mailboxes
        .into_iter()
        .enumerate()
        .filter_map(|(index, file)| {
            let key = format!("mailboxes[{index}]");
            if file.name.trim().is_empty() || file.name == "manual" {
                problems.push(format!(
                    "{key}.name must be set and must not be \"manual\" (used by ketenpost import)"
                ));
            } else if !names.insert(file.name.clone()) {
                problems.push(format!("{key}.name = {:?} is used twice", file.name));
            }
            if !routes.contains_key(&file.route) {
                problems.push(format!(
                    "{key}.route = {:?}: no [routes.{}] is configured",
                    file.route, file.route
                ));
            }
            mailbox(&key, file, &mut problems, &mut warnings)
        })
        .collect();

    if let Some(manual) = &raw.manual_route {
        if !routes.contains_key(manual) {
            problems.push(format!(
                "manual_route = {manual:?}: no [routes.{manual}] is configured"
            ));
        }
    }

    if !problems.is_empty() {
        return Err(ConfigError { problems });
    }
    let key_file = raw
        .key_file
        .unwrap_or_else(|| raw.data_dir.join("data.key"));
    Ok(Settings {
        data_dir: raw.data_dir,
        key_file,
        log_format,
        workers: raw.workers,
        manual_route: raw.manual_route,
        api: ApiSettings {
            listen,
            token: raw.api.token,
            limits: api_limits,
        },
        mailboxes,
        record_systems,
        routes,
        warnings,
    })
}

/// A duration like `30s` or `10m`.
fn duration(key: &str, text: &str, problems: &mut Vec<String>) -> Option<Duration> {
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

/// The largest message a mailbox takes in unless it says otherwise, in MiB: far above any
/// letter or lab report, far below what would strain the server's memory.
const DEFAULT_MAX_MESSAGE_MIB: u64 = 64;

/// The most `max_message_mib` may be: a message is held in memory a few times over.
const MAX_MESSAGE_MIB_CEILING: u64 = 1024;

/// The memory a mailbox's messages being taken in may hold at once unless it says otherwise,
/// in MiB: a few large messages, or hundreds of letters.
const DEFAULT_MAX_IN_FLIGHT_MIB: u64 = 256;

/// How many calls a ZorgMail mailbox has under way at once unless it says otherwise.
const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 8;

/// How long a ZorgMail mailbox may take to begin an answer, or go silent in one, unless it
/// says otherwise.
const DEFAULT_MAILBOX_TIMEOUT: Duration = Duration::from_secs(20);

fn plain_http_warning(key: &str, url: &str, warnings: &mut Vec<String>) {
    if url.starts_with("http://") {
        warnings.push(format!(
            "{key} = {url:?} is plain http: use https outside a test set-up"
        ));
    }
}

fn mailbox(
    key: &str,
    file: MailboxFile,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Option<Mailbox> {
    let poll_interval = match &file.poll_interval {
        Some(text) => duration(&format!("{key}.poll_interval"), text, problems)?,
        None => Duration::from_secs(30),
    };
    let max_message_mib = file.max_message_mib.unwrap_or(DEFAULT_MAX_MESSAGE_MIB);
    if !(1..=MAX_MESSAGE_MIB_CEILING).contains(&max_message_mib) {
        problems.push(format!(
            "{key}.max_message_mib = {max_message_mib}: use 1 to {MAX_MESSAGE_MIB_CEILING}"
        ));
        return None;
    }
    let max_message_bytes = max_message_mib * 1024 * 1024;
    let max_in_flight_mib = file.max_in_flight_mib.unwrap_or(DEFAULT_MAX_IN_FLIGHT_MIB);
    if !(1..=65_536).contains(&max_in_flight_mib) {
        problems.push(format!(
            "{key}.max_in_flight_mib = {max_in_flight_mib}: use 1 to 65536"
        ));
        return None;
    }
    let max_in_flight_bytes = max_in_flight_mib * 1024 * 1024;
    let max_requests = file
        .max_concurrent_requests
        .unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS);
    if !(1..=64).contains(&max_requests) {
        problems.push(format!(
            "{key}.max_concurrent_requests = {max_requests}: use 1 to 64"
        ));
        return None;
    }
    let timeout = match &file.timeout {
        Some(text) => duration(&format!("{key}.timeout"), text, problems)?,
        None => DEFAULT_MAILBOX_TIMEOUT,
    };
    let mut required = |field: &str, value: Option<String>| -> Option<String> {
        match value.filter(|v| !v.trim().is_empty()) {
            Some(v) => Some(v),
            None => {
                problems.push(format!(
                    "{key}.{field} is missing (needed for kind = {:?})",
                    file.kind
                ));
                None
            }
        }
    };
    let kind = match file.kind.as_str() {
        "zorgmail" => {
            let endpoint = required("endpoint", file.endpoint.clone());
            let account_id = required("account_id", file.account_id.clone());
            let username = required("username", file.username.clone());
            let password = required(
                "password",
                file.password.as_ref().map(|p| p.expose().to_owned()),
            );
            let endpoint = endpoint?;
            if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
                problems.push(format!(
                    "{key}.endpoint = {endpoint:?} is not an http(s) URL"
                ));
                return None;
            }
            plain_http_warning(&format!("{key}.endpoint"), &endpoint, warnings);
            if let Some(ca_cert) = &file.ca_cert {
                if !ca_cert.is_file() {
                    problems.push(format!(
                        "{key}.ca_cert = {}: no such file",
                        ca_cert.display()
                    ));
                    return None;
                }
                if endpoint.starts_with("http://") {
                    warnings.push(format!(
                        "{key}.ca_cert is set but the endpoint is plain http: it is not used"
                    ));
                }
            }
            MailboxKind::ZorgMail(ZorgMailConfig {
                endpoint,
                account_id: account_id?,
                username: username?,
                password: password?,
                timeout,
                max_requests,
                max_in_flight_bytes,
                ca_cert: file.ca_cert.clone(),
                max_message_bytes,
            })
        }
        "folder" => {
            let path = file.path.clone().or_else(|| {
                problems.push(format!(
                    "{key}.path is missing (needed for kind = \"folder\")"
                ));
                None
            })?;
            MailboxKind::Folder(path)
        }
        other => {
            problems.push(format!(
                "{key}.kind = {other:?}: use \"zorgmail\" or \"folder\""
            ));
            return None;
        }
    };
    Some(Mailbox {
        name: file.name,
        poll_interval,
        max_message_bytes,
        max_in_flight_bytes,
        route: file.route,
        kind,
    })
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
        None => Some(Duration::from_secs(30)),
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
            attempts: 8,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(600),
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

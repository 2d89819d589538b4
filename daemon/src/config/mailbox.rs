//! Validating one `[[mailboxes]]` entry: its kind's required keys, limits and durations.

use ketenpost_adapters::zorgmail::ZorgMailConfig;

use super::defaults;
use super::file::MailboxFile;
use super::validate::duration;
use super::{Mailbox, MailboxKind};

/// The most `max_message_mib` may be: a message is held in memory a few times over.
const MAX_MESSAGE_MIB_CEILING: u64 = 1024;

fn plain_http_warning(key: &str, url: &str, warnings: &mut Vec<String>) {
    if url.starts_with("http://") {
        warnings.push(format!(
            "{key} = {url:?} is plain http: use https outside a test set-up"
        ));
    }
}

/// Validates one mailbox at `key` (`mailboxes[N]`).
pub fn mailbox(
    key: &str,
    file: MailboxFile,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Option<Mailbox> {
    let poll_interval = match &file.poll_interval {
        Some(text) => duration(&format!("{key}.poll_interval"), text, problems)?,
        None => defaults::POLL_INTERVAL,
    };
    let max_message_mib = file.max_message_mib.unwrap_or(defaults::MAX_MESSAGE_MIB);
    if !(1..=MAX_MESSAGE_MIB_CEILING).contains(&max_message_mib) {
        problems.push(format!(
            "{key}.max_message_mib = {max_message_mib}: use 1 to {MAX_MESSAGE_MIB_CEILING}"
        ));
        return None;
    }
    let max_message_bytes = max_message_mib * 1024 * 1024;
    let max_in_flight_mib = file
        .max_in_flight_mib
        .unwrap_or(defaults::MAX_IN_FLIGHT_MIB);
    if !(1..=65_536).contains(&max_in_flight_mib) {
        problems.push(format!(
            "{key}.max_in_flight_mib = {max_in_flight_mib}: use 1 to 65536"
        ));
        return None;
    }
    let max_in_flight_bytes = max_in_flight_mib * 1024 * 1024;
    let max_requests = file
        .max_concurrent_requests
        .unwrap_or(defaults::MAX_CONCURRENT_REQUESTS);
    if !(1..=64).contains(&max_requests) {
        problems.push(format!(
            "{key}.max_concurrent_requests = {max_requests}: use 1 to 64"
        ));
        return None;
    }
    let timeout = match &file.timeout {
        Some(text) => duration(&format!("{key}.timeout"), text, problems)?,
        None => defaults::MAILBOX_TIMEOUT,
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

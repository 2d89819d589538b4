//! The example configuration documents the defaults this module owns: each `# default X` in
//! `deploy/ketenpost.example.toml` must equal its constant, and every default must be there.

use std::collections::BTreeSet;
use std::time::Duration;

use super::*;

const EXAMPLE: &str = include_str!("../../../deploy/ketenpost.example.toml");

/// What a documented default must be.
#[derive(Debug, PartialEq)]
enum Value {
    Time(Duration),
    Count(u64),
}

/// The default of `key` in the table `section` (`[[mailboxes]]` is `mailboxes`, a named
/// table `[routes.ons]` is `routes.*`).
fn expected(section: &str, key: &str) -> Option<Value> {
    let count = |n: usize| Value::Count(n as u64);
    Some(match (section, key) {
        ("", "drain_timeout") => Value::Time(DRAIN_TIMEOUT),
        ("api.limits", "header_timeout") => Value::Time(API_HEADER_TIMEOUT),
        ("api.limits", "request_timeout") => Value::Time(API_REQUEST_TIMEOUT),
        ("api.limits", "max_connections") => count(API_MAX_CONNECTIONS),
        ("api.limits", "shutdown_grace") => Value::Time(API_SHUTDOWN_GRACE),
        ("mailboxes", "poll_interval") => Value::Time(POLL_INTERVAL),
        ("mailboxes", "max_message_mib") => Value::Count(MAX_MESSAGE_MIB),
        ("mailboxes", "max_in_flight_mib") => Value::Count(MAX_IN_FLIGHT_MIB),
        ("mailboxes", "max_concurrent_requests") => count(MAX_CONCURRENT_REQUESTS),
        ("mailboxes", "timeout") => Value::Time(MAILBOX_TIMEOUT),
        ("record_systems.*", "timeout") => Value::Time(RECORD_SYSTEM_TIMEOUT),
        ("notifications", "digest_interval") => Value::Time(DIGEST_INTERVAL),
        _ => return None,
    })
}

/// `(section, key, the text after "default ")` for every line that documents a default.
fn documented() -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut found = Vec::new();
    for line in EXAMPLE.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            let name = trimmed.trim_matches(|c| c == '[' || c == ']');
            section = match name.split_once('.') {
                Some((table, _)) if table == "record_systems" || table == "routes" => {
                    format!("{table}.*")
                }
                _ => name.to_owned(),
            };
            continue;
        }
        let (Some((key, _)), Some((_, after))) =
            (trimmed.split_once(" ="), trimmed.split_once("default "))
        else {
            continue;
        };
        if key.starts_with('#') {
            continue;
        }
        let value: String = after
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ':' | ')' | ',' | ';'))
            .collect();
        found.push((section.clone(), key.trim().to_owned(), value));
    }
    found
}

/// TOML text read the way the configuration is read.
fn as_tree(text: &str) -> serde_json::Map<String, serde_json::Value> {
    super::super::source::merged(text, None, &[]).expect("the text is TOML")
}

fn parsed(value: &str, like: &Value) -> Value {
    match like {
        Value::Time(_) => Value::Time(
            humantime::parse_duration(value)
                .unwrap_or_else(|e| panic!("{value:?} is not a duration: {e}")),
        ),
        Value::Count(_) => Value::Count(
            value
                .parse()
                .unwrap_or_else(|e| panic!("{value:?} is not a number: {e}")),
        ),
    }
}

#[test]
fn every_default_the_example_documents_is_the_constant() {
    let mut seen = BTreeSet::new();
    for (section, key, value) in documented() {
        let want = expected(&section, &key)
            .unwrap_or_else(|| panic!("[{section}] {key} documents a default not owned here"));
        assert_eq!(
            parsed(&value, &want),
            want,
            "[{section}] {key}: the example says default {value}"
        );
        seen.insert((section, key));
    }
    for (section, key) in [
        ("", "drain_timeout"),
        ("api.limits", "header_timeout"),
        ("api.limits", "request_timeout"),
        ("api.limits", "max_connections"),
        ("api.limits", "shutdown_grace"),
        ("mailboxes", "poll_interval"),
        ("mailboxes", "max_message_mib"),
        ("mailboxes", "max_in_flight_mib"),
        ("mailboxes", "max_concurrent_requests"),
        ("mailboxes", "timeout"),
        ("record_systems.*", "timeout"),
        ("notifications", "digest_interval"),
    ] {
        assert!(
            seen.contains(&(section.to_owned(), key.to_owned())),
            "the example does not document the default of [{section}] {key}"
        );
    }
}

#[test]
fn the_example_names_the_top_level_and_retry_defaults() {
    // The comments as one text: a sentence may wrap.
    let prose = EXAMPLE
        .lines()
        .map(|line| line.trim_start_matches('#').trim())
        .collect::<Vec<_>>()
        .join(" ");
    for text in [
        format!("data_dir {DATA_DIR:?}"),
        format!("api.listen {API_LISTEN:?}"),
        format!("log_format {LOG_FORMAT:?}"),
        format!("workers {WORKERS}"),
        format!("<data_dir>/{KEY_FILE_NAME}"),
    ] {
        assert!(prose.contains(&text), "the example does not say {text}");
    }
    let retry = EXAMPLE
        .lines()
        .find(|line| line.starts_with("retry = {") && line.contains("# the default"))
        .expect("the example shows the default retry");
    let table = as_tree(retry);
    let retry = &table["retry"];
    assert_eq!(retry["attempts"].as_u64(), Some(u64::from(RETRY_ATTEMPTS)));
    for (key, want) in [
        ("first_delay", RETRY_FIRST_DELAY),
        ("max_delay", RETRY_MAX_DELAY),
    ] {
        let text = retry[key].as_str().unwrap_or_default();
        assert_eq!(humantime::parse_duration(text).ok(), Some(want), "{key}");
    }
}

#[test]
fn the_embedded_defaults_are_the_constants() {
    let table = as_tree(&toml());
    assert_eq!(table["data_dir"].as_str(), Some(DATA_DIR));
    assert_eq!(table["log_format"].as_str(), Some(LOG_FORMAT));
    assert_eq!(table["workers"].as_u64(), Some(WORKERS as u64));
    assert_eq!(table["api"]["listen"].as_str(), Some(API_LISTEN));
}

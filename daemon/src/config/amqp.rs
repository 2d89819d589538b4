//! `[amqp]`: scale-out over RabbitMQ. Without it everything runs in-process; with it the owner
//! (`ketenpost run`) hands each work item to `ketenpost worker` processes through the broker.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use ketenpost_adapters::sealed::is_sealed;

use super::defaults;
use super::schema::{optional, required, Key, Kind};
use super::secret::Secret;

/// The keys of `[amqp]`.
pub const KEYS: &[Key] = &[
    required("url", Kind::Secret),
    optional("ca_cert", Kind::Text),
    optional("prefetch", Kind::Number(1)),
    optional("work_queue", Kind::Text),
    optional("result_queue", Kind::Text),
    optional("events_exchange", Kind::Text),
    optional("delivery_limit", Kind::Number(1)),
    optional("work_timeout", Kind::Text),
];

/// `[amqp]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpFile {
    /// The broker's URL, `amqp://user:password@host:5672/vhost` or `amqps://` (a secret,
    /// plain or sealed).
    pub url: Secret,
    /// A PEM file with the certificate(s) of the authority that signed the broker's TLS
    /// certificate, trusted next to the system's authorities (`amqps://` only).
    pub ca_cert: Option<PathBuf>,
    /// Work items a worker holds unacknowledged at once.
    pub prefetch: Option<u16>,
    /// The work queue's name.
    pub work_queue: Option<String>,
    /// The result queue's name.
    pub result_queue: Option<String>,
    /// The events exchange's name.
    pub events_exchange: Option<String>,
    /// Deliveries of one work item before it is dead-lettered.
    pub delivery_limit: Option<u32>,
    /// How long a work item may take before it is published again, e.g. `2m`.
    pub work_timeout: Option<String>,
}

/// `[amqp]`, validated.
#[derive(Debug, Clone)]
pub struct AmqpSettings {
    /// The broker's URL (never printed).
    pub url: Secret,
    /// The authority's certificate(s) trusted for the broker's TLS certificate, as PEM text.
    pub ca_cert: Option<String>,
    /// Work items a worker holds unacknowledged at once.
    pub prefetch: u16,
    /// The work queue (a durable quorum queue).
    pub work_queue: String,
    /// The result queue (a durable quorum queue).
    pub result_queue: String,
    /// The events exchange (a durable topic exchange).
    pub events_exchange: String,
    /// Deliveries of one work item before it goes to the dead-letter queue.
    pub delivery_limit: u32,
    /// How long a work item may take before the owner publishes it again.
    pub work_timeout: Duration,
    /// The configuration version in force: a digest of the configuration file, which a worker
    /// compares with its own before it acts on a work item.
    pub config_version: String,
}

impl AmqpSettings {
    /// The dead-letter queue of the work queue.
    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dead", self.work_queue)
    }
}

/// Validates `[amqp]`.
pub fn validate(file: AmqpFile, problems: &mut Vec<String>) -> AmqpSettings {
    let url = file.url.expose().trim();
    // A sealed URL is checked once it is opened (`unseal`).
    if !is_sealed(url) {
        check_url(url, problems);
    }
    let ca_cert = file
        .ca_cert
        .and_then(|path| match std::fs::read_to_string(&path) {
            Ok(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => Some(pem),
            Ok(_) => {
                problems.push(format!(
                    "amqp.ca_cert = {}: not a PEM certificate (-----BEGIN CERTIFICATE-----)",
                    path.display()
                ));
                None
            }
            Err(e) => {
                problems.push(format!("amqp.ca_cert = {}: {e}", path.display()));
                None
            }
        });
    let mut name = |key: &str, value: Option<String>, default: &str| {
        let value = value.unwrap_or_else(|| default.to_owned());
        if value.trim().is_empty() || value.len() > 200 {
            problems.push(format!(
                "amqp.{key} = {value:?}: use a name of 1 to 200 characters"
            ));
        }
        value
    };
    let work_queue = name("work_queue", file.work_queue, defaults::AMQP_WORK_QUEUE);
    let result_queue = name(
        "result_queue",
        file.result_queue,
        defaults::AMQP_RESULT_QUEUE,
    );
    let events_exchange = name(
        "events_exchange",
        file.events_exchange,
        defaults::AMQP_EVENTS_EXCHANGE,
    );
    let work_timeout = match file.work_timeout.as_deref() {
        None => defaults::AMQP_WORK_TIMEOUT,
        Some(text) => match humantime::parse_duration(text) {
            Ok(d) if d >= Duration::from_secs(1) => d,
            _ => {
                problems.push(format!(
                    "amqp.work_timeout = {text:?}: use a duration of at least \"1s\", like \"2m\""
                ));
                defaults::AMQP_WORK_TIMEOUT
            }
        },
    };
    AmqpSettings {
        url: Secret::new(url),
        ca_cert,
        prefetch: file.prefetch.unwrap_or(defaults::AMQP_PREFETCH),
        work_queue,
        result_queue,
        events_exchange,
        delivery_limit: file.delivery_limit.unwrap_or(defaults::AMQP_DELIVERY_LIMIT),
        work_timeout,
        config_version: String::new(),
    }
}

/// Checks the broker's URL (opened, when it was sealed): `amqp://` or `amqps://`, and a URL
/// the AMQP client can read. The problem never shows the URL (it holds the password).
pub fn check_url(url: &str, problems: &mut Vec<String>) {
    if !(url.starts_with("amqp://") || url.starts_with("amqps://")) {
        problems.push(
            "amqp.url (a secret, not shown): use an address like \"amqp://user:password@host:5672/vhost\" or \"amqps://user:password@host:5671/vhost\""
                .to_owned(),
        );
    } else if url.parse::<lapin::uri::AMQPUri>().is_err() {
        problems.push(
            "amqp.url (a secret, not shown): not a readable AMQP address; write it as \"amqps://user:password@host:5671/vhost\" with special characters in the password percent-encoded"
                .to_owned(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn a_wrong_url_is_a_problem_that_does_not_show_it() {
        for url in [
            "http://ketenpost:hunter2@rabbit:5672/",
            "amqps://ketenpost:hunter2@rabbit:notaport/",
        ] {
            let mut problems = Vec::new();
            check_url(url, &mut problems);
            assert_eq!(problems.len(), 1, "{url}");
            assert!(problems[0].starts_with("amqp.url (a secret, not shown)"));
            assert!(!problems[0].contains("hunter2"), "{}", problems[0]);
        }
        let mut problems = Vec::new();
        check_url(
            "amqps://ketenpost:hunter2@rabbit:5671/ketenpost",
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
    }
}

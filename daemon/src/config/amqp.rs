//! `[amqp]`: scale-out over RabbitMQ. Without it everything runs in-process; with it the owner
//! (`ketenpost run`) hands each work item to `ketenpost worker` processes through the broker.

use std::time::Duration;

use serde::Deserialize;

use super::defaults;
use super::schema::{optional, required, Key, Kind};
use super::secret::Secret;

/// The keys of `[amqp]`.
pub const KEYS: &[Key] = &[
    required("url", Kind::Secret),
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
    /// The broker's URL, `amqp://user:password@host:5672/vhost` (a secret).
    pub url: Secret,
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
    if !(url.starts_with("amqp://") || url.starts_with("amqps://")) {
        problems.push(
            "amqp.url (a secret, not shown): use an address like \"amqp://user:password@host:5672/vhost\""
                .to_owned(),
        );
    }
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
        prefetch: file.prefetch.unwrap_or(defaults::AMQP_PREFETCH),
        work_queue,
        result_queue,
        events_exchange,
        delivery_limit: file.delivery_limit.unwrap_or(defaults::AMQP_DELIVERY_LIMIT),
        work_timeout,
        config_version: String::new(),
    }
}

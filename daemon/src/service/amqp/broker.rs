//! The broker: connecting, declaring the queues (idempotently, so every process may), and
//! publishing with publisher confirms, where a Nack or a returned `mandatory` message is a
//! failure. Also the broker's state as the API and the metrics show it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::tcp::OwnedTLSConfig;
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};

use crate::config::AmqpSettings;

/// The broker as this process sees it.
#[derive(Debug, Default)]
pub struct BrokerState {
    connected: AtomicBool,
    connects: AtomicU64,
    failures: AtomicU64,
}

impl BrokerState {
    /// Whether the connection is up.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Connections made since the start (more than one: reconnected).
    pub fn connects(&self) -> u64 {
        self.connects.load(Ordering::Relaxed)
    }

    /// Connections lost or refused since the start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// The connection is up.
    pub fn up(&self) {
        self.connects.fetch_add(1, Ordering::Relaxed);
        self.connected.store(true, Ordering::Release);
    }

    /// What `/api/v1/counts` shows as `broker`.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "connected": self.connected(),
            "reconnects": self.connects().saturating_sub(1),
            "failures": self.failures(),
        })
    }

    /// `metrics` (OpenMetrics text) with the broker's gauge and counters before its `# EOF`.
    pub fn add_metrics(&self, metrics: String) -> String {
        let mine = format!(
            "# HELP ketenpost_broker_connected Whether the connection to the broker is up.\n\
             # TYPE ketenpost_broker_connected gauge\n\
             ketenpost_broker_connected {}\n\
             # HELP ketenpost_broker_connects Connections made to the broker.\n\
             # TYPE ketenpost_broker_connects counter\n\
             ketenpost_broker_connects_total {}\n\
             # HELP ketenpost_broker_failures Connections to the broker lost or refused.\n\
             # TYPE ketenpost_broker_failures counter\n\
             ketenpost_broker_failures_total {}\n",
            u8::from(self.connected()),
            self.connects(),
            self.failures()
        );
        match metrics.rfind("# EOF") {
            Some(at) => format!("{}{mine}{}", &metrics[..at], &metrics[at..]),
            None => metrics + &mine,
        }
    }

    /// The connection failed or was lost.
    pub fn down(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        self.connected.store(false, Ordering::Release);
    }
}

/// The wait before reconnecting after `failures` failures in a row: 200 ms doubling to 10 s.
pub fn back_off(failures: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << failures.min(6))).min(Duration::from_secs(10))
}

/// Connects to the broker, over TLS for `amqps://` (the broker's certificate checked against
/// the system's authorities and `amqp.ca_cert`). The error never shows the URL (it holds the
/// password).
///
/// # Errors
/// The broker cannot be reached, its certificate is not trusted, or it refuses.
pub async fn connect(settings: &AmqpSettings) -> anyhow::Result<Connection> {
    let tls = OwnedTLSConfig {
        identity: None,
        cert_chain: settings.ca_cert.clone(),
    };
    let runtime = lapin::runtime::default_runtime().context("No async runtime for the broker")?;
    // A cut network can accept the connection and never answer: the attempt has its time.
    let connect = Connection::connect_with_config(
        settings.url.expose(),
        ConnectionProperties::default(),
        tls,
        runtime,
    );
    tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| anyhow::anyhow!("The broker did not answer within {CONNECT_TIMEOUT:?}"))?
        .context("Failed to connect to the broker (amqp.url)")
}

/// How long connecting to the broker (TCP, TLS and the AMQP handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one answer of the broker (a channel opened, a declare, a consume, a confirm) may
/// take. A broker that does not answer in this time (seen after a restart of RabbitMQ 3.10,
/// whose classic-queue declarations could hang) is taken for stuck: the connection is made
/// anew instead of waiting for ever.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// `step` within [`ANSWER_TIMEOUT`].
///
/// # Errors
/// The step failed, or the broker did not answer in time.
pub async fn in_time<T>(
    what: &str,
    step: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(ANSWER_TIMEOUT, step)
        .await
        .map_err(|_| {
            anyhow::anyhow!("The broker did not answer within {ANSWER_TIMEOUT:?} ({what})")
        })?
}

/// A channel with publisher confirms.
///
/// # Errors
/// The channel cannot be opened.
pub async fn confirming_channel(connection: &Connection) -> anyhow::Result<Channel> {
    let channel = connection
        .create_channel()
        .await
        .context("Failed to open a channel")?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .context("Failed to turn on publisher confirms")?;
    Ok(channel)
}

/// Declares the work queue (with its delivery limit and dead-letter queue), the dead-letter
/// queue and the result queue: durable quorum queues, the same arguments as
/// `deploy/rabbitmq/definitions.json`.
///
/// # Errors
/// A queue exists with other arguments, or the channel failed.
pub async fn declare(channel: &Channel, settings: &AmqpSettings) -> anyhow::Result<()> {
    let quorum = |dead_letter: Option<&str>, limit: Option<u32>| {
        let mut arguments = FieldTable::default();
        arguments.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        if let Some(limit) = limit {
            arguments.insert(
                "x-delivery-limit".into(),
                AMQPValue::LongInt(i32::try_from(limit).unwrap_or(i32::MAX)),
            );
        }
        if let Some(queue) = dead_letter {
            arguments.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString("".into()),
            );
            arguments.insert(
                "x-dead-letter-routing-key".into(),
                AMQPValue::LongString(queue.into()),
            );
        }
        arguments
    };
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    let dead = settings.dead_letter_queue();
    for (name, arguments) in [
        (dead.as_str(), quorum(None, None)),
        (settings.result_queue.as_str(), quorum(None, None)),
        (
            settings.work_queue.as_str(),
            quorum(Some(&dead), Some(settings.delivery_limit)),
        ),
    ] {
        channel
            .queue_declare(name.into(), durable, arguments)
            .await
            .with_context(|| format!("Failed to declare the queue {name:?}"))?;
    }
    Ok(())
}

/// Publishes `body` to the queue `queue` (default exchange, persistent, `mandatory`) and waits
/// for the broker's confirm.
///
/// # Errors
/// The broker said Nack, returned the message (no such queue), or the channel failed: the
/// message is not known to be queued.
pub async fn publish(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    body: &[u8],
    properties: BasicProperties,
) -> anyhow::Result<()> {
    let confirm = in_time("a publish", async {
        channel
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                body,
                properties
                    .with_delivery_mode(2)
                    .with_content_type("application/json".into()),
            )
            .await
            .with_context(|| format!("Failed to publish to {routing_key:?}"))?
            .await
            .with_context(|| format!("No confirm for a publish to {routing_key:?}"))
    })
    .await?;
    match confirm {
        Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
        Confirmation::Ack(Some(returned)) => anyhow::bail!(
            "The broker returned a message for {routing_key:?}: {}",
            returned.reply_text
        ),
        Confirmation::Nack(_) => {
            anyhow::bail!("The broker refused (Nack) a message for {routing_key:?}")
        }
    }
}

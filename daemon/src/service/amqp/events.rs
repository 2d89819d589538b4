//! The events exchange: every event appended to the log is published, in log order, to the
//! topic exchange `amqp.events_exchange`, with the routing key `<stream kind>.<event type>`
//! (`message.MessageClassified`, `receipt.MessageReceived`) and the log position as message
//! id. The body is the event as `ketenpost events` prints it: ids, type, time and a summary
//! that names no BSN, no name and no letter text. Published positions are confirmed by the
//! broker before the checkpoint (`amqp-events.position` in the data folder) moves on, so after
//! an outage publishing resumes there: nothing is skipped, and an event may come twice (the
//! same message id); a consumer drops a position it has seen.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ketenpost_domain::events::{RecordedEvent, StreamKind};
use ketenpost_domain::ports::EventLog;
use lapin::options::{BasicPublishOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Confirmation, ExchangeKind};

use super::broker;
use crate::commands::events::line;
use crate::config::AmqpSettings;
use crate::service::shutdown::Shutdown;
use crate::service::state::Shared;

/// Events published per batch (then confirmed and checkpointed).
const BATCH: usize = 500;

/// The checkpoint file in the data folder.
fn checkpoint_file(data_dir: &Path) -> PathBuf {
    data_dir.join("amqp-events.position")
}

/// The next position to publish (0 when nothing was; a checkpoint that cannot be read starts
/// over from 0: events may come twice, none is skipped).
fn read_checkpoint(path: &Path) -> u64 {
    match std::fs::read_to_string(path) {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| {
            tracing::warn!(file = %path.display(), "the events checkpoint cannot be read; publishing from the start of the log");
            0
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => 0,
        Err(error) => {
            tracing::warn!(file = %path.display(), error = %error, "the events checkpoint cannot be read; publishing from the start of the log");
            0
        }
    }
}

/// Records `next` as the next position to publish, durably and whole or not at all: a new
/// file is written and fsynced, renamed over the checkpoint, and the folder fsynced. Only then
/// is the checkpoint trusted (a crash or power cut right after never skips an event).
fn write_checkpoint(path: &Path, next: u64) -> anyhow::Result<()> {
    use std::io::Write;
    let new = path.with_extension("new");
    let mut file = std::fs::File::create(&new)
        .with_context(|| format!("Failed to create {}", new.display()))?;
    file.write_all(format!("{next}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("Failed to write {}", new.display()))?;
    std::fs::rename(&new, path).with_context(|| format!("Failed to replace {}", path.display()))?;
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(folder)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("Failed to sync the folder {}", folder.display()))?;
    }
    Ok(())
}

/// Whether `event` is published: those of messages and receipts only.
fn leaves_the_daemon(event: &RecordedEvent) -> bool {
    matches!(
        event.stream.kind(),
        Some(StreamKind::Message | StreamKind::Receipt)
    )
}

/// The routing key of `event`: `<stream kind>.<event type>`.
pub fn routing_key(event: &RecordedEvent) -> String {
    let kind = match event.stream.kind() {
        Some(StreamKind::Message) => "message",
        Some(StreamKind::Receipt) => "receipt",
        Some(StreamKind::User) => "user",
        Some(StreamKind::Security) => "security",
        None => "other",
    };
    format!("{kind}.{}", event.event.type_name())
}

/// Publishes the log to the events exchange until the stop, reconnecting with back-off.
///
/// # Errors
/// None: failures are retried.
pub async fn run(
    shared: Arc<Shared>,
    settings: AmqpSettings,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let stop = shutdown.token();
    let checkpoint = checkpoint_file(&shared.settings.data_dir);
    let mut failures = 0u32;
    while !stop.is_cancelled() {
        // Set once this connection is up: its failure starts the back-off from the beginning.
        let up = std::sync::atomic::AtomicBool::new(false);
        let session = async {
            let (_connection, channel) = broker::in_time("opening the events channel", async {
                let connection = broker::connect(&settings).await?;
                let channel = broker::confirming_channel(&connection).await?;
                channel
                    .exchange_declare(
                        settings.events_exchange.as_str().into(),
                        ExchangeKind::Topic,
                        ExchangeDeclareOptions {
                            durable: true,
                            ..ExchangeDeclareOptions::default()
                        },
                        FieldTable::default(),
                    )
                    .await
                    .context("Failed to declare the events exchange")?;
                Ok((connection, channel))
            })
            .await?;
            up.store(true, std::sync::atomic::Ordering::Relaxed);
            loop {
                let published = broker::in_time(
                    "publishing events",
                    publish_batch(&shared, &settings, &channel, &checkpoint),
                )
                .await?;
                if published == 0 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        tokio::select! {
            outcome = session => {
                let error: anyhow::Error = match outcome {
                    Ok(()) => break,
                    Err(error) => error,
                };
                tracing::warn!(error = %format!("{error:#}"), "publishing events failed; resuming from the checkpoint");
            }
            () = stop.cancelled() => break,
        }
        if up.load(std::sync::atomic::Ordering::Relaxed) {
            failures = 0;
        }
        failures = failures.saturating_add(1);
        tokio::select! {
            () = tokio::time::sleep(broker::back_off(failures)) => {}
            () = stop.cancelled() => {}
        }
    }
    Ok(())
}

/// Publishes the events from the checkpoint on (at most [`BATCH`]), waits for every confirm
/// and moves the checkpoint: how many were published.
async fn publish_batch(
    shared: &Arc<Shared>,
    settings: &AmqpSettings,
    channel: &Channel,
    checkpoint: &Path,
) -> anyhow::Result<usize> {
    let path = checkpoint.to_path_buf();
    let (from, events) = shared
        .on_log(move |log| {
            let from = read_checkpoint(&path);
            Ok((from, log.read_all(from, BATCH)?))
        })
        .await?;
    if events.is_empty() {
        return Ok(0);
    }
    let mut confirms = Vec::with_capacity(events.len());
    // Only the flow of messages leaves the daemon: the portal's users, their security log and
    // the access log stay inside (their positions are passed over, so positions that reach a
    // consumer rise but may skip).
    for event in events.iter().filter(|event| leaves_the_daemon(event)) {
        let body = serde_json::to_vec(&line(event))?;
        let properties = BasicProperties::default()
            .with_message_id(event.position.to_string().into())
            .with_delivery_mode(2)
            .with_content_type("application/json".into());
        let confirm = channel
            .basic_publish(
                settings.events_exchange.as_str().into(),
                routing_key(event).into(),
                BasicPublishOptions::default(),
                &body,
                properties,
            )
            .await
            .context("Failed to publish an event")?;
        confirms.push(confirm);
    }
    for confirm in confirms {
        match confirm.await.context("No confirm for an event")? {
            Confirmation::Ack(_) | Confirmation::NotRequested => {}
            Confirmation::Nack(_) => anyhow::bail!("The broker refused (Nack) an event"),
        }
    }
    let next = from + events.len() as u64;
    let path = checkpoint.to_path_buf();
    shared
        .on_log(move |_| write_checkpoint(&path, next))
        .await?;
    Ok(events.len())
}

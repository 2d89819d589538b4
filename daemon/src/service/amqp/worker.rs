//! `ketenpost worker`: consumes work items (manual acks, `amqp.prefetch` at once), runs the
//! work function on each with the record systems configured here, sends the events it decided
//! to the owner and acknowledges the item only after the owner confirmed them. The connection
//! is supervised here (back-off, channels rebuilt, queues declared again, consuming resumed);
//! an item in hand when it fails is delivered again by the broker, to this or another worker.

use std::sync::Arc;

use anyhow::Context;
use futures_util::StreamExt;
use ketenpost_adapters::ons::OnsClient;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::broker::{self, BrokerState};
use super::replies::{answered, Awaited, Sender};
use super::wire::WorkOrder;
use super::work_step::work;
use crate::config::{ActiveRouting, AmqpSettings, Settings};
use crate::service::wiring::{self, RecordSystems};

/// What every work item of this worker shares.
pub(super) struct Worker {
    settings: Settings,
    amqp: AmqpSettings,
    pub(super) record_systems: RecordSystems<OnsClient>,
    /// The daemon's data key, to open the secrets of the versions the items carry; read
    /// again when an item needs it while it could not be read (a worker started before the
    /// daemon made it). Never made here: a key of the worker's own opens nothing.
    key: std::sync::Mutex<Option<[u8; 32]>>,
    /// The last configuration version an item carried, checked and opened.
    routing: std::sync::Mutex<Option<Arc<ActiveRouting>>>,
}

impl Worker {
    /// The data key, read now if it could not be read before.
    fn data_key(&self) -> Option<[u8; 32]> {
        let mut key = self.key.lock().ok()?;
        if key.is_none() {
            *key = crate::config::routing::existing_data_key(&self.settings.key_file).ok();
        }
        *key
    }

    /// The routing that decides `order`: the configuration version it carries (checked by the
    /// start-up rules once per version), or for an item without one, this worker's own file
    /// when the item names its hash.
    fn routing_for(&self, order: &WorkOrder) -> anyhow::Result<Arc<ActiveRouting>> {
        let Some(carried) = &order.routing else {
            anyhow::ensure!(
                order.config_version == self.amqp.config_version,
                "the work item names configuration version {} and this worker runs {}",
                order.config_version,
                self.amqp.config_version
            );
            return Ok(Arc::new(
                crate::service::configuration::active_from_settings(&self.settings, 0),
            ));
        };
        let version: u64 = order
            .config_version
            .parse()
            .context("the work item's configuration version is not a number")?;
        let mut cached = self
            .routing
            .lock()
            .map_err(|_| anyhow::anyhow!("the configuration cache is unusable"))?;
        if let Some(active) = cached.as_ref().filter(|a| a.version == version) {
            return Ok(Arc::clone(active));
        }
        let key = self.data_key();
        let mut active = crate::config::routing::check(carried, key.as_ref()).map_err(|e| {
            anyhow::anyhow!("configuration version {version} cannot be used by this worker: {e}")
        })?;
        active.version = version;
        let active = Arc::new(active);
        *cached = Some(Arc::clone(&active));
        Ok(active)
    }
}

/// Runs the worker until `stop`; the items in hand then finish within the drain timeout.
///
/// # Errors
/// The configuration has no `[amqp]`, or a record system's certificates cannot be used.
pub async fn run(settings: Settings, stop: CancellationToken) -> anyhow::Result<()> {
    let amqp = settings
        .amqp
        .clone()
        .context("ketenpost worker needs an [amqp] section in the configuration")?;
    let record_systems = wiring::record_systems(&settings)?;
    let key = match crate::config::routing::existing_data_key(&settings.key_file) {
        Ok(key) => Some(key),
        Err(error) => {
            // Work without secrets still goes; an item whose version seals one is handed back
            // until the key can be read.
            tracing::warn!(
                %error,
                "worker: no data key yet; configuration versions with sealed secrets cannot be used"
            );
            None
        }
    };
    let worker = Arc::new(Worker {
        settings,
        amqp,
        record_systems,
        key: std::sync::Mutex::new(key),
        routing: std::sync::Mutex::new(None),
    });
    let state = BrokerState::default();
    let mut failures = 0u32;
    while !stop.is_cancelled() {
        match session(&worker, &stop, &state).await {
            Ok(()) => break,
            Err(error) => {
                // A connection that was up starts the back-off from the beginning.
                if state.connected() {
                    failures = 0;
                }
                state.down();
                tracing::warn!(error = %format!("{error:#}"), "the broker connection failed; reconnecting");
            }
        }
        failures = failures.saturating_add(1);
        tokio::select! {
            () = tokio::time::sleep(broker::back_off(failures)) => {}
            () = stop.cancelled() => {}
        }
    }
    Ok(())
}

/// One connection's life: `Ok` at the stop.
async fn session(
    worker: &Arc<Worker>,
    stop: &CancellationToken,
    state: &BrokerState,
) -> anyhow::Result<()> {
    let amqp = &worker.amqp;
    let (
        connection,
        publisher,
        _replies_channel,
        reply_queue,
        mut replies,
        awaited,
        consuming,
        mut items,
    ) = broker::in_time("connecting, declaring and consuming", async {
        let connection = broker::connect(amqp).await?;
        let publisher = broker::confirming_channel(&connection).await?;
        broker::declare(&publisher, amqp).await?;
        // Replies come to a queue of this connection's own, gone with it.
        let replies_channel = connection.create_channel().await?;
        let reply_queue = replies_channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await?
            .name()
            .to_string();
        let replies = replies_channel
            .basic_consume(
                reply_queue.as_str().into(),
                "".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        let awaited: Awaited = Arc::default();
        let consuming = connection.create_channel().await?;
        consuming
            .basic_qos(amqp.prefetch, BasicQosOptions::default())
            .await?;
        let items = consuming
            .basic_consume(
                amqp.work_queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        Ok((
            connection,
            publisher,
            replies_channel,
            reply_queue,
            replies,
            awaited,
            consuming,
            items,
        ))
    })
    .await?;
    state.up();
    tracing::info!("connected to the broker; taking work items");
    let mut in_hand: JoinSet<()> = JoinSet::new();
    let outcome = loop {
        tokio::select! {
            () = stop.cancelled() => break Ok(()),
            Some(_) = in_hand.join_next(), if !in_hand.is_empty() => {}
            reply = replies.next() => match reply {
                Some(Ok(reply)) => answered(&awaited, &reply),
                Some(Err(error)) => break Err(anyhow::Error::new(error).context("The reply consumer failed")),
                None => break Err(anyhow::anyhow!("The reply consumer was cancelled")),
            },
            item = items.next() => match item {
                Some(Ok(delivery)) => {
                    let sender = Sender {
                        channel: publisher.clone(),
                        reply_queue: reply_queue.clone(),
                        awaited: Arc::clone(&awaited),
                        result_queue: amqp.result_queue.clone(),
                        timeout: amqp.work_timeout,
                    };
                    in_hand.spawn(take(Arc::clone(worker), sender, delivery));
                }
                Some(Err(error)) => break Err(anyhow::Error::new(error).context("The work consumer failed")),
                None => break Err(anyhow::anyhow!("The broker cancelled the work consumer")),
            },
        }
    };
    if outcome.is_ok() {
        // No new items; those in hand finish (their replies still come in).
        let _ = consuming.close(200, "stopping".into()).await;
        let drain = tokio::time::sleep(worker.settings.drain_timeout);
        tokio::pin!(drain);
        while !in_hand.is_empty() {
            tokio::select! {
                _ = in_hand.join_next() => {}
                Some(Ok(reply)) = replies.next() => answered(&awaited, &reply),
                () = &mut drain => break,
            }
        }
        in_hand.shutdown().await;
        let _ = connection.close(200, "stopping".into()).await;
    }
    outcome
}

/// Works on one delivered item; acknowledges it once the owner confirmed its results, else
/// hands it back to the queue.
async fn take(worker: Arc<Worker>, sender: Sender, delivery: Delivery) {
    let outcome = match serde_json::from_slice::<WorkOrder>(&delivery.data) {
        Ok(order) => {
            let worked = match worker.routing_for(&order) {
                Ok(routing) => work(&worker, &sender, &order, &routing).await,
                Err(error) => Err(error),
            };
            if let Err(error) = &worked {
                sender.report_failure(&order, &format!("{error:#}")).await;
            }
            worked.with_context(|| format!("message {}", order.message))
        }
        Err(error) => Err(anyhow::Error::new(error).context("a work item that cannot be read")),
    };
    let settled = match &outcome {
        Ok(()) => delivery.ack(BasicAckOptions::default()).await,
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "a work item is handed back");
            delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    ..BasicNackOptions::default()
                })
                .await
        }
    };
    match settled {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("a work item's channel was gone before its ack; it comes again")
        }
        Err(error) => tracing::warn!(%error, "a work item's ack failed; it comes again"),
    }
}

//! The owner's side of `[amqp]`, in place of the in-process work queue: each message handed in
//! is read and published as a work item (confirmed by the broker, else published again), the
//! workers' results are appended as they come, and a work item not finished within
//! `amqp.work_timeout` is published again. The connection is supervised here: on any failure
//! it is rebuilt with back-off, the queues declared again, and every item in hand published
//! again (their ids make a duplicate harmless: the second result finds the message moved on).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ketenpost_domain::events::StreamId;
use lapin::message::Delivery;
use lapin::options::{BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::broker::{self, BrokerState};
use super::results::{self, Handled};
use super::wire::{Next, WorkOrder};
use crate::config::AmqpSettings;
use crate::service::dispatch::{later, WorkQueue};
use crate::service::shutdown::Shutdown;
use crate::service::state::Shared;

/// A message published and not finished.
struct Flight {
    /// The id of its latest publication.
    item: String,
    /// When it is published again unless finished.
    deadline: Instant,
    /// Handed in again while in hand: taken up once more after it.
    again: bool,
    /// Why a worker last gave it back.
    last_error: Option<String>,
}

/// What the owner holds across connections.
struct Owner {
    shared: Arc<Shared>,
    settings: AmqpSettings,
    queue: WorkQueue,
    shutdown: Shutdown,
    flights: HashMap<StreamId, Flight>,
    /// Handed in while there was no connection.
    waiting: VecDeque<StreamId>,
}

/// Runs the owner's side until the stop.
///
/// # Errors
/// None: the broker's failures are retried with back-off, and reported in its state.
pub async fn run(
    shared: Arc<Shared>,
    settings: AmqpSettings,
    queue: WorkQueue,
    mut incoming: mpsc::UnboundedReceiver<StreamId>,
    shutdown: Shutdown,
    state: Arc<BrokerState>,
) -> anyhow::Result<()> {
    let stop = shutdown.token();
    let mut owner = Owner {
        shared,
        settings,
        queue,
        shutdown,
        flights: HashMap::new(),
        waiting: VecDeque::new(),
    };
    let mut failures = 0u32;
    while !stop.is_cancelled() {
        match owner.session(&mut incoming, &state).await {
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
        let pause = tokio::time::sleep(broker::back_off(failures));
        tokio::pin!(pause);
        loop {
            tokio::select! {
                () = &mut pause => break,
                () = stop.cancelled() => break,
                // Messages handed in meanwhile wait for the connection.
                Some(message) = incoming.recv() => owner.waiting.push_back(message),
            }
        }
    }
    Ok(())
}

impl Owner {
    /// One connection's life: `Ok` at the stop, an error when the connection failed.
    async fn session(
        &mut self,
        incoming: &mut mpsc::UnboundedReceiver<StreamId>,
        state: &BrokerState,
    ) -> anyhow::Result<()> {
        let (connection, publisher, _consuming, mut results, mut dead) =
            broker::in_time("connecting, declaring and consuming", async {
                let connection = broker::connect(&self.settings).await?;
                let publisher = broker::confirming_channel(&connection).await?;
                broker::declare(&publisher, &self.settings).await?;
                let consuming = connection.create_channel().await?;
                consuming.basic_qos(256, BasicQosOptions::default()).await?;
                let results = consuming
                    .basic_consume(
                        self.settings.result_queue.as_str().into(),
                        "ketenpost-owner".into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                let dead = consuming
                    .basic_consume(
                        self.settings.dead_letter_queue().as_str().into(),
                        "ketenpost-owner-dead".into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                Ok((connection, publisher, consuming, results, dead))
            })
            .await?;
        state.up();
        tracing::info!("connected to the broker");
        // What was in hand when the last connection failed is published again.
        let in_hand: Vec<StreamId> = self.flights.keys().cloned().collect();
        for message in in_hand {
            self.publish(&publisher, message, false).await?;
        }
        while let Some(message) = self.waiting.pop_front() {
            self.take(&publisher, message).await?;
        }
        let reply_channel = confirming_channel_or(&connection, &publisher).await;
        let mut handling: JoinSet<Option<Handled>> = JoinSet::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let stop = self.shutdown.token();
        let outcome = loop {
            tokio::select! {
                biased;
                () = stop.cancelled() => break Ok(()),
                Some(done) = handling.join_next(), if !handling.is_empty() => {
                    if let Ok(Some(handled)) = done {
                        self.handled(&publisher, handled).await?;
                    }
                }
                delivery = results.next() => match delivery {
                    Some(Ok(delivery)) => {
                        handling.spawn(results::handle(
                            Arc::clone(&self.shared),
                            reply_channel.clone(),
                            delivery,
                        ));
                    }
                    Some(Err(error)) => break Err(anyhow::Error::new(error).context("The result consumer failed")),
                    None => break Err(anyhow::anyhow!("The broker cancelled the result consumer")),
                },
                delivery = dead.next() => match delivery {
                    Some(Ok(delivery)) => self.dead_lettered(&publisher, delivery).await?,
                    Some(Err(error)) => break Err(anyhow::Error::new(error).context("The dead-letter consumer failed")),
                    None => break Err(anyhow::anyhow!("The broker cancelled the dead-letter consumer")),
                },
                Some(message) = incoming.recv() => self.take(&publisher, message).await?,
                _ = tick.tick() => self.publish_overdue(&publisher).await?,
            }
        };
        // Results being recorded finish; their acks go out before the connection closes. Each
        // waits for the broker at most `ANSWER_TIMEOUT` (its reply and its ack), so a broker
        // that stopped answering holds the next session back by that much, not for good.
        while handling.join_next().await.is_some() {}
        // A broker that no longer answers does not hold up the next connection.
        let _ = tokio::time::timeout(
            broker::ANSWER_TIMEOUT,
            connection.close(200, "stopping".into()),
        )
        .await;
        outcome
    }

    /// A message handed in: published, or folded into the run under way.
    async fn take(&mut self, channel: &Channel, message: StreamId) -> anyhow::Result<()> {
        if let Some(flight) = self.flights.get_mut(&message) {
            flight.again = true;
            self.queue.finished_one();
            return Ok(());
        }
        self.publish(channel, message, false).await
    }

    /// Reads `message` and publishes it as a new work item (confirmed). A message with
    /// nothing to do is finished at once.
    async fn publish(
        &mut self,
        channel: &Channel,
        message: StreamId,
        again: bool,
    ) -> anyhow::Result<()> {
        let item = uuid::Uuid::now_v7().to_string();
        // The version in force now decides the item, wherever a worker runs it.
        let routing = self.shared.routing();
        let read = {
            let shared = Arc::clone(&self.shared);
            let message = message.clone();
            let item = item.clone();
            let version = routing.version.to_string();
            self.shared
                .on_log(move |_| results::read_order(&shared, &message, item, &version))
                .await
        };
        let order = match read {
            Ok(Some(mut order)) => {
                order.routing = Some(routing.source.clone());
                order
            }
            Ok(None) => {
                self.finish(message, Next::Finished);
                return Ok(());
            }
            Err(error) => {
                tracing::error!(message_id = %message, error = %format!("{error:#}"),
                    "a message could not be read for its work item; tried again later");
                self.finish(
                    message,
                    Next::RetryAt(super::super::state::now_ms() + 30_000),
                );
                return Ok(());
            }
        };
        let body = serde_json::to_vec(&order)?;
        let again = again || self.flights.get(&message).is_some_and(|f| f.again);
        self.flights.insert(
            message.clone(),
            Flight {
                item: item.clone(),
                deadline: Instant::now() + self.settings.work_timeout,
                again,
                last_error: None,
            },
        );
        let properties = BasicProperties::default().with_message_id(item.as_str().into());
        broker::publish(channel, "", &self.settings.work_queue, &body, properties).await
    }

    /// Publishes again every work item past its deadline.
    async fn publish_overdue(&mut self, channel: &Channel) -> anyhow::Result<()> {
        let now = Instant::now();
        let overdue: Vec<StreamId> = self
            .flights
            .iter()
            .filter(|(_, f)| f.deadline <= now)
            .map(|(m, _)| m.clone())
            .collect();
        for message in overdue {
            tracing::warn!(message_id = %message, "a work item was not finished in time; published again");
            self.publish(channel, message, false).await?;
        }
        Ok(())
    }

    /// A result recorded: the message goes on as it says.
    async fn handled(&mut self, channel: &Channel, handled: Handled) -> anyhow::Result<()> {
        let Some(flight) = self.flights.get_mut(&handled.message) else {
            return Ok(());
        };
        if flight.item != handled.item {
            // A result of an earlier publication: the latest one decides.
            return Ok(());
        }
        if let Next::Failed { reason } = handled.next {
            flight.last_error = Some(reason);
            return Ok(());
        }
        if !handled.appended {
            // Moved on meanwhile: read it again.
            return self.publish(channel, handled.message, false).await;
        }
        match handled.next {
            Next::Continues => {
                flight.deadline = Instant::now() + self.settings.work_timeout;
                Ok(())
            }
            next => {
                self.finish(handled.message, next);
                Ok(())
            }
        }
    }

    /// A work item the workers gave back `delivery_limit` times: the message becomes a
    /// technical error with the last worker's reason (visible and resendable like any other);
    /// a stale item (the message moved on, or published again since) is dropped.
    async fn dead_lettered(&mut self, channel: &Channel, delivery: Delivery) -> anyhow::Result<()> {
        let Ok(order) = serde_json::from_slice::<WorkOrder>(&delivery.data) else {
            tracing::error!("a dead-lettered work item that cannot be read was dropped");
            results::settle(&delivery, true).await;
            return Ok(());
        };
        let current = self
            .flights
            .get(&order.message)
            .filter(|f| f.item == order.item)
            .map(|f| f.last_error.clone());
        let Some(last_error) = current else {
            results::settle(&delivery, true).await;
            return Ok(());
        };
        let last_error = last_error.unwrap_or_else(|| "no worker said why".to_owned());
        tracing::error!(message_id = %order.message, error = %last_error,
            "no worker finished a work item within the delivery limit: technical error");
        match results::record_dead(
            &self.shared,
            &order,
            self.settings.delivery_limit,
            last_error,
        )
        .await
        {
            Ok(true) => {
                results::settle(&delivery, true).await;
                self.finish(order.message, Next::Finished);
                Ok(())
            }
            Ok(false) => {
                results::settle(&delivery, true).await;
                self.publish(channel, order.message, false).await
            }
            Err(error) => {
                // Not recorded: it stays dead-lettered, and is taken again after a reconnect.
                results::settle(&delivery, false).await;
                Err(error)
            }
        }
    }

    /// The message is out of hand; it comes back as `next` says.
    fn finish(&mut self, message: StreamId, next: Next) {
        let again = self.flights.remove(&message).is_some_and(|f| f.again);
        self.queue.finished_one();
        match next {
            Next::Again => self.queue.push(message),
            _ if again => self.queue.push(message),
            Next::RetryAt(at) => later(&self.shutdown, self.queue.clone(), message, at),
            Next::Finished | Next::Continues | Next::Failed { .. } => {}
        }
    }
}

/// A second channel for replies, so that a slow confirm of a reply does not hold up the work
/// items; the publishing channel when it cannot be had in time.
async fn confirming_channel_or(connection: &Connection, fallback: &Channel) -> Channel {
    match broker::in_time(
        "opening the reply channel",
        broker::confirming_channel(connection),
    )
    .await
    {
        Ok(channel) => channel,
        Err(_) => fallback.clone(),
    }
}

//! A worker's results on their way to the owner: each sent with a correlation id and this
//! connection's reply queue, and the owner's reply handed to the item that waits for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::message::Delivery;
use lapin::{BasicProperties, Channel};
use tokio::sync::oneshot;

use super::broker;
use super::wire::{Next, Reply, StepResult, WorkOrder};

/// Replies awaited, by correlation id.
pub type Awaited = Arc<Mutex<HashMap<String, oneshot::Sender<Reply>>>>;

/// Hands a reply to the item awaiting it.
pub fn answered(awaited: &Awaited, delivery: &Delivery) {
    let Some(correlation) = delivery.properties.correlation_id() else {
        return;
    };
    let Ok(reply) = serde_json::from_slice::<Reply>(&delivery.data) else {
        return;
    };
    if let Some(waiting) = awaited
        .lock()
        .ok()
        .and_then(|mut a| a.remove(correlation.as_str()))
    {
        let _ = waiting.send(reply);
    }
}

/// Sends results to the owner and waits for its reply.
pub struct Sender {
    pub channel: Channel,
    pub reply_queue: String,
    pub awaited: Awaited,
    pub result_queue: String,
    pub timeout: Duration,
}

impl Sender {
    /// Sends `result` and waits until the owner has recorded it: whether it was appended.
    pub async fn send(&self, result: &StepResult) -> anyhow::Result<bool> {
        let correlation = uuid::Uuid::now_v7().to_string();
        let (tell, told) = oneshot::channel();
        if let Ok(mut awaited) = self.awaited.lock() {
            awaited.insert(correlation.clone(), tell);
        }
        let body = serde_json::to_vec(result)?;
        let properties = BasicProperties::default()
            .with_correlation_id(correlation.as_str().into())
            .with_reply_to(self.reply_queue.as_str().into());
        let sent = broker::publish(&self.channel, "", &self.result_queue, &body, properties).await;
        let answer = match sent {
            Ok(()) => tokio::time::timeout(self.timeout, told).await,
            Err(error) => {
                self.forget(&correlation);
                return Err(error);
            }
        };
        self.forget(&correlation);
        match answer {
            Ok(Ok(reply)) => Ok(reply.appended),
            _ => anyhow::bail!("The owner did not confirm a result in time"),
        }
    }

    /// Tells the owner why the item is handed back (no reply awaited): the reason a
    /// dead-lettered item's technical error names.
    pub async fn report_failure(&self, order: &WorkOrder, reason: &str) {
        let result = StepResult {
            item: order.item.clone(),
            message: order.message.clone(),
            expected: order.version,
            events: Vec::new(),
            next: Next::Failed {
                reason: reason.to_owned(),
            },
            placed: None,
            answers: Vec::new(),
            attempt_failed: None,
        };
        let Ok(body) = serde_json::to_vec(&result) else {
            return;
        };
        let properties = BasicProperties::default();
        if let Err(error) =
            broker::publish(&self.channel, "", &self.result_queue, &body, properties).await
        {
            tracing::warn!(error = %format!("{error:#}"), "the owner could not be told why a work item is handed back");
        }
    }

    fn forget(&self, correlation: &str) {
        if let Ok(mut awaited) = self.awaited.lock() {
            awaited.remove(correlation);
        }
    }
}

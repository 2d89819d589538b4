//! The queue and exchange names of one test, and their removal from the broker when the test
//! ends, however it ends. A broker used for many runs (a developer's, with
//! `KETENPOST_TEST_AMQP_URL`) would otherwise keep every run's durable queues: hundreds of
//! them, after a day of runs, slow every declaration and can wedge the broker.

use std::time::Duration;

use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use lapin::{Connection, ConnectionProperties};

/// How long the removal may take; a broker that does not answer in this time keeps them.
const REMOVAL_LIMIT: Duration = Duration::from_secs(15);

/// The names under `ketenpost-test.{name}.{process id}`: `.work` (and the owner's `.work.dead`),
/// `.results` and the exchange `.events`.
#[must_use = "the test's queues are deleted when this is dropped: keep it for the whole test"]
pub struct TestQueues {
    prefix: String,
}

impl TestQueues {
    pub fn new(name: &str) -> Self {
        Self {
            prefix: format!("ketenpost-test.{name}.{}", std::process::id()),
        }
    }

    /// The `[amqp]` keys that name them.
    pub fn config_keys(&self) -> String {
        let prefix = &self.prefix;
        format!(
            "work_queue = \"{prefix}.work\"\nresult_queue = \"{prefix}.results\"\n\
             events_exchange = \"{prefix}.events\"\n"
        )
    }
}

impl Drop for TestQueues {
    fn drop(&mut self) {
        let url = super::broker_url();
        let prefix = self.prefix.clone();
        if let Err(e) =
            super::on_own_runtime(
                REMOVAL_LIMIT,
                move || async move { remove(&url, &prefix).await },
            )
        {
            eprintln!(
                "the test's queues ({}.*) stay in the broker: {e}",
                self.prefix
            );
        }
    }
}

/// Deletes the queues and the exchange under `prefix` (deleting one that is not there is no
/// error to the broker).
async fn remove(url: &str, prefix: &str) -> Result<(), String> {
    let connection = Connection::connect(url, ConnectionProperties::default())
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| format!("opening a channel: {e}"))?;
    for queue in ["work", "work.dead", "results"] {
        channel
            .queue_delete(
                format!("{prefix}.{queue}").as_str().into(),
                QueueDeleteOptions::default(),
            )
            .await
            .map_err(|e| format!("deleting {prefix}.{queue}: {e}"))?;
    }
    channel
        .exchange_delete(
            format!("{prefix}.events").as_str().into(),
            ExchangeDeleteOptions::default(),
        )
        .await
        .map_err(|e| format!("deleting {prefix}.events: {e}"))?;
    connection
        .close(200, "removed".into())
        .await
        .map_err(|e| format!("closing: {e}"))
}

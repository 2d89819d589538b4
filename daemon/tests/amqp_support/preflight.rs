//! Before a scale-out test starts its processes: one message through the test broker and back.
//!
//! A broker can listen and still take nothing: a resource alarm (a disk filled by build output,
//! say) blocks every publisher, and a broker wedged after an earlier test answers no declare.
//! Each test would then wait minutes for messages that never move and fail with a timeout that
//! names none of this. The round trip here fails within seconds instead, with the broker's own
//! word on its alarms.

use std::process::Command;
use std::time::Duration;

use lapin::options::{BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions};
use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Confirmation, Connection, ConnectionProperties};

/// How long the round trip may take on a healthy broker, with room for a loaded machine.
const ROUND_TRIP_LIMIT: Duration = Duration::from_secs(20);

/// Panics, saying what the broker at `url` did and what it reports of its alarms, unless a
/// message published there with a confirm comes back within [`ROUND_TRIP_LIMIT`].
pub fn require_round_trip(url: &str) {
    let url = url.to_owned();
    if let Err(failure) =
        super::on_own_runtime(
            ROUND_TRIP_LIMIT,
            move || async move { round_trip(&url).await },
        )
    {
        panic!(
            "the test broker (KETENPOST_TEST_AMQP_URL) does not pass a message through: \
             {failure}\nits alarms: {}",
            broker_alarms()
        );
    }
}

/// Declares a queue of its own, publishes one message to it with a confirm, gets it back and
/// deletes the queue.
async fn round_trip(url: &str) -> Result<(), String> {
    let step = |what: &'static str| move |e: lapin::Error| format!("{what}: {e}");
    let connection = Connection::connect(url, ConnectionProperties::default())
        .await
        .map_err(step("connecting"))?;
    let channel = connection
        .create_channel()
        .await
        .map_err(step("opening a channel"))?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(step("turning on confirms"))?;
    let queue = channel
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(step("declaring a queue"))?
        .name()
        .clone();
    let confirmation = channel
        .basic_publish(
            "".into(),
            queue.clone(),
            BasicPublishOptions::default(),
            b"preflight",
            BasicProperties::default(),
        )
        .await
        .map_err(step("publishing"))?
        .await
        .map_err(step("waiting for the confirm"))?;
    if !matches!(confirmation, Confirmation::Ack(None)) {
        return Err(format!("the publish was not confirmed: {confirmation:?}"));
    }
    let got = channel
        .basic_get(queue.clone(), BasicGetOptions { no_ack: true })
        .await
        .map_err(step("getting the message back"))?;
    if got.is_none() {
        return Err("the confirmed message was not in its queue".to_owned());
    }
    channel
        .queue_delete(queue, QueueDeleteOptions::default())
        .await
        .map_err(step("deleting the queue"))?;
    connection
        .close(200, "checked".into())
        .await
        .map_err(step("closing"))
}

/// What `rabbitmq-diagnostics alarms` says, or why it could not be asked.
fn broker_alarms() -> String {
    match Command::new("timeout")
        .args(["20", "rabbitmq-diagnostics", "-q", "alarms"])
        .output()
    {
        Ok(output) => format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(e) => format!("rabbitmq-diagnostics could not be run: {e}"),
    }
}

//! The events exchange carries the log: a consumer of the test's own, bound with `#`, sees
//! every event of messages and receipts in log order by position (the message id), through the durable quorum queue an
//! operator's follower declares, with the broker stopped and started mid-run (publishing
//! resumes from its checkpoint, without gaps), each routed by stream kind and event type, and
//! never with a BSN or a name. Alone in its test binary, since it stops
//! the broker.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod amqp_support;
mod harness;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amqp_support::{
    api_up, broker_url, configure, events, rabbitmqctl, require_broker, wait_all_decided, Cluster,
};
use futures_util::StreamExt;
use harness::process::free_port;
use harness::{counts, letter, wait_until, Harness, ACCOUNT, GP, KNOWN};
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties, ExchangeKind};

/// What the follower received: (message id, routing key, body).
type Seen = Arc<Mutex<Vec<(u64, String, String)>>>;

/// Follows the exchange through a durable queue of its own, reconnecting after an outage. As
/// the daemon's own processes do, every step of setting up has its time: a broker that is
/// starting can accept a connection or a declaration and not answer it, and a follower that
/// waits for ever sees nothing more although its queue holds every event.
async fn follow(exchange: String, queue: String, seen: Seen) {
    loop {
        let session = async {
            let (_connection, channel, mut consumer) =
                tokio::time::timeout(Duration::from_secs(15), async {
                    let connection =
                        Connection::connect(&broker_url(), ConnectionProperties::default()).await?;
                    let channel = connection.create_channel().await?;
                    channel
                        .exchange_declare(
                            exchange.as_str().into(),
                            ExchangeKind::Topic,
                            ExchangeDeclareOptions {
                                durable: true,
                                ..Default::default()
                            },
                            FieldTable::default(),
                        )
                        .await?;
                    // What docs/operations.md tells a follower to declare: a durable quorum queue. (A
                    // classic queue could hang or lose what was routed to it across the broker's
                    // restart; a quorum queue confirms only what it has written.)
                    let mut quorum = FieldTable::default();
                    quorum.insert(
                        "x-queue-type".into(),
                        AMQPValue::LongString("quorum".into()),
                    );
                    channel
                        .queue_declare(
                            queue.as_str().into(),
                            QueueDeclareOptions {
                                durable: true,
                                ..Default::default()
                            },
                            quorum,
                        )
                        .await?;
                    channel
                        .queue_bind(
                            queue.as_str().into(),
                            exchange.as_str().into(),
                            "#".into(),
                            QueueBindOptions::default(),
                            FieldTable::default(),
                        )
                        .await?;
                    let consumer = channel
                        .basic_consume(
                            queue.as_str().into(),
                            "".into(),
                            BasicConsumeOptions::default(),
                            FieldTable::default(),
                        )
                        .await?;
                    Ok::<_, lapin::Error>((connection, channel, consumer))
                })
                .await
                .map_err(|_| {
                    lapin::Error::from(lapin::ErrorKind::InvalidConnectionState(
                        lapin::ConnectionState::Error,
                    ))
                })??;
            let _ = &channel;
            // A connection the broker dropped without a word leaves the consumer waiting for
            // ever: a follower that hears nothing for a while sets up again (what it had not
            // acknowledged comes again, and it declares the same queue, so nothing is missed).
            while let Ok(Some(delivery)) =
                tokio::time::timeout(Duration::from_secs(5), consumer.next()).await
            {
                let delivery = delivery?;
                let id = delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|id| id.as_str().parse::<u64>().unwrap())
                    .unwrap();
                seen.lock().unwrap().push((
                    id,
                    delivery.routing_key.as_str().to_owned(),
                    String::from_utf8(delivery.data.clone()).unwrap(),
                ));
                // An ack on a channel or connection the broker dropped is not taken (or never
                // answered): the follower sets up again instead of waiting for ever.
                match tokio::time::timeout(
                    Duration::from_secs(5),
                    delivery.ack(BasicAckOptions::default()),
                )
                .await
                {
                    Ok(Ok(true)) => {}
                    // `Ok(false)`: the channel died; unanswered: the connection did.
                    Ok(Ok(false)) | Err(_) => break,
                    Ok(Err(e)) => return Err(e),
                }
            }
            Ok::<(), lapin::Error>(())
        };
        // Shown with a failure: why the follower set up again.
        match session.await {
            Ok(()) => {
                eprintln!("follower: 5 s without an event or an ack unanswered, setting up again")
            }
            Err(e) => eprintln!("follower: {e}, setting up again"),
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_sees_every_event_in_log_order_across_a_broker_outage() {
    require_broker();
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("amqp-events", port, 3).await;
    let _queues = configure(&h, "events", "");
    let prefix = format!("ketenpost-test.events.{}", std::process::id());
    let seen: Seen = Arc::default();
    let follower = tokio::spawn(follow(
        format!("{prefix}.events"),
        format!("{prefix}.follower"),
        Arc::clone(&seen),
    ));
    wait_until("the follower bound", Duration::from_secs(30), || async {
        Command::new("rabbitmqctl")
            .args(["-q", "list_bindings", "destination_name"])
            .output()
            .is_ok_and(|o| {
                String::from_utf8_lossy(&o.stdout).contains(&format!("{prefix}.follower"))
            })
    })
    .await;
    let address = format!("127.0.0.1:{port}");
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let total: i64 = 200;
    for n in 0..total {
        let bsn = if n % 10 == 0 { "123456782" } else { KNOWN };
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, bsn, &format!("E{n}")));
    }
    // A slow record system: the broker's restart comes in the middle of the work.
    h.ons.faults().delay(Duration::from_millis(50));
    let cluster = Cluster::start(&h, 2);
    api_up(&address).await;
    wait_until(
        "some events published",
        Duration::from_secs(120),
        || async { seen.lock().unwrap().len() >= 100 },
    )
    .await;
    let c = counts(&address).await;
    assert!(
        c["processed"].as_i64().unwrap() + c["unknown_bsn"].as_i64().unwrap() < total,
        "the work was done before the outage: {c}"
    );
    rabbitmqctl(&["stop_app"]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    rabbitmqctl(&["start_app"]);
    wait_all_decided(&address, total, Duration::from_secs(300)).await;
    cluster.stop();
    let log = events(&h);
    // The publisher may still have been waiting to reconnect when the owner stopped: what it
    // had not published is published by the next start, from its checkpoint.
    let published: usize = std::fs::read_to_string(h.data().join("amqp-events.position"))
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0);
    let resumed = (published < log.len()).then(|| Cluster::start(&h, 0));
    // What leaves the daemon: the events of messages and receipts (not the configuration's,
    // the users' or the access log's), by position.
    let expected: Vec<u64> = (0..log.len() as u64)
        .filter(|p| {
            let stream = log[*p as usize]["stream"].as_str().unwrap_or_default();
            stream.starts_with("message-") || stream.starts_with("receipt-")
        })
        .collect();
    assert!(expected.len() > 1000, "{} events published", expected.len());
    let followed = || {
        let mut ids: Vec<u64> = seen.lock().unwrap().iter().map(|s| s.0).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let started = std::time::Instant::now();
    while followed() != expected {
        if started.elapsed() > Duration::from_secs(90) {
            let ids = followed();
            let missing: Vec<u64> = expected
                .iter()
                .copied()
                .filter(|p| ids.binary_search(p).is_err())
                .take(20)
                .collect();
            let queues = Command::new("rabbitmqctl")
                .args(["-q", "list_queues", "name", "messages", "consumers"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            let checkpoint = std::fs::read_to_string(h.data().join("amqp-events.position"));
            panic!(
                "not every event followed: {} of {} (first missing positions {missing:?}); \
                 the publisher's checkpoint {checkpoint:?}; queues:\n{queues}",
                ids.len(),
                expected.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Some(owner) = resumed {
        // Stopped once it is up (its signal handling in place).
        api_up(&address).await;
        owner.stop();
    }
    follower.abort();

    // In log order: each position first seen after every earlier one, none missing; a
    // position may come again after the outage (the same message id).
    let seen = seen.lock().unwrap().clone();
    let mut first = Vec::new();
    for (id, key, body) in &seen {
        if first.contains(id) {
            continue;
        }
        first.push(*id);
        let event = &log[*id as usize];
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["position"], *id);
        assert_eq!(json["type"], event["type"]);
        let kind = event["stream"].as_str().unwrap().split('-').next().unwrap();
        assert_eq!(key, &format!("{kind}.{}", event["type"].as_str().unwrap()));
        for private in [KNOWN, "123456782", "Wolf", "Jan"] {
            assert!(
                !body.contains(private),
                "{private:?} in a published event: {body}"
            );
        }
    }
    assert_eq!(first, expected, "every event, in log order");
    // Every queue of this test goes: the broker's next restart need not recover them.
    for queue in ["follower", "work", "work.dead", "results"] {
        let _ = Command::new("rabbitmqctl")
            .args(["-q", "delete_queue", &format!("{prefix}.{queue}")])
            .status();
    }
}

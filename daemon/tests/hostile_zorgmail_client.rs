//! The ZorgMail client against a hostile stand-in, call by call: the memory its Retrieves
//! hold stays within the budget (a Retrieve waits while the messages already retrieved are
//! held), and a Delete answered with an empty SOAP Body is a success.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ketenpost_adapters::zorgmail::{self as client, ZorgMailClient};
use ketenpost_fixtures::zorgmail::{ZorgMailConfig, ZorgMailStandIn};

const ACCOUNT: &str = "500098765";
const SENDER: &str = "500012345";
const MIB: u64 = 1024 * 1024;

async fn stand_in() -> ZorgMailStandIn {
    ZorgMailStandIn::start(ZorgMailConfig::new(ACCOUNT, "ketenpost", "secret-pw"))
        .await
        .unwrap()
}

fn client_of(zorgmail: &ZorgMailStandIn, max_in_flight_bytes: u64) -> ZorgMailClient {
    ZorgMailClient::new(client::ZorgMailConfig {
        endpoint: zorgmail.endpoint_url(),
        account_id: ACCOUNT.into(),
        username: "ketenpost".into(),
        password: "secret-pw".into(),
        timeout: Duration::from_secs(20),
        max_requests: 8,
        max_in_flight_bytes,
        ca_cert: None,
        max_message_bytes: 2 * MIB,
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrieves_hold_no_more_memory_at_once_than_the_budget() {
    let zorgmail = stand_in().await;
    let ids: Vec<String> = (0..4u8)
        .map(|n| zorgmail.add_message(ACCOUNT, SENDER, vec![b'a' + n; (MIB - 4096) as usize]))
        .collect();
    // Each answer is 1.3 MiB in base64 and is held twice while it is read: 2.7 MiB. Within
    // 4 MiB, one message at a time.
    let client = client_of(&zorgmail, 4 * MIB);
    let mut retrievals = tokio::task::JoinSet::new();
    for id in &ids {
        let (client, id) = (client.clone(), id.clone());
        retrievals.spawn(async move { client.retrieve(&id).await });
    }
    let mut held = Vec::new();
    for _ in &ids {
        let (message, reservation) = retrievals.join_next().await.unwrap().unwrap().unwrap();
        assert_eq!(message.content.len() as u64, MIB - 4096);
        held.push((message, reservation));
        // While this one is held (as the daemon holds it until it is recorded), no other
        // Retrieve may finish: its answer would not fit.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            retrievals.try_join_next().is_none(),
            "a second message was read while the first held the budget"
        );
        held.clear();
    }
    assert_eq!(zorgmail.retrieve_count(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_answered_with_an_empty_soap_body_succeeds() {
    let zorgmail = stand_in().await;
    let id = zorgmail.add_message(ACCOUNT, SENDER, b"UNB+UNOC:3'".to_vec());
    zorgmail.faults().empty_delete_answers(true);
    let client = client_of(&zorgmail, 64 * MIB);
    client.delete(&id).await.unwrap();
    assert!(zorgmail.remaining().is_empty());
    assert_eq!(zorgmail.deleted_ids(), [id]);
}

//! The daemon's mailboxes: a redelivered id, SOAP faults and failed deletes are mailbox problems
//! that lose nothing, HTTPS mailboxes are verified, and an oversized message stays where it is.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::time::Duration;

use harness::{
    call, get, letter, mailbox_problem, wait_for_mailbox_problem, wait_for_processed, wait_until,
    Harness, ACCOUNT, GP, KNOWN,
};
use ketenpost_fixtures::zorgmail::Operation;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_id_is_only_deleted_and_soap_faults_are_mailbox_problems() {
    let h = Harness::start("redeliver", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    // The first Delete "succeeds" but the message stays: the next List shows it again.
    h.zorgmail.faults().redeliver_next_deletes(1);
    let id = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let (running, address) = h.start_daemon().await;
    wait_until("deleted twice", Duration::from_secs(20), || async {
        h.zorgmail.deleted_ids().len() >= 2 && h.zorgmail.remaining().is_empty()
    })
    .await;
    wait_for_processed(&address, 1, Duration::from_secs(20)).await;
    assert_eq!(
        h.zorgmail.retrieve_count(),
        1,
        "a recorded id is not retrieved again"
    );
    assert_eq!(h.zorgmail.deleted_ids(), [id.clone(), id]);
    assert_eq!(h.ons.documents().len(), 1);
    let (_, body) = get(&address, "/api/v1/counts").await;
    assert_eq!(body["mailboxes"]["lab-noordwest"]["received"], 1, "{body}");

    // A SOAP fault is the mailbox's problem, shown until a poll succeeds again.
    h.zorgmail.faults().soap_fault_next(3);
    wait_for_mailbox_problem(&address, "lab-noordwest", "fault", Duration::from_secs(10)).await;
    wait_until("the mailbox recovers", Duration::from_secs(10), || async {
        mailbox_problem(&address, "lab-noordwest").await.is_none()
    })
    .await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delete_is_a_mailbox_problem_and_the_next_poll_only_deletes() {
    let h = Harness::start("failed-delete", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    // The first Delete answers a SOAP fault: the message is recorded but stays in the mailbox.
    h.zorgmail
        .faults()
        .soap_fault_next_for(Operation::Delete, 1);
    let first = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let second = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC2"));
    let (running, address) = h.start_daemon().await;
    // The problem shows until the next poll deletes the message: the counter keeps it.
    wait_until(
        "a mailbox error counted",
        Duration::from_secs(10),
        || async {
            let (_, metrics) = call(&address, reqwest::Method::GET, "/metrics", None).await;
            let errors = "ketenpost_mailbox_errors_total{mailbox=\"lab-noordwest\"} ";
            metrics.as_str().is_some_and(|m| {
                m.lines()
                    .find_map(|line| line.strip_prefix(errors)?.trim().parse::<f64>().ok())
                    .is_some_and(|n| n >= 1.0)
            })
        },
    )
    .await;
    wait_until("the mailbox is empty", Duration::from_secs(20), || async {
        h.zorgmail.remaining().is_empty()
    })
    .await;
    wait_for_processed(&address, 2, Duration::from_secs(20)).await;
    assert_eq!(
        h.zorgmail.retrieve_count(),
        2,
        "a recorded id is not retrieved again"
    );
    let mut deleted = h.zorgmail.deleted_ids();
    deleted.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(
        deleted, expected,
        "each message deleted once it was recorded"
    );
    assert_eq!(h.ons.documents().len(), 2, "each letter placed once");
    wait_until(
        "the mailbox problem clears",
        Duration::from_secs(10),
        || async { mailbox_problem(&address, "lab-noordwest").await.is_none() },
    )
    .await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_mailbox_is_verified_against_its_ca_and_an_untrusted_one_is_a_mailbox_problem() {
    let h = Harness::start_https("https").await;
    assert!(h.zorgmail.endpoint_url().starts_with("https://"));
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let id = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));

    // With the system's trust roots the test CA is unknown: nothing is taken or deleted.
    let mut settings = ketenpost::config::load(Some(&h.config)).unwrap();
    for mailbox in &mut settings.mailboxes {
        if let ketenpost::config::MailboxKind::ZorgMail(config) = &mut mailbox.kind {
            config.ca_cert = None;
        }
    }
    let running = ketenpost::service::start(settings).await.unwrap();
    let address = running.api_address.to_string();
    wait_for_mailbox_problem(
        &address,
        "lab-noordwest",
        "certificate",
        Duration::from_secs(20),
    )
    .await;
    running.stop().await.unwrap();
    assert_eq!(h.zorgmail.retrieve_count(), 0);
    assert_eq!(h.zorgmail.remaining(), std::slice::from_ref(&id));

    // With the mailbox's ca_cert the same endpoint is trusted, and the letter is placed.
    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 1, Duration::from_secs(20)).await;
    running.stop().await.unwrap();
    assert_eq!(h.zorgmail.deleted_ids(), [id]);
    assert_eq!(h.ons.documents().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_size_limit_stays_where_it_is_and_the_others_go_on() {
    let h = Harness::start("too-large", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let first = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    let huge = h
        .zorgmail
        .add_message(ACCOUNT, GP, vec![b'x'; 2 * 1024 * 1024]);
    let last = h
        .zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC2"));
    std::fs::write(h.drop_folder.join("huge.edi"), vec![b'x'; 2 * 1024 * 1024]).unwrap();
    std::fs::write(h.drop_folder.join("letter.edi"), letter(GP, KNOWN, "IC3")).unwrap();
    h.edit_config(|text| {
        text.replace(
            "route = \"ons\"\n",
            "route = \"ons\"\nmax_message_mib = 1\n",
        )
    });

    let (running, address) = h.start_daemon().await;
    wait_for_processed(&address, 3, Duration::from_secs(30)).await;
    wait_for_mailbox_problem(
        &address,
        "lab-noordwest",
        &format!("message {huge:?}"),
        Duration::from_secs(20),
    )
    .await;
    wait_for_mailbox_problem(&address, "drop", "larger than", Duration::from_secs(20)).await;
    let problem = mailbox_problem(&address, "lab-noordwest").await.unwrap();
    assert!(problem.contains("1 MiB"), "{problem}");
    running.stop().await.unwrap();

    assert_eq!(
        h.zorgmail.remaining(),
        [huge],
        "the large message stays in the mailbox"
    );
    let mut deleted = h.zorgmail.deleted_ids();
    deleted.sort();
    let mut expected = vec![first, last];
    expected.sort();
    assert_eq!(deleted, expected);
    assert!(
        h.drop_folder.join("huge.edi").exists(),
        "the large file stays"
    );
    assert!(h.drop_folder.join("done/letter.edi").exists());
    assert_eq!(h.ons.documents().len(), 3);
}

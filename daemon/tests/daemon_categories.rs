//! The daemon in-process against both stand-ins over real sockets: every category is reached,
//! placements carry labels, actions and visibility, and an unknown-BSN message resent after its
//! client was added is processed.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::time::Duration;

use harness::{
    call, counts, fixture, get, letter, message, message_in, timeline_types, wait_for_category,
    wait_for_mailbox_problem, wait_for_processed, wait_until, Harness, ACCOUNT, GP, KNOWN, LAB,
    TOKEN,
};

const UNKNOWN: &str = "123456782";

const TWICE: &str = "111222333";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_category_is_reached_and_a_resend_after_registering_the_client_lands() {
    let h = Harness::start("categories", 0, 2).await;
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    h.ons.add_client(TWICE, "Piet", "Een", "1950-01-01");
    h.ons.add_client(TWICE, "Piet", "Twee", "1950-01-01");
    // Processed: a letter from a listed sender and a lab report.
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC1"));
    h.zorgmail
        .add_message(ACCOUNT, LAB, fixture("medlab_full.edi"));
    // Unsupported: a type not read, and a letter from a sender not listed.
    h.zorgmail.add_message(ACCOUNT, LAB, fixture("medrad.edi"));
    h.zorgmail
        .add_message(ACCOUNT, "500099999", letter("500099999", KNOWN, "IC2"));
    // Missing BSN.
    h.zorgmail
        .add_message(ACCOUNT, GP, fixture("medvri_bsn_missing.edi"));
    // Unknown BSN.
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, UNKNOWN, "IC3"));
    // Fallout: several clients with one BSN, and a malformed payload via the drop folder.
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, TWICE, "IC4"));
    std::fs::write(
        h.drop_folder.join("broken.edi"),
        fixture("malformed_truncated.edi"),
    )
    .unwrap();
    // A PDF on a route that places incoming PDFs names no client: missing BSN, for a person.
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/messages/letter.pdf"),
        h.drop_folder.join("letter.pdf"),
    )
    .unwrap();

    let (running, address) = h.start_daemon().await;

    wait_until(
        "seven decided messages and the two dropped files",
        Duration::from_secs(30),
        || async {
            let c = counts(&address).await;
            let decided: i64 = [
                "processed",
                "unsupported",
                "missing_bsn",
                "unknown_bsn",
                "fallout",
            ]
            .iter()
            .map(|k| c[*k].as_i64().unwrap_or(0))
            .sum();
            decided == 9
        },
    )
    .await;
    let c = counts(&address).await;
    assert_eq!(
        (
            c["processed"].as_i64(),
            c["unsupported"].as_i64(),
            c["missing_bsn"].as_i64(),
            c["unknown_bsn"].as_i64(),
            c["fallout"].as_i64()
        ),
        (Some(2), Some(2), Some(2), Some(1), Some(2)),
        "{c}"
    );
    assert!(
        h.zorgmail.remaining().is_empty(),
        "every recorded message is deleted at the mailbox"
    );
    for name in ["broken.edi", "letter.pdf"] {
        assert!(
            h.drop_folder.join("done").join(name).exists(),
            "the recorded file {name} moves to done/"
        );
        assert!(!h.drop_folder.join(name).exists(), "{name} left the folder");
    }

    // What was placed carries the route's labels, actions and visibility, and the headers.
    let documents = h.ons.documents();
    assert_eq!(documents.len(), 2);
    for document in &documents {
        assert_eq!(document.right_selection.as_deref(), Some("Group"));
        assert_eq!(document.expertise_groups, [12]);
        assert_eq!(
            (
                document.user_name.as_str(),
                document.active_identity.as_str()
            ),
            ("Ketenverkeer", "ketenpost")
        );
        assert!(document.attachment.starts_with(b"%PDF"));
        assert!(document
            .file_name
            .as_deref()
            .unwrap()
            .starts_with("message-"));
    }
    assert!(documents
        .iter()
        .any(|d| d.tags == ["labuitslag"] && d.actions == ["SOG"]));
    assert!(documents
        .iter()
        .any(|d| d.tags == ["brief"] && d.actions == ["SOG", "Secretariaat"]));

    // The detail names mailbox, sender, type, category and reason, with the whole timeline.
    let unknown = message_in(&address, "unknown_bsn").await;
    let id = unknown[0]["stream"].as_str().unwrap().to_owned();
    let (status, detail) = get(&address, &format!("/api/v1/messages/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["mailbox"], "lab-noordwest");
    assert_eq!(detail["sender"], GP);
    assert_eq!(detail["type"], "MEDVRI:1");
    assert_eq!(detail["category"], "unknown_bsn");
    assert!(
        detail["reason"].as_str().unwrap().contains("BSN"),
        "{detail}"
    );
    // Beside the Dutch sentence, the stable code for machines, in the detail and the list.
    assert_eq!(detail["reason_code"], "unknown_bsn", "{detail}");
    assert_eq!(unknown[0]["reason_code"], "unknown_bsn", "{}", unknown[0]);
    let types = timeline_types(&detail);
    assert_eq!(
        types,
        [
            "MessageReceived",
            "MessageParsed",
            "AwaitingDelivery",
            "MessageClassified"
        ]
    );
    let text = detail.to_string();
    assert!(
        !text.contains(UNKNOWN) && !text.contains("Wolf"),
        "no BSN or name in the detail: {text}"
    );

    // Processed messages are not resent; without the token nothing is shown.
    let processed = message_in(&address, "processed").await;
    let done_id = processed[0]["stream"].as_str().unwrap();
    let (status, _) = call(
        &address,
        reqwest::Method::POST,
        &format!("/api/v1/messages/{done_id}/resend"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = call(&address, reqwest::Method::GET, "/api/v1/counts", None).await;
    assert_eq!(status, 401);
    let (status, _) = call(
        &address,
        reqwest::Method::GET,
        "/api/v1/counts",
        Some("wrong-token-0123456789"),
    )
    .await;
    assert_eq!(status, 401);

    // The client is registered; the secretary presses resend; the letter lands.
    h.ons.add_client(UNKNOWN, "Kees", "Nieuw", "1970-02-02");
    let (status, body) = call(
        &address,
        reqwest::Method::POST,
        &format!("/api/v1/messages/{id}/resend"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    wait_for_category(
        &address,
        &id,
        "processed",
        "the resent message is processed",
    )
    .await;
    let detail = message(&address, &id).await;
    let types = timeline_types(&detail);
    assert!(
        types.iter().any(|t| t == "ResendRequested")
            && types.ends_with(&["DocumentPlaced".to_owned(), "MessageClassified".to_owned()]),
        "{types:?}"
    );
    assert_eq!(counts(&address).await["unknown_bsn"], 0);
    assert_eq!(h.ons.documents().len(), 3);

    // The record system fails beyond the budget: technical error, and nothing blocks others.
    h.ons.faults().unavailable_next_uploads(2);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC5"));
    wait_until("a technical error", Duration::from_secs(20), || async {
        counts(&address).await["technical_error"] == 1
    })
    .await;
    let failed = message_in(&address, "technical_error").await;
    assert!(
        failed[0]["reason"].as_str().unwrap().contains("2 pogingen"),
        "{}",
        failed[0]
    );

    // The mailbox refuses the password: a mailbox problem, visible, and no message lost.
    h.zorgmail.faults().reject_auth(true);
    h.zorgmail
        .add_message(ACCOUNT, GP, letter(GP, KNOWN, "IC6"));
    wait_for_mailbox_problem(&address, "lab-noordwest", "401", Duration::from_secs(10)).await;
    let (_, metrics) = call(&address, reqwest::Method::GET, "/metrics", None).await;
    let metrics = metrics.as_str().unwrap().to_owned();
    assert!(
        metrics.contains("ketenpost_mailbox_errors_total{mailbox=\"lab-noordwest\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ketenpost_messages{category=\"processed\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ketenpost_delivery_latency_seconds_count"),
        "{metrics}"
    );
    h.zorgmail.faults().reject_auth(false);
    wait_for_processed(&address, 4, Duration::from_secs(20)).await;

    running.stop().await.unwrap();
}
